"""Four eyes on exports with sensitive values in clear: one Privacy officer asks, another
approves or refuses; nothing in clear is written or handed over before that."""

import csv
import io

import openpyxl
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext
from wagtail.models import ModelLogEntry

from datatools import services
from datatools.choices import ExportState
from datatools.forms import SubmissionExportForm
from datatools.models import ExportRecord
from datatools.services import private_dir
from datatools.tasks import run_export
from tests.conftest import make_user

from .conftest import VALID_ID

pytestmark = pytest.mark.django_db

URL = "/admin/datatools/exports/submissions/"
APPROVALS = "/admin/datatools/exports/unmasked/"
CLEAR = VALID_ID.encode()


def t(msgid: str, **values) -> str:
    """``msgid`` in the active language, as a template prints it."""
    text = gettext(msgid)
    return escape(text % values if values else text)


def at(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def decide_url(record) -> str:
    return reverse("datatools:unmasked_decide", args=(record.pk,))


def exported_files() -> list:
    return list(private_dir("exports").iterdir())


def outbox_text() -> str:
    return "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox)


@pytest.fixture
def second_officer(db):
    return make_user("officer2", ["Privacy officers"])


@pytest.fixture
def officers(privacy_officer, second_officer):
    return privacy_officer, second_officer


@pytest.fixture
def waiting_record(privacy_officer, partner_page):
    return services.export_start(
        user=privacy_officer,
        kind="submissions",
        file_format="csv",
        purpose=partner_page.purpose,
        unmasked=True,
        reason="Regulator request",
    )


def ask_unmasked(client, user, page, file_format="csv", capture=None):
    client.force_login(user)
    data = {
        "purpose": page.purpose_id,
        "file_format": file_format,
        "unmasked": "on",
        "reason": "Regulator request 2026-17",
    }
    if capture is None:
        return client.post(URL, data)
    with capture(execute=True):
        return client.post(URL, data)


def test_an_officer_alone_gets_no_clear_id_number(
    client, privacy_officer, second_officer, partner_page, django_capture_on_commit_callbacks
):
    for file_format in ("csv", "xlsx", "json"):
        response = ask_unmasked(
            client, privacy_officer, partner_page, file_format, capture=django_capture_on_commit_callbacks
        )
        assert response.status_code == 302  # no file in the answer, as small as the export is
        assert CLEAR not in content(response)
        page = client.get(response["Location"])
        assert CLEAR not in page.content
        assert t("Waiting for a second Privacy officer") in page.content.decode()
    records = list(ExportRecord.objects.order_by("pk"))
    assert len(records) == 3
    for record in records:
        assert record.masked is False and record.state == ExportState.AWAITING_APPROVAL
        assert record.background and not record.file_name and record.approved_at is None
        download = client.get(reverse("datatools:export_download", args=(record.pk,)))
        assert download.status_code == 410 and CLEAR not in content(download)
    assert exported_files() == []
    # The other officer is told that a request waits; nobody is sent the data or a link to it.
    assert mail.outbox and all(m.to == [second_officer.email] for m in mail.outbox)
    assert VALID_ID not in outbox_text() and "download" not in outbox_text()
    assert APPROVALS in mail.outbox[0].body
    requested = ModelLogEntry.objects.filter(action="datatools.unmasked_export_requested")
    assert requested.count() == 3 and {e.user_id for e in requested} == {privacy_officer.pk}


def test_the_form_says_the_export_waits_for_a_second_officer(client, privacy_officer, partner_page):
    client.force_login(privacy_officer)
    page = client.get(URL).content.decode()
    help_text = SubmissionExportForm.base_fields["unmasked"].help_text
    with translation.override("en"):
        assert "waits until a second Privacy officer approves it" in str(help_text)
    assert escape(str(help_text)) in page


def test_the_requester_cannot_approve_their_own_export(
    client, privacy_officer, partner_page, django_capture_on_commit_callbacks
):
    ask_unmasked(client, privacy_officer, partner_page)
    record = ExportRecord.objects.get()
    listing = client.get(APPROVALS)
    assert listing.status_code == 200
    refusal = t("A second Privacy officer must decide: you asked for this export.")
    assert refusal in listing.content.decode()
    assert 'data-testid="approval-form"' not in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(record), {"action": "approve", "note": "Looks fine"})
    assert response.status_code == 400
    assert refusal in response.content.decode()
    with pytest.raises(services.ExportRefused):
        services.export_approve(record=record, user=privacy_officer, note="Looks fine")
    record.refresh_from_db()
    assert record.state == ExportState.AWAITING_APPROVAL and record.approved_by is None
    assert exported_files() == [] and CLEAR not in content(response)
    assert not ModelLogEntry.objects.filter(action="datatools.unmasked_export_approved").exists()


def test_a_superuser_counts_as_an_officer_but_still_needs_a_second_person(
    client, superuser, privacy_officer, partner_page, django_capture_on_commit_callbacks
):
    response = ask_unmasked(client, superuser, partner_page, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302 and CLEAR not in content(response)
    record = ExportRecord.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        own = client.post(decide_url(record), {"action": "approve", "note": "I am the admin"})
    assert own.status_code == 400
    record.refresh_from_db()
    assert record.state == ExportState.AWAITING_APPROVAL and exported_files() == []

    client.force_login(privacy_officer)
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(decide_url(record), {"action": "approve", "note": "Audit ticket 9"})
    assert approved.status_code == 302
    record.refresh_from_db()
    assert record.state == ExportState.READY and record.approved_by == privacy_officer


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_second_officer_approves_and_only_the_requester_gets_the_clear_file(
    client, officers, partner_page, file_format, django_capture_on_commit_callbacks
):
    privacy_officer, second_officer = officers
    ask_unmasked(
        client, privacy_officer, partner_page, file_format, capture=django_capture_on_commit_callbacks
    )
    record = ExportRecord.objects.get()
    mail.outbox.clear()

    client.force_login(second_officer)
    listing = client.get(APPROVALS).content.decode()
    assert "Regulator request 2026-17" in listing and VALID_ID not in listing
    with django_capture_on_commit_callbacks(execute=True):
        missing_note = client.post(decide_url(record), {"action": "approve", "note": "  "})
    assert missing_note.status_code == 400
    assert ExportRecord.objects.get().state == ExportState.AWAITING_APPROVAL and exported_files() == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(record), {"action": "approve", "note": "Regulator letter checked"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == ExportState.READY and record.approved_by == second_officer
    assert record.approval_note == "Regulator letter checked" and record.approved_at is not None
    assert len(exported_files()) == 1
    download = reverse("datatools:export_download", args=(record.pk,))
    assert [m.to for m in mail.outbox] == [[privacy_officer.email]]
    assert download in mail.outbox[0].body and VALID_ID not in outbox_text()

    # The approver cannot take the file they approved.
    assert CLEAR not in content(client.get(download))
    assert len(exported_files()) == 1

    client.force_login(privacy_officer)
    taken = client.get(download)
    assert taken.status_code == 200
    data = content(taken)
    if file_format == "csv":
        cells = [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for c in row]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        cells = [c.value for row in sheet.iter_rows() for c in row]
    assert VALID_ID in cells
    assert exported_files() == []
    assert client.get(download).status_code == 410

    actions = dict(ModelLogEntry.objects.filter(object_id=str(record.pk)).values_list("action", "user_id"))
    assert actions == {
        "datatools.unmasked_export_requested": privacy_officer.pk,
        "datatools.unmasked_export_approved": second_officer.pk,
        "datatools.unmasked_export_downloaded": privacy_officer.pk,
    }
    audit = client.get("/admin/datatools/log/").content.decode()
    approved = t("Approved by %(who)s at %(when)s", who="officer2", when=at(record.approved_at))
    assert approved in audit and "Regulator letter checked" in audit
    assert VALID_ID not in audit


def test_a_refused_export_is_never_written(
    client, privacy_officer, second_officer, partner_page, django_capture_on_commit_callbacks
):
    ask_unmasked(client, privacy_officer, partner_page, capture=django_capture_on_commit_callbacks)
    record = ExportRecord.objects.get()
    mail.outbox.clear()
    client.force_login(second_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(record), {"action": "refuse", "note": "No ticket for this"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == ExportState.REFUSED and record.refused_by == second_officer
    assert record.refusal_note == "No ticket for this" and record.approved_at is None
    assert exported_files() == []
    assert [m.to for m in mail.outbox] == [[privacy_officer.email]]
    assert VALID_ID not in outbox_text()
    # A refused export cannot be approved afterwards, and the task writes nothing for it.
    third = make_user("officer3", ["Privacy officers"])
    with pytest.raises(services.ExportRefused):
        services.export_approve(record=record, user=third, note="Overrule")
    assert run_export.call(record_id=record.pk) == 0
    client.force_login(privacy_officer)
    download = client.get(reverse("datatools:export_download", args=(record.pk,)))
    assert download.status_code == 410 and CLEAR not in content(download)
    assert exported_files() == []
    assert ModelLogEntry.objects.filter(
        action="datatools.unmasked_export_refused", user=second_officer, object_id=str(record.pk)
    ).exists()
    audit = client.get("/admin/datatools/log/").content.decode()
    refused = t("Refused by %(who)s at %(when)s", who="officer2", when=at(record.refused_at))
    assert refused in audit and "No ticket for this" in audit


def test_run_export_writes_nothing_for_an_unapproved_unmasked_record(privacy_officer, partner_page):
    record = services.export_start(
        user=privacy_officer,
        kind="submissions",
        file_format="csv",
        purpose=partner_page.purpose,
        unmasked=True,
        reason="Regulator request",
    )
    assert record.state == ExportState.AWAITING_APPROVAL
    assert run_export.call(record_id=record.pk) == 0
    # Even queued by hand, or "approved" by its own requester, it is not written.
    for approver in (None, privacy_officer):
        ExportRecord.objects.filter(pk=record.pk).update(
            state=ExportState.QUEUED, approved_by=approver, approved_at=record.created_at
        )
        assert run_export.call(record_id=record.pk) == 0
        assert ExportRecord.objects.get(pk=record.pk).state == ExportState.FAILED
        with pytest.raises(services.ExportRefused):
            services.export_write(record=ExportRecord.objects.get(pk=record.pk))
    assert exported_files() == []


def test_a_ready_file_is_not_handed_over_without_an_approval(privacy_officer, partner_page):
    record = services.export_start(
        user=privacy_officer,
        kind="submissions",
        file_format="csv",
        purpose=partner_page.purpose,
        unmasked=True,
        reason="Regulator request",
    )
    stray = private_dir("exports") / "stray.csv"
    stray.write_bytes(CLEAR)
    ExportRecord.objects.filter(pk=record.pk).update(state=ExportState.READY, file_name=stray.name)
    with pytest.raises(services.ExportRefused):
        services.export_take_file(record=ExportRecord.objects.get(pk=record.pk), user=privacy_officer)
    assert ExportRecord.objects.get(pk=record.pk).state == ExportState.READY


def test_an_officer_who_lost_the_right_gets_nothing_after_approval(
    privacy_officer, second_officer, partner_page, django_capture_on_commit_callbacks
):
    record = services.export_start(
        user=privacy_officer,
        kind="submissions",
        file_format="csv",
        purpose=partner_page.purpose,
        unmasked=True,
        reason="Regulator request",
    )
    privacy_officer.groups.clear()
    record = ExportRecord.objects.get(pk=record.pk)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ExportRefused):
        services.export_approve(record=record, user=second_officer, note="ok")
    assert ExportRecord.objects.get(pk=record.pk).state == ExportState.AWAITING_APPROVAL
    assert exported_files() == []


@pytest.mark.parametrize("role", ["marketer", "privacy_staff"])
def test_others_cannot_open_or_use_the_approval_page(
    client, request, role, waiting_record, django_capture_on_commit_callbacks
):
    record = waiting_record
    user = request.getfixturevalue(role)
    client.force_login(user)
    page = client.get(APPROVALS)
    assert page.status_code in (302, 403)
    assert b"Regulator request" not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(decide_url(record), {"action": "approve", "note": "let it go"})
    assert posted.status_code in (302, 403)
    if posted.status_code == 302:
        assert not posted["Location"].startswith(APPROVALS)
    with pytest.raises(PermissionDenied):
        services.export_approve(record=record, user=user, note="let it go")
    record.refresh_from_db()
    assert record.state == ExportState.AWAITING_APPROVAL and record.approved_by is None
    assert exported_files() == []
    menu = client.get("/admin/").content.decode()
    assert APPROVALS not in menu


def test_the_approval_menu_item_is_shown_to_officers(client, privacy_officer):
    client.force_login(privacy_officer)
    assert APPROVALS in client.get("/admin/").content.decode()


def test_masked_exports_still_come_at_once(client, privacy_officer, partner_page):
    client.force_login(privacy_officer)
    response = client.post(URL, {"purpose": partner_page.purpose_id, "file_format": "csv"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert CLEAR not in content(response)
    record = ExportRecord.objects.get()
    assert record.masked and record.state == ExportState.DOWNLOADED and record.approved_by is None


def test_the_history_report_shows_no_reason_or_note_to_marketers(
    client, marketer, officers, waiting_record, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(record=waiting_record, user=officers[1], note="Letter 42 from the regulator")
    client.force_login(marketer)
    history = client.get(reverse("wagtailadmin_reports:site_history"))
    assert t("Unmasked export approved") in history.content.decode()  # the entries are listed
    assert "Regulator request" not in history.content.decode()
    assert "Letter 42" not in history.content.decode()
    assert CLEAR not in history.content
