"""The one gate every SMS and e-mail to a visitor-given number or address passes.

``admit()`` counts one message against every limit that applies and either returns an
``Admission`` or raises ``SendRefused`` (with ``retry_after``), all or nothing: a refused
message costs no quota (``ratelimit.hit``). ``services.queue_sms`` and
``services.queue_email`` refuse to queue a message that was not admitted, so no send path
can skip the limits.

Two kinds of message share the gate:

* **Visitor messages** — caused by whoever fills in a form or calls the API: verification
  codes, the rights-request receipt, e-mail confirmation links, download links, password
  resets. Limits: a cool-down and hourly/daily counts per recipient *and purpose* (so a
  flood of one purpose leaves the others open), hourly/daily totals per recipient, per
  client IP *and* recipient (one stranger cannot use up someone's totals), per client IP,
  per subnet, and a global per-minute and per-day ceiling for each channel. Past
  ``MESSAGE_POW_THRESHOLD`` visitor messages to one recipient within the hour, a code is
  only sent with a solved proof-of-work (``forms.sms.pow``): the real person's browser
  solves it without a puzzle; a flood gets slower and costlier.
* **Service notices** — caused by staff or by the request's own progress: state notices of
  a rights request, the access package link, incident notices. They have their own
  per-recipient budget (visitor traffic cannot delay them; staff cannot flood with them)
  and are deferred, never dropped, when it is used up.

Cache keys hold keyed hashes (HMAC with ``SUBJECT_HASH_KEY``, under their own contexts),
never a clear number, address or IP.
"""

import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import crypto, ratelimit

from . import pow as proof_of_work

logger = logging.getLogger(__name__)

CHANNELS = ("sms", "email")

#: Messages a visitor's request causes (codes are ``code:<challenge purpose>``).
VISITOR_PURPOSES = {
    "rights_request_received",
    "email_confirmation",
    "download_link",
    "password_reset",
}
#: Messages staff actions or a request's progress cause.
NOTICE_PURPOSES = {"rights_request_notice", "access_package", "incident_notice", "registration_notice"}


HOUR = 3600
DAY = 86400


def conf(name: str) -> int:
    """An integer setting; every default is declared once, in ``cms/settings/base.py``."""
    return int(getattr(settings, name))


@dataclass(frozen=True)
class Admission:
    """Proof that one message to ``recipient_hash`` on ``channel`` passed the limits."""

    channel: str
    recipient_hash: str
    purpose: str

    def covers(self, *, channel: str, recipient: str) -> bool:
        return self.channel == channel and self.recipient_hash == recipient_key(channel, recipient)


class SendRefused(Exception):
    """A message the limits do not admit now. ``reason`` says whose limit:

    ``recipient`` (this number or address had enough), ``client`` (this IP or network sent
    too many), ``global`` (the site's ceiling), ``unavailable`` (the counters cannot be
    read: refused, fail closed) or ``proof`` (a proof-of-work is needed first).
    """

    def __init__(self, *, reason: str, scope: str, retry_after: int):
        self.reason = reason
        self.scope = scope
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"message refused by {scope}")

    @property
    def message(self) -> str:
        return refusal_message(self)


class ProofRequired(SendRefused):
    """This recipient had several messages lately: solve ``challenge`` and send it again."""

    def __init__(self, *, challenge: dict, retry_after: int, invalid: bool = False):
        self.challenge = challenge
        self.invalid = invalid
        super().__init__(reason="proof", scope="msg-proof", retry_after=retry_after)


def _wait(seconds: int) -> str:
    minutes = max(1, -(-int(seconds) // 60))
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", int(seconds)) % {"count": int(seconds)}
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = -(-minutes // 60)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def refusal_message(exc: SendRefused) -> str:
    """What the visitor reads: whose limit it is and when to try again, in the active language."""
    wait = _wait(exc.retry_after)
    if exc.reason == "recipient":
        return _("Too many messages were sent to this number or address recently. Try again in %(wait)s.") % {
            "wait": wait
        }
    if exc.reason == "client":
        return _("Too many messages were requested from your network. Try again in %(wait)s.") % {
            "wait": wait
        }
    if exc.reason == "proof":
        if getattr(exc, "invalid", False):
            return _("The automatic check did not succeed. Send the request again to retry it.")
        return _(
            "This number or address received several messages recently, so your browser must "
            "finish a short automatic check first. If nothing happens, enable JavaScript or try "
            "again in %(wait)s."
        ) % {"wait": wait}
    if exc.reason == "unavailable":
        return _("Messages cannot be sent at the moment. Try again in a minute.")
    return _("We are sending too many messages right now. Try again in %(wait)s.") % {"wait": wait}


# --- identities -------------------------------------------------------------------------


def normalize_recipient(channel: str, recipient: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    value = str(recipient or "").strip()
    return crypto.normalize_email(value) if channel == "email" else value


def recipient_key(channel: str, recipient: str) -> str:
    """Keyed hash of the recipient, for counters only (not the subject hash stored in tables)."""
    return crypto.subject_hash(f"gate-{channel}", normalize_recipient(channel, recipient))[:40]


def client_keys(ip) -> tuple[str, str] | None:
    """Keyed hashes of the client (an IPv4 address or an IPv6 /64) and its network
    (IPv4 /24, IPv6 /48); None for an address that cannot be parsed."""
    try:
        address = ipaddress.ip_address(str(ip or "").strip())
    except ValueError:
        return None
    if address.version == 4:
        host = str(address)
        network = str(ipaddress.ip_network(f"{address}/24", strict=False))
    else:
        host = str(ipaddress.ip_network(f"{address}/64", strict=False))
        network = str(ipaddress.ip_network(f"{address}/48", strict=False))
    return (
        crypto.subject_hash("gate-ip", host)[:40],
        crypto.subject_hash("gate-net", network)[:40],
    )


def hashed_ip(ip) -> str:
    """The keyed hash of a client address for other counters (``unknown`` when unparsable)."""
    keys = client_keys(ip)
    return keys[0] if keys else "unknown"


# --- limits -----------------------------------------------------------------------------

SCOPE_REASONS = {
    "msg-purpose-resend": "recipient",
    "msg-purpose-hour": "recipient",
    "msg-purpose-day": "recipient",
    "msg-recipient-hour": "recipient",
    "msg-recipient-day": "recipient",
    "msg-notice-hour": "recipient",
    "msg-notice-day": "recipient",
    "msg-client-recipient": "client",
    "msg-ip": "client",
    "msg-subnet": "client",
    "msg-global-minute": "global",
    "msg-global-day": "global",
}


def _recipient_hour_limit() -> ratelimit.Limit:
    return ratelimit.Limit("msg-recipient-hour", conf("MESSAGE_LIMIT_PER_RECIPIENT_HOUR"), HOUR)


def _visitor_limits(*, channel: str, rkey: str, purpose: str, ip) -> list[tuple[ratelimit.Limit, str]]:
    per_purpose = f"{channel}:{purpose}:{rkey}"
    per_recipient = f"{channel}:{rkey}"
    checks = [
        (ratelimit.Limit("msg-global-minute", conf("MESSAGE_LIMIT_GLOBAL_PER_MINUTE"), 60), channel),
        (ratelimit.Limit("msg-global-day", conf("MESSAGE_LIMIT_GLOBAL_PER_DAY"), DAY), channel),
        (ratelimit.Limit("msg-purpose-resend", 1, conf("SMS_RESEND_INTERVAL")), per_purpose),
        (ratelimit.Limit("msg-purpose-hour", conf("MESSAGE_LIMIT_PER_PURPOSE_HOUR"), HOUR), per_purpose),
        (ratelimit.Limit("msg-purpose-day", conf("MESSAGE_LIMIT_PER_PURPOSE_DAY"), DAY), per_purpose),
        (_recipient_hour_limit(), per_recipient),
        (ratelimit.Limit("msg-recipient-day", conf("MESSAGE_LIMIT_PER_RECIPIENT_DAY"), DAY), per_recipient),
    ]
    keys = client_keys(ip)
    host, network = keys if keys else ("unknown", "unknown")
    checks += [
        (
            ratelimit.Limit(
                "msg-client-recipient", conf("MESSAGE_LIMIT_PER_CLIENT_AND_RECIPIENT_HOUR"), HOUR
            ),
            f"{host}:{per_recipient}",
        ),
        (ratelimit.Limit("msg-ip", conf("MESSAGE_LIMIT_PER_IP_HOUR"), HOUR), host),
        (ratelimit.Limit("msg-subnet", conf("MESSAGE_LIMIT_PER_SUBNET_HOUR"), HOUR), network),
    ]
    return checks


def _notice_limits(*, channel: str, rkey: str) -> list[tuple[ratelimit.Limit, str]]:
    identity = f"{channel}:{rkey}"
    return [
        (ratelimit.Limit("msg-notice-hour", conf("MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_HOUR"), HOUR), identity),
        (ratelimit.Limit("msg-notice-day", conf("MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_DAY"), DAY), identity),
    ]


def is_visitor_purpose(purpose: str) -> bool:
    return purpose.startswith("code:") or purpose in VISITOR_PURPOSES


def _check_purpose(purpose: str) -> None:
    if not isinstance(purpose, str) or not (is_visitor_purpose(purpose) or purpose in NOTICE_PURPOSES):
        raise ValueError(f"unknown message purpose {purpose!r}")


def _recent_count(rkey: str, channel: str) -> int:
    """Visitor messages to this recipient in the current hourly window."""
    try:
        return ratelimit.count(_recipient_hour_limit(), f"{channel}:{rkey}")
    except ratelimit.LimiterUnavailable:
        raise SendRefused(reason="unavailable", scope="unavailable", retry_after=60) from None


def proof_needed(*, channel: str, recipient: str) -> bool:
    """Whether the next visitor message to ``recipient`` needs a solved proof-of-work."""
    return _recent_count(recipient_key(channel, recipient), channel) >= conf("MESSAGE_POW_THRESHOLD")


def admit(
    *, channel: str, recipient: str, purpose: str, ip=None, proof: str | None = None, use_proof: bool = False
):
    """Count one message to ``recipient`` on ``channel`` for ``purpose``; return an ``Admission``.

    ``ip`` is the client address for visitor messages. With ``use_proof`` (verification
    codes, whose pages and API can run a proof-of-work), a recipient past the threshold
    needs ``proof``, a solved challenge from ``forms.sms.pow``; without it the message is
    refused with ``ProofRequired`` carrying a fresh challenge. Raises ``SendRefused``
    otherwise; a refusal counts against nothing.
    """
    _check_purpose(purpose)
    rkey = recipient_key(channel, recipient)
    visitor = is_visitor_purpose(purpose)
    if visitor:
        checks = _visitor_limits(channel=channel, rkey=rkey, purpose=purpose, ip=ip)
        if use_proof and _recent_count(rkey, channel) >= conf("MESSAGE_POW_THRESHOLD"):
            binding = f"{channel}:{rkey}:{purpose}"
            wait = _retry_after_window(rkey, channel)
            if not proof:
                raise ProofRequired(challenge=proof_of_work.issue(binding=binding), retry_after=wait)
            if not proof_of_work.redeem(proof, binding=binding):
                raise ProofRequired(
                    challenge=proof_of_work.issue(binding=binding), retry_after=wait, invalid=True
                )
    else:
        checks = _notice_limits(channel=channel, rkey=rkey)
    try:
        ratelimit.hit(checks)
    except ratelimit.LimitExceeded as exc:
        scope = exc.limit.scope
        logger.info("message refused (%s, %s, %s)", channel, purpose, scope)
        raise SendRefused(
            reason=SCOPE_REASONS.get(scope, "global"), scope=scope, retry_after=exc.retry_after
        ) from None
    except ratelimit.LimiterUnavailable:
        raise SendRefused(reason="unavailable", scope="unavailable", retry_after=60) from None
    return Admission(channel=channel, recipient_hash=rkey, purpose=purpose)


def _retry_after_window(rkey: str, channel: str) -> int:
    try:
        return max(1, ratelimit.window_left(_recipient_hour_limit(), f"{channel}:{rkey}"))
    except ratelimit.LimiterUnavailable:
        return 60
