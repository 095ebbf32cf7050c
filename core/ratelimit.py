"""Counters in the shared cache that refuse an action once a limit is reached.

Each limit is a fixed window that opens with the first event and lasts ``window``
seconds. ``hit()`` counts one event against several limits at once, all or nothing:
when any of them is over, every counter it raised is lowered again, so a refused
request costs nobody else their quota. Counters are raised with the cache's atomic
``incr`` before the comparison, so two concurrent requests can never both take the
last unit.

The cache is the source of truth: when it cannot be reached the limiter raises
``LimiterUnavailable`` and callers refuse the action (fail closed). With Django's
local-memory cache the counters are per process; production requires Redis.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

KEY_PREFIX = "rl"


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` events per ``window`` seconds for one identity within ``scope``."""

    scope: str
    limit: int
    window: int


class LimitExceeded(Exception):
    def __init__(self, limit: Limit, retry_after: int):
        super().__init__(f"rate limit {limit.scope} reached")
        self.limit = limit
        self.retry_after = retry_after


class LimiterUnavailable(Exception):
    """The cache holding the counters cannot be used; the action must be refused."""


def _cache():
    return caches[settings.RATE_LIMIT_CACHE_ALIAS]


def _key(limit: Limit, identity: str) -> str:
    return f"{KEY_PREFIX}:{limit.scope}:{limit.window}:{identity}"


def _increment(cache, key: str, window: int) -> int:
    cache.add(f"{key}:t", time.time(), timeout=window)
    for _attempt in range(3):
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:
            # The counter expired between add() and incr(); open a new window.
            continue
    raise LimiterUnavailable("counter could not be incremented")


def _retry_after(cache, key: str, window: int) -> int:
    started = cache.get(f"{key}:t")
    if started is None:
        return window
    return max(1, math.ceil(float(started) + window - time.time()))


def hit(checks: list[tuple[Limit, str]]) -> None:
    """Count one event for each ``(limit, identity)``; raise if any limit is exceeded.

    Raises ``LimitExceeded`` (with the longest ``retry_after`` among the limits that
    refused) or ``LimiterUnavailable``.
    """
    cache = _cache()
    raised: list[str] = []
    refused: list[tuple[Limit, str]] = []
    try:
        for limit, identity in checks:
            key = _key(limit, identity)
            count = _increment(cache, key, limit.window)
            raised.append(key)
            if count > limit.limit:
                refused.append((limit, key))
        if not refused:
            return
        waits = [(_retry_after(cache, key, limit.window), limit) for limit, key in refused]
        for key in raised:
            try:
                cache.decr(key)
            except ValueError:
                pass
    except LimiterUnavailable:
        raise
    except Exception as exc:
        logger.error("rate-limit cache unavailable (%s); refusing the action", type(exc).__name__)
        raise LimiterUnavailable("rate-limit cache unavailable") from exc
    retry_after, limit = max(waits, key=lambda item: item[0])
    raise LimitExceeded(limit, retry_after)


def remaining_wait(limit: Limit, identity: str) -> int:
    """Seconds until ``limit`` admits another event for ``identity`` (0 when it would now)."""
    cache = _cache()
    key = _key(limit, identity)
    try:
        count = cache.get(key)
        if count is None or int(count) < limit.limit:
            return 0
        return _retry_after(cache, key, limit.window)
    except Exception as exc:
        logger.error("rate-limit cache unavailable (%s)", type(exc).__name__)
        raise LimiterUnavailable("rate-limit cache unavailable") from exc


def count(limit: Limit, identity: str) -> int:
    """Events counted for ``identity`` in the current window of ``limit`` (0 when none)."""
    try:
        value = _cache().get(_key(limit, identity))
    except Exception as exc:
        logger.error("rate-limit cache unavailable (%s)", type(exc).__name__)
        raise LimiterUnavailable("rate-limit cache unavailable") from exc
    return int(value or 0)


def window_left(limit: Limit, identity: str) -> int:
    """Seconds until the current window of ``limit`` for ``identity`` closes (0 when none is open)."""
    cache = _cache()
    key = _key(limit, identity)
    try:
        if cache.get(f"{key}:t") is None:
            return 0
        return _retry_after(cache, key, limit.window)
    except Exception as exc:
        logger.error("rate-limit cache unavailable (%s)", type(exc).__name__)
        raise LimiterUnavailable("rate-limit cache unavailable") from exc


def first_use(identity: str, window: int) -> bool:
    """True the first time ``identity`` is seen within ``window`` seconds (atomic ``add``)."""
    try:
        return bool(_cache().add(f"{KEY_PREFIX}:once:{identity}", 1, timeout=window))
    except Exception as exc:
        logger.error("rate-limit cache unavailable (%s)", type(exc).__name__)
        raise LimiterUnavailable("rate-limit cache unavailable") from exc
