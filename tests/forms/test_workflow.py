"""The "Privacy review" workflow, as marketers and Privacy officers use it in the admin."""

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import PageLogEntry, TaskState, WorkflowState
from wagtail.test.utils.form_data import querydict_from_html
from wagtail.users.models import UserProfile

from forms import services
from forms.models import CampaignFormPage, CampaignSubmission, Purpose, PurposeField
from forms.workflow import PrivacyReviewTask, privacy_review_workflow
from tests.sms_codes import sms_token

from .test_admin import ALLOWED_ROWS, post_page, row
from .test_screen_admin import SENSITIVE_ROWS, post_sensitive_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _with_addresses(marketer, privacy_officer):
    for user, address in ((marketer, "marketer@example.com"), (privacy_officer, "officer@example.com")):
        user.email = address
        user.save(update_fields=["email"])


def edit_data(client, page, **fields):
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    for name in [k for k, v in data.items() if k.endswith("-required") and v == ""]:
        data[name] = "on"  # a ticked box without a value attribute, as a browser posts it
    for name, value in fields.items():
        data[name] = value
    return url, data


def workflow_action(client, page, action, **data):
    task_state = TaskState.objects.get(workflow_state__object_id=str(page.pk), status="in_progress")
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk))
    return client.post(url, data)


def test_campaign_pages_name_the_privacy_review_wherever_they_sit(home_page, page_factory):
    page = page_factory("event")
    workflow = page.get_workflow()
    assert workflow == privacy_review_workflow()
    task = workflow.tasks.get().specific
    assert isinstance(task, PrivacyReviewTask)
    assert list(task.groups.values_list("name", flat=True)) == ["Privacy officers"]


def test_a_page_within_the_whitelist_passes_and_goes_live_without_the_officer(
    client, marketer, home_page, policy
):
    client.force_login(marketer)
    response = post_page(client, home_page, ALLOWED_ROWS, action="action-submit")
    assert response.status_code == 302, response.content.decode()[:1500]
    page = CampaignFormPage.objects.get()
    assert page.live and not page.has_unpublished_changes
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_APPROVED
    task_state = state.task_states.get()
    assert task_state.status == TaskState.STATUS_APPROVED and task_state.finished_by is None
    assert not [m for m in mail.outbox if "officer@example.com" in m.to]


def test_a_sensitive_purpose_waits_for_the_officer_who_approves_it(
    client, marketer, privacy_officer, home_page, policy
):
    client.force_login(marketer)
    response = post_sensitive_page(client, home_page, SENSITIVE_ROWS, action="action-submit")
    assert response.status_code == 302, response.content.decode()[:1500]
    page = CampaignFormPage.objects.get()
    assert not page.live
    assert page.workflow_in_progress
    # The officer is told, in the admin's language (Chinese by default).
    to_officer = [m for m in mail.outbox if "officer@example.com" in m.to]
    assert to_officer and "已提交" in to_officer[0].subject + to_officer[0].body
    requested = PageLogEntry.objects.get(page=page, action="forms.privacy_review_requested")
    assert any("敏感" in reason or "sensitive" in reason for reason in requested.data["reasons"])

    # The marketer cannot approve their own page, nor edit it while it is in review.
    assert workflow_action(client, page, "approve").status_code in (302, 403)
    page.refresh_from_db()
    assert not page.live

    mail.outbox.clear()
    client.force_login(privacy_officer)
    assert page.title in client.get(reverse("wagtailadmin_home")).content.decode()
    response = workflow_action(client, page, "approve", comment="字段已核对")
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    approved = PageLogEntry.objects.get(page=page, action="forms.privacy_review_approved")
    assert approved.user == privacy_officer
    assert approved.data["revision"] == page.live_revision_id
    assert [r["key"] for r in approved.data["rows"] if r["kind"] == "personal"] == [
        "name", "mobile", "email", "id_card_number", "company",
    ]  # fmt: skip
    assert [m for m in mail.outbox if "marketer@example.com" in m.to]


def test_the_officer_rejects_with_a_comment_that_reaches_the_marketer_in_their_language(
    client, marketer, privacy_officer, home_page, policy
):
    profile = UserProfile.get_for_user(marketer)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(marketer)
    post_sensitive_page(client, home_page, SENSITIVE_ROWS, action="action-submit")
    page = CampaignFormPage.objects.get()
    mail.outbox.clear()
    client.force_login(privacy_officer)
    workflow_action(client, page, "reject", comment="请删去身份证号码")
    page.refresh_from_db()
    assert not page.live
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    to_marketer = [m for m in mail.outbox if "marketer@example.com" in m.to]
    assert to_marketer and "请删去身份证号码" in to_marketer[0].body
    assert (
        "changes requested" in to_marketer[0].subject.lower() or "rejected" in to_marketer[0].subject.lower()
    )


def test_rows_the_whitelist_no_longer_allows_are_sent_back_with_the_reasons(
    client, marketer, home_page, policy
):
    client.force_login(marketer)
    post_page(client, home_page, ALLOWED_ROWS, action="action-save")
    page = CampaignFormPage.objects.get()
    # The officer narrows the whitelist after the draft was saved.
    PurposeField.objects.filter(purpose__code="event", field_key="company").delete()

    url, data = edit_data(client, page, **{"action-submit": "1"})
    data["action-submit"] = "1"
    client.post(url, data)  # the editor refuses the row at once
    page.refresh_from_db()
    assert not page.live and not page.workflow_in_progress

    # A submission that skips the editor (API, script) meets the same check in the workflow.
    privacy_review_workflow().start(page, marketer)
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    task_state = state.task_states.get()
    assert task_state.status == TaskState.STATUS_REJECTED and "公司名称" in task_state.comment
    page.refresh_from_db()
    assert not page.live


def test_published_rows_change_only_through_the_review(client, marketer, privacy_officer, home_page, policy):
    client.force_login(marketer)
    post_page(client, home_page, ALLOWED_ROWS, action="action-submit")
    page = CampaignFormPage.objects.get()
    live_revision = page.live_revision_id

    # "Publish" from a marketer only saves a draft: the live form keeps its rows.
    url, data = edit_data(client, page)
    question = next(
        k[: -len("-label")] for k, v in data.items() if k.endswith("-label") and v == "您最关心的产品"
    )
    data[f"{question}-label"] = "您最关心的产品线"
    data["action-publish"] = "1"
    assert client.post(url, data).status_code == 302
    page.refresh_from_db()
    assert page.live_revision_id == live_revision
    assert page.form_fields.filter(label="您最关心的产品").exists()
    assert page.has_unpublished_changes

    # A visitor's answers record the form revision the review approved.
    token = sms_token(mobile="13800138000", purpose="event", ip="192.0.2.1")
    submission = services.submission_create(
        page=CampaignFormPage.objects.get(pk=page.pk),
        data={
            "name": "张三",
            "company": "示例",
            "email": "a@example.com",
            "mobile": "13800138000",
            "intended_city": "北京",
        },
        consent=True,
        verification_token=token,
        ip="192.0.2.1",
    )
    assert CampaignSubmission.objects.get(pk=submission.pk).form_revision_id == live_revision


def test_a_question_that_needs_review_waits_even_on_an_ordinary_purpose(client, marketer, home_page, policy):
    client.force_login(marketer)
    rows = [*ALLOWED_ROWS, row("question", label="您在哪个城市工作", required=False)]
    response = post_page(client, home_page, rows, action="action-submit")
    assert response.status_code == 302, response.content.decode()[:1500]
    page = CampaignFormPage.objects.get()
    assert not page.live and page.workflow_in_progress
    assert Purpose.objects.get(code="event").is_sensitive is False


def test_a_marketer_finds_no_side_door_to_live(client, marketer, page_factory, home_page):
    """Copy-and-publish, bulk publishing and the editor's publish button all leave a page a
    marketer changed off the live site until the Privacy review passes it."""
    source = page_factory("partner_upgrade", keys=["name", "mobile", "email", "id_card_number", "company"])
    client.force_login(marketer)
    response = client.post(
        reverse("wagtailadmin_pages:copy", args=(source.pk,)),
        {
            "new_title": "合作伙伴升级 副本",
            "new_slug": "upgrade-copy",
            "new_parent_page": home_page.pk,
            "publish_copies": "on",
        },
    )
    assert response.status_code == 302
    copy = CampaignFormPage.objects.get(slug="upgrade-copy")
    assert not copy.live and not copy.workflow_in_progress

    bulk = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish")) + f"?id={copy.pk}"
    client.post(bulk, {})
    assert not CampaignFormPage.objects.get(pk=copy.pk).live

    url, data = edit_data(client, copy, **{"action-publish": "1"})
    client.post(url, data)
    copy.refresh_from_db()
    assert not copy.live
    assert not PageLogEntry.objects.filter(page=copy, action="wagtail.publish").exists()
