"""Erasure without a request: past retention, minors without a guardian's consent, and rows
chosen in a campaign's submissions listing."""

import datetime
import logging
from collections import Counter

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from forms.models import CampaignSubmission, Purpose
from forms.selectors import submissions_visible_to

from ..choices import LedgerReason
from ..selectors import minors_without_guardian_consent
from .common import FULFIL_PERMISSION, FulfilmentError
from .erasure import ErasureResult, erase_submissions

logger = logging.getLogger(__name__)

# --- retention and minors -------------------------------------------------------------------------


def expired_submissions(now: datetime.datetime | None = None):
    """Submissions past their purpose's retention period, or whose legal retention ended.

    Records still under a running legal retention period are kept.
    """
    now = now or timezone.now()
    past_purpose = Q(pk__in=[])
    for purpose_id, days in Purpose.objects.values_list("pk", "retention_days"):
        past_purpose |= Q(purpose_id=purpose_id, submit_time__lt=now - datetime.timedelta(days=days))
    retention_running = Q(fulfilment_status__retain_until__gte=timezone.localdate(now))
    past_legal = Q(fulfilment_status__retain_until__lt=timezone.localdate(now))
    return (
        CampaignSubmission.objects.exclude(fulfilment_status__erased_at__isnull=False)
        .filter((past_purpose & ~retention_running) | past_legal)
        .select_related("purpose")
    )


def purge_expired(*, now: datetime.datetime | None = None, dry_run: bool = False) -> Counter:
    """Erase what is past retention (same erasure as a request); returns counts per purpose."""
    rows = list(expired_submissions(now).values_list("pk", "purpose__code"))
    counts = Counter(code for _pk, code in rows)
    if dry_run or not rows:
        return counts
    result = erase_submissions(submission_ids=[pk for pk, _code in rows], reason=LedgerReason.RETENTION)
    return result.erased


def erase_minors_without_consent(*, user, submission_ids=None) -> ErasureResult:
    """Delete, in one action, minors' data collected without a guardian's consent (§4)."""
    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    queryset = minors_without_guardian_consent()
    if submission_ids is not None:
        queryset = queryset.filter(pk__in=list(submission_ids))
    return erase_submissions(
        submission_ids=list(queryset.values_list("pk", flat=True)), reason=LedgerReason.MINOR, user=user
    )


# --- erasing from a campaign's submissions listing -------------------------------------------------

ERASE_LISTED_ACTION = "fulfilment.erase_listed_submissions"


def may_erase_listed_submissions(user) -> bool:
    """Removing a submission from a campaign's listing is an erasure: for privacy staff only."""
    return bool(user.is_active and user.has_perm(FULFIL_PERMISSION))


def erasable_submissions(*, user, page, submission_ids):
    """The chosen submissions of ``page`` that ``user`` sees in its listing and may erase."""
    if not may_erase_listed_submissions(user):
        raise PermissionDenied
    ids = [int(i) for i in submission_ids if str(i).isdigit()]
    return submissions_visible_to(user, queryset=page.get_submissions()).filter(pk__in=ids)


def erase_listed_submissions(*, user, page, submission_ids) -> ErasureResult:
    """Erase submissions chosen in ``page``'s listing instead of deleting them.

    Values become tombstones, one ledger entry records ids and counts, and the page's
    history says who erased how many. Nothing is deleted, so a restored backup can be
    brought back in step by replaying the ledger.
    """
    ids = list(
        erasable_submissions(user=user, page=page, submission_ids=submission_ids).values_list("pk", flat=True)
    )
    if not ids:
        raise FulfilmentError(_("Choose the submissions to erase."))
    with transaction.atomic():
        result = erase_submissions(submission_ids=ids, reason=LedgerReason.LISTING, user=user)
        log(
            instance=page,
            action=ERASE_LISTED_ACTION,
            user=user,
            data={"count": result.erased_count, "submission_ids": ids},
        )
    logger.info(
        "%d submissions of page %s erased from its listing by user %s", result.erased_count, page.pk, user.pk
    )
    return result
