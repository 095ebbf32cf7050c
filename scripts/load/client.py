"""Concurrent visitors and staff against a site on loopback; prints figures as JSON.

Each visitor loops until the deadline: open the campaign page, ask for an SMS code
(``POST /api/sms/challenges``), read the code from the local gateway sink, verify it,
submit with a unique marker in the "Batch tag" question. About one submission in
twenty is deliberately invalid (a field the purpose does not allow) and must be
refused with a 4xx and a reason. Staff threads list the rights requests and the
page's submissions in the admin meanwhile. Every submission's outcome is appended to
an outcomes file that ``prepare.py verify`` checks against the database.

Only 127.0.0.1 is ever contacted; the run stops at ``--duration`` plus a hard grace.
"""

import argparse
import http.client
import json
import random
import re
import ssl
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import quote

HOST = "127.0.0.1"
CODE_RE = re.compile(r"(?<!\d)(\d{4,8})(?!\d)")
TIMEOUT = 30
SMS_WAIT = 90
IDLE_REUSE = 1.0


class Recorder:
    """Latencies and outcomes from every thread."""

    def __init__(self, outcomes_path: str, run: str):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.events: list[tuple[float, str, str]] = []
        self.outcomes = open(outcomes_path, "a", encoding="utf-8")
        self.run = run
        self.reasons: dict[str, int] = defaultdict(int)

    def request(self, step: str, status: str, seconds: float) -> None:
        with self.lock:
            self.latency[step].append(seconds)
            self.status[step][status] += 1
            self.events.append((time.time(), step, status))

    def outcome(self, marker: str, outcome: str, status: int | str, reason: str = "") -> None:
        line = {"run": self.run, "marker": marker, "outcome": outcome, "status": status, "reason": reason}
        with self.lock:
            self.outcomes.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.outcomes.flush()
            if reason:
                self.reasons[f"{status} {reason[:80]}"] += 1


class Http:
    """One keep-alive connection per thread; reconnects after errors."""

    def __init__(self, port: int, context=None):
        self.port = port
        self.context = context
        self.conn = None
        self.last_used = 0.0

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict, bytes]:
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.conn is not None and time.monotonic() - self.last_used > IDLE_REUSE:
            # The server may have closed an idle keep-alive connection; never send a POST on it.
            self.conn.close()
            self.conn = None
        for attempt in (1, 2):
            if self.conn is None:
                if self.context is not None:
                    self.conn = http.client.HTTPSConnection(
                        HOST, self.port, timeout=TIMEOUT, context=self.context
                    )
                else:
                    self.conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                self.last_used = time.monotonic()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, dict(response.getheaders()), payload
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                # Only an idempotent request on a reused connection is retried once.
                if attempt == 2 or method != "GET":
                    raise
        raise RuntimeError("unreachable")


def timed(rec: Recorder, step: str, fn):
    started = time.perf_counter()
    try:
        status, headers, body = fn()
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        rec.request(step, f"error:{type(exc).__name__}", time.perf_counter() - started)
        raise
    rec.request(step, str(status), time.perf_counter() - started)
    return status, headers, body


def reason_of(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:80].decode("utf-8", "replace")
    errors = data.get("errors") or data.get("detail") or data
    return json.dumps(errors, ensure_ascii=False)[:200]


def field_value(spec: dict, *, mobile: str, marker: str, n: int) -> object:
    name = spec["name"]
    if not spec["personal"]:
        return marker
    if spec["choices"]:
        return spec["choices"][0]["value"]
    values = {
        "mobile": mobile,
        "email": f"visitor{n}@example.com",
        "name_pinyin": "Zhang San",
        "birth_date": "1990-05-17",
        "qq_wechat": "123456789",
        "id_card_number": "11010519491231002X",
    }
    return values.get(name, f"测试{n}")


class Mobiles:
    """Distinct valid mainland mobile numbers (+86139…), never reused within a run."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next = random.randrange(10_000_000, 80_000_000)

    def take(self) -> str:
        with self.lock:
            self.next += 1
            return f"+86139{self.next:08d}"


def visitor(args, definition, rec: Recorder, mobiles: Mobiles, deadline: float) -> None:
    site = Http(args.port)
    sink_context = ssl.create_default_context(cafile=args.sink_ca)
    sink = Http(args.sink_port, sink_context)
    while time.time() < deadline:
        n = next(args.counter)
        marker = f"{rec.run}-{n}"
        mobile = mobiles.take()
        try:
            status, _h, _b = timed(rec, "page", lambda: site.call("GET", args.page_path))
            if status != 200:
                time.sleep(0.5)
                continue
            status, headers, body = timed(
                rec,
                "sms_challenge",
                lambda m=mobile: site.call(
                    "POST", "/api/sms/challenges", {"mobile": m, "purpose": definition["purpose"]["code"]}
                ),
            )
            if status != 201:
                if 400 <= status < 500:
                    rec.outcome(marker, "challenge_refused", status, reason_of(body))
                time.sleep(min(float(headers.get("Retry-After", 1) or 1), 2.0))
                continue
            challenge_id = json.loads(body)["challenge_id"]
            waiting = time.perf_counter()
            code = wait_for_code(sink, mobile, deadline + args.grace)
            if code is None:
                rec.request("sms_delivery", "not_delivered_in_time", time.perf_counter() - waiting)
                continue
            rec.request("sms_delivery", "delivered", time.perf_counter() - waiting)
            status, _h, body = timed(
                rec,
                "sms_verify",
                lambda c=code, cid=challenge_id: site.call(
                    "POST", f"/api/sms/challenges/{cid}/verify", {"code": c}
                ),
            )
            if status != 200:
                continue
            token = json.loads(body)["verification_token"]
            data = {
                spec["name"]: field_value(spec, mobile=mobile, marker=marker, n=n)
                for spec in definition["fields"]
                if spec["required"]
            }
            invalid = random.random() < args.invalid_share
            if invalid:
                data["id_card_number"] = "11010519491231002X"
            payload = {"data": data, "consent": True, "verification_token": token}
            try:
                status, _h, body = timed(
                    rec,
                    "submit",
                    lambda p=payload: site.call("POST", f"/api/forms/{definition['page_id']}/submissions", p),
                )
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                rec.outcome(marker, "unknown", f"error:{type(exc).__name__}")
                continue
            if status == 201:
                rec.outcome(marker, "accepted", status)
                if invalid:
                    rec.outcome(marker, "invalid_accepted", status)
            elif 400 <= status < 500:
                rec.outcome(marker, "refused", status, reason_of(body))
            else:
                rec.outcome(marker, "unknown", status)
        except (ConnectionError, http.client.HTTPException, OSError):
            time.sleep(0.2)


def wait_for_code(sink: Http, mobile: str, until: float) -> str | None:
    stop = min(until, time.time() + SMS_WAIT)
    while time.time() < stop:
        try:
            status, _h, body = sink.call("GET", f"/messages?to={quote(mobile)}")
        except (ConnectionError, http.client.HTTPException, OSError):
            time.sleep(0.5)
            continue
        if status == 200:
            messages = json.loads(body)["messages"]
            if messages:
                params = messages[-1].get("params") or {}
                if params.get("code"):
                    return str(params["code"])
                match = CODE_RE.search(messages[-1]["text"])
                if match:
                    return match.group(1)
        time.sleep(0.2)
    return None


def staff(args, rec: Recorder, deadline: float) -> None:
    site = Http(args.port)
    headers = {"Cookie": f"sessionid={args.session}"}
    paths = [("staff_requests", args.requests_path), ("staff_submissions", args.submissions_path)]
    while time.time() < deadline:
        for step, path in paths:
            try:
                timed(rec, step, lambda p=path: site.call("GET", p, headers=headers))
            except (ConnectionError, http.client.HTTPException, OSError):
                time.sleep(0.2)
        time.sleep(args.staff_pause)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarize(rec: Recorder, started: float, ended: float, concurrency: int) -> dict:
    elapsed = ended - started
    steps = {}
    all_latencies = []
    for step, values in rec.latency.items():
        if step != "sms_delivery":
            all_latencies.extend(values)
        steps[step] = {
            "count": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "status": dict(rec.status[step]),
        }
    submit_status = rec.status.get("submit", {})
    accepted = submit_status.get("201", 0)
    errors = sum(
        count
        for step in rec.status.values()
        for status, count in step.items()
        if status.startswith(("error", "5"))
    )
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests": len(all_latencies),
        "requests_per_s": round(len(all_latencies) / elapsed, 1),
        "submissions_accepted": accepted,
        "submissions_per_s": round(accepted / elapsed, 2),
        "p50_ms": round(percentile(all_latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(all_latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(all_latencies, 99) * 1000, 1),
        "errors_5xx_or_network": errors,
        "sms_not_delivered_in_time": rec.status.get("sms_delivery", {}).get("not_delivered_in_time", 0),
        "refusal_reasons": dict(sorted(rec.reasons.items(), key=lambda kv: -kv[1])[:8]),
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sink-port", type=int, required=True)
    parser.add_argument("--sink-ca", required=True)
    parser.add_argument("--setup", required=True, help="JSON printed by prepare.py setup")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--staff", type=int, default=4)
    parser.add_argument("--staff-pause", type=float, default=0.5)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--grace", type=float, default=30)
    parser.add_argument("--invalid-share", type=float, default=0.05)
    parser.add_argument("--outcomes", required=True)
    parser.add_argument("--events", help="write (time, step, status) of every request here")
    parser.add_argument("--run", default=uuid.uuid4().hex[:10])
    args = parser.parse_args()
    if args.concurrency > 500 or args.duration > 300:
        parser.error("keep load runs bounded: at most 500 clients and 300 seconds")
    setup = json.loads(args.setup)
    args.page_path = setup["page_path"]
    args.session = setup["session"]
    args.requests_path = setup["requests_path"]
    args.submissions_path = setup["submissions_path"]

    status, _h, body = Http(args.port).call("GET", f"/api/forms/{setup['page_id']}")
    if status != 200:
        raise SystemExit(f"the load page is not served: HTTP {status}")
    definition = json.loads(body)

    rec = Recorder(args.outcomes, args.run)
    mobiles = Mobiles()
    counter = iter(range(1, 10**9))
    counter_lock = threading.Lock()

    class SafeCounter:
        def __next__(self):
            with counter_lock:
                return next(counter)

    args.counter = SafeCounter()
    started = time.time()
    deadline = started + args.duration
    threads = [
        threading.Thread(target=visitor, args=(args, definition, rec, mobiles, deadline), daemon=True)
        for _ in range(args.concurrency)
    ]
    threads += [
        threading.Thread(target=staff, args=(args, rec, deadline), daemon=True) for _ in range(args.staff)
    ]
    for thread in threads:
        thread.start()
    hard_stop = deadline + args.grace + TIMEOUT
    for thread in threads:
        thread.join(max(0.0, hard_stop - time.time()))
    ended = min(time.time(), hard_stop)
    summary = summarize(rec, started, ended, args.concurrency)
    summary["run"] = args.run
    summary["still_running_threads"] = sum(1 for t in threads if t.is_alive())
    if args.events:
        with open(args.events, "w", encoding="utf-8") as handle:
            json.dump(rec.events, handle)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
