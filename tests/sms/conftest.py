import pytest
from django.core.cache import caches

from forms.sms.backends import locmem


@pytest.fixture(autouse=True)
def _clean_cache_and_outbox(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sms-tests"}
    }
    settings.SMS_BACKEND = "forms.sms.backends.locmem.SMSBackend"
    caches["default"].clear()
    locmem.outbox.clear()
    yield
    caches["default"].clear()
    locmem.outbox.clear()
