"""The admin's preview panel may frame the page it previews; the public page stays unframeable."""

import pytest
from django.urls import reverse


@pytest.fixture
def page(page_factory):
    return page_factory("event")


def test_preview_of_a_revision_may_be_framed_by_the_site_itself(client, superuser, page):
    client.force_login(superuser)
    url = reverse("wagtailadmin_pages:revisions_view", args=(page.pk, page.latest_revision_id))

    response = client.get(url)

    assert response.status_code == 200
    assert page.title in response.content.decode()
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_live_page_still_refuses_every_frame(client, page):
    response = client.get(page.url)

    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_visitor_cannot_reach_the_preview(client, page):
    url = reverse("wagtailadmin_pages:revisions_view", args=(page.pk, page.latest_revision_id))

    response = client.get(url)

    assert response.status_code == 302
    assert "frame-ancestors 'self'" not in response.get("Content-Security-Policy", "")
