"""Requests filed on the "My data" page, verified at once by the session's SMS proof."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto
from forms.models import Purpose
from rights_requests.choices import IdentifierProof, RequestType, VerificationMethod
from rights_requests.models import RightsRequest
from rights_requests.services import RightsRequestError, rights_request_create

from .common import FulfilmentError

# --- self-service ---------------------------------------------------------------------------------

SELF_SERVICE_PURPOSE = "self_service"
SELF_SERVICE_TYPES = (
    RequestType.CORRECT,
    RequestType.DELETE,
    RequestType.WITHDRAW_CONSENT,
    RequestType.DEREGISTER,
)


def self_service_request(
    *, mobile: str, request_type: str, details: str, purpose_code: str = "", ip
) -> RightsRequest:
    """File a request from the "My data" page; the SMS proof of the session verifies it at once.

    ``mobile`` is the number the visitor proved by SMS code for this session.
    """
    if request_type not in SELF_SERVICE_TYPES:
        raise FulfilmentError({"request_type": [_("Choose one of the requests offered here.")]})
    details = (details or "").strip()
    if request_type == RequestType.WITHDRAW_CONSENT:
        purpose = Purpose.objects.filter(code=purpose_code).first() if purpose_code else None
        if purpose_code and purpose is None:
            raise FulfilmentError({"purpose": [_("Choose a purpose from the list.")]})
        scope = _("Scope: %(scope)s") % {
            "scope": f"{purpose.clause} {purpose.name}" if purpose else _("all purposes")
        }
        details = f"{scope}\n{details}".strip()
    try:
        with transaction.atomic():
            rr = rights_request_create(
                request_type=request_type, mobile=mobile, email="", details=details, ip=ip
            )
            rr.mobile_confirmed_at = timezone.now()
            rr.mobile_proof = IdentifierProof.SMS
            rr.verify(
                how=VerificationMethod.SMS,
                by=None,
                description=_("Filed on the “My data” page after an SMS challenge sent to %(mobile)s.")
                % {"mobile": crypto.mask(rr.mobile)},
            )
            rr.save()
    except RightsRequestError as exc:
        raise FulfilmentError(exc.errors) from exc
    return rr
