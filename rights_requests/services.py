"""Business operations on rights requests, shared by the page, the staff admin and the API.

Every operation is a keyword-only function that validates its input, checks the acting
user's transition permission with ``has_transition_perm`` (a transition called in code
does not), runs the transition and the save in one ``transaction.atomic()`` (so the
django-fsm-log entry and the state change commit or roll back together), and queues the
requester's notification only after commit.
"""

import datetime
import hmac
import logging
import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed, has_transition_perm
from wagtail import hooks
from wagtail.models import Site

from core import ratelimit
from core.crypto import email_hash, encrypt, mobile_hash, normalize_email
from core.phone import mask_mobile, normalize_mobile
from home.models import SiteSettings
from home.services import site_name
from messaging import gate
from messaging.gate import hashed_ip
from messaging.services import queue_email
from verification.services import InvalidToken, token_consume

from .choices import (
    Channel,
    ClosureReason,
    IdentifierProof,
    NotificationEvent,
    Outcome,
    RefusalGround,
    RequestType,
    State,
    VerificationMethod,
)
from .models import (
    EVIDENCE_EXTENSIONS,
    EVIDENCE_MAX_BYTES,
    RightsRequest,
    due_date_for,
    new_reference,
    today,
)
from .selectors import due_soon_requests
from .tasks import notify_requester, site_root_url, staff_recipients

logger = logging.getLogger(__name__)

SMS_PURPOSE = "rights_request"
MAX_DETAILS = 5000
MAX_TEXT = 5000
MAX_RELATIONSHIP = 100
REPEAT_WINDOW_MONTHS = 12
# Outcomes that only a privacy officer may give; the answer then says how to complain.
OFFICER_OUTCOMES = frozenset({Outcome.REFUSED, Outcome.FEE_REQUIRED})
NON_FIELD = "__all__"


class RightsRequestError(Exception):
    """Invalid input or an operation the request's state does not allow; nothing was stored."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {key: [str(m) for m in messages] for key, messages in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


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
    return site_root_url().rstrip("/") + path


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


# --- Requester's status -------------------------------------------------------------------------------


def rights_request_for_status(*, reference, token) -> RightsRequest | None:
    """The request whose reference and status token both match, else None (compared in constant time)."""
    if (
        not isinstance(reference, str)
        or not isinstance(token, str)
        or len(reference) > 20
        or len(token) > 100
    ):
        return None
    rr = RightsRequest.objects.filter(reference=reference.strip().upper()).first()
    expected = rr.status_token if rr is not None else secrets.token_urlsafe(32)
    if hmac.compare_digest(expected.encode(), token.encode()) and rr is not None:
        return rr
    return None


STATUS_PACKAGE_HOOK = "rights_request_status_package"


def status_package(rr: RightsRequest) -> dict | None:
    """The requester's copy of their data, once released (links, size, checksum, expiry), as the
    first ``rights_request_status_package`` hook that answers gives it (the fulfilment sub-app).

    Shown only on the requester's own status page and API (both need the status token), never
    to staff: a package link is the requester's alone.
    """
    for fn in hooks.get_hooks(STATUS_PACKAGE_HOOK):
        package = fn(rr)
        if package is not None:
            return package
    return None


def _identifier_state(has_value: bool, proven: bool) -> str | None:
    if not has_value:
        return None
    return "proven" if proven else "unproven"


def status_payload(rr: RightsRequest) -> dict:
    """What the requester may see about their request (API and status page)."""
    payload = {
        "reference": rr.reference,
        "request_type": rr.request_type,
        "state": rr.state,
        "received_at": rr.received_at.isoformat(),
        "due_at": rr.due_date.isoformat(),
        "extended": rr.is_extended,
        "extension_reason": rr.extension_reason if rr.is_extended else None,
        "closure_reason": rr.closure_reason or None,
        "identifiers": {
            "mobile": _identifier_state(bool(rr.mobile_hash), rr.mobile_proven),
            "email": _identifier_state(bool(rr.email_hash), rr.email_proven),
        },
        "answer": None,
        "package": status_package(rr),
    }
    if rr.answered_at is not None:
        payload["answer"] = {
            "answered_at": rr.answered_at.isoformat(),
            "outcome": rr.outcome,
            "ground": rr.refusal_ground or None,
            "response": rr.response,
            "fee_amount": str(rr.fee_amount) if rr.fee_amount is not None else None,
            "how_to_complain": rr.complaint_notice or None,
        }
    return payload


# --- Scheduled jobs (management commands) ------------------------------------------------------------


def expire_unverified_requests(*, now: datetime.datetime | None = None) -> list[str]:
    """Close every web request whose mobile was not confirmed within RIGHTS_REQUEST_UNVERIFIED_DAYS.

    Returns the references closed; running it again closes nothing more.
    """
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.RIGHTS_REQUEST_UNVERIFIED_DAYS)
    candidates = RightsRequest.objects.filter(
        state=State.RECEIVED, channel=Channel.WEB, mobile_confirmed_at__isnull=True, received_at__lte=limit
    ).order_by("received_at")
    return [rr.reference for rr in candidates if rights_request_expire_unverified(rights_request=rr)]


def remind_due_requests(*, on: datetime.date | None = None) -> tuple[list[str], list[str]]:
    """E-mail staff one list of unanswered requests due within RIGHTS_REQUEST_REMIND_DAYS or overdue.

    Each request is listed at most once a day, so running it again the same day sends
    nothing. Returns (references listed, recipients).
    """

    on = on or today()
    pending = list(
        due_soon_requests(on).filter(Q(last_reminder_on__isnull=True) | Q(last_reminder_on__lt=on))
    )
    if not pending:
        return [], []
    recipients = staff_recipients()
    if not recipients:
        return [], []
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    rows = [
        {
            "rr": rr,
            "days_left": rr.days_left(on),
            "url": base + reverse("rights_requests_rightsrequest_modeladmin_inspect", args=[rr.pk]),
        }
        for rr in pending
    ]
    with translation.override(settings.LANGUAGE_CODE):
        context = {"rows": rows, "on": on, "remind_days": settings.RIGHTS_REQUEST_REMIND_DAYS}
        subject = " ".join(
            render_to_string("rights_requests/notifications/reminder_subject.txt", context).split()
        )
        body = render_to_string("rights_requests/notifications/reminder.txt", context)
    with transaction.atomic():
        RightsRequest.objects.filter(pk__in=[rr.pk for rr in pending]).update(last_reminder_on=on)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return [rr.reference for rr in pending], recipients
