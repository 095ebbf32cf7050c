"""Request bodies are limited before they are read: 413 with a friendly page, JSON on the API.

The attack: a 200 MB multipart POST to any form was read in full (spooled to disk) before a
view could refuse it. Now the ``Content-Length`` is checked against the path's limit before
any byte is read, a chunked body is read no further than the limit, and Django's own
upload limits answer the same 413.
"""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from wagtail.documents import get_document_model

from cms.request_size import MB, body_limit
from forms.models import CampaignSubmission
from rights_requests.models import EVIDENCE_MAX_BYTES, RightsRequestPage
from tests.rights_requests.conftest import _clean_cache_and_outbox  # noqa: F401
from verification.models import SMSChallenge

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
TITLE_ZH = "您发送的内容过大"
TITLE_EN = "What you sent is too large"
API_MESSAGE_EN = "The request body is too large (limit: 65536 bytes)."


def declared(client, path, length, *, content_type=FORM, body=b"x=1", **extra):
    """A POST that declares ``length`` bytes and carries only ``body``: a refusal from the
    header alone never notices the difference."""
    return client.generic(
        "POST",
        path,
        body,
        content_type=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": io.BytesIO(body)},
        **extra,
    )


class CountingStream(io.BytesIO):
    """A request body stream that remembers how much of it was read."""

    def __init__(self, data):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def chunked(client, path, body: bytes, *, content_type=FORM, **extra):
    """A POST as gunicorn hands a chunked request to Django: no Content-Length, the decoded
    body in ``wsgi.input``."""
    stream = CountingStream(body)
    response = client.generic(
        "POST",
        path,
        b"",
        content_type=content_type,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream},
        **extra,
    )
    return response, stream


@pytest.fixture
def evidence_page(home_page):
    """The public rights-request page, whose form takes an evidence document."""
    page = RightsRequestPage(title="Your privacy rights", slug="privacy-rights")
    home_page.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def campaign(page_factory):
    return page_factory("compatibility")


def assert_friendly_413(response, title=TITLE_ZH):
    body = response.content.decode()
    assert response.status_code == 413
    assert 'data-testid="error-413"' in body
    assert title in body
    assert "Traceback" not in body


# --- Content-Length over the limit: refused unread ------------------------------------------


def test_an_oversized_public_form_post_is_a_translated_413_and_stores_nothing(client, campaign):
    response = declared(client, campaign.url, 200 * MB)
    assert_friendly_413(response)
    assert "1.0\xa0MB" in response.content.decode()
    assert not CampaignSubmission.objects.exists()


def test_the_413_page_follows_the_visitors_language(client, campaign):
    response = declared(client, campaign.url, 200 * MB, HTTP_ACCEPT_LANGUAGE="en")
    assert_friendly_413(response, TITLE_EN)
    assert "This page accepts at most 1.0" in response.content.decode()


def test_an_oversized_api_post_is_a_json_413(client, campaign):
    response = declared(
        client, f"/api/forms/{campaign.pk}/submissions", 65 * 1024, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert payload["detail"] == "请求正文过大（上限：65536 字节）。"
    assert payload["errors"] == {"__all__": [payload["detail"]]}
    english = declared(
        client, "/api/sms/challenges", 200 * MB, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["detail"] == API_MESSAGE_EN
    assert not SMSChallenge.objects.exists()


def test_an_oversized_admin_post_is_a_413(client, superuser, campaign):
    client.force_login(superuser)
    response = declared(client, f"/admin/pages/{campaign.pk}/edit/", 4 * MB)
    assert_friendly_413(response)
    upload = declared(
        client, "/admin/documents/add/", 12 * MB, content_type="multipart/form-data; boundary=x"
    )
    assert_friendly_413(upload)
    assert not get_document_model().objects.exists()
    sheet = declared(
        client, "/admin/datatools/imports/", 12 * MB, content_type="multipart/form-data; boundary=x"
    )
    assert_friendly_413(sheet)


# --- chunked bodies: read up to the limit and no further -------------------------------------


def test_a_chunked_body_over_the_limit_is_a_413_read_no_further(client, campaign):
    response, stream = chunked(client, campaign.url, b"name=" + b"x" * (3 * MB))
    assert_friendly_413(response)
    assert stream.bytes_read == 1 * MB + 1
    assert not CampaignSubmission.objects.exists()


def test_a_chunked_api_body_over_the_limit_is_a_json_413(client):
    response, stream = chunked(
        client, "/api/sms/challenges", b"{" + b" " * MB + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["detail"]
    assert stream.bytes_read == 64 * 1024 + 1


def test_a_chunked_body_within_the_limit_is_parsed_as_any_other(client, home_page):
    response, stream = chunked(client, "/cookies/", b"choice=necessary&next=/")
    assert response.status_code == 302
    assert response.cookies["pf_cookie_consent"].value == "necessary"
    assert stream.bytes_read == len(b"choice=necessary&next=/")


# --- uploads within their larger limits still work --------------------------------------------


def test_a_document_upload_over_the_admin_form_limit_but_within_the_upload_limit_works(client, superuser):
    client.force_login(superuser)
    content = b"%PDF-1.4\n" + b"0" * (4 * MB)
    response = client.post(
        "/admin/documents/add/",
        {"title": "Large brochure", "file": SimpleUploadedFile("brochure.pdf", content), "collection": 1},
    )
    assert response.status_code == 302, response.content[:500]
    document = get_document_model().objects.get(title="Large brochure")
    assert document.file.size == len(content)


def test_a_chunked_document_upload_works(client, superuser):
    client.force_login(superuser)
    boundary = "pfboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nChunked brochure\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="collection"\r\n\r\n1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + b"%PDF-1.4 chunked"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response, _stream = chunked(
        client, "/admin/documents/add/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302, response.content[:500]
    assert get_document_model().objects.get(title="Chunked brochure").file.read() == b"%PDF-1.4 chunked"


def test_limits_per_path(evidence_page, settings):
    factory = RequestFactory()

    def limit(path, length=None):
        return body_limit(factory.post(path), length)

    assert limit("/some-campaign/", 10) == 1 * MB
    assert limit("/api/forms/1/submissions") == 64 * 1024
    assert limit("/admin/pages/3/edit/") == 3 * MB
    assert limit("/admin/documents/multiple/add/") == 11 * MB
    assert limit("/admin/images/chooser/upload/") == 11 * MB
    # Room for the import to refuse, and record, a sheet over its own 2 MB limit.
    assert limit("/admin/datatools/imports/") == 11 * MB
    assert limit("/admin/redirects/import/") == 11 * MB
    assert limit("/admin/rights_requests/rightsrequest/create/") == EVIDENCE_MAX_BYTES + MB
    # The public rights-request page takes an evidence document.
    assert limit(evidence_page.url, 5 * MB) == EVIDENCE_MAX_BYTES + MB
    assert limit(evidence_page.url, 10) == 1 * MB
    settings.DATATOOLS_IMPORT_MAX_UPLOAD_BYTES = 5 * MB
    settings.REQUEST_BODY_LIMITS = {"/admin/pages/": 8 * MB}
    assert limit("/admin/datatools/imports/") == 6 * MB
    assert limit("/admin/pages/3/edit/") == 8 * MB


def test_the_evidence_page_takes_an_evidence_sized_body(client, evidence_page):
    response = declared(client, evidence_page.url, 5 * MB, content_type="multipart/form-data; boundary=x")
    assert response.status_code != 413
    assert_friendly_413(declared(client, evidence_page.url, EVIDENCE_MAX_BYTES + 2 * MB))


# --- Django's own limits answer the same 413 ---------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_django_request_data_too_big_is_a_413_not_a_400(client, home_page):
    data = {"choice": "necessary", "next": "/" + "x" * 2000}
    assert_friendly_413(client.post("/cookies/", data))
    english = client.post("/cookies/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert_friendly_413(english, TITLE_EN)
    assert "more fields or files" in english.content.decode()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_too_many_fields_is_a_413(client, home_page):
    response = client.post("/cookies/", {f"f{i}": "1" for i in range(10)})
    assert_friendly_413(response)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_django_limit_on_the_api_is_json(client):
    body = json.dumps({"mobile": "13800138000", "purpose": "rights_request", "padding": "x" * 2000})
    response = client.post("/api/sms/challenges", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"] == "请求正文过大。"


def test_other_bad_requests_stay_400(client, home_page):
    response = client.get("/", HTTP_HOST="bad host name")
    assert response.status_code == 400
