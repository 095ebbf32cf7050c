"""The one way tests read an SMS code: from the last message the in-memory SMS backend sent."""

import re

from django.core.cache import caches
from django.test import TestCase

from messaging.backends import locmem
from verification import services as sms

CODE = re.compile(r"\b(\d{6})\b")


def last_sms_code() -> str:
    """The 6-digit code of the last SMS sent."""
    assert locmem.outbox, "no SMS was sent"
    match = CODE.search(locmem.outbox[-1].body)
    assert match, "no 6-digit code in the SMS text"
    return match.group(1)


def sms_token(*, mobile: str, purpose: str, ip: str, fresh_limits: bool = False) -> str:
    """A verification token through the real SMS service: a challenge, its SMS, the code checked.

    ``fresh_limits`` clears the rate-limit counters first (for a test that sends many)."""
    if fresh_limits:
        caches["default"].clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        challenge = sms.challenge_create(mobile=mobile, purpose=purpose, ip=ip)
    return sms.challenge_verify(challenge_id=challenge.public_id, code=last_sms_code(), ip=ip)
