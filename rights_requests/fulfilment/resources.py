"""Spreadsheet layout of an access package: one row per record, columns labelled in Chinese.

The columns are the record's context (purpose, policy version, dates) followed by every
field of the personal-field catalogue under the policy's own Chinese term, so a person
reads their copy in the words the policy used when it collected the data.
"""

import csv
import io

from import_export import fields, resources
from openpyxl import Workbook

from core.escaping import csv_row, xlsx_row
from forms import catalogue

CONTEXT_COLUMNS = [
    ("record_id", "记录编号"),
    ("purpose_code", "收集目的代码"),
    ("purpose_name", "收集目的"),
    ("clause", "政策条款"),
    ("page_title", "表单页面"),
    ("policy_version", "隐私政策版本"),
    ("submitted_at", "提交时间"),
    ("consent_at", "同意时间"),
    ("consent_withdrawn_at", "撤回同意时间"),
    ("is_minor", "未成年人"),
    ("guardian_consent", "监护人同意"),
]


def _field_attrs() -> dict:
    attrs = {}
    for name, label in CONTEXT_COLUMNS:
        attrs[name] = fields.Field(attribute=name, column_name=label, readonly=True)
    for key, definition in catalogue.FIELDS.items():
        attrs[f"field_{key}"] = fields.Field(
            attribute=f"fields__{key}", column_name=definition.label_zh, readonly=True
        )
    return attrs


class _Meta:
    fields = [name for name, _label in CONTEXT_COLUMNS] + [f"field_{key}" for key in catalogue.FIELDS]
    export_order = fields


PackageRecordResource = type(
    "PackageRecordResource", (resources.Resource,), {**_field_attrs(), "Meta": _Meta, "__module__": __name__}
)
PackageRecordResource.__doc__ = "Rows of an access package (dicts built by ``services.package_document``)."


def records_dataset(records: list[dict]):
    """A ``tablib.Dataset`` of the package's records (values flattened to text)."""
    rows = [{**record, "fields": {k: _flat(v) for k, v in record["fields"].items()}} for record in records]
    held = {key for record in records for key in record["fields"]}
    # Only the catalogue columns the person has values in, in catalogue order.
    selected = [name for name, _label in CONTEXT_COLUMNS] + [
        f"field_{k}" for k in catalogue.FIELDS if k in held
    ]
    return PackageRecordResource().export(queryset=rows, export_fields=selected)


def csv_bytes(records: list[dict]) -> bytes:
    """The records as UTF-8 CSV (with a byte-order mark for Excel), every cell escaped against
    formula injection by the data tools' escaping."""
    dataset = records_dataset(records)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(csv_row(dataset.headers))
    for row in dataset:
        writer.writerow(csv_row(row))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def xlsx_bytes(records: list[dict]) -> bytes:
    """The records as an .xlsx workbook, written in openpyxl's streaming mode (fast for many rows);
    every cell is a string cell, never a formula."""
    dataset = records_dataset(records)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="个人信息副本")
    sheet.append(xlsx_row(sheet, dataset.headers))
    for row in dataset:
        sheet.append(xlsx_row(sheet, row))
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _flat(value):
    """Lists joined into one cell."""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return value
