"""The screen in the admin: officers keep the terms, doubtful rows wait for an officer."""

import pytest
from django.urls import reverse
from wagtail.actions.publish_page_revision import PublishPagePermissionError
from wagtail.models import ModelLogEntry, PageLogEntry
from wagtail.test.utils.form_data import querydict_from_html

from forms.models import CampaignFormPage, Purpose, ScreenApproval, ScreenTerm
from forms.review import Verdict, page_screen
from forms.services import form_definition

from .screen_cases import q
from .test_admin import ALLOWED_ROWS, post_page, row
from .utils import make_campaign_page, personal, question

pytestmark = pytest.mark.django_db

SENSITIVE_ROWS = [
    row("personal", "name"),
    row("personal", "mobile"),
    row("personal", "email"),
    row("personal", "id_card_number", required=False),
    row("personal", "company"),
    row("question", label="您最关心的产品", field_type="radio", choices="云平台\n超融合", required=False),
]


def post_sensitive_page(client, parent, rows, action="action-publish"):
    return post_page(
        client,
        parent,
        rows,
        action,
        purpose="partner_upgrade",
        title="合作伙伴升级",
        slug="partner-upgrade-2026",
        cities="",
    )


def test_officer_adds_a_term_and_the_screen_uses_it_at_once(
    client, privacy_officer, marketer, home_page, policy
):
    add_url = reverse("wagtailsnippets_forms_screenterm:add")
    client.force_login(marketer)
    assert client.get(reverse("wagtailsnippets_forms_screenterm:list")).status_code in (302, 403)
    assert client.post(add_url, {"term": "x", "category": "health"}).status_code in (302, 403)
    assert not ScreenTerm.objects.filter(term="x").exists()

    client.force_login(privacy_officer)
    form = client.get(add_url)
    assert form.status_code == 200
    data = querydict_from_html(form.content.decode(), form_id="w-editor-form")
    data.update({"term": "体脂率", "category": "health", "mode": "auto", "action": "refuse", "active": "on"})
    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:1500]
    term = ScreenTerm.objects.get(term="体脂率")
    assert ModelLogEntry.objects.filter(object_id=str(term.pk), action="wagtail.create").exists()

    client.force_login(marketer)
    refused = post_page(client, home_page, [*ALLOWED_ROWS, row("question", label="您的體脂率")])
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "體脂率" in body and not CampaignFormPage.objects.exists()


def test_refusal_names_row_written_term_category_and_clause(client, marketer, home_page, policy):
    client.force_login(marketer)
    refused = post_page(
        client, home_page, [*ALLOWED_ROWS, row("question", label="请填 身\u200b份 證", required=False)]
    )
    body = refused.content.decode()
    assert "身\u200b份 證" in body  # as the marketer wrote it
    assert "7" in body and "身份证号码" in body and "§1.5" in body
    assert not CampaignFormPage.objects.exists()


def test_relabelled_personal_row_is_refused(client, marketer, home_page, policy):
    client.force_login(marketer)
    rows = [*ALLOWED_ROWS[:1], row("personal", "company", label="身份证号码"), *ALLOWED_ROWS[2:]]
    refused = post_page(client, home_page, rows)
    assert refused.status_code == 200
    assert "身份证号码" in refused.content.decode()
    assert not CampaignFormPage.objects.exists()


def test_question_on_sensitive_purpose_waits_for_a_privacy_officer(
    client, marketer, privacy_officer, home_page
):
    client.force_login(marketer)
    # A marketer cannot publish: "publish" saves a draft.
    draft = post_sensitive_page(client, home_page, SENSITIVE_ROWS, action="action-publish")
    assert draft.status_code == 302, draft.content.decode()[:1500]
    page = CampaignFormPage.objects.get()
    assert not page.live

    # Bulk publishing does not put it live either.
    bulk = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish")) + f"?id={page.pk}"
    client.post(bulk, {})
    page.refresh_from_db()
    assert not page.live

    # The officer looks at the rows awaiting review and approves them; the marketer publishes.
    assert client.get(reverse("forms_screen_reviews")).status_code in (302, 403)
    approve_url = reverse("forms_screen_approve", args=(page.pk,))
    assert client.post(approve_url, {"revision": page.latest_revision_id}).status_code in (302, 403)
    assert not ScreenApproval.objects.exists()

    client.force_login(privacy_officer)
    listing = client.get(reverse("forms_screen_reviews")).content.decode()
    assert "合作伙伴升级" in listing and "您最关心的产品" in listing
    assert "云平台<br>超融合" in listing  # the reviewer sees the choices the visitor would see
    stale = client.post(approve_url, {"revision": page.latest_revision_id - 1})
    assert stale.status_code == 302 and not ScreenApproval.objects.exists()
    assert client.post(approve_url, {"revision": page.latest_revision_id}).status_code == 302
    approval = ScreenApproval.objects.get(page=page)
    assert approval.approved_by == privacy_officer and "您最关心的产品" in approval.summary
    assert PageLogEntry.objects.filter(page=page, action="forms.screen_approve").exists()
    assert "您最关心的产品" not in client.get(reverse("forms_screen_reviews")).content.decode()


def test_verdict_function_is_shared(home_page, policy):

    event = Purpose.objects.get(code="event")
    ok = page_screen(purpose=event, rows=[personal("mobile"), question("公司规模")], cities=["北京"])
    assert ok.verdict == Verdict.ALLOWED
    refused = page_screen(purpose=event, rows=[personal("mobile"), q("您的性别", choices="男\n女")])
    assert refused.verdict == Verdict.REFUSED
    doubt = page_screen(purpose=event, rows=[personal("mobile"), q("您在哪个城市工作")])
    assert doubt.verdict == Verdict.NEEDS_REVIEW and doubt.reviews[0].row == 1

    page = make_campaign_page(
        parent=home_page, purpose="event", rows=[personal("mobile"), question("公司规模")]
    )
    assert page.live


def test_every_publish_path_passes_the_screen(marketer, privacy_officer, home_page):
    """Bulk actions, moderation workflows and scripts all publish through ``page.publish``."""

    page = make_campaign_page(
        parent=home_page,
        purpose="partner_upgrade",
        rows=[personal("name"), personal("mobile"), personal("email"), question("您最关心的产品")],
        publish=False,
        live=False,
    )
    revision = page.save_revision(user=marketer)
    with pytest.raises(PublishPagePermissionError):
        revision.publish(user=marketer)
    page.refresh_from_db()
    assert not page.live and not ScreenApproval.objects.exists()

    revision.publish(user=privacy_officer, skip_permission_checks=True)  # as a workflow does
    page.refresh_from_db()
    assert page.live
    assert ScreenApproval.objects.get(page=page).approved_by == privacy_officer

    # The approved rows stay approved for the marketer's next revision.
    page.title = "Partner upgrade 2027"
    page.save_revision(user=marketer).publish(user=marketer, skip_permission_checks=True)
    page.refresh_from_db()
    assert page.title == "Partner upgrade 2027"


def test_officer_tries_a_row_on_the_screen(client, privacy_officer, marketer):

    url = reverse("forms_screen_try")
    client.force_login(marketer)
    assert client.get(url).status_code in (302, 403)
    client.force_login(privacy_officer)
    assert client.get(url).status_code == 200
    event = Purpose.objects.get(code="event").pk
    refused = client.get(url, {"purpose": event, "kind": "question", "label": "您的身份證"}).content.decode()
    assert 'data-verdict="refused"' in refused and "身份證" in refused and "身份证" in refused
    allowed = client.get(url, {"purpose": event, "kind": "question", "label": "公司规模"}).content.decode()
    assert 'data-verdict="allowed"' in allowed
    doubt = client.get(
        url, {"purpose": event, "kind": "question", "label": "您在哪个城市工作"}
    ).content.decode()
    assert 'data-verdict="needs_review"' in doubt
    relabelled = client.get(
        url, {"purpose": event, "kind": "personal", "field_key": "company", "label": "手机号"}
    ).content.decode()
    assert 'data-verdict="refused"' in relabelled
    hostile = client.get(url, {"purpose": event, "kind": "question", "label": "<script>alert(1)</script>"})
    assert hostile.status_code == 200 and "<script>alert(1)</script>" not in hostile.content.decode()


def test_a_term_added_later_stops_the_live_question_at_once(client, home_page, policy):

    page = make_campaign_page(
        parent=home_page,
        purpose="event",
        rows=[personal("mobile"), question("您的体脂率"), question("公司规模")],
        cities="北京",
    )
    names = [f["label"] for f in form_definition(page)["fields"]]
    assert "您的体脂率" in names
    ScreenTerm.objects.create(term="体脂率", category="health")
    labels = [f["label"] for f in form_definition(page)["fields"]]
    assert "您的体脂率" not in labels and "公司规模" in labels
    assert "您的体脂率" not in client.get(page.url).content.decode()


def test_cities_and_page_texts_are_screened(home_page, policy):

    event = Purpose.objects.get(code="event")
    rows = [personal("mobile"), personal("intended_city")]
    refused = page_screen(purpose=event, rows=rows, cities=["北京（已婚）", "上海"])
    assert refused.verdict == Verdict.REFUSED
    assert any(p.field == "cities" and "已婚" in p.message for p in refused.problems)
    assert page_screen(purpose=event, rows=rows, cities=["北京", "上海"]).verdict == Verdict.ALLOWED

    texts = [("简介", "请在下方备注栏填写您的身份证号码"), ("感谢", "")]
    doubt = page_screen(purpose=event, rows=rows, cities=["北京"], page_texts=texts)
    assert doubt.verdict == Verdict.NEEDS_REVIEW and doubt.reviews[0].row is None
    fine = [("简介", "填写手机号即可报名，我们会短信确认。")]
    assert page_screen(purpose=event, rows=rows, cities=["北京"], page_texts=fine).verdict == Verdict.ALLOWED
