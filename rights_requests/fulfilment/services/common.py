"""What every fulfilment operation shares: the error, permissions, limits and the checks that
guard each operation on a request, its history steps and its answer."""

import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from rights_requests.choices import Outcome, RequestType, State, VerificationMethod
from rights_requests.models import RightsRequest
from rights_requests.services import RightsRequestError, rights_request_answer

from ..choices import Arrangement
from ..models import FulfilmentStep
from ..selectors import arrangement_for, subject_of_request

TOMBSTONE = "[erased]"
ONE_SECOND = datetime.timedelta(seconds=1)
CHUNK = 500
PACKAGE_FORMAT = "policy-forms.access-package/1"
FULFIL_PERMISSION = "fulfilment.fulfil_rightsrequest"
APPROVE_TRANSFER_PERMISSION = "fulfilment.approve_transfer"
APPROVE_CLEAR_PERMISSION = "fulfilment.approve_clear_package"
UNMASKED_PERMISSION = "forms.view_unmasked_personal_data"
MAX_REASON = 2000

# What each right allows staff to do; next of kin only access, copy, correct and delete (§6.8).
ACTIONS_BY_TYPE = {
    RequestType.ACCESS: {"package"},
    RequestType.COPY: {"package"},
    RequestType.TRANSFER: {"transfer"},
    RequestType.CORRECT: {"correct"},
    RequestType.WITHDRAW_CONSENT: {"withdraw"},
    RequestType.DELETE: {"erase"},
    RequestType.DEREGISTER: {"erase"},
    RequestType.POSTHUMOUS: {"package", "correct", "erase"},
}
ARRANGEMENT_ALLOWS = {
    Arrangement.NEXT_OF_KIN: {"package", "correct", "erase"},
    Arrangement.NO_ACCESS: {"erase"},
    Arrangement.DELETE: {"erase"},
}


class FulfilmentError(ServiceError):
    """Invalid input or an action the request does not allow; nothing was changed.

    ``errors`` maps a field (or ``__all__``) to its messages; a single message goes under ``__all__``.
    """

    def __init__(self, errors: dict[str, list[str]] | str):
        super().__init__(errors)


# --- helpers -------------------------------------------------------------------------------------


def package_ttl() -> datetime.timedelta:
    return datetime.timedelta(days=settings.ACCESS_PACKAGE_TTL_DAYS)


def ledger_path() -> Path:
    configured = settings.ERASURE_LEDGER_PATH
    return Path(configured) if configured else Path(settings.PRIVATE_MEDIA_ROOT) / "erasure-ledger.jsonl"


def backup_rollover_date(now: datetime.datetime | None = None) -> datetime.date:
    return ((now or timezone.now()) + datetime.timedelta(days=settings.BACKUP_RETENTION_DAYS)).date()


def allowed_actions(rr: RightsRequest) -> set[str]:
    """Actions the request's right allows now; for next of kin, narrowed by the deceased's arrangement."""
    actions = set(ACTIONS_BY_TYPE.get(rr.request_type, set()))
    if rr.request_type == RequestType.POSTHUMOUS:
        if not hasattr(rr, "fulfilment_subject"):
            return set()
        arrangement = arrangement_for(subject_of_request(rr))
        if arrangement is not None:
            actions &= ARRANGEMENT_ALLOWS[arrangement.instruction]
    return actions


def _check(rr: RightsRequest, user, action: str) -> None:
    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    if rr.state != State.VERIFIED:
        raise FulfilmentError(_("Only a verified request can be fulfilled."))
    if not rr.has_proven_identifier:
        raise FulfilmentError(
            _(
                "No identifier of this request is proven: records are found only by a mobile or e-mail "
                "the requester proved (SMS code, e-mail link) or that staff recorded how they checked."
            )
        )
    if rr.request_type == RequestType.POSTHUMOUS:
        if rr.verification_method != VerificationMethod.STAFF:
            raise FulfilmentError(
                _("A next-of-kin request must be verified by staff against evidence first.")
            )
        if not hasattr(rr, "fulfilment_subject"):
            raise FulfilmentError(_("Record whose data the next-of-kin request concerns first."))
    if action not in allowed_actions(rr):
        arrangement = (
            arrangement_for(subject_of_request(rr)) if rr.request_type == RequestType.POSTHUMOUS else None
        )
        if arrangement is not None:
            raise FulfilmentError(
                _("The person's own arrangement (%(arrangement)s) does not allow this.")
                % {"arrangement": arrangement.get_instruction_display()}
            )
        raise FulfilmentError(
            _("A request of type “%(type)s” cannot be fulfilled this way.")
            % {"type": rr.get_request_type_display()}
        )


def _answer(rr: RightsRequest, user, response, outcome=Outcome.FULFILLED) -> None:
    """Answer ``rr``; ``response`` is a callable giving the text, written in the requester's language."""
    with translation.override(rr.language or settings.LANGUAGE_CODE):
        response = str(response())

    try:
        rights_request_answer(
            rights_request=rr, user=user, outcome=outcome, response=response, expected_state=State.VERIFIED
        )
    except RightsRequestError as exc:
        raise FulfilmentError(exc.errors) from exc


def _step(rr, user, kind, summary, changes=None) -> FulfilmentStep:
    return FulfilmentStep.objects.create(
        rights_request=rr,
        kind=kind,
        by=user if getattr(user, "is_authenticated", False) else None,
        summary=summary,
        changes=changes or [],
    )


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _local_iso(value):
    """A moment as the person reads it: Beijing time with its offset (``…+08:00``), as the site shows it."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).isoformat()
    return _iso(value)
