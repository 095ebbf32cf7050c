"""Operations on the database task queue (django-tasks-db).

A ``db_worker`` that is killed mid-task (OOM, a machine lost, ``kill -9``) leaves its task
``RUNNING`` for ever: no other worker claims a running task. ``requeue_stalled`` puts such
tasks back in the queue. Every task here is safe to run again: a delivery sends one whole
message (at worst twice, never lost), an access package is built and the request answered
in one transaction, and an export stays queued until its file is complete.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


class NotADatabaseQueue(Exception):
    """The configured task backend keeps no queue in the database."""


@dataclass(frozen=True)
class StalledTask:
    id: str
    task_name: str
    started_at: object
    worker_ids: tuple[str, ...]


def uses_database_queue(alias: str = "default") -> bool:
    return settings.TASKS.get(alias, {}).get("BACKEND") == DATABASE_BACKEND


def requeue_stalled(*, older_than: timedelta, dry_run: bool = False) -> list[StalledTask]:
    """Make tasks that have been RUNNING longer than ``older_than`` READY again.

    Only rows still RUNNING and still as old at the moment of the update are changed, so a
    task that finishes meanwhile is left alone. Returns the tasks found (requeued unless
    ``dry_run``).
    """
    if older_than < timedelta(0):
        raise ValueError("older_than must not be negative")
    if not uses_database_queue():
        raise NotADatabaseQueue(
            f"TASKS['default'] uses {settings.TASKS.get('default', {}).get('BACKEND')!r}, not {DATABASE_BACKEND}."
        )
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        rows = DBTaskResult.objects.select_for_update().filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff
        )
        found = [
            StalledTask(str(row.id), row.task_path, row.started_at, tuple(row.worker_ids or ()))
            for row in rows.only("id", "task_path", "started_at", "worker_ids").order_by("started_at")
        ]
        if found and not dry_run:
            rows.filter(id__in=[t.id for t in found]).update(status=TaskResultStatus.READY)
    for stalled in found:
        logger.warning(
            "task %s (%s) running since %s on %s: %s",
            stalled.id,
            stalled.task_name,
            stalled.started_at.isoformat(),
            ",".join(stalled.worker_ids) or "?",
            "would requeue" if dry_run else "requeued",
        )
    return found
