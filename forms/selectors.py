"""Read-side queries over campaign submissions."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.models import Page
from wagtail.permissions import policy_registry

from core import crypto
from core.phone import normalize_mobile

from . import catalogue
from .choices import SubjectKind
from .models import CampaignFormPage, CampaignSubmission, Purpose, SubjectHash
from .permissions import (
    ALL_CAMPAIGNS_PERMISSION,
    sees_sensitive_submissions,
)


def submissions_for_subject(*, mobile: str | None = None, email: str | None = None):
    """One person's campaign submissions, found through the indexed subject hashes.

    Pass a mobile (any format ``normalize_mobile`` accepts), an e-mail, or both (either
    matches). Raises ``ValidationError`` for a malformed mobile or when neither is given.
    """

    hashes = []
    if mobile:
        hashes.append((SubjectKind.MOBILE, crypto.mobile_hash(normalize_mobile(mobile))))
    if email:
        hashes.append((SubjectKind.EMAIL, crypto.email_hash(email)))
    if not hashes:
        raise ValidationError(_("Give a mobile number or an e-mail address."), code="required")
    match = Q()
    for kind, value in hashes:
        match |= Q(value_hash=value, kind=kind)
    ids = SubjectHash.objects.filter(match).values("submission_id")
    return CampaignSubmission.objects.filter(pk__in=ids).order_by("-submit_time", "-pk")


# --- who sees which campaign submissions ---------------------------------------------------------


def sensitive_purposes():
    """Purposes whose whitelist allows a sensitive field (e.g. partner upgrades)."""

    return Purpose.objects.filter(fields__field_key__in=catalogue.SENSITIVE_KEYS)


def campaign_pages_visible_to(user):
    """Campaign pages whose submissions ``user`` may read, export and import into.

    Privacy officers (``view_sensitive_submissions``) see every campaign; Marketing leads
    (``view_all_campaign_submissions``) every campaign whose purpose collects no sensitive
    data; a Marketer only the campaigns they own or are on the team of, and may edit, again
    without sensitive purposes. Everyone else sees none.
    """

    pages = CampaignFormPage.objects.all()
    if not getattr(user, "is_active", False):
        return pages.none()
    if sees_sensitive_submissions(user):
        return pages
    pages = pages.exclude(purpose__in=sensitive_purposes())
    if user.has_perm(ALL_CAMPAIGNS_PERMISSION):
        return pages
    editable = policy_registry.get_by_type(Page).instances_user_has_permission_for(user, "change")
    on_team = CampaignFormPage.team.through.objects.filter(user=user).values("campaignformpage_id")
    return pages.filter(Q(owner=user) | Q(pk__in=on_team), pk__in=editable.values("pk"))


def submissions_visible_to(user, *, queryset=None):
    """The campaign submissions ``user`` may read, out of ``queryset`` (default: all).

    Whether a submission is sensitive follows the purpose it was *collected under* (and
    whether it holds an encrypted sensitive value), never the page's current purpose: only
    Privacy officers see those. Pages are those of ``campaign_pages_visible_to``.
    """

    if queryset is None:
        queryset = CampaignSubmission.objects.all()
    if not getattr(user, "is_active", False):
        return queryset.none()
    if sees_sensitive_submissions(user):
        return queryset
    queryset = queryset.exclude(purpose__in=sensitive_purposes()).filter(sensitive_data="")
    return queryset.filter(page_id__in=campaign_pages_visible_to(user).values("pk"))


def may_erase_submissions(user) -> bool:
    """Whether ``user`` may erase submissions from a campaign's listing.

    Erasure belongs to the rights-request app, which answers through the
    ``may_erase_campaign_submissions`` hook; without it nobody may.
    """

    return bool(user.is_active) and any(fn(user) for fn in hooks.get_hooks("may_erase_campaign_submissions"))
