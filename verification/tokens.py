"""Codes, their keyed HMACs, and the signed verification token.

* A code is six digits from ``secrets``. At rest only an HMAC-SHA256 of it is kept,
  keyed with a server secret (``SMS_CODE_HMAC_KEY``, else ``SUBJECT_HASH_KEY``) under
  a context of its own and bound to the challenge, the mobile and the purpose: six
  digits are a million guesses, so an unkeyed hash would be reversed offline at once.
* A verification token is a ``django.core.signing`` value (salted, timestamped)
  naming the challenge, the mobile's keyed hash and the purpose; it says "this
  mobile was verified for this purpose" for ``SMS_TOKEN_TTL`` seconds and is
  consumed once (the challenge row records its use).
"""

import re
import secrets
import unicodedata

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import constant_time_compare, salted_hmac

CODE_LENGTH = 6
CODE_HMAC_CONTEXT = "forms.sms.code-hmac.v1"
TOKEN_SALT = "forms.sms.verification-token.v1"  # noqa: S105 (a signing salt, not a secret)
_CODE_RE = re.compile(rf"[0-9]{{{CODE_LENGTH}}}", re.ASCII)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def new_public_id() -> str:
    return secrets.token_urlsafe(24)


def normalize_code(value) -> str | None:
    """The code as six ASCII digits, or None when it is not one.

    Full-width digits and surrounding or inner spaces are accepted as typed.
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    if len(text) != CODE_LENGTH or not _CODE_RE.fullmatch(text):
        return None
    return text


def _code_key() -> str:
    key = settings.SMS_CODE_HMAC_KEY or settings.SUBJECT_HASH_KEY
    if not key:
        raise ImproperlyConfigured("SMS_CODE_HMAC_KEY or SUBJECT_HASH_KEY must be set to verify SMS codes.")
    return key


def code_hmac(*, public_id: str, mobile: str, purpose: str, code: str) -> str:
    message = "\x1f".join((public_id, mobile, purpose, code))
    return salted_hmac(CODE_HMAC_CONTEXT, message, secret=_code_key(), algorithm="sha256").hexdigest()


def code_matches(stored_hmac: str, *, public_id: str, mobile: str, purpose: str, code: str) -> bool:
    candidate = code_hmac(public_id=public_id, mobile=mobile, purpose=purpose, code=code)
    return constant_time_compare(stored_hmac, candidate)


def make_verification_token(*, public_id: str, mobile_hash: str, purpose: str) -> str:
    return signing.dumps({"c": public_id, "m": mobile_hash, "p": purpose}, salt=TOKEN_SALT)


def read_verification_token(token: str, *, max_age: int) -> dict | None:
    """The token's payload, or None when it is forged, malformed or older than ``max_age``."""
    if not isinstance(token, str) or not token or len(token) > 1024:
        return None
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in "cmp"):
        return None
    return payload
