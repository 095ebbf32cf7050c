"""Helpers for the JSON API tests: a JSON client, a clean cache and SMS outbox."""

import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.isolation import CommitClient, isolated_messages
from tests.sms_codes import last_sms_code

MOBILE = "13800138000"


@pytest.fixture(autouse=True)
def _clean_cache_and_outbox(settings):
    with isolated_messages(settings):
        yield


class ApiClient(CommitClient):
    """A test client that speaks JSON and picks a language (English unless told); its requests run
    their on-commit work (SMS sending, notifications) as a committed request would."""

    def __init__(self, language="en", **kwargs):
        super().__init__(HTTP_ACCEPT_LANGUAGE=language, **kwargs)

    def post_json(self, path, body, **extra):
        return self.post(path, data=json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def keep_db_connection():
    """Calls through the real WSGI handler must not close the test's database connection at
    the start or end of a request (on PostgreSQL that would end the test transaction);
    Django's own test client disconnects the same handler."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_client():
    return ApiClient()


def verified_token(client, *, mobile=MOBILE, purpose) -> str:
    """Run a whole SMS challenge through the API and return the verification token."""
    created = client.post_json("/api/sms/challenges", {"mobile": mobile, "purpose": purpose})
    assert created.status_code == 201, created.content
    challenge_id = created.json()["challenge_id"]
    verified = client.post_json(f"/api/sms/challenges/{challenge_id}/verify", {"code": last_sms_code()})
    assert verified.status_code == 200, verified.content
    return verified.json()["verification_token"]
