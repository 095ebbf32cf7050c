"""Refusing oversized bodies and unbounded searches, next to ordinary requests.

Every request goes through the whole middleware stack (Django's test client, no sockets).
The body is a stream of zero bytes that counts what is read from it, so "read" is what the
application took from the client before answering:

- ``declared``: a POST declaring 200 MB (``Content-Length``) to a public page;
- ``chunked``: 200 MB sent without a length (``Transfer-Encoding: chunked``);
- ``search``: Wagtail's API v2 asked for ``"word " * 800`` (the 4 KB search that used to
  exhaust the recursion limit), and the search backend given the same string directly.

Anchors: an ordinary cookie-preference POST (23 bytes) and an ordinary one-word search of
the API, in the same run. Target: a declared body over the limit is refused with nothing
read, a chunked one after at most the limit + 1 byte, each in a few milliseconds (the 413
page renders the site's layout; the anchor POST only redirects).
"""

import statistics
import time

from django.test import Client
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from cms.request_size import DEFAULT_PUBLIC_MAX_BODY_BYTES

MB = 1024 * 1024
BIG = 200 * MB


class ZeroStream:
    """``size`` zero bytes, produced on demand; ``read_bytes`` counts what was taken."""

    def __init__(self, size: int):
        self.remaining = size
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.remaining
        size = min(size, self.remaining)
        self.remaining -= size
        self.read_bytes += size
        return b"\0" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)  # no newline in zeros: a line is as long as allowed


def _timed(call, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def _post(client, path, stream, **extra):
    return client.generic(
        "POST",
        path,
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        **{"wsgi.input": stream},
        **extra,
    )


def run(quick: bool = False) -> None:
    repeat = 3 if quick else 15
    client = Client()
    anchor_ms, anchor = _timed(lambda: client.post("/cookies/", {"choice": "necessary", "next": "/"}), repeat)
    print(f"anchor  cookie POST (23 bytes): {anchor.status_code}, {anchor_ms:.1f} ms")

    def declared():
        stream = ZeroStream(BIG)
        return _post(client, "/", stream, CONTENT_LENGTH=str(BIG)), stream

    ms, (response, stream) = _timed(declared, repeat)
    print(f"declared 200 MB: {response.status_code}, {stream.read_bytes} bytes read, {ms:.1f} ms")

    def chunked():
        stream = ZeroStream(BIG)
        return _post(client, "/", stream, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked"), stream

    ms, (response, stream) = _timed(chunked, repeat)
    limit = DEFAULT_PUBLIC_MAX_BODY_BYTES
    print(
        f"chunked 200 MB: {response.status_code}, {stream.read_bytes} bytes read "
        f"(limit {limit} + 1), {ms:.1f} ms"
    )

    anchor_ms, anchor = _timed(lambda: client.get("/api/v2/pages/", {"search": "welcome"}), repeat)
    print(f"anchor  API v2 search 'welcome': {anchor.status_code}, {anchor_ms:.1f} ms")
    long_search = "word " * 800
    ms, response = _timed(lambda: client.get("/api/v2/pages/", {"search": long_search}), repeat)
    print(f"search  API v2 'word ' * 800: {response.status_code}, {len(response.content)} bytes, {ms:.1f} ms")
    ms, results = _timed(lambda: list(get_search_backend().search(long_search, Page)), repeat)
    print(f"search  backend 'word ' * 800 (bounded to 20 words): {len(results)} results, {ms:.1f} ms")
