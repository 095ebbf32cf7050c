"""Background exports: large exports stream to a private file and the requester is told."""

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def run_export(record_id: int) -> int:
    """Write a recorded export to its private file, then e-mail the requester; returns the row count."""
    from .choices import ExportState
    from .models import ExportRecord
    from .services import export_notify_ready, export_write

    record = (
        ExportRecord.objects.select_related("user", "purpose", "page")
        .filter(pk=record_id, state=ExportState.QUEUED)
        .first()
    )
    if record is None:
        return 0
    export_write(record=record)
    export_notify_ready(record=record)
    logger.info("background export %s ready: %s rows", record.pk, record.row_count)
    return record.row_count
