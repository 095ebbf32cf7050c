"""The message gate and its proof-of-work: what a send costs the server, what a proof costs a client.

Gate: one ``admit()`` of a verification code (twelve counters in the local-memory cache)
against an anchor in the same run, one ``ratelimit.hit`` of a single counter (what one
limit costs). Proof-of-work at the production cost (``POW_COST`` 5000, PBKDF2/SHA-256,
key prefix "00"): issuing, checking on the server, and solving in Python, against one
PBKDF2 derivation of that cost (the unit of work: a solve needs 256 of them on average).
"""

import hashlib
import statistics
import time

from django.core.cache import caches
from django.test.utils import override_settings

from core import ratelimit
from messaging import gate, pow


def _per_call(fn, repeat: int) -> float:
    started = time.perf_counter()
    for i in range(repeat):
        fn(i)
    return (time.perf_counter() - started) / repeat


def run(quick=False):
    repeat = 200 if quick else 2000
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench"}},
        MESSAGE_LIMIT_GLOBAL_PER_MINUTE=10**9,
        MESSAGE_LIMIT_GLOBAL_PER_DAY=10**9,
        MESSAGE_LIMIT_PER_IP_HOUR=10**9,
        MESSAGE_LIMIT_PER_SUBNET_HOUR=10**9,
        POW_COST=5000,
    ):
        caches["default"].clear()
        admit = _per_call(
            lambda i: gate.admit(
                channel="sms", recipient=f"+86138{i:08d}", purpose="code:event", ip=f"10.{i % 250}.0.1"
            ),
            repeat,
        )
        one = ratelimit.Limit("bench-one", 10**9, 3600)
        anchor = _per_call(lambda i: ratelimit.hit([(one, f"id{i}")]), repeat)
        print(f"gate.admit, one code: {admit * 1e6:.0f} µs   | anchor, one counter: {anchor * 1e6:.0f} µs")

        solves = 3 if quick else 10
        issue = _per_call(lambda i: pow.issue(binding=f"b{i}"), 50)
        timings, verifies = [], []
        for i in range(solves):
            challenge = pow.issue(binding=f"s{i}")
            started = time.perf_counter()
            payload = pow.solve(challenge)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert pow.redeem(payload, binding=f"s{i}")
            verifies.append(time.perf_counter() - started)
        unit = _per_call(lambda i: hashlib.pbkdf2_hmac("sha256", b"x" * 20, b"y" * 16, 5000, 32), 50)
        print(
            f"pow issue: {issue * 1e3:.2f} ms   pow check on the server: {statistics.median(verifies) * 1e3:.1f} ms"
        )
        print(
            f"pow solve in Python, median of {solves}: {statistics.median(timings) * 1e3:.0f} ms "
            f"(max {max(timings) * 1e3:.0f} ms)   | anchor, one PBKDF2 derivation: {unit * 1e3:.2f} ms"
        )
