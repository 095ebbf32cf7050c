"""Writes each message to its own file under ``SMS_FILE_PATH``: for demos and browser tests.

File names are ``<UTC time>-<digits of the mobile>.txt`` so a test finds the newest
message for a number with ``latest_message(to)``. Never use this backend in production:
the files hold the codes in clear.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

from core.phone import normalize_mobile

from .base import BaseSMSBackend, SMSDeliveryError


def _directory(path=None) -> Path:
    path = path or settings.SMS_FILE_PATH
    if not path:
        raise ImproperlyConfigured("SMS_FILE_PATH must be set to use the file SMS backend.")
    return Path(path)


def _digits(to: str) -> str:
    return "".join(ch for ch in to if ch.isdigit())


class SMSBackend(BaseSMSBackend):
    def __init__(self, fail_silently: bool = False, *, file_path=None, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = _directory(file_path)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.directory} cannot be created: {exc}") from exc

    def send_messages(self, messages) -> int:
        sent = 0
        for message in messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            target = self.directory / f"{stamp}-{_digits(message.to)}-{message.message_id[:8]}.txt"
            try:
                with open(target, "x", encoding="utf-8") as handle:
                    handle.write(f"To: {message.to}\nMessage-Id: {message.message_id}\n\n{message.body}\n")
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                if self.fail_silently:
                    continue
                raise SMSDeliveryError(f"SMS file could not be written ({type(exc).__name__})") from exc
            sent += 1
        return sent


def latest_message(to: str, file_path=None) -> str | None:
    """The body of the newest message written for ``to`` (as a visitor would type it), or None."""
    try:
        to = normalize_mobile(to)
    except ValidationError:
        pass
    directory = _directory(file_path)
    candidates = sorted(directory.glob(f"*-{_digits(to)}-*.txt"))
    if not candidates:
        return None
    text = candidates[-1].read_text(encoding="utf-8")
    return text.split("\n\n", 1)[1].strip() if "\n\n" in text else text.strip()
