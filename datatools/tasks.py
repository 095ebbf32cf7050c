"""Background exports: large exports stream to a private file and the requester is told."""

import logging

from django.dispatch import receiver
from django_tasks import task

from .choices import ExportState
from .models import ExportRecord
from .services import export_notify_ready, export_write, export_write_refusal
from .signals import export_queued

logger = logging.getLogger(__name__)


@task()
def run_export(record_id: int) -> int:
    """Write a recorded export to its private file, then e-mail the requester; returns the row count.

    An unmasked export is written only once a second Privacy officer approved it."""
    record = (
        ExportRecord.objects.select_related("user", "purpose", "page")
        .filter(pk=record_id, state=ExportState.QUEUED)
        .first()
    )
    if record is None:
        return 0
    refusal = export_write_refusal(record)
    if refusal:
        # An unmasked export nobody else approved is never written, however it was queued.
        ExportRecord.objects.filter(pk=record.pk, state=ExportState.QUEUED).update(state=ExportState.FAILED)
        logger.warning("export %s not written: %s", record.pk, refusal)
        return 0
    export_write(record=record)
    export_notify_ready(record=record)
    logger.info("background export %s ready: %s rows", record.pk, record.row_count)
    return record.row_count


@receiver(export_queued, dispatch_uid="datatools.queue_export")
def queue_export(sender, record_id: int, **kwargs) -> None:
    run_export.enqueue(record_id=record_id)
