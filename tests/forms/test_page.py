"""A visitor on a campaign page: the SMS step without and with JavaScript, and plain forms."""

import json
import re

import pytest
from django.utils.html import escape

from forms.models import CampaignSubmission, SubjectHash
from messaging.backends import locmem
from tests.sms_codes import last_sms_code as last_code

from .utils import personal

pytestmark = pytest.mark.django_db

EVENT = {"name": "张三", "company": "示例科技", "email": "zhang@example.com", "mobile": "13800138000",
         "intended_city": "上海", "consent": "on"}  # fmt: skip


def hidden(html, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.fixture
def event_page(page_factory):
    return page_factory("event")


@pytest.fixture
def send_code(client, django_capture_on_commit_callbacks):
    def _send(page, data, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(page.url, {**data, "action": "send_code"}, **headers)

    return _send


def test_sms_page_shows_code_step_and_consent_link(client, event_page, policy):
    html = client.get(event_page.url).content.decode()
    for testid in [
        "send-code",
        "sms-code",
        "consent",
        "consent-policy-link",
        "submit",
        "field-intended_city",
    ]:
        assert f'data-testid="{testid}"' in html
    assert policy.url in html
    assert "forms/sms.js" in html


def test_no_javascript_flow_keeps_input_and_stores_no_code(client, event_page, send_code):
    sent = send_code(event_page, EVENT)
    assert sent.status_code == 200
    html = sent.content.decode()
    challenge_id = hidden(html, "challenge_id")
    assert challenge_id
    assert 'value="示例科技"' in html and 'value="zhang@example.com"' in html
    assert 'data-testid="sms-message"' in html and "errorlist" not in html
    code = last_code()

    done = client.post(event_page.url, {**EVENT, "challenge_id": challenge_id, "sms_code": code}, follow=True)
    assert done.redirect_chain[0][1] == 303 and "?thanks=" in done.redirect_chain[0][0]
    assert done.status_code == 200
    assert "感谢报名" in done.content.decode()
    submission = CampaignSubmission.objects.get()
    assert submission.form_data["mobile"] == "+8613800138000"
    assert "sms_code" not in submission.form_data and code not in json.dumps(submission.form_data)
    assert SubjectHash.objects.filter(submission=submission).count() == 2


def test_submitted_mobile_must_equal_verified_one(client, event_page, send_code):
    challenge_id = hidden(send_code(event_page, EVENT).content.decode(), "challenge_id")
    response = client.post(
        event_page.url,
        {**EVENT, "mobile": "13900139000", "challenge_id": challenge_id, "sms_code": last_code()},
    )
    assert response.status_code == 400
    assert 'data-testid="error-sms_code"' in response.content.decode()
    assert not CampaignSubmission.objects.exists()


def test_wrong_code_and_missing_code(client, event_page, send_code):
    challenge_id = hidden(send_code(event_page, EVENT).content.decode(), "challenge_id")
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post(event_page.url, {**EVENT, "challenge_id": challenge_id, "sms_code": wrong})
    assert response.status_code == 400
    body = response.content.decode()
    assert escape("4 attempts left") in body or "还可尝试 4 次" in body
    missing = client.post(event_page.url, EVENT)
    assert missing.status_code == 400
    assert 'data-testid="error-sms_code"' in missing.content.decode()
    assert not CampaignSubmission.objects.exists()


def test_invalid_field_is_reported_before_a_code_is_spent(client, event_page, send_code):
    challenge_id = hidden(send_code(event_page, EVENT).content.decode(), "challenge_id")
    code = last_code()
    response = client.post(
        event_page.url, {**EVENT, "email": "not-an-email", "challenge_id": challenge_id, "sms_code": code}
    )
    assert response.status_code == 400
    assert 'data-testid="error-email"' in response.content.decode()
    fixed = client.post(event_page.url, {**EVENT, "challenge_id": challenge_id, "sms_code": code})
    assert fixed.status_code == 303
    assert CampaignSubmission.objects.count() == 1


def test_javascript_send_returns_json_and_rate_limit_429(event_page, send_code):
    first = send_code(event_page, EVENT, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert first.status_code == 200
    body = first.json()
    assert body["challenge_id"] and body["expires_in"] > 0 and body["resend_after"] == 60
    again = send_code(event_page, EVENT, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert again.status_code == 429
    assert int(again["Retry-After"]) > 0 and again.json()["retry_after"] > 0
    no_js = send_code(event_page, EVENT)
    assert no_js.status_code == 429
    assert 'data-wait="' in no_js.content.decode()


def test_bad_mobile_on_send(event_page, send_code):
    response = send_code(
        event_page, {**EVENT, "mobile": "010-62345678"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["mobile"]
    assert not locmem.outbox


def test_page_without_sms_has_no_code_field_and_submits(client, page_factory):
    page = page_factory("compatibility")
    html = client.get(page.url).content.decode()
    assert 'data-testid="sms-code"' not in html and 'data-testid="send-code"' not in html
    data = {
        "name": "李四",
        "company": "示例",
        "mobile": "13900139000",
        "mailing_address": "北京市海淀区",
        "consent": "on",
    }
    assert client.post(page.url, data).status_code == 303
    assert CampaignSubmission.objects.count() == 1


def test_extra_key_over_http_refused_with_database_unchanged(client, page_factory):
    page = page_factory("compatibility")
    data = {"name": "李四", "company": "示例", "mobile": "13900139000", "mailing_address": "北京", "consent": "on",
            "id_card_number": "11010519491231002X"}  # fmt: skip
    response = client.post(page.url, data)
    assert response.status_code == 400
    assert "id_card_number" in response.content.decode()
    assert CampaignSubmission.objects.count() == 0 and SubjectHash.objects.count() == 0


def test_missing_consent_over_http(client, page_factory):
    page = page_factory("compatibility")
    data = {"name": "李四", "company": "示例", "mobile": "13900139000", "mailing_address": "北京"}
    response = client.post(page.url, data)
    assert response.status_code == 400
    assert 'data-testid="error-consent"' in response.content.decode()
    assert not CampaignSubmission.objects.exists()


def test_minor_page_shows_guardian_box(client, page_factory):
    page = page_factory("job_application")
    assert 'data-testid="guardian-consent"' in client.get(page.url).content.decode()


def test_preview_uses_unsaved_rows(page_factory):

    page = page_factory("event")
    page.form_fields = [personal("name"), personal("mobile")]
    form_preview = page.make_preview_request(preview_mode="form")
    html = form_preview.render().content.decode()
    assert 'data-testid="field-name"' in html and 'data-testid="field-email"' not in html
    landing = page.make_preview_request(preview_mode="landing")
    assert "感谢报名" in landing.render().content.decode()
