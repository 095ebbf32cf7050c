"""Writes each message to a stream (standard output by default): for development."""

import sys
import threading

from django.utils import timezone

from .base import BaseSMSBackend


class SMSBackend(BaseSMSBackend):
    def __init__(self, fail_silently: bool = False, *, stream=None, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages) -> int:
        sent = 0
        with self._lock:
            for message in messages:
                self.stream.write(
                    f"SMS to {message.to} at {timezone.now().isoformat()}\n{message.body}\n{'-' * 40}\n"
                )
                sent += 1
            self.stream.flush()
        return sent
