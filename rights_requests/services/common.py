"""Errors, limits and helpers shared by the rights-request services."""

import datetime
import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed, has_transition_perm
from wagtail.models import Site

from core.exceptions import ServiceError
from home.models import SiteSettings

from ..choices import (
    ClosureReason,
    Outcome,
)
from ..models import (
    EVIDENCE_EXTENSIONS,
    EVIDENCE_MAX_BYTES,
    RightsRequest,
)
from ..tasks import notify_requester

logger = logging.getLogger(__name__)


SMS_PURPOSE = "rights_request"
MAX_DETAILS = 5000
MAX_TEXT = 5000
MAX_RELATIONSHIP = 100
REPEAT_WINDOW_MONTHS = 12
# Outcomes that only a privacy officer may give; the answer then says how to complain.
OFFICER_OUTCOMES = frozenset({Outcome.REFUSED, Outcome.FEE_REQUIRED})
NON_FIELD = "__all__"


class RightsRequestError(ServiceError):
    """Invalid input or an operation the request's state does not allow; nothing was stored."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)

    def describe(self) -> str:
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())


class RightsRequestConflict(RightsRequestError):
    """Someone else changed the request between reading and saving it."""

    def __init__(self):
        super().__init__({NON_FIELD: [_("This request was changed by someone else — reload the page.")]})


# --- Helpers ------------------------------------------------------------------------------------


def _add_error(errors: dict, key: str, message) -> None:
    errors.setdefault(key, []).append(str(message))


def _clean_text(value, *, key: str, errors: dict, required: bool, max_length: int, label: str) -> str:
    text = "" if value is None else str(value).replace("\x00", "").strip()
    if required and not text:
        _add_error(errors, key, _("%(field)s is required.") % {"field": label})
    elif len(text) > max_length:
        _add_error(
            errors,
            key,
            _("%(field)s is too long (at most %(max)d characters).") % {"field": label, "max": max_length},
        )
    return text


def _clean_choice(value, choices, *, key: str, errors: dict, label: str) -> str:
    if value in choices.values:
        return value
    _add_error(errors, key, _("Choose a valid %(field)s.") % {"field": label})
    return ""


def validate_evidence(evidence, *, errors: dict, key: str = "evidence") -> None:
    if evidence is None:
        return
    name = getattr(evidence, "name", "") or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in EVIDENCE_EXTENSIONS:
        _add_error(
            errors,
            key,
            _("Upload a PDF, JPG or PNG file (%(extensions)s).")
            % {"extensions": ", ".join(EVIDENCE_EXTENSIONS)},
        )
    elif getattr(evidence, "size", 0) > EVIDENCE_MAX_BYTES:
        _add_error(errors, key, _("The file is larger than 10 MB."))
    elif getattr(evidence, "size", 0) == 0:
        _add_error(errors, key, _("The file is empty."))


def _require_perm(bound_transition, user) -> None:
    """403 unless ``user`` holds this transition's permission; a clear error when the state forbids it."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    rr = bound_transition.__self__
    meta = bound_transition._django_fsm
    if not any(t.has_perm(rr, user) for t in meta.transitions.values()):
        raise PermissionDenied
    if not has_transition_perm(bound_transition, user):
        raise RightsRequestError({NON_FIELD: [_illegal_message(rr, bound_transition.__name__)]})


TRANSITION_PAST = {
    "verify": gettext_lazy("verified"),
    "answer": gettext_lazy("answered"),
    "close": gettext_lazy("closed"),
    "withdraw": gettext_lazy("withdrawn"),
    "expire_unverified": gettext_lazy("expired"),
}


def _illegal_message(rr: RightsRequest, name: str) -> str:
    return _("A request that is %(state)s cannot be %(action)s.") % {
        "state": str(rr.get_state_display()).lower(),
        "action": TRANSITION_PAST.get(name, name),
    }


def _expect_state(rr: RightsRequest, expected_state: str | None) -> None:
    """A form posted from a page showing another state than the current one is stale."""
    if expected_state is not None and expected_state != rr.state:
        raise RightsRequestConflict()


def _save_transition(rr: RightsRequest, run, event: str | None = None) -> None:
    """Run the transition and save inside one atomic block; a lost race becomes a conflict."""
    try:
        with transaction.atomic():
            run()
            rr.save()
            if event:
                _notify(rr, event)
    except ConcurrentTransition:
        rr.refresh_from_db()
        raise RightsRequestConflict() from None
    except TransitionNotAllowed:
        rr.refresh_from_db()
        raise RightsRequestError(
            {NON_FIELD: [_("This action is not possible in the request's current state.")]}
        ) from None


def _notify(rr: RightsRequest, event: str, *, admitted=(), withheld=()) -> None:
    """Queue the requester's notice after commit. ``admitted`` and ``withheld`` list the channels
    the visitor's own filing admitted or withheld (``forms.sms.gate``); the rest are service notices."""

    extra = {}
    if admitted:
        extra["admitted"] = list(admitted)
    if withheld:
        extra["withheld"] = list(withheld)
    transaction.on_commit(lambda: notify_requester.enqueue(rights_request_id=rr.pk, event=event, **extra))


def _year_earlier(moment: datetime.datetime, months: int) -> datetime.datetime:
    years, rest = divmod(months, 12)
    year, month = moment.year - years, moment.month - rest
    if month < 1:
        year, month = year - 1, month + 12
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def earlier_requests(
    *,
    request_type: str,
    mobile_hash: str = "",
    email_hash: str = "",
    before: datetime.datetime,
    exclude_pk=None,
):
    """Requests of the same type by the same person (mobile or e-mail hash) in the 12 months before ``before``."""
    person = Q()
    if mobile_hash:
        person |= Q(mobile_hash=mobile_hash)
    if email_hash:
        person |= Q(email_hash=email_hash)
    if not person:
        return RightsRequest.objects.none()
    since = _year_earlier(before, REPEAT_WINDOW_MONTHS)
    qs = RightsRequest.objects.filter(
        person, request_type=request_type, received_at__gte=since, received_at__lte=before
    ).exclude(closure_reason=ClosureReason.EXPIRED)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def complaint_notice_text() -> str:
    """How the requester can complain (policy §6.9 and §8), from the site settings."""

    site = Site.objects.filter(is_default_site=True).first()
    values = SiteSettings.for_site(site) if site is not None else SiteSettings()
    return _(
        "If you are not satisfied with this answer, you can complain to our privacy officer at "
        "%(email)s or call %(hotline)s. You can also complain to the cyberspace, telecommunications, "
        "public security or market regulation authorities."
    ) % {"email": values.privacy_officer_email, "hotline": values.privacy_hotline}
