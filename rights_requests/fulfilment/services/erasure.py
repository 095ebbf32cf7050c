"""Erasure and restriction: tombstones for everything held about the person (or a restriction
while a legal retention period runs), one ledger entry, and the answer about backups."""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from forms import operations
from forms.models import CampaignSubmission, Purpose
from forms.registrations import CancelledBy
from forms.whitelist import list_separator
from rights_requests.models import RightsRequest
from verification.models import SMSChallenge

from ..choices import LedgerAction, LedgerReason, StepKind
from ..models import AccessPackage, FulfilmentStep, RequestSubject, SubmissionStatus
from ..selectors import Subject, rights_requests_of, subject_of_request, submissions_of
from .common import TOMBSTONE, FulfilmentError, _answer, _check, _step, backup_rollover_date
from .ledger import _ledger
from .records import _erase_rows, _mark

logger = logging.getLogger(__name__)

# --- erase and restrict ---------------------------------------------------------------------------


@dataclass
class ErasureResult:
    erased: Counter = field(default_factory=Counter)
    restricted: Counter = field(default_factory=Counter)

    @property
    def erased_count(self) -> int:
        return sum(self.erased.values())

    @property
    def restricted_count(self) -> int:
        return sum(self.restricted.values())


def _scrub_person(subject: Subject) -> list[int]:
    """Drop what the person's own requests carry about them besides the request: package contents,
    correction values and SMS challenges. Returns the SMS challenge ids removed."""
    requests = list(rights_requests_of(subject).values_list("pk", flat=True))
    requests += list(
        RequestSubject.objects.filter(
            Q(mobile_hash__in=subject.hashes) | Q(email_hash__in=subject.hashes)
        ).values_list("rights_request_id", flat=True)
    )
    AccessPackage.objects.filter(rights_request_id__in=requests).update(json_encrypted="", xlsx_encrypted="")
    for step in FulfilmentStep.objects.filter(rights_request_id__in=requests, kind=StepKind.CORRECT):
        step.changes = [{**c, "old": TOMBSTONE, "new": TOMBSTONE} for c in step.changes]
        step.save(update_fields=["changes"])
    challenge_ids = []
    if subject.mobile_hash:
        challenges = SMSChallenge.objects.filter(mobile_hash=subject.mobile_hash)
        challenge_ids = list(challenges.values_list("pk", flat=True))
        challenges.delete()
    return challenge_ids


def erase_submissions(
    *, submission_ids, reason: str, user=None, reference: str = "", subject: Subject | None = None
) -> ErasureResult:
    """Erase the given submissions in one transaction and write one ledger entry.

    Already erased rows are skipped, so erasing twice changes nothing and writes no entry.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = _erase_rows(list(submission_ids), now)
        operations.release_submissions([r.pk for r in rows], by=CancelledBy.ERASURE)
        sms_ids = _scrub_person(subject) if subject else []
        if rows or sms_ids:
            _ledger(
                action=LedgerAction.ERASE,
                reason=reason,
                rows=rows,
                user=user,
                reference=reference,
                sms_ids=sms_ids,
            )
    return ErasureResult(erased=Counter(r.purpose.code for r in rows))


def restrict_submissions(
    *, submission_ids, retain_until: datetime.date, ground: str, user=None, reference: str = ""
) -> ErasureResult:
    """Restrict instead of erasing while a legal retention period runs (§6.5)."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            CampaignSubmission.objects.filter(pk__in=list(submission_ids))
            .exclude(fulfilment_status__erased_at__isnull=False)
            .exclude(fulfilment_status__restricted_at__isnull=False)
            .select_related("purpose")
        )
        if rows:
            _mark([r.pk for r in rows], only_if_null="restricted_at", restricted_at=now)
            SubmissionStatus.objects.filter(submission_id__in=[r.pk for r in rows]).update(
                retain_until=retain_until, restriction_ground=ground[:200]
            )
            _ledger(
                action=LedgerAction.RESTRICT,
                reason=LedgerReason.REQUEST,
                rows=rows,
                user=user,
                reference=reference,
                retain_until=retain_until,
            )
    return ErasureResult(restricted=Counter(r.purpose.code for r in rows))


def erase(
    *, rights_request: RightsRequest, user, retain_until: datetime.date | None = None, ground: str = ""
) -> ErasureResult:
    """Erase (or, while a legal retention period runs, restrict) everything held about the person
    and answer the request, stating when backups roll over. A second call finds nothing to do."""
    rr = rights_request
    _check(rr, user, "erase")
    today = timezone.localdate()
    if retain_until is not None and retain_until <= today:
        raise FulfilmentError({"retain_until": [_("A retention period must end in the future.")]})
    if retain_until is not None and not (ground or "").strip():
        raise FulfilmentError({"ground": [_("Name the law that requires keeping the data.")]})
    subject = subject_of_request(rr)
    # Records already restricted stay so until their legal retention ends (then the purge erases them).
    ids = list(submissions_of(subject).values_list("pk", flat=True))
    with transaction.atomic():
        if retain_until is not None:
            result = restrict_submissions(
                submission_ids=ids,
                retain_until=retain_until,
                ground=ground,
                user=user,
                reference=rr.reference,
            )
            _scrub_person(subject)
        else:
            result = erase_submissions(
                submission_ids=ids,
                reason=LedgerReason.REQUEST,
                user=user,
                reference=rr.reference,
                subject=subject,
            )
        counts = result.erased + result.restricted
        names = {p.code: str(p) for p in Purpose.objects.filter(code__in=counts)}
        per_purpose = (
            list_separator().join(
                _("%(purpose)s: %(count)d") % {"purpose": names.get(code, code), "count": n}
                for code, n in sorted(counts.items())
            )
            or "0"
        )
        kind = StepKind.RESTRICT if retain_until else StepKind.ERASE
        if not counts:
            kind = StepKind.NO_DATA
        _step(rr, user, kind, _("Records per purpose: %(counts)s") % {"counts": per_purpose})
        _answer(rr, user, lambda: erasure_answer_text(result, retain_until=retain_until, ground=ground))
    logger.info(
        "erasure for %s: %d erased, %d restricted", rr.reference, result.erased_count, result.restricted_count
    )
    return result


def erasure_answer_text(result: ErasureResult, *, retain_until=None, ground="") -> str:
    backups = _(
        "Copies in our backups are overwritten as the backups roll over, within %(days)d days (by %(date)s); "
        "if a backup is ever restored, the erasure is applied again."
    ) % {"days": settings.BACKUP_RETENTION_DAYS, "date": f"{backup_rollover_date():%Y-%m-%d}"}
    if retain_until is not None:
        return (
            _(
                "The law (%(ground)s) requires us to keep %(count)d records until %(date)s. Until then they "
                "are restricted: only stored and protected, not used for anything else; then they are erased."
            )
            % {"ground": ground, "count": result.restricted_count, "date": f"{retain_until:%Y-%m-%d}"}
            + " "
            + backups
        )
    if not result.erased_count:
        return _("No data held: we hold no personal information about you in our campaign records.")
    return _("We erased %(count)d records.") % {"count": result.erased_count} + " " + backups
