"""Formula payloads leave the system inert: apostrophe-prefixed in CSV, string cells in XLSX."""

import csv
import io
import json

import openpyxl
import pytest

from core.escaping import escape_csv_cell, unescape_csv_cell
from datatools.resources import SubmissionResource
from datatools.services import write_export
from forms.models import CampaignSubmission

from .conftest import raw_submission

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_cell_gets_a_leading_apostrophe(payload):
    assert escape_csv_cell(payload) == "'" + payload
    assert unescape_csv_cell(escape_csv_cell(payload)) == payload


@pytest.mark.parametrize("value", ["李四", "13812345678", "a=b", "", None, "示例 - 公司"])
def test_harmless_cells_are_unchanged(value):
    assert escape_csv_cell(value) == (value or "")


@pytest.fixture
def hostile_rows(page_factory):
    page = page_factory("compatibility", slug="hostile")
    for payload in PAYLOADS:
        raw_submission(
            page,
            {"name": payload, "company": payload, "mobile": "+8613812345678", "mailing_address": "北京"},
        )
    return page


def export_bytes(page, file_format):
    resource = SubmissionResource(purpose=page.purpose)
    objects = CampaignSubmission.objects.filter(page=page).order_by("pk")
    stream = io.BytesIO()
    count = write_export(resource=resource, objects=objects, file_format=file_format, stream=stream)
    assert count == len(PAYLOADS)
    return stream.getvalue()


def test_csv_export_is_inert(hostile_rows):
    text = export_bytes(hostile_rows, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    name, company, mobile = header.index("姓名"), header.index("公司名称"), header.index("手机号")
    assert [r[name] for r in body] == ["'" + p for p in PAYLOADS]
    assert [r[company] for r in body] == ["'" + p for p in PAYLOADS]
    for row in body:
        assert row[mobile] == "'+8613812345678"
        assert not any(cell[:1] in "=+-@\t\r" for cell in row if cell)


def test_xlsx_export_has_only_text_cells(hostile_rows):
    sheet = openpyxl.load_workbook(io.BytesIO(export_bytes(hostile_rows, "xlsx"))).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    name, mobile = header.index("姓名"), header.index("手机号")
    # Depending on the XML writer a carriage return may come back as a line feed.
    assert [r[name].value.replace("\r", "\n") for r in rows[1:]] == [p.replace("\r", "\n") for p in PAYLOADS]
    for row in rows[1:]:
        assert row[mobile].value == "+8613812345678"
        for cell in row:
            if cell.value is not None:
                assert cell.data_type == "s", (cell.coordinate, cell.value)


def test_json_export_keeps_values(hostile_rows):

    rows = json.loads(export_bytes(hostile_rows, "json"))
    assert [r["name"] for r in rows] == PAYLOADS
    assert rows[0]["mobile"] == "+8613812345678"
    assert list(rows[0]) == [
        "name",
        "company",
        "mobile",
        "mailing_address",
        "purpose",
        "policy_version",
        "consent",
        "submit_time",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "referrer",
    ]
