"""What the requester sees of their request, and the scheduled jobs."""

import datetime
import hmac
import logging
import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from wagtail import hooks

from ..choices import (
    Channel,
    State,
)
from ..models import (
    RightsRequest,
    today,
)
from ..selectors import due_soon_requests
from ..tasks import staff_recipients
from .transitions import rights_request_expire_unverified

logger = logging.getLogger(__name__)

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
