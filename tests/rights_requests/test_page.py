"""The visitor page is a Wagtail page that marketers can place and edit."""

import pytest

from home.models import HomePage
from rights_requests.models import RightsRequestPage

pytestmark = pytest.mark.django_db


def test_marketer_may_add_the_page_under_the_home_page(home_page, marketer):
    assert RightsRequestPage.can_create_at(home_page)
    assert RightsRequestPage in home_page.specific.allowed_subpage_models()
    assert home_page.permissions_for_user(marketer).can_add_subpage()


def test_marketer_may_edit_it_and_submit_it_for_moderation(rights_page, marketer):
    perms = rights_page.permissions_for_user(marketer)
    assert perms.can_edit()
    assert not perms.can_publish()  # marketers publish nothing directly (see core.roles)


def test_page_lives_only_under_the_home_page():
    assert RightsRequestPage.parent_page_types == ["home.HomePage"]
    assert RightsRequestPage.allowed_parent_page_models() == [HomePage]
    assert RightsRequestPage.subpage_types == []


def test_add_page_form_in_the_admin(client, home_page, marketer):
    client.force_login(marketer)
    url = f"/admin/pages/add/rights_requests/rightsrequestpage/{home_page.pk}/"
    assert client.get(url).status_code == 200
