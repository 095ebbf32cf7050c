"""Fixtures for the scale suite: a published policy, campaign pages, many rows."""

import pytest
from django.core.cache import caches

from messaging.backends import locmem
from tests.forms.utils import make_campaign_page, question
from tests.limits import relax_message_limits


@pytest.fixture(autouse=True)
def _isolated_services(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "scale-tests",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SMS_BACKEND = "messaging.backends.locmem.SMSBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    relax_message_limits(settings)
    caches["default"].clear()
    locmem.outbox.clear()
    yield
    caches["default"].clear()
    locmem.outbox.clear()


@pytest.fixture
def campaign(home_page, policy):
    """A compatibility-certification page (no SMS) with every kind of non-personal question."""
    from tests.forms.utils import personal

    rows = [
        personal("name"),
        personal("company"),
        personal("mobile"),
        personal("mailing_address"),
        question("Product category", "dropdown", required=True, choices="服务器\n存储\n网络设备"),
        question("Modules used", "checkboxes", choices="Cloud\nCube\nZaku"),
        question("Rack units", "number"),
        question("Comments", "multiline"),
        question("Planned start", "date"),
    ]
    return make_campaign_page(parent=home_page, purpose="compatibility", rows=rows)


@pytest.fixture
def sms_campaign(home_page, policy):
    """A roadshow page: its purpose requires SMS verification of the mobile."""
    return make_campaign_page(parent=home_page, purpose="event")
