"""Background delivery of SMS and e-mail (django-tasks; queue with ``services.queue_*``).

Arguments are Fernet-encrypted JSON, so a database-backed queue holds no clear
number, address, code or link. A worker that is down loses nothing: the rows wait
in the queue until ``manage.py db_worker`` runs again. A delivery that fails (gateway
or mail server down) is queued again with back-off, up to ``DELIVERY_MAX_ATTEMPTS``
times, when the task backend can defer tasks; the failed run is still recorded.
"""

import base64
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from core import crypto
from core.phone import mask_mobile

from . import gate
from .backends import get_connection
from .backends.base import SMSDeliveryError, SMSMessage

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Raised instead of the original error, whose text may hold a number or an address."""


def retry_later(task_obj, attempt: int, *args, **kwargs) -> bool:
    """Queue ``task_obj(*args, **kwargs)`` again after a back-off, as attempt ``attempt + 1``.

    False when no retry is left (``DELIVERY_MAX_ATTEMPTS``) or the task backend cannot defer.
    """
    max_attempts = int(settings.DELIVERY_MAX_ATTEMPTS)
    if attempt >= max_attempts or not task_obj.get_backend().supports_defer:
        return False
    delay = timedelta(seconds=int(settings.DELIVERY_RETRY_BASE_SECONDS) * 2 ** (attempt - 1))
    task_obj.using(run_after=timezone.now() + delay).enqueue(*args, attempt=attempt + 1, **kwargs)
    logger.warning(
        "%s: attempt %d failed, retrying in %ss", task_obj.name, attempt, int(delay.total_seconds())
    )
    return True


def admitted_at_delivery(
    task_obj, *, channel: str, recipient: str, purpose: str | None, payload: str, attempt: int
) -> bool:
    """A notice deferred by ``services.queue_*`` is counted when it is delivered; still over
    its recipient's budget, it waits again (up to ``DELIVERY_MAX_ATTEMPTS`` times)."""
    if not purpose:
        return True

    try:
        gate.admit(channel=channel, recipient=recipient, purpose=purpose)
    except gate.SendRefused as exc:
        max_attempts = int(settings.DELIVERY_MAX_ATTEMPTS)
        if attempt < max_attempts and task_obj.get_backend().supports_defer:
            task_obj.using(run_after=timezone.now() + timedelta(seconds=exc.retry_after)).enqueue(
                payload, attempt=attempt + 1, gate_purpose=purpose
            )
            logger.info("%s notice (%s) deferred again for %ss", channel, purpose, exc.retry_after)
        else:
            logger.warning("%s notice (%s) dropped: the recipient's limit stayed reached", channel, purpose)
        return False
    return True


@task()
def send_sms(payload: str, attempt: int = 1, gate_purpose: str | None = None) -> int:
    data = json.loads(crypto.decrypt(payload))
    if not admitted_at_delivery(
        send_sms, channel="sms", recipient=data["to"], purpose=gate_purpose, payload=payload, attempt=attempt
    ):
        return 0
    expires_at = parse_datetime(data["expires_at"]) if data.get("expires_at") else None
    if expires_at is not None and expires_at <= timezone.now():
        logger.warning("sms to %s dropped: it expired before delivery", mask_mobile(data["to"]))
        return 0
    message = SMSMessage(to=data["to"], body=data["body"], template_params=data.get("params") or {})
    try:
        return get_connection().send_messages([message])
    except (SMSDeliveryError, OSError) as exc:
        retry_later(send_sms, attempt, payload)
        raise DeliveryFailed(f"sms delivery failed ({type(exc).__name__})") from None


@task()
def send_email(payload: str, attempt: int = 1, gate_purpose: str | None = None) -> int:
    data = json.loads(crypto.decrypt(payload))
    if gate_purpose and not admitted_at_delivery(
        send_email,
        channel="email",
        recipient=data["to"][0],
        purpose=gate_purpose,
        payload=payload,
        attempt=attempt,
    ):
        return 0
    email = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=data["to"],
    )
    if data.get("html"):
        email.attach_alternative(data["html"], "text/html")
    for name, content, mimetype in data.get("attachments") or ():
        email.attach(name, base64.b64decode(content), mimetype)
    try:
        return email.send()
    except OSError as exc:
        retry_later(send_email, attempt, payload)
        raise DeliveryFailed(f"e-mail delivery failed ({type(exc).__name__})") from None
