"""Shared fixtures: a minimal page tree, a published policy, campaign pages, users per role."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import translation
from django_tasks import default_task_backend
from wagtail.models import Page, Site

from home.links import RIGHTS_PAGE_CACHE_KEY
from home.models import HomePage, PrivacyPolicyIndexPage, PrivacyPolicyPage
from home.policy import POLICY_CACHE_KEY
from tests.factories import UserFactory
from tests.forms.utils import make_campaign_page


@pytest.fixture(autouse=True)
def _default_language(settings):
    """Every test starts in the site's default language, whatever an earlier one activated."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_site_links():
    """The policy and rights-page links are cached across requests; a test's rolled-back
    pages must not show up in the next test's header."""

    cache.delete_many([POLICY_CACHE_KEY, RIGHTS_PAGE_CACHE_KEY])
    yield


@pytest.fixture
def dummy_tasks(settings):
    """Tasks are recorded, not run: ``dummy_tasks.results`` lists what was queued."""

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


@pytest.fixture
def refusing_mail(settings):
    """The mail server refuses every message."""
    settings.EMAIL_BACKEND = "tests.mail.RefusingEmailBackend"


@pytest.fixture
def home_page(db):
    """A HomePage as the default site's root (replaces Wagtail's welcome page)."""
    root = Page.get_first_root_node()
    home = HomePage(title="首页", slug="home-test")
    root.add_child(instance=home)
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Test"},
    )
    return home


@pytest.fixture
def policy(home_page):
    """A published privacy-policy version that campaign forms can cite."""
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
    version.save_revision().publish()
    return version


@pytest.fixture
def page_factory(home_page, policy):
    """``page_factory(purpose="event", rows=[...])``: a live campaign page under the home page."""

    def factory(purpose="compatibility", **kwargs):
        return make_campaign_page(parent=home_page, purpose=purpose, **kwargs)

    return factory


def make_user(username, group_names=(), **extra):
    return UserFactory(username=username, groups=group_names, **extra)


@pytest.fixture
def superuser(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def marketer(db):
    return make_user("marketer", ["Marketers"])


@pytest.fixture
def privacy_staff(db):
    return make_user("staff", ["Privacy staff"])


@pytest.fixture
def privacy_officer(db):
    return make_user("officer", ["Privacy officers"])
