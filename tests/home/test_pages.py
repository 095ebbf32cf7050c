"""Home page, versioned privacy policy, cookie notice, site settings."""

import datetime

import pytest
from django.test import Client
from wagtail.models import Page, Site

from demo.loader import load_demo_site
from home.demo import ensure_policy, policy_text_to_html
from home.models import PrivacyPolicyIndexPage, PrivacyPolicyPage, SiteSettings
from rights_requests.models import RightsRequestPage


@pytest.fixture
def policy(home_page):
    return ensure_policy(home_page)


def _publish_version(index, label, effective):
    page = PrivacyPolicyPage(
        title=f"隐私政策 {label}",
        slug=label,
        version_label=label,
        updated_date=effective,
        effective_date=effective,
        body=f"<p>版本 {label} 的正文</p>",
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_home_page_links_the_current_policy_in_header_and_footer(client, policy):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="header-policy-link"' in html
    assert 'data-testid="footer-policy-link"' in html
    assert policy.url in html


def test_policy_index_shows_the_current_version(client, policy):
    response = client.get("/privacy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "我们如何收集及使用您的个人信息" in html
    assert "privacy@example.com" in html
    assert "huawu.li" not in html and "60705163" not in html


def test_new_version_becomes_current_and_old_stays_readable(client, policy):
    index = PrivacyPolicyIndexPage.objects.get()
    new = _publish_version(index, "2026-01-01", datetime.date(2026, 1, 1))
    assert PrivacyPolicyPage.current(today=datetime.date(2026, 6, 1)).pk == new.pk
    assert PrivacyPolicyPage.current(today=datetime.date(2025, 6, 1)).pk == policy.pk

    old = client.get(policy.url)
    assert old.status_code == 200
    assert 'data-testid="old-version-notice"' in old.content.decode()
    assert "版本 2026-01-01 的正文" in client.get("/privacy/").content.decode()


def test_a_future_version_is_not_current_yet(policy):
    index = PrivacyPolicyIndexPage.objects.get()
    _publish_version(index, "2099-01-01", datetime.date(2099, 1, 1))
    assert PrivacyPolicyPage.current().pk == policy.pk


def test_unpublished_version_is_not_current(policy):
    policy.unpublish()
    assert PrivacyPolicyPage.current() is None


def test_policy_text_is_converted_to_rich_text():
    title, body = policy_text_to_html(
        "标题\n\n一、第一节\n\n(一) 共享\n\n1、查阅您的个人信息\n\n- ① 项目\n\n**重点**说明"
    )
    assert title == "标题"
    assert "<h2>一、第一节</h2>" in body
    assert "<h3>(一) 共享</h3>" in body
    assert "<h4>1、查阅您的个人信息</h4>" in body
    assert "<ul><li>① 项目</li></ul>" in body
    assert "<p><b>重点</b>说明</p>" in body


def test_cookie_banner_until_decided_and_no_optional_cookie_before(client, policy):
    response = client.get("/")
    assert 'data-testid="cookie-banner"' in response.content.decode()
    assert "pf_cookie_consent" not in response.cookies

    response = client.post("/cookies/", {"choice": "necessary", "next": "/privacy/"})
    assert response.status_code == 302 and response["Location"] == "/privacy/"
    assert response.cookies["pf_cookie_consent"].value == "necessary"
    assert response.cookies["pf_cookie_consent"]["httponly"]

    response = client.get("/")
    assert 'data-testid="cookie-banner"' not in response.content.decode()
    # The choice can be changed later.
    client.post("/cookies/", {"choice": "all"})
    assert 'data-testid="cookie-current"' in client.get("/cookies/").content.decode()


def test_cookie_preferences_reject_bad_input_and_open_redirects(client, policy):
    response = client.post("/cookies/", {"choice": "everything"})
    assert response.status_code == 400
    assert "pf_cookie_consent" not in response.cookies
    response = client.post("/cookies/", {"choice": "all", "next": "https://evil.example.net/"})
    assert response["Location"] == "/"


def test_cookie_preferences_require_csrf(policy):

    response = Client(enforce_csrf_checks=True).post("/cookies/", {"choice": "all"})
    assert response.status_code == 403


def test_default_language_is_chinese_and_english_available(client, policy):
    assert 'lang="zh-hans"' in client.get("/").content.decode()
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in response.content.decode()


def test_site_settings_appear_in_the_footer(client, policy):

    settings_obj = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings_obj.company_name = "测试公司"
    settings_obj.privacy_hotline = "400-123-4567"
    settings_obj.save()
    html = client.get("/").content.decode()
    assert "测试公司" in html and "400-123-4567" in html


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_demo_loader_is_idempotent(db, client):

    load_demo_site()
    counts = Page.objects.count()
    load_demo_site()
    assert Page.objects.count() == counts
    assert PrivacyPolicyPage.objects.count() == 1
    rights = RightsRequestPage.objects.live().get()
    html = client.get("/").content.decode()
    assert 'data-testid="header-rights-link"' in html and rights.url in html
