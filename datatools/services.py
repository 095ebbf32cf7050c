"""Staff data operations: exports, imports of offline sign-up sheets, the whitelist desk
and the incident register. Views and tasks call these; each checks its own permissions."""

import csv
import datetime
import io
import json
import logging
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.log_actions import log

from core import crypto
from core.escaping import as_text, escape_csv_cell, unescape_csv_cell, xlsx_text_cell
from forms import catalogue
from forms.choices import SubjectKind
from forms.selectors import campaign_pages_visible_to, submissions_visible_to

from . import sheets
from .choices import ExportKind, ExportState, FileFormat, ImportState
from .models import (
    ExportRecord,
    ImportRecord,
    OfflineConsent,
)
from .resources import RightsRequestResource, SubmissionResource

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


class ExportRefused(Exception):
    """An export was refused before anything was written; ``message`` says why."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


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
    from forms.models import CampaignSubmission

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
    from rights_requests.models import RightsRequest

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
            from .tasks import run_export

            transaction.on_commit(lambda: run_export.enqueue(record_id=record.pk))
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
        resource = SubmissionResource(purpose=record.purpose, unmasked=not record.masked)
        page = record.page.specific if record.page_id else None
        queryset = submissions_queryset(user=record.user, purpose=record.purpose, page=page, filters=filters)
        queryset = queryset.select_related("policy_version", "offline_consent")
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
        from openpyxl import Workbook

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
    from messaging.services import queue_staff_email

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
    from .tasks import run_export

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
        transaction.on_commit(lambda: run_export.enqueue(record_id=record.pk))
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
    from django.contrib.auth import get_user_model

    from messaging.services import queue_staff_email

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
    from messaging.services import queue_staff_email

    if record.user is None or not record.user.email:
        return
    body = _("Your export #%(id)s with sensitive values in clear was refused by %(who)s.\n%(note)s") % {
        "id": record.pk,
        "who": record.refused_by.get_username() if record.refused_by else "—",
        "note": record.refusal_note,
    }
    queue_staff_email(to=[record.user.email], subject=_("Your unmasked export was refused"), body=body)


# --- imports ----------------------------------------------------------------------------------


class ImportRefused(Exception):
    """The whole file is refused and nothing is imported; ``message`` says why."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


@dataclass
class RowResult:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    cleaned: dict | None = None


@dataclass
class ImportCheck:
    headers: list[str]
    columns: list[str]
    rows: list[RowResult]

    @property
    def error_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.error_rows


_FORMULA_START = ("=", "@")
_NUMBER_LIKE = re.compile(r"^[+-][0-9 ()\-]+$")


def _normal_header(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text or ""))).strip().casefold()


def header_map(page) -> dict[str, str]:
    """Accepted column headings (normalized) → form field name, for ``page``."""
    from forms.services import form_definition

    mapping = {}
    for spec in form_definition(page)["fields"]:
        mapping[_normal_header(spec["name"])] = spec["name"]
        mapping[_normal_header(spec["label"])] = spec["name"]
        if spec["personal"]:
            definition = catalogue.get(spec["name"])
            mapping[_normal_header(definition.label_zh)] = spec["name"]
            mapping[_normal_header(str(definition.label_en))] = spec["name"]
    return mapping


def _looks_like_formula(text: str) -> bool:
    if text.startswith(_FORMULA_START):
        return True
    return text.startswith(("+", "-")) and not _NUMBER_LIKE.match(text)


def _decode_csv(raw: bytes) -> str:
    if b"\x00" in raw:
        raise ImportRefused(
            _(
                "This file is not a text CSV file (it contains binary data). Upload a CSV or XLSX sign-up sheet."
            )
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gbk")
    except UnicodeDecodeError:
        raise ImportRefused(
            _(
                "This file is not UTF-8 text and could not be read. Save the sheet as “CSV UTF-8” and upload it again."
            )
        ) from None
    raise ImportRefused(
        _(
            "This file is encoded as GBK (the default of Chinese Excel), not UTF-8. In Excel choose "
            "“Save as” → “CSV UTF-8 (comma delimited)” and upload it again."
        )
    )


def _read_csv(raw: bytes) -> list[list[str]]:
    rows = sheets.read_csv(_decode_csv(raw))
    for line, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            row[index] = _checked_cell(unescape_csv_cell(value), line=line, column=index + 1)
    return rows


def _checked_cell(value: str, *, line: int, column: int) -> str:
    text = value.strip()
    if text and text != "-" and _looks_like_formula(text):
        raise ImportRefused(
            _(
                "Row %(line)s, column %(column)s holds a formula (“%(value)s”). Formulas are not "
                "imported: type the value itself."
            )
            % {"line": line, "column": column, "value": text[:40]}
        )
    return text


def _xlsx_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_row(number: int, cells) -> list[str]:
    values = []
    for cell in cells:
        if cell.data_type == "f":
            raise ImportRefused(
                _("Cell %(cell)s holds a formula. Formulas are not imported: paste the values only.")
                % {"cell": cell.coordinate}
            )
        values.append(_checked_cell(_xlsx_value(cell.value), line=number, column=len(values) + 1))
    return values


def _read_xlsx(path: Path) -> list[list[str]]:
    """The rows of the one sheet with data, read within the limits of ``sheets``."""
    if not zipfile.is_zipfile(path):
        raise ImportRefused(_("This file is not a valid XLSX workbook. Upload a CSV or XLSX sign-up sheet."))
    with sheets.open_xlsx(path) as workbook:
        found = None
        for sheet in workbook.worksheets:
            rows = []
            for number, cells in workbook.rows(sheet):
                if found is not None:
                    raise ImportRefused(
                        _(
                            "The workbook has more than one sheet with data; keep the sign-up list on one sheet."
                        )
                    )
                rows.append(_xlsx_row(number, cells))
            if rows:
                found = (sheet, rows)
        if found is None:
            return []
        sheet, rows = found
        merged = workbook.merged_ranges(sheet)
        if merged:
            raise ImportRefused(
                _(
                    "The sheet has merged cells (%(ranges)s). Unmerge them so each row is one person and each column one field."
                )
                % {"ranges": ", ".join(merged[:5])}
            )
        return rows


def read_sheet(path: Path, file_format: str) -> list[list[str]]:
    """The rows of an uploaded sheet; ``ImportRefused`` names the limit crossed or the damage found."""
    try:
        if file_format == FileFormat.CSV:
            return _read_csv(path.read_bytes())
        return _read_xlsx(path)
    except ImportRefused:
        raise
    except sheets.SheetRefused as exc:
        raise ImportRefused(exc.message) from exc


def check_rows(*, page, rows: list[list[str]]) -> ImportCheck:
    """Match the header row to ``page``'s fields and validate every row through the pipeline.

    Refuses the file (``ImportRefused``) for an empty sheet, an unknown or duplicate
    column, a missing required column or too many rows; row problems are returned.
    """
    from forms.services import SubmissionRejected, form_definition, submission_validate

    rows = [r for r in rows if any((v or "").strip() for v in r)]
    if not rows:
        raise ImportRefused(_("The file is empty."))
    headers = [(h or "").strip() for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportRefused(_("The first row must hold the column headings."))
    mapping = header_map(page)
    columns: list[str] = []
    seen: dict[str, str] = {}
    for index, heading in enumerate(headers):
        if not heading:
            raise ImportRefused(_("Column %(column)s has no heading.") % {"column": index + 1})
        name = mapping.get(_normal_header(heading))
        if name is None:
            definition = form_definition(page)
            allowed = ", ".join(f["label"] for f in definition["fields"])
            raise ImportRefused(
                _(
                    "The column “%(heading)s” is not a field of this page (purpose %(clause)s %(purpose)s). "
                    "Allowed columns: %(allowed)s. Nothing was imported."
                )
                % {
                    "heading": heading[:60],
                    "clause": page.purpose.clause,
                    "purpose": page.purpose.name,
                    "allowed": allowed,
                }
            )
        if name in seen:
            raise ImportRefused(
                _("The columns “%(first)s” and “%(second)s” are the same field; keep one.")
                % {"first": seen[name], "second": heading[:60]}
                if _normal_header(seen[name]) != _normal_header(heading)
                else _("The column “%(heading)s” appears twice; keep one.") % {"heading": heading[:60]}
            )
        seen[name] = heading
        columns.append(name)
    definition = form_definition(page)
    missing = [f["label"] for f in definition["fields"] if f["required"] and f["name"] not in columns]
    if missing:
        raise ImportRefused(_("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)})
    body = rows[1:]
    if not body:
        raise ImportRefused(_("The sheet has headings but no rows."))
    if len(body) > settings.DATATOOLS_IMPORT_MAX_ROWS:
        raise ImportRefused(
            _("The sheet has %(count)s rows; at most %(limit)s can be imported at once.")
            % {"count": len(body), "limit": settings.DATATOOLS_IMPORT_MAX_ROWS}
        )
    results = []
    for offset, row in enumerate(body, start=2):
        extra = [v for v in row[len(columns) :] if (v or "").strip()]
        values = {name: (row[i] if i < len(row) else "").strip() for i, name in enumerate(columns)}
        result = RowResult(line=offset, values=values)
        if extra:
            result.errors.append(_("This row has values outside the headed columns."))
        data = {k: v for k, v in values.items() if v != ""}
        try:
            result.cleaned = submission_validate(page=page, data=data, consent=True)
        except SubmissionRejected as exc:
            for key, messages in exc.errors.items():
                if key == "consent":
                    result.errors.extend(messages)
                    continue
                label = next((f["label"] for f in definition["fields"] if f["name"] == key), key)
                result.errors.extend(f"{label}: {m}" if key != "__all__" else m for m in messages)
        results.append(result)
    return ImportCheck(headers=headers, columns=columns, rows=results)


def _file_format_for(name: str) -> str | None:
    suffix = Path(name or "").suffix.lower()
    return {".csv": FileFormat.CSV, ".xlsx": FileFormat.XLSX}.get(suffix)


def import_refuse(*, user, page, original_name: str, message: str) -> ImportRecord:
    """Record an upload refused before it was kept (for its size, by the form), like any refused import."""
    if not can_import(user) or not campaign_pages_for(user).filter(pk=page.pk).exists():
        raise PermissionDenied
    return ImportRecord.objects.create(
        user=user,
        page=page,
        purpose=page.purpose,
        original_name=Path(original_name or "").name[:255],
        file_format=_file_format_for(original_name) or "",
        state=ImportState.REFUSED,
        message=message,
    )


def import_check(*, user, page, uploaded) -> tuple[ImportRecord, ImportCheck | None]:
    """Dry run: keep the upload privately, check it and record the result; imports nothing.

    Returns the record and the check (None when the file was refused, with the
    reason in ``record.message``).
    """
    if not can_import(user) or not campaign_pages_for(user).filter(pk=page.pk).exists():
        raise PermissionDenied
    purge_stale_files()
    original = Path(uploaded.name or "").name[:255]
    record = ImportRecord(user=user, page=page, purpose=page.purpose, original_name=original)
    file_format = _file_format_for(original)
    path = None
    try:
        refusal = sheets.upload_size_refusal(uploaded.size)
        if refusal:
            raise ImportRefused(refusal)
        if file_format is None:
            raise ImportRefused(_("Upload a .csv or .xlsx file."))
        record.file_format = file_format
        path = private_dir("imports") / f"{uuid.uuid4().hex}.{file_format}"
        with open(path, "wb") as out:
            path.chmod(0o600)
            for chunk in uploaded.chunks():
                out.write(chunk)
        check = check_rows(page=page, rows=read_sheet(path, file_format))
    except ImportRefused as exc:
        if path is not None:
            path.unlink(missing_ok=True)
        record.state = ImportState.REFUSED
        record.message = exc.message
        record.save()
        return record, None
    record.file_name = path.name
    record.row_count = len(check.rows)
    record.error_count = len(check.error_rows)
    record.state = ImportState.PREVIEWED
    if not check.ok:
        record.message = _("%(count)s rows have errors; correct the sheet and upload it again.") % {
            "count": record.error_count
        }
        path.unlink(missing_ok=True)
        record.file_name = ""
        record.state = ImportState.REFUSED
    record.save()
    return record, check


def _own_record(record: ImportRecord, user) -> None:
    if record.user_id != user.pk or not can_import(user):
        raise PermissionDenied


def import_preview(*, record: ImportRecord, user) -> ImportCheck:
    """Check a waiting upload again (for showing its preview)."""
    _own_record(record, user)
    if record.state != ImportState.PREVIEWED or not record.file_name:
        raise ImportRefused(_("This upload is no longer waiting for confirmation."))
    page = record.page.specific
    return check_rows(
        page=page, rows=read_sheet(private_dir("imports") / record.file_name, record.file_format)
    )


def _json_ready(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


def import_confirm(*, record: ImportRecord, user) -> int:
    """Import a checked upload: every row or none. Returns the number of submissions stored.

    The file is checked again (it may have waited while the whitelist changed); each
    submission records the current policy version, offline consent and who imported it.
    """
    from forms.models import CampaignSubmission, SubjectHash
    from home.policy import current_policy

    _own_record(record, user)
    page = record.page.specific if record.page_id else None
    if page is None or not campaign_pages_for(user).filter(pk=page.pk).exists():
        raise PermissionDenied
    check = import_preview(record=record, user=user)
    if not check.ok:
        raise ImportRefused(_("Some rows have errors now; nothing was imported."))
    policy = current_policy()
    if policy is None:
        raise ImportRefused(_("The privacy policy is not published yet, so nothing can be imported."))
    now = timezone.now()
    with transaction.atomic():
        locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
        if locked.state != ImportState.PREVIEWED:
            raise ImportRefused(_("This upload was already handled."))
        for row in check.rows:
            cleaned = row.cleaned
            sensitive = {k: cleaned[k] for k in catalogue.SENSITIVE_KEYS if cleaned.get(k)}
            stored = {
                name: catalogue.get(name).display(value) if name in sensitive else _json_ready(value)
                for name, value in cleaned.items()
            }
            submission = CampaignSubmission.objects.create(
                page_id=page.pk,
                form_data=stored,
                purpose_id=page.purpose_id,
                policy_version_id=policy["id"],
                consent_at=now,
                sensitive_data=crypto.encrypt(json.dumps(sensitive, ensure_ascii=False)) if sensitive else "",
            )
            hashes = []
            if cleaned.get("mobile"):
                hashes.append(
                    SubjectHash(
                        submission=submission,
                        kind=SubjectKind.MOBILE,
                        value_hash=crypto.mobile_hash(cleaned["mobile"]),
                    )
                )
            if cleaned.get("email"):
                hashes.append(
                    SubjectHash(
                        submission=submission,
                        kind=SubjectKind.EMAIL,
                        value_hash=crypto.email_hash(cleaned["email"]),
                    )
                )
            SubjectHash.objects.bulk_create(hashes)
            OfflineConsent.objects.create(submission=submission, import_record=record, imported_by=user)
        ImportRecord.objects.filter(pk=record.pk).update(
            state=ImportState.IMPORTED,
            imported_at=now,
            row_count=len(check.rows),
            error_count=0,
            file_name="",
        )
    (private_dir("imports") / record.file_name).unlink(missing_ok=True)
    record.refresh_from_db()
    logger.info("import %s: %s rows into page %s by user %s", record.pk, len(check.rows), page.pk, user.pk)
    return len(check.rows)


def import_discard(*, record: ImportRecord, user) -> None:
    _own_record(record, user)
    if record.state != ImportState.PREVIEWED:
        return
    if record.file_name:
        (private_dir("imports") / record.file_name).unlink(missing_ok=True)
    ImportRecord.objects.filter(pk=record.pk).update(state=ImportState.DISCARDED, file_name="")


# --- the whitelist desk -----------------------------------------------------------------------


@dataclass
class PendingPurpose:
    """A purpose as it would be after a pending change, for ``page_policy_problems``."""

    code: str
    clause: str
    name: str
    sms_required: bool
    allowed: dict[str, bool]

    def allowed_field_keys(self) -> set[str]:
        return set(self.allowed)

    def optional_only_keys(self) -> set[str]:
        return {k for k, may_require in self.allowed.items() if not may_require}


def whitelist_impact(*, purpose, allowed: dict[str, bool], sms_required: bool) -> list[dict]:
    """Campaign pages of ``purpose`` that the pending whitelist would break, with the reasons.

    ``allowed`` maps catalogue keys to "may be required". Pages already out of step are
    listed too, marked ``already``.
    """
    from forms.models import CampaignFormPage
    from forms.whitelist import page_policy_problems

    pending = PendingPurpose(
        code=purpose.code,
        clause=purpose.clause,
        name=purpose.name,
        sms_required=sms_required,
        allowed=allowed,
    )
    impact = []
    pages = CampaignFormPage.objects.filter(purpose=purpose).prefetch_related(
        "form_fields", "purpose__fields"
    )
    for page in pages.order_by("title"):
        arguments = {
            "rows": list(page.form_fields.all()),
            "cities": page.city_list(),
            "download_document_id": page.download_document_id,
        }
        after = [p.message for p in page_policy_problems(purpose=pending, **arguments) if p.row is None]
        if not after:
            continue
        before = {p.message for p in page_policy_problems(purpose=purpose, **arguments) if p.row is None}
        impact.append(
            {
                "page": page,
                "live": page.live,
                "messages": after,
                "already": bool(before) and set(after) <= before,
            }
        )
    return impact


def whitelist_change(*, purpose, user, allowed: dict[str, bool], sms_required: bool, reason: str):
    """Save a reviewed whitelist change as a new revision of the purpose and log it."""
    from forms.models import PurposeField

    if not user.has_perm(OFFICER_PERMISSION):
        raise PermissionDenied
    unknown = [k for k in allowed if k not in catalogue.FIELDS]
    if unknown:
        raise ValidationError(_("Unknown personal fields: %(keys)s") % {"keys": ", ".join(unknown)})
    with transaction.atomic():
        purpose.sms_required = sms_required
        purpose.save()
        existing = {f.field_key: f for f in purpose.fields.all()}
        for key, row in existing.items():
            if key not in allowed:
                row.delete()
        order = 0
        for key in catalogue.FIELDS:
            if key not in allowed:
                continue
            row = existing.get(key) or PurposeField(purpose=purpose, field_key=key)
            row.required = allowed[key]
            row.sort_order = order
            row.save()
            order += 1
        purpose.refresh_from_db()
        revision = purpose.save_revision(user=user, log_action=False)
        log(
            instance=purpose,
            action="wagtail.edit",
            user=user,
            revision=revision,
            data={"reason": reason, "fields": sorted(allowed)},
        )
    return revision
