"""Contract tests: GET /api/forms/{page_id} and POST /api/forms/{page_id}/submissions."""

import pytest
from wagtail.models import PageViewRestriction

from forms.models import CampaignSubmission

from .conftest import MOBILE, verified_token

pytestmark = pytest.mark.django_db

COMPAT_DATA = {
    "name": "张三",
    "company": "示例科技",
    "mobile": MOBILE,
    "mailing_address": "上海市浦东新区 1 号",
}
EVENT_DATA = {
    "name": "李四",
    "company": "示例科技",
    "email": "li@example.com",
    "mobile": MOBILE,
    "intended_city": "上海",
}


def submit(client, page, data, **extra):
    return client.post_json(f"/api/forms/{page.pk}/submissions", {"data": data, "consent": True, **extra})


def test_read_a_live_form(api_client, page_factory):
    page = page_factory("event")
    response = api_client.get(f"/api/forms/{page.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["page_id"] == page.pk
    assert body["purpose"]["code"] == "event"
    assert body["purpose"]["clause"]
    assert body["sms_required"] is True
    assert [f["name"] for f in body["fields"]] == ["name", "company", "email", "mobile", "intended_city"]
    city = body["fields"][-1]
    assert {"value": "上海", "label": "上海"} in city["choices"]
    assert body["policy"]["version"] == "2023-03-07"
    assert body["policy"]["url"].startswith("http://testserver/")
    assert body["submit_url"] == f"http://testserver/api/forms/{page.pk}/submissions"


def test_draft_page_is_404(api_client, page_factory):
    page = page_factory(publish=False, live=False)
    response = api_client.get(f"/api/forms/{page.pk}")
    assert response.status_code == 404
    assert response.json() == {"errors": {"__all__": ["Not found."]}}
    assert submit(api_client, page, COMPAT_DATA).status_code == 404


def test_unpublished_page_is_404(api_client, page_factory):
    page = page_factory()
    page.unpublish()
    assert api_client.get(f"/api/forms/{page.pk}").status_code == 404


def test_private_page_is_404(api_client, page_factory):
    page = page_factory()
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    assert api_client.get(f"/api/forms/{page.pk}").status_code == 404
    assert submit(api_client, page, COMPAT_DATA).status_code == 404
    assert not CampaignSubmission.objects.exists()


def test_page_under_a_private_parent_is_404(api_client, home_page, page_factory):
    page = page_factory()
    PageViewRestriction.objects.create(page=home_page, restriction_type=PageViewRestriction.LOGIN)
    assert api_client.get(f"/api/forms/{page.pk}").status_code == 404


def test_other_page_types_and_unknown_ids_are_404(api_client, home_page, policy):
    assert api_client.get(f"/api/forms/{home_page.pk}").status_code == 404
    assert api_client.get(f"/api/forms/{policy.pk}").status_code == 404
    assert api_client.get("/api/forms/999999").status_code == 404
    assert api_client.get("/api/forms/abc").json() == {"errors": {"__all__": ["Not found."]}}
    assert api_client.get("/api/forms/-1").status_code == 404


def test_submit_without_sms_is_201(api_client, page_factory):
    page = page_factory("compatibility")
    response = submit(api_client, page, COMPAT_DATA)
    assert response.status_code == 201, response.content
    submission = CampaignSubmission.objects.get()
    assert response.json() == {"submission_id": str(submission.pk)}
    assert submission.page_id == page.pk
    assert submission.form_data["name"] == "张三"


def test_unknown_key_in_data_is_400_naming_it_and_stores_nothing(api_client, page_factory):
    page = page_factory("compatibility")
    response = submit(api_client, page, {**COMPAT_DATA, "favourite_colour": "blue"})
    assert response.status_code == 400
    assert "favourite_colour" in response.json()["errors"]
    assert not CampaignSubmission.objects.exists()


def test_field_the_purpose_forbids_is_400_naming_it(api_client, page_factory):
    page = page_factory("compatibility")
    response = submit(api_client, page, {**COMPAT_DATA, "id_card_number": "11010519491231002X"})
    assert response.status_code == 400
    assert "id_card_number" in response.json()["errors"]
    assert not CampaignSubmission.objects.exists()


def test_unknown_top_level_key_is_400(api_client, page_factory):
    page = page_factory("compatibility")
    response = submit(api_client, page, COMPAT_DATA, user_id=1)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"user_id"}


@pytest.mark.parametrize("consent", [False, "true", 1])
def test_consent_must_be_literally_true(api_client, page_factory, consent):
    page = page_factory("compatibility")
    response = api_client.post_json(
        f"/api/forms/{page.pk}/submissions", {"data": COMPAT_DATA, "consent": consent}
    )
    assert response.status_code == 400
    assert "consent" in response.json()["errors"]
    assert not CampaignSubmission.objects.exists()


def test_missing_required_field_is_400(api_client, page_factory):
    page = page_factory("compatibility")
    response = submit(api_client, page, {k: v for k, v in COMPAT_DATA.items() if k != "name"})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_sms_purpose_without_token_is_400(api_client, page_factory):
    page = page_factory("event")
    response = submit(api_client, page, EVENT_DATA)
    assert response.status_code == 400
    assert "verification_token" in response.json()["errors"]
    assert not CampaignSubmission.objects.exists()


def test_sms_purpose_with_token_is_201_and_the_token_works_once(api_client, page_factory):
    page = page_factory("event")
    token = verified_token(api_client, purpose="event")
    first = submit(api_client, page, EVENT_DATA, verification_token=token)
    assert first.status_code == 201, first.content
    again = submit(api_client, page, EVENT_DATA, verification_token=token)
    assert again.status_code == 400
    assert "verification_token" in again.json()["errors"]
    assert CampaignSubmission.objects.count() == 1


def test_token_for_another_number_is_400(api_client, page_factory):
    page = page_factory("event")
    token = verified_token(api_client, mobile="13900139000", purpose="event")
    response = submit(api_client, page, EVENT_DATA, verification_token=token)
    assert response.status_code == 400
    assert "verification_token" in response.json()["errors"]


def test_submissions_are_rate_limited_per_client(api_client, page_factory, settings):
    settings.API_RATES = {**settings.API_RATES, "submissions": "2/min"}
    page = page_factory("compatibility")
    for _ in range(2):
        assert submit(api_client, page, COMPAT_DATA).status_code == 201
    response = submit(api_client, page, COMPAT_DATA)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert CampaignSubmission.objects.count() == 2


def test_page_id_beyond_any_primary_key_is_404(api_client, page_factory):
    page = page_factory("compatibility")
    huge = 2**64 + page.pk
    assert api_client.get(f"/api/forms/{huge}").status_code == 404
    assert submit(api_client, page, COMPAT_DATA).status_code == 201
    response = api_client.post_json(f"/api/forms/{huge}/submissions", {"data": COMPAT_DATA, "consent": True})
    assert response.status_code == 404
