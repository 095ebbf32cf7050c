"""Per-client request limits for the JSON API's write endpoints."""

import logging
import threading

from django.conf import settings
from ninja.throttling import BaseThrottle

from core import ratelimit
from core.net import client_ip
from messaging import gate

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
    """At most N write requests per client IP and scope, counted by the shared limiter.

    The rate is read from ``settings.API_RATES[scope]`` on each request, so it can be tuned
    per environment. The IP is resolved by ``core.net.client_ip`` (trusted proxies only)
    and only its keyed hash is used in the cache key. Counting is ``core.ratelimit``'s: a
    window opens with a client's first request, and an unreachable cache refuses (fail
    closed) with a ``Retry-After`` instead of a 500.
    """

    def __init__(self, scope: str):
        self.scope = scope
        self._local = threading.local()

    def allow_request(self, request) -> bool:
        limit, period = parse_rate(settings.API_RATES[self.scope])
        ident = gate.hashed_ip(client_ip(request))
        self._local.wait = None
        try:
            ratelimit.hit([(ratelimit.Limit(f"api-{self.scope}", limit, period), ident)])
        except ratelimit.LimitExceeded as exc:
            self._local.wait = exc.retry_after
            return False
        except ratelimit.LimiterUnavailable:
            logger.warning("API rate limit unavailable (cache error); refusing %s", self.scope)
            self._local.wait = UNAVAILABLE_RETRY_AFTER
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
