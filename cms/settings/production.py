"""Production: everything secret or site-specific comes from the environment.

Start-up stops with a message naming the variable when one is missing or malformed.
"""

import os

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MEDIA_ROOT, PRIVATE_MEDIA_ROOT, REDIS_URL, env_int, env_list


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"Environment variable {name} is required in production.")
    return value


DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Environment variable ALLOWED_HOSTS is required in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("Environment variable FIELD_ENCRYPTION_KEYS is required in production.")
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from exc
SUBJECT_HASH_KEY = required("SUBJECT_HASH_KEY")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Environment variable REDIS_URL is required in production: rate limits and "
        "login lockouts must be shared by every worker."
    )

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A web server may publish MEDIA_ROOT/images and MEDIA_ROOT/original_images, nothing else of it
# (documents go through /documents/); private files must not sit anywhere below it.
if PRIVATE_MEDIA_ROOT.resolve().is_relative_to(MEDIA_ROOT.resolve()):
    raise ImproperlyConfigured(
        "PRIVATE_MEDIA_ROOT must not be inside MEDIA_ROOT, which may be served publicly."
    )

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
SMS_BACKEND = os.environ.get("SMS_BACKEND", "messaging.backends.gateway.SMSBackend")
# The path of the previous release (``forms.sms.backends.…``) still names the same backend.
SMS_BACKEND = SMS_BACKEND.replace("forms.sms.backends.", "messaging.backends.", 1)
if SMS_BACKEND == "messaging.backends.gateway.SMSBackend":
    # Without a gateway no visitor could ever get a code: refuse to start rather than fail at
    # the first send.
    SMS_GATEWAY_URL = required("SMS_GATEWAY_URL")
    if not SMS_GATEWAY_URL.startswith("https://") or len(SMS_GATEWAY_URL) <= len("https://"):
        raise ImproperlyConfigured("SMS_GATEWAY_URL must be an https:// URL in production.")
    SMS_GATEWAY_SECRET = required("SMS_GATEWAY_SECRET")
    if len(SMS_GATEWAY_SECRET) < 16:
        raise ImproperlyConfigured("SMS_GATEWAY_SECRET must be at least 16 characters long.")
if SMS_BACKEND.startswith("messaging.backends.") and SMS_BACKEND != "messaging.backends.gateway.SMSBackend":
    raise ImproperlyConfigured(
        "SMS_BACKEND in production must be the gateway backend (console, file and locmem "
        "backends would keep codes in clear)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
