"""Spreadsheet layout of an access package: one row per record, columns labelled in Chinese.

The columns are the record's context (purpose, policy version, dates) followed by every
field of the personal-field catalogue under the policy's own Chinese term, so a person
reads their copy in the words the policy used when it collected the data.
"""

from import_export import fields, resources

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


def xlsx_bytes(records: list[dict]) -> bytes:
    """The records as an .xlsx workbook, written in openpyxl's streaming mode (fast for many rows)."""
    import io

    from openpyxl import Workbook

    dataset = records_dataset(records)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="个人信息副本")
    sheet.append(list(dataset.headers))
    for row in dataset:
        sheet.append(list(row))
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _flat(value):
    """Lists joined; a text starting with “=” kept as text, never run as a formula."""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value
