"""Turn a load run's files into the figures ``make load`` prints."""

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

FAULT_WINDOWS = [
    ("gunicorn worker restart (HUP, then one worker killed)", "gunicorn_hup", "gunicorn_kill_worker", 5),
    ("Redis stopped 30 s", "redis_down", "redis_up", 0),
    ("task workers stopped 60 s", "task_workers_stop", "task_workers_start", 0),
    ("database refusing connections 5 s", "db_refuse", "db_accept", 0),
]
IN_FLIGHT_GRACE = 1.0


def line(label: str, result: dict, verify: dict) -> str:
    submit = result["steps"].get("submit", {})
    sms = result["steps"].get("sms_delivery", {})
    return (
        f"{label}: {result['concurrency']} clients, {result['seconds']} s, "
        f"{result['requests_per_s']} req/s, {result['submissions_per_s']} submissions/s "
        f"({result['submissions_accepted']} accepted); all requests p50/p95/p99 "
        f"{result['p50_ms']}/{result['p95_ms']}/{result['p99_ms']} ms; submit p95 {submit.get('p95_ms', '-')} ms; "
        f"5xx/network errors {result['errors_5xx_or_network']}; "
        f"SMS delivery p50/p95 {sms.get('p50_ms', '-')}/{sms.get('p95_ms', '-')} ms, "
        f"not delivered before the run ended {result.get('sms_not_delivered_in_time', 0)}; "
        f"refused 4xx with reason {verify['refused_4xx']}; lost {verify['lost']}; "
        f"duplicates {verify['duplicates']}; stored after refusal {verify['stored_after_refusal']}; "
        f"outcome unknown {verify['unknown_outcome']} (of which stored {verify['unknown_stored']})"
    )


def fault_detail(events, faults, deliveries) -> list[str]:
    marks = {}
    for raw in faults:
        stamp, name = raw.split(" ", 1)
        marks[name.strip()] = float(stamp)
    out = []
    for title, start_name, end_name, extra in FAULT_WINDOWS:
        if start_name not in marks or end_name not in marks:
            continue
        start, end = marks[start_name], marks[end_name] + extra
        seen: dict[str, Counter] = defaultdict(Counter)
        for when, step, status in events:
            if start <= when <= end:
                seen[step][status] += 1
        shown = "; ".join(f"{step} {dict(c)}" for step, c in sorted(seen.items()))
        out.append(f"  {title} [{end - start:.0f} s]: {shown or 'no requests'}")
        if start_name == "redis_down":
            # Events are stamped when the answer arrives: a request that passed the limiter just
            # before the stop can still finish a moment after it.
            answered = [when for when, step, status in events if step == "sms_challenge" and status == "201"]
            in_flight = sum(1 for when in answered if start <= when <= start + IN_FLIGHT_GRACE)
            accepted = sum(1 for when in answered if start + IN_FLIGHT_GRACE < when <= end)
            out.append(
                f"    SMS challenges accepted while Redis was down: {accepted} (fail closed means 0); "
                f"{in_flight} more answered within {IN_FLIGHT_GRACE:.0f} s of the stop (in flight before it)"
            )
        if start_name == "task_workers_stop":
            during = [d for d in deliveries if d["kind"] == "sms" and start + 2 < d["received_at"] <= end]
            out.append(f"    SMS delivered while the task workers were stopped: {len(during)}")
            after = [d for d in deliveries if d["kind"] == "sms" and end < d["received_at"] <= end + 30]
            out.append(f"    SMS delivered in the 30 s after they restarted: {len(after)}")
    sms_ids = Counter(d["message_id"] for d in deliveries if d["kind"] == "sms")
    emails = sum(1 for d in deliveries if d["kind"] == "email")
    out.append(
        f"  deliveries: {sum(sms_ids.values())} SMS ({sum(1 for c in sms_ids.values() if c > 1)} message ids "
        f"delivered twice), {emails} notification e-mails"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--verify", required=True)
    parser.add_argument("--events")
    parser.add_argument("--faults")
    parser.add_argument("--deliveries")
    args = parser.parse_args()
    result = json.loads(Path(args.result).read_text())
    verify = json.loads(Path(args.verify).read_text())
    print(line(args.label, result, verify))
    if result.get("refusal_reasons"):
        print(f"  refusals: {json.dumps(result['refusal_reasons'], ensure_ascii=False)}")
    if args.events and args.faults:
        events = json.loads(Path(args.events).read_text())
        faults = Path(args.faults).read_text().splitlines()
        deliveries_path = Path(args.deliveries) if args.deliveries else None
        deliveries = (
            [json.loads(x) for x in deliveries_path.read_text().splitlines() if x.strip()]
            if deliveries_path and deliveries_path.exists()
            else []
        )
        for text in fault_detail(events, faults, deliveries):
            print(text)
        print(
            f"  accepted submissions {verify['accepted']} vs notification e-mails delivered: see deliveries"
        )


if __name__ == "__main__":
    main()
