"""With Redis down, pages keep working from the database and rate limits fail closed."""

import pytest
from django.core.cache import caches
from django.test import TestCase
from redis.exceptions import RedisError

from cms.cache import TolerantRedisCache
from messaging.backends import locmem
from verification import services as sms
from verification.models import SMSChallenge

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every Redis command fails at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"
OPTIONS = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {"BACKEND": "cms.cache.TolerantRedisCache", "LOCATION": DEAD_REDIS, "OPTIONS": OPTIONS},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": OPTIONS,
        },
    }
    settings.RATE_LIMIT_CACHE_ALIAS = "ratelimit"
    return settings


def test_tolerant_cache_turns_reads_into_misses_but_counters_still_fail():
    cache = TolerantRedisCache(DEAD_REDIS, {"OPTIONS": OPTIONS})
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1) is False
    assert cache.set("k", 1) is None
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    cache.delete_many(["a"])
    assert cache.clear() is False
    with pytest.raises(RedisError):
        cache.incr("k")


def test_pages_render_from_the_database_while_redis_is_down(client, redis_down, campaign, sms_campaign):
    assert isinstance(caches["default"], TolerantRedisCache)
    for url in ("/", campaign.url, sms_campaign.url):
        response = client.get(url)
        assert response.status_code == 200, url
    assert b'name="mobile"' in client.get(sms_campaign.url).content


def test_no_code_is_sent_while_the_limits_cannot_be_counted(redis_down, sms_campaign):
    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(sms.RateLimited) as refused:
        sms.challenge_create(mobile="13912345678", purpose="event", ip="203.0.113.9")
    assert refused.value.code == "unavailable"
    assert refused.value.retry_after > 0
    assert SMSChallenge.objects.count() == 0
    assert locmem.outbox == []


def test_api_refuses_a_code_with_429_while_redis_is_down(client, redis_down, sms_campaign):
    response = client.post(
        "/api/sms/challenges",
        {"mobile": "13912345678", "purpose": "event"},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["errors"]
    assert SMSChallenge.objects.count() == 0
    assert locmem.outbox == []
