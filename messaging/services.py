"""Queue an SMS or an e-mail for delivery after the current transaction commits.

Every outgoing message goes through here and ``gate``: a visitor message needs the admission
its flow got before storing anything; a service notice is admitted here, deferred past its
recipient's budget. Task arguments are Fernet-encrypted, so a database queue holds no clear
number, address, code or link.
"""

import base64
import json
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core import crypto

from . import gate
from .tasks import send_email, send_sms

logger = logging.getLogger(__name__)


def _admitted(*, channel: str, to: str, purpose: str, admission) -> tuple[bool, int]:
    """(admitted now, seconds to wait otherwise) for one message; see ``gate``."""
    if admission is not None:
        if not admission.covers(channel=channel, recipient=to):
            raise ValueError("the admission was given for another recipient or channel")
        return True, 0
    if gate.is_visitor_purpose(purpose):
        raise ValueError(f"a {purpose} message needs an admission from gate.admit() with the client's IP")
    try:
        gate.admit(channel=channel, recipient=to, purpose=purpose)
    except gate.SendRefused as exc:
        return False, exc.retry_after
    return True, 0


def _enqueue(task_obj, payload: str, *, channel: str, purpose: str, admitted: bool, wait: int) -> str:
    if admitted:
        transaction.on_commit(lambda: task_obj.enqueue(payload))
        return "queued"
    if not task_obj.get_backend().supports_defer:
        logger.warning("%s notice (%s) not sent: the recipient's limit is reached", channel, purpose)
        return "dropped"
    run_after = timezone.now() + timedelta(seconds=wait)
    transaction.on_commit(lambda: task_obj.using(run_after=run_after).enqueue(payload, gate_purpose=purpose))
    logger.info("%s notice (%s) deferred %ss: the recipient's limit is reached", channel, purpose, wait)
    return "deferred"


def queue_sms(
    *,
    to: str,
    body: str,
    purpose: str,
    admission: "gate.Admission | None" = None,
    template_params: dict | None = None,
    expires_at=None,
) -> str:
    """Send an SMS from a task once the current transaction commits, within the limits.

    A visitor message (``gate.VISITOR_PURPOSES``, codes) needs the ``admission`` its flow
    got from ``gate.admit()`` before storing anything. A service notice is admitted here;
    past its recipient's budget it is deferred until the budget allows it (``"deferred"``),
    or dropped with a warning when the task backend cannot defer (``"dropped"``).
    The task's arguments are encrypted, so a queue stored in the database holds no clear
    number or code. A message with ``expires_at`` is dropped if the worker reaches it too
    late to be of use.
    """
    admitted, wait = _admitted(channel="sms", to=to, purpose=purpose, admission=admission)
    payload = crypto.encrypt(
        json.dumps(
            {
                "to": to,
                "body": body,
                "params": template_params or {},
                "expires_at": expires_at.isoformat() if expires_at else None,
            }
        )
    )
    return _enqueue(send_sms, payload, channel="sms", purpose=purpose, admitted=admitted, wait=wait)


def queue_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    purpose: str,
    admission: "gate.Admission | None" = None,
    html_body: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> str:
    """Send an e-mail to one visitor address from a task after commit, within the limits
    (as ``queue_sms``; arguments encrypted). ``attachments`` are (file name, content, MIME type)."""
    recipients = list(to)
    if len(recipients) != 1:
        raise ValueError("a visitor e-mail goes to exactly one address")
    admitted, wait = _admitted(channel="email", to=recipients[0], purpose=purpose, admission=admission)
    payload = crypto.encrypt(
        json.dumps(
            {
                "to": recipients,
                "subject": str(subject),
                "body": body,
                "html": html_body,
                "attachments": [
                    [name, base64.b64encode(content).decode("ascii"), mimetype]
                    for name, content, mimetype in attachments or ()
                ],
            }
        )
    )
    return _enqueue(send_email, payload, channel="email", purpose=purpose, admitted=admitted, wait=wait)


def queue_staff_email(*, to: list[str], subject: str, body: str) -> None:
    """E-mail staff accounts (their own addresses, not visitor input) from a task after commit."""
    payload = crypto.encrypt(
        json.dumps({"to": list(to), "subject": str(subject), "body": body, "html": None})
    )
    transaction.on_commit(lambda: send_email.enqueue(payload))
