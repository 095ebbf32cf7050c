"""Formula-injection escaping for every spreadsheet leaving the system.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
run as a formula by Excel, LibreOffice or Numbers (``=HYPERLINK(...)``, DDE payloads
such as ``+cmd|' /C calc'!A0``). Spreadsheet programs also skip leading spaces and read
full-width signs (``＝＋－＠``) as their ASCII forms, so a trigger is looked for after the
text's leading spaces, each character in its NFKC form. A cell that starts with a line
feed is shown as text and left alone.

In CSV such a cell gets a leading apostrophe, which every spreadsheet program reads as
"this is text" and hides; ``unescape_csv_cell`` takes it off again when an export is
imported back. In XLSX every cell is written as a string cell, never as a formula or a
number, and a cell that would start a formula also carries the "quote prefix" style, so
it stays text even after someone edits it in Excel; its value is unchanged.

Every tabular output of the site (the data tools' exports, the access package, the
self-service copy, Wagtail's reports and listings) writes its cells through this module:
``csv_row`` / ``escape_csv_cell`` for CSV, ``xlsx_row`` / ``xlsx_text_cell`` for XLSX, and
``EscapedSpreadsheetExportMixin`` for views built on Wagtail's ``SpreadsheetExportMixin``.
"""

import csv
import datetime
import unicodedata

from django.db import models
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from wagtail.admin.views.mixins import Echo


class FileFormat(models.TextChoices):
    """The file formats tabular outputs are offered in."""

    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    JSON = "json", "JSON"


TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# Characters a spreadsheet program skips before it looks for a formula (after NFKC: the
# no-break, ideographic and other Unicode spaces all become a plain space).
_SKIPPED = " "
# First characters that are certainly harmless: every printable ASCII character but the
# triggers, the space and the apostrophe.
_SAFE_ASCII = frozenset(chr(c) for c in range(0x21, 0x7F)) - set("=+-@'")


def as_text(value) -> str:
    """The cell value as text (dates in ISO form, ``None`` as empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat(
            timespec="seconds"
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(as_text(v) for v in value)
    return str(value)


def is_dangerous(text: str) -> bool:
    """Whether a spreadsheet program could read ``text`` as the start of a formula."""
    if not text:
        return False
    if text[0] in _SAFE_ASCII:
        return False
    if text.startswith(TRIGGERS):
        return True
    for char in text:
        shown = unicodedata.normalize("NFKC", char)
        if not shown or shown.strip(_SKIPPED) == "":
            continue  # a space (or a character that vanishes): the program looks further
        return shown.startswith(TRIGGERS)
    return False


def needs_quote(text: str) -> bool:
    """Whether a CSV cell holding ``text`` gets a leading apostrophe.

    Leading apostrophes are looked through, so that a value which itself starts with an
    apostrophe before a formula (``'=1``) gets one more and comes back unchanged from
    ``unescape_csv_cell``.
    """
    return is_dangerous(text.lstrip(QUOTE))


def escape_csv_cell(value) -> str:
    """Text for a CSV cell: a leading apostrophe when the text could start a formula."""
    text = as_text(value)
    return QUOTE + text if needs_quote(text) else text


def unescape_csv_cell(text: str) -> str:
    """Undo ``escape_csv_cell`` (a re-imported export gets its values back)."""
    if text.startswith(QUOTE) and needs_quote(text[1:]):
        return text[1:]
    return text


def csv_row(values) -> list[str]:
    """A row for ``csv.writer``: every value through ``escape_csv_cell``."""
    return [escape_csv_cell(value) for value in values]


def xlsx_text_cell(worksheet, value):
    """A write-only XLSX cell holding ``value`` as a string, never as a formula or a number."""
    text = as_text(value)
    cell = WriteOnlyCell(worksheet)
    # Assigning through ``value`` would turn a leading "=" into a formula.
    cell._value = text
    cell.data_type = "s"
    if is_dangerous(text):
        cell.quotePrefix = True
    return cell


def xlsx_row(worksheet, values) -> list:
    """A row for a write-only worksheet's ``append``: every value through ``xlsx_text_cell``."""
    return [xlsx_text_cell(worksheet, value) for value in values]


class EscapedSpreadsheetExportMixin:
    """Put before Wagtail's ``SpreadsheetExportMixin`` (or a view built on it, such as a report):
    the headings and every cell of its CSV and XLSX exports go through this module.

    Wagtail writes CSV cells as they are and only turns XLSX cells that openpyxl took for a
    formula back into strings (its headings not at all); here each value is first prepared by
    the view's own preprocessing (``custom_field_preprocess``, lists joined, …) and then
    escaped, and every XLSX cell is a string cell.
    """

    def export_cell(self, field, value, export_format):
        """The value of one cell before escaping: the view's own preprocessing, except that
        dates and times stay as they are (``as_text`` writes them in local time, ISO form)."""
        if isinstance(value, datetime.date | datetime.time) and field not in self.custom_field_preprocess:
            return value
        return self.preprocess_field_value(field, value, export_format)

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: escape_csv_cell(self.export_cell(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for field, value in row_dict.items():
            yield xlsx_text_cell(worksheet, self.export_cell(field, value, self.FORMAT_XLSX))

    def stream_csv(self, queryset):
        writer = csv.DictWriter(Echo(), fieldnames=self.list_export)
        yield writer.writerow(
            {field: escape_csv_cell(self.get_heading(queryset, field)) for field in self.list_export}
        )
        for item in queryset:
            yield self.write_csv_row(writer, self.to_row_dict(item))

    def write_xlsx(self, queryset, output):
        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(title="Sheet1")
        worksheet.append(xlsx_row(worksheet, [self.get_heading(queryset, f) for f in self.list_export]))
        for item in queryset:
            worksheet.append(list(self.generate_xlsx_row(worksheet, self.to_row_dict(item))))
        workbook.save(output)
