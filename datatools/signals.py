"""Signals the data tools' services send; their receivers live above the services."""

from django.dispatch import Signal

# An export was queued to be written in the background (sent once the transaction commits);
# ``datatools.tasks`` enqueues ``run_export`` for it. Arguments: ``record_id``.
export_queued = Signal()
