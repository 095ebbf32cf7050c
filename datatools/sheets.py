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
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
RATIO_MIN_BYTES = 1024 * 1024  # smaller members are not judged by their compression ratio
ROW_ELEMENTS = 2 * EXCEL_MAX_COLUMNS  # a full row of Excel cells, each with its value
STRUCTURE_ELEMENTS = 50_000  # per XML member, outside rows and shared strings
SCAN_CHUNK = 64 * 1024
_CSV_LIMIT_LOCK = threading.Lock()


class SheetRefused(Exception):
    """An uploaded spreadsheet is refused as a whole; ``message`` says which limit and what was found."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


@dataclass(frozen=True)
class Limits:
    upload_bytes: int
    rows: int
    columns: int
    cells: int
    cell_chars: int
    unpacked_bytes: int
    compression_ratio: int
    archive_members: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            upload_bytes=settings.DATATOOLS_IMPORT_MAX_BYTES,
            rows=settings.DATATOOLS_IMPORT_MAX_ROWS,
            columns=settings.DATATOOLS_IMPORT_MAX_COLUMNS,
            cells=settings.DATATOOLS_IMPORT_MAX_CELLS,
            cell_chars=settings.DATATOOLS_IMPORT_MAX_CELL_CHARS,
            unpacked_bytes=settings.DATATOOLS_IMPORT_MAX_UNCOMPRESSED_BYTES,
            compression_ratio=settings.DATATOOLS_IMPORT_MAX_COMPRESSION_RATIO,
            archive_members=settings.DATATOOLS_IMPORT_MAX_ARCHIVE_MEMBERS,
        )

    @property
    def xml_elements(self) -> int:
        """Elements all XML members may hold together: a few per cell (``c``, ``v``, inline or
        shared string, formatted empty cells) and per row, plus styles, themes and the like."""
        return 4 * self.cells + 4 * self.rows + 100_000

    @property
    def xml_cells(self) -> int:
        """Cells the sheets may hold in XML, filled or formatted but empty: twice the filled cells."""
        return 2 * self.cells


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f}"


def _mb_limit(size: int) -> str:
    return f"{size / 1048576:g}"


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


# --- XLSX: the archive ---------------------------------------------------------------------------


def inspect_archive(archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """Refuse an archive by what its central directory declares, before anything is unpacked."""
    members = archive.infolist()
    if len(members) > limits.archive_members:
        raise SheetRefused(
            _(
                "The workbook is an archive of %(count)s files; a spreadsheet has at most %(limit)s. "
                "It was not opened."
            )
            % {"count": len(members), "limit": limits.archive_members}
        )
    total = 0
    for info in members:
        if info.file_size > limits.unpacked_bytes:
            raise SheetRefused(
                _(
                    "The part “%(member)s” of this workbook unpacks to %(size)s MB; a workbook may unpack "
                    "to at most %(limit)s MB. It was not opened."
                )
                % {
                    "member": info.filename[:80],
                    "size": _mb(info.file_size),
                    "limit": _mb_limit(limits.unpacked_bytes),
                }
            )
        total += info.file_size
        if info.file_size >= RATIO_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.compression_ratio:
                raise SheetRefused(
                    _(
                        "The part “%(member)s” of this workbook is compressed %(ratio)s to 1; spreadsheets "
                        "are compressed at most %(limit)s to 1. It was not opened."
                    )
                    % {
                        "member": info.filename[:80],
                        "ratio": f"{ratio:.0f}",
                        "limit": limits.compression_ratio,
                    }
                )
    if total > limits.unpacked_bytes:
        raise SheetRefused(
            _(
                "This workbook unpacks to %(size)s MB in all; a workbook may unpack to at most %(limit)s MB. "
                "It was not opened."
            )
            % {"size": _mb(total), "limit": _mb_limit(limits.unpacked_bytes)}
        )
    return members


class _Stop(Exception):
    """Raised inside the XML scan to refuse at once; carries the message."""


@dataclass
class _Scan(ContentHandler):
    """Counts the elements of one XML member and notes what a worksheet declares about itself.

    Besides the workbook-wide ``budget``, it bounds the cells openpyxl would make (every
    child of a row, filled or not) and what it would hold at once: the
    elements of one row (built whole before the row is read), the elements outside rows
    (a worksheet's other parts stay in memory until the sheet is read to its end; styles
    and the like are parsed whole) and the shared strings (all loaded when the workbook
    opens, at most one per cell).
    """

    budget: int
    cells_budget: int
    strings_limit: int
    used: int = 0
    cells: int = 0
    depth_in_row: int = 0
    root: str = ""
    dimension: str = ""
    merged: list[str] = field(default_factory=list)
    in_row: bool = False
    row_elements: int = 0
    outside_rows: int = 0
    strings: int = 0

    def __post_init__(self):
        ContentHandler.__init__(self)

    def startElement(self, name, attrs):
        self.used += 1
        if self.used > self.budget:
            raise _Stop("elements")
        local = name.rpartition(":")[2]
        if not self.root:
            self.root = local
        if self.in_row:
            self.row_elements += 1
            if self.row_elements > ROW_ELEMENTS:
                raise _Stop("row")
            self.depth_in_row += 1
            if self.depth_in_row == 1:  # openpyxl reads every child of a row as a cell
                self.cells += 1
                if self.cells > self.cells_budget:
                    raise _Stop("cells")
            return
        if local == "row":
            self.in_row, self.row_elements = True, 0
            number = attrs.get("r")
            if number is not None and (not number.isdigit() or int(number) > EXCEL_MAX_ROWS):
                raise _Stop("row number")
            return
        if self.root == "sst":
            if local == "si":
                self.strings += 1
                if self.strings > self.strings_limit:
                    raise _Stop("strings")
            return
        self.outside_rows += 1
        if self.outside_rows > STRUCTURE_ELEMENTS:
            raise _Stop("structure")
        if local == "mergeCell" and len(self.merged) < 5:
            self.merged.append(attrs.get("ref", "")[:20])
        elif local == "dimension":
            self.dimension = attrs.get("ref", "")[:40]

    def endElement(self, name):
        if not self.in_row:
            return
        if self.depth_in_row:
            self.depth_in_row -= 1
        else:
            self.in_row = False


def _looks_like_xml(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<")


@dataclass
class ArchiveScan:
    """What the XML scan found: merged ranges and the declared dimension of each worksheet part."""

    merged: dict[str, list[str]] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)


def _damaged(member: str, declared: int) -> SheetRefused:
    return SheetRefused(
        _(
            "The part “%(member)s” of this workbook is damaged or does not match its declared size "
            "(%(size)s bytes). It was not opened."
        )
        % {"member": member[:80], "size": declared}
    )


def scan_xml_members(archive: zipfile.ZipFile, members, limits: Limits) -> ArchiveScan:
    """Stream every XML member through defusedxml, counting elements; nothing is kept.

    A worksheet is scanned up to its first syntax error only: openpyxl reads it with the
    same expat parser, stops at the same place and reports it, unless a row or cell limit
    stops it first.
    """
    result = ArchiveScan()
    used = cells = 0
    for info in members:
        if info.is_dir() or info.file_size == 0:
            continue
        handler = _Scan(
            budget=limits.xml_elements - used,
            cells_budget=limits.xml_cells - cells,
            strings_limit=limits.cells,
        )
        parser = DefusedExpatParser(forbid_dtd=True)
        parser.setContentHandler(handler)
        read = 0
        syntax_error = False
        try:
            with archive.open(info) as stream:
                chunk = stream.read(SCAN_CHUNK)
                if not _looks_like_xml(chunk[:64]):
                    continue
                while chunk:
                    read += len(chunk)
                    if read > info.file_size:
                        raise _damaged(info.filename, info.file_size)
                    try:
                        parser.feed(chunk)
                    except SAXException:
                        syntax_error = True
                        break
                    chunk = stream.read(SCAN_CHUNK)
            if not syntax_error:
                try:
                    parser.close()
                except SAXException:
                    syntax_error = True
        except DefusedXmlException:
            raise SheetRefused(
                _(
                    "The part “%(member)s” of this workbook declares XML entities or a document type "
                    "(DTD), which spreadsheets never contain. It was not opened."
                )
                % {"member": info.filename[:80]}
            ) from None
        except _Stop as stop:
            raise _scan_refusal(str(stop), info.filename, limits) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError):
            raise _damaged(info.filename, info.file_size) from None
        if syntax_error and handler.root != "worksheet":
            raise SheetRefused(_("This XLSX workbook cannot be read; it may be damaged."))
        used += handler.used
        cells += handler.cells
        if handler.root == "worksheet":
            result.merged[info.filename] = handler.merged
            result.dimensions[info.filename] = handler.dimension
    return result


def _scan_refusal(reason: str, member: str, limits: Limits) -> SheetRefused:
    member = member[:80]
    if reason == "elements":
        message = _(
            "This workbook holds more than %(limit)s XML elements (reached in “%(member)s”); that is far "
            "more than %(cells)s cells need. It was not opened."
        ) % {"limit": limits.xml_elements, "member": member, "cells": limits.cells}
    elif reason == "row":
        message = _(
            "A row of “%(member)s” holds more than %(limit)s XML elements; Excel rows have at most "
            "%(columns)s cells. It was not opened."
        ) % {"member": member, "limit": ROW_ELEMENTS, "columns": EXCEL_MAX_COLUMNS}
    elif reason == "cells":
        message = _(
            "The sheets of this workbook hold more than %(limit)s cells (reached in “%(member)s”), "
            "counting formatted empty ones; at most %(cells)s filled cells are read. It was not opened."
        ) % {"limit": limits.xml_cells, "member": member, "cells": limits.cells}
    elif reason == "structure":
        message = _(
            "The part “%(member)s” of this workbook holds more than %(limit)s XML elements besides its "
            "rows. It was not opened."
        ) % {"member": member, "limit": STRUCTURE_ELEMENTS}
    elif reason == "strings":
        message = _(
            "This workbook holds more than %(limit)s different texts, more than %(limit)s cells can "
            "hold. It was not opened."
        ) % {"limit": limits.cells}
    else:
        message = _(
            "A row of “%(member)s” is numbered beyond row %(limit)s, more than Excel allows. It was not opened."
        ) % {"member": member, "limit": EXCEL_MAX_ROWS}
    return SheetRefused(message)


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
