"""SMS verification: send a code, check it, and hand out a single-use token.

The page form, the JSON API and rights requests all call these functions; none of
them stores or logs a code or a clear mobile. A challenge answers the same whether
or not the number is known to the site: nothing here looks the number up.

    challenge_create(mobile=..., purpose=..., ip=...)      -> SMSChallenge
    challenge_verify(challenge_id=..., code=..., ip=...)   -> verification token
    token_consume(token=..., mobile=..., purpose=...)      -> SMSChallenge (once)
"""

import ipaddress
import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import crypto, ratelimit
from core.exceptions import NON_FIELD, ServiceError
from core.phone import mask_mobile, normalize_mobile
from home.services import site_name
from messaging import gate
from messaging.services import queue_sms

from . import tokens
from .models import SMSChallenge

logger = logging.getLogger(__name__)

NON_FORM_PURPOSES = ("rights_request", "self_service")
POLICY_PURPOSES = (
    "registration",
    "download",
    "consultation",
    "survey",
    "event",
    "training",
    "compatibility",
    "recruitment_account",
    "job_application",
    "trial",
    "partner_upgrade",
)


def conf(name: str) -> int:
    """An integer setting; every default is declared once, in ``cms/settings/base.py``."""
    return int(getattr(settings, name))


# --- Errors ------------------------------------------------------------------------


class SMSError(ServiceError):
    """Base of every refusal; ``message`` is shown to the visitor, ``code`` is for machines."""

    default_message = _("The verification could not be completed.")
    default_code = "sms_error"

    def __init__(self, message=None, *, code: str | None = None):
        message = message if message is not None else self.default_message
        super().__init__({NON_FIELD: [message]}, code=code)
        # Kept lazy, so it renders in the language of the response that shows it.
        self.message = message

    def __str__(self):
        return str(self.message)


class RateLimited(SMSError):
    default_code = "rate_limited"

    def __init__(self, message=None, *, retry_after: int, code: str | None = None):
        self.retry_after = max(1, int(retry_after))
        if message is None:
            message = ngettext(
                "Too many requests. Try again in %(seconds)d second.",
                "Too many requests. Try again in %(seconds)d seconds.",
                self.retry_after,
            ) % {"seconds": self.retry_after}
        super().__init__(message, code=code)

    @classmethod
    def from_refusal(cls, exc: "gate.SendRefused") -> "RateLimited":
        if isinstance(exc, gate.ProofRequired):
            return ProofRequired(exc)
        return cls(exc.message, retry_after=exc.retry_after, code=exc.scope)


class ProofRequired(RateLimited):
    """The number had several codes lately: send ``challenge`` solved (``messaging.pow``) as ``proof``."""

    def __init__(self, refusal: "gate.ProofRequired"):
        self.challenge = refusal.challenge
        self.invalid = refusal.invalid
        super().__init__(refusal.message, retry_after=refusal.retry_after, code="proof_required")


class InvalidCode(SMSError):
    default_code = "invalid_code"

    def __init__(self, message=None, *, attempts_left: int):
        self.attempts_left = max(0, int(attempts_left))
        if message is None:
            if self.attempts_left:
                message = ngettext(
                    "The code is not correct. %(count)d attempt left.",
                    "The code is not correct. %(count)d attempts left.",
                    self.attempts_left,
                ) % {"count": self.attempts_left}
            else:
                message = _("The code is not correct. This code is now locked; request a new one.")
        super().__init__(message)


class ChallengeGone(SMSError):
    default_code = "challenge_gone"
    MESSAGES = {
        "expired": _("This code has expired. Request a new one."),
        "locked": _("Too many wrong codes. This code is locked; request a new one."),
        "used": _("This code has already been used. Request a new one."),
    }

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(self.MESSAGES[reason], code=reason)


class InvalidToken(SMSError):
    default_message = _(
        "The mobile verification is missing, expired or was made for another number or form. "
        "Verify your mobile number again."
    )
    default_code = "invalid_token"


# --- Purposes ----------------------------------------------------------------------


def _purpose_model():
    """The campaign purposes, by name: the forms app sits above this one."""
    try:
        return apps.get_model("forms", "Purpose")
    except LookupError:
        return None


def check_purpose(purpose) -> str:
    """Return ``purpose`` when a challenge may be sent for it, else raise ``ValidationError``."""
    if not isinstance(purpose, str) or not purpose or len(purpose) > 64:
        raise ValidationError(_("Unknown purpose."), code="unknown_purpose")
    if purpose in NON_FORM_PURPOSES:
        return purpose
    Purpose = _purpose_model()
    if Purpose is None:
        if purpose in POLICY_PURPOSES:
            return purpose
        raise ValidationError(_("Unknown purpose."), code="unknown_purpose")
    found = Purpose.objects.filter(code=purpose).first()
    if found is None:
        raise ValidationError(_("Unknown purpose."), code="unknown_purpose")
    if getattr(found, "sms_required", True) is False:
        raise ValidationError(_("This purpose does not use SMS verification."), code="sms_not_required")
    return purpose


# --- Limits ------------------------------------------------------------------------


def resend_after_seconds() -> int:
    """Seconds a visitor waits before another code may go to the same number."""
    return conf("SMS_RESEND_INTERVAL")


def _clean_ip(ip) -> str | None:
    try:
        return str(ipaddress.ip_address(str(ip).strip()))
    except ValueError:
        return None


def _verify_limits(*, challenge_id: str, ip) -> list[tuple[ratelimit.Limit, str]]:
    return [
        (ratelimit.Limit("sms-verify-ip", conf("SMS_VERIFY_LIMIT_PER_IP_HOUR"), 3600), gate.hashed_ip(ip)),
        (
            ratelimit.Limit(
                "sms-verify-challenge", conf("SMS_VERIFY_LIMIT_PER_CHALLENGE"), conf("SMS_CODE_TTL")
            ),
            challenge_id[:64],
        ),
    ]


def _enforce(checks) -> None:
    try:
        ratelimit.hit(checks)
    except ratelimit.LimitExceeded as exc:
        raise RateLimited(retry_after=exc.retry_after, code=exc.limit.scope) from None
    except ratelimit.LimiterUnavailable:
        raise RateLimited(
            _("Verification is temporarily unavailable. Try again in a minute."),
            retry_after=60,
            code="unavailable",
        ) from None


# --- Messages ----------------------------------------------------------------------


def render_code_message(*, code: str, minutes: int) -> str:
    text = render_to_string(
        "sms/verification_code.txt", {"site_name": site_name(), "code": code, "minutes": minutes}
    )
    return " ".join(text.split())


# --- Operations --------------------------------------------------------------------


def code_purpose(purpose: str) -> str:
    """The gate's purpose for a verification code of challenge purpose ``purpose``."""
    return f"code:{purpose}"


def challenge_create(*, mobile: str, purpose: str, ip: str, proof: str | None = None) -> SMSChallenge:
    """Send a new code to ``mobile`` for ``purpose``.

    Raises ``ValidationError`` for a bad mobile or purpose and ``RateLimited`` when any
    sending limit is reached or cannot be checked (``ProofRequired``, a ``RateLimited``,
    when the number had several messages lately and ``proof`` is missing or not a fresh
    solution of the challenge it carries); nothing is stored then.
    """
    e164 = normalize_mobile(mobile)
    purpose = check_purpose(purpose)
    client_ip = _clean_ip(ip)
    try:
        admission = gate.admit(
            channel="sms",
            recipient=e164,
            purpose=code_purpose(purpose),
            ip=client_ip,
            proof=proof,
            use_proof=True,
        )
    except gate.SendRefused as exc:
        raise RateLimited.from_refusal(exc) from None

    code = tokens.new_code()
    public_id = tokens.new_public_id()
    now = timezone.now()
    ttl = conf("SMS_CODE_TTL")
    minutes = max(1, ttl // 60)
    with transaction.atomic():
        challenge = SMSChallenge.objects.create(
            public_id=public_id,
            purpose=purpose,
            mobile_encrypted=crypto.encrypt(e164),
            mobile_hash=crypto.mobile_hash(e164),
            code_hmac=tokens.code_hmac(public_id=public_id, mobile=e164, purpose=purpose, code=code),
            requested_ip=client_ip,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
        queue_sms(
            to=e164,
            body=render_code_message(code=code, minutes=minutes),
            purpose=code_purpose(purpose),
            admission=admission,
            template_params={"code": code, "minutes": minutes},
            expires_at=challenge.expires_at,
        )
    logger.info("sms challenge %s created for %s (%s)", challenge.pk, mask_mobile(e164), purpose)
    return challenge


def _gone_reason(challenge, now, max_attempts: int, *, refresh: bool = True) -> str | None:
    """Why ``challenge`` can no longer be verified, or None while it is open."""
    if refresh:
        try:
            challenge.refresh_from_db(fields=["verified_at", "locked_at", "attempts", "expires_at"])
        except SMSChallenge.DoesNotExist:
            return "expired"
    if challenge.verified_at is not None:
        return "used"
    if challenge.locked_at is not None or challenge.attempts >= max_attempts:
        return "locked"
    if challenge.is_expired(now):
        return "expired"
    return None if not refresh else "expired"


def challenge_verify(*, challenge_id: str, code: str, ip: str) -> str:
    """Check ``code`` against the challenge and return a signed verification token.

    Raises ``RateLimited`` (too many attempts from this IP or on this challenge),
    ``ValidationError`` (not six digits; costs no attempt), ``ChallengeGone``
    (expired, locked or already verified) or ``InvalidCode`` (with attempts left).
    Wrong attempts are also counted in the cache, which no rollback can undo.
    """
    challenge_id = str(challenge_id or "")
    _enforce(_verify_limits(challenge_id=challenge_id, ip=ip))
    normalized = tokens.normalize_code(code)
    if normalized is None:
        raise ValidationError(_("Enter the 6-digit code from the SMS."), code="invalid_code_format")

    challenge = SMSChallenge.objects.filter(public_id=challenge_id).first()
    if challenge is None:
        raise ChallengeGone("expired")
    now = timezone.now()
    max_attempts = conf("SMS_CODE_MAX_ATTEMPTS")
    reason = _gone_reason(challenge, now, max_attempts, refresh=False)
    if reason is not None:
        raise ChallengeGone(reason)

    open_rows = SMSChallenge.objects.filter(
        pk=challenge.pk,
        verified_at__isnull=True,
        locked_at__isnull=True,
        attempts__lt=max_attempts,
        expires_at__gt=now,
    )
    if tokens.code_matches(
        challenge.code_hmac,
        public_id=challenge.public_id,
        mobile=challenge.mobile,
        purpose=challenge.purpose,
        code=normalized,
    ):
        if open_rows.update(verified_at=now) != 1:
            raise ChallengeGone(_gone_reason(challenge, now, max_attempts))
        logger.info("sms challenge %s verified", challenge.pk)
        return tokens.make_verification_token(
            public_id=challenge.public_id, mobile_hash=challenge.mobile_hash, purpose=challenge.purpose
        )

    if open_rows.update(attempts=F("attempts") + 1) != 1:
        raise ChallengeGone(_gone_reason(challenge, now, max_attempts))
    SMSChallenge.objects.filter(pk=challenge.pk, attempts__gte=max_attempts, locked_at__isnull=True).update(
        locked_at=now
    )
    challenge.refresh_from_db(fields=["attempts", "locked_at"])
    logger.info("sms challenge %s: wrong code (%d/%d)", challenge.pk, challenge.attempts, max_attempts)
    raise InvalidCode(attempts_left=max_attempts - challenge.attempts)


def token_consume(*, token: str, mobile: str, purpose: str) -> SMSChallenge:
    """Spend a verification token for ``mobile`` and ``purpose``; it works once.

    Call inside the transaction that stores what the token authorizes: the use is
    recorded by a conditional UPDATE, so of two concurrent consumers one wins and
    the other gets ``InvalidToken``, and a rollback gives the token back.
    """
    payload = tokens.read_verification_token(token, max_age=conf("SMS_TOKEN_TTL"))
    if payload is None:
        raise InvalidToken()
    try:
        e164 = normalize_mobile(mobile)
    except ValidationError:
        raise InvalidToken() from None
    mobile_hash = crypto.mobile_hash(e164)
    if not (constant_time_compare(payload["m"], mobile_hash) and payload["p"] == purpose):
        raise InvalidToken()
    now = timezone.now()
    consumed = SMSChallenge.objects.filter(
        public_id=payload["c"],
        mobile_hash=mobile_hash,
        purpose=purpose,
        verified_at__isnull=False,
        verified_at__gt=now - timedelta(seconds=conf("SMS_TOKEN_TTL")),
        consumed_at__isnull=True,
    ).update(consumed_at=now)
    if consumed != 1:
        raise InvalidToken()
    return SMSChallenge.objects.get(public_id=payload["c"])


def challenge_purge(*, older_than_days: int) -> int:
    """Delete challenges created more than ``older_than_days`` days ago; return how many.

    A challenge is only needed for minutes (its code) and its token's lifetime; after
    that it is kept for abuse investigation until this purge removes it (§5: no
    longer than the purpose needs).
    """
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _by_model = SMSChallenge.objects.filter(created_at__lt=cutoff).delete()
    logger.info("purged %d sms challenges older than %d days", deleted, older_than_days)
    return deleted
