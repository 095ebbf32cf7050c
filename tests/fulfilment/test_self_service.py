"""The "My data" page over HTTP: SMS proof, the data held, downloads, requests that start verified."""

import json
import re
import time

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from messaging.backends import locmem
from rights_requests.choices import State, VerificationMethod
from rights_requests.fulfilment import views
from rights_requests.models import RightsRequest
from tests.sms_codes import last_sms_code as last_code

from .conftest import E164, ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db

URL = "/my-data/"


def fresh_limits() -> None:
    """Forget the SMS resend counters of the fixtures' own submissions."""
    caches["default"].clear()


def prove_mobile(client, mobile=MOBILE) -> None:
    fresh_limits()
    sent = client.post(URL, {"action": "send_code", "mobile": mobile}, follow=True)
    assert sent.status_code == 200
    html = sent.content.decode()
    assert 'data-testid="sms-code"' in html
    challenge_id = re.search(r'name="challenge_id" value="([^"]+)"', html).group(1)
    response = client.post(
        URL, {"action": "verify", "mobile": mobile, "challenge_id": challenge_id, "sms_code": last_code()}
    )
    assert response.status_code == 302 and response["Location"] == URL


def test_the_page_is_linked_from_the_header(client, home_page):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="header-my-data-link"' in html
    assert 'data-testid="send-code"' in html and 'data-testid="sms-code"' not in html


def test_self_service_flow(client, person):
    assert client.post(URL, {"action": "send_code", "mobile": "010-1234"}).status_code == 400
    fresh_limits()

    sent = client.post(URL, {"action": "send_code", "mobile": MOBILE})
    # Redirect after the POST: a reload of the page keeps the code step, and sends no code again.
    assert sent.status_code == 302 and sent["Location"] == URL
    sent_count = len(locmem.outbox)
    sent = client.get(URL)
    assert len(locmem.outbox) == sent_count
    html = sent.content.decode()
    assert f'value="{MOBILE}"' in html and "data-wait=" in html and "forms/sms.js" in html
    challenge_id = re.search(r'name="challenge_id" value="([^"]+)"', html).group(1)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(
        URL, {"action": "verify", "mobile": MOBILE, "challenge_id": challenge_id, "sms_code": wrong}
    )
    assert refused.status_code == 400 and b'data-testid="error-sms_code"' in refused.content
    assert b'data-testid="my-data-records"' not in refused.content

    ok = client.post(
        URL, {"action": "verify", "mobile": MOBILE, "challenge_id": challenge_id, "sms_code": code}
    )
    assert ok.status_code == 302
    page = client.get(URL)
    html = page.content.decode()
    assert page["Cache-Control"].startswith("private")
    for submission in person:
        assert f'data-testid="record-{submission.pk}"' in html
    assert "王芳" in html and "中关村大街" in html
    assert ID_NUMBER not in html and ID_NUMBER[-4:] in html  # the ID number is masked

    document = json.loads(client.get(reverse("fulfilment:my_data_download", args=("json",))).content)
    assert document["record_count"] == 3 and document["sensitive_masked"] is True
    assert ID_NUMBER not in json.dumps(document)
    assert {r["fields"]["mobile"] for r in document["records"]} == {E164}
    csv = client.get(reverse("fulfilment:my_data_download", args=("csv",))).content.decode("utf-8-sig")
    assert "收集目的" in csv.splitlines()[0] and len(csv.splitlines()) == 4

    filed = client.post(URL, {"action": "file", "request_type": "delete", "details": ""})
    assert filed.status_code == 200 and b'data-testid="filed"' in filed.content
    rr = RightsRequest.objects.get(request_type="delete")
    assert rr.state == State.VERIFIED
    assert rr.verification_method == VerificationMethod.SMS
    assert rr.mobile == E164 and rr.mobile_confirmed_at is not None

    missing = client.post(URL, {"action": "file", "request_type": "correct", "details": ""})
    assert missing.status_code == 400
    assert RightsRequest.objects.filter(request_type="correct").count() == 0
    foreign = client.post(URL, {"action": "file", "request_type": "access", "details": "x"})
    assert foreign.status_code == 400

    withdraw = client.post(URL, {"action": "file", "request_type": "withdraw_consent", "purpose": "event"})
    assert withdraw.status_code == 200
    assert "§1.5" in RightsRequest.objects.get(request_type="withdraw_consent").details


def test_the_grant_expires(client, person, monkeypatch):
    prove_mobile(client)
    assert b'data-testid="my-data-records"' in client.get(URL).content
    real = time.time
    monkeypatch.setattr(views.time, "time", lambda: real() + views.grant_seconds() + 1)
    page = client.get(URL)
    assert b'data-testid="my-data-records"' not in page.content and b'data-testid="send-code"' in page.content
    assert client.get(reverse("fulfilment:my_data_download", args=("json",))).status_code == 403
    assert client.post(URL, {"action": "file", "request_type": "delete"}).status_code == 403
    assert not RightsRequest.objects.exists()


def test_nothing_without_the_sms_proof(client, person):
    assert client.get(reverse("fulfilment:my_data_download", args=("json",))).status_code == 403
    assert client.post(URL, {"action": "file", "request_type": "delete"}).status_code == 403
    forged = client.post(
        URL, {"action": "verify", "mobile": MOBILE, "challenge_id": "nope", "sms_code": "123456"}
    )
    assert forged.status_code == 400
    assert b"\xe7\x8e\x8b\xe8\x8a\xb3" not in forged.content  # 王芳


def test_no_data_held_is_shown_not_an_error(client, pages):
    prove_mobile(client, "13600000000")
    page = client.get(URL)
    assert page.status_code == 200 and b'data-testid="no-data"' in page.content


def test_csrf_is_enforced(home_page):
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, {"action": "send_code", "mobile": MOBILE}).status_code == 403
