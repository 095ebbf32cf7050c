import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError

from forms.sms import ratelimit, services
from forms.sms.backends import locmem
from forms.sms.models import SMSChallenge

from .conftest import mobile

pytestmark = pytest.mark.django_db


def create(n=0, ip="203.0.113.7", purpose="event"):
    return services.challenge_create(mobile=mobile(n), purpose=purpose, ip=ip)


def test_one_send_per_mobile_per_minute(clock):
    create(0)
    with pytest.raises(services.RateLimited) as exc:
        create(0, ip="198.51.100.1")
    assert exc.value.code == "sms-mobile-resend"
    assert 55 <= exc.value.retry_after <= 60
    clock.advance(30)
    with pytest.raises(services.RateLimited) as exc:
        create(0)
    assert 25 <= exc.value.retry_after <= 30
    clock.advance(31)
    create(0)
    assert SMSChallenge.objects.count() == 2


def test_five_sends_per_mobile_per_hour(clock):
    for _ in range(5):
        create(0)
        clock.advance(61)
    with pytest.raises(services.RateLimited) as exc:
        create(0)
    assert exc.value.code == "sms-mobile-hour"
    assert 3600 - 5 * 61 - 5 <= exc.value.retry_after <= 3600 - 5 * 61
    create(1)
    clock.advance(exc.value.retry_after + 1)
    create(0)


def test_ten_sends_per_mobile_per_day(clock, settings):
    settings.SMS_LIMIT_PER_MOBILE_HOUR = 100
    for _ in range(10):
        create(0)
        clock.advance(61)
    with pytest.raises(services.RateLimited) as exc:
        create(0)
    assert exc.value.code == "sms-mobile-day"
    assert exc.value.retry_after > 86400 - 11 * 61


def test_flooding_one_number_from_many_ips_is_stopped(clock):
    create(0, ip="198.51.100.1")
    for i in range(2, 30):
        with pytest.raises(services.RateLimited):
            create(0, ip=f"198.51.100.{i}")
    assert len(SMSChallenge.objects.all()) == 1


def test_twenty_sends_per_ip_per_hour(clock):
    for n in range(20):
        create(n, ip="203.0.113.7")
    with pytest.raises(services.RateLimited) as exc:
        create(20, ip="203.0.113.7")
    assert exc.value.code == "sms-ip"
    create(21, ip="203.0.113.8")
    assert SMSChallenge.objects.count() == 21


def test_global_ceiling_per_minute(clock, settings):
    settings.SMS_LIMIT_GLOBAL_PER_MINUTE = 3
    for n in range(3):
        create(n, ip=f"198.51.100.{n + 1}")
    with pytest.raises(services.RateLimited) as exc:
        create(3, ip="198.51.100.99")
    assert exc.value.code == "sms-global"
    assert 1 <= exc.value.retry_after <= 60
    clock.advance(61)
    create(3, ip="198.51.100.99")


def test_refusal_by_one_limit_costs_no_other_quota(clock, settings):
    settings.SMS_LIMIT_PER_IP_HOUR = 1
    create(0, ip="203.0.113.7")
    for _ in range(3):
        with pytest.raises(services.RateLimited):
            create(1, ip="203.0.113.7")
    # The refused attempts for mobile 1 did not use up its one-per-minute send.
    create(1, ip="203.0.113.8")


def test_refused_send_stores_and_sends_nothing(clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        create(0)
        with pytest.raises(services.RateLimited):
            create(0)
    assert SMSChallenge.objects.count() == 1
    assert len(locmem.outbox) == 1


def test_verify_attempts_limited_per_ip(send, settings, clock):
    settings.SMS_VERIFY_LIMIT_PER_IP_HOUR = 3
    challenge, code = send()
    for _ in range(3):
        with pytest.raises(services.ChallengeGone):
            services.challenge_verify(challenge_id="nope", code="000000", ip="198.51.100.5")
    with pytest.raises(services.RateLimited) as exc:
        services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="198.51.100.5")
    assert exc.value.code == "sms-verify-ip"
    assert services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="198.51.100.6")


def test_verify_attempts_limited_per_challenge_across_ips(send, settings):
    settings.SMS_VERIFY_LIMIT_PER_CHALLENGE = 3
    challenge, code = send()
    for i in range(3):
        with pytest.raises(ValidationError):
            services.challenge_verify(challenge_id=challenge.public_id, code="x", ip=f"198.51.100.{i}")
    with pytest.raises(services.RateLimited) as exc:
        services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="198.51.100.50")
    assert exc.value.code == "sms-verify-challenge"


class BrokenCache(LocMemCache):
    def add(self, *args, **kwargs):
        raise ConnectionError("cache down")

    def incr(self, *args, **kwargs):
        raise ConnectionError("cache down")

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")


def test_fail_closed_when_cache_is_down(settings, django_capture_on_commit_callbacks, caplog):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache", "LOCATION": "broken"}}
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.RateLimited) as exc:
        create(0)
    assert exc.value.code == "unavailable"
    assert exc.value.retry_after == 60
    assert SMSChallenge.objects.count() == 0
    assert locmem.outbox == []
    with pytest.raises(services.RateLimited):
        services.challenge_verify(challenge_id="x", code="123456", ip="203.0.113.7")
    assert "13800130000" not in caplog.text


def test_limiter_is_all_or_nothing():
    a = ratelimit.Limit("test-a", 5, 60)
    b = ratelimit.Limit("test-b", 1, 60)
    ratelimit.hit([(a, "x"), (b, "x")])
    with pytest.raises(ratelimit.LimitExceeded):
        ratelimit.hit([(a, "x"), (b, "x")])
    assert ratelimit.remaining_wait(a, "x") == 0
    for _ in range(4):
        ratelimit.hit([(a, "x")])
    assert ratelimit.remaining_wait(a, "x") > 0
