"""Redis caching that survives a Redis outage where a miss is harmless.

Two aliases are configured when ``REDIS_URL`` is set: ``default`` (this class) holds
values that can be rebuilt from the database (form definitions, the policy in force,
Wagtail's caches), so while Redis is down a read is a miss and a write is dropped and
pages keep working from the database. Counters are different: ``incr``/``decr`` still
raise, and the rate limits use the strict ``ratelimit`` alias, so they fail closed.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WARN_EVERY = 10.0


class TolerantRedisCache(RedisCache):
    """A ``RedisCache`` whose plain reads and writes degrade to misses when Redis is down."""

    _last_warning = 0.0

    def _unavailable(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - TolerantRedisCache._last_warning >= WARN_EVERY:
            TolerantRedisCache._last_warning = now
            logger.warning(
                "cache unavailable (%s during %s); serving without it", type(exc).__name__, operation
            )

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            self._unavailable("get", exc)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            self._unavailable("get_many", exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as exc:
            self._unavailable("has_key", exc)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version)
        except RedisError as exc:
            self._unavailable("set", exc)
            return None

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            self._unavailable("set_many", exc)
            return list(data)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            self._unavailable("add", exc)
            return False

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as exc:
            self._unavailable("touch", exc)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as exc:
            self._unavailable("delete", exc)
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError as exc:
            self._unavailable("delete_many", exc)
            return None

    def clear(self):
        try:
            return super().clear()
        except RedisError as exc:
            self._unavailable("clear", exc)
            return False
