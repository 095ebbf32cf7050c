"""Fixtures for the security tests: canary data planted once per module, rolled back after it."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import caches
from django.db import transaction
from django.test.utils import override_settings
from django.utils import translation

from messaging.backends import locmem
from tests.limits import relaxed_message_limits

from .canary import build_world


@pytest.fixture(scope="module")
def canary_world(django_db_setup, django_db_blocker):
    """The canaries of ``tests.security.canary``, built once for the whole module.

    Everything is created inside one outer transaction; each test runs in a savepoint of it
    (pytest-django's ``db``), so what a request changes is undone after the test, and the
    outer transaction is rolled back when the module is done.
    """

    tmp = Path(tempfile.mkdtemp(prefix="role-matrix-"))
    overrides = override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "role-matrix"}
        },
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        SMS_BACKEND="messaging.backends.locmem.SMSBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        **relaxed_message_limits(),
        MEDIA_ROOT=tmp / "media",
        PRIVATE_MEDIA_ROOT=tmp / "private",
        ERASURE_LEDGER_PATH=tmp / "ledger.jsonl",
    )
    overrides.enable()
    caches["default"].clear()
    locmem.outbox.clear()
    mail.outbox = []
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with translation.override("en"):
                world = build_world()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            overrides.disable()
            caches["default"].clear()
            locmem.outbox.clear()
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def world(canary_world, db):
    """The canary world for one test, with fresh rate-limit counters and outboxes."""
    caches["default"].clear()
    locmem.outbox.clear()
    mail.outbox = []
    return canary_world
