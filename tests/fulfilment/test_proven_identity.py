"""Only what was proven identifies a person, and a clear ID number needs a second person.

Each test plays an attack of issue "Only the person, and only the right staff, can reach a
person's data" and asserts on the data the attacker gets back, not only on status codes.
The victim is the ``person`` fixture (mobile, e-mail and an ID number in a partner application).
"""

import datetime
import io
import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from rights_requests import services as rights
from rights_requests.choices import IdentifierProof, State
from rights_requests.fulfilment import services, tasks
from rights_requests.fulfilment.models import AccessPackage, SubmissionStatus
from rights_requests.fulfilment.selectors import find_person, subject_of_request
from rights_requests.fulfilment.tokens import package_token
from rights_requests.models import RightsRequest

from .conftest import EMAIL, ID_NUMBER, IP, MOBILE, approve_package, run, sms_token, verified_request

pytestmark = pytest.mark.django_db

ATTACKER_MOBILE = "13811112222"
VICTIM_NAME = "王芳"


def _status_html(client, rr) -> str:
    url = reverse("rights_requests:status", kwargs={"reference": rr.reference, "token": rr.status_token})
    return client.get(url).content.decode()


def _api_status(client, rr) -> dict:
    response = client.get(
        f"/api/rights-requests/{rr.reference}", HTTP_AUTHORIZATION=f"Bearer {rr.status_token}"
    )
    assert response.status_code == 200
    return response.json()


def _attacker_request(request_type: str, **extra):
    """A stranger proves their own mobile by SMS and types the victim's e-mail in another case."""
    return verified_request(
        request_type, mobile=ATTACKER_MOBILE, email=EMAIL.upper(), prove_email=False, **extra
    )


# --- 1. an unproven e-mail never decides whose data a request covers --------------------------------


def test_typed_email_of_someone_else_finds_nothing_in_the_access_package(client, person, staff_user):
    rr = _attacker_request("access")
    assert rr.state == State.VERIFIED and rr.mobile_proven and not rr.email_proven
    run(tasks.package_request, rights_request=rr, user=staff_user)
    rr.refresh_from_db()
    package = AccessPackage.objects.get(rights_request=rr)
    assert rr.state == State.ANSWERED
    assert package.record_count == 0 and not package.clear_sensitive

    status = _status_html(client, rr)
    api = _api_status(client, rr)
    assert api["identifiers"] == {"mobile": "proven", "email": "unproven"}
    link = api["package"]["url"]
    body = client.get(link).content.decode()
    sheet = load_workbook(io.BytesIO(client.get(link, {"format": "xlsx"}).content)).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    for leaked in (ID_NUMBER, VICTIM_NAME, MOBILE):
        assert leaked not in status and leaked not in json.dumps(api, ensure_ascii=False)
        assert leaked not in body and leaked not in cells
    assert json.loads(body)["record_count"] == 0
    # Nothing about the package went to the address nobody proved.
    assert not [m for m in mail.outbox if "/my-data/packages/" in m.body]


@pytest.mark.parametrize("request_type", ["delete", "deregister"])
def test_typed_email_cannot_erase_someone_else(person, staff_user, request_type):
    rr = _attacker_request(request_type)
    result = run(services.erase, rights_request=rr, user=staff_user)
    assert result.erased_count == 0
    assert not SubmissionStatus.objects.filter(submission__in=person, erased_at__isnull=False).exists()
    for submission in person:
        submission.refresh_from_db()
        assert submission.form_data["name"] == VICTIM_NAME


def test_typed_email_cannot_withdraw_someone_elses_consent(person, staff_user):
    rr = _attacker_request("withdraw_consent")
    count = run(services.withdraw_consent, rights_request=rr, user=staff_user)
    assert count == 0
    assert not SubmissionStatus.objects.filter(
        submission__in=person, consent_withdrawn_at__isnull=False
    ).exists()


def test_typed_email_cannot_correct_someone_elses_record(person, staff_user):
    rr = _attacker_request("correct", details="My company changed.")
    with pytest.raises(services.FulfilmentError) as exc:
        services.correct(
            rights_request=rr, user=staff_user, submission_id=person[2].pk, changes={"company": "Evil"}
        )
    assert "submission" in exc.value.errors
    person[2].refresh_from_db()
    assert person[2].form_data["company"] == "云创科技"


def test_staff_pages_show_the_unproven_email_as_unproven_and_list_nothing_by_it(client, person, staff_user):
    rr = _attacker_request("access")
    client.force_login(staff_user)
    fulfil = client.get(reverse("fulfilment_request", args=(rr.pk,))).content.decode()
    inspect = client.get(
        reverse("rights_requests_rightsrequest_modeladmin_inspect", args=(rr.pk,))
    ).content.decode()
    assert 'data-testid="identifier-email" data-proven="no"' in fulfil
    assert 'data-testid="identifier-mobile" data-proven="yes"' in fulfil
    assert 'data-testid="rr-identifier-email" data-proven="no"' in inspect
    assert 'data-testid="fulfilment-no-data"' in fulfil
    for submission in person:
        assert f"#{submission.pk} " not in fulfil
    assert VICTIM_NAME not in fulfil and VICTIM_NAME not in inspect


def test_the_email_link_proves_the_address_and_only_then_finds_its_records(client, person, staff_user):
    rr = verified_request("access", mobile=ATTACKER_MOBILE, email=EMAIL, prove_email=False)
    (confirmation,) = [m for m in mail.outbox if "confirm-email" in m.body]
    assert confirmation.to == [EMAIL]
    link = next(word for word in confirmation.body.split() if "/confirm-email/" in word)
    path = link.split("://", 1)[-1].split("/", 1)[-1]
    # A mail scanner's GET proves nothing; the POST from the page does.
    assert client.get("/" + path).status_code == 200
    rr.refresh_from_db()
    assert not rr.email_proven
    forged = client.post("/" + path[:-3] + "xyz/")
    assert forged.status_code == 404
    rr.refresh_from_db()
    assert not rr.email_proven
    assert client.post("/" + path).status_code == 200
    rr.refresh_from_db()
    assert rr.email_proof == IdentifierProof.EMAIL_LINK and rr.email_confirmed_at is not None
    # Now the address is the requester's: the e-mail's records are found (two carry the address).

    found = find_person(subject_of_request(rr))
    assert {s.pk for s in found.submissions} == {person[1].pk, person[2].pk}


def test_a_confirmation_token_of_one_request_does_not_prove_another(person):
    first = verified_request("access", mobile=ATTACKER_MOBILE, email="mine@example.com", prove_email=False)
    victim = verified_request("access", email=EMAIL, prove_email=False)
    token = rights.email_confirmation_token(first)
    assert rights.rights_request_for_email_token(token=token) == first
    rights.rights_request_confirm_email(token=token)
    victim.refresh_from_db()
    assert not victim.email_proven


def test_a_stale_staff_save_does_not_undo_the_requesters_email_proof(person, staff_user):
    rr = verified_request("access", email=EMAIL, prove_email=False)
    stale = RightsRequest.objects.get(pk=rr.pk)
    rights.rights_request_confirm_email(token=rights.email_confirmation_token(rr))
    run(
        rights.rights_request_extend,
        rights_request=stale,
        user=staff_user,
        reason="We search the backups.",
    )
    stale.save()
    rr.refresh_from_db()
    assert rr.email_proven


def test_staff_registered_phone_request_records_how_each_identifier_was_checked(client, person, staff_user):
    rr = run(
        rights.rights_request_create,
        request_type="access",
        channel="phone",
        mobile=MOBILE,
        email=EMAIL,
        details="Caller asked for a copy.",
        ip=IP,
        user=staff_user,
    )
    assert not rr.has_proven_identifier
    with pytest.raises(rights.RightsRequestError) as exc:
        rights.rights_request_verify(rights_request=rr, user=staff_user, note="Sounded genuine.")
    assert "mobile_proof_note" in exc.value.errors
    rr.refresh_from_db()
    assert rr.state == State.RECEIVED
    client.force_login(staff_user)
    url = reverse("rights_requests_rightsrequest_modeladmin_inspect", args=(rr.pk,))
    response = client.post(
        url,
        {
            "action": "verify",
            "verify-expected_state": "received",
            "verify-note": "Caller answered the security questions.",
            "verify-mobile_proof_note": "Called back the number; the caller confirmed the last order.",
        },
    )
    assert response.status_code == 302
    rr.refresh_from_db()
    assert rr.state == State.VERIFIED
    assert rr.mobile_proof == IdentifierProof.STAFF and "Called back" in rr.mobile_proof_note
    assert not rr.email_proven


def test_a_visitor_cannot_claim_staff_proof(pages):
    with pytest.raises(PermissionDenied):
        rights.rights_request_create(
            request_type="access",
            mobile=ATTACKER_MOBILE,
            email=EMAIL,
            details="",
            ip=IP,
            email_proof_note="It is mine, trust me.",
        )
    assert not RightsRequest.objects.exists()


def test_api_request_with_someone_elses_email_stays_unproven(client, person):
    token = sms_token(ATTACKER_MOBILE, rights.SMS_PURPOSE)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/rights-requests",
            {
                "request_type": "access",
                "mobile": ATTACKER_MOBILE,
                "email": EMAIL.upper(),
                "details": "",
                "verification_token": token,
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    rr = RightsRequest.objects.get(reference=response.json()["reference"])
    assert rr.mobile_proven and not rr.email_proven
    # No notice (with the status link) reaches the typed address, only the confirmation link.
    to_victim = [m for m in mail.outbox if m.to == [EMAIL]]
    assert to_victim and all(rr.status_token not in m.body for m in to_victim)


# --- 2. four eyes on a clear ID number --------------------------------------------------------------


def _staff_alone_gets_a_package(client, staff_user):
    """Privacy staff register a phone request for the victim's mobile, vouch for it and build the copy."""
    rr = run(
        rights.rights_request_create,
        request_type="access",
        channel="phone",
        mobile=MOBILE,
        email="",
        details="",
        ip=IP,
        user=staff_user,
        mobile_proof_note="Caller knew the number.",
    )
    run(rights.rights_request_verify, rights_request=rr, user=staff_user, note="Trust me.")
    rr.refresh_from_db()
    run(tasks.package_request, rights_request=rr, user=staff_user)
    rr.refresh_from_db()
    return rr, AccessPackage.objects.get(rights_request=rr)


def test_one_staff_member_alone_cannot_obtain_a_clear_id_number(client, person, staff_user):
    rr, package = _staff_alone_gets_a_package(client, staff_user)
    assert package.clear_sensitive and package.released_at is None
    assert rr.state == State.VERIFIED and not rr.response
    # The package link gives nothing, and no page the staff member can open carries it.
    link = reverse("fulfilment:package", kwargs={"token": package_token(package)})
    assert ID_NUMBER.encode() not in client.get(link).content
    client.force_login(staff_user)
    pages = [
        client.get(reverse("fulfilment_request", args=(rr.pk,))).content.decode(),
        client.get(
            reverse("rights_requests_rightsrequest_modeladmin_inspect", args=(rr.pk,))
        ).content.decode(),
        _status_html(client, rr),
        json.dumps(_api_status(client, rr)),
    ]
    for html in pages:
        assert ID_NUMBER not in html
        assert "/my-data/packages/" not in html
    with pytest.raises(PermissionDenied):
        services.package_approve(package=package, user=staff_user, note="me")
    package.refresh_from_db()
    assert package.released_at is None


def test_the_officer_who_verified_cannot_be_the_second_person(person, privacy_officer, superuser):
    rr = run(
        rights.rights_request_create,
        request_type="copy",
        channel="phone",
        mobile=MOBILE,
        email="",
        details="",
        ip=IP,
        user=privacy_officer,
        mobile_proof_note="Called back.",
    )
    run(rights.rights_request_verify, rights_request=rr, user=privacy_officer, note="Seen.")
    rr.refresh_from_db()
    package = run(services.package_deliver, rights_request=rr, user=privacy_officer)
    assert package.clear_sensitive
    with pytest.raises(services.FulfilmentError) as exc:
        services.package_approve(package=package, user=privacy_officer, note="Looks fine")
    assert "second person" in str(exc.value)
    package.refresh_from_db()
    assert package.released_at is None


def test_a_second_officer_approves_with_a_reason_and_everything_is_recorded(
    client, person, staff_user, privacy_officer
):
    rr, package = _staff_alone_gets_a_package(client, staff_user)
    with pytest.raises(services.FulfilmentError):
        services.package_approve(package=package, user=privacy_officer, note="  ")
    package = approve_package(rr, privacy_officer, note="Checked the call recording.")
    assert rr.state == State.ANSWERED and package.approved_by == privacy_officer
    api = _api_status(client, rr)
    document = client.get(api["package"]["url"]).json()
    assert ID_NUMBER in json.dumps(document, ensure_ascii=False)
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(package.pk)).values_list("action", "user_id", "data")
    )
    names = [a for a, _user, _data in actions]
    assert {"fulfilment.package_held", "fulfilment.package_approved", "fulfilment.package_downloaded"} <= set(
        names
    )
    approved = next(d for a, _u, d in actions if a == "fulfilment.package_approved")
    assert approved["note"] == "Checked the call recording."
    assert next(u for a, u, _d in actions if a == "fulfilment.package_approved") == privacy_officer.pk


def test_staff_may_release_a_masked_copy_instead(client, person, staff_user):
    rr, package = _staff_alone_gets_a_package(client, staff_user)
    masked = run(services.package_release_masked, package=package, user=staff_user)
    rr.refresh_from_db()
    package.refresh_from_db()
    assert rr.state == State.ANSWERED
    assert package.discarded_at is not None and not package.has_content
    assert not masked.clear_sensitive and masked.released_at is not None
    content = services.package_content(masked).decode()
    assert ID_NUMBER not in content and ID_NUMBER[-4:] in content
    # The discarded clear copy's link gives nothing.
    link = reverse("fulfilment:package", kwargs={"token": package_token(package)})
    assert ID_NUMBER.encode() not in client.get(link).content


def test_officers_see_masks_until_they_reveal_with_a_reason(client, person, privacy_officer):
    rr = verified_request("access")
    client.force_login(privacy_officer)
    url = reverse("fulfilment_request", args=(rr.pk,))
    assert ID_NUMBER not in client.get(url).content.decode()
    no_reason = client.post(url, {"action": "reveal", "reason": "  "}).content.decode()
    assert ID_NUMBER not in no_reason
    assert not ModelLogEntry.objects.filter(action="fulfilment.unmasked_view").exists()
    shown = client.post(url, {"action": "reveal", "reason": "Checking a reported typo."}).content.decode()
    assert ID_NUMBER in shown
    entry = ModelLogEntry.objects.get(action="fulfilment.unmasked_view")
    assert entry.user_id == privacy_officer.pk and entry.data["reason"] == "Checking a reported typo."
    assert person[1].pk in entry.data["submissions"]
    # Reloading shows masks again.
    assert ID_NUMBER not in client.get(url).content.decode()


def test_staff_without_the_permission_cannot_reveal(client, person, staff_user):
    rr = verified_request("access")
    client.force_login(staff_user)
    url = reverse("fulfilment_request", args=(rr.pk,))
    response = client.post(url, {"action": "reveal", "reason": "curious"})
    assert ID_NUMBER not in response.content.decode()
    assert not ModelLogEntry.objects.filter(action="fulfilment.unmasked_view").exists()


def test_restricted_records_are_masked_until_revealed(client, person, staff_user, privacy_officer):

    rr = verified_request("delete")
    run(
        services.erase,
        rights_request=rr,
        user=staff_user,
        retain_until=datetime.date.today() + datetime.timedelta(days=365),
        ground="Tax law",
    )
    client.force_login(privacy_officer)
    url = reverse("fulfilment_restricted")
    assert ID_NUMBER not in client.get(url).content.decode()
    shown = client.post(url, {"action": "reveal", "reason": "Audit by the tax office."}).content.decode()
    assert ID_NUMBER in shown
    assert ModelLogEntry.objects.filter(action="fulfilment.unmasked_view", user=privacy_officer).exists()
