"""Client IP resolution that trusts only a configured number of reverse proxies (django-ipware)."""

from django.conf import settings
from ipware.ip import get_client_ip

# Only X-Forwarded-For (written by our own proxies) and the socket peer count: the other
# headers ipware knows could be sent by anyone.
HEADER_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


def client_ip(request, *args, **kwargs) -> str:
    """Return the client address as seen by the outermost trusted proxy.

    With ``TRUSTED_PROXY_COUNT = 0`` the socket peer (``REMOTE_ADDR``) is used and
    ``X-Forwarded-For`` is ignored: anyone can send that header. With N trusted proxies,
    each appends the address it saw, so the client is the N-th entry from the right; entries
    further left were written by the client and are not trusted. An address ipware cannot
    read falls back to the socket peer. Axes calls this too (``AXES_CLIENT_IP_CALLABLE``).
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    # Counted from the right, ipware's proxy_count excludes the last hop (REMOTE_ADDR).
    ip, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=count - 1,
        request_header_order=HEADER_ORDER,
        strict=False,
    )
    return ip or remote
