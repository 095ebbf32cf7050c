"""Withdrawal of consent: marking the person's submissions, one purpose or all."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forms import operations
from forms.models import Purpose
from forms.registrations import CancelledBy
from rights_requests.models import RightsRequest

from ..choices import LedgerAction, LedgerReason, StepKind
from ..selectors import subject_of_request, submissions_of
from .common import FulfilmentError, _answer, _check, _step
from .ledger import _ledger
from .records import _mark

logger = logging.getLogger(__name__)

# --- withdraw consent -----------------------------------------------------------------------------


def withdraw_consent(*, rights_request: RightsRequest, user, purpose_code: str = "") -> int:
    """Record the withdrawal of consent on the person's submissions (one purpose, or all) (§6.4).

    Later processing (marketing listings and exports) leaves them out; earlier
    processing stays as it was and nothing is deleted. Returns how many were marked.
    """
    rr = rights_request
    _check(rr, user, "withdraw")
    if purpose_code and not Purpose.objects.filter(code=purpose_code).exists():
        raise FulfilmentError({"purpose": [_("Choose a purpose from the list.")]})
    submissions = submissions_of(subject_of_request(rr))
    if purpose_code:
        submissions = submissions.filter(purpose__code=purpose_code)
    now = timezone.now()
    with transaction.atomic():
        rows = list(submissions)
        marked = _mark([r.pk for r in rows], consent_withdrawn_at=now, only_if_null="consent_withdrawn_at")
        operations.release_submissions([r.pk for r in rows], by=CancelledBy.WITHDRAWAL)
        entry = _ledger(
            action=LedgerAction.WITHDRAW,
            reason=LedgerReason.REQUEST,
            rows=rows,
            user=user,
            reference=rr.reference,
            purpose_scope=purpose_code,
        )
        scope = purpose_code or _("all purposes")
        _step(
            rr,
            user,
            StepKind.WITHDRAW,
            _("%(count)d records, scope: %(scope)s") % {"count": marked, "scope": scope},
        )
        _answer(
            rr,
            user,
            lambda: (
                _(
                    "We recorded the withdrawal of your consent (%(scope)s) on %(date)s for %(count)d records. "
                    "We no longer process them on the basis of that consent; processing before the withdrawal "
                    "remains lawful."
                )
                % {"scope": scope, "date": f"{now:%Y-%m-%d}", "count": len(rows)}
            ),
        )
    logger.info("consent withdrawn for %s: %d records (ledger %s)", rr.reference, marked, entry.uid)
    return marked


def withdraw_for_cancelled_sign_up(*, registration, user=None) -> None:
    """A visitor cancelled their sign-up through their own link: that is the withdrawal of their
    consent for this campaign's submission (§6.4), recorded and written to the ledger as one."""
    submission = registration.submission
    marked = _mark([submission.pk], consent_withdrawn_at=timezone.now(), only_if_null="consent_withdrawn_at")
    if marked:
        _ledger(
            action=LedgerAction.WITHDRAW,
            reason=LedgerReason.SIGN_UP_LINK,
            rows=[submission],
            user=user,
            purpose_scope=submission.purpose.code,
        )
