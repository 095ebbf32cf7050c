"""The visitor pages under the message limits: a proof-of-work instead of a refusal, withheld receipts said aloud."""

import json
import re

import pytest
from django.core import mail
from django.test import TestCase

from messaging import pow
from messaging.backends import locmem
from rights_requests.models import RightsRequest
from tests.sms_codes import last_sms_code as last_code
from verification import services as sms

from .conftest import MOBILE, file_request

pytestmark = pytest.mark.django_db


def codes_for_other_purposes(count=3):
    """Codes for MOBILE under other purposes, from other clients, to pass the proof threshold."""
    pairs = zip(
        ("training", "survey", "trial"), ("198.51.100.1", "198.51.100.2", "198.51.100.3"), strict=True
    )
    for purpose, ip in list(pairs)[:count]:
        with TestCase.captureOnCommitCallbacks(execute=True):
            sms.challenge_create(mobile=MOBILE, purpose=purpose, ip=ip)


def challenge_in(html: str) -> dict:
    found = re.search(r'data-pow-challenge="([^"]+)"', html)
    assert found, "no proof-of-work challenge on the page"
    return json.loads(found.group(1).replace("&quot;", '"'))


PAGES = [
    pytest.param(
        lambda ctx: ctx["rights_page"].url,
        {"action": "send_code", "request_type": "access", "mobile": MOBILE},
        id="rights-request page",
    ),
    pytest.param(lambda ctx: "/my-data/", {"action": "send_code", "mobile": MOBILE}, id="my-data page"),
]


@pytest.fixture
def ctx(rights_page, page_factory):
    return {"rights_page": rights_page}


@pytest.mark.parametrize(("url", "data"), PAGES)
def test_a_page_asks_the_browser_for_a_proof_then_sends_the_code(commit_client, ctx, url, data):
    codes_for_other_purposes()
    before = len(locmem.outbox)
    asked = commit_client.post(url(ctx), data, REMOTE_ADDR="203.0.113.50")
    assert asked.status_code == 428
    html = asked.content.decode()
    assert 'data-testid="pow-challenge"' in html
    assert "forms/pow.js" in html and "vendor/altcha/altcha-lib.min.js" in html
    assert int(asked["Retry-After"]) >= 1
    assert len(locmem.outbox) == before

    sent = commit_client.post(
        url(ctx), {**data, "pow": pow.solve(challenge_in(html))}, REMOTE_ADDR="203.0.113.50", follow=True
    )
    assert sent.status_code == 200
    assert 'data-testid="pow-challenge"' not in sent.content.decode()
    assert len(locmem.outbox) == before + 1 and locmem.outbox[-1].to == "+86" + MOBILE


def test_the_campaign_page_answers_its_script_with_428_and_the_challenge(client, page_factory):
    page = page_factory("event")
    codes_for_other_purposes()
    asked = client.post(
        page.url, {"action": "send_code", "mobile": MOBILE}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert asked.status_code == 428
    body = asked.json()
    assert body["pow"]["signature"] and body["errors"]["sms_code"] and body["working"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = client.post(
            page.url,
            {"action": "send_code", "mobile": MOBILE, "pow": pow.solve(body["pow"])},
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
        )
    assert sent.status_code == 200, sent.content.decode()
    assert sent.json()["challenge_id"]
    assert len(locmem.outbox) == 4


def test_a_request_filed_on_the_page_says_when_its_receipts_were_withheld(
    commit_client, rights_page, settings
):
    settings.MESSAGE_LIMIT_PER_PURPOSE_HOUR = (
        1  # one receipt and one confirmation link per recipient and hour
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        file_request(request_type="access", ip="198.51.100.9")
    sent = len(locmem.outbox)
    data = {"action": "send_code", "request_type": "access", "mobile": MOBILE, "email": "li.lei@example.com"}
    page = commit_client.post(rights_page.url, data, REMOTE_ADDR="203.0.113.50")
    challenge_id = re.search(r'name="challenge_id" value="([^"]+)"', page.content.decode()).group(1)
    filed = commit_client.post(
        rights_page.url,
        {**data, "action": "submit", "challenge_id": challenge_id, "sms_code": last_code()},
        REMOTE_ADDR="203.0.113.50",
        follow=True,
    )
    assert filed.status_code == 200
    html = filed.content.decode()
    assert "我们未发送确认短信" in html
    assert "我们暂时无法发送邮箱确认链接" in html
    assert RightsRequest.objects.count() == 2
    assert len(locmem.outbox) == sent + 1  # the code; the second receipt was withheld
    assert len([m for m in mail.outbox if "li.lei@example.com" in m.to]) == 1
