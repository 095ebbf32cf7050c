"""Filing a request, and proving the e-mail it gives."""

import hmac
import logging
import secrets

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import ratelimit
from core.crypto import email_hash, encrypt, mobile_hash, normalize_email
from core.phone import mask_mobile, normalize_mobile
from home.links import absolute_url
from home.services import site_name
from messaging import gate
from messaging.gate import hashed_ip
from messaging.services import queue_email
from verification.services import InvalidToken, token_consume

from ..choices import (
    Channel,
    IdentifierProof,
    NotificationEvent,
    RequestType,
    State,
    VerificationMethod,
)
from ..models import (
    RightsRequest,
    due_date_for,
    new_reference,
)
from .common import (
    MAX_DETAILS,
    MAX_RELATIONSHIP,
    MAX_TEXT,
    NON_FIELD,
    SMS_PURPOSE,
    RightsRequestError,
    _add_error,
    _clean_choice,
    _clean_text,
    _notify,
    earlier_requests,
    validate_evidence,
)

logger = logging.getLogger(__name__)

# --- Filing -------------------------------------------------------------------------------------


def rights_request_validate(
    *,
    request_type,
    mobile,
    email,
    details,
    channel=Channel.WEB,
    relationship=None,
    evidence=None,
    verification_token=None,
    user=None,
) -> dict:
    """Check a new request's input without storing anything; returns the cleaned values.

    The page calls it before sending an SMS code so that a visitor is not asked for a
    code only to be told afterwards that the form was incomplete.
    """
    errors: dict[str, list[str]] = {}
    if user is not None and not user.has_perm("rights_requests.add_rightsrequest"):
        raise PermissionDenied
    request_type = _clean_choice(
        request_type, RequestType, key="request_type", errors=errors, label=_("right")
    )
    channel = _clean_choice(channel, Channel, key="channel", errors=errors, label=_("channel"))
    if user is None and channel and channel != Channel.WEB:
        _add_error(errors, "channel", _("Requests by e-mail, phone or letter are registered by staff."))

    e164 = ""
    if mobile not in (None, ""):
        try:
            e164 = normalize_mobile(mobile)
        except ValidationError as exc:
            errors.setdefault("mobile", []).extend(str(m) for m in exc.messages)
    elif channel == Channel.WEB:
        _add_error(errors, "mobile", _("Enter a mobile number: we verify it with an SMS code."))

    clean_email = ""
    if email not in (None, ""):
        clean_email = normalize_email(str(email))
        try:
            validate_email(clean_email)
        except ValidationError:
            _add_error(errors, "email", _("Enter a valid e-mail address."))
    if not e164 and not clean_email and "mobile" not in errors:
        _add_error(errors, "mobile", _("Give a mobile number or an e-mail address so that we can answer."))

    clean_details = _clean_text(
        details,
        key="details",
        errors=errors,
        required=request_type in (RequestType.CORRECT, RequestType.COMPLAINT, RequestType.TRANSFER),
        max_length=MAX_DETAILS,
        label=_("Details"),
    )
    clean_relationship = _clean_text(
        relationship,
        key="relationship",
        errors=errors,
        required=request_type == RequestType.POSTHUMOUS,
        max_length=MAX_RELATIONSHIP,
        label=_("Relationship to the deceased"),
    )
    validate_evidence(evidence, errors=errors)
    if verification_token and not e164 and "mobile" not in errors:
        _add_error(errors, "verification_token", _("A verification needs the mobile number it was made for."))
    if errors:
        raise RightsRequestError(errors)
    return {
        "request_type": request_type,
        "channel": channel,
        "mobile": e164,
        "email": clean_email,
        "details": clean_details,
        "relationship": clean_relationship,
    }


def rights_request_create(
    *,
    request_type,
    mobile,
    email,
    details,
    channel=Channel.WEB,
    ip,
    verification_token=None,
    relationship=None,
    evidence=None,
    user=None,
    mobile_proof_note="",
    email_proof_note="",
) -> RightsRequest:
    """File a request. A valid ``verification_token`` (SMS challenge, purpose ``rights_request``,
    same mobile) verifies it at once, except next-of-kin requests and letters, which staff verify
    against evidence. ``user`` is the staff member registering a request that came by e-mail,
    phone or letter; without ``user`` only the web channel is accepted.

    Each identifier is recorded as proven or not: the mobile by the SMS token, or — for staff
    registering a request — by ``mobile_proof_note`` / ``email_proof_note`` saying how staff
    checked it. An unproven e-mail is sent a confirmation link; until it is followed the
    address is never used to find records nor to deliver them.

    The returned request carries ``status_token`` (the secret of its status link).
    """
    cleaned = rights_request_validate(
        request_type=request_type,
        mobile=mobile,
        email=email,
        details=details,
        channel=channel,
        relationship=relationship,
        evidence=evidence,
        verification_token=verification_token,
        user=user,
    )
    request_type, channel = cleaned["request_type"], cleaned["channel"]
    e164, clean_email = cleaned["mobile"], cleaned["email"]
    clean_details, clean_relationship = cleaned["details"], cleaned["relationship"]
    proof_notes = _clean_proof_notes(
        user=user, mobile=e164, email=clean_email, mobile_note=mobile_proof_note, email_note=email_proof_note
    )
    admissions: dict[str, object] = {}
    if user is None:
        _limit_filing(ip)
        admissions = _admit_filing_messages(mobile=e164, email=clean_email, ip=ip)
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    rr = RightsRequest(
        status_token_encrypted=encrypt(token),
        request_type=request_type,
        channel=channel,
        mobile_encrypted=encrypt(e164) if e164 else "",
        mobile_hash=mobile_hash(e164) if e164 else "",
        email_encrypted=encrypt(clean_email) if clean_email else "",
        email_hash=email_hash(clean_email) if clean_email else "",
        details_encrypted=encrypt(clean_details) if clean_details else "",
        relationship=clean_relationship,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        registered_by=user,
        received_at=now,
        due_date=due_date_for(now),
    )
    if evidence is not None:
        rr.evidence = evidence
    if proof_notes.get("mobile"):
        rr.mobile_proof, rr.mobile_proof_note = IdentifierProof.STAFF, proof_notes["mobile"]
    if proof_notes.get("email"):
        rr.prove_email(how=IdentifierProof.STAFF, note=proof_notes["email"], at=now)

    with transaction.atomic():
        if verification_token:
            _consume_token(verification_token, e164)
            rr.mobile_confirmed_at = now
            rr.mobile_proof, rr.mobile_proof_note = IdentifierProof.SMS, ""
        rr.repeat_count = earlier_requests(
            request_type=request_type, mobile_hash=rr.mobile_hash, email_hash=rr.email_hash, before=now
        ).count()
        rr.reference = _unique_reference(now)
        rr.save()
        if verification_token and not rr.needs_staff_verification:
            rr.verify(
                how=VerificationMethod.SMS,
                by=None,
                description=_("The requester passed an SMS challenge sent to %(mobile)s.")
                % {"mobile": mask_mobile(e164)},
            )
            rr.save()
        _notify(
            rr,
            NotificationEvent.RECEIVED,
            admitted=[c for c in ("sms",) if admissions.get(c)],
            withheld=[c for c in ("sms",) if c in admissions and admissions[c] is None],
        )
        if rr.email and not rr.email_proven and (user is not None or admissions.get("email")):
            _queue_email_confirmation(rr, admission=admissions.get("email"))
    rr.withheld_messages = [
        channel
        for channel, value in (("sms", e164), ("email", clean_email if not rr.email_proven else ""))
        if user is None and value and admissions.get(channel) is None
    ]
    if rr.withheld_messages:
        logger.info(
            "rights request %s: %s withheld by the message limits", rr.reference, rr.withheld_messages
        )
    logger.info("rights request %s filed (%s, %s)", rr.reference, rr.request_type, rr.channel)
    return rr


def withheld_message_texts(rr: RightsRequest) -> list[str]:
    """What to tell a requester whose receipt SMS or confirmation e-mail the limits withheld."""
    texts = []
    withheld = getattr(rr, "withheld_messages", [])
    if "sms" in withheld:
        texts.append(
            _(
                "We did not send a confirmation SMS: this number received too many messages recently. "
                "Your request is filed; keep this page's address to follow it."
            )
        )
    if "email" in withheld:
        texts.append(
            _(
                "We could not send the e-mail confirmation link now: this address received too many "
                "messages recently. Until the address is confirmed we answer by SMS and on this page."
            )
        )
    return texts


def _admit_filing_messages(*, mobile: str, email: str, ip) -> dict[str, object]:
    """Admit the receipt SMS and the confirmation e-mail of a request a visitor files.

    The request itself is never refused for its recipient's limits: a right cannot be
    blocked by whoever else sent messages to that number or address. A message over them
    is withheld instead (the filing answer carries the reference and the status link, and
    says so). Limits of the visitor's own network or of the whole site refuse the filing,
    storing nothing (``RightsRequestRateLimited``).
    """

    admissions: dict[str, object] = {}
    for channel, recipient, purpose in (
        ("sms", mobile, "rights_request_received"),
        ("email", email, "email_confirmation"),
    ):
        if not recipient:
            continue
        try:
            admissions[channel] = gate.admit(channel=channel, recipient=recipient, purpose=purpose, ip=ip)
        except gate.SendRefused as exc:
            if exc.reason != "recipient":
                raise RightsRequestRateLimited(exc.retry_after, message=exc.message) from None
            admissions[channel] = None
    return admissions


def _clean_proof_notes(*, user, mobile: str, email: str, mobile_note, email_note) -> dict[str, str]:
    """Staff say, per identifier, how they checked it belongs to the requester (else it stays unproven)."""
    notes = {"mobile": mobile_note, "email": email_note}
    if user is None:
        if any(notes.values()):
            raise PermissionDenied
        return {}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key, value, label in (
        ("mobile", mobile, _("How the mobile was checked")),
        ("email", email, _("How the e-mail was checked")),
    ):
        text = _clean_text(
            notes[key],
            key=f"{key}_proof_note",
            errors=errors,
            required=False,
            max_length=MAX_TEXT,
            label=label,
        )
        if text and not value:
            _add_error(errors, f"{key}_proof_note", _("There is no such identifier to have checked."))
        cleaned[key] = text
    if errors:
        raise RightsRequestError(errors)
    return cleaned


# --- Proving the e-mail ------------------------------------------------------------------------

EMAIL_CONFIRM_SALT = "rights_requests.email-confirm.v1"


def email_confirmation_token(rr: RightsRequest) -> str:
    """A signed token naming the request and the address it was sent to (bound by the address hash)."""

    return signing.dumps({"r": rr.pk, "h": rr.email_hash[:24]}, salt=EMAIL_CONFIRM_SALT)


def email_confirmation_url(rr: RightsRequest) -> str:

    path = reverse("rights_requests:confirm_email", kwargs={"token": email_confirmation_token(rr)})
    return absolute_url(path)


def _queue_email_confirmation(rr: RightsRequest, *, admission=None) -> None:

    with translation.override(rr.language or settings.LANGUAGE_CODE):
        context = {
            "rr": rr,
            "url": email_confirmation_url(rr),
            "days": settings.RIGHTS_REQUEST_EMAIL_CONFIRM_DAYS,
            "site_name": site_name(),
        }
        subject = _("Confirm your e-mail address for request %(reference)s") % {"reference": rr.reference}
        body = render_to_string("rights_requests/notifications/confirm_email.txt", context)
    if admission is None:
        queue_email(to=[rr.email], subject=subject, body=body, purpose="rights_request_notice")
    else:
        queue_email(
            to=[rr.email], subject=subject, body=body, purpose="email_confirmation", admission=admission
        )


def rights_request_for_email_token(*, token) -> RightsRequest | None:
    """The request a confirmation token names, if the token is genuine, unexpired and still fits."""

    if not isinstance(token, str) or not token or len(token) > 300:
        return None
    try:
        payload = signing.loads(
            token, salt=EMAIL_CONFIRM_SALT, max_age=settings.RIGHTS_REQUEST_EMAIL_CONFIRM_DAYS * 86400
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        return None
    rr = RightsRequest.objects.filter(pk=payload["r"]).first()
    if rr is None or not rr.email_hash or not hmac.compare_digest(rr.email_hash[:24], str(payload.get("h"))):
        return None
    return rr


def rights_request_confirm_email(*, token) -> RightsRequest:
    """The requester followed the link sent to the address: from now on the e-mail is proven."""
    rr = rights_request_for_email_token(token=token)
    if rr is None:
        raise RightsRequestError({NON_FIELD: [_("This confirmation link is not valid or has expired.")]})
    if rr.state == State.CLOSED:
        raise RightsRequestError({NON_FIELD: [_("This request is closed.")]})
    if not rr.email_proven:
        RightsRequest.objects.filter(pk=rr.pk, email_proof="").update(
            email_proof=IdentifierProof.EMAIL_LINK, email_confirmed_at=timezone.now()
        )
        rr.refresh_from_db()
        logger.info("rights request %s: e-mail confirmed by link", rr.reference)
    return rr


class RightsRequestRateLimited(RightsRequestError):
    """Too many requests filed from one address; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int, message: str | None = None):
        self.retry_after = retry_after
        super().__init__({NON_FIELD: [message or _("Too many requests from your network. Try again later.")]})


def _limit_filing(ip) -> None:

    limit = ratelimit.Limit("rights-request-ip", settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR, 3600)
    try:
        ratelimit.hit([(limit, hashed_ip(ip))])
    except ratelimit.LimitExceeded as exc:
        raise RightsRequestRateLimited(exc.retry_after) from None
    except ratelimit.LimiterUnavailable:
        raise RightsRequestRateLimited(60) from None


def _unique_reference(now) -> str:
    for _attempt in range(20):
        reference = new_reference(now)
        if not RightsRequest.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("could not draw an unused rights-request reference")


def _consume_token(token: str, e164: str) -> None:

    try:
        token_consume(token=token, mobile=e164, purpose=SMS_PURPOSE)
    except InvalidToken as exc:
        raise RightsRequestError({"verification_token": [str(exc.message)]}) from None
