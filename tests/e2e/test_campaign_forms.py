"""Issue 3 in a real browser: a marketer's roadshow page is held to the policy whitelist,
then a visitor verifies the mobile and submits the published page."""

import re

import pytest
from playwright.sync_api import expect

from forms.models import CampaignFormPage, CampaignSubmission

from .helpers import (
    VISITOR,
    admin_login,
    campaign_page,
    campaigns_index,
    decline_optional_cookies,
    fill_campaign_form,
    verify_and_submit_campaign,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

QUESTION_REFUSAL = re.compile("微信号")
PASSED = re.compile("提交|发布|submitted|published", re.IGNORECASE)
THANKS = "报名成功！会前我们将与您确认参会信息。"


def add_row(page):
    """Press the form rows' "Add" button and return the new (last) row."""
    rows = page.locator("#id_form_fields-FORMS > [data-inline-panel-child]")
    before = rows.count()
    page.locator("#id_form_fields-ADD").click()
    expect(rows).to_have_count(before + 1)
    return rows.last


def submit_for_review(page):
    """A marketer's way live: "Submit to Privacy review" in the editor's action menu."""
    page.locator("footer [data-w-dropdown-target=toggle], footer .w-dropdown__toggle").first.click()
    page.locator("button[name=action-submit]").click()


@pytest.fixture
def roadshow_draft(demo_policy):
    """An unpublished roadshow page carrying what the `event` purpose allows."""
    index = campaigns_index(demo_policy.get_parent().get_parent().specific)
    draft = campaign_page(
        parent=index,
        purpose="event",
        slug="roadshow-shanghai",
        title="2026 全国渠道巡展 · 上海站",
        thanks=THANKS,
        publish=False,
    )
    assert not draft.live
    return draft


@pytest.mark.usefixtures("marketer")
def test_marketer_is_held_to_the_whitelist_then_visitor_submits(page, kit, roadshow_draft):
    draft = roadshow_draft
    admin_login(page, kit.url, "marketer", "pw-marketer")
    page.goto(f"{kit.url}/admin/pages/{draft.pk}/edit/")
    expect(page.locator("#id_form_fields-FORMS > [data-inline-panel-child]")).to_have_count(5)
    kit.shot(page, "editor")

    # A personal field the roadshow purpose does not allow is not even offered.
    row = add_row(page)
    row.locator("select[name$='-kind']").select_option("personal")
    keys = row.locator("select[name$='-field_key'] option")
    expect(keys.filter(has_text="手机号")).to_have_count(1)
    expect(row.locator("select[name$='-field_key'] option[value=id_card_number]")).to_have_count(0)
    expect(row.locator("select[name$='-field_type']")).to_be_hidden()  # personal rows: label, help, required
    kit.shot(page, "id-card-not-offered")

    # Use the row to smuggle the same data in as a free-text question instead.
    row.locator("select[name$='-kind']").select_option("question")
    expect(row.locator("select[name$='-field_type']")).to_be_visible()
    row.locator("input[name$='-label']").fill("微信号")
    row.locator("select[name$='-field_type']").select_option("singleline")
    # The screen's verdict shows while typing, before any save.
    expect(page.locator("[data-testid=campaign-screen][data-verdict=refused]")).to_be_visible()
    expect(row.get_by_test_id("campaign-row-note")).to_contain_text(QUESTION_REFUSAL)
    kit.shot(page, "question-refused-live")
    submit_for_review(page)
    question_error = page.locator(".error-message, .w-field__errors").filter(has_text=QUESTION_REFUSAL)
    expect(question_error.first).to_be_visible()
    kit.shot(page, "question-refused")
    assert not CampaignFormPage.objects.get(pk=draft.pk).live

    smuggled_row = page.locator("#id_form_fields-FORMS > [data-inline-panel-child]").last
    smuggled_row.locator("button[id$='-DELETE-button']").click()
    expect(smuggled_row).to_be_hidden()
    expect(page.locator("[data-testid=campaign-screen][data-verdict=allowed]")).to_be_visible()
    submit_for_review(page)
    expect(page.locator(".messages")).to_contain_text(PASSED)
    kit.shot(page, "published")
    live = CampaignFormPage.objects.get(pk=draft.pk)
    assert live.live
    assert [row.field_key for row in live.form_fields.all()] == [
        "name",
        "company",
        "email",
        "mobile",
        "intended_city",
    ]

    # A visitor (no admin session) opens the published page and submits it.
    visitor = kit.new_page()
    visitor.goto(kit.url + live.url)
    decline_optional_cookies(visitor)
    expect(visitor.get_by_test_id("campaign-title")).to_have_text("2026 全国渠道巡展 · 上海站")
    expect(visitor.get_by_test_id("campaign-purpose")).to_contain_text("§1.5")
    expect(visitor.get_by_test_id("field-id_card_number")).to_have_count(0)
    fill_campaign_form(
        visitor, {**{k: VISITOR[k] for k in ("name", "company", "email")}, "intended_city": "上海"}
    )
    kit.shot(visitor, "visitor-form")
    verify_and_submit_campaign(visitor, "13800138031", kit.sms_dir)
    expect(visitor.get_by_test_id("thank-you-text")).to_have_text(THANKS)
    kit.shot(visitor, "visitor-thanks")
    submission = CampaignSubmission.objects.get(page=live)
    assert submission.form_data["name"] == "张伟"
    assert "sms_code" not in submission.form_data
