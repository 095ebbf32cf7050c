"""Fixtures for fulfilment: pages for several purposes, one person's submissions, verified requests."""

import pytest
from django.test import TestCase
from django.utils import translation

from forms import catalogue
from forms.services import submission_create
from rights_requests import services as rights
from rights_requests.fulfilment import services as fulfilment
from tests.forms.utils import make_campaign_page
from tests.isolation import CommitClient, isolated_messages
from tests.limits import relax_message_limits
from tests.sms_codes import sms_token as verified_sms_token

MOBILE = "13912345678"
E164 = "+8613912345678"
EMAIL = "wang.fang@example.com"
ID_NUMBER = "11010519491231002" + catalogue.id_check_char("11010519491231002")
OTHER_MOBILE = "13700001111"
IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    relax_message_limits(settings)
    settings.ERASURE_LEDGER_PATH = tmp_path / "ledger.jsonl"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with (
        isolated_messages(settings, cache="fulfilment-tests", tasks=True, email=True),
        translation.override("en"),
    ):
        yield


@pytest.fixture
def pages(home_page, policy):
    return {
        code: make_campaign_page(parent=home_page, purpose=code)
        for code in ("compatibility", "partner_upgrade", "event")
    }


def sms_token(mobile: str, purpose: str) -> str:
    """A verification token through the real SMS service (rate-limit counters reset first)."""
    return verified_sms_token(mobile=mobile, purpose=purpose, ip=IP, fresh_limits=True)


def submit(page, data: dict, mobile: str = MOBILE):
    token = sms_token(mobile, page.purpose.code) if page.purpose.sms_required else None
    with TestCase.captureOnCommitCallbacks(execute=True):
        return submission_create(page=page, data=data, consent=True, verification_token=token, ip=IP)


def person_data(pages, mobile=MOBILE, email=EMAIL, id_number=ID_NUMBER, name="王芳"):
    """Three submissions of one person, one per purpose (the ID number only in partner_upgrade)."""
    return [
        submit(
            pages["compatibility"],
            {
                "name": name,
                "company": "云创科技",
                "mobile": mobile,
                "mailing_address": "北京市海淀区中关村大街1号",
            },
            mobile,
        ),
        submit(
            pages["partner_upgrade"],
            {
                "name": name,
                "mobile": mobile,
                "email": email,
                "id_card_number": id_number,
                "company": "云创科技",
            },
            mobile,
        ),
        submit(
            pages["event"],
            {"name": name, "company": "云创科技", "email": email, "mobile": mobile, "intended_city": "上海"},
            mobile,
        ),
    ]


@pytest.fixture
def person(pages):
    return person_data(pages)


@pytest.fixture
def other_person(pages):
    return submit(
        pages["compatibility"],
        {"name": "李雷", "company": "别的公司", "mobile": OTHER_MOBILE, "mailing_address": "上海市浦东新区"},
        OTHER_MOBILE,
    )


def verified_request(
    request_type: str, mobile: str = MOBILE, email: str = EMAIL, *, prove_email: bool = True, **extra
):
    """A rights request verified by SMS through the rights-request services; the requester also
    follows the link mailed to the e-mail unless ``prove_email`` is False."""
    token = sms_token(mobile, rights.SMS_PURPOSE)
    values = {"details": "Please act on my data.", "ip": IP, "verification_token": token}
    values.update(extra)
    with TestCase.captureOnCommitCallbacks(execute=True):
        rr = rights.rights_request_create(request_type=request_type, mobile=mobile, email=email, **values)
    if email and prove_email:
        rr = rights.rights_request_confirm_email(token=rights.email_confirmation_token(rr))
    return rr


def approve_package(rr, officer, note="The requester's own ID number, verified by SMS."):
    """The second person (a Privacy officer) releases the package held for approval."""

    package = rr.access_packages.get(released_at__isnull=True, discarded_at__isnull=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        fulfilment.package_approve(package=package, user=officer, note=note)
    package.refresh_from_db()
    rr.refresh_from_db()
    return package


def run(fn, **kwargs):
    """Run a service and its on-commit work (tasks, e-mails, the ledger file)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return fn(**kwargs)


@pytest.fixture
def staff_user(privacy_staff):
    return privacy_staff


@pytest.fixture
def client():
    return CommitClient()
