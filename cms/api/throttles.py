"""Per-client request limits for the JSON API's write endpoints."""

import hashlib
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

from cms.net import client_ip

logger = logging.getLogger(__name__)
UNAVAILABLE_RETRY_AFTER = 30  # seconds a client waits when the rate-limit store is down

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/min"`` → ``(10, 60)``; a malformed rate is a configuration error."""
    count, _, unit = rate.partition("/")
    if unit not in _PERIODS:
        raise ValueError(f"Invalid API rate {rate!r}: use N/s, N/min, N/hour or N/day")
    return int(count), _PERIODS[unit]


class ClientIPThrottle(BaseThrottle):
    """A fixed-window counter per client IP and scope, kept in the shared cache.

    The rate is read from ``settings.API_RATES[scope]`` on each request, so it can be tuned
    per environment. The IP is resolved by ``cms.net.client_ip`` (trusted proxies only)
    and only its hash is used in the cache key.
    """

    def __init__(self, scope: str):
        self.scope = scope
        self._local = threading.local()

    def allow_request(self, request) -> bool:
        limit, period = parse_rate(settings.API_RATES[self.scope])
        now = time.time()
        window = int(now // period)
        ident = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
        key = f"api-throttle:{self.scope}:{ident}:{window}"
        self._local.wait = (window + 1) * period - now
        try:
            cache.add(key, 0, timeout=period + 1)
            try:
                count = cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=period + 1)
                count = 1
        except Exception:  # noqa: BLE001 (an unreachable cache must not become a 500)
            # Fail closed: without a counter no write is accepted; ask the client to retry.
            logger.warning("API rate limit unavailable (cache error); refusing %s", self.scope)
            self._local.wait = UNAVAILABLE_RETRY_AFTER
            return False
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
