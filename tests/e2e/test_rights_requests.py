"""Issue 6 in a real browser: a visitor files a delete request verified by SMS code, privacy
staff answer and close it within the 15 days, the visitor reads the answer, a marketer is refused."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from messaging.backends.file import latest_message
from rights_requests.choices import State
from rights_requests.models import RightsRequest, RightsRequestPage, local_date, today

from .helpers import admin_login, decline_optional_cookies, read_sms_code

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MOBILE = "13800138061"
MENU = re.compile("权利请求|Rights requests")
ANSWER = "我们已删除您在各项市场活动中留下的全部个人信息。"


@pytest.fixture
def rights_page(home_page):
    page = RightsRequestPage(
        title="行使您的个人信息权利", slug="rights", intro="<p>查阅、更正、删除您的个人信息。</p>"
    )
    home_page.add_child(instance=page)
    page.save_revision().publish()
    return page


def file_delete_request(page, kit, rights_page) -> RightsRequest:
    page.goto(kit.url + rights_page.url)
    decline_optional_cookies(page)
    page.locator("input[name=request_type][value=delete]").check()
    page.get_by_test_id("field-mobile").locator("input").fill(MOBILE)
    page.get_by_test_id("field-details").locator("textarea").fill("请删除我在巡展报名中留下的信息。")
    kit.shot(page, "request-form")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("sms-code")).to_be_visible()
    expect(page.locator("input[name=request_type][value=delete]")).to_be_checked()
    kit.shot(page, "code-step")
    page.get_by_test_id("sms-code").fill(read_sms_code(MOBILE, kit.sms_dir))
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("rr-status")).to_be_visible()
    return RightsRequest.objects.get()


@pytest.mark.usefixtures("privacy_staff", "marketer")
def test_delete_request_answered_by_staff_and_refused_to_marketers(page, kit, rights_page):
    # The visitor files the request and proves the mobile with the SMS code.
    rr = file_delete_request(page, kit, rights_page)
    assert rr.request_type == "delete"
    status_url = page.url
    expect(page.get_by_test_id("rr-reference")).to_have_text(rr.reference)
    expect(page.get_by_test_id("rr-state")).to_have_attribute("data-state", State.VERIFIED)
    # Due 15 days after the day it was received (Asia/Shanghai); shown as the days left today,
    # which is 15 unless the test runs across local midnight.
    assert (rr.due_date - local_date(rr.received_at)).days == 15
    days_left = str((rr.due_date - today()).days)
    expect(page.get_by_test_id("rr-days-left")).to_have_attribute("data-days", days_left)
    expect(page.get_by_test_id("rr-answer")).to_have_count(0)
    kit.shot(page, "status-filed")

    # Privacy staff log in, find it in the menu, due in 15 days, answer and close it.
    staff = kit.new_page()
    admin_login(staff, kit.url, "staff", "pw-staff")
    staff.get_by_role("link", name=MENU).first.click()
    row = staff.locator("tr", has=staff.get_by_test_id(f"rr-row-{rr.reference}"))
    expect(row).to_be_visible()
    expect(row.get_by_test_id("rr-days-left")).to_have_text(days_left)
    kit.shot(staff, "staff-list")
    staff.get_by_test_id(f"rr-row-{rr.reference}").click()
    expect(staff.get_by_test_id("rr-state")).to_have_attribute("data-state", State.VERIFIED)
    expect(staff.get_by_test_id("rr-days-left")).to_have_attribute("data-days", days_left)
    answer = staff.get_by_test_id("rr-action-answer")
    answer.locator("select[name=answer-outcome]").select_option("fulfilled")
    answer.locator("textarea[name=answer-response]").fill(ANSWER)
    kit.shot(staff, "staff-answer-form")
    staff.get_by_test_id("rr-submit-answer").click()
    expect(staff.get_by_test_id("rr-state")).to_have_attribute("data-state", State.ANSWERED)
    expect(staff.get_by_test_id("rr-answer")).to_contain_text(ANSWER)
    staff.get_by_test_id("rr-submit-close").click()
    expect(staff.get_by_test_id("rr-state")).to_have_attribute("data-state", State.CLOSED)
    expect(staff.get_by_test_id("rr-timeline-answer")).to_be_visible()
    expect(staff.get_by_test_id("rr-timeline-close")).to_be_visible()
    expect(staff.get_by_test_id("rr-no-actions")).to_be_visible()
    kit.shot(staff, "staff-closed")
    rr.refresh_from_db()
    assert rr.state == State.CLOSED and rr.outcome == "fulfilled"
    assert rr.answered_by.username == "staff"

    # The requester is told by SMS and reads the answer on the private status page.
    notice = latest_message(MOBILE, file_path=kit.sms_dir)
    assert rr.reference in notice and re.search("answered|答复", notice), notice
    page.goto(status_url)
    expect(page.get_by_test_id("rr-state")).to_have_attribute("data-state", State.CLOSED)
    expect(page.get_by_test_id("rr-outcome")).to_have_attribute("data-outcome", "fulfilled")
    expect(page.get_by_test_id("rr-response")).to_have_text(ANSWER)
    expect(page.get_by_test_id("rr-withdraw")).to_have_count(0)
    kit.shot(page, "status-answered")
    forged = reverse("rights_requests:status", kwargs={"reference": rr.reference, "token": "x" * 43})
    assert page.goto(kit.url + forged).status == 404

    # A marketer sees no such menu and is refused at the URLs.
    marketer = kit.new_page()
    admin_login(marketer, kit.url, "marketer", "pw-marketer")
    expect(marketer.get_by_role("link", name=MENU)).to_have_count(0)
    kit.shot(marketer, "marketer-dashboard")
    index_url = reverse("rights_requests_rightsrequest_modeladmin_index")
    inspect_url = reverse("rights_requests_rightsrequest_modeladmin_inspect", args=[rr.pk])
    for url in (index_url, inspect_url):
        response = marketer.goto(kit.url + url)
        assert response.status in (403, 404), (url, response.status)
        expect(marketer.get_by_text(ANSWER)).to_have_count(0)
    kit.shot(marketer, "marketer-refused")
