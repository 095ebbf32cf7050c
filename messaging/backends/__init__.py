"""SMS backends, chosen by ``settings.SMS_BACKEND`` like Django's ``EMAIL_BACKEND``."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import BaseSMSBackend, SMSDeliveryError, SMSMessage

__all__ = ["BaseSMSBackend", "SMSDeliveryError", "SMSMessage", "get_connection", "send_sms"]


# Backends were configured as ``forms.sms.backends.<name>.SMSBackend`` before delivery became an
# app of its own; such a setting keeps working for one release.
OLD_PREFIX = "forms.sms.backends."


def backend_path(configured: str) -> str:
    """``configured`` with a backend path of the previous release pointed at this package."""
    if configured.startswith(OLD_PREFIX):
        return "messaging.backends." + configured[len(OLD_PREFIX) :]
    return configured


def get_connection(backend: str | None = None, fail_silently: bool = False, **kwargs) -> BaseSMSBackend:
    klass = import_string(backend_path(backend or settings.SMS_BACKEND))
    return klass(fail_silently=fail_silently, **kwargs)


def send_sms(*, to: str, body: str, template_params: dict | None = None, connection=None) -> int:
    """Send one message now (tasks call this; request code should use ``services.queue_sms``)."""
    connection = connection or get_connection()
    return connection.send_messages([SMSMessage(to=to, body=body, template_params=template_params or {})])
