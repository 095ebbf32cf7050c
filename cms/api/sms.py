"""SMS verification: request a code, then trade it for a verification token."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Router, Status

from core.net import client_ip
from forms import operations
from forms.registrations import FunnelStep
from verification import services as sms
from verification import step

from .errors import NON_FIELD, ApiError, rate_limited, retry_after_header
from .forms import published_form_page
from .schemas import (
    ChallengeGoneOut,
    ChallengeIn,
    ChallengeOut,
    ConflictOut,
    ErrorOut,
    InvalidCodeOut,
    ProofRequiredOut,
    VerifyIn,
    VerifyOut,
)


def _api_error(outcome: step.Outcome) -> ApiError:
    """The API's answer to a refused step: the uniform error body, ``Retry-After`` when waiting helps."""
    message = outcome.message
    if outcome.kind == "proof_required":
        return ApiError(
            428,
            {NON_FIELD: [message]},
            extra={"pow": outcome.pow, "retry_after": outcome.retry_after},
            headers=retry_after_header(outcome.retry_after),
        )
    if outcome.kind == "rate_limited":
        return rate_limited(outcome.retry_after, message)
    if outcome.kind == "wrong_code":
        return ApiError(400, outcome.errors, extra={"attempts_left": outcome.attempts_left})
    if outcome.kind == "gone":
        return ApiError(410, {NON_FIELD: [message]}, extra={"reason": outcome.reason})
    if outcome.kind == "refused" and outcome.attempts_left is not None:
        return ApiError(400, {NON_FIELD: [message]}, extra={"attempts_left": 0})
    if outcome.kind == "refused":
        return ApiError.general(400, message)
    return ApiError(400, outcome.errors)


router = Router()

COMMON_ERRORS = {400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut}


@router.post(
    "/challenges",
    response={201: ChallengeOut, 428: ProofRequiredOut, 404: ErrorOut, 409: ConflictOut, **COMMON_ERRORS},
    summary="Send an SMS code",
    operation_id="sms_challenge_create",
)
def challenge_create(request, payload: ChallengeIn):
    """Send a one-time code to a mainland mobile number for one purpose.

    Rate-limited per number and purpose, per number, per client and network; a refusal
    answers 429 with ``Retry-After``. A number that had several messages within the hour
    needs a proof-of-work: the answer is then 428 with the challenge in ``pow``; send the
    request again with the solution in ``pow``. Limits per number and purpose mean a flood
    of one purpose does not block the others. With ``page_id`` the code is for that campaign
    page: outside its opening window nothing is sent (409 with ``reason``).
    """
    page = None
    if payload.page_id is not None:
        page = published_form_page(payload.page_id)
        if page.purpose.code != payload.purpose:
            raise ApiError(400, {"purpose": [_("This is not the purpose of that page.")]})
        state = operations.window_state(page)
        if state != "open":
            raise ApiError(
                409, {NON_FIELD: [operations.window_message(page, state)]}, extra={"reason": state}
            )
    outcome = step.send_code(
        mobile=payload.mobile, purpose=payload.purpose, ip=client_ip(request), proof=payload.pow
    )
    if not outcome.ok:
        raise _api_error(outcome)
    if page is not None:
        operations.funnel_hit(page_id=page.pk, step=FunnelStep.CODE_SENT)
    challenge = outcome.challenge
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
    outcome = step.check_code(
        challenge_id=challenge_id, code=payload.code, ip=client_ip(request), error_key="code"
    )
    if not outcome.ok:
        raise _api_error(outcome)
    token = outcome.token
    return Status(200, {"verification_token": token})
