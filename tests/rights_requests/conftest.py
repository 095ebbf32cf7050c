"""Fixtures for rights requests: a clean cache and outboxes, SMS tokens, requests in each state."""

import pytest

from rights_requests import services
from rights_requests.models import RightsRequestPage
from tests.isolation import CommitClient, isolated_messages
from tests.sms_codes import sms_token as verified_sms_token

MOBILE = "13800138000"
E164 = "+8613800138000"
IP = "203.0.113.9"


@pytest.fixture(autouse=True)
def _clean_cache_and_outbox(settings):
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 1000
    with isolated_messages(settings, cache="rr-tests", tasks=True, email=True):
        yield


def sms_token(mobile: str = MOBILE, ip: str = IP) -> str:
    """A verification token of purpose rights_request for ``mobile``, through the real SMS service."""
    return verified_sms_token(mobile=mobile, purpose=services.SMS_PURPOSE, ip=ip)


def file_request(**overrides):
    """File a request through the service (no SMS unless ``verification_token`` is given)."""
    values = {
        "request_type": "delete",
        "mobile": MOBILE,
        "email": "li.lei@example.com",
        "details": "Please delete everything you hold about me.",
        "ip": IP,
    }
    values.update(overrides)
    return services.rights_request_create(**values)


def prove_email(rr):
    """The requester follows the confirmation link mailed to the request's address."""
    return services.rights_request_confirm_email(token=services.email_confirmation_token(rr))


@pytest.fixture
def received(db):
    return file_request()


@pytest.fixture
def verified(db, privacy_staff):
    rr = file_request()
    return services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=rr,
        user=privacy_staff,
        note="Called back the number given.",
    )


@pytest.fixture
def answered(verified, privacy_staff):
    return services.rights_request_answer(
        rights_request=verified, user=privacy_staff, outcome="fulfilled", response="All your data is deleted."
    )


@pytest.fixture
def rights_page(home_page):
    page = RightsRequestPage(
        title="Your privacy rights", slug="privacy-rights", thank_you_text="<p>We will reply soon.</p>"
    )
    home_page.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def commit_client():
    return CommitClient()
