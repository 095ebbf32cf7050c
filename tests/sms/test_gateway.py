import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging.backends import SMSDeliveryError, SMSMessage, get_connection
from messaging.backends.gateway import SMSBackend

SECRET = "gateway-test-secret-value"


class FakeGateway:
    """A local HTTP server that plays a scripted answer for each request it receives."""

    def __init__(self):
        self.script: list = []
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                gateway.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                action = gateway.script.pop(0) if gateway.script else 200
                if isinstance(action, tuple) and action[0] == "sleep":
                    time.sleep(action[1])
                    action = 200
                try:
                    self.send_response(action)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}')
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    with FakeGateway() as fake:
        yield fake


def backend(gateway, **kwargs):
    options = {
        "url": gateway.url,
        "key_id": "key-1",
        "secret": SECRET,
        "template_id": "SMS_0001",
        "timeout": 5,
        "retries": 2,
        "backoff": 0,
    }
    options.update(kwargs)
    return SMSBackend(**options)


MESSAGE = SMSMessage(
    to="+8613800138000", body="[Site] Your verification code is 246810.", template_params={"code": "246810"}
)


def test_signed_request_is_accepted(gateway):
    assert backend(gateway).send_messages([MESSAGE]) == 1
    (request,) = gateway.requests
    headers = request["headers"]
    expected = hmac.new(
        SECRET.encode(), headers["X-SMS-Timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert headers["X-SMS-Signature"] == "sha256=" + expected
    assert headers["X-SMS-Key-Id"] == "key-1"
    assert abs(int(headers["X-SMS-Timestamp"]) - time.time()) < 5
    data = json.loads(request["body"])
    assert data["to"] == "+8613800138000"
    assert data["template_id"] == "SMS_0001"
    assert data["params"] == {"code": "246810"}
    assert SECRET not in json.dumps(request["headers"])


def test_5xx_is_retried_with_the_same_idempotency_key(gateway):
    gateway.script = [503, 500, 200]
    assert backend(gateway).send_messages([MESSAGE]) == 1
    assert len(gateway.requests) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in gateway.requests}) == 1


def test_timeout_is_retried(gateway):
    gateway.script = [("sleep", 1.5), 200]
    started = time.monotonic()
    assert backend(gateway, timeout=0.3).send_messages([MESSAGE]) == 1
    assert len(gateway.requests) == 2
    assert time.monotonic() - started < 1.5


def test_persistent_5xx_fails_after_retries(gateway):
    gateway.script = [502, 502, 502, 502]
    with pytest.raises(SMSDeliveryError) as exc:
        backend(gateway, retries=2).send_messages([MESSAGE])
    assert len(gateway.requests) == 3
    assert "246810" not in str(exc.value)


def test_persistent_timeouts_fail_after_retries(gateway):
    gateway.script = [("sleep", 1), ("sleep", 1)]
    with pytest.raises(SMSDeliveryError, match="timeout"):
        backend(gateway, timeout=0.2, retries=1).send_messages([MESSAGE])
    assert len(gateway.requests) == 2


def test_client_error_is_not_retried(gateway):
    gateway.script = [400]
    with pytest.raises(SMSDeliveryError, match="HTTP 400"):
        backend(gateway).send_messages([MESSAGE])
    assert len(gateway.requests) == 1


def test_429_is_retried(gateway):
    gateway.script = [429, 200]
    assert backend(gateway).send_messages([MESSAGE]) == 1
    assert len(gateway.requests) == 2


def test_fail_silently_counts_only_delivered(gateway):
    gateway.script = [500, 500, 500, 200]
    assert backend(gateway, fail_silently=True).send_messages([MESSAGE, MESSAGE]) == 1


def test_unreachable_gateway_fails_cleanly():
    with FakeGateway() as fake:
        url = fake.url
    connection = SMSBackend(url=url, secret=SECRET, timeout=0.3, retries=1, backoff=0)
    with pytest.raises(SMSDeliveryError, match="connection error"):
        connection.send_messages([MESSAGE])


def test_logs_hold_no_secret_code_or_clear_number(gateway, caplog):
    gateway.script = [500, 200]
    with caplog.at_level(logging.DEBUG):
        backend(gateway).send_messages([MESSAGE])
    assert caplog.records
    for text in (SECRET, "246810", "13800138000", "sha256="):
        assert text not in caplog.text
    assert "****8000" in caplog.text


def test_configuration_comes_from_settings(gateway, settings):
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_SECRET = SECRET
    settings.SMS_GATEWAY_TEMPLATE_ID = "TPL-9"
    settings.SMS_GATEWAY_RETRIES = 0
    connection = get_connection("messaging.backends.gateway.SMSBackend")
    assert connection.send_messages([MESSAGE]) == 1
    assert json.loads(gateway.requests[0]["body"])["template_id"] == "TPL-9"


@pytest.mark.parametrize(
    "url,secret", [("", SECRET), ("ftp://example.com", SECRET), ("https://example.com", "")]
)
def test_missing_configuration_is_refused(settings, url, secret):
    settings.SMS_GATEWAY_URL = url
    settings.SMS_GATEWAY_SECRET = secret
    with pytest.raises(ImproperlyConfigured):
        SMSBackend()
