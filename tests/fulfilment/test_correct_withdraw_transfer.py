"""Correction with the catalogue validators, consent withdrawal, transfer and the disclosure register,
next of kin and the person's own arrangement."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import crypto
from forms import catalogue
from forms.models import CampaignSubmission, SubjectHash
from rights_requests import services as rights
from rights_requests.choices import State
from rights_requests.fulfilment import services
from rights_requests.fulfilment.models import FulfilmentStep, LedgerEntry
from rights_requests.fulfilment.selectors import find_person, subject_for

from .conftest import EMAIL, ID_NUMBER, IP, MOBILE, run, verified_request

pytestmark = pytest.mark.django_db

NEW_ID = "44030419900101123" + catalogue.id_check_char("44030419900101123")


def test_correction_validates_with_the_catalogue_and_the_whitelist(person, staff_user):
    rr = verified_request("correct", details="My mobile and ID number changed.")
    partner = person[1]
    with pytest.raises(services.FulfilmentError) as exc:
        services.correct(
            rights_request=rr, user=staff_user, submission_id=partner.pk, changes={"mobile": "010-12345678"}
        )
    assert "mobile" in exc.value.errors
    with pytest.raises(services.FulfilmentError) as exc:
        services.correct(
            rights_request=rr,
            user=staff_user,
            submission_id=partner.pk,
            changes={"id_card_number": "110105194912310021"},
        )
    assert "id_card_number" in exc.value.errors
    # The compatibility purpose does not allow an e-mail address (whitelist, §1.7).
    with pytest.raises(services.FulfilmentError) as exc:
        services.correct(
            rights_request=rr,
            user=staff_user,
            submission_id=person[0].pk,
            changes={"email": "new@example.com"},
        )
    assert "§1.7" in exc.value.errors["email"][0]
    partner.refresh_from_db()
    assert partner.unmasked_data()["id_card_number"] == ID_NUMBER
    assert not FulfilmentStep.objects.exists()


def test_correction_keeps_old_and_new_values_masked_for_sensitive_fields(person, staff_user):
    rr = verified_request("correct", details="Update my ID number and name.")
    partner = person[1]
    history = services.correct(
        rights_request=rr,
        user=staff_user,
        submission_id=partner.pk,
        changes={"id_card_number": NEW_ID, "name": "王芳芳", "email": "Fang.New@Example.com"},
    )
    partner.refresh_from_db()
    assert partner.unmasked_data()["id_card_number"] == NEW_ID
    assert partner.form_data["id_card_number"] != NEW_ID
    assert partner.form_data["name"] == "王芳芳"
    assert partner.form_data["email"] == "fang.new@example.com"
    assert SubjectHash.objects.get(submission=partner, kind="email").value_hash == crypto.email_hash(
        "fang.new@example.com"
    )
    changes = {c["field"]: c for c in history}
    assert changes["name"] == {"submission": partner.pk, "field": "name", "old": "王芳", "new": "王芳芳"}
    assert ID_NUMBER not in str(changes["id_card_number"]) and NEW_ID not in str(changes["id_card_number"])
    assert changes["id_card_number"]["new"].endswith(NEW_ID[-4:])
    step = FulfilmentStep.objects.get(rights_request=rr)
    assert step.changes == history

    services.correct_and_answer(rights_request=rr, user=staff_user)
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED


def test_withdrawal_of_one_purpose_is_left_out_of_marketing_exports(
    client, superuser, pages, person, staff_user
):
    rr = verified_request("withdraw_consent", details="No more event mails.")
    marked = run(services.withdraw_consent, rights_request=rr, user=staff_user, purpose_code="event")
    assert marked == 1
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED and "event" in rr.response
    assert LedgerEntry.objects.get().action == "withdraw"

    client.force_login(superuser)
    event_csv = client.get(
        reverse("wagtailforms:list_submissions", args=(pages["event"].pk,)) + "?export=csv"
    )
    compat_csv = client.get(
        reverse("wagtailforms:list_submissions", args=(pages["compatibility"].pk,)) + "?export=csv"
    )
    body = lambda r: b"".join(r.streaming_content) if r.streaming else r.content  # noqa: E731
    assert "王芳".encode() not in body(event_csv)
    assert "王芳".encode() in body(compat_csv)
    # Earlier processing stays: nothing was deleted.
    assert CampaignSubmission.objects.get(pk=person[2].pk).form_data["name"] == "王芳"
    consent = {c["purpose"]: c for c in find_person(subject_for(mobile=MOBILE)).consents}
    assert consent["event"]["withdrawn_at"] is not None and consent["compatibility"]["withdrawn_at"] is None


def test_withdrawal_of_all_purposes(person, staff_user):
    rr = verified_request("withdraw_consent", details="Stop everything.")
    assert run(services.withdraw_consent, rights_request=rr, user=staff_user) == 3


def test_transfer_registers_the_disclosure_for_privacy_officers(client, person, staff_user, privacy_officer):
    rr = verified_request("transfer", details="Send my data to 数据处理有限公司.")
    with pytest.raises(services.PermissionDenied):
        services.transfer(
            rights_request=rr, user=staff_user, recipient="数据处理有限公司", ground="requester_transfer"
        )
    with pytest.raises(services.FulfilmentError):
        services.transfer(rights_request=rr, user=privacy_officer, recipient="", ground="nonsense")
    record = run(
        services.transfer,
        rights_request=rr,
        user=privacy_officer,
        recipient="数据处理有限公司",
        ground="requester_transfer",
    )
    assert record.record_count == 3
    assert record.approved_by == privacy_officer
    assert set(record.field_keys) >= {"mobile", "email", "id_card_number", "name"}
    assert record.package.kind == "transfer" and record.package.recipient == "数据处理有限公司"
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED and record.package.sha256 in rr.response

    client.force_login(staff_user)
    assert client.get(reverse("fulfilment_disclosures")).status_code in (302, 403)
    client.force_login(privacy_officer)
    page = client.get(reverse("fulfilment_disclosures")).content.decode()
    assert f'data-testid="disclosure-{record.pk}"' in page and "数据处理有限公司" in page
    assert MOBILE not in page and ID_NUMBER not in page


def _kin_request(staff_user):
    rr = run(
        rights.rights_request_create,
        request_type="posthumous",
        mobile="13500000000",
        email="",
        details="My mother passed away.",
        relationship="daughter",
        ip=IP,
    )
    evidence = SimpleUploadedFile("death.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    run(
        rights.rights_request_verify,
        rights_request=rr,
        user=staff_user,
        note="Certificate seen",
        mobile_proof_note="Called the daughter back on this number.",
        evidence=evidence,
    )
    rr.refresh_from_db()
    return rr


def test_next_of_kin_only_after_staff_verification_and_never_transfer(person, staff_user, privacy_officer):
    rr = _kin_request(staff_user)
    assert services.allowed_actions(rr) == set()
    # The one who checked the evidence does not also name whose data it is.
    with pytest.raises(services.FulfilmentError):
        services.set_deceased(rights_request=rr, user=staff_user, email=EMAIL)
    assert services.allowed_actions(type(rr).objects.get(pk=rr.pk)) == set()
    services.set_deceased(rights_request=rr, user=privacy_officer, email=EMAIL)
    rr = type(rr).objects.get(pk=rr.pk)
    assert services.allowed_actions(rr) == {"package", "correct", "erase"}
    with pytest.raises(services.FulfilmentError):
        services.withdraw_consent(rights_request=rr, user=staff_user)


def test_the_deceased_persons_arrangement_prevails(person, staff_user, privacy_officer):
    services.arrangement_record(user=staff_user, mobile=MOBILE, instruction="no_access")
    rr = _kin_request(staff_user)
    services.set_deceased(rights_request=rr, user=privacy_officer, mobile=MOBILE)
    rr = type(rr).objects.get(pk=rr.pk)
    with pytest.raises(services.FulfilmentError) as exc:
        services.package_deliver(rights_request=rr, user=staff_user)
    assert "arrangement" in str(exc.value)
    result = run(services.erase, rights_request=rr, user=staff_user)
    assert result.erased_count == 3


def test_fulfilment_page_over_http(client, person, staff_user, marketer):
    rr = verified_request("delete")
    url = reverse("fulfilment_request", args=(rr.pk,))
    client.force_login(marketer)
    assert client.get(url).status_code in (302, 403)

    client.force_login(staff_user)
    inspect = client.get(reverse("rights_requests_rightsrequest_modeladmin_inspect", args=(rr.pk,)))
    assert b'data-testid="rr-fulfil-link"' in inspect.content
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="fulfilment-action-erase"' in html
    assert ID_NUMBER not in html  # staff without the unmasked permission see masks
    response = client.post(url, {"action": "erase", "erase-retain_until": "", "erase-ground": ""})
    assert response.status_code == 302
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED
    assert 'data-testid="fulfilment-step-erase"' in client.get(url).content.decode()
    # The request is answered: a second erase is refused, nothing changes.
    again = client.post(url, {"action": "erase", "erase-retain_until": "", "erase-ground": ""})
    assert again.status_code == 400


def test_package_from_the_fulfilment_page(client, person, staff_user, privacy_officer):
    rr = verified_request("access")
    client.force_login(staff_user)
    url = reverse("fulfilment_request", args=(rr.pk,))
    response = client.post(url, {"action": "package"})
    assert response.status_code == 302
    rr.refresh_from_db()
    # The copy carries the ID number in clear: held for a Privacy officer, no approve button for staff.
    assert rr.state == State.VERIFIED
    html = client.get(url).content.decode()
    assert 'data-testid="fulfilment-packages"' in html
    package = rr.access_packages.get()
    assert f'data-testid="fulfilment-pending-{package.pk}"' in html
    assert 'data-testid="fulfilment-approve-package"' not in html
    refused = client.post(url, {"action": "approve_package", "package": package.pk, "note": "me"})
    assert refused.status_code in (302, 403)
    package.refresh_from_db()
    assert package.released_at is None and package.approved_by is None
    client.force_login(privacy_officer)
    response = client.post(url, {"action": "approve_package", "package": package.pk, "note": "SMS-proven"})
    assert response.status_code == 302
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED
