"""Limits on verification codes: each scope refuses past its limit, and nothing is sent or stored then."""

import base64
import json

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.test import TestCase

from core import ratelimit
from messaging import gate, pow
from messaging import services as delivery
from messaging.backends import locmem
from tests.sms_codes import last_sms_code
from verification import services
from verification.models import SMSChallenge

from .conftest import mobile

pytestmark = pytest.mark.django_db

NO_PROOF = {"MESSAGE_POW_THRESHOLD": 1000}


def create(n=0, ip="203.0.113.7", purpose="event", proof=None):
    """One code request, with its on-commit SMS delivered."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.challenge_create(mobile=mobile(n), purpose=purpose, ip=ip, proof=proof)


def ips(count, network="198.51.100"):
    return [f"{network}.{i + 1}" for i in range(count)]


# Each case: settings, the sends that pass (number, purpose, ip, seconds to wait after), the
# send that is refused, the scope that refuses it, and a send that still passes afterwards.
CASES = [
    pytest.param(
        (
            {},
            [(0, "event", "198.51.100.1", 0)],
            (0, "event", "203.0.113.2"),
            "msg-purpose-resend",
            (0, "training", "203.0.113.3"),
        ),
        id="one code per number and purpose per minute; other purposes stay open",
    ),
    pytest.param(
        (
            NO_PROOF,
            [(0, "event", ip, 61) for ip in ips(5)],
            (0, "event", "203.0.113.2"),
            "msg-purpose-hour",
            (0, "training", "203.0.113.3"),
        ),
        id="five per number and purpose per hour",
    ),
    pytest.param(
        (
            {
                **NO_PROOF,
                "MESSAGE_LIMIT_PER_PURPOSE_HOUR": 100,
                "MESSAGE_LIMIT_PER_RECIPIENT_HOUR": 100,
                "MESSAGE_LIMIT_PER_RECIPIENT_DAY": 100,
            },
            [(0, "event", ip, 61) for ip in ips(10)],
            (0, "event", "203.0.113.2"),
            "msg-purpose-day",
            (0, "training", "203.0.113.3"),
        ),
        id="ten per number and purpose per day",
    ),
    pytest.param(
        (
            {**NO_PROOF, "MESSAGE_LIMIT_PER_RECIPIENT_HOUR": 4},
            [(0, p, ip, 0) for p, ip in zip(("event", "training", "survey", "trial"), ips(4), strict=True)],
            (0, "download", "203.0.113.2"),
            "msg-recipient-hour",
            (1, "download", "203.0.113.3"),
        ),
        id="a total per number per hour",
    ),
    pytest.param(
        (
            {**NO_PROOF, "MESSAGE_LIMIT_PER_RECIPIENT_DAY": 4},
            [(0, p, ip, 0) for p, ip in zip(("event", "training", "survey", "trial"), ips(4), strict=True)],
            (0, "download", "203.0.113.2"),
            "msg-recipient-day",
            (1, "download", "203.0.113.3"),
        ),
        id="a total per number per day",
    ),
    pytest.param(
        (
            NO_PROOF,
            [(0, p, "198.51.100.1", 0) for p in ("event", "training", "survey")],
            (0, "trial", "198.51.100.1"),
            "msg-client-recipient",
            (0, "trial", "203.0.113.3"),
        ),
        id="three per client and number per hour",
    ),
    pytest.param(
        (
            {},
            [(n, "event", "198.51.100.1", 0) for n in range(20)],
            (20, "event", "198.51.100.1"),
            "msg-ip",
            (20, "event", "203.0.113.3"),
        ),
        id="twenty per client per hour",
    ),
    pytest.param(
        (
            {"MESSAGE_LIMIT_PER_SUBNET_HOUR": 5},
            [(n, "event", ip, 0) for n, ip in enumerate(ips(5))],
            (5, "event", "198.51.100.99"),
            "msg-subnet",
            (5, "event", "203.0.113.3"),
        ),
        id="a limit per network",
    ),
    pytest.param(
        (
            {"MESSAGE_LIMIT_GLOBAL_PER_MINUTE": 3},
            [(n, "event", ip, 0) for n, ip in zip(range(3), ips(3, "192.0.2"), strict=True)],
            (3, "event", "203.0.113.99"),
            "msg-global-minute",
            None,
        ),
        id="a site-wide ceiling per minute",
    ),
    pytest.param(
        (
            {"MESSAGE_LIMIT_GLOBAL_PER_DAY": 3},
            [(n, "event", ip, 61) for n, ip in zip(range(3), ips(3, "192.0.2"), strict=True)],
            (3, "event", "203.0.113.99"),
            "msg-global-day",
            None,
        ),
        id="a site-wide budget per day",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_each_limit_refuses_past_it_and_sends_nothing(clock, settings, case):
    overrides, passing, refused, scope, still_open = case
    for name, value in overrides.items():
        setattr(settings, name, value)
    for n, purpose, ip, wait in passing:
        create(n, ip=ip, purpose=purpose)
        clock.advance(wait)
    assert len(locmem.outbox) == len(passing)

    n, purpose, ip = refused
    with pytest.raises(services.RateLimited) as exc:
        create(n, ip=ip, purpose=purpose)
    assert exc.value.code == scope
    assert exc.value.retry_after >= 1
    assert str(exc.value.message)
    assert len(locmem.outbox) == len(passing)
    assert SMSChallenge.objects.count() == len(passing)

    if still_open is not None:
        n, purpose, ip = still_open
        create(n, ip=ip, purpose=purpose)
        assert len(locmem.outbox) == len(passing) + 1


def test_resend_wait_counts_down(clock):
    create(0)
    clock.advance(30)
    with pytest.raises(services.RateLimited) as exc:
        create(0, ip="198.51.100.1")
    assert 25 <= exc.value.retry_after <= 30
    clock.advance(31)
    create(0, ip="198.51.100.1")
    assert len(locmem.outbox) == 2


def test_flooding_one_number_from_many_ips_sends_one_code_a_minute(clock):
    create(0, ip="198.51.100.1")
    for i in range(2, 30):
        with pytest.raises(services.RateLimited):
            create(0, ip=f"198.51.100.{i}")
    assert SMSChallenge.objects.count() == 1
    assert len(locmem.outbox) == 1


def test_refusal_by_one_limit_costs_no_other_quota(clock, settings):
    settings.MESSAGE_LIMIT_PER_IP_HOUR = 1
    create(0, ip="203.0.113.7")
    for _ in range(3):
        with pytest.raises(services.RateLimited):
            create(1, ip="203.0.113.7")
    # The refused attempts for mobile 1 did not use up its one-per-minute code.
    create(1, ip="203.0.113.8")


# --- Proof-of-work past the threshold -------------------------------------------------------------


def three_codes_to(n=0):
    for purpose, ip in zip(("event", "training", "survey"), ips(3), strict=True):
        create(n, ip=ip, purpose=purpose)


def proof_request(n=0, purpose="trial", ip="203.0.113.50"):
    with pytest.raises(services.ProofRequired) as exc:
        create(n, ip=ip, purpose=purpose)
    return exc.value


def test_past_the_threshold_a_code_needs_a_proof_and_a_solution_admits_it():
    three_codes_to(0)
    refusal = proof_request()
    assert refusal.code == "proof_required"
    assert refusal.challenge["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    assert refusal.challenge["signature"]
    assert 1 <= refusal.retry_after <= 3600
    assert SMSChallenge.objects.count() == 3 and len(locmem.outbox) == 3

    challenge = create(0, ip="203.0.113.50", purpose="trial", proof=pow.solve(refusal.challenge))
    assert challenge.purpose == "trial"
    assert len(locmem.outbox) == 4 and locmem.outbox[-1].to == "+86" + mobile(0)


def tampered(payload: str) -> str:
    data = json.loads(base64.b64decode(payload))
    data["solution"]["counter"] += 1
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_a_replayed_or_wrong_or_foreign_proof_is_refused():
    three_codes_to(0)
    three_codes_to(1)
    solved = pow.solve(proof_request(0).challenge)
    create(0, ip="203.0.113.50", purpose="trial", proof=solved)
    sent = len(locmem.outbox)

    cases = {
        "replayed": (0, "download", solved),
        "wrong solution": (0, "download", tampered(pow.solve(proof_request(0, "download").challenge))),
        "not base64": (0, "download", "%%%"),
        "for another number": (1, "trial", pow.solve(proof_request(0, "recruitment_account").challenge)),
    }
    for name, (n, purpose, proof) in cases.items():
        with pytest.raises(services.ProofRequired) as exc:
            create(n, ip="203.0.113.60", purpose=purpose, proof=proof)
        assert exc.value.invalid, name
        assert exc.value.challenge["signature"], name
    assert len(locmem.outbox) == sent
    assert SMSChallenge.objects.count() == 7


def test_an_expired_proof_is_refused(clock):
    three_codes_to(0)
    solved = pow.solve(proof_request(0).challenge)
    clock.advance(601)
    with pytest.raises(services.ProofRequired) as exc:
        create(0, ip="203.0.113.50", purpose="trial", proof=solved)
    assert exc.value.invalid


# --- A stranger cannot lock a person out ----------------------------------------------------------


def test_a_stranger_flooding_one_purpose_does_not_stop_the_owner_verifying_another(clock):
    stranger_sent = 0
    for attempt in range(40):
        ip = f"198.51.100.{attempt % 4 + 1}"
        try:
            create(0, ip=ip, purpose="event")
        except services.ProofRequired as exc:
            # A bot solves it too: it still only gets what the other limits allow.
            try:
                create(0, ip=ip, purpose="event", proof=pow.solve(exc.challenge))
            except services.RateLimited:
                pass
            else:
                stranger_sent += 1
        except services.RateLimited:
            pass
        else:
            stranger_sent += 1
        clock.advance(61)
    assert stranger_sent <= 5  # five per number and purpose per hour
    # Failed guesses lock the stranger's challenges, not the number.
    for challenge in SMSChallenge.objects.all():
        for _ in range(5):
            with pytest.raises((services.InvalidCode, services.ChallengeGone)):
                services.challenge_verify(challenge_id=challenge.public_id, code="000000", ip="198.51.100.1")

    owner_ip = "203.0.113.50"
    try:
        challenge = create(0, ip=owner_ip, purpose="rights_request")
    except services.ProofRequired as exc:
        challenge = create(0, ip=owner_ip, purpose="rights_request", proof=pow.solve(exc.challenge))
    code = last_sms_code()
    token = services.challenge_verify(challenge_id=challenge.public_id, code=code, ip=owner_ip)
    assert services.token_consume(token=token, mobile=mobile(0), purpose="rights_request")


# --- Verification attempts ------------------------------------------------------------------------


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


# --- The counters themselves ----------------------------------------------------------------------


def test_cache_keys_hold_no_clear_number_or_address(clock):
    create(0, ip="198.51.100.77")
    with pytest.raises(services.RateLimited):
        create(0, ip="198.51.100.77")
    keys = " ".join(caches["default"]._cache.keys())
    assert keys
    assert mobile(0) not in keys and "8000" not in keys
    assert "198.51.100" not in keys


class BrokenCache(LocMemCache):
    def add(self, *args, **kwargs):
        raise ConnectionError("cache down")

    def incr(self, *args, **kwargs):
        raise ConnectionError("cache down")

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")


def test_fail_closed_when_cache_is_down(settings, caplog):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache", "LOCATION": "broken"}}
    with pytest.raises(services.RateLimited) as exc:
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


def test_a_visitor_message_cannot_be_queued_without_its_admission():
    with pytest.raises(ValueError, match="admission"):
        delivery.queue_sms(to="+8613800138000", body="x", purpose="code:event")
    admission = gate.admit(channel="sms", recipient="+8613800138001", purpose="code:event", ip="203.0.113.1")
    with pytest.raises(ValueError, match="another recipient"):
        delivery.queue_sms(to="+8613800138000", body="x", purpose="code:event", admission=admission)
    with pytest.raises(ValueError, match="unknown message purpose"):
        gate.admit(channel="sms", recipient="+8613800138000", purpose="marketing")
