"""The foundation as a visitor and an administrator see it in a real browser."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_visitor_reads_policy_and_accepts_cookies(page, live_server, demo_policy, shot):
    page.goto(live_server.url + "/")
    banner = page.get_by_test_id("cookie-banner")
    expect(banner).to_be_visible()
    # Nothing but strictly necessary cookies before the visitor decides.
    names = {c["name"] for c in page.context.cookies()}
    assert names <= {"csrftoken", "sessionid", "django_language"}, names
    shot("home-with-banner")

    page.get_by_test_id("header-policy-link").click()
    expect(page.get_by_test_id("policy-text")).to_contain_text("我们如何收集及使用您的个人信息")
    expect(page.get_by_test_id("policy-text")).to_contain_text("privacy@example.com")
    shot("policy")

    page.get_by_test_id("cookie-accept").click()
    expect(page.get_by_test_id("cookie-banner")).to_have_count(0)
    consent = {c["name"]: c["value"] for c in page.context.cookies()}
    assert consent.get("pf_cookie_consent") == "all"
    page.goto(live_server.url + "/cookies/")
    expect(page.get_by_test_id("cookie-current")).to_be_visible()
    shot("cookie-preferences")


def test_admin_login_is_in_chinese(page, live_server, home_page, shot):
    get_user_model().objects.create_superuser("boss", "boss@example.com", "a-long-test-password")
    page.goto(live_server.url + "/admin/login/")
    expect(page.locator("html")).to_have_attribute("lang", re.compile("zh"))
    expect(page.get_by_role("button", name=re.compile("登录"))).to_be_visible()
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "a-long-test-password")
    page.get_by_role("button", name=re.compile("登录")).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page).to_have_title(re.compile("控制面板"))
    shot("admin-dashboard")


@override_settings(AXES_FAILURE_LIMIT=5)
def test_admin_lockout_after_wrong_passwords(page, live_server, home_page, shot):
    get_user_model().objects.create_superuser("boss", "boss@example.com", "a-long-test-password")
    for _ in range(5):
        page.goto(live_server.url + "/admin/login/")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", "wrong-password")
        page.get_by_role("button", name=re.compile("登录")).click()
    expect(page.get_by_test_id("lockout-zh")).to_contain_text("登录已被暂时锁定")
    expect(page.get_by_test_id("lockout-en")).to_contain_text("Login temporarily locked")
    shot("lockout")
    # Even the right password is refused while locked.
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "a-long-test-password")
    page.get_by_role("button", name=re.compile("登录")).click()
    expect(page.get_by_test_id("lockout-zh")).to_be_visible()
