"""The whitelist screen in a real browser: a marketer's disguised personal questions are refused
in the page editor, row by row, quoting what was written; a question on a purpose that collects
sensitive data waits in the Privacy review until a Privacy officer approves it in Wagtail's
workflow screens, which publishes it."""

import re

import pytest
from playwright.sync_api import expect

from forms.models import CampaignFormPage, ScreenApproval

from .helpers import admin_login, campaign_page, campaigns_index
from .test_campaign_forms import add_row, submit_for_review

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = "#id_form_fields-FORMS > [data-inline-panel-child]"
APPROVE_WITH_COMMENT = re.compile("带评论批准|Approve with comment")
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
    submit_for_review(page)
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
    expect(page.locator("[data-testid=campaign-screen][data-verdict=needs_review]")).to_be_visible()
    submit_for_review(page)
    expect(page.get_by_text(INVALID)).to_have_count(0)
    kit.shot(page, "sensitive-submitted")
    stored = CampaignFormPage.objects.get(pk=upgrade.pk)
    assert not stored.live and stored.workflow_in_progress

    # The officer finds it on the dashboard and approves it in Wagtail's workflow screen.
    officer = kit.new_page()
    admin_login(officer, kit.url, "officer", "pw-officer")
    panel = officer.get_by_test_id("privacy-review-panel")
    expect(panel).to_contain_text("合作伙伴升级")
    kit.shot(officer, "officer-dashboard")
    officer.goto(f"{kit.url}/admin/pages/{upgrade.pk}/edit/")
    officer.locator("footer [data-w-dropdown-target=toggle], footer .w-dropdown__toggle").first.click()
    officer.locator(
        "footer button[data-workflow-action-name=approve][data-workflow-action-modal-url]"
    ).click()
    officer.locator("textarea[name=comment]").fill("问题不涉及个人信息，同意上线。")
    kit.shot(officer, "officer-approves")
    officer.locator(".modal form").get_by_role("button", name=APPROVE_WITH_COMMENT).click()
    expect(officer.locator(".messages")).to_contain_text("合作伙伴升级")
    kit.shot(officer, "officer-approved")
    page_live = CampaignFormPage.objects.get(pk=upgrade.pk)
    assert page_live.live
    assert ScreenApproval.objects.filter(page_id=upgrade.pk).count() == 1
    assert page_live.form_fields.filter(label="您最关心的产品").exists()
