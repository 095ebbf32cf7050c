"""Next of kin: whose data a posthumous request concerns, and a person's own arrangement for
their data after death (§6.8)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from core import crypto
from core.phone import normalize_mobile
from rights_requests.choices import RequestType, State, VerificationMethod
from rights_requests.models import RightsRequest

from ..choices import Arrangement, StepKind
from ..models import PosthumousArrangement, RequestSubject
from .common import FULFIL_PERMISSION, FulfilmentError, _step

# --- next of kin ----------------------------------------------------------------------------------


def _hashes(mobile, email) -> tuple[str, str, str, str, dict]:
    errors: dict[str, list[str]] = {}
    e164 = ""
    if mobile:
        try:
            e164 = normalize_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = [str(m) for m in exc.messages]
    clean_email = crypto.normalize_email(email or "")
    if clean_email:
        try:
            validate_email(clean_email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if not e164 and not clean_email and not errors:
        errors["mobile"] = [_("Give a mobile number or an e-mail address.")]
    mobile_hash = crypto.mobile_hash(e164) if e164 else ""
    email_hash = crypto.email_hash(clean_email) if clean_email else ""
    return e164, clean_email, mobile_hash, email_hash, errors


def set_deceased(*, rights_request: RightsRequest, user, mobile: str = "", email: str = "") -> RequestSubject:
    """Record whose data a verified next-of-kin request concerns."""
    rr = rights_request
    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    if rr.request_type != RequestType.POSTHUMOUS:
        raise FulfilmentError(_("Only next-of-kin requests concern someone other than the requester."))
    if rr.state != State.VERIFIED or rr.verification_method != VerificationMethod.STAFF:
        raise FulfilmentError(_("A next-of-kin request must be verified by staff against evidence first."))
    if user.pk in {rr.verified_by_id, rr.registered_by_id}:
        # Four eyes: naming whose data a relative may act on (even erase) is not left to the one
        # person who registered the request or checked its evidence.
        raise FulfilmentError(
            _(
                "A second person must record whose data this is: you registered this request or "
                "checked its evidence."
            )
        )
    e164, clean_email, mobile_hash, email_hash, errors = _hashes(mobile, email)
    if errors:
        raise FulfilmentError(errors)
    with transaction.atomic():
        subject, _created = RequestSubject.objects.update_or_create(
            rights_request=rr,
            defaults={
                "mobile_hash": mobile_hash,
                "email_hash": email_hash,
                "mobile_encrypted": crypto.encrypt(e164) if e164 else "",
                "email_encrypted": crypto.encrypt(clean_email) if clean_email else "",
                "set_by": user,
            },
        )
        _step(rr, user, StepKind.SUBJECT, _("Deceased person identified by staff."))
    rr.fulfilment_subject = subject
    return subject


def arrangement_record(*, user, mobile: str = "", email: str = "", instruction: str) -> PosthumousArrangement:
    """Record a person's own written arrangement for their data after death (§6.8)."""
    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    _e164, _email, mobile_hash, email_hash, errors = _hashes(mobile, email)
    if instruction not in Arrangement.values:
        errors["instruction"] = [_("Choose an instruction from the list.")]
    if errors:
        raise FulfilmentError(errors)
    return PosthumousArrangement.objects.create(
        mobile_hash=mobile_hash, email_hash=email_hash, instruction=instruction, recorded_by=user
    )
