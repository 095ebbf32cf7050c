"""The policy and rights links in every page's header come from the cache, and follow edits at once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from home.models import PrivacyPolicyPage
from rights_requests.models import RightsRequestPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def rights_page(home_page):
    page = RightsRequestPage(title="隐私权利", slug="privacy-rights", thank_you_text="<p>谢谢</p>")
    home_page.add_child(instance=page)
    page.save_revision().publish()
    return page


def _header(client) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/").content.decode()
    return html, [q["sql"] for q in queries.captured_queries]


def test_warm_page_views_spend_no_query_on_the_links(client, policy, rights_page):
    html, _ = _header(client)
    assert f'href="{policy.url}" data-testid="header-policy-link"' in html
    assert f'href="{rights_page.url}" data-testid="header-rights-link"' in html
    html, sql = _header(client)
    assert 'data-testid="header-rights-link"' in html and "（2023-03-07）" in html
    touched = " ".join(sql)
    assert "home_privacypolicypage" not in touched
    assert "rights_requests_rightsrequestpage" not in touched


def test_a_new_policy_version_shows_at_once(client, policy):
    _header(client)
    newer = PrivacyPolicyPage(
        title="网页隐私政策",
        slug="2024-01-01",
        version_label="2024-01-01",
        updated_date=datetime.date(2024, 1, 1),
        effective_date=datetime.date(2024, 1, 1),
        body="<p>新版</p>",
    )
    policy.get_parent().add_child(instance=newer)
    newer.save_revision().publish()
    html, _ = _header(client)
    assert f'href="{newer.url}" data-testid="header-policy-link"' in html and "（2024-01-01）" in html
    newer.unpublish()
    html, _ = _header(client)
    assert "（2023-03-07）" in html and "2024-01-01" not in html


def test_the_rights_link_follows_unpublish_move_and_delete(client, home_page, policy, rights_page):
    _header(client)
    rights_page.unpublish()
    html, _ = _header(client)
    assert 'data-testid="header-rights-link"' not in html

    rights_page.save_revision().publish()
    section = home_page.add_child(instance=Page(title="关于", slug="about"))
    rights_page.refresh_from_db()
    rights_page.move(section, pos="last-child")
    rights_page.refresh_from_db()
    html, _ = _header(client)
    assert f'href="{rights_page.url}" data-testid="header-rights-link"' in html
    assert "/about/privacy-rights/" in rights_page.url

    rights_page.delete()
    html, _ = _header(client)
    assert 'data-testid="header-rights-link"' not in html
