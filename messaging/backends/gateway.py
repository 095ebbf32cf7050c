"""Posts each message to an HTTP SMS gateway with a signed request: for production.

Request: ``POST SMS_GATEWAY_URL`` with a JSON body
``{"message_id", "params", "template_id", "text", "to"}`` and the headers

* ``X-SMS-Key-Id``: ``SMS_GATEWAY_KEY_ID``
* ``X-SMS-Timestamp``: Unix seconds
* ``X-SMS-Signature``: ``sha256=`` + hex HMAC-SHA256 with ``SMS_GATEWAY_SECRET`` over
  ``"<timestamp>.<body bytes>"``, so the gateway can refuse altered or replayed requests
* ``Idempotency-Key``: the message id, identical on every retry of one message

Connection errors, timeouts, HTTP 429 and 5xx are retried ``SMS_GATEWAY_RETRIES``
times with exponential back-off (each retry freshly signed); other 4xx answers are
final. Logs name the masked number, the HTTP status and the attempt, never the text,
the code, the key or the signature.
"""

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.phone import mask_mobile

from .base import BaseSMSBackend, SMSDeliveryError

logger = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class SMSBackend(BaseSMSBackend):
    def __init__(
        self,
        fail_silently: bool = False,
        *,
        url: str | None = None,
        key_id: str | None = None,
        secret: str | None = None,
        template_id: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        session: requests.Session | None = None,
        **kwargs,
    ):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.url = url or settings.SMS_GATEWAY_URL
        self.key_id = key_id or settings.SMS_GATEWAY_KEY_ID
        self.secret = secret or settings.SMS_GATEWAY_SECRET
        self.template_id = template_id or settings.SMS_GATEWAY_TEMPLATE_ID
        self.timeout = float(timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT)
        self.retries = int(retries if retries is not None else settings.SMS_GATEWAY_RETRIES)
        self.backoff = float(backoff if backoff is not None else settings.SMS_GATEWAY_BACKOFF)
        if not self.url or urlsplit(self.url).scheme not in ("http", "https"):
            raise ImproperlyConfigured(
                "SMS_GATEWAY_URL must be an http(s) URL to use the gateway SMS backend."
            )
        if not self.secret:
            raise ImproperlyConfigured("SMS_GATEWAY_SECRET must be set to use the gateway SMS backend.")
        self.session = session or requests.Session()

    def send_messages(self, messages) -> int:
        sent = 0
        for message in messages:
            try:
                self._send(message)
            except SMSDeliveryError:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def _body(self, message) -> bytes:
        data = {
            "message_id": message.message_id,
            "params": message.template_params,
            "template_id": self.template_id,
            "text": message.body,
            "to": message.to,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")

    def _send(self, message) -> None:
        body = self._body(message)
        masked = mask_mobile(message.to)
        attempts = self.retries + 1
        problem = "no attempt"
        for attempt in range(1, attempts + 1):
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "X-SMS-Key-Id": self.key_id,
                "X-SMS-Timestamp": timestamp,
                "X-SMS-Signature": sign(self.secret, timestamp, body),
                "Idempotency-Key": message.message_id,
            }
            try:
                response = self.session.post(self.url, data=body, headers=headers, timeout=self.timeout)
            except requests.Timeout:
                problem = "timeout"
            except requests.ConnectionError:
                problem = "connection error"
            except requests.RequestException as exc:
                problem = type(exc).__name__
            else:
                status = response.status_code
                response.close()
                if 200 <= status < 300:
                    logger.info("sms to %s accepted by gateway (attempt %d)", masked, attempt)
                    return
                problem = f"HTTP {status}"
                if status != 429 and status < 500:
                    logger.error("sms to %s refused by gateway: %s", masked, problem)
                    raise SMSDeliveryError(f"gateway refused the message ({problem})")
            logger.warning(
                "sms to %s not delivered (%s, attempt %d of %d)", masked, problem, attempt, attempts
            )
            if attempt < attempts and self.backoff > 0:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise SMSDeliveryError(f"gateway unavailable after {attempts} attempts ({problem})")
