"""CAPTCHA-free proof-of-work for messages to a recipient that had several lately.

Built on ALTCHA's PoW v2 (the ``altcha`` package; the browser solves with the vendored
ALTCHA library in ``static/vendor/altcha``): the server issues a signed challenge of a
known cost, the client searches for the counter whose derived key starts with the
required prefix, the server checks it with one key derivation. Each challenge is bound to
one recipient, channel and purpose, expires after ``POW_TTL`` seconds and is accepted
once (its signature is remembered in the rate-limit cache until it expires).
"""

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time

import altcha
from django.conf import settings
from django.utils.crypto import salted_hmac

from core import ratelimit

logger = logging.getLogger(__name__)

MAX_PAYLOAD = 4096
USED_PREFIX = "pow-used"


def _secret() -> str:
    key = settings.POW_HMAC_KEY or ""
    if key:
        return key
    return salted_hmac("messaging.pow", "challenge-signing", algorithm="sha256").hexdigest()


def _ttl() -> int:
    return int(settings.POW_TTL)


def _binding_digest(binding: str) -> str:
    return hmac.new(_secret().encode(), binding.encode(), hashlib.sha256).hexdigest()[:32]


def issue(*, binding: str) -> dict:
    """A signed challenge (JSON-ready dict, the shape ALTCHA's solvers take) for ``binding``."""
    challenge = altcha.create_challenge(
        algorithm=settings.POW_ALGORITHM,
        cost=int(settings.POW_COST),
        key_prefix=settings.POW_KEY_PREFIX,
        expires_at=int(time.time()) + _ttl(),
        data={"b": _binding_digest(binding)},
        hmac_secret=_secret(),
    )
    return challenge.to_dict()


def solve(challenge: dict) -> str:
    """Solve ``challenge`` as a client would and return the payload to send (tests, scripts)."""
    solution = altcha.solve_challenge(altcha.Challenge.from_dict(challenge))
    if solution is None:
        raise RuntimeError("proof-of-work challenge could not be solved")
    return altcha.Payload(altcha.Challenge.from_dict(challenge), solution).to_base64()


def redeem(payload, *, binding: str) -> bool:
    """True once for a genuine, unexpired solution of a challenge issued for ``binding``."""
    if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD:
        return False
    try:
        decoded = json.loads(base64.b64decode(payload, validate=True).decode())
        data = decoded["challenge"]["parameters"].get("data") or {}
        signature = str(decoded["challenge"]["signature"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, RecursionError):
        return False
    if not isinstance(data, dict) or not hmac.compare_digest(
        str(data.get("b", "")), _binding_digest(binding)
    ):
        return False
    try:
        result = altcha.verify_solution(payload, _secret())
    except (ValueError, TypeError, KeyError, OverflowError):
        return False
    if not result.verified:
        return False
    used = f"{USED_PREFIX}:{hashlib.sha256(signature.encode()).hexdigest()}"
    try:
        first = ratelimit.first_use(used, _ttl() + 60)
    except ratelimit.LimiterUnavailable:
        return False
    if not first:
        logger.info("proof-of-work payload replayed")
    return first
