"""The admin's password reset: capped per address and per client, and silent about which addresses exist."""

import re

import pytest
from django.core import mail
from django.test import Client, TestCase

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

KNOWN = "li.lei@example.com"
UNKNOWN = "nobody@example.com"


def reset(address: str, ip: str):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client(REMOTE_ADDR=ip).post("/admin/password_reset/", {"email": address})


def shape(response) -> tuple:
    """What a visitor can tell from an answer: status, redirect, Retry-After, error text."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'"CSRF_TOKEN": "[^"]+"', "", body)
    errors = re.findall(r"(?s)<div class=\"help-block help-critical\"[^>]*>(.*?)</div>", body)
    return (
        response.status_code,
        response.get("Location"),
        response.get("Retry-After") is not None,
        body,
        errors,
    )


@pytest.fixture
def staff_user(db):
    return make_user("li.lei", is_staff=True)


def test_a_flood_for_one_address_is_capped_and_answered_like_any_other(staff_user, clock):
    answers = {KNOWN: [], UNKNOWN: []}
    for i in range(8):
        for address in (KNOWN, UNKNOWN):
            answers[address].append(shape(reset(address, f"10.0.{i}.1")))
        clock.advance(61)

    assert len([m for m in mail.outbox if KNOWN in m.to]) == 5
    assert not [m for m in mail.outbox if UNKNOWN in m.to]
    assert len(mail.outbox) == 5
    for known, unknown in zip(answers[KNOWN], answers[UNKNOWN], strict=True):
        assert known[:3] == unknown[:3]
        assert known[3] == unknown[3].replace(UNKNOWN, KNOWN)
    assert [a[0] for a in answers[KNOWN]] == [302] * 5 + [429] * 3
    assert all(a[1].endswith("/admin/password_reset/done/") for a in answers[KNOWN][:5])
    assert "该号码或地址近期收到的消息过多" in answers[UNKNOWN][-1][3]


def test_one_client_is_capped_across_addresses(staff_user, settings):
    settings.MESSAGE_LIMIT_PER_IP_HOUR = 3
    statuses = [reset(f"user{n}@example.com", "10.9.9.9").status_code for n in range(3)]
    statuses.append(reset(KNOWN, "10.9.9.9").status_code)
    assert statuses == [302, 302, 302, 429]
    assert mail.outbox == []
    assert reset(KNOWN, "10.9.9.10").status_code == 302
    assert len(mail.outbox) == 1


def test_the_reset_mail_is_queued_encrypted(staff_user, dummy_tasks):
    reset(KNOWN, "10.0.0.1")
    (queued,) = dummy_tasks.results
    assert queued.task.name == "send_email"
    assert KNOWN not in repr(queued.args) and "password_reset/confirm" not in repr(queued.args)
