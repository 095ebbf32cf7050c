"""Messages to the requester and to staff, sent by tasks after the transaction commits.

A task receives only the request's id and the event: no personal data sits in the queue.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from home.links import absolute_url
from home.services import site_name
from messaging import gate
from messaging.services import queue_email, queue_sms

from .choices import NotificationEvent
from .models import RightsRequest

logger = logging.getLogger(__name__)


class NotificationFailed(Exception):
    """At least one channel of a requester notice failed (the others were still tried)."""


STAFF_PERMISSION_CODENAMES = ("verify_rightsrequest", "answer_rightsrequest")


def status_url(rr) -> str:
    path = reverse("rights_requests:status", kwargs={"reference": rr.reference, "token": rr.status_token})
    return absolute_url(path)


def _single_line(text: str) -> str:
    return " ".join(text.split())


def render_notification(rr, event: str) -> dict:
    """Subject, e-mail body and SMS text for ``event``, in the requester's language."""

    with translation.override(rr.language or settings.LANGUAGE_CODE):
        context = {
            "rr": rr,
            "event": event,
            "site_name": site_name(),
            "status_url": status_url(rr),
            "request_type": rr.get_request_type_display(),
            "outcome": rr.get_outcome_display(),
            "ground": rr.get_refusal_ground_display(),
        }
        return {
            "subject": _single_line(render_to_string("rights_requests/notifications/subject.txt", context)),
            "body": render_to_string("rights_requests/notifications/email.txt", context),
            "sms": _single_line(render_to_string("rights_requests/notifications/sms.txt", context)),
        }


VISITOR_RECEIPT = "rights_request_received"
NOTICE = "rights_request_notice"


def _admission(admitted, withheld, channel: str, recipient: str):
    """The filing's own admission for ``channel``, None for a service notice, False when the
    filing withheld this channel."""

    if channel in (withheld or ()):
        return False
    if channel not in (admitted or ()):
        return None
    return gate.Admission(
        channel=channel, recipient_hash=gate.recipient_key(channel, recipient), purpose=VISITOR_RECEIPT
    )


@task()
def notify_requester(
    *,
    rights_request_id: int,
    event: str,
    admitted: list[str] | None = None,
    withheld: list[str] | None = None,
) -> str:
    """Tell the requester by e-mail and SMS (whichever they gave) what happened to the request.

    For the receipt of a request a visitor filed, the filing counted the channels in
    ``admitted`` against the message limits (``forms.sms.gate``) and ``withheld`` those over
    them. Every other message is a service notice, counted here.
    """

    rr = RightsRequest.objects.filter(pk=rights_request_id).first()
    if rr is None or event not in NotificationEvent.values:
        return "skipped"
    message = render_notification(rr, event)
    sent, failed = [], []
    # One channel failing must not silence the other; the task still fails so it shows up.
    if rr.mobile and _admission(admitted, withheld, "sms", rr.mobile) is not False:
        admission = _admission(admitted, withheld, "sms", rr.mobile)
        try:
            outcome = queue_sms(
                to=rr.mobile,
                body=message["sms"],
                purpose=VISITOR_RECEIPT if admission else NOTICE,
                admission=admission,
                template_params={"reference": rr.reference, "event": event},
            )
            sent.append("sms" if outcome == "queued" else f"sms ({outcome})")
        except Exception:
            logger.exception("rights request %s: %s SMS could not be queued", rr.reference, event)
            failed.append("sms")
    # An address nobody has proven yet gets only its confirmation link (sent when the request was
    # filed), never notices: whoever typed it may not own it.
    if rr.proven_email and _admission(admitted, withheld, "email", rr.proven_email) is not False:
        admission = _admission(admitted, withheld, "email", rr.proven_email)
        try:
            outcome = queue_email(
                to=[rr.proven_email],
                subject=message["subject"],
                body=message["body"],
                purpose=VISITOR_RECEIPT if admission else NOTICE,
                admission=admission,
            )
            sent.append("email" if outcome == "queued" else f"email ({outcome})")
        except Exception:
            logger.exception("rights request %s: %s e-mail could not be sent", rr.reference, event)
            failed.append("email")
    logger.info("rights request %s: %s notice sent by %s", rr.reference, event, ",".join(sent) or "nothing")
    if failed:
        raise NotificationFailed(f"{rr.reference}: {event} notice failed on {', '.join(failed)}")
    return ",".join(sent)


def staff_recipients() -> list[str]:
    """E-mail addresses of active users who handle rights requests."""
    User = get_user_model()
    perms = Q(user_permissions__content_type__app_label="rights_requests") & Q(
        user_permissions__codename__in=STAFF_PERMISSION_CODENAMES
    )
    group_perms = Q(groups__permissions__content_type__app_label="rights_requests") & Q(
        groups__permissions__codename__in=STAFF_PERMISSION_CODENAMES
    )
    users = (
        User.objects.filter(is_active=True)
        .filter(perms | group_perms | Q(is_superuser=True))
        .exclude(email="")
    )
    return sorted({u.email for u in users})
