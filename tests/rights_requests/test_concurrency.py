"""Two staff acting on one request at once: exactly one wins, the other gets a clear conflict."""

import threading

import pytest
from django.db import close_old_connections, connection
from django_fsm_log.models import StateLog

from rights_requests import services
from rights_requests.choices import State
from rights_requests.models import RightsRequest

from .conftest import file_request

pytestmark = pytest.mark.django_db


def test_stale_copy_loses_with_a_conflict(privacy_staff, privacy_officer):
    rr = services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=file_request(),
        user=privacy_staff,
        note="Seen.",
    )
    first = RightsRequest.objects.get(pk=rr.pk)
    second = RightsRequest.objects.get(pk=rr.pk)
    services.rights_request_answer(
        rights_request=first, user=privacy_staff, outcome="fulfilled", response="A"
    )
    with pytest.raises(services.RightsRequestConflict) as exc:
        services.rights_request_withdraw(rights_request=second, user=privacy_officer, note="By phone.")
    assert "已被其他人修改" in exc.value.errors["__all__"][0]
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED
    assert rr.response == "A"
    assert [e.transition for e in StateLog.objects.for_(rr)] == ["verify", "answer"]


def test_form_from_a_stale_page_is_a_conflict(privacy_staff):
    rr = file_request()
    services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=rr,
        user=privacy_staff,
        note="Seen.",
    )
    with pytest.raises(services.RightsRequestConflict):
        services.rights_request_withdraw(
            rights_request=RightsRequest.objects.get(pk=rr.pk),
            user=privacy_staff,
            note="x",
            expected_state=State.RECEIVED,
        )


def test_two_extensions_of_stale_copies_only_one_wins(privacy_staff):
    rr = file_request()
    first = RightsRequest.objects.get(pk=rr.pk)
    second = RightsRequest.objects.get(pk=rr.pk)
    services.rights_request_extend(rights_request=first, user=privacy_staff, reason="One")
    with pytest.raises(services.RightsRequestConflict):
        services.rights_request_extend(rights_request=second, user=privacy_staff, reason="Two")
    rr.refresh_from_db()
    assert rr.extension_reason == "One"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_connections_one_wins(privacy_staff, privacy_officer):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers, so two connections never race here")
    rr = services.rights_request_verify(
        mobile_proof_note="Called back the number on file.",
        rights_request=file_request(),
        user=privacy_staff,
        note="Seen.",
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name, run):
        try:
            copy = RightsRequest.objects.get(pk=rr.pk)
            barrier.wait(timeout=10)
            run(copy)
            outcomes[name] = "won"
        except services.RightsRequestConflict:
            outcomes[name] = "conflict"
        except Exception as exc:  # noqa: BLE001 (a thread must report, not swallow, any failure)
            outcomes[name] = f"error: {exc!r}"
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(
            target=act,
            args=(
                "answer",
                lambda copy: services.rights_request_answer(
                    rights_request=copy, user=privacy_staff, outcome="fulfilled", response="Done."
                ),
            ),
        ),
        threading.Thread(
            target=act,
            args=(
                "withdraw",
                lambda copy: services.rights_request_withdraw(
                    rights_request=copy, user=privacy_officer, note="Phone."
                ),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "won"], outcomes
    rr.refresh_from_db()
    assert rr.state in (State.ANSWERED, State.CLOSED)
    assert StateLog.objects.for_(rr).count() == 2
