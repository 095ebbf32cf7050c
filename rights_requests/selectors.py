"""Read-only queries: staff search, deadlines, the transition timeline and the person's data."""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from core.crypto import email_hash, mask_email, mobile_hash
from core.phone import mask_mobile, normalize_mobile
from forms import catalogue
from forms.models import CampaignSubmission, SubjectHash
from forms.whitelist import list_separator

from .choices import State
from .models import RightsRequest, today

REFERENCE_RE = re.compile(r"^(RR-)?[0-9A-Z-]{2,20}$")


def search_rights_requests(queryset, term: str):
    """Search by reference (or part of it), or by a full mobile number or e-mail through the
    subject hashes: the clear values are never searched, they are only stored encrypted."""
    term = (term or "").strip()
    if not term:
        return queryset
    if "@" in term:
        return queryset.filter(email_hash=email_hash(term))
    try:
        e164 = normalize_mobile(term)
    except ValidationError:
        e164 = ""
    if e164:
        return queryset.filter(Q(mobile_hash=mobile_hash(e164)) | Q(reference__icontains=term))
    if REFERENCE_RE.match(term.upper()):
        return queryset.filter(reference__icontains=term.upper())
    return queryset.none()


def open_requests():
    return RightsRequest.objects.filter(state__in=[State.RECEIVED, State.VERIFIED])


def overdue_requests(on: datetime.date | None = None):
    return open_requests().filter(due_date__lt=on or today())


def due_soon_requests(on: datetime.date | None = None):
    """Unanswered requests due within RIGHTS_REQUEST_REMIND_DAYS days, or already overdue."""
    on = on or today()
    limit = on + datetime.timedelta(days=settings.RIGHTS_REQUEST_REMIND_DAYS)
    return open_requests().filter(due_date__lte=limit).order_by("due_date", "received_at")


def timeline(rr: RightsRequest):
    """Every logged transition of ``rr``, oldest first, with who ran it and why."""
    return StateLog.objects.for_(rr).select_related("by").order_by("timestamp", "pk")


def same_person_requests(rr: RightsRequest):
    """The person's other requests, found through the subject hashes of proven identifiers only."""
    person = Q()
    if rr.proven_mobile_hash:
        person |= Q(mobile_hash=rr.proven_mobile_hash)
    if rr.proven_email_hash:
        person |= Q(email_hash=rr.proven_email_hash)
    if not person:
        return RightsRequest.objects.none()
    return RightsRequest.objects.filter(person).exclude(pk=rr.pk).order_by("-received_at")


def person_submissions(rr: RightsRequest, limit: int = 50) -> list[dict]:
    """Campaign submissions held about the requester (by the subject hashes of proven identifiers):
    when, which page and purpose, and which fields are held. Values are not shown here."""

    hashes = [h for h in (rr.proven_mobile_hash, rr.proven_email_hash) if h]
    if not hashes:
        return []
    ids = SubjectHash.objects.filter(value_hash__in=hashes).values("submission_id")
    submissions = (
        CampaignSubmission.objects.filter(pk__in=ids)
        .exclude(fulfilment_status__restricted_at__isnull=False)  # §6.5: Privacy officers only
        .select_related("page", "purpose", "policy_version")
        .order_by("-submit_time")[:limit]
    )
    return [
        {
            "submission": s,
            "page_title": s.page.title if s.page_id else "",
            "purpose": str(s.purpose),
            "fields": list_separator().join(
                catalogue.get(k).label if k in catalogue.FIELDS else k
                for k in sorted(s.form_data or {})
                if not k.startswith("q_")
            ),
            "policy_version": s.policy_version_label(),
        }
        for s in submissions
    ]


def identifier_rows(rr) -> list[dict]:
    """Each identifier the request gives, masked, with whether and how it was proven."""
    rows = []
    if rr.mobile_hash:
        rows.append(
            {
                "key": "mobile",
                "label": _("Mobile"),
                "value": mask_mobile(rr.mobile),
                "proven": rr.mobile_proven,
                "how": rr.get_mobile_proof_display() if rr.mobile_proof else "",
                "note": rr.mobile_proof_note,
            }
        )
    if rr.email_hash:
        rows.append(
            {
                "key": "email",
                "label": _("E-mail"),
                "value": mask_email(rr.email),
                "proven": rr.email_proven,
                "how": rr.get_email_proof_display() if rr.email_proof else "",
                "note": rr.email_proof_note,
            }
        )
    return rows
