"""The status rows of submissions and the tombstoning of their personal values, shared by
erasure, restriction, withdrawal and the ledger replay."""

from forms.models import CampaignSubmission, SubjectHash

from ..models import SubmissionStatus
from .common import CHUNK, TOMBSTONE


def _mark(ids, *, only_if_null: str, **values) -> int:
    """Set ``values`` on the status rows of submissions ``ids`` (created as needed); returns how many changed."""
    ids = list(ids)
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        existing = set(
            SubmissionStatus.objects.filter(submission_id__in=chunk).values_list("submission_id", flat=True)
        )
        SubmissionStatus.objects.bulk_create(
            [SubmissionStatus(submission_id=i) for i in chunk if i not in existing], ignore_conflicts=True
        )
        changed += SubmissionStatus.objects.filter(
            submission_id__in=chunk, **{f"{only_if_null}__isnull": True}
        ).update(**values)
    return changed


def _erase_rows(ids: list[int], now) -> list:
    """Tombstone the personal values of the submissions ``ids`` (not yet erased); returns the rows."""
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows += _erase_chunk(ids[start : start + CHUNK], now)
    return rows


def _erase_chunk(ids: list[int], now) -> list:
    rows = list(
        CampaignSubmission.objects.filter(pk__in=ids)
        .exclude(fulfilment_status__erased_at__isnull=False)
        .select_related("purpose")
        .only("pk", "form_data", "purpose__code", "submit_time")
    )
    if not rows:
        return []
    groups: dict[tuple, list[int]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row.form_data or {})), []).append(row.pk)
    # One UPDATE per shape of form (few per erasure) instead of a CASE per row.
    for keys, group in groups.items():
        CampaignSubmission.objects.filter(pk__in=group).update(
            form_data=dict.fromkeys(keys, TOMBSTONE), sensitive_data="", user=None
        )
    row_ids = [r.pk for r in rows]
    SubjectHash.objects.filter(submission_id__in=row_ids).delete()
    _mark(row_ids, only_if_null="erased_at", erased_at=now)
    return rows
