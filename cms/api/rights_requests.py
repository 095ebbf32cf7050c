"""Privacy-rights requests (policy §6): file one, then follow it with its status token."""

import re

from django.http import Http404
from ninja import Header, Router, Status

from core.net import client_ip
from rights_requests import services as rights

from .errors import ApiError, retry_after_header
from .schemas import (
    ErrorOut,
    RightsRequestCreatedOut,
    RightsRequestIn,
    RightsRequestStatusOut,
    RightsRequestVerifyIn,
)
from .throttles import ClientIPThrottle

router = Router()

BEARER = "bearer "
REFERENCE_RE = re.compile(r"[A-Za-z0-9-]{1,20}")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")


@router.post(
    "",
    response={201: RightsRequestCreatedOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut},
    summary="File a rights request",
    operation_id="rights_request_create",
    throttle=[ClientIPThrottle("rights_requests")],
)
def rights_request_create(request, payload: RightsRequestIn):
    """File a request on the web channel. The answer is due within 15 days.

    Send ``verification_token`` from an SMS challenge of purpose ``rights_request`` to the
    same mobile to verify the requester at once. Keep ``status_token``: it is the only
    way to read the request's status later.
    """
    try:
        rr = rights.rights_request_create(
            request_type=payload.request_type,
            mobile=payload.mobile,
            email=payload.email,
            details=payload.details,
            ip=client_ip(request),
            verification_token=payload.verification_token,
            relationship=payload.relationship,
        )
    except rights.RightsRequestRateLimited as exc:
        raise ApiError(429, exc.errors, headers=retry_after_header(exc.retry_after)) from exc
    except rights.RightsRequestError as exc:
        raise ApiError(400, exc.errors) from exc
    return Status(
        201,
        {
            "reference": rr.reference,
            "state": rr.state,
            "due_at": rr.due_date,
            "status_token": rr.status_token,
            "withheld_messages": list(getattr(rr, "withheld_messages", [])),
            "notices": rights.withheld_message_texts(rr),
        },
    )


@router.get(
    "/{reference}",
    response={200: RightsRequestStatusOut, 404: ErrorOut, 429: ErrorOut},
    summary="Read a rights request's status",
    operation_id="rights_request_status",
    throttle=[ClientIPThrottle("rights_request_status")],
)
def rights_request_status(request, reference: str, authorization: str = Header("", alias="Authorization")):
    """State, due date and, once answered, the answer. Send the status token returned at
    filing as ``Authorization: Bearer <token>``; a wrong or missing token is a 404, the same
    as an unknown reference."""
    rr = requester_request(reference, authorization)
    return Status(200, status_body(rr))


@router.post(
    "/{reference}/verify",
    response={
        200: RightsRequestStatusOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
    },
    summary="Verify a rights request by SMS",
    operation_id="rights_request_verify",
    throttle=[ClientIPThrottle("rights_request_status")],
)
def rights_request_verify(
    request,
    reference: str,
    payload: RightsRequestVerifyIn,
    authorization: str = Header("", alias="Authorization"),
):
    """For a request filed without ``verification_token``: prove the mobile it gives with a
    token from an SMS challenge of purpose ``rights_request``. Next-of-kin requests only
    record the confirmed mobile and stay with staff, who check the evidence."""
    rr = requester_request(reference, authorization)
    try:
        rr = rights.rights_request_verify_by_sms(
            rights_request=rr, verification_token=payload.verification_token
        )
    except rights.RightsRequestConflict as exc:
        raise ApiError(409, exc.errors) from exc
    except rights.RightsRequestError as exc:
        raise ApiError(400, exc.errors) from exc
    return Status(200, status_body(rr))


def requester_request(reference: str, authorization: str):
    """The request this bearer token opens; anything else is indistinguishable from a missing one."""
    token = authorization[len(BEARER) :].strip() if authorization.lower().startswith(BEARER) else ""
    well_formed = REFERENCE_RE.fullmatch(reference) and TOKEN_RE.fullmatch(token)
    rr = rights.rights_request_for_status(reference=reference, token=token) if well_formed else None
    if rr is None:
        raise Http404
    return rr


def status_body(rr) -> dict:
    return {
        **rights.status_payload(rr),
        "state_label": str(rr.get_state_display()),
        "request_type_label": str(rr.get_request_type_display()),
    }
