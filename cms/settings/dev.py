"""Local development: DEBUG on, console e-mail and SMS, keys generated once per checkout."""

import json
import os
import secrets

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import BASE_DIR, STATIC_ROOT

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

_SECRETS_FILE = BASE_DIR / "var" / "dev-secrets.json"


def _dev_secrets() -> dict:
    """Create local-only secrets on first use; never committed, never fixed."""
    if _SECRETS_FILE.exists():
        return json.loads(_SECRETS_FILE.read_text())
    _SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "secret_key": secrets.token_urlsafe(50),
        "field_encryption_key": Fernet.generate_key().decode(),
        "subject_hash_key": secrets.token_urlsafe(32),
    }
    _SECRETS_FILE.write_text(json.dumps(data, indent=2))
    _SECRETS_FILE.chmod(0o600)
    return data


_secrets = _dev_secrets()
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _secrets["secret_key"]
FIELD_ENCRYPTION_KEYS = [k for k in os.environ.get("FIELD_ENCRYPTION_KEYS", "").split(",") if k] or [
    _secrets["field_encryption_key"]
]
SUBJECT_HASH_KEY = os.environ.get("SUBJECT_HASH_KEY") or _secrets["subject_hash_key"]

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "messaging.backends.console.SMSBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))

# WhiteNoise looks for STATIC_ROOT at start-up; keep it present before collectstatic runs.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
