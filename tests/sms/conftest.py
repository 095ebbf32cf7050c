import datetime
import re
import time

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from forms.downloads import downloads_collection
from forms.services import submission_create
from home.models import PrivacyPolicyIndexPage, PrivacyPolicyPage
from messaging.backends import locmem
from tests.forms.utils import make_campaign_page
from tests.isolation import isolated_messages
from tests.sms_codes import last_sms_code
from verification import services

REAL_TIME = time.time


@pytest.fixture(autouse=True)
def _clean_cache_and_outbox(settings):
    with isolated_messages(settings, cache="sms-tests", tasks=True):
        yield


class Clock:
    """A settable ``time.time``: drives cache expiry, rate-limit windows and signing ages."""

    def __init__(self):
        self.now = REAL_TIME()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Create a challenge and run its on-commit SMS task; returns ``(challenge, code)``."""

    def _send(mobile="13800138000", purpose="event", ip="203.0.113.7"):
        before = len(locmem.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            challenge = services.challenge_create(mobile=mobile, purpose=purpose, ip=ip)
        assert len(locmem.outbox) == before + 1
        code = last_sms_code()
        return challenge, code

    return _send


def mobile(n: int) -> str:
    """A distinct valid mainland mobile for each ``n`` (0–9999)."""
    return f"1380013{n:04d}"


FILE_BYTES = b"%PDF-1.4 white paper\n"


@pytest.fixture
def document(settings, tmp_path):
    """A white paper in the private downloads collection, stored under a throwaway MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    doc = get_document_model()(title="Cloud white paper", collection=downloads_collection())
    doc.file.save("white-paper.pdf", ContentFile(FILE_BYTES), save=False)
    doc.save()
    return doc


@pytest.fixture
def download_page(home_page, document):
    index = PrivacyPolicyIndexPage(title="隐私政策", slug="privacy")
    home_page.add_child(instance=index)
    index.add_child(
        instance=PrivacyPolicyPage(
            title="网页隐私政策",
            slug="2023-03-07",
            version_label="2023-03-07",
            updated_date=datetime.date(2023, 3, 7),
            effective_date=datetime.date(2023, 3, 7),
            body="<p>政策正文</p>",
        )
    )
    return make_campaign_page(parent=home_page, purpose="download", download_document=document)


@pytest.fixture
def submit(download_page, send, django_capture_on_commit_callbacks):
    """``submit(email=..., mobile=...)``: a verified download request; its link e-mail is sent."""

    def _submit(email="visitor@example.com", mobile="13800138000"):
        challenge, code = send(mobile=mobile, purpose="download")
        token = services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
        with django_capture_on_commit_callbacks(execute=True):
            submission = submission_create(
                page=download_page,
                data={"name": "张三", "company": "示例公司", "email": email, "mobile": mobile},
                consent=True,
                verification_token=token,
                ip="203.0.113.7",
            )
        return submission

    return _submit


def link_from(message) -> str:
    return re.search(r"https?://\S+/downloads/\S+/", message.body).group()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]
