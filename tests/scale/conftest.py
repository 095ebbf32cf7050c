"""Fixtures for the scale suite: a published policy, campaign pages, many rows."""

import pytest

from tests.forms.utils import make_campaign_page, personal, question
from tests.isolation import isolated_messages
from tests.limits import relax_message_limits


@pytest.fixture(autouse=True)
def _isolated_services(settings):
    relax_message_limits(settings)
    with isolated_messages(
        settings, cache="scale-tests", cache_options={"MAX_ENTRIES": 100_000}, tasks=True, email=True
    ):
        yield


@pytest.fixture
def campaign(home_page, policy):
    """A compatibility-certification page (no SMS) with every kind of non-personal question."""

    rows = [
        personal("name"),
        personal("company"),
        personal("mobile"),
        personal("mailing_address"),
        question("Product category", "dropdown", required=True, choices="服务器\n存储\n网络设备"),
        question("Modules used", "checkboxes", choices="Cloud\nCube\nZaku"),
        question("Rack units", "number"),
        question("Comments", "multiline"),
        question("Planned start", "date"),
    ]
    return make_campaign_page(parent=home_page, purpose="compatibility", rows=rows)


@pytest.fixture
def sms_campaign(home_page, policy):
    """A roadshow page: its purpose requires SMS verification of the mobile."""
    return make_campaign_page(parent=home_page, purpose="event")
