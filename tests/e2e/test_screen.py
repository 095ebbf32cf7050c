"""The whitelist screen in a real browser: a marketer's disguised personal questions are refused
in the page editor, row by row, quoting what was written; a question on a purpose that collects
sensitive data waits until a Privacy officer approves it, then the marketer publishes."""

import re

import pytest
from playwright.sync_api import expect

from forms.models import CampaignFormPage, ScreenApproval

from .helpers import admin_login, campaign_page, campaigns_index
from .test_campaign_forms import add_row, publish

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = "#id_form_fields-FORMS > [data-inline-panel-child]"
NEEDS_OFFICER = re.compile("须经隐私官批准")
PUBLISHED = re.compile("已经?发布|published", re.IGNORECASE)
SAVED = re.compile("已被?保存|已被?更新|saved|updated", re.IGNORECASE)
INVALID = re.compile("验证错误|could not be saved due to errors", re.IGNORECASE)


@pytest.fixture
def drafts(demo_policy):
    index = campaigns_index(demo_policy.get_parent().get_parent().specific)
    roadshow = campaign_page(
        parent=index, purpose="event", slug="roadshow", title="渠道巡展", thanks="谢谢", publish=False
    )
    upgrade = campaign_page(
        parent=index,
        purpose="partner_upgrade",
        slug="upgrade",
        title="合作伙伴升级",
        thanks="谢谢",
        publish=False,
    )
    return roadshow, upgrade


@pytest.mark.usefixtures("marketer", "privacy_officer")
def test_disguised_questions_are_refused_and_sensitive_ones_wait_for_an_officer(page, kit, drafts):
    roadshow, upgrade = drafts
    admin_login(page, kit.url, "marketer", "pw-marketer")
    page.goto(f"{kit.url}/admin/pages/{roadshow.pk}/edit/")
    expect(page.locator(ROWS)).to_have_count(5)

    # An ID-number question written with a zero-width space and a traditional character, and
    # a gender question hidden behind a neutral label.
    disguised = add_row(page)
    disguised.locator("select[name$='-kind']").select_option("question")
    disguised.locator("input[name$='-label']").fill("请填 身\u200b份 證")
    disguised.locator("select[name$='-field_type']").select_option("singleline")
    gender = add_row(page)
    gender.locator("select[name$='-kind']").select_option("question")
    gender.locator("input[name$='-label']").fill("您属于")
    gender.locator("select[name$='-field_type']").select_option("radio")
    gender.locator("textarea[name$='-choices']").fill("男\n女")
    publish(page)
    errors = page.locator(".error-message, .w-field__errors")
    expect(errors.filter(has_text="身\u200b份 證").first).to_be_visible()
    expect(errors.filter(has_text="身份证号码").first).to_be_visible()
    expect(errors.filter(has_text="性别").first).to_be_visible()
    kit.shot(page, "disguised-refused")
    assert not CampaignFormPage.objects.get(pk=roadshow.pk).live
    assert not CampaignFormPage.objects.get(pk=roadshow.pk).form_fields.filter(kind="question").exists()

    # A harmless question on the partner-upgrade purpose (which collects ID numbers) waits.
    page.goto(f"{kit.url}/admin/pages/{upgrade.pk}/edit/")
    question = add_row(page)
    question.locator("select[name$='-kind']").select_option("question")
    question.locator("input[name$='-label']").fill("您最关心的产品")
    question.locator("select[name$='-field_type']").select_option("singleline")
    publish(page)
    expect(page.get_by_text(NEEDS_OFFICER).first).to_be_visible()
    kit.shot(page, "sensitive-needs-review")
    page.locator("button[name=action-save], button:has-text('保存草稿')").first.click()
    # The draft is saved (the editor reloads without the validation banner) before anyone reviews it.
    expect(page.get_by_text(INVALID)).to_have_count(0)
    expect(page.locator(".messages")).to_contain_text(SAVED)
    assert not CampaignFormPage.objects.get(pk=upgrade.pk).live

    officer = kit.new_page()
    admin_login(officer, kit.url, "officer", "pw-officer")
    officer.get_by_role("link", name="待审核的表单行").click()
    row = officer.get_by_test_id("screen-review-row").filter(has_text="合作伙伴升级")
    expect(row).to_contain_text("您最关心的产品")
    kit.shot(officer, "rows-awaiting-review")
    row.get_by_test_id("approve-rows").click()
    expect(officer.get_by_test_id("screen-reviews-empty")).to_be_visible()
    assert ScreenApproval.objects.filter(page_id=upgrade.pk).count() == 1

    page.goto(f"{kit.url}/admin/pages/{upgrade.pk}/edit/")
    expect(page.locator("input[name$='-label'][value='您最关心的产品']")).to_have_count(1)
    publish(page)
    expect(page.locator(".messages")).to_contain_text(PUBLISHED)
    assert CampaignFormPage.objects.get(pk=upgrade.pk).live
