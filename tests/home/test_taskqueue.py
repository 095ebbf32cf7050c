"""Requeueing tasks a dead worker left RUNNING in the database queue."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from demo.loader import load_demo_site
from messaging import services as delivery


@pytest.fixture
def db_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


def _queue_and_claim(subject: str, started_minutes_ago: int):

    delivery.queue_email(to=["visitor@example.com"], subject=subject, body="b", purpose="incident_notice")
    row = DBTaskResult.objects.order_by("-enqueued_at").first()
    row.claim("worker-that-died")
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - timedelta(minutes=started_minutes_ago)
    )
    return row.pk


def _status(pk):

    return DBTaskResult.objects.get(pk=pk).status


def _run(*args) -> str:
    out = io.StringIO()
    call_command("requeue_stalled_tasks", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_task_left_running_is_requeued_and_then_delivered(db_queue):
    """Needs real commits: the worker closes connections that sit inside a transaction."""
    stalled = _queue_and_claim("Stalled", started_minutes_ago=120)
    live = _queue_and_claim("Still running", started_minutes_ago=2)

    listed = _run("--dry-run")
    assert "1 stalled task(s) would be requeued." in listed and str(stalled) in listed
    assert _status(stalled) == TaskResultStatus.RUNNING  # a dry run changes nothing

    assert "1 stalled task(s) requeued." in _run("--older-than", "30")
    assert _status(stalled) == TaskResultStatus.READY
    assert _status(live) == TaskResultStatus.RUNNING

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())
    assert [m.subject for m in mail.outbox] == ["Stalled"]
    assert _status(stalled) == TaskResultStatus.SUCCESSFUL
    assert _status(live) == TaskResultStatus.RUNNING
    assert "0 stalled task(s) requeued." in _run()


@pytest.mark.django_db
def test_refuses_without_a_database_queue_or_with_a_zero_limit(settings, db_queue):
    with pytest.raises(CommandError, match="at least 1 minute"):
        _run("--older-than", "0")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="Nothing to do"):
        _run()


@pytest.mark.django_db
def test_demo_loader_leaves_no_failing_index_tasks(dummy_tasks, django_capture_on_commit_callbacks):
    """Replacing Wagtail's welcome page must not queue index tasks for a page that is then gone."""

    with django_capture_on_commit_callbacks(execute=True):
        load_demo_site()
    queued = list(dummy_tasks.results)
    assert queued, "the demo loader queued no index task at all"
    for result in queued:
        result.task.call(*result.args, **result.kwargs)  # raises what a worker would record as FAILED
