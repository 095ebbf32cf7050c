"""Fixtures for campaign forms: a published policy, a campaign index and page builders."""

import datetime

import pytest
from django.core.cache import caches

from forms.sms.backends import locmem
from home.models import PrivacyPolicyIndexPage, PrivacyPolicyPage

from .utils import make_campaign_page


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
def policy(home_page):
    index = PrivacyPolicyIndexPage(title="隐私政策", slug="privacy")
    home_page.add_child(instance=index)
    version = PrivacyPolicyPage(
        title="网页隐私政策",
        slug="2023-03-07",
        version_label="2023-03-07",
        updated_date=datetime.date(2023, 3, 7),
        effective_date=datetime.date(2023, 3, 7),
        body="<p>政策正文</p>",
    )
    index.add_child(instance=version)
    return version


@pytest.fixture
def page_factory(home_page, policy):
    def factory(purpose="compatibility", **kwargs):
        return make_campaign_page(parent=home_page, purpose=purpose, **kwargs)

    return factory
