"""Formula-injection escaping for spreadsheets leaving the system.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
run as a formula by Excel, LibreOffice or Numbers (``=HYPERLINK(...)``, DDE payloads
such as ``+cmd|' /C calc'!A0``). In CSV such a cell gets a leading apostrophe, which
every spreadsheet program reads as "this is text" and hides; in XLSX every cell is
written as a string cell, so nothing is ever evaluated and a mobile such as
``+8613812345678`` is neither a formula nor a number.
"""

import datetime

from django.utils import timezone

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


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
    return bool(text) and text.startswith(TRIGGERS)


def escape_csv_cell(value) -> str:
    """Text for a CSV cell: a leading apostrophe when the text could start a formula."""
    text = as_text(value)
    return QUOTE + text if is_dangerous(text) else text


def unescape_csv_cell(text: str) -> str:
    """Undo ``escape_csv_cell`` (a re-imported export gets its values back)."""
    if text.startswith(QUOTE) and is_dangerous(text[1:]):
        return text[1:]
    return text


def xlsx_text_cell(worksheet, value):
    """A write-only XLSX cell holding ``value`` as a string, never as a formula or a number."""
    from openpyxl.cell import WriteOnlyCell

    text = as_text(value)
    cell = WriteOnlyCell(worksheet)
    # Assigning through ``value`` would turn a leading "=" into a formula.
    cell._value = text
    cell.data_type = "s"
    return cell
