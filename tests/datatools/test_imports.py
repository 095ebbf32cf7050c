"""Offline sign-up sheets: dry run, confirmation, and every refusal importing nothing."""

import io
import zipfile

import openpyxl
import openpyxl.xml
import pytest
from defusedxml import DefusedXmlException
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.users.models import UserProfile

from core.crypto import mobile_hash
from datatools.choices import ImportState
from datatools.models import ImportRecord, OfflineConsent
from datatools.services import private_dir
from forms.models import CampaignSubmission, SubjectHash

from .spreadsheets import (
    BILLION_LAUGHS,
    HEADINGS,
    MB,
    SHEET,
    SHEET_HEAD,
    SHEET_OPEN,
    bomb_xlsx,
    declared_size,
    inline_row,
    sheet_of_rows,
    with_sheet,
)

pytestmark = pytest.mark.django_db

URL = "/admin/datatools/imports/"
GOOD_CSV = "姓名,公司名称,手机号,证书邮寄地址\n张三,示例科技,13812345678,北京市朝阳区\n李四,示例,+86 139 0013 9000,上海市\n"


@pytest.fixture(autouse=True)
def _english_admin(marketer):
    """Messages are checked in English: the admin speaks the user's preferred language."""

    profile = UserProfile.get_for_user(marketer)
    profile.preferred_language = "en"
    profile.save()


@pytest.fixture
def page(page_factory, marketer):
    return page_factory("compatibility", slug="roadshow", owner=marketer)


def upload(client, page, name, data, **extra):
    sheet = SimpleUploadedFile(name, data)
    return client.post(URL, {"page": page.pk, "sheet": sheet, "consent_confirmed": "on", **extra})


def xlsx_bytes(rows, prepare=None):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if prepare:
        prepare(sheet)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def nothing_imported():
    return not CampaignSubmission.objects.exists() and not list(private_dir("imports").iterdir())


def test_dry_run_then_confirm(client, marketer, page):
    client.force_login(marketer)
    response = upload(client, page, "roadshow.csv", GOOD_CSV.encode("utf-8"))
    record = ImportRecord.objects.get()
    assert response.status_code == 302
    assert record.state == ImportState.PREVIEWED and record.row_count == 2
    assert not CampaignSubmission.objects.exists()
    files = list(private_dir("imports").iterdir())
    assert len(files) == 1  # kept privately until confirmed

    preview = client.get(response["Location"])
    body = preview.content.decode()
    assert body.count('data-testid="import-row"') == 2
    assert 'data-testid="import-confirm"' in body

    done = client.post(response["Location"], {"action": "confirm"})
    assert done.status_code == 302
    submissions = CampaignSubmission.objects.order_by("pk")
    assert submissions.count() == 2
    first = submissions[0]
    assert first.form_data["mobile"] == "+8613812345678"
    assert first.policy_version is not None
    assert SubjectHash.objects.filter(value_hash=mobile_hash("+8613912345678")).count() == 0
    assert SubjectHash.objects.filter(value_hash=mobile_hash("+8613812345678")).count() == 1
    consent = OfflineConsent.objects.get(submission=first)
    assert consent.source == "offline" and consent.imported_by == marketer
    record.refresh_from_db()
    assert record.state == ImportState.IMPORTED and record.imported_at is not None
    assert list(private_dir("imports").iterdir()) == []
    # A second confirmation imports nothing more.
    client.post(response["Location"], {"action": "confirm"})
    assert CampaignSubmission.objects.count() == 2


def test_row_errors_are_shown_and_nothing_can_be_confirmed(client, marketer, page):
    client.force_login(marketer)
    sheet = "姓名,公司名称,手机号,证书邮寄地址\n张三,示例,12345,北京\n,示例,13812345678,北京\n王五,示例,13812345679,北京\n"
    response = upload(client, page, "rows.csv", sheet.encode())
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('data-testid="import-row-error"') == 2
    assert 'data-testid="import-confirm"' not in body
    record = ImportRecord.objects.get()
    assert record.state == ImportState.REFUSED and record.error_count == 2
    assert nothing_imported()


def test_xlsx_sheet_with_numbers_and_keys_as_headings(client, marketer, page):
    client.force_login(marketer)
    data = xlsx_bytes(
        [["name", "company", "mobile", "mailing_address"], ["张三", "示例", 13812345678, "北京"]]
    )
    response = upload(client, page, "sheet.xlsx", data)
    assert response.status_code == 302
    client.post(response["Location"], {"action": "confirm"})
    assert CampaignSubmission.objects.get().form_data["mobile"] == "+8613812345678"


def test_discard_removes_the_upload(client, marketer, page):
    client.force_login(marketer)
    response = upload(client, page, "roadshow.csv", GOOD_CSV.encode())
    client.post(response["Location"], {"action": "discard"})
    assert ImportRecord.objects.get().state == ImportState.DISCARDED
    assert nothing_imported()


def test_re_importing_an_escaped_export_works(client, marketer, page):
    client.force_login(marketer)
    sheet = "姓名,公司名称,手机号,证书邮寄地址\n张三,示例,'+8613812345678,北京\n"
    response = upload(client, page, "export.csv", sheet.encode("utf-8-sig"))
    assert response.status_code == 302


REFUSALS = {
    "unknown column": (
        "a.csv",
        "姓名,公司名称,手机号,证书邮寄地址,身份证号码\n张三,示例,13812345678,北京,x\n".encode(),
        "身份证号码",
    ),
    "duplicate header": (
        "b.csv",
        "姓名,手机号,姓名,公司名称\n张三,13812345678,张三,示例\n".encode(),
        "appears twice",
    ),
    "same field twice": (
        "c.csv",
        "姓名,mobile,手机号,公司名称\n张三,13812345678,13812345678,示例\n".encode(),
        "same field",
    ),
    "missing required": ("d.csv", "姓名,公司名称\n张三,示例\n".encode(), "Required columns are missing"),
    "gbk": ("e.csv", GOOD_CSV.encode("gbk"), "GBK"),
    "not utf-8": ("f.csv", b"\xff\xfe\xfa,\x81\x20\n", "UTF-8"),
    "csv formula": (
        "g.csv",
        '姓名,公司名称,手机号,证书邮寄地址\n=HYPERLINK("http://x","y"),示例,13812345678,北京\n'.encode(),
        "formula",
    ),
    "csv dde": (
        "h.csv",
        "姓名,公司名称,手机号,证书邮寄地址\n张三,+cmd|' /C calc'!A0,13812345678,北京\n".encode(),
        "formula",
    ),
    "binary junk": ("i.csv", bytes(range(256)) * 40, "binary"),
    "xlsx junk": ("j.xlsx", b"PK\x03\x04" + b"\x00junk" * 1000, "XLSX"),
    "not a sheet": ("k.txt", b"hello", ".csv or .xlsx"),
    "blank rows": ("l.csv", b"\n,,,\n", "empty"),
    "headings only": ("m.csv", "姓名,公司名称,手机号,证书邮寄地址\n".encode(), "no rows"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_files_are_refused_with_a_message(client, marketer, page, case):
    name, data, expected = REFUSALS[case]
    client.force_login(marketer)
    response = upload(client, page, name, data)
    assert response.status_code == 400
    record = ImportRecord.objects.get()
    assert record.state == ImportState.REFUSED
    assert expected in record.message
    assert 'data-testid="import-refused"' in response.content.decode()
    assert nothing_imported()


def test_junk_over_the_upload_limit_is_refused_by_size(client, marketer, page):
    client.force_login(marketer)
    response = upload(client, page, "junk.csv", b"\x00\xff" * (1280 * 1024))
    assert response.status_code == 400
    assert "2.5 MB" in ImportRecord.objects.get().message
    assert nothing_imported()


def test_xlsx_with_merged_cells_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = xlsx_bytes(
        [
            ["姓名", "公司名称", "手机号", "证书邮寄地址"],
            ["张三", "示例", "13812345678", "北京"],
            ["李四", "", "13912345678", "北京"],
        ],
        prepare=lambda sheet: sheet.merge_cells("B2:B3"),
    )
    response = upload(client, page, "merged.xlsx", data)
    assert response.status_code == 400
    assert "merged" in ImportRecord.objects.get().message and "B2:B3" in ImportRecord.objects.get().message
    assert nothing_imported()


def test_xlsx_with_formula_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = xlsx_bytes(
        [["姓名", "公司名称", "手机号", "证书邮寄地址"], ["张三", "=1+1", "13812345678", "北京"]]
    )
    response = upload(client, page, "formula.xlsx", data)
    assert response.status_code == 400
    assert "B2" in ImportRecord.objects.get().message
    assert nothing_imported()


def test_empty_upload_is_refused_by_the_form(client, marketer, page):
    client.force_login(marketer)
    response = upload(client, page, "empty.csv", b"")
    assert response.status_code == 400
    assert 'data-testid="error-sheet"' in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_consent_confirmation_is_required(client, marketer, page):
    client.force_login(marketer)
    response = client.post(URL, {"page": page.pk, "sheet": SimpleUploadedFile("a.csv", GOOD_CSV.encode())})
    assert response.status_code == 400
    assert not ImportRecord.objects.exists()


def test_marketer_cannot_import_into_sensitive_campaigns(client, marketer, page_factory):
    partner = page_factory("partner_upgrade", slug="partner", owner=marketer)
    client.force_login(marketer)
    response = upload(client, partner, "a.csv", GOOD_CSV.encode())
    assert response.status_code == 400  # not among the pages offered
    assert not ImportRecord.objects.exists()


def test_only_the_uploader_sees_or_confirms_an_upload(client, marketer, privacy_officer, page):
    client.force_login(marketer)
    response = upload(client, page, "roadshow.csv", GOOD_CSV.encode())
    client.force_login(privacy_officer)
    assert client.get(response["Location"]).status_code == 403
    assert client.post(response["Location"], {"action": "confirm"}).status_code == 403
    assert not CampaignSubmission.objects.exists()


def test_xlsx_that_unpacks_to_too_much_is_refused(client, marketer, page):

    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    client.force_login(marketer)
    response = upload(client, page, "bomb.xlsx", stream.getvalue())
    assert response.status_code == 400
    assert "unpacks" in ImportRecord.objects.get().message
    assert nothing_imported()


# --- limits: archive, XML, rows, columns, cells, characters ----------------------------------


def refused(response):
    assert response.status_code == 400
    record = ImportRecord.objects.get()
    assert record.state == ImportState.REFUSED
    assert 'data-testid="import-refused"' in response.content.decode()
    assert record.message in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert nothing_imported()
    return record.message


def test_the_bomb_fixture_is_small_and_unpacks_to_47_mb():

    data = bomb_xlsx()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET)
    assert 100 * 1024 < len(data) < 250 * 1024
    assert info.file_size > 47 * MB


def test_a_zip_bomb_is_refused_before_it_is_unpacked_and_loses_nothing_stored(client, marketer, page):
    client.force_login(marketer)
    first = upload(client, page, "roadshow.csv", GOOD_CSV.encode())
    client.post(first["Location"], {"action": "confirm"})
    assert CampaignSubmission.objects.count() == 2

    data = bomb_xlsx()
    unpacked = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size
    response = upload(client, page, "bomb.xlsx", data)
    assert response.status_code == 400
    record = ImportRecord.objects.latest("pk")
    assert record.state == ImportState.REFUSED
    assert "xl/worksheets/sheet1.xml" in record.message
    assert f"unpacks to {unpacked / MB:.1f} MB" in record.message and "at most 20 MB" in record.message
    assert 'data-testid="import-refused"' in response.content.decode()
    # What was stored before is all still there; nothing was added; the upload is gone.
    assert CampaignSubmission.objects.count() == 2
    assert ImportRecord.objects.get(pk=ImportRecord.objects.earliest("pk").pk).state == ImportState.IMPORTED
    assert list(private_dir("imports").iterdir()) == []


def test_a_part_compressed_far_better_than_spreadsheets_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = with_sheet(lambda s: s.write(SHEET_HEAD + SHEET_OPEN + b" " * (5 * MB) + b"</worksheet>"))
    message = refused(upload(client, page, "dense.xlsx", data))
    assert "compressed" in message and "at most 100 to 1" in message


def test_an_archive_of_too_many_files_is_refused(client, marketer, page, settings):
    client.force_login(marketer)
    data = with_sheet(
        lambda s: s.write(SHEET_HEAD + SHEET_OPEN + b"<sheetData/></worksheet>"),
        extra=[(f"xl/media/image{i}.png", b"\x89PNG") for i in range(120)],
    )
    message = refused(upload(client, page, "many.xlsx", data))
    assert "129 files" in message and "at most 100" in message


def test_a_part_larger_than_it_declares_is_refused_as_damaged(client, marketer, page):
    client.force_login(marketer)
    data = declared_size(bomb_xlsx(), SHEET, 1000)
    message = refused(upload(client, page, "lying.xlsx", data))
    assert "xl/worksheets/sheet1.xml" in message and "declared size (1000 bytes)" in message


def test_a_billion_laughs_sheet_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = with_sheet(lambda s: s.write(BILLION_LAUGHS))
    message = refused(upload(client, page, "laughs.xlsx", data))
    assert "entities" in message and "DTD" in message


def test_openpyxl_reads_through_defusedxml_and_refuses_entities_itself():
    """The second line of defence behind the scan: openpyxl parses sheets with defusedxml."""

    assert openpyxl.xml.DEFUSEDXML is True
    data = with_sheet(lambda s: s.write(BILLION_LAUGHS))
    for read_only in (True, False):
        with pytest.raises(Exception) as raised:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only)
            list(workbook.active.iter_rows(values_only=True))
        chain = [raised.value, raised.value.__cause__, raised.value.__context__]
        assert any(isinstance(e, DefusedXmlException) for e in chain)


def test_a_file_that_is_not_a_zip_archive_named_xlsx_is_refused(client, marketer, page):
    client.force_login(marketer)
    message = refused(upload(client, page, "renamed.xlsx", GOOD_CSV.encode()))
    assert "not a valid XLSX workbook" in message


def test_too_many_rows_stop_the_reading_at_the_limit(client, marketer, page, settings):
    """The sheet claims two rows (``<dimension>``) and breaks off after row 16: the row count
    refuses it at row 12, before the reading reaches the break."""
    settings.DATATOOLS_IMPORT_MAX_ROWS = 10
    client.force_login(marketer)
    rows = [inline_row(["张三", "示例", f"138{n:08d}", "北京"]) for n in range(15)]
    data = sheet_of_rows(rows, tail=b"<row><c><v>1</v></c><broken")
    message = refused(upload(client, page, "long.xlsx", data))
    assert "more than 10 rows" in message and "row 12" in message


def test_the_break_in_that_sheet_is_refused_when_no_limit_stops_the_reading_first(client, marketer, page):
    client.force_login(marketer)
    rows = [inline_row(["张三", "示例", f"138{n:08d}", "北京"]) for n in range(15)]
    message = refused(upload(client, page, "broken.xlsx", sheet_of_rows(rows, tail=b"<row><c><broken")))
    assert "cannot be read" in message


def test_too_many_columns_are_refused(client, marketer, page):
    client.force_login(marketer)
    data = xlsx_bytes([[*HEADINGS, *(f"q{n}" for n in range(47))]])
    message = refused(upload(client, page, "wide.xlsx", data))
    assert "Row 1 has 51 columns" in message and "at most 50 columns" in message


def test_too_many_filled_cells_are_refused(client, marketer, page, settings):
    settings.DATATOOLS_IMPORT_MAX_CELLS = 20
    client.force_login(marketer)
    data = xlsx_bytes([HEADINGS, *(["张三", "示例", f"138{n:08d}", "北京"] for n in range(5))])
    message = refused(upload(client, page, "cells.xlsx", data))
    assert "more than 20 filled cells" in message and "A6" in message


def test_an_overlong_xlsx_cell_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = xlsx_bytes([HEADINGS, ["张三", "示例", "13812345678", "北" * 10_001]])
    message = refused(upload(client, page, "long-cell.xlsx", data))
    assert "D2 holds 10001 characters" in message and "at most 10000" in message


def sheet_xml(body: bytes):
    return lambda stream: stream.write(SHEET_HEAD + SHEET_OPEN + body + b"</worksheet>")


@pytest.fixture
def small_cell_limits(settings):
    settings.DATATOOLS_IMPORT_MAX_CELLS = 100
    settings.DATATOOLS_IMPORT_MAX_ROWS = 10


def test_more_xml_elements_than_the_cells_need_are_refused(client, marketer, page, small_cell_limits):
    client.force_login(marketer)
    row = b"<row><c>" + b"<x/>" * 30_000 + b"</c></row>"
    data = with_sheet(sheet_xml(b"<sheetData>" + row * 4 + b"</sheetData>"))
    message = refused(upload(client, page, "elements.xlsx", data))
    assert "more than 100440 XML elements" in message


def test_more_cells_than_twice_the_filled_cell_limit_are_refused(client, marketer, page, small_cell_limits):
    client.force_login(marketer)
    data = with_sheet(sheet_xml(b"<sheetData><row>" + b'<c s="0"/>' * 201 + b"</row></sheetData>"))
    message = refused(upload(client, page, "empty-cells.xlsx", data))
    assert "more than 200 cells" in message and "formatted empty" in message


def test_more_shared_texts_than_cells_are_refused(client, marketer, page, small_cell_limits):
    client.force_login(marketer)
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    strings += b"<si><t>x</t></si>" * 101 + b"</sst>"
    data = with_sheet(sheet_xml(b"<sheetData/>"), extra=[("xl/sharedStrings2.xml", strings)])
    message = refused(upload(client, page, "strings.xlsx", data))
    assert "more than 100 different texts" in message


def test_a_sheet_with_much_besides_its_rows_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = with_sheet(sheet_xml(b"<x/>" * 50_001 + b"<sheetData/>"))
    message = refused(upload(client, page, "structure.xlsx", data))
    assert "more than 50000 XML elements besides its rows" in message


def test_a_row_wider_than_excel_allows_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = with_sheet(sheet_xml(b"<sheetData><row><c>" + b"<x/>" * 32_768 + b"</c></row></sheetData>"))
    message = refused(upload(client, page, "row.xlsx", data))
    assert "holds more than 32768 XML elements" in message


def test_a_sheet_numbering_rows_beyond_excel_is_refused(client, marketer, page):
    client.force_login(marketer)
    data = sheet_of_rows([b'<row r="999999999"><c t="inlineStr"><is><t>x</t></is></c></row>'])
    message = refused(upload(client, page, "far.xlsx", data))
    assert "beyond row 1048576" in message


def test_a_sheet_whose_dimension_lies_is_read_by_what_it_holds(client, marketer, page):
    client.force_login(marketer)
    rows = [inline_row(["张三", "示例", "13812345678", "北京"])]
    response = upload(client, page, "dimension.xlsx", sheet_of_rows(rows, dimension="A1:XFD1048576"))
    assert response.status_code == 302
    assert ImportRecord.objects.get().row_count == 1


def test_csv_with_a_huge_field_is_refused(client, marketer, page):
    client.force_login(marketer)
    for size in (10_001, 200_000):
        ImportRecord.objects.all().delete()
        sheet = f"姓名,公司名称,手机号,证书邮寄地址\n张三,{'x' * size},13812345678,北京\n"
        message = refused(upload(client, page, "field.csv", sheet.encode()))
        assert "Line 2 holds a value longer than 10000 characters" in message


def test_csv_with_too_many_rows_is_refused_while_reading(client, marketer, page, settings):
    settings.DATATOOLS_IMPORT_MAX_ROWS = 10
    client.force_login(marketer)
    lines = "".join(f"张三,示例,138{n:08d},北京\n" for n in range(30))
    message = refused(
        upload(client, page, "rows.csv", f"姓名,公司名称,手机号,证书邮寄地址\n{lines}".encode())
    )
    assert "more than 10 rows" in message and "row 12" in message


def test_csv_with_too_many_columns_is_refused(client, marketer, page):
    client.force_login(marketer)
    message = refused(upload(client, page, "wide.csv", ("a," * 60 + "a\n").encode()))
    assert "Row 1 has 61 columns" in message


def test_an_oversized_upload_is_refused_by_the_form_and_recorded(client, marketer, page):
    client.force_login(marketer)
    response = upload(client, page, "big.csv", b"a" * (2 * MB + 1))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-sheet"' in body and 'data-testid="import-refused"' in body
    record = ImportRecord.objects.get()
    assert record.state == ImportState.REFUSED and record.original_name == "big.csv"
    assert "2.0 MB" in record.message and "at most 2 MB" in record.message
    assert nothing_imported()
