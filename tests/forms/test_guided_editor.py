"""Purpose first, rows prefilled from the whitelist, the verdict live: the marketer's editor."""

import json

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html

from forms.models import CampaignFormPage, Purpose

from .test_admin import row

pytestmark = pytest.mark.django_db


def add_url(parent):
    return reverse("wagtailadmin_pages:add", args=("forms", "campaignformpage", parent.pk))


def test_a_new_campaign_page_starts_with_the_purpose(client, marketer, home_page, policy):
    client.force_login(marketer)
    response = client.get(add_url(home_page))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="page-edit-form"' not in body
    for purpose in Purpose.objects.all():
        assert f"?purpose={purpose.pk}" in body
        assert purpose.clause in body and purpose.name_zh in body
    event = Purpose.objects.get(code="event")
    assert "访客通过短信验证码验证手机号" in body  # whether SMS is required, in words
    assert "2 年" in body or "天" in body  # retention in words
    assert "意向参加城市" in body or "城市" in body  # the fields each purpose allows, by label
    assert f"?purpose={event.pk}" in body


def test_choosing_a_purpose_prefills_its_fields_in_the_policy_order(client, marketer, home_page, policy):
    client.force_login(marketer)
    event = Purpose.objects.get(code="event")
    response = client.get(add_url(home_page), {"purpose": event.pk})
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    assert data["purpose"] == str(event.pk)
    count = int(data["form_fields-TOTAL_FORMS"])
    keys = [data[f"form_fields-{i}-field_key"] for i in range(count)]
    assert keys == [f.field_key for f in event.fields.order_by("sort_order", "pk")]
    assert all(data[f"form_fields-{i}-kind"] == "personal" for i in range(count))
    mobile = keys.index("mobile")
    assert f"form_fields-{mobile}-required" in data  # SMS-verified purposes require the mobile

    # Posted as it stands, with only a title and the cities typed, the page passes and goes live.
    for name in [k for k, v in data.items() if k.endswith("-required") and v == ""]:
        data[name] = "on"
    data.update(
        {"title": "2026 渠道巡展", "slug": "roadshow-2026", "cities": "北京\n上海", "action-submit": "1"}
    )
    posted = client.post(add_url(home_page), data)
    assert posted.status_code == 302, posted.content.decode()[:1500]
    page = CampaignFormPage.objects.get()
    assert page.live
    assert [r.field_key for r in page.form_fields.all()] == keys


def test_an_unknown_purpose_shows_the_chooser_again(client, marketer, home_page, policy):
    client.force_login(marketer)
    response = client.get(add_url(home_page), {"purpose": "999999"})
    assert response.status_code == 200 and 'id="page-edit-form"' not in response.content.decode()


def test_the_editor_carries_each_purposes_allowed_fields_for_the_live_chooser(client, marketer, page_factory):
    page = page_factory("event")
    client.force_login(marketer)
    body = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).content.decode()
    start = body.index('id="campaign-editor-config"')
    config = json.loads(body[body.index(">", start) + 1 : body.index("</script>", start)])
    event = Purpose.objects.get(code="event")
    assert set(config["whitelist"][str(event.pk)]["keys"]) == event.allowed_field_keys()
    assert "id_card_number" not in config["whitelist"][str(event.pk)]["keys"]
    assert config["screenUrl"] == reverse("forms_screen_check")


def check(client, purpose, rows, **extra):
    body = {"purpose": purpose.pk, "rows": rows, "cities": "北京", **extra}
    return client.post(reverse("forms_screen_check"), json.dumps(body), content_type="application/json")


def test_the_live_check_gives_the_screens_verdict_row_by_row(client, marketer, home_page, policy):
    client.force_login(marketer)
    event = Purpose.objects.get(code="event")
    ok = check(client, event, [row("personal", "mobile"), row("question", label="公司规模", required=False)])
    assert ok.status_code == 200 and ok.json()["verdict"] == "allowed"

    refused = check(client, event, [row("personal", "mobile"), row("personal", "id_card_number")]).json()
    assert refused["verdict"] == "refused"
    on_rows = [p for p in refused["problems"] if p["row"] is not None]
    assert [p["row"] for p in on_rows] == [1]
    assert "身份证号码" in on_rows[0]["message"]

    smuggled = check(client, event, [row("personal", "mobile"), row("question", label="微信号")]).json()
    assert smuggled["verdict"] == "refused" and smuggled["problems"][0]["row"] == 1

    doubt = check(
        client, event, [row("personal", "mobile"), row("question", label="您在哪个城市工作")]
    ).json()
    assert doubt["verdict"] == "needs_review" and doubt["reviews"][0]["row"] == 1


def test_the_live_check_is_for_page_editors_only_and_reads_bad_input_calmly(
    client, marketer, privacy_staff, home_page, policy
):
    event = Purpose.objects.get(code="event")
    rows = [row("personal", "mobile")]
    assert check(client, event, rows).status_code in (302, 403)
    client.force_login(privacy_staff)
    assert check(client, event, rows).status_code == 403
    client.force_login(marketer)
    bad = client.post(reverse("forms_screen_check"), "{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]
    assert check(client, event, "not a list of rows").status_code == 400
    unknown = client.post(
        reverse("forms_screen_check"),
        json.dumps({"purpose": "x", "rows": []}),
        content_type="application/json",
    )
    assert unknown.status_code == 200 and unknown.json()["verdict"] == ""
    assert client.get(reverse("forms_screen_check")).status_code == 405


def test_a_copy_keeps_purpose_and_rows_and_another_purpose_rechecks_them(client, marketer, page_factory):
    source = page_factory("event")
    client.force_login(marketer)
    copy_url = reverse("wagtailadmin_pages:copy", args=(source.pk,))
    response = client.post(
        copy_url,
        {
            "new_title": "2027 渠道巡展",
            "new_slug": "roadshow-2027",
            "new_parent_page": source.get_parent().pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    copy = CampaignFormPage.objects.get(slug="roadshow-2027")
    assert not copy.live  # a marketer's copy is a draft until it passes the Privacy review
    assert copy.purpose == source.purpose
    assert [r.field_key for r in copy.form_fields.all()] == [r.field_key for r in source.form_fields.all()]

    edit_url = reverse("wagtailadmin_pages:edit", args=(copy.pk,))
    data = querydict_from_html(client.get(edit_url).content.decode(), form_id="page-edit-form")
    for name in [k for k, v in data.items() if k.endswith("-required") and v == ""]:
        data[name] = "on"
    data["purpose"] = str(Purpose.objects.get(code="compatibility").pk)
    data["action-save"] = "1"
    refused = client.post(edit_url, data)
    assert refused.status_code == 200
    assert "不允许收集" in refused.content.decode()
    copy.refresh_from_db()
    assert copy.purpose.code == "event"


def test_a_new_page_is_not_autosaved_into_stray_drafts(client, marketer, page_factory, home_page):
    client.force_login(marketer)
    event = Purpose.objects.get(code="event")
    for _ in range(2):  # two attempts abandoned before the first save
        body = client.get(add_url(home_page), {"purpose": event.pk}).content.decode()
        assert "data-w-autosave-interval-value" not in body
    assert not CampaignFormPage.objects.exists()

    page = page_factory("event")
    edit = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).content.decode()
    assert 'data-w-autosave-interval-value="10000"' in edit


def test_the_row_chooser_names_fields_in_words_even_without_the_script(client, marketer, page_factory):
    page = page_factory("event")
    client.force_login(marketer)
    body = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).content.decode()
    assert (
        '<option value="mobile">手机号</option>' in body
        or '<option value="mobile" selected>手机号</option>' in body
    )
    assert "name — 姓名" not in body
