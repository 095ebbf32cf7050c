"""Every path that sends an SMS or an e-mail to a visitor-given recipient stops at the same limits.

Each path is driven from a new client IP every time, one minute apart, so only the
recipient's own limits can bind: five messages of one purpose per hour. The outboxes are
counted, not just the answers.
"""

import pytest
from django.core import mail
from django.test import Client, TestCase

from forms.models import CampaignSubmission
from forms.services import SubmissionRateLimited, submission_create
from messaging import pow
from messaging import services as delivery
from messaging.backends import locmem
from rights_requests import services as rights
from rights_requests.models import RightsRequest
from tests.conftest import make_user
from tests.sms_codes import last_sms_code
from verification import services

from .conftest import mobile

pytestmark = pytest.mark.django_db

EMAIL = "li.lei@example.com"
E164 = "+8613800138000"
PER_PURPOSE_HOUR = 5


def client_ip(i: int) -> str:
    return f"10.{i // 250}.{i % 250}.1"


def sms_to(number: str) -> int:
    return sum(1 for m in locmem.outbox if m.to == number)


def mail_to(address: str) -> int:
    return sum(1 for m in mail.outbox if address in m.to)


def committed(fn):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return fn()


# --- the paths ----------------------------------------------------------------------------------


def code_request(i, env):

    def send(proof=None):
        return committed(
            lambda: services.challenge_create(
                mobile="13800138000", purpose="event", ip=client_ip(i), proof=proof
            )
        )

    try:
        try:
            send()
        except services.ProofRequired as exc:
            send(pow.solve(exc.challenge))
    except services.RateLimited:
        return False
    return True


def rights_receipt(i, env):
    rr = committed(
        lambda: rights.rights_request_create(
            request_type="access", mobile="13800138000", email="", details="", ip=client_ip(i)
        )
    )
    return "sms" not in rr.withheld_messages


def email_confirmation(i, env):
    rr = committed(
        lambda: rights.rights_request_create(
            request_type="access", mobile=mobile(200 + i), email=EMAIL, details="", ip=client_ip(i)
        )
    )
    return "email" not in rr.withheld_messages


def download_link(i, env):
    number = mobile(100 + i)
    challenge = committed(
        lambda: services.challenge_create(mobile=number, purpose="download", ip=client_ip(i))
    )
    code = last_sms_code()
    token = services.challenge_verify(challenge_id=challenge.public_id, code=code, ip=client_ip(i))
    try:
        committed(
            lambda: submission_create(
                page=env["download_page"],
                data={"name": "张三", "company": "示例公司", "email": EMAIL, "mobile": number},
                consent=True,
                verification_token=token,
                ip=client_ip(i),
            )
        )
    except SubmissionRateLimited:
        return False
    return True


def password_reset(i, env):
    response = committed(
        lambda: Client(REMOTE_ADDR=client_ip(i)).post("/admin/password_reset/", {"email": EMAIL})
    )
    return response.status_code == 302


PATHS = [
    pytest.param(code_request, lambda: sms_to(E164), id="verification code"),
    pytest.param(rights_receipt, lambda: sms_to(E164), id="rights-request receipt SMS"),
    pytest.param(email_confirmation, lambda: mail_to(EMAIL), id="e-mail confirmation link"),
    pytest.param(download_link, lambda: mail_to(EMAIL), id="download link"),
    pytest.param(password_reset, lambda: mail_to(EMAIL), id="password reset"),
]


@pytest.fixture
def env(request, download_page, settings):
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 1000
    make_user("li.lei")
    return {"download_page": download_page}


@pytest.mark.parametrize(("fire", "outbox"), PATHS)
def test_each_send_path_stops_at_the_recipient_limit(clock, env, fire, outbox):
    admitted = []
    for i in range(PER_PURPOSE_HOUR + 3):
        admitted.append(fire(i, env))
        clock.advance(61)
    assert admitted == [True] * PER_PURPOSE_HOUR + [False] * 3
    assert outbox() == PER_PURPOSE_HOUR


def test_four_rights_requests_in_one_second_send_one_receipt_and_store_all_four(settings):
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 1000
    filed = [
        committed(
            lambda: rights.rights_request_create(
                request_type="delete", mobile="13800138000", email=EMAIL, details="", ip="203.0.113.9"
            )
        )
        for _ in range(4)
    ]
    assert RightsRequest.objects.count() == 4
    assert sms_to(E164) == 1
    assert mail_to(EMAIL) == 1
    assert filed[0].withheld_messages == []
    for rr in filed[1:]:
        assert rr.withheld_messages == ["sms", "email"]
        assert len(rights.withheld_message_texts(rr)) == 2


def test_a_download_refused_by_the_limits_stores_nothing_and_keeps_the_token(clock, env, settings):
    for i in range(PER_PURPOSE_HOUR):
        assert download_link(i, env)
        clock.advance(61)
    stored = CampaignSubmission.objects.count()
    number = mobile(999)
    challenge = committed(
        lambda: services.challenge_create(mobile=number, purpose="download", ip="192.0.2.1")
    )
    code = last_sms_code()
    token = services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="192.0.2.1")
    data = {"name": "张三", "company": "示例公司", "email": EMAIL, "mobile": number}
    with pytest.raises(SubmissionRateLimited) as exc:
        submission_create(
            page=env["download_page"], data=data, consent=True, verification_token=token, ip="192.0.2.1"
        )
    assert exc.value.retry_after > 0
    assert "__all__" in exc.value.errors
    assert CampaignSubmission.objects.count() == stored
    assert mail_to(EMAIL) == PER_PURPOSE_HOUR
    settings.MESSAGE_LIMIT_PER_PURPOSE_HOUR = 100  # the limit lifts: the same token still works
    committed(
        lambda: submission_create(
            page=env["download_page"], data=data, consent=True, verification_token=token, ip="192.0.2.1"
        )
    )
    assert mail_to(EMAIL) == PER_PURPOSE_HOUR + 1


# --- service notices ------------------------------------------------------------------------------


def test_service_notices_over_their_budget_wait_instead_of_being_dropped(settings, dummy_tasks):
    settings.MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_HOUR = 2
    outcomes = [
        committed(
            lambda n=n: delivery.queue_sms(to=E164, body=f"notice {n}", purpose="rights_request_notice")
        )
        for n in range(4)
    ]
    assert outcomes == ["queued", "queued", "deferred", "deferred"]
    deferred = [r for r in dummy_tasks.results if r.kwargs.get("gate_purpose")]
    assert len(deferred) == 2
    assert all(r.task.run_after is not None for r in deferred)
    assert "13800138000" not in repr([(r.args, r.kwargs) for r in dummy_tasks.results])


def test_a_deferred_notice_is_counted_when_delivered(settings):
    settings.MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_HOUR = 1
    committed(lambda: delivery.queue_sms(to=E164, body="first", purpose="access_package"))
    # The immediate backend cannot defer: a notice over the budget is dropped with a warning.
    assert (
        committed(lambda: delivery.queue_sms(to=E164, body="second", purpose="access_package")) == "dropped"
    )
    assert [m.body for m in locmem.outbox] == ["first"]


def test_visitor_traffic_does_not_use_up_the_notice_budget(clock):
    for i in range(PER_PURPOSE_HOUR):
        code_request(i, {})
        clock.advance(61)
    assert committed(
        lambda: delivery.queue_sms(to=E164, body="answered", purpose="rights_request_notice")
    ) == ("queued")
    assert locmem.outbox[-1].body == "answered"
