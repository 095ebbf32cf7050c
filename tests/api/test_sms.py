"""Contract tests: POST /api/sms/challenges and POST /api/sms/challenges/{id}/verify."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.backends import locmem
from tests.sms_codes import last_sms_code
from verification.models import SMSChallenge

from .conftest import MOBILE

pytestmark = pytest.mark.django_db

PURPOSE = "rights_request"
CREATE = "/api/sms/challenges"


def verify_url(challenge_id):
    return f"/api/sms/challenges/{challenge_id}/verify"


def create(client, mobile=MOBILE, purpose=PURPOSE):
    response = client.post_json(CREATE, {"mobile": mobile, "purpose": purpose})
    assert response.status_code == 201, response.content
    return response.json()["challenge_id"]


def test_create_returns_201_and_sends_a_code(api_client, settings):
    settings.SMS_CODE_TTL = 300
    settings.SMS_RESEND_INTERVAL = 60
    response = api_client.post_json(CREATE, {"mobile": "138 0013 8000", "purpose": PURPOSE})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"challenge_id", "expires_in", "resend_after"}
    assert 295 <= body["expires_in"] <= 300
    assert body["resend_after"] == 60
    challenge = SMSChallenge.objects.get(public_id=body["challenge_id"])
    assert challenge.mobile == "+8613800138000"
    assert [m.to for m in locmem.outbox] == ["+8613800138000"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mobile": "010-12345678", "purpose": PURPOSE}, "mobile"),
        ({"mobile": "12345", "purpose": PURPOSE}, "mobile"),
        ({"mobile": MOBILE, "purpose": "no_such_purpose"}, "purpose"),
        ({"mobile": MOBILE}, "purpose"),
        ({"purpose": PURPOSE}, "mobile"),
        ({"mobile": 13800138000, "purpose": PURPOSE}, "mobile"),
    ],
)
def test_create_bad_input_is_400_on_the_field_and_stores_nothing(api_client, body, field):
    response = api_client.post_json(CREATE, body)
    assert response.status_code == 400
    assert list(response.json()) == ["errors"]
    assert response.json()["errors"][field]
    assert not SMSChallenge.objects.exists()
    assert locmem.outbox == []


def test_create_unknown_key_is_400_naming_it(api_client):
    response = api_client.post_json(CREATE, {"mobile": MOBILE, "purpose": PURPOSE, "name": "x"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["Unknown field “name”: it is not accepted here."]}
    assert not SMSChallenge.objects.exists()


def test_create_again_too_soon_is_429_with_retry_after(api_client, settings):
    settings.SMS_RESEND_INTERVAL = 60
    create(api_client)
    response = api_client.post_json(CREATE, {"mobile": MOBILE, "purpose": PURPOSE})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["errors"]["__all__"]
    assert SMSChallenge.objects.count() == 1


def test_verify_right_code_returns_a_token(api_client):
    challenge_id = create(api_client)
    response = api_client.post_json(verify_url(challenge_id), {"code": last_sms_code()})
    assert response.status_code == 200
    assert set(response.json()) == {"verification_token"}
    assert response.json()["verification_token"]


def test_verify_wrong_code_is_400_with_attempts_left(api_client, settings):
    settings.SMS_CODE_MAX_ATTEMPTS = 5
    challenge_id = create(api_client)
    wrong = "000000" if last_sms_code() != "000000" else "111111"
    response = api_client.post_json(verify_url(challenge_id), {"code": wrong})
    assert response.status_code == 400
    body = response.json()
    assert body["attempts_left"] == 4
    assert body["errors"]["code"]


def test_verify_malformed_code_is_400_on_code(api_client):
    challenge_id = create(api_client)
    response = api_client.post_json(verify_url(challenge_id), {"code": "12"})
    assert response.status_code == 400
    assert response.json()["errors"]["code"]


def test_verify_after_too_many_wrong_codes_is_410_locked(api_client, settings):
    settings.SMS_CODE_MAX_ATTEMPTS = 2
    challenge_id = create(api_client)
    code = last_sms_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        assert api_client.post_json(verify_url(challenge_id), {"code": wrong}).status_code == 400
    response = api_client.post_json(verify_url(challenge_id), {"code": code})
    assert response.status_code == 410
    assert response.json()["reason"] == "locked"
    assert response.json()["errors"]["__all__"]


def test_verify_expired_is_410_expired(api_client):
    challenge_id = create(api_client)
    SMSChallenge.objects.filter(public_id=challenge_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = api_client.post_json(verify_url(challenge_id), {"code": last_sms_code()})
    assert response.status_code == 410
    assert response.json()["reason"] == "expired"


def test_verify_twice_is_410_used(api_client):
    challenge_id = create(api_client)
    code = last_sms_code()
    assert api_client.post_json(verify_url(challenge_id), {"code": code}).status_code == 200
    response = api_client.post_json(verify_url(challenge_id), {"code": code})
    assert response.status_code == 410
    assert response.json()["reason"] == "used"


def test_verify_unknown_challenge_is_410(api_client):
    response = api_client.post_json(verify_url("no-such-challenge"), {"code": "123456"})
    assert response.status_code == 410


def test_verify_too_often_is_429_with_retry_after(api_client, settings):
    settings.SMS_VERIFY_LIMIT_PER_CHALLENGE = 1
    challenge_id = create(api_client)
    api_client.post_json(verify_url(challenge_id), {"code": "000000"})
    response = api_client.post_json(verify_url(challenge_id), {"code": last_sms_code()})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_verify_malformed_challenge_id_is_400(api_client):
    response = api_client.post_json(verify_url("bad%20id:%00"), {"code": "123456"})
    assert response.status_code == 400
    assert response.json()["errors"]["challenge_id"]
