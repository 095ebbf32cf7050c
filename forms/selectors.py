"""Read-side queries over campaign submissions."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import protection
from .choices import SubjectKind
from .phone import normalize_mobile


def submissions_for_subject(*, mobile: str | None = None, email: str | None = None):
    """One person's campaign submissions, found through the indexed subject hashes.

    Pass a mobile (any format ``normalize_mobile`` accepts), an e-mail, or both (either
    matches). Raises ``ValidationError`` for a malformed mobile or when neither is given.
    """
    from .models import CampaignSubmission, SubjectHash

    hashes = []
    if mobile:
        hashes.append((SubjectKind.MOBILE, protection.mobile_hash(normalize_mobile(mobile))))
    if email:
        hashes.append((SubjectKind.EMAIL, protection.email_hash(email)))
    if not hashes:
        raise ValidationError(_("Give a mobile number or an e-mail address."), code="required")
    match = Q()
    for kind, value in hashes:
        match |= Q(value_hash=value, kind=kind)
    ids = SubjectHash.objects.filter(match).values("submission_id")
    return CampaignSubmission.objects.filter(pk__in=ids).order_by("-submit_time", "-pk")
