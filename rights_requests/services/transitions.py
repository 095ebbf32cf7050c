"""Moving a request on: verification, answer, close, withdrawal, expiry and extension."""

import datetime
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from core.phone import mask_mobile

from ..choices import (
    IdentifierProof,
    NotificationEvent,
    Outcome,
    RefusalGround,
    RequestType,
    State,
    VerificationMethod,
)
from ..models import (
    RightsRequest,
)
from .common import (
    MAX_TEXT,
    NON_FIELD,
    OFFICER_OUTCOMES,
    RightsRequestConflict,
    RightsRequestError,
    _add_error,
    _clean_choice,
    _clean_text,
    _expect_state,
    _illegal_message,
    _notify,
    _require_perm,
    _save_transition,
    complaint_notice_text,
    validate_evidence,
)
from .filing import _clean_proof_notes, _consume_token

logger = logging.getLogger(__name__)

# --- Verification -----------------------------------------------------------------------------------


def rights_request_verify_by_sms(*, rights_request: RightsRequest, verification_token) -> RightsRequest:
    """The requester proves the mobile given with the request by passing an SMS challenge.

    Ordinary requests become verified; next-of-kin requests and letters only record that the
    mobile is confirmed and still wait for staff to check the evidence.
    """
    rr = rights_request
    if rr.state != State.RECEIVED:
        raise RightsRequestError({NON_FIELD: [_("This request no longer needs verification.")]})
    if not rr.mobile:
        raise RightsRequestError({"verification_token": [_("This request has no mobile number to verify.")]})
    if not verification_token:
        raise RightsRequestError({"verification_token": [_("Verify your mobile number first.")]})
    try:
        with transaction.atomic():
            _consume_token(verification_token, rr.mobile)
            rr.mobile_confirmed_at = timezone.now()
            rr.mobile_proof, rr.mobile_proof_note = IdentifierProof.SMS, ""
            if rr.needs_staff_verification:
                rr.save(update_fields=["mobile_confirmed_at", "mobile_proof", "mobile_proof_note"])
            else:
                rr.verify(
                    how=VerificationMethod.SMS,
                    by=None,
                    description=_("The requester passed an SMS challenge sent to %(mobile)s.")
                    % {"mobile": mask_mobile(rr.mobile)},
                )
                rr.save()
                _notify(rr, NotificationEvent.VERIFIED)
    except ConcurrentTransition:
        rr.refresh_from_db()
        raise RightsRequestConflict() from None
    return rr


def rights_request_verify(
    *,
    rights_request: RightsRequest,
    user,
    note,
    evidence=None,
    expected_state=None,
    mobile_proof_note="",
    email_proof_note="",
) -> RightsRequest:
    """Staff confirm the requester's identity and write down the evidence they saw.

    Per identifier not yet proven, staff may say how they checked it (``*_proof_note``); the
    request is verified only when at least one identifier is then proven, because only proven
    identifiers ever find the person's records.
    """
    rr = rights_request
    _expect_state(rr, expected_state)
    _require_perm(rr.verify, user)
    errors: dict[str, list[str]] = {}
    clean_note = _clean_text(
        note, key="note", errors=errors, required=True, max_length=MAX_TEXT, label=_("Evidence seen")
    )
    try:
        proof_notes = _clean_proof_notes(
            user=user,
            mobile=rr.mobile_hash,
            email=rr.email_hash,
            mobile_note="" if rr.mobile_proven else mobile_proof_note,
            email_note="" if rr.email_proven else email_proof_note,
        )
    except RightsRequestError as exc:
        errors.update(exc.errors)
        proof_notes = {}
    if not (rr.has_proven_identifier or any(proof_notes.values())) and not errors:
        _add_error(
            errors,
            "mobile_proof_note",
            _(
                "No identifier of this request is proven yet: say how you checked the mobile or the "
                "e-mail belongs to the requester, or wait for the requester's SMS code or e-mail link."
            ),
        )
    validate_evidence(evidence, errors=errors)
    if rr.request_type == RequestType.POSTHUMOUS and not rr.evidence and evidence is None:
        _add_error(
            errors,
            "evidence",
            _(
                "A next-of-kin request needs a document proving the death and the relationship before it is verified."
            ),
        )
    if errors:
        raise RightsRequestError(errors)
    if evidence is not None:
        rr.evidence = evidence
    now = timezone.now()
    if proof_notes.get("mobile"):
        rr.mobile_proof, rr.mobile_proof_note = IdentifierProof.STAFF, proof_notes["mobile"]
    if proof_notes.get("email"):
        rr.prove_email(how=IdentifierProof.STAFF, note=proof_notes["email"], at=now)

    def run():
        rr.verify(how=VerificationMethod.STAFF, note=clean_note, by=user, description=clean_note)

    _save_transition(rr, run, NotificationEvent.VERIFIED)
    return rr


# --- Answer, close, withdraw, expire ---------------------------------------------------------------


def rights_request_answer(
    *,
    rights_request: RightsRequest,
    user,
    outcome,
    response,
    ground="",
    fee_amount=None,
    expected_state=None,
) -> RightsRequest:
    """Answer a verified request. Refusing or asking for a fee needs the privacy officer's
    permission; a refusal names its ground (§6.9 or §1.11), and both tell the requester how
    to complain."""
    rr = rights_request
    _expect_state(rr, expected_state)
    _require_perm(rr.answer, user)
    errors: dict[str, list[str]] = {}
    outcome = _clean_choice(outcome, Outcome, key="outcome", errors=errors, label=_("outcome"))
    clean_response = _clean_text(
        response, key="response", errors=errors, required=True, max_length=MAX_TEXT, label=_("Response")
    )
    ground = ground or ""
    if ground and ground not in RefusalGround.values:
        _add_error(errors, "ground", _("Choose a ground from the list."))
    if outcome == Outcome.REFUSED and not ground:
        _add_error(errors, "ground", _("A refusal must name its ground (policy §6.9 or §1.11)."))
    if ground and outcome in (Outcome.FULFILLED, Outcome.FEE_REQUIRED):
        _add_error(
            errors, "ground", _("A ground is given only when the request is refused in whole or in part.")
        )
    fee = _clean_fee(fee_amount, outcome=outcome, errors=errors)
    if errors:
        raise RightsRequestError(errors)
    if outcome in OFFICER_OUTCOMES and not user.has_perm("rights_requests.refuse_rightsrequest"):
        raise PermissionDenied(_("Only a privacy officer may refuse a request or ask for a fee."))
    notice = complaint_notice_text() if outcome in OFFICER_OUTCOMES else ""

    def run():
        rr.answer(
            outcome=outcome,
            response=clean_response,
            ground=ground,
            fee_amount=fee,
            complaint_notice=notice,
            by=user,
            description=str(Outcome(outcome).label),
        )

    _save_transition(rr, run, NotificationEvent.ANSWERED)
    return rr


def _clean_fee(value, *, outcome: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        if outcome == Outcome.FEE_REQUIRED:
            _add_error(errors, "fee_amount", _("Give the fee to be charged."))
        return None
    if outcome != Outcome.FEE_REQUIRED:
        _add_error(errors, "fee_amount", _("A fee is given only with the outcome “Fee required”."))
        return None
    try:
        fee = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        _add_error(errors, "fee_amount", _("Enter the fee as a number, e.g. 50.00."))
        return None
    if fee <= 0 or fee >= Decimal("100000000"):
        _add_error(errors, "fee_amount", _("The fee must be more than 0."))
        return None
    return fee


def rights_request_close(
    *, rights_request: RightsRequest, user, note="", expected_state=None
) -> RightsRequest:
    rr = rights_request
    _expect_state(rr, expected_state)
    _require_perm(rr.close, user)
    errors: dict[str, list[str]] = {}
    clean_note = _clean_text(
        note, key="note", errors=errors, required=False, max_length=MAX_TEXT, label=_("Note")
    )
    if errors:
        raise RightsRequestError(errors)
    _save_transition(rr, lambda: rr.close(by=user, description=clean_note or None))
    return rr


def rights_request_withdraw(
    *, rights_request: RightsRequest, user=None, note="", expected_state=None
) -> RightsRequest:
    """Close an unanswered request at the requester's wish.

    Without ``user`` the caller has authenticated the requester (the status link's token);
    staff recording a withdrawal received by e-mail, phone or letter need the close permission
    and a note of how the requester asked.
    """
    rr = rights_request
    _expect_state(rr, expected_state)
    errors: dict[str, list[str]] = {}
    if user is not None:
        _require_perm(rr.withdraw, user)
        clean_note = _clean_text(
            note,
            key="note",
            errors=errors,
            required=True,
            max_length=MAX_TEXT,
            label=_("How the requester asked"),
        )
    else:
        clean_note = _("Withdrawn by the requester on the status page.")
        if rr.state not in (State.RECEIVED, State.VERIFIED):
            errors[NON_FIELD] = [_illegal_message(rr, "withdraw")]
    if errors:
        raise RightsRequestError(errors)
    _save_transition(rr, lambda: rr.withdraw(by=user, description=clean_note))
    return rr


def rights_request_expire_unverified(*, rights_request: RightsRequest) -> bool:
    """Close a web request whose mobile was never confirmed in time; False when it does not qualify."""
    rr = rights_request
    if not rr.is_verification_overdue():
        return False
    days = settings.RIGHTS_REQUEST_UNVERIFIED_DAYS
    description = _("Not verified within %(days)d days.") % {"days": days}
    try:
        _save_transition(rr, lambda: rr.expire_unverified(by=None, description=description))
    except RightsRequestError:
        return False
    return True


# --- Extension ---------------------------------------------------------------------------------------


def can_extend(rr: RightsRequest, user) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and user.has_perm("rights_requests.change_rightsrequest")
        and rr.state in (State.RECEIVED, State.VERIFIED)
        and not rr.is_extended
    )


def rights_request_extend(
    *, rights_request: RightsRequest, user, reason, expected_state=None
) -> RightsRequest:
    """Push the due date back once, by ``RIGHTS_REQUEST_EXTENSION_DAYS``, and tell the requester why."""
    rr = rights_request
    _expect_state(rr, expected_state)
    if user is None or not user.is_authenticated or not user.has_perm("rights_requests.change_rightsrequest"):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if rr.state not in (State.RECEIVED, State.VERIFIED):
        _add_error(errors, NON_FIELD, _("Only an unanswered request can be extended."))
    elif rr.is_extended:
        _add_error(errors, NON_FIELD, _("This request has already been extended once."))
    clean_reason = _clean_text(
        reason, key="reason", errors=errors, required=True, max_length=MAX_TEXT, label=_("Reason")
    )
    if errors:
        raise RightsRequestError(errors)
    now = timezone.now()
    new_due = rr.due_date + datetime.timedelta(days=settings.RIGHTS_REQUEST_EXTENSION_DAYS)
    with transaction.atomic():
        # Conditional on the state and on no earlier extension: of two concurrent extensions one wins.
        won = RightsRequest.objects.filter(pk=rr.pk, state=rr.state, extended_at__isnull=True).update(
            extended_at=now, extended_by=user, extension_reason=clean_reason, due_date=new_due
        )
        if won != 1:
            rr.refresh_from_db()
            raise RightsRequestConflict()
        rr.refresh_from_db()
        _notify(rr, NotificationEvent.EXTENDED)
    return rr
