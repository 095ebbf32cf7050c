"""What a new visitor ran into: errors printed twice, messages in the wrong language, a reload of
the thank-you page that re-posted, links to the wrong host or port, no countdown on the other SMS
steps, a thank-you page whose policy mention was no link, no favicon."""

import json
import re

import pytest
from django.core import mail
from django.test import Client
from wagtail.models import Site

from forms import operations, services
from forms.models import CampaignSession, Registration
from home.demo import point_site_at
from home.links import absolute_url
from rights_requests.tasks import status_url
from tests.sms_codes import last_sms_code, sms_token

pytestmark = pytest.mark.django_db

EVENT = {"name": "张三", "company": "示例科技", "email": "zhang@example.com", "mobile": "13800138000",
         "intended_city": "上海"}  # fmt: skip


def error_items(html: str) -> list[str]:
    return re.findall(r'<ul class="errorlist" data-testid="error-[^"]+">(.*?)</ul>', html, re.S)


def test_each_field_error_is_printed_once(client, page_factory):
    page = page_factory("event")
    html = client.post(page.url, {"mobile": "13800138000", "action": "submit"}).content.decode()
    lists = error_items(html)
    assert lists, html
    for items in lists:
        messages = re.findall(r"<li>(.*?)</li>", items)
        assert len(messages) == len(set(messages)) == 1
    assert html.count('data-testid="error-name"') == 1


@pytest.mark.parametrize(("header", "consent", "required"), [
    ({}, "请阅读隐私政策并勾选同意。", "此字段为必填项。"),
    ({"HTTP_ACCEPT_LANGUAGE": "en"}, "Please read the privacy policy and tick the box to agree to it.",
     "This field is required."),
])  # fmt: skip
def test_messages_follow_the_request_language_after_any_other(page_factory, header, consent, required):
    page = page_factory("event")
    # Another visitor in the other language first: nothing of theirs may stick.
    other = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"} if header else {"HTTP_ACCEPT_LANGUAGE": "en"}
    Client().post(page.url, {"action": "submit"}, **other)
    Client().post(f"/api/forms/{page.pk}/submissions", "{}", content_type="application/json", **other)

    html = Client().post(page.url, {"mobile": "13800138000", "action": "submit"}, **header).content.decode()
    assert consent in html and required in html
    api = (
        Client()
        .post(
            f"/api/forms/{page.pk}/submissions",
            json.dumps({"data": {"name": "x"}, "consent": False}),
            content_type="application/json",
            **header,
        )
        .json()
    )
    assert api["errors"]["consent"] == [consent] and api["errors"]["company"] == [required]


def _submit_through_the_page(client, page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(page.url, {**EVENT, "action": "send_code"})
    challenge = re.search(r'name="challenge_id" value="([^"]+)"', sent.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            page.url, {**EVENT, "consent": "on", "challenge_id": challenge, "sms_code": last_sms_code()}
        )


def test_the_thank_you_page_has_its_own_address_and_a_reload_posts_nothing(
    client, page_factory, policy, django_capture_on_commit_callbacks
):
    page = page_factory("event")
    done = _submit_through_the_page(client, page, django_capture_on_commit_callbacks)
    assert done.status_code == 303
    thanks = done["Location"]
    assert thanks.startswith(page.url + "?thanks=")
    for _reload in range(2):
        shown = client.get(thanks)
        html = shown.content.decode()
        assert shown.status_code == 200 and 'data-testid="thank-you"' in html
        assert "errorlist" not in html and "已被使用" not in html
        assert f'href="{policy.url}" data-testid="thank-you-policy-link"' in html
    assert shown["Cache-Control"] == "private, no-store"
    # A forged or another page's token shows the form again.
    assert client.get(page.url + "?thanks=forged").status_code == 302
    other = page_factory("compatibility")
    token = thanks.split("thanks=", 1)[1]
    assert client.get(f"{other.url}?thanks={token}").status_code == 302


def test_links_in_messages_use_the_site_address_with_its_port(
    client, page_factory, settings, django_capture_on_commit_callbacks
):
    point_site_at("http://forms.example.test:8123")
    page = page_factory("event")
    CampaignSession.objects.create(page=page, city="上海", capacity=5)
    _submit_through_the_page(client, page, django_capture_on_commit_callbacks)
    (confirmation,) = [m for m in mail.outbox if m.to == ["zhang@example.com"]]
    assert "http://forms.example.test:8123/sign-ups/" in confirmation.body
    assert absolute_url("/x/") == "http://forms.example.test:8123/x/"
    settings.SITE_URL = "https://forms.example.com/"
    assert absolute_url("/x/") == "https://forms.example.com/x/"
    assert status_url(type("RR", (), {"reference": "R1", "status_token": "t"})()).startswith(
        "https://forms.example.com/rights-requests/"
    )


def test_pointing_the_site_refuses_what_is_not_an_address(home_page):
    with pytest.raises(ValueError, match="not an http"):
        point_site_at("forms.example.com")
    assert Site.objects.get(is_default_site=True).port == 80


def test_favicon(client, home_page):
    html = client.get(home_page.url).content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_the_campaign_page_shows_seats_left(client, page_factory):
    page = page_factory("event")
    CampaignSession.objects.create(page=page, city="上海", capacity=1)
    assert "剩余 1 个名额" in client.get(page.url).content.decode()
    token = sms_token(mobile=EVENT["mobile"], purpose="event", ip="10.0.0.9", fresh_limits=True)
    services.submission_create(page=page, data=EVENT, consent=True, verification_token=token, ip="10.0.0.9")
    assert Registration.objects.get().status == "confirmed"
    assert "名额已满" in client.get(page.url).content.decode()
    assert operations.window_state(page) == "open"
