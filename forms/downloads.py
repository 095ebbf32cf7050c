"""Download requests (§1.2): the file is e-mailed as a signed link, not shown on the page.

After a verified submission to a page with a ``download_document``, the visitor gets
an e-mail with a link valid ``DOWNLOAD_LINK_TTL_DAYS`` days. The link is a
``django.core.signing`` token naming the submission and the document, so it cannot be
made up or pointed at another file; each use is counted. A link that expired, was
altered, or whose submission or document is gone gets a friendly page, never a 500; so
does one whose submission was erased, restricted or its consent withdrawn (the
``filter_campaign_submissions`` hooks decide, as they do for listings and exports).

The link is the only way out for visitors: download documents live in a collection
with a group view restriction (``downloads_collection``), so Wagtail's own
``/documents/`` view sends anyone but the named staff groups to the login page.
"""

import logging

from django.conf import settings
from django.core import signing
from django.http import FileResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.models import BaseViewRestriction, Collection

from core.collections import DOWNLOADS_COLLECTION, private_collection
from home.links import absolute_url
from home.services import site_name
from messaging.services import queue_email

from .submissions import CampaignSubmission, DocumentDownload

logger = logging.getLogger(__name__)

LINK_SALT = "forms.downloads.link.v1"
MAX_TOKEN_LENGTH = 512


def downloads_collection() -> Collection:
    """The private collection for download documents (``core.collections.private_collection``)."""
    return private_collection(DOWNLOADS_COLLECTION)


def document_is_private(document) -> bool:
    """Whether Wagtail's document view serves ``document`` only to members of named groups:
    its collection or one above it carries a group view restriction."""
    return (
        document.collection.get_view_restrictions()
        .filter(restriction_type=BaseViewRestriction.GROUPS)
        .exists()
    )


class DownloadLinkError(Exception):
    """A download link that cannot be honoured; ``reason`` is ``expired`` or ``invalid``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def link_ttl_seconds() -> int:
    return int(getattr(settings, "DOWNLOAD_LINK_TTL_DAYS", 7)) * 86400


def make_download_token(*, submission_id: int, document_id: int) -> str:
    return signing.dumps({"s": int(submission_id), "d": int(document_id)}, salt=LINK_SALT)


def read_download_token(token: str) -> tuple[int, int]:
    """``(submission_id, document_id)`` from a valid token, else ``DownloadLinkError``."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise DownloadLinkError("invalid")
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=link_ttl_seconds())
    except signing.SignatureExpired:
        raise DownloadLinkError("expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise DownloadLinkError("invalid") from None
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), int) for k in "sd"):
        raise DownloadLinkError("invalid")
    return payload["s"], payload["d"]


def download_url(*, submission, document, base_url: str | None = None) -> str:
    """The absolute link for ``document`` as requested by ``submission``."""
    token = make_download_token(submission_id=submission.pk, document_id=document.pk)
    path = reverse("campaign_download", kwargs={"token": token})
    if base_url is None:
        return absolute_url(path, site=submission.page.get_site())
    return base_url.rstrip("/") + path


def _submission_email(submission) -> str:
    data = getattr(submission, "form_data", None) or {}
    email = data.get("email") if isinstance(data, dict) else None
    return email.strip() if isinstance(email, str) else ""


def queue_download_email(*, submission, admission=None) -> bool:
    """E-mail the page's download link to the submission's address once the transaction commits.

    ``admission`` is what ``forms.sms.gate.admit`` gave the submission for this address.
    Returns False (and sends nothing) when the page names no document or the
    submission holds no e-mail address.
    """
    page = submission.page.specific
    document = getattr(page, "download_document", None)
    email = _submission_email(submission)
    if document is None or not email:
        logger.warning("download e-mail for submission %s not sent: no document or address", submission.pk)
        return False
    days = int(getattr(settings, "DOWNLOAD_LINK_TTL_DAYS", 7))
    context = {
        "site_name": site_name(),
        "page_title": page.title,
        "document_title": document.title,
        "url": download_url(submission=submission, document=document),
        "days": days,
    }
    subject = " ".join(render_to_string("email/download_link_subject.txt", context).split())
    body = render_to_string("email/download_link.txt", context)
    queue_email(to=[email], subject=subject, body=body, purpose="download_link", admission=admission)
    return True


def _submission_state(submission_id: int) -> str:
    """``ok``, ``revoked`` (erased, restricted or consent withdrawn) or ``invalid`` (gone)."""

    queryset = CampaignSubmission.objects.filter(pk=submission_id)
    if not queryset.exists():
        return "invalid"
    for fn in hooks.get_hooks("filter_campaign_submissions"):
        queryset = fn(queryset)
    return "ok" if queryset.exists() else "revoked"


GONE_TITLES = {
    "expired": _("This download link has expired"),
    "revoked": _("This download link no longer works"),
    "invalid": _("This download link is not valid"),
}


def _gone(request, reason: str):
    status = 410 if reason in ("expired", "revoked") else 404
    response = TemplateResponse(
        request,
        "downloads/link_gone.html",
        {
            "reason": reason,
            "days": int(getattr(settings, "DOWNLOAD_LINK_TTL_DAYS", 7)),
            "title": GONE_TITLES[reason],
        },
        status=status,
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_safe
def download_view(request, token: str):
    """Serve the document named by a valid link and count the download, while the submission
    that asked for it may still be processed."""
    try:
        submission_id, document_id = read_download_token(token)
    except DownloadLinkError as exc:
        return _gone(request, exc.reason)
    document = get_document_model().objects.filter(pk=document_id).first()
    state = _submission_state(submission_id)
    if document is None or state != "ok":
        return _gone(request, state if document is not None else "invalid")
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        logger.error("download document %s: file missing from storage", document_id)
        return _gone(request, "invalid")
    if request.method == "GET":
        DocumentDownload.objects.create(document=document, submission_id=submission_id)
    response = FileResponse(handle, as_attachment=True, filename=document.filename)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def download_count(document) -> int:
    return DocumentDownload.objects.filter(document=document).count()
