"""The one SMS verification step every surface uses: campaign pages, rights requests, "my data"
and the JSON API.

``send_code`` and ``check_code`` call the services and turn every refusal into an ``Outcome``:
the HTTP status to answer with, the errors keyed by the input they belong to, and — whenever
waiting helps — ``retry_after``, which ``Outcome.apply`` always sends as ``Retry-After``. A
surface only renders the outcome (a page, a JSON body, an API error); none of them maps the
services' exceptions itself, so they cannot drift apart again.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import NON_FIELD
from core.phone import normalize_mobile

from . import services
from .models import SMSChallenge


@dataclass
class Outcome:
    """What one "send code" or "verify" came to."""

    ok: bool
    status: int
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Why it was refused: "invalid" (input), "proof_required", "rate_limited", "wrong_code",
    # "gone" (expired, locked, used) or "refused" (any other refusal of the service).
    kind: str = ""
    retry_after: int | None = None
    pow: dict | None = None
    challenge: SMSChallenge | None = None
    token: str | None = None
    attempts_left: int | None = None
    reason: str | None = None

    @property
    def message(self) -> str:
        """The first error, for a surface that shows one line."""
        for messages in self.errors.values():
            if messages:
                return messages[0]
        return ""

    @property
    def expires_in(self) -> int:
        if self.challenge is None:
            return 0
        return max(0, int((self.challenge.expires_at - timezone.now()).total_seconds()))

    @property
    def resend_after(self) -> int:
        return services.resend_after_seconds()

    @property
    def code_step(self) -> bool:
        """Whether the visitor should still see the code input (a code was sent and can be tried)."""
        if self.ok:
            return self.challenge is not None
        return self.attempts_left is not None and self.attempts_left > 0

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after)))} if self.retry_after else {}

    def apply(self, response):
        """``response`` with the outcome's headers (``Retry-After`` when waiting helps)."""
        for name, value in self.headers().items():
            response[name] = value
        return response


PURPOSE_ERROR_CODES = {"unknown_purpose", "sms_not_required"}


def _refused(status: int, key: str, messages, *, kind: str, **extra) -> Outcome:
    return Outcome(ok=False, status=status, errors={key: [str(m) for m in messages]}, kind=kind, **extra)


def _invalid(exc: ValidationError, key: str) -> Outcome:
    """A ``ValidationError`` under the input it is about (the purpose, else ``key``)."""
    errors: dict[str, list[str]] = {}
    for error in exc.error_list:
        target = "purpose" if error.code in PURPOSE_ERROR_CODES else key
        errors.setdefault(target, []).extend(str(m) for m in error.messages)
    return Outcome(ok=False, status=400, errors=errors, kind="invalid")


def send_code(*, mobile, purpose: str, ip, proof=None, error_key: str = NON_FIELD) -> Outcome:
    """Send a code to ``mobile`` for ``purpose``. Refusals: 400 (bad number or purpose, errors
    under ``mobile``), 428 (a proof-of-work is needed, ``pow``), 429 (rate limited); the
    refusals that are not about the number go under ``error_key``."""
    try:
        challenge = services.challenge_create(mobile=mobile, purpose=purpose, ip=ip, proof=proof or None)
    except ValidationError as exc:
        return _invalid(exc, "mobile")
    except services.ProofRequired as exc:
        return _refused(
            428,
            error_key,
            [exc.message],
            kind="proof_required",
            retry_after=exc.retry_after,
            pow=exc.challenge,
        )
    except services.RateLimited as exc:
        return _refused(429, error_key, [exc.message], kind="rate_limited", retry_after=exc.retry_after)
    except services.SMSError as exc:
        return _refused(400, error_key, [exc.message], kind="refused")
    return Outcome(ok=True, status=201, challenge=challenge)


NO_CHALLENGE = _("Request a code with “Send code” first.")
NO_CODE = _("Enter the code we sent to your mobile.")


def check_code(
    *, challenge_id, code, ip, mobile=None, purpose: str | None = None, error_key: str = "sms_code"
) -> Outcome:
    """Check ``code`` for the challenge; on success ``token`` is the verification token.

    With ``mobile`` and ``purpose`` the token is also consumed here (a surface that grants access
    at once, such as "my data"). Refusals: 400 (wrong code with ``attempts_left``, malformed
    input), 410 (the challenge is gone, ``reason``), 429 (rate limited, ``retry_after``).
    """
    if not challenge_id:
        return _refused(400, error_key, [NO_CHALLENGE], kind="invalid")
    if not str(code or "").strip():
        return _refused(400, error_key, [NO_CODE], kind="invalid", attempts_left=1)
    try:
        token = services.challenge_verify(challenge_id=challenge_id, code=code, ip=ip)
        if mobile is not None and purpose is not None:
            services.token_consume(token=token, mobile=normalize_mobile(mobile), purpose=purpose)
    except ValidationError as exc:
        return _invalid(exc, error_key)
    except services.RateLimited as exc:
        return _refused(429, error_key, [exc.message], kind="rate_limited", retry_after=exc.retry_after)
    except services.InvalidCode as exc:
        return _refused(400, error_key, [exc.message], kind="wrong_code", attempts_left=exc.attempts_left)
    except services.ChallengeGone as exc:
        return _refused(410, error_key, [exc.message], kind="gone", reason=exc.reason)
    except services.SMSError as exc:
        return _refused(400, error_key, [exc.message], kind="refused", attempts_left=0)
    return Outcome(ok=True, status=200, token=token)
