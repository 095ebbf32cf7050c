"""A marketer builds a roadshow page in the Wagtail admin, over HTTP."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from wagtail.test.utils.form_data import inline_formset, nested_form_data, querydict_from_html

from forms.models import CampaignFormPage, Purpose

from .utils import make_campaign_page, personal, question

pytestmark = pytest.mark.django_db

# Each message as the English msgid renders it and as the zh-hans catalogue does (the
# admin speaks Chinese once `make messages` has compiled the catalogue).
CLAUSE_MESSAGE = (
    "This purpose (§1.5 全国渠道巡展等活动报名) may not collect: 身份证号码",
    "该用途（§1.5 全国渠道巡展等活动报名）不允许收集：身份证号码",
)
SMUGGLED_MESSAGE = (
    "says “微信号”, which asks for QQ 号码/微信",
    "中的“微信号”在收集QQ 号码/微信",
)
TYPE_MESSAGE = ("uses a type that is not available for questions", "使用了问题不可用的类型")
SMS_MESSAGE = ("This purpose verifies the mobile number by SMS", "此收集目的通过短信验证手机号")


def shows(body: str, message: tuple[str, str]) -> bool:
    return any(form in body for form in message)


def row(kind, key="", *, label="", field_type="singleline", required=True, choices=""):
    data = {"kind": kind, "field_key": key, "label": label, "help_text": "", "field_type": field_type,
            "choices": choices, "default_value": ""}  # fmt: skip
    if required:
        data["required"] = "on"
    return data


ALLOWED_ROWS = [
    row("personal", "name"),
    row("personal", "company"),
    row("personal", "email"),
    row("personal", "mobile"),
    row("personal", "intended_city"),
    row(
        "question", label="您最关心的产品", field_type="radio", choices="云平台\n超融合\n容器", required=False
    ),
]


def post_page(
    client,
    parent,
    rows,
    action="action-submit",
    *,
    purpose="event",
    title="2026 全国渠道巡展 · 上海站",
    slug="roadshow-shanghai",
    cities="北京\n上海",
):
    add_url = reverse("wagtailadmin_pages:add", args=("forms", "campaignformpage", parent.pk))
    page_form = client.get(add_url, {"purpose": Purpose.objects.get(code=purpose).pk})
    assert page_form.status_code == 200
    data = querydict_from_html(page_form.content.decode(), form_id="page-edit-form")
    data.update(
        nested_form_data(
            {
                "title": title,
                "slug": slug,
                "purpose": str(Purpose.objects.get(code=purpose).pk),
                "cities": cities,
                "form_fields": inline_formset(rows),
            }
        )
    )
    data[action] = action
    return client.post(add_url, data)


def test_forbidden_field_and_smuggled_question_refused_then_publishes(client, marketer, home_page, policy):
    client.force_login(marketer)
    with translation.override("zh-hans"):
        refused = post_page(client, home_page, [*ALLOWED_ROWS, row("personal", "id_card_number")])
    assert refused.status_code == 200
    assert shows(refused.content.decode(), CLAUSE_MESSAGE)
    assert not CampaignFormPage.objects.exists()

    smuggled = post_page(client, home_page, [*ALLOWED_ROWS, row("question", label="微信号")])
    assert smuggled.status_code == 200
    body = smuggled.content.decode()
    assert shows(body, SMUGGLED_MESSAGE)
    assert not CampaignFormPage.objects.exists()

    published = post_page(client, home_page, ALLOWED_ROWS)
    assert published.status_code == 302, published.content.decode()[:2000]
    page = CampaignFormPage.objects.get()
    assert page.live
    assert [r.clean_name for r in page.form_fields.all()][:5] == [
        "name",
        "company",
        "email",
        "mobile",
        "intended_city",
    ]
    assert page.form_fields.all()[5].clean_name.startswith("q_")

    visitor = client.__class__()
    form_html = visitor.get(page.url).content.decode()
    assert "您最关心的产品" in form_html and 'data-testid="send-code"' in form_html


def test_email_typed_question_and_missing_mobile_refused(client, marketer, home_page, policy):
    client.force_login(marketer)
    rows = [row("personal", "name"), row("question", label="Where do we reach you", field_type="email")]
    response = post_page(client, home_page, rows)
    body = response.content.decode()
    assert response.status_code == 200
    assert shows(body, TYPE_MESSAGE)
    assert shows(body, SMS_MESSAGE)


def test_model_refuses_the_same_in_full_clean(home_page, policy):

    with pytest.raises(ValidationError) as exc, translation.override("zh-hans"):
        make_campaign_page(
            parent=home_page,
            purpose="event",
            rows=[personal("mobile"), personal("id_card_number")],
            publish=False,
        )
    assert shows(str(exc.value), CLAUSE_MESSAGE)
    with pytest.raises(ValidationError):
        make_campaign_page(parent=home_page, purpose="event", rows=[personal("mobile"), question("手机号码")])


def test_purposes_are_edited_only_by_privacy_officers(client, marketer, privacy_officer):
    purpose = Purpose.objects.get(code="event")
    edit_url = reverse("wagtailsnippets_forms_purpose:edit", args=(purpose.pk,))
    client.force_login(marketer)
    assert client.get(edit_url).status_code in (302, 403)
    client.force_login(privacy_officer)
    page = client.get(edit_url)
    assert page.status_code == 200
    data = querydict_from_html(page.content.decode(), form_id="w-editor-form")
    data["retention_days"] = "400"
    data["code"] = "renamed"
    response = client.post(edit_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    purpose.refresh_from_db()
    assert purpose.retention_days == 400
    assert purpose.code == "event"
    revision = purpose.revisions.latest("created_at")
    assert revision.user == privacy_officer
    history = client.get(reverse("wagtailsnippets_forms_purpose:history", args=(purpose.pk,)))
    assert history.status_code == 200
    assert privacy_officer.get_username() in history.content.decode()

    data = querydict_from_html(client.get(edit_url).content.decode(), form_id="w-editor-form")
    data["retention_days"] = "500"
    assert client.post(edit_url, data).status_code == 302
    first, second = purpose.revisions.order_by("created_at")[:2]
    compare = client.get(
        reverse("wagtailsnippets_forms_purpose:revisions_compare", args=(purpose.pk, first.pk, second.pk))
    )
    assert compare.status_code == 200
    body = compare.content.decode()
    assert "400" in body and "500" in body
