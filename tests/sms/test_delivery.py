import io
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import crypto
from messaging import services as delivery
from messaging import tasks
from messaging.backends import SMSDeliveryError, SMSMessage, get_connection, locmem
from messaging.backends.file import latest_message
from verification import services

pytestmark = pytest.mark.django_db


def test_console_backend_writes_the_message():
    stream = io.StringIO()
    connection = get_connection("messaging.backends.console.SMSBackend", stream=stream)
    assert connection.send_messages([SMSMessage(to="+8613800138000", body="code 123456")]) == 1
    assert "+8613800138000" in stream.getvalue() and "code 123456" in stream.getvalue()


def test_file_backend_writes_one_file_per_message(tmp_path, settings):
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    connection = get_connection("messaging.backends.file.SMSBackend")
    connection.send_messages([SMSMessage(to="+8613800138000", body="first 111111")])
    connection.send_messages([SMSMessage(to="+8613800138001", body="other 222222")])
    connection.send_messages([SMSMessage(to="+8613800138000", body="second 333333")])
    assert len(list((tmp_path / "sms").iterdir())) == 3
    assert latest_message("+8613800138000") == "second 333333"
    assert latest_message("13800138001") == "other 222222"
    assert latest_message("+8613900000000") is None


def test_locmem_backend_keeps_an_outbox():
    get_connection().send_messages([SMSMessage(to="+8613800138000", body="hello")])
    assert [m.body for m in locmem.outbox] == ["hello"]


def test_queued_sms_task_holds_no_clear_number_or_code(dummy_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.challenge_create(mobile="13800138000", purpose="event", ip="203.0.113.7")
    (result,) = dummy_tasks.results
    assert result.task.name == "send_sms"
    stored = json.dumps([result.args, result.kwargs])
    assert "13800138000" not in stored
    payload = json.loads(crypto.decrypt(result.args[0]))
    assert payload["body"] and payload["body"] not in stored
    assert payload["params"]["code"] not in stored
    assert locmem.outbox == []
    result.task.call(*result.args)
    assert locmem.outbox[0].to == "+8613800138000"


def test_sms_reaching_the_worker_after_expiry_is_dropped(caplog):
    payload = crypto.encrypt(
        json.dumps(
            {
                "to": "+8613800138000",
                "body": "code 123456",
                "params": {},
                "expires_at": (timezone.now() - timedelta(seconds=1)).isoformat(),
            }
        )
    )
    assert tasks.send_sms.call(payload) == 0
    assert locmem.outbox == []
    assert "13800138000" not in caplog.text


def test_email_task_sends_after_commit(dummy_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery.queue_email(
            to=["visitor@example.com"],
            subject="Hello",
            body="Link: https://x.test/d/abc",
            purpose="incident_notice",
        )
        assert dummy_tasks.results == []
    (result,) = dummy_tasks.results
    assert "visitor@example.com" not in json.dumps(result.args)
    assert "https://x.test/d/abc" not in json.dumps(result.args)
    result.task.call(*result.args)
    (message,) = mail.outbox
    assert message.to == ["visitor@example.com"] and message.subject == "Hello"


def test_immediate_backend_delivers_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery.queue_sms(to="+8613800138000", body="hi", purpose="incident_notice")
        assert locmem.outbox == []
    assert [m.body for m in locmem.outbox] == ["hi"]


class DownBackend:
    def __init__(self, fail_silently=False, **kwargs):
        pass

    def send_messages(self, messages):
        raise SMSDeliveryError("gateway unavailable after 3 attempts (HTTP 503)")


def test_failed_sms_is_queued_again_with_backoff(dummy_tasks, settings):
    settings.SMS_BACKEND = f"{__name__}.DownBackend"
    payload = crypto.encrypt(json.dumps({"to": "+8613800138000", "body": "code 123456", "params": {}}))
    with pytest.raises(tasks.DeliveryFailed) as exc:
        tasks.send_sms.call(payload)
    assert "13800138000" not in str(exc.value)
    assert exc.value.__suppress_context__
    (retry,) = dummy_tasks.results
    assert retry.kwargs == {"attempt": 2}
    assert retry.args == [payload]
    assert retry.task.run_after > timezone.now() + timedelta(seconds=50)


def test_retries_stop_after_the_last_attempt(dummy_tasks, settings):
    settings.SMS_BACKEND = f"{__name__}.DownBackend"
    settings.DELIVERY_MAX_ATTEMPTS = 3
    payload = crypto.encrypt(json.dumps({"to": "+8613800138000", "body": "x", "params": {}}))
    with pytest.raises(tasks.DeliveryFailed):
        tasks.send_sms.call(payload, attempt=3)
    assert dummy_tasks.results == []


def test_failed_email_is_queued_again_and_error_hides_the_address(dummy_tasks, refusing_mail):
    payload = crypto.encrypt(
        json.dumps({"to": ["visitor@example.com"], "subject": "s", "body": "b", "html": None})
    )
    with pytest.raises(tasks.DeliveryFailed) as exc:
        tasks.send_email.call(payload)
    assert "visitor@example.com" not in str(exc.value)
    assert exc.value.__suppress_context__
    (retry,) = dummy_tasks.results
    assert retry.kwargs == {"attempt": 2}


@pytest.mark.django_db(transaction=True)
def test_messages_wait_in_the_database_queue_until_a_worker_runs(settings):
    """Needs real commits: the worker closes connections that sit inside a transaction."""

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    delivery.queue_sms(to="+8613800138000", body="queued while the worker is down", purpose="incident_notice")
    delivery.queue_email(to=["visitor@example.com"], subject="Queued", body="link", purpose="incident_notice")
    assert DBTaskResult.objects.count() == 2
    assert "13800138000" not in json.dumps(list(DBTaskResult.objects.values_list("args_kwargs", flat=True)))
    assert locmem.outbox == [] and mail.outbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())
    assert [m.body for m in locmem.outbox] == ["queued while the worker is down"]
    assert [m.subject for m in mail.outbox] == ["Queued"]
