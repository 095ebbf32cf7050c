"""The API's side of the message limits: 428 with a proof-of-work, 429 with Retry-After, withheld receipts."""

import pytest

from messaging import pow
from messaging.backends import locmem
from rights_requests.models import RightsRequest

from .conftest import MOBILE

pytestmark = pytest.mark.django_db

CHALLENGES = "/api/sms/challenges"
E164 = "+86" + MOBILE


def ask(client, purpose, ip, proof=None):
    body = {"mobile": MOBILE, "purpose": purpose}
    if proof is not None:
        body["pow"] = proof
    return client.post_json(CHALLENGES, body, REMOTE_ADDR=ip)


def test_past_the_threshold_the_api_answers_428_with_a_challenge_and_a_solution_gets_the_code(api_client):
    for purpose, ip in (("event", "198.51.100.1"), ("training", "198.51.100.2"), ("survey", "198.51.100.3")):
        assert ask(api_client, purpose, ip).status_code == 201
    refused = ask(api_client, "rights_request", "203.0.113.50")
    assert refused.status_code == 428
    body = refused.json()
    assert set(body) == {"errors", "pow", "retry_after"}
    assert body["errors"]["__all__"]
    assert body["pow"]["signature"] and body["pow"]["parameters"]["keyPrefix"]
    assert int(refused["Retry-After"]) == body["retry_after"] >= 1
    assert len(locmem.outbox) == 3

    proof = pow.solve(body["pow"])
    admitted = ask(api_client, "rights_request", "203.0.113.50", proof)
    assert admitted.status_code == 201, admitted.content
    assert set(admitted.json()) == {"challenge_id", "expires_in", "resend_after"}
    assert len(locmem.outbox) == 4 and locmem.outbox[-1].to == E164

    replayed = ask(api_client, "self_service", "203.0.113.51", proof)
    assert replayed.status_code == 428
    assert len(locmem.outbox) == 4


def test_a_too_long_proof_is_a_400(api_client):
    response = ask(api_client, "event", "198.51.100.1", "x" * 5000)
    assert response.status_code == 400
    assert "pow" in response.json()["errors"]
    assert locmem.outbox == []


def test_four_filings_in_a_row_for_one_number_send_one_receipt(api_client, settings):
    settings.API_RATES = {**settings.API_RATES, "rights_requests": "100/hour"}
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 100
    bodies = []
    for _ in range(4):
        response = api_client.post_json(
            "/api/rights-requests",
            {"request_type": "access", "mobile": MOBILE, "email": "li.lei@example.com"},
        )
        assert response.status_code == 201, response.content
        bodies.append(response.json())
    assert RightsRequest.objects.count() == 4
    assert [m.to for m in locmem.outbox] == [E164]
    assert bodies[0]["withheld_messages"] == []
    for body in bodies[1:]:
        assert body["withheld_messages"] == ["sms", "email"]
        assert len(body["notices"]) == 2


def test_a_filing_over_the_clients_own_limits_is_a_429_and_stores_nothing(api_client, settings):
    settings.MESSAGE_LIMIT_PER_IP_HOUR = 1
    first = api_client.post_json("/api/rights-requests", {"request_type": "access", "mobile": MOBILE})
    assert first.status_code == 201
    second = api_client.post_json("/api/rights-requests", {"request_type": "access", "mobile": "13800138001"})
    assert second.status_code == 429
    assert int(second["Retry-After"]) >= 1
    assert second.json()["errors"]["__all__"]
    assert RightsRequest.objects.count() == 1
    assert len(locmem.outbox) == 1


def test_the_openapi_document_names_the_proof_of_work_answer(api_client):
    paths = api_client.get("/api/openapi.json").json()["paths"]
    responses = paths["/api/sms/challenges"]["post"]["responses"]
    assert "428" in responses
    assert (
        "pow"
        in api_client.get("/api/openapi.json").json()["components"]["schemas"]["ChallengeIn"]["properties"]
    )
    assert "429" in paths["/api/rights-requests"]["post"]["responses"]
