"""Local stand-ins for the SMS gateway and the mail server, for serve-prod and load runs.

The SMS sink speaks the gateway protocol of ``forms.sms.backends.gateway`` over HTTPS
(a self-signed certificate the app trusts through ``REQUESTS_CA_BUNDLE``): it checks the
HMAC signature and the timestamp, refuses anything else with 401, and records each
accepted message. ``GET /messages?to=+86...`` returns the messages recorded for a number
(loopback only), which is how the load client reads its codes. The SMTP sink accepts
mail on loopback and counts it. Both append one JSON line per delivery to
``<state dir>/deliveries.jsonl`` so a run can count deliveries and duplicates afterwards.

Never point a real deployment at these sinks: they keep codes in clear on local disk.
"""

import argparse
import hashlib
import hmac
import json
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 64 * 1024
MAX_SKEW = 300


class Store:
    """Deliveries in memory (by number) and on disk (one JSON line each)."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.by_number: dict[str, list[dict]] = {}

    def record(self, entry: dict) -> None:
        entry = {"received_at": time.time(), **entry}
        with self.lock:
            if entry["kind"] == "sms":
                self.by_number.setdefault(entry["to"], []).append(entry)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def messages(self, to: str) -> list[dict]:
        with self.lock:
            return list(self.by_number.get(to, []))


def make_sms_handler(store: Store, secret: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):
            return

        def _reply(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                self._reply(413, {"error": "body size"})
                return
            body = self.rfile.read(length)
            timestamp = self.headers.get("X-SMS-Timestamp", "")
            signature = self.headers.get("X-SMS-Signature", "")
            expected = (
                "sha256="
                + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            )
            if not hmac.compare_digest(signature, expected):
                self._reply(401, {"error": "bad signature"})
                return
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW:
                self._reply(401, {"error": "stale timestamp"})
                return
            data = json.loads(body)
            store.record(
                {
                    "kind": "sms",
                    "to": data["to"],
                    "message_id": data["message_id"],
                    "idempotency_key": self.headers.get("Idempotency-Key", ""),
                    "text": data["text"],
                    "params": data.get("params") or {},
                }
            )
            self._reply(200, {"accepted": data["message_id"]})

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/healthz":
                self._reply(200, {"ok": True})
                return
            if url.path != "/messages":
                self._reply(404, {"error": "not found"})
                return
            to = (parse_qs(url.query).get("to") or [""])[0]
            self._reply(200, {"messages": store.messages(to)})

    return Handler


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for Django's SMTP backend without TLS or auth."""

    store: Store

    def _send(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self._send("220 localhost sink")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("HELO", "EHLO"):
                self._send("250 localhost")
            elif verb == "MAIL":
                recipients = []
                self._send("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self._send("250 OK")
            elif verb == "DATA":
                self._send("354 End data with <CR><LF>.<CR><LF>")
                size = 0
                while True:
                    chunk = self.rfile.readline(65536)
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    size += len(chunk)
                self.store.record({"kind": "email", "to": recipients, "bytes": size})
                self._send("250 OK queued")
            elif verb == "QUIT":
                self._send("221 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                self._send("250 OK")
            else:
                self._send("502 Command not implemented")


class ThreadingSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms-port", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args()

    secret = Path(args.secret_file).read_text().strip()
    store = Store(Path(args.state_dir) / "deliveries.jsonl")

    sms = ThreadingHTTPServer(("127.0.0.1", args.sms_port), make_sms_handler(store, secret))
    sms.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    sms.socket = context.wrap_socket(sms.socket, server_side=True)

    SMTPHandler.store = store
    smtp = ThreadingSMTPServer(("127.0.0.1", args.smtp_port), SMTPHandler)
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    print(
        f"sinks: SMS gateway https://127.0.0.1:{args.sms_port}/ SMTP 127.0.0.1:{args.smtp_port}", flush=True
    )
    try:
        sms.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        smtp.shutdown()


if __name__ == "__main__":
    main()
