"""What earlier releases wrote down keeps working after delivery and verification became apps."""

from django.core import signing

from messaging.backends import backend_path, get_connection
from messaging.backends.locmem import SMSBackend as LocmemBackend
from verification import tokens


def test_a_backend_configured_by_its_old_path_still_loads():
    assert backend_path("forms.sms.backends.locmem.SMSBackend") == "messaging.backends.locmem.SMSBackend"
    assert isinstance(get_connection("forms.sms.backends.locmem.SMSBackend"), LocmemBackend)
    assert backend_path("myproject.sms.Backend") == "myproject.sms.Backend"


def test_a_verification_token_signed_before_the_move_still_reads():
    # The salt is a literal, not the module path: tokens handed out before the move stay valid.
    token = signing.dumps({"c": "abc", "m": "hash", "p": "event"}, salt="forms.sms.verification-token.v1")
    assert tokens.read_verification_token(token, max_age=60) == {"c": "abc", "m": "hash", "p": "event"}
