"""A roadshow run end to end in a real browser: two cities of two seats, three sign-ups for one
city (the third waits), a cancellation through the personal link promotes and tells the third,
the invite opens as an event, check-in by the QR code's token at the door, and the campaign
report shows the funnel. Links in the messages point at the site as it is served (its own port)."""

import datetime
import re
import time

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from forms import operations
from forms.models import CampaignSession, Registration
from home.demo import point_site_at
from tests.conftest import make_user

from .helpers import (
    VISITOR,
    admin_login,
    both_widths,
    campaign_page,
    campaigns_index,
    decline_optional_cookies,
    fill_campaign_form,
    verify_and_submit_campaign,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THANKS = "报名成功！"


def mails_to(address: str, count: int, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mail.outbox if m.to == [address]]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} e-mail(s) to {address}, got {len(found)}")
        time.sleep(0.1)


def sign_up(visitor_page, kit, roadshow, n: int):
    visitor_page.goto(kit.url + roadshow.url + "?utm_source=wechat&utm_medium=social")
    decline_optional_cookies(visitor_page)
    fill_campaign_form(
        visitor_page,
        {
            "name": f"访客{n}",
            "company": VISITOR["company"],
            "email": f"guest{n}@example.com",
            "intended_city": "上海",
        },
    )
    verify_and_submit_campaign(visitor_page, f"1380013800{n}", kit.sms_dir)
    expect(visitor_page.get_by_test_id("thank-you")).to_be_visible()


def test_roadshow_seats_waiting_list_invite_check_in_and_report(page, kit, demo_policy, live_server):
    point_site_at(live_server.url)
    home = demo_policy.get_parent().get_parent().specific
    starts = timezone.make_aware(datetime.datetime(2027, 4, 8, 14, 0))
    roadshow = campaign_page(
        parent=campaigns_index(home),
        purpose="event",
        slug="roadshow-two-cities",
        title="2027 巡展",
        thanks=THANKS,
        cities="北京\n上海",
        sessions=[
            CampaignSession(city="北京", capacity=2, starts_at=starts, venue="国家会议中心"),
            CampaignSession(city="上海", capacity=2, starts_at=starts, venue="世博中心"),
        ],
    )
    mail.outbox.clear()
    page.goto(kit.url + roadshow.url)
    decline_optional_cookies(page)
    expect(page.get_by_test_id("sessions")).to_contain_text("世博中心")
    both_widths(page, kit, "form")

    visitors = [kit.new_page() for _n in range(3)]
    for n, visitor in enumerate(visitors, start=1):
        sign_up(visitor, kit, roadshow, n)
    first, second, third = visitors
    expect(first.get_by_test_id("registration-status")).to_have_attribute("data-status", "confirmed")
    expect(second.get_by_test_id("registration-status")).to_have_attribute("data-status", "confirmed")
    status = third.get_by_test_id("registration-status")
    expect(status).to_have_attribute("data-status", "waitlisted")
    expect(status).to_contain_text("第 1 位")
    assert "?thanks=" in third.url
    expect(third.get_by_test_id("thank-you-policy-link")).to_be_visible()
    both_widths(third, kit, "waitlisted")
    # A reload shows the same thank-you page: nothing is posted again.
    third.reload()
    expect(third.get_by_test_id("registration-status")).to_have_attribute("data-status", "waitlisted")
    expect(third.locator(".errorlist")).to_have_count(0)
    assert Registration.objects.filter(page_id=roadshow.pk).count() == 3

    # The first visitor cancels through the link of their confirmation e-mail.
    (confirmation,) = mails_to("guest1@example.com", 1)
    link = re.search(r"https?://\S+/sign-ups/\S+/", confirmation.body).group(0)
    assert link.startswith(live_server.url + "/sign-ups/")  # the site's own host and port
    first.goto(link)
    expect(first.get_by_test_id("registration-status")).to_have_attribute("data-status", "confirmed")
    first.get_by_test_id("cancel").click()
    expect(first.get_by_test_id("done")).to_be_visible()
    expect(first.get_by_test_id("registration-status")).to_have_attribute("data-status", "cancelled")

    # The third is promoted and told, with the calendar invite and the check-in code.
    waiting, promoted = mails_to("guest3@example.com", 2)
    assert "候补" in waiting.subject
    invite = dict((name, content) for name, content, _type in promoted.attachments)["invite.ics"]
    event = Calendar.from_ical(invite).walk("VEVENT")[0]
    assert str(event["summary"]) == "2027 巡展"
    assert event.decoded("dtstart") == starts
    assert "世博中心" in str(event["location"])
    third_link = re.search(r"https?://\S+/sign-ups/\S+/", promoted.body).group(0)
    third.goto(third_link)
    expect(third.get_by_test_id("registration-status")).to_have_attribute("data-status", "confirmed")
    expect(third.get_by_test_id("checkin-qr").locator("svg")).to_be_visible()
    code = third.get_by_test_id("checkin-code").inner_text().strip()
    both_widths(third, kit, "sign-up-page")
    with third.expect_download() as download:
        third.get_by_test_id("ics-link").click()
    assert Calendar.from_ical(open(download.value.path(), "rb").read()).walk("VEVENT")

    # At the door: event staff scan (type) the code.
    make_user("door", ["Event staff"])
    staff = kit.new_page()
    admin_login(staff, kit.url, "door", "pw-door")
    staff.goto(f"{kit.url}/admin/forms/campaigns/")
    staff.get_by_test_id("check-in-link").first.click()
    staff.get_by_test_id("check-in-code").fill(code)
    staff.get_by_role("button", name="签到").click()
    expect(staff.get_by_test_id("check-in-result")).to_have_attribute("data-outcome", "checked_in")
    expect(staff.get_by_test_id("check-in-result")).to_contain_text("访客3")
    both_widths(staff, kit, "check-in")
    staff.get_by_test_id("check-in-code").fill(code)
    staff.get_by_role("button", name="签到").click()
    expect(staff.get_by_test_id("check-in-result")).to_have_attribute("data-outcome", "already")
    third_registration = Registration.objects.get(page_id=roadshow.pk, submission__form_data__name="访客3")
    assert operations.checkin_code(third_registration) == code
    assert third_registration.checked_in_at is not None

    # The campaign report shows the funnel.
    make_user("lead", ["Marketing leads"])
    admin_login(page, kit.url, "lead", "pw-lead")
    page.goto(f"{kit.url}/admin/forms/campaigns/{roadshow.pk}/report/")
    chart = page.get_by_test_id("funnel-chart")
    expect(chart).to_be_visible()
    expect(chart.locator('[data-step="submitted"]')).to_have_attribute("data-value", "3")
    expect(chart.locator('[data-step="waitlisted"]')).to_have_attribute("data-value", "1")
    expect(chart.locator('[data-step="promoted"]')).to_have_attribute("data-value", "1")
    expect(chart.locator('[data-step="checked_in"]')).to_have_attribute("data-value", "1")
    both_widths(page, kit, "report")
