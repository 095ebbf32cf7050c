"""The whitelist desk: a change shows the pages it affects before it is saved as a revision."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import querydict_from_html

from forms.models import Purpose

pytestmark = pytest.mark.django_db


def change_data(purpose, keys, **extra):
    data = {"reason": "Policy 2026 §1.7", **extra}
    if purpose.sms_required:
        data["sms_required"] = "on"
    for key in keys:
        data[f"allow_{key}"] = "on"
        data[f"require_{key}"] = "on"
    return data


def test_desk_lists_purposes_and_their_fields(client, privacy_officer):
    client.force_login(privacy_officer)
    body = client.get("/admin/datatools/whitelist/").content.decode()
    assert 'data-testid="whitelist-purpose-partner_upgrade"' in body
    assert "身份证号码" in body


def test_preview_names_affected_pages_and_saves_nothing(client, privacy_officer, compat_page):
    purpose = compat_page.purpose
    client.force_login(privacy_officer)
    url = f"/admin/datatools/whitelist/{purpose.pk}/"
    response = client.post(url, change_data(purpose, ["name", "company", "mobile"], action="preview"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="whitelist-impact-page"' in body
    assert compat_page.title in body
    assert "证书邮寄地址" in body  # the field the page would lose
    assert 'data-testid="whitelist-save"' in body
    purpose.refresh_from_db()
    assert "mailing_address" in purpose.allowed_field_keys()
    assert not purpose.revisions.exists()


def test_save_applies_the_change_as_a_revision(client, privacy_officer, compat_page):
    purpose = compat_page.purpose
    client.force_login(privacy_officer)
    url = f"/admin/datatools/whitelist/{purpose.pk}/"
    response = client.post(url, change_data(purpose, ["name", "company", "mobile"], action="save"))
    assert response.status_code == 302
    purpose = Purpose.objects.get(pk=purpose.pk)
    assert purpose.allowed_field_keys() == {"name", "company", "mobile"}
    revision = purpose.revisions.get()
    assert revision.user == privacy_officer
    entry = ModelLogEntry.objects.get(object_id=str(purpose.pk), action="wagtail.edit")
    assert entry.data["reason"] == "Policy 2026 §1.7"
    report = client.get("/admin/forms/whitelist-report/").content.decode()
    assert compat_page.title in report


def test_unaffected_change_says_so(client, privacy_officer, compat_page):
    purpose = compat_page.purpose
    client.force_login(privacy_officer)
    keys = [*purpose.allowed_field_keys(), "email"]
    response = client.post(
        f"/admin/datatools/whitelist/{purpose.pk}/", change_data(purpose, keys, action="preview")
    )
    assert 'data-testid="whitelist-impact-none"' in response.content.decode()


def test_reason_is_required(client, privacy_officer, compat_page):
    purpose = compat_page.purpose
    client.force_login(privacy_officer)
    data = change_data(purpose, ["name"], action="save")
    data.pop("reason")
    response = client.post(f"/admin/datatools/whitelist/{purpose.pk}/", data)
    assert response.status_code == 400
    assert "mailing_address" in Purpose.objects.get(pk=purpose.pk).allowed_field_keys()


def test_purpose_edit_page_shows_the_impact_before_saving(client, privacy_officer, compat_page):

    purpose = compat_page.purpose
    edit_url = reverse("wagtailsnippets_forms_purpose:edit", args=(purpose.pk,))
    client.force_login(privacy_officer)
    data = querydict_from_html(client.get(edit_url).content.decode(), form_id="w-editor-form").dict()
    index = next(
        k.split("-")[1] for k, v in data.items() if k.endswith("-field_key") and v == "mailing_address"
    )
    data[f"fields-{index}-DELETE"] = "1"

    response = client.post(edit_url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="whitelist-impact-page"' in body and compat_page.title in body
    assert "mailing_address" in Purpose.objects.get(pk=purpose.pk).allowed_field_keys()

    response = client.post(edit_url, {**data, "impact_confirmed": "1"})
    assert response.status_code == 302
    assert "mailing_address" not in Purpose.objects.get(pk=purpose.pk).allowed_field_keys()
