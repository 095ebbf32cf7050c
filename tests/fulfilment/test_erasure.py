"""Erasure, restriction, the ledger and its replay after a restore, retention and minors."""

import datetime
import json
from io import BytesIO

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from forms.models import CampaignSubmission, SubjectHash
from rights_requests.choices import State
from rights_requests.fulfilment import services
from rights_requests.fulfilment.models import LedgerEntry, SubmissionStatus
from rights_requests.fulfilment.selectors import find_person, subject_for
from rights_requests.selectors import person_submissions

from .conftest import E164, EMAIL, ID_NUMBER, MOBILE, run, verified_request

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def tables_holding(*values) -> dict[str, list[str]]:
    """Every text, char and JSON column of every model's table that contains one of ``values``."""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.proxy or not model._meta.managed:
                continue
            table = model._meta.db_table
            # Only the columns of this table: a page subclass's parent columns live in the
            # parent's table, which the scan visits on its own.
            for field in model._meta.local_concrete_fields:
                if not isinstance(field, TEXT_FIELDS):
                    continue
                column = connection.ops.quote_name(field.column)
                for value in values:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} WHERE CAST({column} AS TEXT) LIKE %s",  # noqa: S608
                        [f"%{value}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.setdefault(table, []).append(f"{field.column}={value}")
    return found


PERSONAL = (MOBILE, E164, EMAIL, ID_NUMBER, "中关村大街")


def test_erasure_leaves_no_personal_value_anywhere(person, other_person, staff_user):
    assert tables_holding(*PERSONAL), "the scan must see the values before erasure"
    rr = verified_request("delete", details="Delete my data, please.")
    run(services.erase, rights_request=rr, user=staff_user)

    assert tables_holding(*PERSONAL) == {}
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED
    assert "3" in rr.response and str(30) in rr.response  # records erased, BACKUP_RETENTION_DAYS
    # The other person is untouched; the erased rows keep only tombstones.
    other_person.refresh_from_db()
    assert other_person.form_data["name"] == "李雷"
    for submission in person:
        submission.refresh_from_db()
        assert set(submission.form_data.values()) == {services.TOMBSTONE}
        assert submission.sensitive_data == ""
        assert not SubjectHash.objects.filter(submission=submission).exists()
    entry = LedgerEntry.objects.get(action="erase")
    assert entry.counts == {"compatibility": 1, "partner_upgrade": 1, "event": 1}
    assert entry.request_reference == rr.reference
    assert "王芳" not in json.dumps(services.ledger_line(entry), ensure_ascii=False)


def test_erasing_twice_is_a_no_op(person):
    ids = [s.pk for s in person]
    first = run(services.erase_submissions, submission_ids=ids, reason="request")
    second = run(services.erase_submissions, submission_ids=ids, reason="request")
    assert first.erased_count == 3
    assert second.erased_count == 0
    assert LedgerEntry.objects.count() == 1


def test_a_second_delete_request_is_answered_no_data_held(person, staff_user):
    run(services.erase, rights_request=verified_request("delete"), user=staff_user)
    again = verified_request("deregister")
    result = run(services.erase, rights_request=again, user=staff_user)
    again.refresh_from_db()
    assert result.erased_count == 0
    assert "No data held" in again.response


def listing(page):
    return reverse("wagtailforms:list_submissions", args=(page.pk,))


@pytest.mark.usefixtures("other_person")
def test_restricted_records_vanish_from_listings_and_exports(client, superuser, pages, person, request):
    staff_user = request.getfixturevalue("staff_user")
    privacy_officer = request.getfixturevalue("privacy_officer")
    rr = verified_request("delete")
    retain = timezone.localdate() + datetime.timedelta(days=365)
    result = run(
        services.erase, rights_request=rr, user=staff_user, retain_until=retain, ground="Accounting law"
    )
    assert result.restricted_count == 3 and result.erased_count == 0
    rr.refresh_from_db()
    assert "restricted" in rr.response and f"{retain:%Y-%m-%d}" in rr.response

    client.force_login(superuser)
    page = pages["compatibility"]
    html = client.get(listing(page)).content.decode()
    assert "李雷" in html and "王芳" not in html
    for fmt in ("csv", "xlsx"):
        export = client.get(listing(page) + f"?export={fmt}")
        assert export.status_code == 200
        body = b"".join(export.streaming_content) if export.streaming else export.content
        if fmt == "csv":
            assert "李雷".encode() in body and "王芳".encode() not in body
        else:
            cells = {
                str(c) for row in load_workbook(BytesIO(body)).active.iter_rows(values_only=True) for c in row
            }
            assert "李雷" in cells and "王芳" not in cells
    # Nobody but Privacy officers sees them: staff are refused, officers get the list.
    client.force_login(staff_user)
    assert client.get(reverse("fulfilment_restricted")).status_code in (302, 403)
    client.force_login(privacy_officer)
    response = client.get(reverse("fulfilment_restricted"))
    assert response.status_code == 200
    assert all(f'data-testid="restricted-{s.pk}"' in response.content.decode() for s in person)
    # The self-service view and find_person leave them out too.

    assert find_person(subject_for(mobile=MOBILE)).is_empty

    assert person_submissions(rr) == []


def test_restriction_ends_in_erasure_when_the_legal_period_is_over(person, staff_user):
    rr = verified_request("delete")
    retain = timezone.localdate() + datetime.timedelta(days=10)
    run(services.erase, rights_request=rr, user=staff_user, retain_until=retain, ground="Tax law")
    assert services.purge_expired(dry_run=True) == {}
    later = timezone.now() + datetime.timedelta(days=11)
    counts = run(services.purge_expired, now=later)
    assert sum(counts.values()) == 3
    assert tables_holding(MOBILE, EMAIL, ID_NUMBER) == {}


def test_erase_requires_a_future_retention_date_and_a_ground(person, staff_user):
    rr = verified_request("delete")
    with pytest.raises(services.FulfilmentError) as exc:
        services.erase(rights_request=rr, user=staff_user, retain_until=timezone.localdate(), ground="x")
    assert "retain_until" in exc.value.errors
    with pytest.raises(services.FulfilmentError) as exc:
        services.erase(
            rights_request=rr, user=staff_user, retain_until=timezone.localdate() + datetime.timedelta(days=3)
        )
    assert "ground" in exc.value.errors
    assert not SubmissionStatus.objects.exists()


def _dump(person) -> str:
    ids = [s.pk for s in person]
    rows = [
        *CampaignSubmission.objects.filter(pk__in=ids),
        *SubjectHash.objects.filter(submission_id__in=ids),
    ]
    return serializers.serialize("json", rows)


def _restore(dump: str, person) -> None:
    """Put the rows of an older backup back, as a restore of the database would."""
    ids = [s.pk for s in person]
    SubmissionStatus.objects.filter(submission_id__in=ids).delete()
    SubjectHash.objects.filter(submission_id__in=ids).delete()
    for obj in serializers.deserialize("json", dump):
        obj.save()


def test_ledger_replay_after_restoring_a_backup(person, other_person, staff_user, settings):
    backup = _dump(person)
    rr = verified_request("delete")
    run(services.erase, rights_request=rr, user=staff_user)
    assert tables_holding(MOBILE, EMAIL, ID_NUMBER) == {}

    _restore(backup, person)
    assert tables_holding(MOBILE, EMAIL, ID_NUMBER), "the restored backup brings the person back"

    call_command("replay_erasure_ledger")
    assert tables_holding(MOBILE, EMAIL, ID_NUMBER) == {}
    other_person.refresh_from_db()
    assert other_person.form_data["name"] == "李雷"
    # Idempotent: a second replay finds nothing to do.
    assert services.replay_ledger().erased == 0


def test_replay_uses_the_ledger_file_when_the_backup_predates_the_entry(person, staff_user):
    backup = _dump(person)
    run(services.erase, rights_request=verified_request("delete"), user=staff_user)
    _restore(backup, person)
    LedgerEntry.objects.all().delete()  # the restored database never saw the erasure

    result = services.replay_ledger()
    assert result.restored_entries == 1
    assert result.erased == 3
    assert LedgerEntry.objects.count() == 1
    assert tables_holding(MOBILE, EMAIL, ID_NUMBER) == {}


def test_replay_leaves_a_reused_id_alone(person):
    run(services.erase_submissions, submission_ids=[person[0].pk], reason="request")
    entry = LedgerEntry.objects.get()
    entry.targets = [[person[1].pk, "2001-01-01T00:00:00+00:00"]]
    entry.save()
    services.replay_ledger()
    person[1].refresh_from_db()
    assert person[1].form_data["name"] == "王芳"


def test_purge_expired_submissions_command(person, other_person, capsys):
    old = timezone.now() - datetime.timedelta(days=400)
    CampaignSubmission.objects.filter(pk=person[2].pk).update(submit_time=old)  # event: kept 365 days
    CampaignSubmission.objects.filter(pk=person[0].pk).update(submit_time=old)  # compatibility: 1095 days

    call_command("purge_expired_submissions", "--dry-run")
    out = capsys.readouterr().out
    assert "event: 1" in out and "dry run" in out.lower()
    person[2].refresh_from_db()
    assert person[2].form_data["name"] == "王芳"

    call_command("purge_expired_submissions")
    out = capsys.readouterr().out
    assert "event: 1" in out
    person[2].refresh_from_db()
    person[0].refresh_from_db()
    assert person[2].form_data["name"] == services.TOMBSTONE
    assert person[0].form_data["name"] == "王芳"
    assert LedgerEntry.objects.get().reason == "retention"

    call_command("purge_expired_submissions")
    assert "0" in capsys.readouterr().out
    assert LedgerEntry.objects.count() == 1


def test_minors_without_guardian_consent_are_erased_in_one_action(
    client, staff_user, marketer, person, other_person
):
    CampaignSubmission.objects.filter(pk__in=[person[0].pk, other_person.pk]).update(
        is_minor=True, guardian_consent=False
    )
    CampaignSubmission.objects.filter(pk=person[1].pk).update(is_minor=True, guardian_consent=True)
    url = reverse("fulfilment_minors")

    client.force_login(marketer)
    assert client.post(url).status_code in (302, 403)
    assert CampaignSubmission.objects.get(pk=other_person.pk).form_data["name"] == "李雷"

    client.force_login(staff_user)
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="minors-erase"' in page.content
    response = client.post(url)
    assert response.status_code == 302
    assert CampaignSubmission.objects.get(pk=other_person.pk).form_data["name"] == services.TOMBSTONE
    assert CampaignSubmission.objects.get(pk=person[0].pk).form_data["name"] == services.TOMBSTONE
    assert CampaignSubmission.objects.get(pk=person[1].pk).form_data["name"] == "王芳"
    assert LedgerEntry.objects.get().reason == "minor"


def test_a_later_delete_request_keeps_restricted_records_until_their_retention_ends(person, staff_user):
    retain = timezone.localdate() + datetime.timedelta(days=30)
    run(
        services.erase,
        rights_request=verified_request("delete"),
        user=staff_user,
        retain_until=retain,
        ground="Tax law",
    )
    result = run(services.erase, rights_request=verified_request("deregister"), user=staff_user)
    assert result.erased_count == 0
    person[0].refresh_from_db()
    assert person[0].form_data["name"] == "王芳"
    assert SubmissionStatus.objects.filter(restricted_at__isnull=False, erased_at__isnull=True).count() == 3
