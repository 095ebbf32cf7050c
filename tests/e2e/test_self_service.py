"""Issue 7 in a real browser: on "My data" the visitor proves the mobile by SMS code, sees what
is held (sensitive values masked), downloads a copy and files a delete request that starts verified."""

import csv
import io
import json

import pytest
from playwright.sync_api import expect

from forms.services import submission_create
from rights_requests.choices import State
from rights_requests.models import RightsRequest

from .helpers import campaign_page, campaigns_index, decline_optional_cookies, read_sms_code

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MOBILE = "13800138071"
ID_NUMBER = "11010519491231002X"
ID_MASKED = "***002X"
PERSON = {"name": "李娜", "company": "示例云计算有限公司", "mobile": MOBILE}
PARTNER = {
    **PERSON,
    "name_pinyin": "Li Na",
    "qq_wechat": "lina_cloud",
    "email": "li.na@example.com",
    "id_card_number": ID_NUMBER,
    "referrer": "王强",
    "referral_source": "渠道推荐",
    "position": "售前工程师",
}
COMPATIBILITY = {**PERSON, "mailing_address": "上海市浦东新区世纪大道 100 号"}


@pytest.fixture
def held_data(demo_policy):
    """Two submissions of the visitor (one with an ID number) and one of somebody else."""
    index = campaigns_index(demo_policy.get_parent().get_parent().specific)
    partner = campaign_page(
        parent=index, purpose="partner_upgrade", slug="upgrade", title="升级为合作伙伴", thanks="已提交"
    )
    compatibility = campaign_page(
        parent=index, purpose="compatibility", slug="compat", title="兼容性认证申请", thanks="已提交"
    )
    submit = {"consent": True, "verification_token": None, "ip": "203.0.113.7"}
    submission_create(page=partner, data=PARTNER, **submit)
    submission_create(page=compatibility, data=COMPATIBILITY, **submit)
    other = {**COMPATIBILITY, "name": "赵六", "mobile": "13900139072"}
    submission_create(page=compatibility, data=other, **submit)


def download(page, testid: str):
    with page.expect_download() as info:
        page.get_by_test_id(testid).click()
    return info.value.path().read_bytes().decode("utf-8-sig")


@pytest.mark.usefixtures("held_data")
def test_my_data_shows_masked_fields_downloads_and_files_a_verified_delete(page, kit):
    page.goto(kit.url + "/my-data/")
    decline_optional_cookies(page)
    expect(page.get_by_test_id("my-data-records")).to_have_count(0)

    # A landline is refused before any code is sent.
    page.get_by_test_id("mobile").fill("021-62345678")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("error-mobile")).to_be_visible()
    assert not kit.sms_dir.exists() or not list(kit.sms_dir.iterdir())

    page.get_by_test_id("mobile").fill(MOBILE)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    kit.shot(page, "code-sent")
    page.get_by_test_id("sms-code").fill(read_sms_code(MOBILE, kit.sms_dir))
    page.get_by_test_id("verify-code").click()

    expect(page.get_by_test_id("my-data-granted")).to_contain_text("8071")
    records = page.get_by_test_id("my-data-records")
    expect(records.locator("[data-purpose]")).to_have_count(2)
    partner = records.locator("[data-purpose=partner_upgrade]")
    expect(partner.get_by_test_id("value-id_card_number")).to_contain_text(ID_MASKED)
    expect(partner.get_by_test_id("value-name")).to_have_text("李娜")
    expect(partner.get_by_test_id("value-qq_wechat")).to_have_text("lina_cloud")
    compat = records.locator("[data-purpose=compatibility]")
    expect(compat.get_by_test_id("value-mailing_address")).to_have_text(COMPATIBILITY["mailing_address"])
    assert ID_NUMBER not in page.content()
    expect(page.get_by_text("赵六")).to_have_count(0)
    kit.shot(page, "my-data")

    # A copy to take away: JSON and CSV, with the ID number masked and nobody else's data.
    copy_json = download(page, "download-json")
    document = json.loads(copy_json)
    assert ID_NUMBER not in copy_json and ID_MASKED in copy_json
    assert "李娜" in copy_json and "赵六" not in copy_json
    assert len(document["records"]) == 2
    copy_csv = download(page, "download-csv")
    rows = list(csv.reader(io.StringIO(copy_csv)))
    assert len(rows) >= 3, rows  # a header and one row per record
    assert ID_NUMBER not in copy_csv and "赵六" not in copy_csv

    # A delete request filed here starts verified: the SMS code already proved the mobile.
    page.get_by_test_id("request-type").select_option("delete")
    page.get_by_test_id("request-details").fill("请删除我的全部信息。")
    page.get_by_test_id("file-request").click()
    rr = RightsRequest.objects.get()
    expect(page.get_by_test_id("filed")).to_contain_text(rr.reference)
    expect(page.get_by_test_id("my-requests")).to_contain_text(rr.reference)
    kit.shot(page, "request-filed")
    assert rr.request_type == "delete" and rr.state == State.VERIFIED
    page.get_by_test_id("filed-status-link").click()
    expect(page.get_by_test_id("rr-reference")).to_have_text(rr.reference)
    expect(page.get_by_test_id("rr-state")).to_have_attribute("data-state", State.VERIFIED)
    expect(page.get_by_test_id("rr-verification-pending")).to_have_count(0)
    kit.shot(page, "request-status")
