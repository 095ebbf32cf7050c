"""Keeps messages in ``outbox`` (a module-level list): for tests, like ``django.core.mail.outbox``."""

from .base import BaseSMSBackend

outbox: list = []


class SMSBackend(BaseSMSBackend):
    def send_messages(self, messages) -> int:
        messages = list(messages)
        outbox.extend(messages)
        return len(messages)
