"""Wagtail's read-only API v2 at /api/v2/: campaign pages expose purpose and field definitions."""

import pytest

pytestmark = pytest.mark.django_db


def test_campaign_page_detail_has_its_form_definition(api_client, page_factory):
    page = page_factory("event")
    response = api_client.get(f"/api/v2/pages/{page.pk}/")
    assert response.status_code == 200
    definition = response.json()["form_definition"]
    assert definition["purpose"]["code"] == "event"
    assert definition["sms_required"] is True
    assert [f["name"] for f in definition["fields"]] == [
        "name",
        "company",
        "email",
        "mobile",
        "intended_city",
    ]


def test_campaign_pages_listing_with_fields(api_client, page_factory):
    page = page_factory("compatibility")
    response = api_client.get("/api/v2/pages/?type=forms.CampaignFormPage&fields=form_definition")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [page.pk]
    assert items[0]["form_definition"]["purpose"]["code"] == "compatibility"
    assert items[0]["form_definition"]["sms_required"] is False


def test_draft_campaign_page_is_not_served(api_client, page_factory):
    page = page_factory(publish=False, live=False)
    assert api_client.get(f"/api/v2/pages/{page.pk}/").status_code == 404
    listing = api_client.get("/api/v2/pages/?type=forms.CampaignFormPage").json()
    assert listing["meta"]["total_count"] == 0
