"""Client IP resolution that trusts only a configured number of reverse proxies."""

from django.conf import settings


def client_ip(request, *args, **kwargs) -> str:
    """Return the client address as seen by the outermost trusted proxy.

    With ``TRUSTED_PROXY_COUNT = 0`` the socket peer (``REMOTE_ADDR``) is used and
    ``X-Forwarded-For`` is ignored: anyone can send that header. With N trusted
    proxies, each appends the address it saw, so the client is the N-th entry from
    the right; entries further left were written by the client and are not trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    if len(forwarded) < count:
        return forwarded[0] if forwarded else remote
    return forwarded[-count]
