"""The proof-of-work in a real browser: past the threshold for a number, the page solves the
server's challenge with the vendored ALTCHA library and the code still arrives, with nothing
for the visitor to do. Runs at the production cost (PBKDF2/SHA-256, cost 5000)."""

import re
import time

import pytest
from playwright.sync_api import expect

from messaging.backends.file import latest_message
from rights_requests.models import RightsRequestPage
from verification import services as sms

from .helpers import campaign_page, campaigns_index, decline_optional_cookies, read_sms_code

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MOBILE = "13800138071"


def codes_elsewhere(purposes=("training", "survey", "trial")):
    """Three codes for MOBILE under other purposes from other clients: the next one needs a proof."""
    for n, purpose in enumerate(purposes):
        sms.challenge_create(mobile=MOBILE, purpose=purpose, ip=f"198.51.100.{n + 1}")


@pytest.fixture
def production_cost(settings):
    settings.POW_COST = 5000


def test_the_campaign_page_solves_the_check_and_sends_the_code(page, kit, demo_policy, production_cost):
    campaigns = campaigns_index(demo_policy.get_parent().get_parent().specific)
    roadshow = campaign_page(
        parent=campaigns, purpose="event", slug="roadshow-pow", title="巡展 · 校验", thanks="谢谢"
    )
    codes_elsewhere()
    read_sms_code(MOBILE, kit.sms_dir)
    seeded = latest_message(MOBILE, file_path=kit.sms_dir)
    page.goto(kit.url + roadshow.url)
    decline_optional_cookies(page)
    page.get_by_test_id("field-mobile").locator("input").fill(MOBILE)
    page.evaluate("window.notReloaded = true")
    started = time.monotonic()
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("challenge-id")).not_to_have_value("", timeout=30_000)
    assert page.evaluate("window.notReloaded === true"), (
        "the page was reloaded: the script did not handle the 428"
    )
    code = read_sms_code(MOBILE, kit.sms_dir, after=seeded, timeout=60)
    elapsed = time.monotonic() - started
    expect(page.get_by_test_id("sms-message")).not_to_have_class(re.compile("error"))
    assert re.fullmatch(r"\d{6}", code)
    print(f"browser proof-of-work and code request at cost 5000: {elapsed:.1f} s")
    kit.shot(page, "code-after-proof")


def test_the_rights_request_page_solves_the_check_without_the_fetch_script(
    page, kit, home_page, production_cost
):
    rights_page = RightsRequestPage(title="行使您的个人信息权利", slug="rights-pow")
    home_page.add_child(instance=rights_page)
    rights_page.save_revision().publish()
    codes_elsewhere()
    read_sms_code(MOBILE, kit.sms_dir)
    seeded = latest_message(MOBILE, file_path=kit.sms_dir)
    page.goto(kit.url + rights_page.url)
    decline_optional_cookies(page)
    page.locator("input[name=request_type][value=access]").check()
    page.get_by_test_id("field-mobile").locator("input").fill(MOBILE)
    page.get_by_test_id("send-code").click()
    # The server asks for a check; the page solves it and sends the form again by itself.
    expect(page.get_by_test_id("sms-code")).to_be_visible(timeout=60_000)
    assert re.fullmatch(r"\d{6}", read_sms_code(MOBILE, kit.sms_dir, after=seeded, timeout=30))
    kit.shot(page, "rights-code-after-proof")
