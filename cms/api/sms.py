"""SMS verification: request a code, then trade it for a verification token."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Path, Router, Status

from core.net import client_ip
from verification import services as sms

from .errors import NON_FIELD, ApiError, rate_limited, retry_after_header
from .schemas import (
    ChallengeGoneOut,
    ChallengeIn,
    ChallengeOut,
    ErrorOut,
    InvalidCodeOut,
    ProofRequiredOut,
    VerifyIn,
    VerifyOut,
)

PURPOSE_ERROR_CODES = {"unknown_purpose", "sms_not_required"}


def _field_errors(exc: ValidationError, default_field: str) -> dict[str, list[str]]:
    """Attach the service's plain ``ValidationError`` to the request field it is about."""
    errors: dict[str, list[str]] = {}
    for error in exc.error_list:
        field = "purpose" if error.code in PURPOSE_ERROR_CODES else default_field
        errors.setdefault(field, []).extend(str(m) for m in error.messages)
    return errors


router = Router()

COMMON_ERRORS = {400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut}


@router.post(
    "/challenges",
    response={201: ChallengeOut, 428: ProofRequiredOut, **COMMON_ERRORS},
    summary="Send an SMS code",
    operation_id="sms_challenge_create",
)
def challenge_create(request, payload: ChallengeIn):
    """Send a one-time code to a mainland mobile number for one purpose.

    Rate-limited per number and purpose, per number, per client and network; a refusal
    answers 429 with ``Retry-After``. A number that had several messages within the hour
    needs a proof-of-work: the answer is then 428 with the challenge in ``pow``; send the
    request again with the solution in ``pow``. Limits per number and purpose mean a flood
    of one purpose does not block the others.
    """
    try:
        challenge = sms.challenge_create(
            mobile=payload.mobile, purpose=payload.purpose, ip=client_ip(request), proof=payload.pow
        )
    except ValidationError as exc:
        raise ApiError(400, _field_errors(exc, "mobile")) from exc
    except sms.ProofRequired as exc:
        raise ApiError(
            428,
            {NON_FIELD: [exc.message]},
            extra={"pow": exc.challenge, "retry_after": exc.retry_after},
            headers=retry_after_header(exc.retry_after),
        ) from exc
    except sms.RateLimited as exc:
        raise rate_limited(exc.retry_after, exc.message) from exc
    except sms.SMSError as exc:
        raise ApiError.general(400, exc.message) from exc
    expires_in = max(0, int((challenge.expires_at - timezone.now()).total_seconds()))
    return Status(
        201,
        {
            "challenge_id": str(challenge.public_id),
            "expires_in": expires_in,
            "resend_after": sms.resend_after_seconds(),
        },
    )


@router.post(
    "/challenges/{challenge_id}/verify",
    response={200: VerifyOut, 410: ChallengeGoneOut, **COMMON_ERRORS, 400: InvalidCodeOut},
    summary="Verify an SMS code",
    operation_id="sms_challenge_verify",
)
def challenge_verify(
    request,
    payload: VerifyIn,
    challenge_id: str = Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
):
    """Check the code; on success return the token that a submission or rights request presents.

    A wrong code answers 400 with ``attempts_left``; an expired, locked, used or unknown
    challenge answers 410 with its ``reason``; a malformed ``challenge_id`` is a 400.
    """
    try:
        token = sms.challenge_verify(challenge_id=challenge_id, code=payload.code, ip=client_ip(request))
    except ValidationError as exc:
        raise ApiError(400, _field_errors(exc, "code")) from exc
    except sms.RateLimited as exc:
        raise rate_limited(exc.retry_after, exc.message) from exc
    except sms.InvalidCode as exc:
        raise ApiError(400, {"code": [exc.message]}, extra={"attempts_left": exc.attempts_left}) from exc
    except sms.ChallengeGone as exc:
        raise ApiError(410, {NON_FIELD: [exc.message]}, extra={"reason": exc.reason}) from exc
    except sms.SMSError as exc:
        raise ApiError(400, {NON_FIELD: [exc.message]}, extra={"attempts_left": 0}) from exc
    return Status(200, {"verification_token": token})
