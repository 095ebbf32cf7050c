"""The API's shared behaviour: error shape, languages, body limits, content type, CORS, CSRF, docs."""

import json

import pytest
from django.test import Client
from django.utils import translation
from ninja import NinjaAPI

from cms.api import throttles
from cms.api.app import api
from core import ratelimit
from verification.models import SMSChallenge

from .conftest import MOBILE, ApiClient

pytestmark = pytest.mark.django_db

URL = "/api/sms/challenges"
VALID = {"mobile": MOBILE, "purpose": "rights_request"}


def test_wrong_content_type_is_415_and_stores_nothing(api_client):
    response = api_client.post(URL, data=VALID)  # a form post, multipart
    assert response.status_code == 415
    assert response.json()["errors"]["__all__"]
    response = api_client.post(URL, data=json.dumps(VALID), content_type="text/plain")
    assert response.status_code == 415
    assert not SMSChallenge.objects.exists()


def test_json_with_charset_is_accepted(api_client):
    response = api_client.post(URL, data=json.dumps(VALID), content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_body_over_64_kb_is_413_and_stores_nothing(api_client, settings):
    assert settings.API_MAX_BODY_BYTES == 64 * 1024
    body = json.dumps({**VALID, "padding": "x" * (64 * 1024)})
    response = api_client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"]["__all__"]
    assert not SMSChallenge.objects.exists()


def test_body_just_under_the_limit_reaches_validation(api_client):
    body = json.dumps({**VALID, "padding": "x" * (60 * 1024)})
    response = api_client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "padding" in response.json()["errors"]


@pytest.mark.parametrize("raw", ["{bad json", "[1, 2]", '"text"', "null"])
def test_body_that_is_not_a_json_object_is_400(api_client, raw):
    response = api_client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]


def test_empty_body_is_400(api_client):
    response = api_client.post(URL, data="", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]


def test_unknown_keys_are_400_naming_each(api_client):
    response = api_client.post_json(URL, {**VALID, "id_card_number": "x", "extra": 1})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"id_card_number", "extra"}
    assert "id_card_number" in errors["id_card_number"][0]


def test_messages_follow_accept_language():
    english = ApiClient(language="en").post_json(URL, {"mobile": MOBILE})
    chinese = ApiClient(language="zh-hans").post_json(URL, {"mobile": MOBILE})
    default = Client().post(URL, data=json.dumps({"mobile": MOBILE}), content_type="application/json")
    assert english.json()["errors"]["purpose"] == ["This field is required."]
    with translation.override("zh-hans"):
        expected = translation.gettext("This field is required.")
    assert expected != "This field is required."
    assert chinese.json()["errors"]["purpose"] == [expected]
    assert default.json()["errors"]["purpose"] == [expected]
    assert english["Content-Language"] == "en"
    assert chinese["Content-Language"] == "zh-hans"


def test_wrong_method_is_405_in_the_error_shape(api_client):
    response = api_client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["errors"]["__all__"]


def test_unknown_api_path_is_404_json(api_client):
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"__all__": ["Not found."]}}


def test_anonymous_json_post_needs_no_csrf_token_and_ignores_the_session(superuser):
    client = ApiClient(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = client.post_json(URL, VALID)
    assert response.status_code == 201


def test_cross_site_form_post_cannot_reach_the_endpoint():
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, data=VALID, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 415
    assert not SMSChallenge.objects.exists()


def test_cors_is_closed_by_default(api_client, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = api_client.options(
        URL, HTTP_ORIGIN="https://app.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_configured_origins_only(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = api_client.options(
        URL,
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-credentials" not in preflight.headers
    actual = api_client.post_json(URL, VALID, HTTP_ORIGIN="https://app.example.com")
    assert actual.status_code == 201
    assert actual.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "Retry-After" in actual.headers["access-control-expose-headers"]
    other = api_client.options(
        URL, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "access-control-allow-origin" not in other.headers


def test_openapi_document_lists_the_contract(api_client):
    response = api_client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {
        "/api/forms/{page_id}",
        "/api/forms/{page_id}/submissions",
        "/api/sms/challenges",
        "/api/sms/challenges/{challenge_id}/verify",
        "/api/rights-requests",
        "/api/rights-requests/{reference}",
        "/api/rights-requests/{reference}/verify",
    }
    submit = paths["/api/forms/{page_id}/submissions"]["post"]["responses"]
    assert {"201", "400", "404", "413", "415", "429"} <= set(submit)
    create = paths["/api/sms/challenges"]["post"]["responses"]
    assert {"201", "400", "413", "415", "429"} <= set(create)
    verify = paths["/api/sms/challenges/{challenge_id}/verify"]["post"]["responses"]
    assert {"200", "400", "410", "429"} <= set(verify)


def test_openapi_document_is_built_once(api_client, monkeypatch):

    built = []
    real = NinjaAPI.get_openapi_schema

    def counting(self, **kwargs):
        built.append(kwargs["path_prefix"])
        return real(self, **kwargs)

    api._schema_cache.clear()
    monkeypatch.setattr(NinjaAPI, "get_openapi_schema", counting)
    first = api_client.get("/api/openapi.json").json()
    second = api_client.get("/api/openapi.json").json()
    assert first == second and first["paths"]
    assert built == ["/api/"]
    api._schema_cache.clear()


def test_docs_page_is_served_with_local_assets(api_client):
    response = api_client.get("/api/docs")
    assert response.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in response.content


def test_wagtail_api_v2_still_serves_pages(api_client, home_page):
    response = api_client.get("/api/v2/pages/")
    assert response.status_code == 200
    assert response.json()["meta"]["total_count"] >= 1


def test_nul_characters_are_refused_before_any_lookup(api_client):
    response = api_client.post_json(URL, {"mobile": MOBILE, "purpose": "rights\x00request"})
    assert response.status_code == 400
    assert response.json()["errors"]["purpose"] == ["Enter a valid value."]
    status = api_client.get("/api/rights-requests/RR-2026-%00AAAA", HTTP_AUTHORIZATION="Bearer abc")
    assert status.status_code == 404


def test_rate_limit_store_down_fails_closed_with_retry_after(rf, monkeypatch):
    """With the cache unreachable no write is accepted, and the answer is a 429, not a 500."""

    class BrokenCache:
        def add(self, *args, **kwargs):
            raise ConnectionError("cache down")

        incr = decr = get = set = add

    monkeypatch.setattr(ratelimit, "_cache", BrokenCache)
    throttle = throttles.ClientIPThrottle("submissions")
    assert throttle.allow_request(rf.post("/api/forms/1/submissions")) is False
    assert throttle.wait() == throttles.UNAVAILABLE_RETRY_AFTER


@pytest.mark.parametrize("page_id", ["é", "%C3%A9", "1é", "０"])
def test_non_ascii_path_is_a_json_404_not_a_redirect(client, page_id):
    response = client.get(f"/api/forms/{page_id}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "Location" not in response
