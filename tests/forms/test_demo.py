import pytest
from wagtail.documents import get_document_model
from wagtail.models import Collection

from forms import demo
from forms.demo import create_demo_campaigns
from forms.downloads import document_is_private
from forms.models import CampaignFormPage, CampaignIndexPage, Purpose

pytestmark = pytest.mark.django_db


def test_demo_creates_one_live_page_per_purpose_idempotently(client, home_page, policy):
    pages = create_demo_campaigns(parent=home_page)
    assert len(pages) == Purpose.objects.count() == 11
    assert {p.purpose.code for p in pages} == set(Purpose.objects.values_list("code", flat=True))
    assert all(p.live for p in pages)
    again = create_demo_campaigns(parent=home_page)
    assert [p.pk for p in again] == [p.pk for p in pages]
    assert CampaignFormPage.objects.count() == 11 and CampaignIndexPage.objects.count() == 1

    index = CampaignIndexPage.objects.get()
    listing = client.get(index.url)
    assert listing.status_code == 200
    assert listing.content.decode().count('data-testid="campaign-') >= 11
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 200, page.slug
        html = response.content.decode()
        assert ('data-testid="send-code"' in html) is page.purpose.sms_required
    document = CampaignFormPage.objects.get(purpose__code="download").download_document
    assert document is not None
    assert document_is_private(document)
    assert client.get(document.url).status_code == 302  # to the login page, not the file


def test_demo_moves_a_public_white_paper_into_the_private_collection(home_page, policy):

    document = demo._demo_document()
    get_document_model().objects.filter(pk=document.pk).update(collection=Collection.get_first_root_node())
    assert demo._demo_document().pk == document.pk
    assert document_is_private(get_document_model().objects.get(pk=document.pk))
