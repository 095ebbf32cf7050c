"""What the app suites share to run isolated: in-memory SMS (and mail), their own cache, tasks
run at once, and a test client whose requests run their on-commit work."""

from contextlib import contextmanager

from django.core import mail
from django.core.cache import caches
from django.test import Client, TestCase

from messaging.backends import locmem

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@contextmanager
def isolated_messages(settings, *, cache: str | None = None, cache_options=None, tasks=False, email=False):
    """SMS into ``locmem.outbox`` (and with ``email`` mail into ``mail.outbox``), both empty;
    with ``cache`` a cache of that name; with ``tasks`` tasks run at once. The cache and the
    outboxes are emptied again afterwards."""
    if cache:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": cache,
                **({"OPTIONS": cache_options} if cache_options else {}),
            }
        }
    if tasks:
        settings.TASKS = IMMEDIATE_TASKS
    settings.SMS_BACKEND = "messaging.backends.locmem.SMSBackend"
    if email:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        mail.outbox = []
    caches["default"].clear()
    locmem.outbox.clear()
    try:
        yield
    finally:
        caches["default"].clear()
        locmem.outbox.clear()


class CommitClient(Client):
    """A test client whose requests run their on-commit work (SMS, tasks), as a real request would."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)
