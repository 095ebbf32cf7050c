import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from core import crypto
from forms.models import Purpose
from home.services import site_name
from messaging.backends import locmem
from verification import services, tokens
from verification.models import SMSChallenge

pytestmark = pytest.mark.django_db


def test_code_is_stored_only_as_keyed_hmac_bound_to_challenge(send):
    challenge, code = send(mobile="138 0013 8000", purpose="event")
    row = SMSChallenge.objects.values().get(pk=challenge.pk)
    stored = " ".join(str(v) for v in row.values())
    assert code not in stored
    assert "13800138000" not in stored
    assert row["code_hmac"] != hashlib.sha256(code.encode()).hexdigest()
    assert row["code_hmac"] == tokens.code_hmac(
        public_id=challenge.public_id, mobile="+8613800138000", purpose="event", code=code
    )
    other = tokens.code_hmac(
        public_id=challenge.public_id, mobile="+8613800138000", purpose="download", code=code
    )
    assert other != row["code_hmac"]
    assert row["mobile_hash"] == crypto.mobile_hash("+8613800138000")
    assert challenge.mobile == "+8613800138000"
    assert row["requested_ip"] == "203.0.113.7"


def test_message_names_site_code_and_validity(send):
    challenge, code = send()
    message = locmem.outbox[-1]
    assert message.to == "+8613800138000"
    assert code in message.body
    assert "5 分钟" in message.body
    assert site_name() in message.body
    assert message.template_params == {"code": code, "minutes": 5}
    assert (challenge.expires_at - challenge.created_at).total_seconds() == 300


def test_public_ids_are_unguessable_and_distinct(send, clock):
    first, _ = send(mobile="13800138000")
    second, _ = send(mobile="13800138001")
    assert first.public_id != second.public_id
    assert len(first.public_id) >= 32
    assert not first.public_id.isdigit()


def test_full_width_mobile_is_normalized(send):
    challenge, _ = send(mobile="１３８００１３８０００")
    assert challenge.mobile == "+8613800138000"


@pytest.mark.parametrize("bad", ["", "12345", "010 6552 9988", "+1 202 555 0143", "abc", "1" * 40])
def test_bad_mobile_refused_and_nothing_sent(bad, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.challenge_create(mobile=bad, purpose="event", ip="203.0.113.7")
    assert SMSChallenge.objects.count() == 0
    assert locmem.outbox == []


@pytest.mark.parametrize("purpose", ["", "no-such-purpose", None, 7])
def test_unknown_purpose_refused(purpose, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as exc:
        services.challenge_create(mobile="13800138000", purpose=purpose, ip="203.0.113.7")
    assert exc.value.code == "unknown_purpose"
    assert SMSChallenge.objects.count() == 0
    assert locmem.outbox == []


@pytest.mark.parametrize("purpose", ["rights_request", "self_service"])
def test_non_form_purposes_accepted(purpose, send):
    challenge, _ = send(purpose=purpose)
    assert challenge.purpose == purpose


def test_right_code_yields_token(send):
    challenge, code = send()
    token = services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
    challenge.refresh_from_db()
    assert challenge.verified_at is not None
    assert isinstance(token, str) and code not in token


def test_full_width_and_spaced_code_is_accepted(send):
    challenge, code = send()
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in code)
    assert services.challenge_verify(
        challenge_id=challenge.public_id, code=f" {full_width[:3]} {full_width[3:]}", ip="1.1.1.1"
    )


@pytest.mark.parametrize("bad", ["12a456", "12345", "1234567", "", None, "١٢٣٤٥٦", "12-456"])
def test_malformed_code_is_refused_without_costing_an_attempt(bad, send):
    challenge, _ = send()
    with pytest.raises(ValidationError) as exc:
        services.challenge_verify(challenge_id=challenge.public_id, code=bad, ip="203.0.113.7")
    assert exc.value.code == "invalid_code_format"
    challenge.refresh_from_db()
    assert challenge.attempts == 0


def test_wrong_code_counts_down_then_locks_even_the_right_code(send):
    challenge, code = send()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = []
    for _ in range(5):
        with pytest.raises(services.InvalidCode) as exc:
            services.challenge_verify(challenge_id=challenge.public_id, code=wrong, ip="203.0.113.7")
        left.append(exc.value.attempts_left)
    assert left == [4, 3, 2, 1, 0]
    challenge.refresh_from_db()
    assert challenge.locked_at is not None and challenge.attempts == 5
    with pytest.raises(services.ChallengeGone) as gone:
        services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
    assert gone.value.reason == "locked"
    assert challenge.verified_at is None


def test_expired_code_fails_even_when_right(send):
    challenge, code = send()
    SMSChallenge.objects.filter(pk=challenge.pk).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    with pytest.raises(services.ChallengeGone) as exc:
        services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
    assert exc.value.reason == "expired"
    assert str(exc.value.message)


def test_code_cannot_be_verified_twice(send):
    challenge, code = send()
    services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
    with pytest.raises(services.ChallengeGone) as exc:
        services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
    assert exc.value.reason == "used"


def test_unknown_challenge_is_gone(db):
    with pytest.raises(services.ChallengeGone) as exc:
        services.challenge_verify(challenge_id="does-not-exist", code="123456", ip="203.0.113.7")
    assert exc.value.reason == "expired"


def test_hmac_made_for_another_challenge_does_not_match(send, clock):
    """A stored HMAC copied from one challenge row to another is useless there."""
    first, _first_code = send(mobile="13800138000")
    second, code = send(mobile="13800138001")
    copied = tokens.code_hmac(public_id=first.public_id, mobile=second.mobile, purpose="event", code=code)
    SMSChallenge.objects.filter(pk=second.pk).update(code_hmac=copied)
    with pytest.raises(services.InvalidCode):
        services.challenge_verify(challenge_id=second.public_id, code=code, ip="203.0.113.7")


def test_rolled_back_wrong_attempts_still_count_in_the_cache(send, settings):
    """A caller's rollback cannot reset the guessing budget of a challenge."""
    challenge, code = send()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.SMS_VERIFY_LIMIT_PER_CHALLENGE):
        try:
            with transaction.atomic():
                services.challenge_verify(challenge_id=challenge.public_id, code=wrong, ip="203.0.113.7")
        except services.InvalidCode:
            pass
        SMSChallenge.objects.filter(pk=challenge.pk).update(attempts=0, locked_at=None)
    with pytest.raises(services.RateLimited):
        services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.8")


def test_sms_waits_for_commit_and_rollback_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.challenge_create(mobile="13800138000", purpose="event", ip="203.0.113.7")
                assert locmem.outbox == []
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert locmem.outbox == []
    assert SMSChallenge.objects.count() == 0


def test_resend_after_seconds_follows_setting(settings):
    settings.SMS_RESEND_INTERVAL = 90
    assert services.resend_after_seconds() == 90


def test_purpose_without_sms_is_refused(django_capture_on_commit_callbacks):

    assert Purpose.objects.get(code="compatibility").sms_required is False
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as exc:
        services.challenge_create(mobile="13800138000", purpose="compatibility", ip="203.0.113.7")
    assert exc.value.code == "sms_not_required"
    assert locmem.outbox == []


def test_purge_deletes_only_old_challenges(send, clock):

    old, _ = send(mobile="13800138000")
    fresh, _ = send(mobile="13800138001")
    SMSChallenge.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=31))
    out = io.StringIO()
    call_command("purge_sms_challenges", stdout=out)
    assert "Deleted 1" in out.getvalue()
    assert list(SMSChallenge.objects.values_list("pk", flat=True)) == [fresh.pk]
    with pytest.raises(CommandError):
        call_command("purge_sms_challenges", days=0)
