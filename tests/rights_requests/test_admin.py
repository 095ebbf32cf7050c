"""Staff admin: the role matrix over every URL, CSRF on actions, buttons, conflicts, search."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from forms.services import submission_create
from home.models import PrivacyPolicyIndexPage, PrivacyPolicyPage
from rights_requests import services
from rights_requests.choices import State
from rights_requests.models import RightsRequest
from tests.forms.utils import make_campaign_page

from .conftest import CommitClient, file_request, sms_token

pytestmark = pytest.mark.django_db

BASE = "/admin/rights_requests/rightsrequest"


def inspect_url(rr):
    return f"{BASE}/inspect/{rr.pk}/"


@pytest.fixture
def with_evidence(privacy_staff):
    evidence = SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    return file_request(request_type="posthumous", relationship="Son", evidence=evidence)


def staff_urls(rr):
    return {
        "index": f"{BASE}/",
        "index_search": f"{BASE}/?q={rr.reference}",
        "index_export": f"{BASE}/?export=csv",
        "create": f"{BASE}/create/",
        "inspect": inspect_url(rr),
        "edit": f"{BASE}/edit/{rr.pk}/",
        "delete": f"{BASE}/delete/{rr.pk}/",
        "evidence": f"{BASE}/evidence/{rr.pk}/",
    }


ALLOWED_FOR_STAFF = {"index", "index_search", "index_export", "create", "inspect", "evidence"}


@pytest.mark.parametrize("role", ["anonymous", "marketer", "privacy_staff", "privacy_officer"])
def test_role_matrix_over_every_staff_url(request, role, with_evidence):
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for name, url in staff_urls(with_evidence).items():
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302, name
            assert "/admin/login/" in response["Location"], name
        elif role == "marketer":
            assert response.status_code in (403, 404), name
        elif name in ALLOWED_FOR_STAFF:
            assert response.status_code == 200, (name, response.status_code)
        else:
            assert response.status_code in (403, 404), name
        if role in ("anonymous", "marketer"):
            assert with_evidence.reference.encode() not in response.content, name


@pytest.mark.parametrize("role", ["anonymous", "marketer"])
def test_actions_are_refused_to_outsiders(request, role, received):
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for action in ("verify", "withdraw", "extend"):
        response = client.post(
            inspect_url(received),
            {
                "action": action,
                f"{action}-expected_state": "received",
                f"{action}-note": "x",
                f"{action}-reason": "x",
            },
        )
        assert response.status_code in (302, 403), action
    response = client.post(
        f"{BASE}/create/", {"channel": "email", "request_type": "access", "email": "a@b.cn"}
    )
    assert response.status_code in (302, 403)
    received.refresh_from_db()
    assert received.state == State.RECEIVED
    assert received.extended_at is None
    assert RightsRequest.objects.count() == 1


def test_inspect_shows_buttons_for_exactly_the_available_transitions(client, privacy_staff, received):
    client.force_login(privacy_staff)
    html = client.get(inspect_url(received)).content.decode()
    shown = set(re.findall(r'data-testid="rr-action-(\w+)"', html))
    available = {t.name for t in received.get_available_user_state_transitions(privacy_staff)}
    assert shown == available | {"extend"}
    assert "csrfmiddlewaretoken" in html


def test_answered_request_offers_only_close(client, privacy_staff, answered):
    client.force_login(privacy_staff)
    html = client.get(inspect_url(answered)).content.decode()
    assert set(re.findall(r'data-testid="rr-action-(\w+)"', html)) == {"close"}


def test_transition_posts_need_csrf(privacy_staff, received):
    client = Client(enforce_csrf_checks=True)
    client.force_login(privacy_staff)
    response = client.post(
        inspect_url(received),
        {
            "action": "verify",
            "verify-expected_state": "received",
            "verify-mobile_proof_note": "Called back the number on file.",
            "verify-note": "Seen the ID card.",
        },
    )
    assert response.status_code == 403
    received.refresh_from_db()
    assert received.state == State.RECEIVED


def test_transition_with_csrf_token_works(privacy_staff, received):
    client = Client(enforce_csrf_checks=True)
    client.force_login(privacy_staff)
    page = client.get(inspect_url(received))
    token = page.cookies["csrftoken"].value
    response = client.post(
        inspect_url(received),
        {
            "csrfmiddlewaretoken": token,
            "action": "verify",
            "verify-expected_state": "received",
            "verify-mobile_proof_note": "Called back the number on file.",
            "verify-note": "Seen the ID card.",
        },
    )
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.state == State.VERIFIED


def test_full_staff_cycle_through_the_admin(privacy_staff, received):
    client = CommitClient()
    client.force_login(privacy_staff)
    url = inspect_url(received)
    client.post(
        url,
        {
            "action": "verify",
            "verify-expected_state": "received",
            "verify-mobile_proof_note": "Called back the number on file.",
            "verify-note": "Called back.",
        },
    )
    client.post(
        url,
        {
            "action": "answer",
            "answer-expected_state": "verified",
            "answer-outcome": "fulfilled",
            "answer-response": "Deleted.",
        },
    )
    response = client.post(url, {"action": "close", "close-expected_state": "answered", "close-note": ""})
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.state == State.CLOSED
    html = client.get(url).content.decode()
    for step in ("verify", "answer", "close"):
        assert f'data-testid="rr-timeline-{step}"' in html
    assert 'data-testid="rr-no-actions"' in html


def test_stale_page_shows_changed_by_someone_else(client, privacy_staff, received):
    client.force_login(privacy_staff)
    services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=received,
        user=privacy_staff,
        note="Seen.",
    )
    response = client.post(
        inspect_url(received),
        {"action": "withdraw", "withdraw-expected_state": "received", "withdraw-note": "By phone."},
    )
    assert response.status_code == 409
    assert "已被其他人修改" in response.content.decode()
    received.refresh_from_db()
    assert received.state == State.VERIFIED


def test_illegal_action_is_a_clear_refusal_not_a_500(client, privacy_staff, received):
    client.force_login(privacy_staff)
    response = client.post(
        inspect_url(received),
        {
            "action": "answer",
            "answer-expected_state": "received",
            "answer-outcome": "fulfilled",
            "answer-response": "x",
        },
    )
    assert response.status_code == 400
    assert "无法变更为“已答复”" in response.content.decode()
    received.refresh_from_db()
    assert received.state == State.RECEIVED


def test_staff_refusal_is_403_and_officer_refusal_works(client, privacy_staff, privacy_officer, verified):
    data = {
        "action": "answer",
        "answer-expected_state": "verified",
        "answer-outcome": "refused",
        "answer-ground": "groundlessly_repeated",
        "answer-response": "Same request three times this month.",
    }
    client.force_login(privacy_staff)
    assert client.post(inspect_url(verified), data).status_code == 403
    client.force_login(privacy_officer)
    assert client.post(inspect_url(verified), data).status_code == 302
    verified.refresh_from_db()
    assert verified.outcome == "refused"


def test_answer_form_errors_keep_the_text(client, privacy_officer, verified):
    client.force_login(privacy_officer)
    response = client.post(
        inspect_url(verified),
        {
            "action": "answer",
            "answer-expected_state": "verified",
            "answer-outcome": "refused",
            "answer-response": "Text I typed.",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Text I typed." in html
    assert "ground" in html.lower()


def test_staff_registers_a_letter(client, privacy_staff):
    client.force_login(privacy_staff)
    response = client.post(
        f"{BASE}/create/",
        {
            "channel": "letter",
            "request_type": "access",
            "mobile": "",
            "email": "wang@example.com",
            "details": "Letter",
        },
    )
    assert response.status_code == 302
    rr = RightsRequest.objects.get()
    assert rr.channel == "letter" and rr.registered_by == privacy_staff
    assert response["Location"] == inspect_url(rr)


def test_register_with_no_contact_is_refused(client, privacy_staff):
    client.force_login(privacy_staff)
    response = client.post(f"{BASE}/create/", {"channel": "phone", "request_type": "access"})
    assert response.status_code == 400
    assert not RightsRequest.objects.exists()


def test_list_masks_the_requester_and_marks_repeats(client, privacy_staff):
    file_request()
    file_request()
    client.force_login(privacy_staff)
    html = client.get(f"{BASE}/").content.decode()
    assert "+86 138****8000" in html
    assert "13800138000" not in html
    assert 'data-testid="rr-repeat"' in html
    assert 'data-testid="rr-days-left"' in html


@pytest.mark.parametrize("term", ["13800138000", "+86 138 0013 8000", "LI.LEI@example.com"])
def test_search_by_mobile_or_email_uses_the_hashes(client, privacy_staff, term):
    mine = file_request()
    other = file_request(mobile="13900139000", email="other@example.com")
    client.force_login(privacy_staff)
    html = client.get(f"{BASE}/", {"q": term}).content.decode()
    assert mine.reference in html
    assert other.reference not in html


def test_search_by_reference(client, privacy_staff):
    mine = file_request()
    other = file_request(mobile="13900139000", email="other@example.com")
    client.force_login(privacy_staff)
    html = client.get(f"{BASE}/", {"q": mine.reference.lower()}).content.decode()
    assert mine.reference in html and other.reference not in html


def test_overdue_filter(client, privacy_staff):

    late = file_request()
    RightsRequest.objects.filter(pk=late.pk).update(due_date=late.due_date - datetime.timedelta(days=20))
    fresh = file_request(mobile="13900139000", email="")
    client.force_login(privacy_staff)
    html = client.get(f"{BASE}/", {"deadline": "overdue"}).content.decode()
    assert late.reference in html and fresh.reference not in html


def test_evidence_download_is_an_attachment(client, privacy_staff, with_evidence):
    client.force_login(privacy_staff)
    response = client.get(f"{BASE}/evidence/{with_evidence.pk}/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 proof"


def test_officer_sees_unmasked_contact_only_with_the_permission(
    client, privacy_staff, privacy_officer, received
):
    client.force_login(privacy_staff)
    html = client.get(inspect_url(received)).content.decode()
    assert "+8613800138000" not in html
    assert "+86 138****8000" in html
    client.force_login(privacy_officer)
    assert privacy_officer.has_perm("forms.view_unmasked_personal_data")
    assert "+8613800138000" in client.get(inspect_url(received)).content.decode()


def test_export_holds_no_contact_data(client, privacy_staff):
    rr = file_request()
    client.force_login(privacy_staff)
    response = client.get(f"{BASE}/", {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert rr.reference in body
    assert "13800138000" not in body and "li.lei" not in body and "gAAAA" not in body


def test_inspect_shows_the_persons_submissions_found_by_hash(client, privacy_staff, home_page):

    index = PrivacyPolicyIndexPage(title="Privacy", slug="privacy")
    home_page.add_child(instance=index)
    index.add_child(
        instance=PrivacyPolicyPage(
            title="Policy",
            slug="2023-03-07",
            version_label="2023-03-07",
            updated_date=datetime.date(2023, 3, 7),
            effective_date=datetime.date(2023, 3, 7),
            body="<p>text</p>",
        )
    )
    page = make_campaign_page(parent=home_page, purpose="compatibility", title="Certification")
    data = {"name": "Li Lei", "company": "ACME", "mobile": "13800138000", "mailing_address": "1 Road"}
    submission_create(page=page, data=data, consent=True, verification_token=None, ip="203.0.113.1")
    other = dict(data, mobile="13900139000")
    submission_create(page=page, data=other, consent=True, verification_token=None, ip="203.0.113.1")
    rr = file_request(email="", verification_token=sms_token())
    client.force_login(privacy_staff)
    html = client.get(inspect_url(rr)).content.decode()
    assert 'data-testid="rr-submissions"' in html
    assert html.count("Certification") == 1
    assert "证书邮寄地址" in html  # the field held, in words (never its code)
    assert "mailing_address" not in html
    assert "1 Road" not in html
