"""Wagtail's submissions listing and exports for campaign pages, and who may see them."""

import io

import openpyxl
import pytest
from django.urls import reverse

from forms import whitelist
from forms.models import PurposeField
from forms.services import submission_create

from .test_catalogue import VALID_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_page(page_factory, marketer):
    page = page_factory("partner_upgrade", owner=marketer)
    submission_create(
        page=page,
        data={
            "name": "王五",
            "mobile": "13900139000",
            "email": "wang@example.com",
            "id_card_number": VALID_ID,
            "company": "示例科技",
        },
        consent=True,
        verification_token=None,
        ip="203.0.113.9",
    )
    return page


@pytest.fixture
def compat_page(page_factory, marketer):
    page = page_factory("compatibility", slug="compat", owner=marketer)
    submission_create(
        page=page,
        data={"name": "李四", "company": "示例", "mobile": "13900139000", "mailing_address": "北京"},
        consent=True,
        verification_token=None,
        ip="203.0.113.9",
    )
    return page


def denied(response) -> bool:
    """Wagtail answers a refused admin view with a redirect to the dashboard (or a 403)."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/")


def listing(page):
    return reverse("wagtailforms:list_submissions", args=(page.pk,))


def test_listing_and_exports_never_show_plaintext_id(client, privacy_officer, partner_page):
    client.force_login(privacy_officer)
    html = client.get(listing(partner_page))
    assert html.status_code == 200
    body = html.content.decode()
    assert "***002X" in body and VALID_ID not in body
    assert "2023-03-07" in body  # policy version column

    csv = client.get(listing(partner_page) + "?export=csv")
    assert csv.status_code == 200
    text = b"".join(csv.streaming_content).decode() if csv.streaming else csv.content.decode()
    assert "***002X" in text and VALID_ID not in text

    xlsx = client.get(listing(partner_page) + "?export=xlsx")
    assert xlsx.status_code == 200
    content = b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert "***002X" in cells and VALID_ID not in cells


def test_marketers_see_their_leads_but_not_partner_applications(client, marketer, partner_page, compat_page):
    client.force_login(marketer)
    assert client.get(listing(compat_page)).status_code == 200
    assert "李四" in client.get(listing(compat_page)).content.decode()
    assert denied(client.get(listing(partner_page)))
    assert denied(client.get(listing(partner_page) + "?export=csv"))
    index = client.get(reverse("wagtailforms:index")).content.decode()
    assert compat_page.title in index and partner_page.title not in index


def test_privacy_staff_see_no_submissions(client, privacy_staff, compat_page):
    client.force_login(privacy_staff)
    assert denied(client.get(listing(compat_page)))


def test_whitelist_report_for_privacy_officers(client, privacy_officer, marketer, page_factory):

    page = page_factory("event")
    url = reverse("forms_whitelist_report")
    client.force_login(marketer)
    assert denied(client.get(url))
    client.force_login(privacy_officer)
    assert 'data-testid="whitelist-report-empty"' in client.get(url).content.decode()
    PurposeField.objects.filter(purpose__code="event", field_key="intended_city").delete()
    body = client.get(url).content.decode()
    assert 'data-testid="whitelist-report-row"' in body and page.title in body
    assert [p.pk for p, _ in whitelist.pages_breaking_whitelist()] == [page.pk]


def test_home_page_lists_live_campaigns(client, home_page, page_factory):
    page = page_factory("compatibility")
    assert list(home_page.live_campaigns()) == [page]
    assert page.title in client.get(home_page.url).content.decode()
