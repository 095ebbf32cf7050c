import pytest
from django.db import transaction
from django.utils import timezone

from verification import services, tokens
from verification.models import SMSChallenge

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(send):
    challenge, code = send(mobile="13800138000", purpose="event")
    token = services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
    return challenge, token


def test_token_is_consumed_once(verified):
    challenge, token = verified
    consumed = services.token_consume(token=token, mobile="+86 138 0013 8000", purpose="event")
    assert consumed.pk == challenge.pk and consumed.consumed_at is not None
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=token, mobile="13800138000", purpose="event")


def test_token_for_another_mobile_is_refused(verified):
    _challenge, token = verified
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=token, mobile="13800138001", purpose="event")
    assert SMSChallenge.objects.filter(consumed_at__isnull=False).count() == 0


def test_token_for_another_purpose_is_refused(verified):
    _challenge, token = verified
    for purpose in ("download", "rights_request", "self_service"):
        with pytest.raises(services.InvalidToken):
            services.token_consume(token=token, mobile="13800138000", purpose=purpose)
    assert services.token_consume(token=token, mobile="13800138000", purpose="event")


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "", lambda t: "a" * 5000]
)
def test_forged_token_is_refused(verified, mangle):
    _challenge, token = verified
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=mangle(token), mobile="13800138000", purpose="event")


def test_token_signed_for_another_challenge_payload_is_refused(verified):
    challenge, _token = verified
    forged = tokens.make_verification_token(
        public_id="someone-else", mobile_hash=challenge.mobile_hash, purpose="event"
    )
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=forged, mobile="13800138000", purpose="event")


def test_token_for_unverified_challenge_is_refused(send):
    challenge, _code = send()
    forged = tokens.make_verification_token(
        public_id=challenge.public_id, mobile_hash=challenge.mobile_hash, purpose="event"
    )
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=forged, mobile="13800138000", purpose="event")


def test_token_expires_after_fifteen_minutes(verified, clock):
    _challenge, token = verified
    clock.advance(15 * 60 + 1)
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=token, mobile="13800138000", purpose="event")


def test_token_within_fifteen_minutes_is_accepted(verified, clock):
    _challenge, token = verified
    clock.advance(14 * 60)
    assert services.token_consume(token=token, mobile="13800138000", purpose="event")


def test_rollback_of_the_authorized_write_gives_the_token_back(verified):
    _challenge, token = verified
    with pytest.raises(RuntimeError), transaction.atomic():
        services.token_consume(token=token, mobile="13800138000", purpose="event")
        raise RuntimeError("submission failed")
    assert services.token_consume(token=token, mobile="13800138000", purpose="event")


def test_second_consumer_loses_the_conditional_update(verified):
    challenge, token = verified
    # Another consumer has just recorded the use between our read and our write.
    SMSChallenge.objects.filter(pk=challenge.pk).update(consumed_at=timezone.now())
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=token, mobile="13800138000", purpose="event")


def test_malformed_mobile_on_consume_is_refused(verified):
    _challenge, token = verified
    with pytest.raises(services.InvalidToken):
        services.token_consume(token=token, mobile="not a number", purpose="event")
