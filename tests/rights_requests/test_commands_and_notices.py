"""remind_due_requests, expire_unverified_requests, and what the requester is told."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from messaging.backends import locmem
from rights_requests import services
from rights_requests.choices import State
from rights_requests.models import RightsRequest, today
from rights_requests.tasks import notify_requester

from .conftest import file_request, prove_email

pytestmark = pytest.mark.django_db


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def set_due(rr, days_from_today):
    RightsRequest.objects.filter(pk=rr.pk).update(due_date=today() + datetime.timedelta(days=days_from_today))


def test_remind_lists_due_soon_and_overdue_once_a_day(privacy_staff, privacy_officer, marketer):
    soon, late, later, answered = (file_request(mobile=f"1380013800{i}") for i in range(4))
    set_due(soon, 2)
    set_due(late, -1)
    set_due(later, 10)
    services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=answered,
        user=privacy_staff,
        note="Seen.",
    )
    services.rights_request_answer(
        rights_request=answered, user=privacy_staff, outcome="fulfilled", response="x"
    )
    set_due(answered, 1)
    mail.outbox = []

    output = run("remind_due_requests")
    assert "2 request(s)" in output
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([privacy_staff.email, privacy_officer.email])
    assert soon.reference in message.body and late.reference in message.body
    assert later.reference not in message.body and answered.reference not in message.body
    assert "13800138" not in message.body

    assert "No reminders" in run("remind_due_requests")
    assert len(mail.outbox) == 1
    next_day = (today() + datetime.timedelta(days=1)).isoformat()
    assert "2 request(s)" in run("remind_due_requests", "--date", next_day)


def test_remind_rejects_a_bad_date():
    with pytest.raises(CommandError):
        run("remind_due_requests", "--date", "yesterday")


def test_expire_closes_only_old_unconfirmed_web_requests(privacy_staff):
    old = file_request()
    recent = file_request(mobile="13900139000")
    letter = services.rights_request_create(
        request_type="access",
        channel="letter",
        mobile="",
        email="x@example.com",
        details="",
        ip="",
        user=privacy_staff,
    )
    eight_days_ago = timezone.now() - datetime.timedelta(days=8)
    RightsRequest.objects.filter(pk__in=[old.pk, letter.pk]).update(received_at=eight_days_ago)

    output = run("expire_unverified_requests")
    assert old.reference in output and recent.reference not in output and letter.reference not in output
    old.refresh_from_db()
    assert old.state == State.CLOSED and old.closure_reason == "expired"
    assert "No unverified requests" in run("expire_unverified_requests")


def test_requester_is_told_at_each_step(privacy_staff):
    with TestCase.captureOnCommitCallbacks(execute=True):
        rr = file_request()
    # An address nobody proved gets its confirmation link only, no status link and no notices.
    assert [m.to for m in mail.outbox] == [["li.lei@example.com"]]
    assert rr.status_token not in mail.outbox[0].body
    assert "/rights-requests/confirm-email/" in mail.outbox[0].body
    assert rr.reference in locmem.outbox[-1].body
    prove_email(rr)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.rights_request_verify(
            mobile_proof_note="Called back the number on file.",
            rights_request=rr,
            user=privacy_staff,
            note="Seen.",
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.rights_request_extend(
            rights_request=rr, user=privacy_staff, reason="Backups must be searched."
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.rights_request_answer(
            rights_request=rr, user=privacy_staff, outcome="partially_fulfilled", response="Part done."
        )
    assert len(mail.outbox) == 4
    assert "Backups must be searched." in mail.outbox[2].body
    assert "Part done." in mail.outbox[3].body
    assert len(locmem.outbox) == 4
    for message in [*mail.outbox[1:], *locmem.outbox]:
        assert rr.status_token in message.body


def test_nothing_is_sent_when_the_transaction_rolls_back(privacy_staff):
    rr = file_request()
    mail.outbox = []
    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(services.RightsRequestError):
        services.rights_request_close(rights_request=rr, user=privacy_staff)
    assert mail.outbox == []


def test_refusal_notice_tells_how_to_complain(privacy_staff, privacy_officer):
    rr = file_request()
    services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=rr,
        user=privacy_staff,
        note="Seen.",
    )
    prove_email(rr)
    mail.outbox = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.rights_request_answer(
            rights_request=rr,
            user=privacy_officer,
            outcome="refused",
            ground="legal_obligation",
            response="We must keep these records.",
        )
    assert "privacy@example.com" in mail.outbox[0].body


def test_filing_limit_per_ip(settings):
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 2
    file_request()
    file_request()
    with pytest.raises(services.RightsRequestRateLimited) as exc:
        file_request()
    assert exc.value.retry_after > 0
    assert RightsRequest.objects.count() == 2


def test_a_failing_email_does_not_stop_the_sms(refusing_mail, caplog):
    """Each channel is its own queued delivery, retried on its own; the SMS still goes."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        rr = file_request()
    assert rr.reference in locmem.outbox[-1].body
    assert "received notice sent by sms" in caplog.text
    assert "li.lei@example.com" not in caplog.text


def test_the_notice_email_is_queued_encrypted(dummy_tasks, django_capture_on_commit_callbacks):

    with django_capture_on_commit_callbacks(execute=True):
        rr = file_request()
    (notice,) = [r for r in dummy_tasks.results if r.task.name == "notify_requester"]
    prove_email(rr)
    dummy_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify_requester.call(**notice.kwargs)
    names = sorted(r.task.name for r in dummy_tasks.results)
    assert names == ["send_email", "send_sms"]
    queued = repr([(r.args, r.kwargs) for r in dummy_tasks.results])
    assert "li.lei@example.com" not in queued and rr.reference not in queued
