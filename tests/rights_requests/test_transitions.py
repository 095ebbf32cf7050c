"""Every transition, its permission, and the illegal ones (services and model)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from django_fsm_log.models import StateLog

from rights_requests import services
from rights_requests.choices import ClosureReason, Outcome, State, VerificationMethod
from rights_requests.models import RightsRequest

from .conftest import E164, file_request, sms_token

pytestmark = pytest.mark.django_db


def log_for(rr):
    return list(StateLog.objects.for_(rr).order_by("pk"))


# --- verify -------------------------------------------------------------------------------------


def test_filing_with_sms_token_verifies_and_logs_the_sms_check():
    rr = file_request(verification_token=sms_token())
    assert rr.state == State.VERIFIED
    assert rr.verification_method == VerificationMethod.SMS
    assert rr.mobile_confirmed_at is not None
    [entry] = log_for(rr)
    assert (entry.source_state, entry.state, entry.transition) == ("received", "verified", "verify")
    assert entry.by is None
    assert "短信" in entry.description and E164 not in entry.description


def test_filing_without_token_stays_received():
    rr = file_request()
    assert rr.state == State.RECEIVED
    assert log_for(rr) == []


def test_verify_by_sms_later():
    rr = file_request()
    services.rights_request_verify_by_sms(rights_request=rr, verification_token=sms_token())
    rr.refresh_from_db()
    assert rr.state == State.VERIFIED


def test_verify_by_sms_for_another_mobile_is_refused():
    rr = file_request()
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_verify_by_sms(rights_request=rr, verification_token=sms_token("13900139000"))
    assert "verification_token" in exc.value.errors
    rr.refresh_from_db()
    assert rr.state == State.RECEIVED


def test_staff_verify_needs_a_note_and_logs_who_and_why(privacy_staff):
    rr = file_request()
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_verify(
            mobile_proof_note="Called back the number on file.",
            rights_request=rr,
            user=privacy_staff,
            note="  ",
        )
    assert "note" in exc.value.errors
    services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=rr,
        user=privacy_staff,
        note="ID card shown at reception.",
    )
    rr.refresh_from_db()
    assert rr.state == State.VERIFIED
    assert rr.verified_by == privacy_staff
    [entry] = log_for(rr)
    assert entry.by == privacy_staff
    assert entry.description == "ID card shown at reception."


def test_marketer_cannot_verify(marketer):
    rr = file_request()
    with pytest.raises(PermissionDenied):
        services.rights_request_verify(
            mobile_proof_note="Called back the number on file.", rights_request=rr, user=marketer, note="x"
        )
    rr.refresh_from_db()
    assert rr.state == State.RECEIVED


def test_next_of_kin_without_evidence_is_refused_at_verify(privacy_staff):
    rr = file_request(request_type="posthumous", relationship="Son", verification_token=sms_token())
    assert rr.state == State.RECEIVED, "SMS alone does not verify a next-of-kin request"
    assert rr.mobile_confirmed_at is not None
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_verify(
            mobile_proof_note="Called back the number on file.",
            rights_request=rr,
            user=privacy_staff,
            note="Looks fine.",
        )
    assert "evidence" in exc.value.errors
    rr.refresh_from_db()
    assert rr.state == State.RECEIVED
    evidence = SimpleUploadedFile(
        "death-certificate.pdf", b"%PDF-1.4 evidence", content_type="application/pdf"
    )
    services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=rr,
        user=privacy_staff,
        note="Death certificate and household register.",
        evidence=evidence,
    )
    rr.refresh_from_db()
    assert rr.state == State.VERIFIED
    assert rr.evidence.name.endswith(".pdf")


def test_posthumous_needs_relationship():
    with pytest.raises(services.RightsRequestError) as exc:
        file_request(request_type="posthumous")
    assert "relationship" in exc.value.errors
    assert not RightsRequest.objects.exists()


def test_evidence_of_a_wrong_type_is_refused(privacy_staff):
    rr = file_request(request_type="posthumous", relationship="Daughter")
    bad = SimpleUploadedFile("evil.html", b"<script>", content_type="text/html")
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_verify(
            mobile_proof_note="Called back the number on file.",
            rights_request=rr,
            user=privacy_staff,
            note="x",
            evidence=bad,
        )
    assert "evidence" in exc.value.errors


def test_letter_is_verified_by_staff_even_after_sms(privacy_staff):
    rr = services.rights_request_create(
        request_type="access",
        channel="letter",
        mobile="13800138000",
        email="",
        details="",
        ip="",
        user=privacy_staff,
    )
    services.rights_request_verify_by_sms(rights_request=rr, verification_token=sms_token())
    rr.refresh_from_db()
    assert rr.state == State.RECEIVED and rr.mobile_confirmed_at is not None


# --- answer --------------------------------------------------------------------------------------


def test_staff_answers_fulfilled(verified, privacy_staff):
    services.rights_request_answer(
        rights_request=verified, user=privacy_staff, outcome="fulfilled", response="Deleted on 1 March."
    )
    verified.refresh_from_db()
    assert verified.state == State.ANSWERED
    assert verified.outcome == Outcome.FULFILLED
    assert verified.answered_by == privacy_staff
    assert verified.complaint_notice == ""
    assert log_for(verified)[-1].transition == "answer"


@pytest.mark.parametrize("outcome", ["refused", "fee_required"])
def test_staff_cannot_refuse_or_ask_a_fee(verified, privacy_staff, outcome):
    with pytest.raises(PermissionDenied):
        services.rights_request_answer(
            rights_request=verified,
            user=privacy_staff,
            outcome=outcome,
            response="No.",
            ground="highly_impractical" if outcome == "refused" else "",
            fee_amount="50" if outcome == "fee_required" else None,
        )
    verified.refresh_from_db()
    assert verified.state == State.VERIFIED


def test_officer_refuses_with_ground_and_complaint_notice(verified, privacy_officer):
    services.rights_request_answer(
        rights_request=verified,
        user=privacy_officer,
        outcome="refused",
        response="The data is only on backup tapes.",
        ground="highly_impractical",
    )
    verified.refresh_from_db()
    assert verified.outcome == Outcome.REFUSED
    assert verified.refusal_ground == "highly_impractical"
    assert "privacy@example.com" in verified.complaint_notice


def test_refusal_without_ground_is_refused(verified, privacy_officer):
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_answer(
            rights_request=verified, user=privacy_officer, outcome="refused", response="No."
        )
    assert "ground" in exc.value.errors


def test_refusal_with_unknown_ground_is_refused(verified, privacy_officer):
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_answer(
            rights_request=verified, user=privacy_officer, outcome="refused", response="No.", ground="because"
        )
    assert "ground" in exc.value.errors


def test_officer_asks_a_fee(verified, privacy_officer):
    services.rights_request_answer(
        rights_request=verified,
        user=privacy_officer,
        outcome="fee_required",
        response="Repeated.",
        fee_amount="50",
    )
    verified.refresh_from_db()
    assert verified.outcome == Outcome.FEE_REQUIRED
    assert str(verified.fee_amount) == "50.00"
    assert verified.complaint_notice


@pytest.mark.parametrize("fee", [None, "", "-1", "abc", "0"])
def test_fee_required_needs_a_positive_fee(verified, privacy_officer, fee):
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_answer(
            rights_request=verified,
            user=privacy_officer,
            outcome="fee_required",
            response="x",
            fee_amount=fee,
        )
    assert "fee_amount" in exc.value.errors


def test_answer_needs_a_response_and_a_known_outcome(verified, privacy_staff):
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_answer(
            rights_request=verified, user=privacy_staff, outcome="maybe", response=""
        )
    assert set(exc.value.errors) == {"outcome", "response"}


def test_answering_twice_is_a_clear_error(answered, privacy_staff):
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_answer(
            rights_request=answered, user=privacy_staff, outcome="fulfilled", response="x"
        )
    assert "无法变更为“已答复”" in exc.value.errors["__all__"][0]
    answered.refresh_from_db()
    assert answered.response == "All your data is deleted."


def test_answering_an_unverified_request_is_refused(received, privacy_staff):
    with pytest.raises(services.RightsRequestError):
        services.rights_request_answer(
            rights_request=received, user=privacy_staff, outcome="fulfilled", response="x"
        )
    received.refresh_from_db()
    assert received.state == State.RECEIVED


def test_marketer_cannot_answer(verified, marketer):
    with pytest.raises(PermissionDenied):
        services.rights_request_answer(
            rights_request=verified, user=marketer, outcome="fulfilled", response="x"
        )


# --- close, withdraw, expire ----------------------------------------------------------------------


def test_close_after_answer(answered, privacy_staff):
    services.rights_request_close(rights_request=answered, user=privacy_staff, note="Done.")
    answered.refresh_from_db()
    assert answered.state == State.CLOSED
    assert answered.closure_reason == ClosureReason.ANSWERED
    assert [e.transition for e in log_for(answered)] == ["verify", "answer", "close"]


def test_closing_a_received_request_is_a_clear_error(received, privacy_staff):
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_close(rights_request=received, user=privacy_staff)
    assert "已受理" in exc.value.errors["__all__"][0]
    received.refresh_from_db()
    assert received.state == State.RECEIVED


def test_marketer_cannot_close(answered, marketer):
    with pytest.raises(PermissionDenied):
        services.rights_request_close(rights_request=answered, user=marketer)


@pytest.mark.parametrize("fixture", ["received", "verified"])
def test_requester_withdraws_before_the_answer(request, fixture):
    rr = request.getfixturevalue(fixture)
    services.rights_request_withdraw(rights_request=rr)
    rr.refresh_from_db()
    assert rr.state == State.CLOSED
    assert rr.closure_reason == ClosureReason.WITHDRAWN
    assert log_for(rr)[-1].by is None


def test_requester_cannot_withdraw_after_the_answer(answered):
    with pytest.raises(services.RightsRequestError):
        services.rights_request_withdraw(rights_request=answered)
    answered.refresh_from_db()
    assert answered.state == State.ANSWERED


def test_staff_records_withdrawal_with_a_note(received, privacy_staff, marketer):
    with pytest.raises(PermissionDenied):
        services.rights_request_withdraw(rights_request=received, user=marketer, note="phone")
    with pytest.raises(services.RightsRequestError):
        services.rights_request_withdraw(rights_request=received, user=privacy_staff, note="")
    services.rights_request_withdraw(
        rights_request=received, user=privacy_staff, note="Asked by phone on 3 March."
    )
    received.refresh_from_db()
    assert received.state == State.CLOSED
    assert log_for(received)[-1].by == privacy_staff


def test_expire_unverified_only_after_seven_days(received):
    assert not services.rights_request_expire_unverified(rights_request=received)
    RightsRequest.objects.filter(pk=received.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=8)
    )
    received.refresh_from_db()
    assert services.rights_request_expire_unverified(rights_request=received)
    received.refresh_from_db()
    assert received.state == State.CLOSED
    assert received.closure_reason == ClosureReason.EXPIRED


def test_expire_is_offered_to_nobody(received, superuser):
    RightsRequest.objects.filter(pk=received.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=8)
    )
    received.refresh_from_db()
    names = [t.name for t in received.get_available_user_state_transitions(superuser)]
    assert "expire_unverified" not in names
    assert set(names) == {"verify", "withdraw"}


# --- the model guards itself -------------------------------------------------------------------------


def test_state_cannot_be_assigned(received):
    with pytest.raises(AttributeError):
        received.state = State.CLOSED


def test_model_refuses_an_illegal_transition(received):
    with pytest.raises(TransitionNotAllowed):
        received.close()


def test_available_transitions_by_role(privacy_staff, privacy_officer, marketer):
    def names(rr, user):
        return {t.name for t in rr.get_available_user_state_transitions(user)}

    received = file_request()
    verified = services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=file_request(),
        user=privacy_staff,
        note="Seen.",
    )
    answered = services.rights_request_answer(
        rights_request=services.rights_request_verify(
            mobile_proof_note="Called back the number on file.",
            rights_request=file_request(),
            user=privacy_staff,
            note="Seen.",
        ),
        user=privacy_staff,
        outcome="fulfilled",
        response="Done.",
    )

    assert names(received, marketer) == set()
    assert names(received, privacy_staff) == {"verify", "withdraw"}
    assert names(verified, privacy_staff) == {"answer", "withdraw"}
    assert names(answered, privacy_staff) == {"close"}
    assert names(answered, privacy_officer) == {"close"}


# --- extension ------------------------------------------------------------------------------------------


def test_single_extension_with_reason(received, privacy_staff, settings):
    due = received.due_date
    with pytest.raises(services.RightsRequestError):
        services.rights_request_extend(rights_request=received, user=privacy_staff, reason="")
    services.rights_request_extend(
        rights_request=received, user=privacy_staff, reason="Archive must be restored."
    )
    received.refresh_from_db()
    assert received.due_date == due + datetime.timedelta(days=settings.RIGHTS_REQUEST_EXTENSION_DAYS)
    assert received.extension_reason == "Archive must be restored."
    with pytest.raises(services.RightsRequestError) as exc:
        services.rights_request_extend(rights_request=received, user=privacy_staff, reason="Again")
    assert "已延期过一次" in exc.value.errors["__all__"][0]


def test_marketer_cannot_extend(received, marketer):
    with pytest.raises(PermissionDenied):
        services.rights_request_extend(rights_request=received, user=marketer, reason="x")


def test_answered_request_cannot_be_extended(answered, privacy_staff):
    with pytest.raises(services.RightsRequestError):
        services.rights_request_extend(rights_request=answered, user=privacy_staff, reason="x")
