"""The one escaping function, rule by rule: which cells are triggers, and that escaping undoes."""

import csv
import datetime
import io

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from core.escaping import TRIGGERS, csv_row, escape_csv_cell, is_dangerous, unescape_csv_cell, xlsx_row

# (cell text, whether a spreadsheet program could read it as a formula)
CASES = [
    ('=HYPERLINK("http://x","y")', True),
    ("+cmd|' /C calc'!A0", True),
    ("-2+3", True),
    ("@SUM(1)", True),
    ("\tX", True),
    ("\rX", True),
    ("\t", True),
    ("=", True),
    # Leading spaces are skipped by spreadsheet programs, Unicode spaces included.
    (" =1+1", True),
    ("   @SUM(1)", True),
    ("\u00a0=1+1", True),  # no-break space
    ("\u3000=1+1", True),  # ideographic space
    ("\u2003-1", True),  # em space
    # Full-width signs read as their ASCII forms (NFKC).
    ("＝1+1", True),
    ("＋86 138", True),
    ("－2", True),
    ("＠SUM(1)", True),
    ("\u3000＝1", True),
    ("+8613812345678", True),
    # Harmless: text, numbers, signs inside the text, a line feed first, other dashes.
    ("李四", False),
    ("13812345678", False),
    ("a=b", False),
    ("示例 - 公司", False),
    ("", False),
    ("   ", False),
    ("\n=1+1", False),
    ("—", False),  # em dash
    ("\u2212" + "1", False),  # minus sign: not read as a formula
    ("x\t=1", False),
]


@pytest.mark.parametrize(("text", "dangerous"), CASES)
def test_triggers(text, dangerous):
    assert is_dangerous(text) is dangerous


@pytest.mark.parametrize(("text", "dangerous"), CASES)
def test_csv_cell_table(text, dangerous):
    escaped = escape_csv_cell(text)
    assert escaped == ("'" + text if dangerous else text)
    assert unescape_csv_cell(escaped) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "1"),
        (False, "0"),
        (-5, "'-5"),
        (12, "12"),
        (datetime.date(2024, 3, 7), "2024-03-07"),
        (["=a", "b"], "'=a, b"),
    ],
)
def test_values_become_text_first(value, text):
    assert escape_csv_cell(value) == text


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("'=1", "''=1"),  # an apostrophe before a formula gets one more…
        ("''+1", "'''+1"),
        ("'abc", "'abc"),  # …an apostrophe before plain text stays as it is
        ("'", "'"),
    ],
)
def test_values_starting_with_an_apostrophe_come_back(value, escaped):
    assert not is_dangerous(value)  # a spreadsheet shows them as text, yet…
    assert escape_csv_cell(value) == escaped
    assert unescape_csv_cell(escaped) == value


def test_unescape_leaves_plain_apostrophes_alone():
    # A hand-made sheet's own apostrophes that escaping could not have written are kept.
    assert unescape_csv_cell("'abc") == "'abc"
    assert unescape_csv_cell("'") == "'"


# Text rich in what matters: triggers, spaces of every kind, full-width signs, apostrophes.
_alphabet = st.sampled_from(
    list(TRIGGERS) + [" ", "\u00a0", "\u3000", "\u2003", "\n", "'", "＝", "＋", "－", "＠", "a", "1", "李"]
)
tricky_text = st.one_of(st.text(), st.text(alphabet=_alphabet, max_size=8))


@given(tricky_text)
def test_escaped_csv_never_starts_a_formula(text):
    escaped = escape_csv_cell(text)
    assert not escaped.startswith(TRIGGERS)
    assert not is_dangerous(escaped)


@given(tricky_text)
def test_unescape_undoes_escape(text):
    assert unescape_csv_cell(escape_csv_cell(text)) == text


@given(st.lists(tricky_text, max_size=5))
def test_csv_round_trip_through_a_file(values):
    stream = io.StringIO(newline="")
    csv.writer(stream).writerow(csv_row(values))
    (row,) = list(csv.reader(io.StringIO(stream.getvalue(), newline=""))) or [[]]
    if values == [""]:
        row = [""]  # csv writes a lone empty cell as an empty line
    assert [unescape_csv_cell(cell) for cell in row] == values


def test_xlsx_cells_are_strings_and_triggers_carry_the_quote_prefix():
    values = [text for text, _dangerous in CASES if "\r" not in text] + [12, None, True]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(xlsx_row(sheet, values))
    stream = io.BytesIO()
    workbook.save(stream)
    (row,) = list(openpyxl.load_workbook(io.BytesIO(stream.getvalue())).active.iter_rows())
    for cell in row:
        if cell.value is None:
            continue
        assert cell.data_type == "s", (cell.coordinate, cell.value)
        assert cell.quotePrefix is is_dangerous(str(cell.value)), (cell.coordinate, cell.value)
    shown = [c.value for c in row]
    assert shown[:3] == ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3"]
    assert "12" in shown and "1" in shown
