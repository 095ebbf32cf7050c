import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model

from forms import downloads
from forms.models import DocumentDownload

from .conftest import FILE_BYTES, link_from, path_of

pytestmark = pytest.mark.django_db


def test_verified_download_request_emails_a_link_that_serves_the_file(submit, client, document):
    submission = submit()
    (message,) = [m for m in mail.outbox if m.to == ["visitor@example.com"]]
    assert "Cloud white paper" in message.subject
    assert "7 天" in message.body
    url = link_from(message)
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FILE_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    client.get(path_of(url))
    assert downloads.download_count(document) == 2
    assert DocumentDownload.objects.filter(submission_id=submission.pk).count() == 2


def test_link_is_valid_for_seven_days(submit, client, clock, document):
    submit()
    url = link_from(mail.outbox[-1])
    clock.advance(7 * 86400 - 60)
    assert client.get(path_of(url)).status_code == 200
    clock.advance(120)
    response = client.get(path_of(url))
    assert response.status_code == 410
    assert b'data-testid="download-link-expired"' in response.content
    assert downloads.download_count(document) == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + "abc",
        lambda t: t.replace(t.split(":")[0], "eyJzIjoxLCJkIjoyfQ"),
        lambda t: "x" * 600,
    ],
)
def test_forged_link_gets_a_friendly_page(submit, client, mangle, document):
    submit()
    token = path_of(link_from(mail.outbox[-1])).split("/")[2]
    response = client.get(f"/downloads/{mangle(token)}/")
    assert response.status_code == 404
    assert b'data-testid="download-link-invalid"' in response.content
    assert downloads.download_count(document) == 0


def test_link_for_another_document_cannot_be_made_without_the_key(submit, client, document):
    submission = submit()
    other = get_document_model()(title="Internal price list")
    other.file.save("prices.pdf", ContentFile(b"secret"), save=False)
    other.save()
    token = path_of(link_from(mail.outbox[-1])).split("/")[2]
    _payload, rest = token.split(":", 1)
    forged = downloads.make_download_token(submission_id=submission.pk, document_id=other.pk).split(":", 1)[0]
    response = client.get(f"/downloads/{forged}:{rest}/")
    assert response.status_code == 404


def test_link_of_an_erased_submission_no_longer_serves(submit, client, document):
    submission = submit()
    url = link_from(mail.outbox[-1])
    submission.delete()
    response = client.get(path_of(url))
    assert response.status_code == 404
    assert b'data-testid="download-link-invalid"' in response.content


def test_link_of_a_deleted_document_gets_a_friendly_page(submit, client, document):
    submit()
    url = link_from(mail.outbox[-1])
    document.delete()
    assert client.get(path_of(url)).status_code == 404


def test_missing_file_gets_a_friendly_page(submit, client, document):
    submit()
    url = link_from(mail.outbox[-1])
    document.file.storage.delete(document.file.name)
    response = client.get(path_of(url))
    assert response.status_code == 404
    assert b'data-testid="download-link-invalid"' in response.content


def test_only_get_and_head(submit, client, document):
    submit()
    path = path_of(link_from(mail.outbox[-1]))
    assert client.post(path).status_code == 405
    assert client.head(path).status_code == 200
    assert downloads.download_count(document) == 0


def test_no_email_without_document_or_address(download_page, submit):
    submission = submit()
    mail.outbox.clear()
    submission.form_data = {**submission.form_data, "email": ""}
    assert downloads.queue_download_email(submission=submission) is False
    type(download_page).objects.filter(pk=download_page.pk).update(download_document=None)
    submission = type(submission).objects.get(pk=submission.pk)
    assert downloads.queue_download_email(submission=submission) is False
    assert mail.outbox == []


def test_downloads_report_shows_counts_to_marketers(submit, client, document, marketer, download_page):
    type(download_page).objects.filter(pk=download_page.pk).update(owner=marketer)
    submit()
    url = link_from(mail.outbox[-1])
    for _ in range(3):
        client.get(path_of(url))
    client.force_login(marketer)
    response = client.get(reverse("sms_downloads_report"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Cloud white paper" in content
    assert ">3<" in content.replace(" ", "").replace("\n", "")
    assert "visitor@example.com" not in content
    export = client.get(reverse("sms_downloads_report") + "?export=csv")
    assert export.status_code == 200
    assert "Cloud white paper,3," in export.getvalue().decode()


def test_downloads_report_is_refused_without_permission(client, privacy_staff):
    client.force_login(privacy_staff)
    response = client.get(reverse("sms_downloads_report"))
    assert response.status_code in (302, 403)
