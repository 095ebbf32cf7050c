"""Request body limits, enforced before a body is read.

``RequestBodyLimitMiddleware`` runs before anything reads a body. A request whose
``Content-Length`` is over the limit for its path is answered 413 at once, unread; a body of
unknown length (``Transfer-Encoding: chunked``, which gunicorn passes on without a length) is
read through ``BoundedReader`` and refused as soon as it passes the limit, so at most
limit + 1 bytes are ever read. A chunked body within the limit is kept (in memory up to
``FILE_UPLOAD_MAX_MEMORY_SIZE``, on disk beyond) and handed to Django with its length, so
Django parses it as any other body.

Limits per path (``body_limit``), the longest matching prefix winning:

- ``/api/``: ``API_MAX_BODY_BYTES`` (JSON bodies; Wagtail's API v2 takes none);
- ``/admin/``: ``ADMIN_MAX_BODY_BYTES`` (forms without files, page editing);
- admin uploads: documents (``WAGTAILDOCS_MAX_UPLOAD_SIZE``), images and avatars
  (``WAGTAILIMAGES_MAX_UPLOAD_SIZE``), the datatools and redirect imports
  (``DATATOOLS_IMPORT_MAX_UPLOAD_BYTES``; by default the larger of ``DATATOOLS_IMPORT_MAX_BYTES``
  and the document limit, so that a sheet somewhat over the import's own limit still reaches
  the import, which refuses it with its size and records the refusal) and rights-request
  evidence (``EVIDENCE_MAX_BYTES``), each plus ``REQUEST_UPLOAD_MARGIN_BYTES`` for the
  multipart framing and the form's other fields;
- the public rights-request page, which takes an evidence document: the evidence limit;
- everything else: ``REQUEST_MAX_BODY_BYTES``.

``REQUEST_BODY_LIMITS`` (``{path prefix: bytes}``) adds or overrides entries.

Django's own limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, ``DATA_UPLOAD_MAX_NUMBER_FIELDS``,
``DATA_UPLOAD_MAX_NUMBER_FILES``) raise while a view parses the body; Django answers them 400,
``bad_request`` (the project's ``handler400``) answers 413 with the same page instead.
The proxy in front and gunicorn keep their own limits (``scripts/deploy/``).
"""

from __future__ import annotations

import tempfile
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.handlers.wsgi import LimitedStream
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from home.links import rights_page_link
from rights_requests.models import EVIDENCE_MAX_BYTES

from .api.errors import ApiError, render_error

MB = 1024 * 1024
DEFAULT_PUBLIC_MAX_BODY_BYTES = 1 * MB
READ_CHUNK_BYTES = 64 * 1024
API_PREFIX = "/api/"
TOO_LARGE_ERRORS = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


class RequestBodyTooLarge(RequestDataTooBig):
    """A body passed the limit of its path while it was read."""

    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than {limit} bytes.")
        self.limit = limit


class BoundedReader:
    """Read a stream, raising ``RequestBodyTooLarge`` once more than ``limit`` bytes came."""

    def __init__(self, stream, limit: int):
        self.stream = stream
        self.limit = limit
        self.count = 0

    def read(self, size: int = READ_CHUNK_BYTES) -> bytes:
        # One byte past the limit is enough to know it is passed.
        data = self.stream.read(max(1, min(size, self.limit + 1 - self.count)))
        self.count += len(data)
        if self.count > self.limit:
            raise RequestBodyTooLarge(self.limit)
        return data


def _upload(file_bytes: int) -> int:
    return file_bytes + settings.REQUEST_UPLOAD_MARGIN_BYTES


def documents_bytes() -> int:
    return settings.WAGTAILDOCS_MAX_UPLOAD_SIZE


def images_bytes() -> int:
    return settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE


def datatools_import_bytes() -> int:
    """The largest spreadsheet upload read at all (the import refuses, with its own message,
    anything over ``DATATOOLS_IMPORT_MAX_BYTES``)."""
    configured = settings.DATATOOLS_IMPORT_MAX_UPLOAD_BYTES
    if configured is not None:
        return configured
    own = settings.DATATOOLS_IMPORT_MAX_BYTES
    return max(own, documents_bytes())


def evidence_bytes() -> int:
    return EVIDENCE_MAX_BYTES


def path_limits() -> dict[str, int]:
    limits = {
        API_PREFIX: settings.API_MAX_BODY_BYTES,
        "/admin/": settings.ADMIN_MAX_BODY_BYTES,
        "/admin/documents/": _upload(documents_bytes()),
        "/admin/images/": _upload(images_bytes()),
        "/admin/account/": _upload(images_bytes()),
        "/admin/datatools/imports/": _upload(datatools_import_bytes()),
        "/admin/redirects/import/": _upload(datatools_import_bytes()),
        "/admin/rights_requests/": _upload(evidence_bytes()),
    }
    limits.update(settings.REQUEST_BODY_LIMITS)
    return limits


def upload_page_paths() -> set[str]:
    """Public pages that take a file: the rights-request page (evidence documents)."""
    link = rights_page_link()
    return {urlsplit(link.url).path} if link else set()


def body_limit(request, length: int | None) -> int:
    """The most body bytes ``request``'s path accepts. ``length`` is the declared length
    (``None`` when unknown); the public pages that take files are only looked up for a body
    over the site-wide limit."""
    path = request.path_info
    limits = path_limits()
    matches = [prefix for prefix in limits if path.startswith(prefix)]
    if matches:
        return limits[max(matches, key=len)]
    limit = settings.REQUEST_MAX_BODY_BYTES
    if (length is None or length > limit) and path in upload_page_paths():
        return max(limit, _upload(evidence_bytes()))
    return limit


def declared_length(request) -> int | None:
    """The body length the request declares: ``None`` for a chunked body, 0 for none."""
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        length = int(raw)
    except ValueError:
        length = -1
    if length >= 0:
        return length
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    return 0  # Django reads no body without a valid length


def buffer_unknown_length_body(request, limit: int) -> None:
    """Read a body of unknown length, at most ``limit`` bytes (``RequestBodyTooLarge``
    beyond), and hand it to Django with its length."""
    environ = getattr(request, "environ", None)
    if environ is None or "wsgi.input" not in environ:
        return  # ASGI: the server has read the body already
    reader = BoundedReader(environ["wsgi.input"], limit)
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    while chunk := reader.read(READ_CHUNK_BYTES):
        spool.write(chunk)
    size = spool.tell()
    spool.seek(0)
    request.META["CONTENT_LENGTH"] = str(size)
    request._stream = LimitedStream(spool, size)


def too_large_response(request, limit: int | None = None):
    """413: JSON on the APIs, the site's page (in the visitor's language) elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        if limit is None:
            message = _("The request body is too large.")
        else:
            message = _("The request body is too large (limit: %(limit)s bytes).") % {"limit": limit}
        return render_error(ApiError.general(413, message, extra={"detail": message}))
    return render(request, "413.html", {"limit": limit}, status=413)


class RequestBodyLimitMiddleware:
    """Refuse a body over its path's limit before anything reads it (see the module).

    Right after ``LocaleMiddleware``, so the answer is in the visitor's language; nothing
    before it reads the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = declared_length(request)
        limit = body_limit(request, length)
        if length is None:
            try:
                buffer_unknown_length_body(request, limit)
            except RequestBodyTooLarge:
                return too_large_response(request, limit)
        elif length > limit:
            return too_large_response(request, limit)
        return self.get_response(request)


def bad_request(request, exception, template_name="400.html"):
    """The project's ``handler400``: a body over one of Django's limits is a 413."""
    if isinstance(exception, TOO_LARGE_ERRORS):
        return too_large_response(request, getattr(exception, "limit", None))
    return defaults.bad_request(request, exception, template_name=template_name)
