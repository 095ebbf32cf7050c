"""A Marketers user (not a superuser) builds a training page from purpose to published in a
handful of inputs, and the editor's preview panel shows the page."""

import re

import pytest
from playwright.sync_api import expect

from forms.models import CampaignFormPage

from .helpers import admin_login, both_widths, campaigns_index
from .test_campaign_forms import submit_for_review

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = "#id_form_fields-FORMS > [data-inline-panel-child]"
PASSED = re.compile("提交|发布|submitted|published", re.IGNORECASE)


@pytest.mark.usefixtures("marketer")
def test_a_marketer_builds_a_training_page_in_ten_inputs(page, kit, demo_policy):
    index = campaigns_index(demo_policy.get_parent().get_parent().specific)
    admin_login(page, kit.url, "marketer", "pw-marketer")
    inputs = 0

    page.goto(f"{kit.url}/admin/pages/{index.pk}/")
    page.get_by_role("link", name=re.compile("添加子页面|Add child page")).first.click()
    inputs += 1
    expect(page.get_by_test_id("purpose-cards")).to_be_visible()
    both_widths(page, kit, "choose-purpose")

    page.locator("[data-testid=choose-purpose][data-purpose=training]").click()
    inputs += 1
    expect(page.locator(ROWS)).to_have_count(7)  # the purpose's allowed fields, prefilled
    expect(page.locator("[data-testid=campaign-screen][data-verdict=allowed]")).to_be_visible()

    page.locator("#id_title").fill("2027 认证培训 · 北京")
    inputs += 1
    both_widths(page, kit, "prefilled")

    # The preview panel shows the page as a visitor would see it.
    page.locator("button[data-side-panel-toggle=preview]").click()
    inputs += 1
    frame = page.frame_locator("iframe[data-w-preview-target=iframe], #w-preview-iframe").first
    expect(frame.get_by_test_id("campaign-title")).to_have_text("2027 认证培训 · 北京", timeout=20_000)
    kit.shot(page, "preview")
    page.locator("button[data-side-panel-toggle=preview]").click()
    inputs += 1

    submit_for_review(page)
    inputs += 2
    expect(page.locator(".messages")).to_contain_text(PASSED)
    kit.shot(page, "published")

    built = CampaignFormPage.objects.get(slug__startswith="2027")
    assert built.live and built.purpose.code == "training"
    assert [r.field_key for r in built.form_fields.all()] == [
        "name", "company", "position", "email", "mobile", "city", "cooperation_intention",
    ]  # fmt: skip
    assert inputs <= 10
