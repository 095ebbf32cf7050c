"""Fixtures for the staff data tools: a published policy, campaign pages and submissions."""

import shutil

import pytest
from django.core.cache import caches
from django.utils import timezone

from core import crypto
from forms.models import CampaignSubmission, SubjectHash
from forms.services import submission_create
from messaging.backends import locmem

VALID_ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "datatools-tests",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    caches["default"].clear()
    locmem.outbox.clear()
    yield
    caches["default"].clear()
    locmem.outbox.clear()
    shutil.rmtree(tmp_path, ignore_errors=True)


def submit(page, **data):
    return submission_create(page=page, data=data, consent=True, verification_token=None, ip="203.0.113.9")


def raw_submission(page, form_data, when=None):
    """A stored submission with arbitrary values (as old or hostile data may look), indexed by
    the keyed hashes of its mobile and e-mail."""
    submission = CampaignSubmission.objects.create(
        page=page, purpose=page.purpose, form_data=form_data, consent_at=timezone.now()
    )
    if form_data.get("mobile"):
        SubjectHash.objects.create(
            submission=submission, kind="mobile", value_hash=crypto.mobile_hash(form_data["mobile"])
        )
    if form_data.get("email"):
        SubjectHash.objects.create(
            submission=submission, kind="email", value_hash=crypto.email_hash(form_data["email"])
        )
    if when is not None:
        CampaignSubmission.objects.filter(pk=submission.pk).update(submit_time=when)
        submission.refresh_from_db()
    return submission


@pytest.fixture
def compat_page(page_factory, marketer):
    page = page_factory("compatibility", slug="compat", owner=marketer)
    submit(page, name="李四", company="示例", mobile="13812345678", mailing_address="北京市海淀区")
    return page


@pytest.fixture
def partner_page(page_factory, marketer):
    page = page_factory("partner_upgrade", slug="partner", owner=marketer)
    submit(
        page,
        name="王五",
        mobile="13900139000",
        email="wang@example.com",
        id_card_number=VALID_ID,
        company="示例科技",
    )
    return page
