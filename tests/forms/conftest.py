"""Fixtures for campaign forms: a published policy, a campaign index and page builders."""

import pytest
from django.core.cache import caches

from home.models import NotificationDomains
from messaging.backends import locmem


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "forms-tests"}
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    caches["default"].clear()
    locmem.outbox.clear()
    yield
    caches["default"].clear()
    locmem.outbox.clear()


@pytest.fixture
def notification_domains(db):
    """``notification_domains("example.com", "*.example.cn")``: the company's mail domains."""

    def set_domains(*rules):
        setting = NotificationDomains.load()
        setting.domains = "\n".join(rules)
        setting.full_clean()
        setting.save()
        return setting

    return set_domains
