"""The whitelist desk: what a pending change to a purpose's allowed fields would do, and the change."""

import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from forms import catalogue
from forms.models import CampaignFormPage, PurposeField
from forms.whitelist import page_policy_problems

from .exports import OFFICER_PERMISSION

logger = logging.getLogger(__name__)

# --- the whitelist desk -----------------------------------------------------------------------


@dataclass
class PendingPurpose:
    """A purpose as it would be after a pending change, for ``page_policy_problems``."""

    code: str
    clause: str
    name: str
    sms_required: bool
    allowed: dict[str, bool]

    def allowed_field_keys(self) -> set[str]:
        return set(self.allowed)

    def optional_only_keys(self) -> set[str]:
        return {k for k, may_require in self.allowed.items() if not may_require}


def whitelist_impact(*, purpose, allowed: dict[str, bool], sms_required: bool) -> list[dict]:
    """Campaign pages of ``purpose`` that the pending whitelist would break, with the reasons.

    ``allowed`` maps catalogue keys to "may be required". Pages already out of step are
    listed too, marked ``already``.
    """

    pending = PendingPurpose(
        code=purpose.code,
        clause=purpose.clause,
        name=purpose.name,
        sms_required=sms_required,
        allowed=allowed,
    )
    impact = []
    pages = CampaignFormPage.objects.filter(purpose=purpose).prefetch_related(
        "form_fields", "purpose__fields"
    )
    for page in pages.order_by("title"):
        arguments = {
            "rows": list(page.form_fields.all()),
            "cities": page.city_list(),
            "download_document_id": page.download_document_id,
        }
        after = [p.message for p in page_policy_problems(purpose=pending, **arguments) if p.row is None]
        if not after:
            continue
        before = {p.message for p in page_policy_problems(purpose=purpose, **arguments) if p.row is None}
        impact.append(
            {
                "page": page,
                "live": page.live,
                "messages": after,
                "already": bool(before) and set(after) <= before,
            }
        )
    return impact


def whitelist_change(*, purpose, user, allowed: dict[str, bool], sms_required: bool, reason: str):
    """Save a reviewed whitelist change as a new revision of the purpose and log it."""

    if not user.has_perm(OFFICER_PERMISSION):
        raise PermissionDenied
    unknown = [k for k in allowed if k not in catalogue.FIELDS]
    if unknown:
        raise ValidationError(_("Unknown personal fields: %(keys)s") % {"keys": ", ".join(unknown)})
    with transaction.atomic():
        purpose.sms_required = sms_required
        purpose.save()
        existing = {f.field_key: f for f in purpose.fields.all()}
        for key, row in existing.items():
            if key not in allowed:
                row.delete()
        order = 0
        for key in catalogue.FIELDS:
            if key not in allowed:
                continue
            row = existing.get(key) or PurposeField(purpose=purpose, field_key=key)
            row.required = allowed[key]
            row.sort_order = order
            row.save()
            order += 1
        purpose.refresh_from_db()
        revision = purpose.save_revision(user=user, log_action=False)
        log(
            instance=purpose,
            action="wagtail.edit",
            user=user,
            revision=revision,
            data={"reason": reason, "fields": sorted(allowed)},
        )
    return revision
