"""The erasure ledger: one entry (no personal data) per erasure, restriction or withdrawal, in
the table and a file, and replaying every entry after a backup is restored."""

import datetime
import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from forms.models import CampaignSubmission
from verification.models import SMSChallenge

from ..choices import LedgerAction
from ..models import LedgerEntry, SubmissionStatus
from .common import CHUNK, ONE_SECOND, _iso, ledger_path
from .records import _erase_rows, _mark

logger = logging.getLogger(__name__)


def _ledger(
    *, action, reason, rows, user=None, reference="", purpose_scope="", retain_until=None, sms_ids=()
):
    entry = LedgerEntry.objects.create(
        action=action,
        reason=reason,
        request_reference=reference,
        by=user if getattr(user, "is_authenticated", False) else None,
        purpose_scope=purpose_scope,
        retain_until=retain_until,
        counts=dict(Counter(r.purpose.code for r in rows)),
        targets=[[r.pk, _iso(r.submit_time)] for r in rows],
        sms_challenge_ids=list(sms_ids),
    )
    line = json.dumps(ledger_line(entry), sort_keys=True)
    transaction.on_commit(lambda: _append_ledger_file(line))
    return entry


def ledger_line(entry: LedgerEntry) -> dict:
    return {
        "uid": str(entry.uid),
        "action": entry.action,
        "reason": entry.reason,
        "created_at": _iso(entry.created_at),
        "request_reference": entry.request_reference,
        "purpose_scope": entry.purpose_scope,
        "retain_until": _iso(entry.retain_until),
        "counts": entry.counts,
        "targets": entry.targets,
        "sms_challenge_ids": entry.sms_challenge_ids,
    }


def _append_ledger_file(line: str) -> None:
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


# --- ledger replay --------------------------------------------------------------------------------


def _file_entries(path: Path) -> list[dict]:
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            logger.error("erasure ledger line %d is not JSON; skipped", number)
    return entries


def _matching_ids(targets) -> list[int]:
    """The target rows that still exist with the same submission time (so a reused id is left alone)."""
    wanted = {int(pk): stamp for pk, stamp in targets}
    keys = list(wanted)
    found = []
    for start in range(0, len(keys), CHUNK):
        found += CampaignSubmission.objects.filter(pk__in=keys[start : start + CHUNK]).values_list(
            "pk", "submit_time"
        )
    ids = []
    for pk, submit_time in found:
        stamp = wanted[pk]
        # Compared to the second: dumps and restores may round sub-second digits.
        if stamp is None or (submit_time and abs(parse_datetime(stamp) - submit_time) < ONE_SECOND):
            ids.append(pk)
    return ids


@dataclass
class ReplayResult:
    entries: int = 0
    restored_entries: int = 0
    erased: int = 0
    restricted: int = 0
    withdrawn: int = 0
    sms_challenges: int = 0


def replay_ledger(*, path: Path | None = None) -> ReplayResult:
    """Apply every ledger entry again (after a restore); idempotent.

    Entries found only in the ledger file (the restored database predates them) are
    put back into the table first.
    """
    result = ReplayResult()
    known = {str(u) for u in LedgerEntry.objects.values_list("uid", flat=True)}
    with transaction.atomic():
        for line in _file_entries(path or ledger_path()):
            if line.get("uid") in known:
                continue
            LedgerEntry.objects.create(
                uid=line["uid"],
                action=line["action"],
                reason=line["reason"],
                created_at=parse_datetime(line["created_at"]),
                request_reference=line.get("request_reference", ""),
                purpose_scope=line.get("purpose_scope", ""),
                retain_until=datetime.date.fromisoformat(line["retain_until"])
                if line.get("retain_until")
                else None,
                counts=line.get("counts", {}),
                targets=line.get("targets", []),
                sms_challenge_ids=line.get("sms_challenge_ids", []),
            )
            known.add(line["uid"])
            result.restored_entries += 1
        now = timezone.now()
        for entry in LedgerEntry.objects.order_by("created_at", "pk"):
            result.entries += 1
            ids = _matching_ids(entry.targets)
            if entry.action == LedgerAction.ERASE:
                result.erased += len(_erase_rows(ids, now))
                if entry.sms_challenge_ids:
                    deleted, _by_model = SMSChallenge.objects.filter(pk__in=entry.sms_challenge_ids).delete()
                    result.sms_challenges += deleted
            elif entry.action == LedgerAction.RESTRICT:
                changed = _mark(ids, only_if_null="restricted_at", restricted_at=entry.created_at)
                SubmissionStatus.objects.filter(submission_id__in=ids, retain_until__isnull=True).update(
                    retain_until=entry.retain_until
                )
                result.restricted += changed
            elif entry.action == LedgerAction.WITHDRAW:
                result.withdrawn += _mark(
                    ids, only_if_null="consent_withdrawn_at", consent_withdrawn_at=entry.created_at
                )
        LedgerEntry.objects.update(replayed_at=now)
    return result
