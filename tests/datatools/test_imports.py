"""Offline sign-up sheets: dry run, confirmation, and every refusal importing nothing."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from forms.datatools.choices import ImportState
from forms.datatools.models import ImportRecord, OfflineConsent
from forms.datatools.services import private_dir
from forms.models import CampaignSubmission, SubjectHash
from forms.protection import mobile_hash

pytestmark = pytest.mark.django_db

URL = "/admin/datatools/imports/"
GOOD_CSV = "姓名,公司名称,手机号,证书邮寄地址\n张三,示例科技,13812345678,北京市朝阳区\n李四,示例,+86 139 0013 9000,上海市\n"


@pytest.fixture(autouse=True)
def _english_admin(marketer):
    """Messages are checked in English: the admin speaks the user's preferred language."""
    from wagtail.users.models import UserProfile

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


def test_ten_megabytes_of_junk_are_refused_by_size(client, marketer, page):
    client.force_login(marketer)
    response = upload(client, page, "junk.csv", b"\x00\xff" * (5 * 1024 * 1024))
    assert response.status_code == 400
    assert "MB" in ImportRecord.objects.get().message
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
    import zipfile

    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    client.force_login(marketer)
    response = upload(client, page, "bomb.xlsx", stream.getvalue())
    assert response.status_code == 400
    assert "unpacks" in ImportRecord.objects.get().message
    assert nothing_imported()
