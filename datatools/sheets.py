"""Reading uploaded spreadsheets within limits: CSV text and XLSX workbooks.

An XLSX file is a ZIP archive of XML documents, so a small upload can unpack to far
more data than it shows (a "zip bomb") or hold XML that grows while it is parsed
("billion laughs"). A workbook is therefore refused before openpyxl opens it when its
archive, inspected without extracting anything, has too many members, a member or all
of them together declare more unpacked bytes than allowed, or a large member is
compressed far better than spreadsheets are. Every XML member is then streamed once
through defusedxml's expat parser, which refuses document type declarations and
entities, while its elements are counted against a budget derived from the cell limit.
Only then is the workbook read by openpyxl in read-only (streaming) mode, which also
parses through defusedxml; rows, columns, filled cells and characters are counted as
they come and reading stops at the first limit crossed. The sheet's own ``<dimension>``
is not trusted.

``zipfile`` never hands out more than a member's declared size and raises ``BadZipFile``
when the bytes read do not match the member's CRC, so the declared sizes checked first
bound everything read later; the byte count kept while scanning checks it once more. A
member whose content does not match its declared size is refused as damaged.

The limits are settings (``DATATOOLS_IMPORT_MAX_*``, see ``cms/settings/base.py``).
"""

import csv
import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from .xlsx_guard import (  # noqa: F401 - the limits and refusals, as callers import them from here
    EXCEL_MAX_COLUMNS,
    EXCEL_MAX_ROWS,
    ArchiveScan,
    Limits,
    SheetRefused,
    _mb,
    _mb_limit,
    inspect_archive,
    scan_xml_members,
)

_CSV_LIMIT_LOCK = threading.Lock()

# --- upload size ------------------------------------------------------------------------------


def upload_size_refusal(size: int, limits: Limits | None = None) -> str:
    """Why an upload of ``size`` bytes is refused (blank when it is not)."""
    limits = limits or Limits.from_settings()
    if size <= limits.upload_bytes:
        return ""
    return _("The file is %(size)s MB; at most %(limit)s MB can be uploaded.") % {
        "size": _mb(size),
        "limit": _mb_limit(limits.upload_bytes),
    }


def validate_upload_size(uploaded) -> None:
    """Form field validator: the upload size limit (``DATATOOLS_IMPORT_MAX_BYTES``)."""
    refusal = upload_size_refusal(uploaded.size)
    if refusal:
        raise ValidationError(refusal, code="too_large")


# --- counting rows, columns, cells --------------------------------------------------------------


@dataclass
class _Counter:
    """Rows, filled cells and characters read so far, refused at the first limit crossed."""

    limits: Limits
    cells: int = 0

    def row(self, *, number: int, rows_read: int, width: int, values: list, where) -> None:
        if width > self.limits.columns:
            raise SheetRefused(
                _("Row %(row)s has %(count)s columns; a sheet may have at most %(limit)s columns.")
                % {"row": number, "count": width, "limit": self.limits.columns}
            )
        if rows_read > self.limits.rows + 1:
            raise SheetRefused(
                _(
                    "The sheet has more than %(limit)s rows below the headings (reading stopped at row "
                    "%(row)s); at most %(limit)s can be imported at once."
                )
                % {"limit": self.limits.rows, "row": number}
            )
        for index, value in enumerate(values, start=1):
            if value is None or value == "":
                continue
            self.cells += 1
            if self.cells > self.limits.cells:
                raise SheetRefused(
                    _(
                        "The sheet holds more than %(limit)s filled cells (reading stopped at %(cell)s); "
                        "split it into smaller sheets."
                    )
                    % {"limit": self.limits.cells, "cell": where(index)}
                )
            if isinstance(value, str) and len(value) > self.limits.cell_chars:
                raise SheetRefused(
                    _("Cell %(cell)s holds %(count)s characters; a cell may hold at most %(limit)s.")
                    % {"cell": where(index), "count": len(value), "limit": self.limits.cell_chars}
                )


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(text: str, *, limits: Limits | None = None, delimiter: str = ",") -> list[list[str]]:
    """The records of a CSV text, refused as soon as one crosses a limit.

    Blank records are kept but not counted as rows. A field longer than ``cell_chars`` is
    refused by the csv module itself (``csv.field_size_limit``, process-wide, so it is set
    and restored under a lock around this one parse), so no oversized field is ever built.
    """
    limits = limits or Limits.from_settings()
    counter = _Counter(limits)
    rows: list[list[str]] = []
    rows_read = 0
    with _CSV_LIMIT_LOCK:
        previous = csv.field_size_limit(limits.cell_chars)
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return rows
                except csv.Error as exc:
                    if "field larger than field limit" in str(exc):
                        raise SheetRefused(
                            _(
                                "Line %(line)s holds a value longer than %(limit)s characters; a cell may "
                                "hold at most %(limit)s."
                            )
                            % {"line": reader.line_num, "limit": limits.cell_chars}
                        ) from None
                    raise SheetRefused(_("This CSV file is malformed: %(error)s") % {"error": exc}) from None
                width = len(row)
                while width and not row[width - 1].strip():
                    width -= 1
                if width:
                    rows_read += 1
                    line = reader.line_num
                    counter.row(
                        number=line,
                        rows_read=rows_read,
                        width=width,
                        values=[v.strip() for v in row[:width]],
                        where=lambda column, line=line: (
                            _("line %(line)s, column %(column)s") % {"line": line, "column": column}
                        ),
                    )
                rows.append(row)
        finally:
            csv.field_size_limit(previous)


# --- XLSX: reading -------------------------------------------------------------------------------


def _dimension_size(ref: str) -> tuple[int, int] | None:

    try:
        _min_col, _min_row, max_col, max_row = range_boundaries(ref)
    except (TypeError, ValueError):
        return None
    if max_col is None or max_row is None:
        return None
    return max_row, max_col


class Workbook:
    """A workbook opened within limits; ``rows(sheet)`` yields its rows, counted as they come.

    With ``strict`` every row and every cell the file holds counts, blank or not, and a
    worksheet may not declare a larger ``<dimension>`` than the limits allow: for readers
    (such as Wagtail's redirect import) that keep blank rows and cells and trust the
    dimension.
    """

    def __init__(self, workbook, scan: ArchiveScan, limits: Limits, *, strict: bool):
        self.workbook = workbook
        self.scan = scan
        self.limits = limits
        self.strict = strict
        self.counter = _Counter(limits)

    @property
    def worksheets(self):
        return self.workbook.worksheets

    def merged_ranges(self, sheet) -> list[str]:
        path = getattr(sheet, "_worksheet_path", None)
        if path is not None and path.lstrip("/") in self.scan.merged:
            return self.scan.merged[path.lstrip("/")]
        return [ref for refs in self.scan.merged.values() for ref in refs]

    def rows(self, sheet) -> Iterator[tuple[int, tuple]]:
        """(row number, cells) for each row with a value; trailing empty cells are left off."""

        sheet.reset_dimensions()  # count what is there, not what the sheet says about itself
        iterator = sheet.iter_rows()
        number = rows_read = 0
        while True:
            try:
                row = next(iterator)
            except StopIteration:
                return
            except DefusedXmlException:
                raise SheetRefused(
                    _(
                        "The sheet “%(sheet)s” declares XML entities or a document type (DTD), which "
                        "spreadsheets never contain."
                    )
                    % {"sheet": sheet.title[:40]}
                ) from None
            except Exception:  # noqa: BLE001 (openpyxl raises many types for damaged files)
                raise SheetRefused(_("This XLSX workbook cannot be read; it may be damaged.")) from None
            number += 1
            width = len(row)
            if not self.strict:
                while width and row[width - 1].value in (None, ""):
                    width -= 1
            if not width and not self.strict:
                continue
            rows_read += 1
            values = [cell.value for cell in row[:width]]
            self.counter.row(
                number=number,
                rows_read=rows_read,
                width=width,
                values=values,
                where=lambda column, number=number: f"{get_column_letter(column)}{number}",
            )
            if width:
                yield number, row[:width]

    def check_dimensions(self) -> None:
        for member, ref in self.scan.dimensions.items():
            size = _dimension_size(ref) if ref else None
            if size is None:
                continue
            rows, columns = size
            if rows > self.limits.rows + 1 or columns > self.limits.columns:
                raise SheetRefused(
                    _(
                        "The sheet “%(member)s” declares its data as %(ref)s (%(rows)s rows, %(columns)s "
                        "columns); at most %(max_rows)s rows and %(max_columns)s columns are read."
                    )
                    % {
                        "member": member[:80],
                        "ref": ref,
                        "rows": rows,
                        "columns": columns,
                        "max_rows": self.limits.rows + 1,
                        "max_columns": self.limits.columns,
                    }
                )


@contextmanager
def open_xlsx(source, *, limits: Limits | None = None, strict: bool = False) -> Iterator[Workbook]:
    """Inspect and scan the archive at ``source`` (a path or a binary file), then open it with
    openpyxl in read-only mode. Raises ``SheetRefused`` for any limit crossed or damage found."""

    limits = limits or Limits.from_settings()
    try:
        with zipfile.ZipFile(source) as archive:
            members = inspect_archive(archive, limits)
            scan = scan_xml_members(archive, members, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SheetRefused(_("This XLSX workbook cannot be read; it may be damaged.")) from exc
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        workbook = load_workbook(source, read_only=True, data_only=False, keep_links=False)
    except DefusedXmlException:
        raise SheetRefused(
            _(
                "This workbook declares XML entities or a document type (DTD), which spreadsheets never contain."
            )
        ) from None
    except Exception as exc:
        raise SheetRefused(_("This XLSX workbook cannot be read; it may be damaged.")) from exc
    book = Workbook(workbook, scan, limits, strict=strict)
    try:
        if strict:
            book.check_dimensions()
        yield book
    finally:
        workbook.close()
