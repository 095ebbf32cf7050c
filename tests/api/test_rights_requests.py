"""Contract tests: POST /api/rights-requests and GET /api/rights-requests/{reference}."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from rights_requests import services as rights
from rights_requests.models import RightsRequest

from .conftest import MOBILE, verified_token

pytestmark = pytest.mark.django_db

URL = "/api/rights-requests"


def status(client, reference, token):
    return client.get(f"{URL}/{reference}", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_create_with_sms_token_is_201_and_verified(api_client):
    token = verified_token(api_client, purpose="rights_request")
    response = api_client.post_json(
        URL,
        {
            "request_type": "delete",
            "mobile": MOBILE,
            "details": "Delete my data",
            "verification_token": token,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"reference", "state", "due_at", "status_token", "withheld_messages", "notices"}
    assert body["withheld_messages"] == [] and body["notices"] == []
    assert body["state"] == "verified"
    today = timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert body["due_at"] == (today + datetime.timedelta(days=15)).isoformat()
    rr = RightsRequest.objects.get(reference=body["reference"])
    assert rr.mobile == "+8613800138000"
    assert rr.channel == "web"


def test_create_without_token_is_received(api_client):
    response = api_client.post_json(URL, {"request_type": "access", "mobile": MOBILE})
    assert response.status_code == 201
    assert response.json()["state"] == "received"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"request_type": "fly", "mobile": MOBILE}, "request_type"),
        ({"request_type": "access", "mobile": "123"}, "mobile"),
        ({"request_type": "access"}, "mobile"),
        ({"request_type": "complaint", "mobile": MOBILE}, "details"),
        ({"request_type": "access", "mobile": MOBILE, "verification_token": "forged"}, "verification_token"),
        ({"mobile": MOBILE}, "request_type"),
        ({"request_type": "access", "mobile": MOBILE, "channel": "letter"}, "channel"),
    ],
)
def test_create_bad_input_is_400_and_stores_nothing(api_client, body, field):
    response = api_client.post_json(URL, body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][field]
    assert not RightsRequest.objects.exists()


def test_create_is_rate_limited_per_client(api_client, settings):
    settings.API_RATES = {**settings.API_RATES, "rights_requests": "2/hour"}
    for _ in range(2):
        assert api_client.post_json(URL, {"request_type": "access", "mobile": MOBILE}).status_code == 201
    response = api_client.post_json(URL, {"request_type": "access", "mobile": MOBILE})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert response.json()["errors"]["__all__"]
    assert RightsRequest.objects.count() == 2


def test_status_with_token_is_200(api_client):
    created = api_client.post_json(URL, {"request_type": "access", "mobile": MOBILE}).json()
    response = status(api_client, created["reference"], created["status_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == created["reference"]
    assert body["state"] == "received"
    assert body["state_label"] == "Received"
    assert body["due_at"] == created["due_at"]
    assert body["answer"] is None


def test_status_shows_the_answer(api_client, privacy_staff):
    token = verified_token(api_client, purpose="rights_request")
    created = api_client.post_json(
        URL, {"request_type": "access", "mobile": MOBILE, "verification_token": token}
    ).json()
    rr = RightsRequest.objects.get(reference=created["reference"])
    rights.rights_request_answer(
        rights_request=rr, user=privacy_staff, outcome="fulfilled", response="Here is what we hold."
    )
    body = status(api_client, created["reference"], created["status_token"]).json()
    assert body["state"] == "answered"
    assert body["answer"]["outcome"] == "fulfilled"
    assert body["answer"]["response"] == "Here is what we hold."


def test_status_with_wrong_or_missing_token_is_404(api_client):
    created = api_client.post_json(URL, {"request_type": "access", "mobile": MOBILE}).json()
    other = api_client.post_json(URL, {"request_type": "delete", "mobile": "13900139000"}).json()
    assert status(api_client, created["reference"], other["status_token"]).status_code == 404
    assert status(api_client, created["reference"], "guess").status_code == 404
    assert api_client.get(f"{URL}/{created['reference']}").status_code == 404
    assert api_client.get(f"{URL}/{created['reference']}?token={created['status_token']}").status_code == 404
    response = status(api_client, "RR-2026-NOPE00", created["status_token"])
    assert response.status_code == 404
    assert response.json() == {"errors": {"__all__": ["Not found."]}}


def verify(client, reference, status_token, body):
    return client.post_json(f"{URL}/{reference}/verify", body, HTTP_AUTHORIZATION=f"Bearer {status_token}")


def test_verify_later_by_sms_is_200_verified(api_client):
    created = api_client.post_json(URL, {"request_type": "delete", "mobile": MOBILE}).json()
    token = verified_token(api_client, purpose="rights_request")
    response = verify(
        api_client, created["reference"], created["status_token"], {"verification_token": token}
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "verified"
    assert RightsRequest.objects.get(reference=created["reference"]).state == "verified"


def test_verify_with_a_token_for_another_mobile_is_400(api_client):
    created = api_client.post_json(URL, {"request_type": "delete", "mobile": MOBILE}).json()
    token = verified_token(api_client, mobile="13900139000", purpose="rights_request")
    response = verify(
        api_client, created["reference"], created["status_token"], {"verification_token": token}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["verification_token"]
    assert RightsRequest.objects.get(reference=created["reference"]).state == "received"


def test_verify_an_already_verified_request_is_400(api_client):
    token = verified_token(api_client, purpose="rights_request")
    created = api_client.post_json(
        URL, {"request_type": "access", "mobile": MOBILE, "verification_token": token}
    ).json()
    response = verify(api_client, created["reference"], created["status_token"], {"verification_token": "x"})
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]


def test_verify_without_the_status_token_is_404(api_client):
    created = api_client.post_json(URL, {"request_type": "delete", "mobile": MOBILE}).json()
    response = verify(api_client, created["reference"], "wrong", {"verification_token": "x"})
    assert response.status_code == 404
