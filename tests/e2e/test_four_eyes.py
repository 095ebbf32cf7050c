"""Four eyes on clear sensitive values, in a real browser: a person whose partner-upgrade
submission holds an ID number files an access request proven by SMS code; privacy staff build
the copy and find it held; a Privacy officer who had no part in it approves it with a note; the
requester downloads the JSON from the private status page. The ID number is in the download
and in no staff page, except the officer's recorded "show in clear" view. The requester then
proves the e-mail by the link mailed to it (GET asks, POST confirms)."""

import json
import re
import time

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import expect
from wagtail.models import Site

from rights_requests.choices import State
from rights_requests.fulfilment.models import AccessPackage
from rights_requests.models import RightsRequest, RightsRequestPage
from tests.forms.utils import make_campaign_page
from tests.fulfilment.conftest import EMAIL, ID_NUMBER, MOBILE, person_data
from tests.limits import relax_message_limits

from .conftest import ARTIFACTS
from .helpers import admin_login, decline_optional_cookies, read_sms_code

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

APPROVAL_NOTE = "本人经短信验证码核验，身份证号为其本人信息，可明文提供。"
REVEAL_REASON = "核对本人申请的身份证号与报名记录是否一致。"
CONFIRM_LINK_RE = re.compile(r"https?://\S+/rights-requests/confirm-email/[^/\s]+/")
MOBILE_WIDTH = {"width": 390, "height": 844}
DESKTOP_WIDTH = {"width": 1280, "height": 900}


@pytest.fixture
def site_on_live_server(live_server, home_page):
    """Links the site writes (status, package, e-mail confirmation) point at the test server."""
    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = host, int(port)
    site.save()
    return site


@pytest.fixture
def person(settings, policy, home_page, sms_files):
    """Three submissions of one person; the partner-upgrade one holds the ID number."""
    relax_message_limits(settings, 100)
    pages = {
        code: make_campaign_page(parent=home_page, purpose=code)
        for code in ("compatibility", "partner_upgrade", "event")
    }
    with override_settings(SMS_BACKEND="messaging.backends.locmem.SMSBackend"):
        submissions = person_data(pages)
    caches["default"].clear()  # the requester may ask for a code at once (resend limit per mobile)
    return submissions


@pytest.fixture
def rights_page(home_page):
    page = RightsRequestPage(
        title="行使您的个人信息权利", slug="rights", intro="<p>查阅、复制您的个人信息。</p>"
    )
    home_page.add_child(instance=page)
    page.save_revision().publish()
    return page


# The Wagtail admin scrolls inside its own panel, so a "full page" screenshot of the window
# stops at the viewport: grow the viewport to the tallest scrolled content first.
CONTENT_HEIGHT_JS = """() => {
  let height = document.documentElement.scrollHeight;
  for (const el of document.querySelectorAll("body *")) {
    const overflow = getComputedStyle(el).overflowY;
    if ((overflow === "auto" || overflow === "scroll") && el.scrollHeight > el.clientHeight) {
      height = Math.max(height, el.getBoundingClientRect().top + window.scrollY + el.scrollHeight);
    }
  }
  return Math.ceil(height);
}"""


def both_widths(kit, page, name: str) -> None:
    """Full-page screenshots at 1280 px and 390 px wide."""
    for label, size in (("1280", DESKTOP_WIDTH), ("390", MOBILE_WIDTH)):
        page.set_viewport_size(size)
        page.wait_for_timeout(250)  # the admin's sidebar slides in or out
        height = page.evaluate(CONTENT_HEIGHT_JS)
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
        kit.shot(page, f"{name}-{label}")
    page.set_viewport_size(DESKTOP_WIDTH)


def wait_for_mail(to: str, subject_part: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mail.outbox if to in m.to and subject_part in m.subject]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no e-mail to {to} about {subject_part!r}: {[m.subject for m in mail.outbox]}"
            )
        time.sleep(0.1)


def file_access_request(page, kit, rights_page) -> RightsRequest:
    page.goto(kit.url + rights_page.url)
    decline_optional_cookies(page)
    page.locator("input[name=request_type][value=access]").check()
    page.get_by_test_id("field-mobile").locator("input").fill(MOBILE)
    page.get_by_test_id("field-email").locator("input").fill(EMAIL)
    page.get_by_test_id("field-details").locator("textarea").fill("请提供你们持有的我的全部个人信息副本。")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("sms-code")).to_be_visible()
    page.get_by_test_id("sms-code").fill(read_sms_code(MOBILE, kit.sms_dir))
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("rr-status")).to_be_visible()
    return RightsRequest.objects.get()


@pytest.mark.usefixtures("site_on_live_server", "person", "privacy_staff", "privacy_officer")
def test_clear_id_number_needs_a_second_person_and_reaches_only_the_requester(
    page, kit, rights_page, request
):
    staff_html: list[str] = []

    # The requester files an access request, proving the mobile by SMS; the e-mail is not proven yet.
    rr = file_access_request(page, kit, rights_page)
    status_url = page.url
    assert rr.request_type == "access" and rr.state == State.VERIFIED
    assert rr.mobile_proven and not rr.email_proven
    expect(page.get_by_test_id("rr-email-unconfirmed")).to_be_visible()
    expect(page.get_by_test_id("rr-package")).to_have_count(0)

    # Privacy staff open the request: both identifiers, only the mobile proven.
    staff = kit.new_page()
    admin_login(staff, kit.url, "staff", "pw-staff")
    staff.goto(kit.url + reverse("rights_requests_rightsrequest_modeladmin_inspect", args=[rr.pk]))
    expect(staff.get_by_test_id("rr-identifier-mobile")).to_have_attribute("data-proven", "yes")
    expect(staff.get_by_test_id("rr-identifier-email")).to_have_attribute("data-proven", "no")
    both_widths(kit, staff, "inspect-identifiers")
    staff.get_by_test_id("rr-identifiers").screenshot(
        path=str(ARTIFACTS / f"{request.node.name}-identifiers-row.png")
    )
    staff_html.append(staff.content())

    # They build the copy from the fulfilment page: it holds the ID number in clear, so it is held.
    staff.get_by_test_id("rr-fulfil-link").click()
    expect(staff.get_by_test_id("fulfilment-identifiers")).to_be_visible()
    staff.get_by_test_id("fulfilment-submit-package").click()
    package = AccessPackage.objects.get(rights_request=rr)
    assert package.clear_sensitive and package.released_at is None and package.built_by.username == "staff"
    held = staff.get_by_test_id(f"fulfilment-pending-{package.pk}")
    expect(held).to_be_visible()
    expect(staff.get_by_test_id("fulfilment-approve-package")).to_have_count(0)
    expect(staff.get_by_test_id("fulfilment-submit-approve")).to_have_count(0)
    expect(staff.get_by_test_id("fulfilment-release-masked")).to_be_visible()
    expect(staff.get_by_test_id("fulfilment-action-package")).to_have_count(0)
    both_widths(kit, staff, "staff-held")
    staff_html.append(staff.content())

    # Nothing reached the requester yet.
    page.goto(status_url)
    expect(page.get_by_test_id("rr-package")).to_have_count(0)

    # A Privacy officer finds it in the pending list and approves it with a note.
    officer = kit.new_page()
    admin_login(officer, kit.url, "officer", "pw-officer")
    officer.goto(kit.url + reverse("fulfilment_pending_packages"))
    row = officer.get_by_test_id(f"pending-{package.pk}")
    expect(row).to_contain_text(rr.reference)
    both_widths(kit, officer, "pending-list")
    staff_html.append(officer.content())
    row.get_by_role("link", name=rr.reference).click()
    approve = officer.get_by_test_id("fulfilment-approve-package")
    expect(approve).to_be_visible()
    both_widths(kit, officer, "officer-approve-form")
    staff_html.append(officer.content())
    approve.locator("input[name=note]").fill(APPROVAL_NOTE)
    officer.get_by_test_id("fulfilment-submit-approve").click()
    expect(officer.get_by_test_id("fulfilment-approve-package")).to_have_count(0)
    expect(officer.get_by_test_id("fulfilment-step-approved")).to_contain_text(APPROVAL_NOTE)
    staff_html.append(officer.content())
    package.refresh_from_db()
    rr.refresh_from_db()
    assert package.approved_by.username == "officer" and package.released_at is not None
    assert rr.state == State.ANSWERED
    staff.reload()
    expect(staff.get_by_test_id(f"fulfilment-pending-{package.pk}")).to_have_count(0)
    staff_html.append(staff.content())

    # The ID number appears in no staff page.
    for html in staff_html:
        assert ID_NUMBER not in html
    # The e-mail was never proven: the package link was not mailed to it.
    assert not [m for m in mail.outbox if package.sha256 in m.body]

    # The requester downloads the copy from the private status page; it holds the ID number.
    page.goto(status_url)
    section = page.get_by_test_id("rr-package")
    expect(section).to_be_visible()
    expect(section).to_contain_text(package.sha256)
    expect(page.get_by_test_id("rr-email-unconfirmed")).to_be_visible()
    both_widths(kit, page, "status-package")
    assert ID_NUMBER not in page.content()
    with page.expect_download() as info:
        page.get_by_test_id("rr-package-json").click()
    document = json.loads(open(info.value.path(), encoding="utf-8").read())
    held_values = [r["fields"].get("id_card_number") for r in document["records"]]
    assert ID_NUMBER in held_values, held_values
    package.refresh_from_db()
    assert package.downloaded_at is not None

    # Only a recorded "show in clear" shows an officer the value, for that one response.
    officer.get_by_test_id("reveal-form").locator("input[name=reason]").fill(REVEAL_REASON)
    officer.get_by_test_id("reveal-submit").click()
    expect(officer.get_by_test_id("reveal-on")).to_be_visible()
    assert ID_NUMBER in officer.content()
    both_widths(kit, officer, "officer-revealed")
    officer.goto(officer.url)  # a GET, not the reveal POST again: masked once more
    expect(officer.get_by_test_id("reveal-form")).to_be_visible()
    assert ID_NUMBER not in officer.content()

    # The requester proves the e-mail by the link mailed to it: GET asks, the button confirms.
    message = wait_for_mail(EMAIL, rr.reference)
    match = CONFIRM_LINK_RE.search(message.body)
    assert match, message.body
    link = match.group(0)
    assert link.startswith(kit.url), link
    page.goto(link)
    expect(page.get_by_test_id("rr-confirm-email")).to_have_attribute("data-result", "ask")
    both_widths(kit, page, "confirm-ask")
    rr.refresh_from_db()
    assert not rr.email_proven
    page.get_by_test_id("rr-confirm-submit").click()
    expect(page.get_by_test_id("rr-confirm-done")).to_contain_text(rr.reference)
    both_widths(kit, page, "confirm-done")
    rr.refresh_from_db()
    assert rr.email_proven
    page.goto(status_url)
    expect(page.get_by_test_id("rr-email-unconfirmed")).to_have_count(0)

    # A forged link is refused with a friendly page and proves nothing.
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = page.goto(kit.url + reverse("rights_requests:confirm_email", kwargs={"token": forged}))
    assert response.status == 404
    expect(page.get_by_test_id("rr-confirm-error")).to_be_visible()
    expect(page.get_by_test_id("rr-confirm-submit")).to_have_count(0)
    both_widths(kit, page, "confirm-invalid")
