import pytest
from django.test import override_settings


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_missing_page_gets_the_site_404(client, home_page):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'data-testid="error-404"' in response.content.decode()


@pytest.mark.django_db
def test_refused_staff_page_gets_the_site_403(client, marketer, home_page):
    client.force_login(marketer)
    response = client.get("/admin/rights_requests/rightsrequest/")
    assert response.status_code == 403
    assert 'data-testid="error-403"' in response.content.decode()
