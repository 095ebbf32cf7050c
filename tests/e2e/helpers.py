"""Shared steps of the browser tests: pages built in setup code, admin login, reading SMS codes."""

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from forms.choices import RowKind
from forms.models import CampaignFormField, CampaignFormPage, CampaignIndexPage, Purpose
from messaging.backends.file import latest_message

CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
LOGIN_BUTTON = re.compile("登录")

# What a visitor types into each personal field of the forms under test.
VISITOR = {
    "name": "张伟",
    "company": "示例云计算有限公司",
    "email": "zhang.wei@example.com",
    "position": "运维经理",
}


def campaigns_index(home) -> CampaignIndexPage:
    index = CampaignIndexPage.objects.child_of(home).first()
    if index is None:
        index = CampaignIndexPage(title="市场活动", slug="campaigns")
        home.add_child(instance=index)
        index.save_revision().publish()
    return index


def campaign_page(
    *, parent, purpose: str, slug: str, title: str, thanks: str, publish: bool = True, **extra
) -> CampaignFormPage:
    """A campaign page carrying every field its purpose allows (required as the purpose says)."""
    purpose_obj = Purpose.objects.prefetch_related("fields").get(code=purpose)
    rows = [
        CampaignFormField(kind=RowKind.PERSONAL, field_key=allowed.field_key, required=allowed.required)
        for allowed in purpose_obj.fields.all()
    ]
    if "intended_city" in purpose_obj.allowed_field_keys():
        extra.setdefault("cities", "北京\n上海\n深圳")
    page = CampaignFormPage(
        title=title,
        slug=slug,
        purpose=purpose_obj,
        intro="<p>欢迎报名参加。</p>",
        thank_you_text=f"<p>{thanks}</p>",
        form_fields=rows,
        live=publish,
        **extra,
    )
    parent.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
    page.refresh_from_db()
    return page


def both_widths(target: Page, kit, name: str) -> None:
    """Screenshots at 1280 px and at 390 px (a phone)."""
    kit.shot(target, name)
    target.set_viewport_size({"width": 390, "height": 844})
    kit.shot(target, f"{name}-390")
    target.set_viewport_size({"width": 1280, "height": 900})


def admin_login(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the real Wagtail login form and land on the dashboard."""
    page.goto(base_url + "/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name=LOGIN_BUTTON).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def read_sms_code(mobile: str, directory: Path, *, after: str | None = None, timeout: float = 10.0) -> str:
    """The 6-digit code of the newest SMS the file backend wrote for ``mobile``.

    ``after`` is the body of an earlier message: wait until a different one arrives.
    """
    deadline = time.monotonic() + timeout
    while True:
        body = latest_message(mobile, file_path=directory) if directory.exists() else None
        if body and body != after:
            match = CODE_RE.search(body)
            assert match, f"no 6-digit code in the SMS: {body!r}"
            return match.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"no SMS for {mobile} in {directory} within {timeout} s")
        time.sleep(0.1)


def fill_campaign_form(page: Page, values: dict[str, str]) -> None:
    """Type ``values`` into the campaign form's fields (select fields get the option by label)."""
    for name, value in values.items():
        field = page.get_by_test_id(f"field-{name}")
        select = field.locator("select")
        if select.count():
            select.select_option(label=value)
        else:
            field.locator("input, textarea").first.fill(value)


def verify_and_submit_campaign(page: Page, mobile: str, sms_dir: Path) -> str:
    """Press "Send code", read the SMS, type the code, accept the policy and submit. Returns the code."""
    page.get_by_test_id("field-mobile").locator("input").fill(mobile)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("sms-message")).not_to_be_empty()
    code = read_sms_code(mobile, sms_dir)
    page.get_by_test_id("sms-code").fill(code)
    page.get_by_test_id("consent").check()
    page.get_by_test_id("submit").click()
    return code


def decline_optional_cookies(page: Page) -> None:
    """Answer the cookie banner with "necessary only" so it does not cover the form."""
    page.get_by_test_id("cookie-necessary").click()
    expect(page.get_by_test_id("cookie-banner")).to_have_count(0)
