"""Issue 4 in a real browser, with the file SMS backend: a visitor reads the code from the SMS,
waits out the resend countdown, and gets a download link by e-mail that serves the file."""

import html
import re
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.files.base import ContentFile
from playwright.sync_api import expect
from wagtail.documents import get_document_model

from forms.downloads import downloads_collection, make_download_token
from forms.models import CampaignSubmission, DocumentDownload

from .helpers import (
    VISITOR,
    campaign_page,
    campaigns_index,
    decline_optional_cookies,
    fill_campaign_form,
    read_sms_code,
    verify_and_submit_campaign,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROADSHOW_THANKS = "报名成功！会前我们将与您确认参会信息。"
DOWNLOAD_THANKS = "提交成功！下载链接已发送至您的邮箱，请在 7 天内下载。"
WHITEPAPER = "ZStack Cloud 产品白皮书（演示版）\n\n仅供演示使用。\n".encode()
LINK_RE = re.compile(r"https?://\S+/downloads/[^/\s]+/")


@pytest.fixture
def campaigns(demo_policy):
    return campaigns_index(demo_policy.get_parent().get_parent().specific)


@pytest.fixture
def whitepaper():
    document = get_document_model()(title="ZStack Cloud 产品白皮书", collection=downloads_collection())
    document.file.save("whitepaper-e2e.txt", ContentFile(WHITEPAPER), save=False)
    document.save()
    return document


def wait_for_mail(count: int, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} e-mail(s), got {len(mail.outbox)}")
        time.sleep(0.1)
    return mail.outbox


def test_roadshow_code_countdown_and_thank_you(page, kit, campaigns):
    roadshow = campaign_page(
        parent=campaigns,
        purpose="event",
        slug="roadshow-beijing",
        title="巡展 · 北京站",
        thanks=ROADSHOW_THANKS,
    )
    mobile = "13800138041"
    page.goto(kit.url + roadshow.url)
    decline_optional_cookies(page)
    fill_campaign_form(
        page, {**{k: VISITOR[k] for k in ("name", "company", "email")}, "intended_city": "北京"}
    )
    page.get_by_test_id("field-mobile").locator("input").fill(mobile)

    send = page.get_by_test_id("send-code")
    expect(send).to_have_text(re.compile("Send code|获取验证码"))
    send.click()
    # The button counts down until a new code may be requested.
    expect(send).to_be_disabled()
    expect(send).to_have_text(re.compile(r"\b(60|59|58)\b"))
    expect(page.get_by_test_id("sms-message")).not_to_be_empty()
    kit.shot(page, "countdown")
    first_label = send.inner_text()
    expect(send).not_to_have_text(first_label, timeout=3_000)

    code = read_sms_code(mobile, kit.sms_dir)
    sms_text = next(kit.sms_dir.glob("*.txt")).read_text(encoding="utf-8")
    assert re.search(r"\b5\b", sms_text.replace(code, "")), sms_text  # names the validity (minutes)

    # A wrong code is refused with a message and stores nothing.
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_test_id("sms-code").fill(wrong)
    page.get_by_test_id("consent").check()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("error-sms_code")).to_be_visible()
    kit.shot(page, "wrong-code")
    assert not CampaignSubmission.objects.exists()
    expect(page.get_by_test_id("field-name").locator("input")).to_have_value(VISITOR["name"])

    page.get_by_test_id("sms-code").fill(code)
    if not page.get_by_test_id("consent").is_checked():
        page.get_by_test_id("consent").check()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("thank-you-text")).to_have_text(ROADSHOW_THANKS)
    kit.shot(page, "thank-you")
    submission = CampaignSubmission.objects.get()
    assert submission.purpose.code == "event"
    assert code not in str(submission.form_data)


def test_download_link_by_email_serves_the_file(page, kit, campaigns, whitepaper):
    download = campaign_page(
        parent=campaigns,
        purpose="download",
        slug="download-whitepaper",
        title="下载 ZStack Cloud 产品白皮书",
        thanks=DOWNLOAD_THANKS,
        download_document=whitepaper,
    )
    mail.outbox.clear()
    page.goto(kit.url + download.url)
    decline_optional_cookies(page)
    fill_campaign_form(page, {k: VISITOR[k] for k in ("name", "company", "email")})
    verify_and_submit_campaign(page, "13800138042", kit.sms_dir)
    expect(page.get_by_test_id("thank-you-text")).to_have_text(DOWNLOAD_THANKS)
    kit.shot(page, "thank-you")

    (message,) = wait_for_mail(1)
    assert message.to == [VISITOR["email"]]
    assert "ZStack Cloud 产品白皮书" in message.subject
    match = LINK_RE.search(message.body)
    assert match, message.body
    # The site's configured root URL is not the test server's: keep the path, use the live server.
    link = kit.url + "/downloads/" + match.group(0).split("/downloads/", 1)[1]

    # The visitor opens the e-mail and clicks the link.
    inbox = kit.new_page()
    inbox.set_content(
        f'<pre data-testid="mail">{html.escape(message.body)}</pre><a href="{html.escape(link)}">{html.escape(link)}</a>'
    )
    kit.shot(inbox, "e-mail")
    with inbox.expect_download() as info:
        inbox.get_by_role("link").click()
    downloaded = info.value
    assert downloaded.suggested_filename.endswith(".txt")
    assert open(downloaded.path(), "rb").read() == WHITEPAPER
    assert DocumentDownload.objects.filter(document=whitepaper).count() == 1

    # A forged link and an expired one get a friendly page, not an error.
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = page.goto(f"{kit.url}/downloads/{forged}/")
    assert response.status == 404
    expect(page.get_by_test_id("download-link-invalid")).to_be_visible()
    kit.shot(page, "forged-link")

    submission = CampaignSubmission.objects.get()
    eight_days_ago = time.time() - 8 * 86400
    with mock.patch.object(signing, "time", SimpleNamespace(time=lambda: eight_days_ago)):
        expired = make_download_token(submission_id=submission.pk, document_id=whitepaper.pk)
    response = page.goto(f"{kit.url}/downloads/{expired}/")
    assert response.status == 410
    expect(page.get_by_test_id("download-link-expired")).to_be_visible()
    expect(page.get_by_test_id("download-link-expired")).to_contain_text("7")
    kit.shot(page, "expired-link")
    assert DocumentDownload.objects.filter(document=whitepaper).count() == 1
