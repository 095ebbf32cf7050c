"""The visitor's page (send code, verify, file) and the private status link."""

import pytest
from django.core import mail
from django.test import Client

from messaging.backends import locmem
from rights_requests import services
from rights_requests.choices import State
from rights_requests.models import RightsRequest
from rights_requests.views import status_path
from tests.sms_codes import last_sms_code as last_code

from .conftest import MOBILE, file_request

pytestmark = pytest.mark.django_db

FORM = {
    "request_type": "delete",
    "mobile": MOBILE,
    "email": "li.lei@example.com",
    "details": "Delete my registration.",
    "relationship": "",
}


def page_url(page):
    return page.get_url()


def send_code(client, page, **overrides):
    return client.post(page_url(page), {**FORM, **overrides, "action": "send_code"})


def challenge_id(response) -> str:
    return response.context["form"].data["challenge_id"]


def test_page_shows_the_form(client, rights_page):
    response = client.get(page_url(rights_page))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="rights-request-form"' in html
    assert 'data-testid="send-code"' in html
    assert 'data-testid="sms-code"' not in html


def test_send_code_keeps_values_and_shows_the_code_field(commit_client, rights_page):
    response = send_code(commit_client, rights_page)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="sms-code"' in html
    assert "Delete my registration." in html
    assert 'value="li.lei@example.com"' in html
    assert len(locmem.outbox) == 1
    assert locmem.outbox[0].to == "+8613800138000"
    assert challenge_id(response)
    assert not RightsRequest.objects.exists()


def test_send_code_checks_the_request_first(commit_client, rights_page):
    response = send_code(commit_client, rights_page, request_type="complaint", details="")
    assert response.status_code == 200
    assert response.context["form"].errors["details"]
    assert locmem.outbox == []


def test_bad_mobile_sends_nothing(commit_client, rights_page):
    response = send_code(commit_client, rights_page, mobile="02112345678")
    assert response.context["form"].errors["mobile"]
    assert locmem.outbox == []


def test_full_flow_files_a_verified_request_and_redirects_to_the_status_link(commit_client, rights_page):
    sent = send_code(commit_client, rights_page)
    response = commit_client.post(
        page_url(rights_page),
        {**FORM, "challenge_id": challenge_id(sent), "sms_code": last_code(), "action": "submit"},
    )
    assert response.status_code == 302
    rr = RightsRequest.objects.get()
    assert rr.state == State.VERIFIED
    assert rr.request_type == "delete"
    assert response["Location"] == f"{status_path(rr)}?from_page={rights_page.pk}"
    status = commit_client.get(response["Location"])
    html = status.content.decode()
    assert "We will reply soon." in html
    assert rr.reference in html
    assert 'data-state="verified"' in html
    assert rr.due_date.isoformat() in html
    # The requester is told by SMS (besides the code) with the status link; the e-mail typed in the
    # form is not proven, so it receives only a link to confirm it, never the status link.
    assert len(mail.outbox) == 1
    assert rr.reference in mail.outbox[0].subject
    assert rr.status_token not in mail.outbox[0].body
    assert "confirm-email" in mail.outbox[0].body
    assert rr.status_token in locmem.outbox[-1].body
    assert rr.mobile_proven and not rr.email_proven


def test_wrong_code_files_nothing_and_says_attempts_left(commit_client, rights_page):
    sent = send_code(commit_client, rights_page)
    wrong = "000000" if last_code() != "000000" else "111111"
    response = commit_client.post(
        page_url(rights_page),
        {**FORM, "challenge_id": challenge_id(sent), "sms_code": wrong, "action": "submit"},
    )
    assert response.status_code == 200
    assert "还可尝试" in " ".join(response.context["form"].errors["sms_code"])
    assert 'data-testid="sms-code"' in response.content.decode()
    assert not RightsRequest.objects.exists()


def test_submit_without_code_asks_for_one(client, rights_page):
    response = client.post(page_url(rights_page), {**FORM, "action": "submit"})
    assert response.context["form"].errors["sms_code"]
    assert not RightsRequest.objects.exists()


def test_page_post_needs_csrf(rights_page):
    client = Client(enforce_csrf_checks=True)
    response = client.post(page_url(rights_page), {**FORM, "action": "send_code"})
    assert response.status_code == 403
    assert locmem.outbox == []


# --- status link ---------------------------------------------------------------------------------------


def test_status_page_shows_state_due_date_and_answer(client, privacy_staff):

    rr = file_request()
    services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=rr,
        user=privacy_staff,
        note="Seen.",
    )
    services.rights_request_answer(
        rights_request=rr, user=privacy_staff, outcome="fulfilled", response="All gone."
    )
    response = client.get(status_path(rr))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="rr-answer"' in html
    assert "All gone." in html
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize("tamper", ["token", "reference", "other"])
def test_forged_or_other_status_links_are_404(client, tamper):
    mine = file_request()
    other = file_request(mobile="13900139000", email="")
    reference, token = mine.reference, mine.status_token
    if tamper == "token":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif tamper == "reference":
        reference = other.reference
    else:
        token = other.status_token
    response = client.get(f"/rights-requests/status/{reference}/{token}/")
    assert response.status_code == 404


def test_requester_withdraws_from_the_status_page(client):
    rr = file_request()
    response = client.post(status_path(rr), {"action": "withdraw", "expected_state": "received"})
    assert response.status_code == 302
    rr.refresh_from_db()
    assert rr.state == State.CLOSED
    assert rr.closure_reason == "withdrawn"
    again = client.post(status_path(rr), {"action": "withdraw", "expected_state": "received"})
    assert again.status_code == 400
    assert 'data-testid="rr-status-error"' in again.content.decode()


def test_withdraw_needs_csrf():
    rr = file_request()
    response = Client(enforce_csrf_checks=True).post(status_path(rr), {"action": "withdraw"})
    assert response.status_code == 403
    rr.refresh_from_db()
    assert rr.state == State.RECEIVED


def test_marketer_cannot_read_someone_elses_status_without_the_token(client, marketer):
    rr = file_request()
    client.force_login(marketer)
    assert client.get(f"/rights-requests/status/{rr.reference}/x/").status_code == 404
