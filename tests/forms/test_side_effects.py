"""What happens after a submission commits: notification e-mail and the download link."""

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import translation
from wagtail.documents import get_document_model

from forms import services, whitelist
from forms.downloads import downloads_collection
from forms.models import Purpose
from forms.services import submission_create
from home.models import NotificationDomains
from messaging.tasks import DeliveryFailed

from .test_catalogue import VALID_ID

pytestmark = pytest.mark.django_db


def test_notification_email_carries_the_answers(
    page_factory, notification_domains, django_capture_on_commit_callbacks
):
    notification_domains("example.com")
    page = page_factory("compatibility", to_address="leads@example.com", subject="新的兼容性认证申请")
    data = {"name": "王五", "company": "示例", "mobile": "13900139000", "mailing_address": "上海市"}
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(page=page, data=data, consent=True, verification_token=None, ip="192.0.2.1")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["leads@example.com"] and message.subject == "新的兼容性认证申请"
    assert "王五" in message.body and "13900139000" in message.body


def test_notification_is_retried_when_the_mail_server_is_down(
    page_factory, settings, dummy_tasks, refusing_mail, django_capture_on_commit_callbacks
):

    NotificationDomains.objects.create(domains="example.com")
    page = page_factory("partner_upgrade", to_address="leads@example.com")
    data = {"name": "王五", "mobile": "13900139000", "email": "w@example.com", "id_card_number": VALID_ID,
            "company": "示例"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        submission = submission_create(
            page=page, data=data, consent=True, verification_token=None, ip="192.0.2.1"
        )
    dummy_tasks.clear()  # page set-up queued Wagtail's own index tasks
    with pytest.raises(DeliveryFailed) as exc:
        services.send_submission_notification.call(submission_id=submission.pk)
    assert "leads@example.com" not in str(exc.value)
    (retry,) = dummy_tasks.results
    assert retry.kwargs == {"submission_id": submission.pk, "attempt": 2}
    # The last attempt gives up without queueing another.
    dummy_tasks.clear()
    with pytest.raises(DeliveryFailed):
        services.send_submission_notification.call(
            submission_id=submission.pk, attempt=settings.DELIVERY_MAX_ATTEMPTS
        )
    assert dummy_tasks.results == []


def test_nothing_is_sent_for_a_refused_submission(page_factory, django_capture_on_commit_callbacks):
    page = page_factory("compatibility", to_address="leads@example.com")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.SubmissionRejected):
        submission_create(
            page=page, data={"name": "x"}, consent=True, verification_token=None, ip="192.0.2.1"
        )
    assert mail.outbox == []


def test_download_request_queues_the_link_email(
    page_factory, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "_consume_token", lambda **kwargs: None)
    document = get_document_model()(title="白皮书", collection=downloads_collection())
    document.file.save("whitepaper.txt", ContentFile(b"ZStack"), save=False)
    document.save()
    page = page_factory("download", download_document=document)
    data = {"name": "张三", "company": "示例", "email": "Zhang@Example.com", "mobile": "13800138000"}
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(page=page, data=data, consent=True, verification_token="t", ip="192.0.2.1")
    assert [m.to for m in mail.outbox] == [["zhang@example.com"]]


def test_forbidden_field_message_renders_in_the_chinese_form(monkeypatch):

    zh = {
        "This purpose (%(clause)s %(purpose)s) may not collect: %(fields)s": "该用途（%(clause)s %(purpose)s）不允许收集：%(fields)s"
    }
    monkeypatch.setattr(services, "_", lambda msgid: zh.get(msgid, msgid))
    with translation.override("zh-hans"):
        message = whitelist.forbidden_message(
            Purpose.objects.get(code="event"), ["id_card_number", "qq_wechat"]
        )
    assert message == "该用途（§1.5 全国渠道巡展等活动报名）不允许收集：QQ 号码/微信、身份证号码"
