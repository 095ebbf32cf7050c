"""Encryption at rest, masking and keyed subject hashes for personal data.

* Sensitive values are encrypted with ``cryptography``'s MultiFernet: the first key in
  ``FIELD_ENCRYPTION_KEYS`` encrypts, every key decrypts, so keys rotate by putting a
  new key first and running ``manage.py rotate_encryption_keys``.
* Subject hashes are HMAC-SHA256 of a normalized mobile (E.164) or e-mail with
  ``SUBJECT_HASH_KEY``: equal inputs give equal hashes, so one person's records are
  found through an index, and the hash reveals nothing without the server key.
"""

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK = "***"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@functools.cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: sensitive fields cannot be stored.")
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    """Encrypt a text value; the result is ASCII (a Fernet token)."""
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise DecryptionError("value cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (used when rotating keys)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def mask(value: str | None, visible: int = 4) -> str:
    """``***1234``: keep only the last ``visible`` characters."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= visible:
        return MASK
    return MASK + value[-visible:]


def mask_email(value: str | None) -> str:
    """``z***@example.com``."""
    if not value or "@" not in value:
        return mask(value)
    local, _, domain = value.partition("@")
    return f"{local[:1]}{MASK}@{domain}"


def normalize_email(value: str) -> str:
    return value.strip().lower()


def subject_hash(kind: str, normalized_value: str) -> str:
    """Keyed hash of a normalized identifier; ``kind`` is ``mobile`` or ``email``.

    The kind is part of the message so a mobile never collides with an e-mail.
    """
    key = settings.SUBJECT_HASH_KEY
    if not key:
        raise ImproperlyConfigured("SUBJECT_HASH_KEY is empty: subject hashes cannot be computed.")
    message = f"{kind}:{normalized_value}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def mobile_hash(e164: str) -> str:
    return subject_hash("mobile", e164.strip())


def email_hash(email: str) -> str:
    return subject_hash("email", normalize_email(email))
