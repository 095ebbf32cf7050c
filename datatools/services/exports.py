"""Exports: who may export what, the recorded export, its file, the four-eyes approval of an
unmasked one and the download."""

import csv
import datetime
import io
import json
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from wagtail import hooks
from wagtail.log_actions import log

from core.escaping import as_text, escape_csv_cell, xlsx_text_cell
from core.exceptions import ServiceError
from forms.models import CampaignSubmission
from forms.selectors import campaign_pages_visible_to, submissions_visible_to
from messaging.services import queue_staff_email
from rights_requests.models import RightsRequest

from ..choices import ExportKind, ExportState, FileFormat, ImportState
from ..models import (
    ExportRecord,
    ImportRecord,
)
from ..resources import RightsRequestResource, SubmissionResource
from ..signals import export_queued

logger = logging.getLogger(__name__)

UNMASKED_PERMISSION = "forms.view_unmasked_personal_data"
APPROVE_UNMASKED_PERMISSION = "datatools.approve_unmasked_export"
MAX_NOTE = 1000
OFFICER_PERMISSION = "forms.change_purpose"
AUDIT_PERMISSION = "datatools.view_exportrecord"
CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormat.JSON: "application/json",
}


# --- permissions ----------------------------------------------------------------------------


def _permission(setting: str, model_name: str) -> str:
    return f"datatools.{getattr(settings, setting)}_{model_name}"


def export_permission(model_name: str = "campaignsubmission") -> str:
    return _permission("IMPORT_EXPORT_EXPORT_PERMISSION_CODE", model_name)


def import_permission(model_name: str = "campaignsubmission") -> str:
    return _permission("IMPORT_EXPORT_IMPORT_PERMISSION_CODE", model_name)


def can_export_submissions(user) -> bool:
    return user.is_active and user.has_perm(export_permission())


def can_export_rights_requests(user) -> bool:
    return user.is_active and user.has_perm(export_permission("rightsrequest"))


def can_import(user) -> bool:
    return user.is_active and user.has_perm(import_permission())


def can_export_unmasked(user) -> bool:
    return user.is_active and user.has_perm(UNMASKED_PERMISSION)


def can_approve_unmasked(user) -> bool:
    """Whether ``user`` is a second person who may approve unmasked exports (never their own)."""
    return bool(
        user and user.is_authenticated and user.is_active and user.has_perm(APPROVE_UNMASKED_PERMISSION)
    )


def campaign_pages_for(user):
    """Campaign pages whose leads ``user`` may export or import into
    (``forms.selectors.campaign_pages_visible_to``, the rule of the submissions listing)."""
    return campaign_pages_visible_to(user).select_related("purpose").order_by("title")


# --- exports ----------------------------------------------------------------------------------


class ExportRefused(ServiceError):
    """An export was refused before anything was written; ``message`` says why."""


def private_dir(name: str) -> Path:
    path = Path(settings.PRIVATE_MEDIA_ROOT) / name
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def marketing_queryset(queryset):
    """Only submissions that may still be processed: the ``filter_campaign_submissions``
    hooks leave out withdrawn-consent, restricted and erased ones (policy §6.4, §6.5),
    exactly as they do for the campaign page's own listing."""
    for fn in hooks.get_hooks("filter_campaign_submissions"):
        queryset = fn(queryset)
    return queryset


def _day_bounds(filters: dict):
    tz = timezone.get_current_timezone()
    start = end = None
    if filters.get("date_from"):
        day = datetime.date.fromisoformat(filters["date_from"])
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    if filters.get("date_to"):
        day = datetime.date.fromisoformat(filters["date_to"])
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def submissions_queryset(*, user, purpose, page=None, filters=None):
    """The submissions ``user`` may export for ``purpose`` (and ``page``), oldest first."""

    filters = filters or {}
    queryset = submissions_visible_to(user, queryset=CampaignSubmission.objects.filter(purpose=purpose))
    if page is not None:
        queryset = queryset.filter(page_id=page.pk)
    start, end = _day_bounds(filters)
    if start:
        queryset = queryset.filter(submit_time__gte=start)
    if end:
        queryset = queryset.filter(submit_time__lt=end)
    return marketing_queryset(queryset).order_by("submit_time", "pk")


def rights_requests_queryset(*, filters=None):

    filters = filters or {}
    queryset = RightsRequest.objects.all()
    start, end = _day_bounds(filters)
    if start:
        queryset = queryset.filter(received_at__gte=start)
    if end:
        queryset = queryset.filter(received_at__lt=end)
    if filters.get("state"):
        queryset = queryset.filter(state=filters["state"])
    if filters.get("request_type"):
        queryset = queryset.filter(request_type=filters["request_type"])
    return queryset.order_by("received_at", "pk")


def purge_stale_files() -> None:
    """Remove export files nobody downloaded and uploads nobody confirmed, once they are old."""
    now = timezone.now()
    export_cutoff = now - datetime.timedelta(hours=settings.DATATOOLS_FILE_KEEP_HOURS)
    for record in ExportRecord.objects.filter(state=ExportState.READY, finished_at__lt=export_cutoff):
        (private_dir("exports") / record.file_name).unlink(missing_ok=True)
        ExportRecord.objects.filter(pk=record.pk).update(state=ExportState.EXPIRED, file_name="")
    for record in ImportRecord.objects.filter(state=ImportState.PREVIEWED, created_at__lt=export_cutoff):
        if record.file_name:
            (private_dir("imports") / record.file_name).unlink(missing_ok=True)
        ImportRecord.objects.filter(pk=record.pk).update(state=ImportState.DISCARDED, file_name="")


def export_start(
    *,
    user,
    kind: str,
    file_format: str,
    purpose=None,
    page=None,
    filters: dict | None = None,
    unmasked: bool = False,
    reason: str = "",
    force_background: bool = False,
) -> ExportRecord:
    """Check the request, record it and decide whether it runs now or as a background task.

    Raises ``PermissionDenied`` for a user without the right, ``ExportRefused`` for a
    bad request. A background export is queued after commit and the user is notified
    when its file is ready; otherwise the caller writes it at once with ``export_write``.
    An unmasked export is only recorded: nothing is written or queued until a second
    Privacy officer approves it (``export_approve``); then it runs in the background.
    """
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if file_format not in FileFormat.values:
        raise ExportRefused(_("Choose CSV, XLSX or JSON."))
    reason = (reason or "").strip()
    if kind == ExportKind.SUBMISSIONS:
        if not can_export_submissions(user):
            raise PermissionDenied
        if purpose is None:
            raise ExportRefused(_("Choose the purpose whose submissions you want to export."))
        if page is not None and not campaign_pages_for(user).filter(pk=page.pk, purpose=purpose).exists():
            raise PermissionDenied
        if unmasked:
            if not can_export_unmasked(user):
                raise PermissionDenied
            if not reason:
                raise ExportRefused(_("Give the reason why this export needs unmasked data."))
            if len(reason) > MAX_NOTE:
                raise ExportRefused(_("Use at most %(max)d characters.") % {"max": MAX_NOTE})
        queryset = submissions_queryset(user=user, purpose=purpose, page=page, filters=filters)
    elif kind == ExportKind.RIGHTS_REQUESTS:
        if not can_export_rights_requests(user):
            raise PermissionDenied
        purpose = page = None
        unmasked = False
        queryset = rights_requests_queryset(filters=filters)
    else:
        raise ExportRefused(_("Unknown export."))
    purge_stale_files()
    count = queryset.count()
    background = unmasked or force_background or count > settings.DATATOOLS_SYNC_EXPORT_MAX_ROWS
    with transaction.atomic():
        record = ExportRecord.objects.create(
            user=user,
            kind=kind,
            purpose=purpose,
            page=page,
            file_format=file_format,
            filters=filters,
            masked=not unmasked,
            reason=reason if unmasked else "",
            background=background,
            row_count=count,
            state=ExportState.AWAITING_APPROVAL if unmasked else ExportState.QUEUED,
        )
        if unmasked:
            _log_export(record, "datatools.unmasked_export_requested", user, reason=reason)
            _notify_approvers(record)
        elif background:
            transaction.on_commit(lambda: export_queued.send(sender=ExportRecord, record_id=record.pk))
    logger.info(
        "export %s recorded: %s by user %s, %s rows, %s",
        record.pk,
        kind,
        user.pk,
        count,
        "masked" if record.masked else "UNMASKED",
    )
    return record


def _record_rows(record):
    """(resource, headers, iterator over objects) for a recorded export."""
    filters = record.filters or {}
    chunk = settings.DATATOOLS_EXPORT_CHUNK_SIZE
    if record.kind == ExportKind.SUBMISSIONS:
        page = record.page.specific if record.page_id else None
        resource = SubmissionResource(purpose=record.purpose, unmasked=not record.masked, page=page)
        queryset = submissions_queryset(user=record.user, purpose=record.purpose, page=page, filters=filters)
        queryset = queryset.select_related("policy_version", "offline_consent", "registration__session")
    else:
        resource = RightsRequestResource()
        queryset = rights_requests_queryset(filters=filters)
    return resource, queryset.iterator(chunk_size=chunk)


def _cell_getters(resource, fields) -> list:
    """One callable per column, resolved once as ``Resource.export_field`` would per cell."""
    getters = []
    for field_obj in fields:
        method = field_obj.get_dehydrate_method(resource.get_field_name(field_obj))
        if not callable(method):
            method = getattr(resource, method, None)
        getters.append(method if method is not None else field_obj.export)
    return getters


def write_export(*, resource, objects, file_format: str, stream) -> int:
    """Stream ``objects`` through ``resource`` into the binary ``stream``; returns the row count.

    Rows are written one at a time (CSV writer, openpyxl write-only workbook, JSON
    array), so memory stays flat however many rows there are. CSV and XLSX cells are
    escaped against formula injection; JSON keeps the values as they are.
    """
    fields = resource.get_export_fields()
    headers = [str(f.column_name) for f in fields]
    getters = _cell_getters(resource, fields)
    count = 0
    if file_format == FileFormat.CSV:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow([escape_csv_cell(h) for h in headers])
        for obj in objects:
            writer.writerow([escape_csv_cell(get(obj)) for get in getters])
            count += 1
        text.flush()
        text.detach()
    elif file_format == FileFormat.XLSX:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append([xlsx_text_cell(sheet, h) for h in headers])
        for obj in objects:
            sheet.append([xlsx_text_cell(sheet, get(obj)) for get in getters])
            count += 1
        workbook.save(stream)
    else:
        keys = list(resource.fields)
        stream.write(b"[")
        for obj in objects:
            row = {key: as_text(get(obj)) for key, get in zip(keys, getters, strict=True)}
            stream.write((b",\n" if count else b"\n") + json.dumps(row, ensure_ascii=False).encode("utf-8"))
            count += 1
        stream.write(b"\n]\n")
    return count


def export_write_refusal(record: ExportRecord) -> str:
    """Why the file of ``record`` may not be written or handed over (blank when it may).

    A masked export always may. One with sensitive values in clear needs a second Privacy
    officer's approval, and its requester must still hold the right to unmasked data.
    """
    if record.masked:
        return ""
    if record.approved_at is None or record.approved_by_id is None:
        return _("This unmasked export has not been approved by a second Privacy officer.")
    if record.approved_by_id == record.user_id:
        return _("This unmasked export was approved by the officer who asked for it.")
    if record.user is None or not can_export_unmasked(record.user):
        return _("The officer who asked for this export may no longer export unmasked data.")
    return ""


def export_write(*, record: ExportRecord) -> Path:
    """Write a recorded export to its private file and mark it ready.

    Raises ``ExportRefused`` (and writes nothing) for an unmasked export that is not approved.
    """
    refusal = export_write_refusal(record)
    if refusal:
        raise ExportRefused(refusal)
    path = private_dir("exports") / f"{uuid.uuid4().hex}.{record.file_format}"
    resource, objects = _record_rows(record)
    try:
        with open(path, "wb") as stream:
            path.chmod(0o600)
            count = write_export(
                resource=resource, objects=objects, file_format=record.file_format, stream=stream
            )
    except Exception:
        path.unlink(missing_ok=True)
        ExportRecord.objects.filter(pk=record.pk).update(state=ExportState.FAILED, finished_at=timezone.now())
        raise
    record.file_name = path.name
    record.row_count = count
    record.state = ExportState.READY
    record.finished_at = timezone.now()
    record.save(update_fields=["file_name", "row_count", "state", "finished_at"])
    return path


def export_filename(record: ExportRecord) -> str:
    if record.kind == ExportKind.SUBMISSIONS and record.purpose_id:
        stem = f"submissions-{record.purpose.code}"
    else:
        stem = "rights-requests"
    return f"{stem}-{timezone.localdate(record.created_at):%Y%m%d}-{record.pk}.{record.file_format}"


def export_take_file(*, record: ExportRecord, user):
    """Open a ready export for its owner and remove it from disk (it can be taken once).

    Returns an open binary file; raises ``PermissionDenied`` for anyone else and
    ``ExportRefused`` when the file is gone.
    """
    if record.user_id != user.pk:
        raise PermissionDenied
    if record.state != ExportState.READY or not record.file_name:
        raise ExportRefused(_("This export is not available: it was already downloaded or has not finished."))
    refusal = export_write_refusal(record)
    if refusal:
        raise ExportRefused(refusal)
    path = private_dir("exports") / record.file_name
    with transaction.atomic():
        won = ExportRecord.objects.filter(
            pk=record.pk, state=ExportState.READY, file_name=record.file_name
        ).update(state=ExportState.DOWNLOADED, downloaded_at=timezone.now(), file_name="")
        if won != 1:
            raise ExportRefused(
                _("This export is not available: it was already downloaded or has not finished.")
            )
        try:
            handle = open(path, "rb")
        except FileNotFoundError as exc:
            raise ExportRefused(_("This export file no longer exists.")) from exc
        if not record.masked:
            _log_export(record, "datatools.unmasked_export_downloaded", user)
    path.unlink(missing_ok=True)
    return handle


def export_notify_ready(*, record: ExportRecord) -> None:
    """E-mail the person who asked for a background export that it can be downloaded."""

    if record.user is None or not record.user.email:
        return
    url = _admin_url("datatools:export_download", record.pk)
    body = _(
        "Your export #%(id)s (%(rows)s rows) is ready. Download it once from the admin:\n%(url)s\n\n"
        "The file is removed after the download."
    ) % {"id": record.pk, "rows": record.row_count, "url": url}
    queue_staff_email(to=[record.user.email], subject=_("Your export is ready"), body=body)


# --- four eyes on unmasked exports -----------------------------------------------------------


def unmasked_exports_awaiting():
    """Unmasked exports recorded and waiting for a second Privacy officer, oldest first."""
    return (
        ExportRecord.objects.filter(state=ExportState.AWAITING_APPROVAL, masked=False)
        .select_related("user", "purpose", "page")
        .order_by("created_at", "pk")
    )


def export_approval_refusal(record: ExportRecord, user) -> str:
    """Why ``user`` may not approve or refuse ``record`` (blank when they may)."""
    if not can_approve_unmasked(user):
        return _("Only a Privacy officer may approve an unmasked export.")
    if record.user_id == user.pk:
        return _("A second Privacy officer must decide: you asked for this export.")
    if record.masked or record.state != ExportState.AWAITING_APPROVAL:
        return _("This export is not waiting for approval.")
    return ""


def _decision_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ExportRefused(_("Say why this export may carry sensitive values in clear."))
    if len(note) > MAX_NOTE:
        raise ExportRefused(_("Use at most %(max)d characters.") % {"max": MAX_NOTE})
    return note


def _check_decider(record: ExportRecord, user) -> None:
    if not can_approve_unmasked(user):
        raise PermissionDenied
    refusal = export_approval_refusal(record, user)
    if refusal:
        raise ExportRefused(refusal)


def export_approve(*, record: ExportRecord, user, note: str) -> ExportRecord:
    """Four eyes: a second Privacy officer lets an unmasked export run, in the background.

    Raises ``PermissionDenied`` for someone without the approval right and ``ExportRefused``
    when the approver is the requester, the note is missing, the export is no longer
    waiting or its requester may no longer export unmasked data.
    """
    _check_decider(record, user)
    note = _decision_note(note, required=True)
    if record.user is None or not can_export_unmasked(record.user):
        raise ExportRefused(_("The officer who asked for this export may no longer export unmasked data."))
    with transaction.atomic():
        won = (
            ExportRecord.objects.filter(pk=record.pk, state=ExportState.AWAITING_APPROVAL, masked=False)
            .exclude(user_id=user.pk)
            .update(
                state=ExportState.QUEUED,
                background=True,
                approved_by=user,
                approved_at=timezone.now(),
                approval_note=note,
            )
        )
        if won != 1:
            raise ExportRefused(_("This export was already approved or refused by someone else."))
        record.refresh_from_db()
        _log_export(record, "datatools.unmasked_export_approved", user, note=note)
        transaction.on_commit(lambda: export_queued.send(sender=ExportRecord, record_id=record.pk))
    logger.info("unmasked export %s approved by user %s", record.pk, user.pk)
    return record


def export_refuse(*, record: ExportRecord, user, note: str = "") -> ExportRecord:
    """A second Privacy officer refuses an unmasked export: nothing is ever written for it."""
    _check_decider(record, user)
    note = _decision_note(note, required=False)
    with transaction.atomic():
        won = (
            ExportRecord.objects.filter(pk=record.pk, state=ExportState.AWAITING_APPROVAL, masked=False)
            .exclude(user_id=user.pk)
            .update(
                state=ExportState.REFUSED,
                refused_by=user,
                refused_at=timezone.now(),
                refusal_note=note,
                finished_at=timezone.now(),
            )
        )
        if won != 1:
            raise ExportRefused(_("This export was already approved or refused by someone else."))
        record.refresh_from_db()
        _log_export(record, "datatools.unmasked_export_refused", user, note=note)
        _notify_refused(record)
    logger.info("unmasked export %s refused by user %s", record.pk, user.pk)
    return record


def _log_export(record: ExportRecord, action: str, user, **data) -> None:
    log(
        record,
        action,
        user=user if getattr(user, "is_authenticated", False) else None,
        data={
            "export": record.pk,
            "requested_by": record.user_id,
            "purpose": record.purpose.code if record.purpose_id else "",
            "rows": record.row_count,
            **data,
        },
    )


def _admin_url(name: str, *args) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(name, args=args)


def _notify_approvers(record: ExportRecord) -> None:
    """Tell the other Privacy officers that an unmasked export waits for one of them (no personal data)."""

    approvers = (
        get_user_model()
        .objects.with_perm(
            APPROVE_UNMASKED_PERMISSION, is_active=True, backend="django.contrib.auth.backends.ModelBackend"
        )
        .exclude(pk=record.user_id)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    recipients = sorted(set(approvers))
    if not recipients:
        return
    body = _(
        "%(who)s asked for export #%(id)s (%(rows)s rows) with sensitive values in clear.\n"
        "Reason: %(reason)s\n\nIt waits for a second Privacy officer. Approve or refuse it here:\n%(url)s"
    ) % {
        "who": record.user.get_username() if record.user else "—",
        "id": record.pk,
        "rows": record.row_count,
        "reason": record.reason,
        "url": _admin_url("datatools:unmasked_approvals"),
    }
    queue_staff_email(to=recipients, subject=_("An unmasked export waits for your approval"), body=body)


def _notify_refused(record: ExportRecord) -> None:

    if record.user is None or not record.user.email:
        return
    body = _("Your export #%(id)s with sensitive values in clear was refused by %(who)s.\n%(note)s") % {
        "id": record.pk,
        "who": record.refused_by.get_username() if record.refused_by else "—",
        "note": record.refusal_note,
    }
    queue_staff_email(to=[record.user.email], subject=_("Your unmasked export was refused"), body=body)
