import re
import time

import pytest
from django.core.cache import caches

from forms.sms.backends import locmem

REAL_TIME = time.time


@pytest.fixture(autouse=True)
def _clean_cache_and_outbox(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sms-tests"}
    }
    settings.SMS_BACKEND = "forms.sms.backends.locmem.SMSBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    caches["default"].clear()
    locmem.outbox.clear()
    yield
    caches["default"].clear()
    locmem.outbox.clear()


class Clock:
    """A settable ``time.time``: drives cache expiry, rate-limit windows and signing ages."""

    def __init__(self):
        self.now = REAL_TIME()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Create a challenge and run its on-commit SMS task; returns ``(challenge, code)``."""
    from forms.sms import services

    def _send(mobile="13800138000", purpose="event", ip="203.0.113.7"):
        before = len(locmem.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            challenge = services.challenge_create(mobile=mobile, purpose=purpose, ip=ip)
        assert len(locmem.outbox) == before + 1
        code = re.search(r"\b\d{6}\b", locmem.outbox[-1].body).group()
        return challenge, code

    return _send


def mobile(n: int) -> str:
    """A distinct valid mainland mobile for each ``n`` (0–9999)."""
    return f"1380013{n:04d}"
