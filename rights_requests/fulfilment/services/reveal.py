"""Viewing sensitive values in clear: the reason a Privacy officer gives, and the record of who
saw what."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .common import MAX_REASON, UNMASKED_PERMISSION, FulfilmentError


def reveal_reason(reason) -> str:
    """A Privacy officer's reason for viewing sensitive values in clear; ``FulfilmentError`` if missing."""
    text = (reason or "").strip()
    if not text:
        raise FulfilmentError({"reason": [_("Give the reason for viewing sensitive values in clear.")]})
    if len(text) > MAX_REASON:
        raise FulfilmentError({"reason": [_("Use at most %(max)d characters.") % {"max": MAX_REASON}]})
    return text


def record_unmasked_view(*, user, reason: str, what: str, submission_ids, rights_request=None) -> None:
    """Record who saw which records' sensitive values in clear, when and why (Wagtail's log)."""
    if not user.has_perm(UNMASKED_PERMISSION):
        raise PermissionDenied
    ids = sorted(int(pk) for pk in submission_ids)
    target = rights_request if rights_request is not None else user
    log(
        target,
        "fulfilment.unmasked_view",
        user=user,
        data={"what": what, "reason": reason, "submissions": ids[:500], "count": len(ids)},
    )
