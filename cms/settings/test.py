"""Test settings: fast hashing, in-memory outboxes, fixed throwaway keys."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, STATIC_ROOT

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-any-real-site"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Throwaway keys for the suite only (a valid Fernet key is 32 url-safe base64 bytes).
FIELD_ENCRYPTION_KEYS = ["dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="]
SUBJECT_HASH_KEY = "test-subject-hash-key"
# A proof-of-work the suite solves in milliseconds.
POW_COST = 1
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = os.environ.get("SMS_BACKEND", "messaging.backends.locmem.SMSBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(BASE_DIR / "var" / "test-sms"))
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "test-private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "cms.search_backend"}}

# WhiteNoise looks for STATIC_ROOT at start-up; keep it present before collectstatic runs.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
