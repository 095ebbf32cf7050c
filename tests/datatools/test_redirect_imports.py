"""Wagtail's redirect import reads uploaded spreadsheets too: the same limits apply to it."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.contrib.redirects.models import Redirect
from wagtail.users.models import UserProfile

from .spreadsheets import MB, SHEET, bomb_xlsx, declared_size, sheet_of_rows, with_sheet, workbook_bytes

pytestmark = pytest.mark.django_db

URL = "/admin/redirects/import/"


@pytest.fixture
def admin_client(client, superuser):

    profile = UserProfile.get_for_user(superuser)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(superuser)
    return client


def post(client, name, data):
    return client.post(URL, {"import_file": SimpleUploadedFile(name, data)})


def refusal(response) -> str:
    assert response.status_code == 302 and response["Location"].endswith(URL)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(texts) == 1 and texts[0].startswith("The file was not imported: ")
    assert not Redirect.objects.exists()
    return texts[0]


def test_a_good_file_still_reaches_wagtails_confirmation(admin_client):
    response = post(admin_client, "redirects.csv", b"from,to\n/old,/new\n/a,/b\n")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/old" in body and 'name="from_index"' in body


def test_an_xlsx_still_reaches_wagtails_confirmation(admin_client):
    response = post(admin_client, "redirects.xlsx", workbook_bytes([["from", "to"], ["/old", "/new"]]))
    assert response.status_code == 200
    assert "/old" in response.content.decode()


def test_a_zip_bomb_is_refused_before_wagtail_reads_it(admin_client):
    message = refusal(post(admin_client, "bomb.xlsx", bomb_xlsx()))
    assert "unpacks to" in message and "at most 20 MB" in message


def test_a_lying_archive_is_refused(admin_client):
    message = refusal(post(admin_client, "lying.xlsx", declared_size(bomb_xlsx(), SHEET, 1000)))
    assert "declared size (1000 bytes)" in message


def test_a_sheet_declaring_a_huge_dimension_is_refused(admin_client):
    """Wagtail pads every row to the declared dimension: A1:XFD1048576 would be 17 billion cells."""
    data = sheet_of_rows([], dimension="A1:XFD1048576")
    message = refusal(post(admin_client, "dimension.xlsx", data))
    assert "A1:XFD1048576" in message


def test_formatted_empty_cells_count_for_wagtails_reader(admin_client):
    data = with_sheet(
        lambda s: s.write(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>from</t></is></c><c r="XFD1" s="0"/></row>'
            b"</sheetData></worksheet>"
        )
    )
    message = refusal(post(admin_client, "wide.xlsx", data))
    assert "16384 columns" in message


def test_csv_row_limit_applies(admin_client, settings):
    settings.DATATOOLS_IMPORT_MAX_ROWS = 5
    rows = "".join(f"/old{n},/new{n}\n" for n in range(10))
    assert "more than 5 rows" in refusal(post(admin_client, "many.csv", f"from,to\n{rows}".encode()))


def test_tsv_field_limit_applies(admin_client):
    field = "from\tto\n/old\t" + "x" * 20_000 + "\n"
    assert "longer than 10000 characters" in refusal(post(admin_client, "field.tsv", field.encode()))


def test_an_oversized_upload_is_refused(admin_client):
    message = refusal(post(admin_client, "big.csv", b"a" * (2 * MB + 1)))
    assert "at most 2 MB" in message


def test_the_guard_asks_for_wagtails_permission_first(client, marketer):
    client.force_login(marketer)
    response = client.post(URL, {"import_file": SimpleUploadedFile("bomb.xlsx", bomb_xlsx())})
    assert response.status_code in (302, 403)
    assert not [m for m in get_messages(response.wsgi_request) if "not imported" in str(m)]
