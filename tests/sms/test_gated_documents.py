"""The document a download campaign hands out is reached only through its signed link (§1.2).

Wagtail's ``/documents/<id>/<file>`` and the raw media URL give visitors nothing; the link
stops serving once its submission is erased or the consent withdrawn; a marketer cannot
offer a document from a public collection.
"""

import importlib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import clear_url_caches, reverse
from django.utils import translation
from wagtail.documents import get_document_model
from wagtail.models import Collection
from wagtail.test.utils.form_data import inline_formset, nested_form_data, querydict_from_html

import cms.urls
from core import roles
from forms import downloads
from forms.models import CampaignFormPage, Purpose
from rights_requests.fulfilment import services as fulfilment
from tests.conftest import make_user
from tests.forms.test_admin import row, shows
from tests.forms.utils import make_campaign_page
from tests.fulfilment.conftest import verified_request
from tests.home.test_security import _check_production

from .conftest import FILE_BYTES, link_from, path_of

pytestmark = pytest.mark.django_db

PUBLIC_MESSAGE = ("which anyone can open without the download link", "任何人无需下载链接即可打开")


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def assert_no_file(response):
    assert response.status_code in (302, 403, 404, 410), response.status_code
    assert FILE_BYTES not in body_of(response)


def test_wagtail_document_url_gives_visitors_no_bytes(download_page, document, client):
    url = document.url
    assert url == reverse("wagtaildocs_serve", args=[document.pk, document.filename])
    response = client.get(url)
    assert_no_file(response)
    assert response.status_code == 302 and "/_util/login/" in response["Location"]

    # Signed in is not enough: only the staff groups named on the collection may open it there.
    client.force_login(make_user("visitor-account"))
    assert_no_file(client.get(url))
    client.force_login(make_user("rights-desk", [roles.PRIVACY_STAFF]))
    assert_no_file(client.get(url))


@pytest.mark.parametrize("group", roles.DOWNLOADS_COLLECTION_GROUPS)
def test_staff_of_the_named_groups_can_preview_it(download_page, document, client, group):
    client.force_login(make_user("preview", [group]))
    response = client.get(document.url)
    assert response.status_code == 200
    assert body_of(response) == FILE_BYTES


def test_moving_the_document_to_a_public_collection_does_not_open_it(download_page, document, client):
    root = Collection.get_first_root_node()
    get_document_model().objects.filter(pk=document.pk).update(collection=root)
    document.refresh_from_db()
    assert not downloads.document_is_private(document)
    assert_no_file(client.get(document.url))
    client.force_login(make_user("preview", [roles.MARKETERS]))
    assert body_of(client.get(document.url)) == FILE_BYTES


def test_unrelated_public_documents_stay_public(download_page, client):
    leaflet = get_document_model()(title="Event leaflet")
    leaflet.file.save("leaflet.txt", ContentFile(b"public leaflet"), save=False)
    leaflet.save()
    response = client.get(leaflet.url)
    assert response.status_code == 200
    assert body_of(response) == b"public leaflet"


@pytest.fixture
def debug_urls(settings):
    """The URLconf as ``DEBUG = True`` builds it (the development server's media routes)."""

    settings.DEBUG = True
    importlib.reload(cms.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(cms.urls)
    clear_url_caches()


def test_raw_media_url_serves_no_document_even_in_development(download_page, document, debug_urls, settings):
    client = Client(raise_request_exception=False)
    response = client.get(f"{settings.MEDIA_URL}{document.file.name}")
    assert_no_file(response)
    # The images next to it are still served, so the route exists and only documents are left out.
    image = settings.MEDIA_ROOT / "original_images" / "logo.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"\x89PNG logo")
    served = client.get(f"{settings.MEDIA_URL}original_images/logo.png")
    assert served.status_code == 200
    assert body_of(served) == b"\x89PNG logo"


def test_signed_link_still_serves_the_file(submit, client, document):
    submit()
    response = client.get(path_of(link_from(mail.outbox[-1])))
    assert response.status_code == 200
    assert body_of(response) == FILE_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def _verified_request(request_type, **kwargs):

    return verified_request(request_type, mobile="13800138000", email="visitor@example.com", **kwargs)


def test_link_stops_serving_once_the_submission_is_erased(submit, client, document, settings, tmp_path):
    settings.ERASURE_LEDGER_PATH = tmp_path / "ledger.jsonl"
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 1000
    submission = submit()
    path = path_of(link_from(mail.outbox[-1]))
    assert client.get(path).status_code == 200

    rr = _verified_request("delete")
    with translation.override("en"):
        result = fulfilment.erase(rights_request=rr, user=make_user("eraser", [roles.PRIVACY_STAFF]))
    assert result.erased_count == 1
    assert type(submission).objects.filter(pk=submission.pk).exists()  # tombstoned, not deleted

    response = client.get(path)
    assert response.status_code == 410
    assert FILE_BYTES not in body_of(response)
    assert b'data-testid="download-link-revoked"' in response.content
    assert downloads.download_count(document) == 1


def test_link_stops_serving_once_the_consent_is_withdrawn(submit, client, document, settings, tmp_path):
    settings.ERASURE_LEDGER_PATH = tmp_path / "ledger.jsonl"
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 1000
    submit()
    path = path_of(link_from(mail.outbox[-1]))
    rr = _verified_request("withdraw_consent")
    with translation.override("en"):
        marked = fulfilment.withdraw_consent(
            rights_request=rr, user=make_user("desk", [roles.PRIVACY_STAFF]), purpose_code="download"
        )
    assert marked == 1
    response = client.get(path)
    assert response.status_code == 410
    assert FILE_BYTES not in body_of(response)
    assert downloads.download_count(document) == 0


def _post_download_page(client, parent, document):
    add_url = reverse("wagtailadmin_pages:add", args=("forms", "campaignformpage", parent.pk))
    purpose = Purpose.objects.get(code="download").pk
    data = querydict_from_html(
        client.get(add_url, {"purpose": purpose}).content.decode(), form_id="page-edit-form"
    )
    data.update(
        nested_form_data(
            {
                "title": "下载白皮书",
                "slug": "download-whitepaper",
                "purpose": str(Purpose.objects.get(code="download").pk),
                "download_document": str(document.pk),
                "form_fields": inline_formset(
                    [row("personal", key) for key in ("name", "company", "email", "mobile")]
                ),
            }
        )
    )
    data["action-submit"] = "action-submit"
    return client.post(add_url, data)


def test_marketer_cannot_offer_a_document_from_a_public_collection(client, marketer, home_page, policy):
    price_list = get_document_model()(title="Internal price list")
    price_list.file.save("prices.pdf", ContentFile(b"prices"), save=False)
    price_list.save()
    client.force_login(marketer)
    with translation.override("zh-hans"):
        refused = _post_download_page(client, home_page, price_list)
    assert refused.status_code == 200
    assert shows(refused.content.decode(), PUBLIC_MESSAGE)
    assert not CampaignFormPage.objects.exists()

    price_list.collection = downloads.downloads_collection()
    price_list.save()
    published = _post_download_page(client, home_page, price_list)
    assert published.status_code == 302, published.content.decode()[:2000]
    assert CampaignFormPage.objects.get().download_document == price_list


def test_the_model_refuses_a_public_document_too(home_page, policy):

    leaflet = get_document_model()(title="Leaflet")
    leaflet.file.save("leaflet.txt", ContentFile(b"x"), save=False)
    leaflet.save()
    with pytest.raises(ValidationError) as exc:
        make_campaign_page(parent=home_page, purpose="download", download_document=leaflet)
    assert "download_document" in exc.value.message_dict


def test_the_collection_is_restricted_to_the_staff_groups():
    collection = downloads.downloads_collection()
    (restriction,) = collection.get_view_restrictions()
    assert restriction.restriction_type == "groups"
    assert set(restriction.groups.values_list("name", flat=True)) == set(roles.DOWNLOADS_COLLECTION_GROUPS)
    assert downloads.downloads_collection() == collection  # found again, not created twice


def test_production_refuses_private_files_under_the_public_media_root(tmp_path):

    result = _check_production(
        {"MEDIA_ROOT": str(tmp_path / "media"), "PRIVATE_MEDIA_ROOT": str(tmp_path / "media" / "private")}
    )
    assert result.returncode != 0
    assert "PRIVATE_MEDIA_ROOT must not be inside MEDIA_ROOT" in result.stderr
