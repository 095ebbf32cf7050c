"""Background delivery of SMS and e-mail (django-tasks; queue with ``services.queue_*``).

Arguments are Fernet-encrypted JSON, so a database-backed queue holds no clear
number, address, code or link. A worker that is down loses nothing: the rows wait
in the queue until ``manage.py db_worker`` runs again.
"""

import json
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from forms import protection
from forms.phone import mask_mobile

from .backends import get_connection
from .backends.base import SMSMessage

logger = logging.getLogger(__name__)


@task()
def send_sms(payload: str) -> int:
    data = json.loads(protection.decrypt(payload))
    expires_at = parse_datetime(data["expires_at"]) if data.get("expires_at") else None
    if expires_at is not None and expires_at <= timezone.now():
        logger.warning("sms to %s dropped: it expired before delivery", mask_mobile(data["to"]))
        return 0
    message = SMSMessage(to=data["to"], body=data["body"], template_params=data.get("params") or {})
    return get_connection().send_messages([message])


@task()
def send_email(payload: str) -> int:
    data = json.loads(protection.decrypt(payload))
    email = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=data["to"],
    )
    if data.get("html"):
        email.attach_alternative(data["html"], "text/html")
    return email.send()
