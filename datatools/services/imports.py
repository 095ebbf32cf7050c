"""Imports: a sheet is read and checked cell by cell, previewed, then confirmed or discarded."""

import datetime
import json
import logging
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto
from core.escaping import unescape_csv_cell
from core.exceptions import ServiceError
from forms import catalogue
from forms.choices import SubjectKind
from forms.models import CampaignSubmission, SubjectHash
from forms.services import SubmissionRejected, form_definition, submission_validate
from home.policy import current_policy

from .. import sheets
from ..choices import FileFormat, ImportState
from ..models import (
    ImportRecord,
    OfflineConsent,
)
from .exports import campaign_pages_for, can_import, private_dir, purge_stale_files

logger = logging.getLogger(__name__)

# --- imports ----------------------------------------------------------------------------------


class ImportRefused(ServiceError):
    """The whole file is refused and nothing is imported; ``message`` says why."""


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
