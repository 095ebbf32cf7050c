"""The limits an uploaded spreadsheet is read within, and the guard an XLSX archive passes
before openpyxl opens it (see ``datatools.sheets`` for the whole story).

The archive is inspected without extracting anything (members, declared sizes, compression
ratio), then every XML member is streamed once through defusedxml's expat parser, which
refuses document type declarations and entities, while its elements are counted against a
budget derived from the cell limit.
"""

import zipfile
import zlib
from dataclasses import dataclass, field
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from django.conf import settings
from django.utils.translation import gettext as _

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
RATIO_MIN_BYTES = 1024 * 1024  # smaller members are not judged by their compression ratio
ROW_ELEMENTS = 2 * EXCEL_MAX_COLUMNS  # a full row of Excel cells, each with its value
STRUCTURE_ELEMENTS = 50_000  # per XML member, outside rows and shared strings
SCAN_CHUNK = 64 * 1024


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
