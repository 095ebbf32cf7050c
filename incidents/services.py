"""The incident register: record an incident, find and tell the people it touched, announce it.

Every step is an ``IncidentStep``; only the holders of ``INCIDENT_PERMISSION`` act here.
"""

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.choices import SubjectKind
from forms.models import CampaignSubmission, SubjectHash
from messaging.services import queue_email, queue_sms

from .choices import IncidentAction, IncidentState
from .models import Incident, IncidentStep, IncidentSubject

INCIDENT_PERMISSION = "incidents.change_incident"


# --- incidents ----------------------------------------------------------------------------------


def _step(incident, user, action, detail="", count=None) -> IncidentStep:
    return IncidentStep.objects.create(
        incident=incident, user=user, action=action, detail=detail, count=count
    )


def _check_officer(user) -> None:
    if not user.has_perm(INCIDENT_PERMISSION):
        raise PermissionDenied


def incident_register(
    *,
    user,
    title: str,
    description: str,
    discovered_at,
    period_start,
    period_end,
    purposes,
    occurred_at=None,
    measures: str = "",
) -> Incident:
    """Register an incident (policy §5) and record the step."""
    _check_officer(user)
    if period_end < period_start:
        raise ValidationError({"period_end": _("The affected period must end after it starts.")})
    if not purposes:
        raise ValidationError({"purposes": _("Choose at least one affected purpose.")})
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            description=description,
            occurred_at=occurred_at,
            discovered_at=discovered_at,
            period_start=period_start,
            period_end=period_end,
            measures=measures,
            created_by=user,
        )
        incident.purposes.set(purposes)
        _step(incident, user, IncidentAction.REGISTERED, detail=", ".join(p.code for p in purposes))
    return incident


def incident_find_subjects(*, incident: Incident, user) -> int:
    """Find the people whose submissions fall in the incident's purposes and period.

    People are told apart by their keyed mobile hash (or e-mail hash when there is no
    mobile), so someone who submitted several forms is counted and told once.
    Returns the number of affected people.
    """
    _check_officer(user)
    submissions = CampaignSubmission.objects.filter(
        purpose__in=incident.purposes.all(),
        submit_time__gte=incident.period_start,
        submit_time__lte=incident.period_end,
    )
    if apps.is_installed("rights_requests.fulfilment"):
        submissions = submissions.exclude(fulfilment_status__erased_at__isnull=False)
    people: dict[str, int] = {}
    hashes = SubjectHash.objects.filter(submission__in=submissions.values("pk")).order_by(
        "-submission__submit_time", "kind"
    )
    by_submission: dict[int, dict[str, str]] = {}
    for row in hashes.values_list("submission_id", "kind", "value_hash").iterator(chunk_size=2000):
        by_submission.setdefault(row[0], {})[row[1]] = row[2]
    for submission_id, kinds in by_submission.items():
        key = kinds.get(SubjectKind.MOBILE) or kinds.get(SubjectKind.EMAIL)
        people.setdefault(key, submission_id)
    with transaction.atomic():
        known = set(incident.subjects.values_list("key_hash", flat=True))
        IncidentSubject.objects.bulk_create(
            [
                IncidentSubject(incident=incident, key_hash=key, submission_id=sid)
                for key, sid in people.items()
                if key not in known
            ]
        )
        total = incident.subjects.count()
        _step(incident, user, IncidentAction.SUBJECTS_FOUND, count=total)
    return total


def incident_notify(*, incident: Incident, user, message: str, subject: str = "") -> int:
    """Send the notice to every affected person not told yet (SMS where there is a mobile,
    e-mail otherwise), after commit. Returns how many were sent."""
    _check_officer(user)
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Write the notice.")})
    subject = (subject or "").strip() or incident.title
    sent = 0
    now = timezone.now()
    with transaction.atomic():
        waiting = (
            incident.subjects.select_for_update(of=("self",))
            .filter(notified_at__isnull=True)
            .select_related("submission")
        )
        for person in waiting:
            data = person.submission.form_data if person.submission else {}
            channel = ""
            if data.get("mobile"):
                queue_sms(to=data["mobile"], body=message, purpose="incident_notice")
                channel = "sms"
            elif data.get("email"):
                queue_email(to=[data["email"]], subject=subject, body=message, purpose="incident_notice")
                channel = "email"
            if not channel:
                continue
            person.notified_at = now
            person.channel = channel
            person.save(update_fields=["notified_at", "channel"])
            sent += 1
        _step(incident, user, IncidentAction.NOTICE_SENT, detail=message, count=sent)
    return sent


def incident_publish_announcement(*, incident: Incident, user, title: str, text: str) -> Incident:
    _check_officer(user)
    title, text = (title or "").strip(), (text or "").strip()
    if not title or not text:
        raise ValidationError(_("An announcement needs a title and a text."))
    with transaction.atomic():
        incident.announcement_title = title
        incident.announcement_text = text
        incident.announcement_published_at = timezone.now()
        incident.save(update_fields=["announcement_title", "announcement_text", "announcement_published_at"])
        _step(incident, user, IncidentAction.ANNOUNCEMENT_PUBLISHED, detail=title)
        _announcements_changed()
    return incident


def incident_withdraw_announcement(*, incident: Incident, user) -> Incident:
    _check_officer(user)
    with transaction.atomic():
        incident.announcement_published_at = None
        incident.save(update_fields=["announcement_published_at"])
        _step(incident, user, IncidentAction.ANNOUNCEMENT_WITHDRAWN)
        _announcements_changed()
    return incident


def incident_close(*, incident: Incident, user, note: str = "") -> Incident:
    _check_officer(user)
    with transaction.atomic():
        incident.state = IncidentState.CLOSED
        incident.save(update_fields=["state"])
        _step(incident, user, IncidentAction.CLOSED, detail=note)
    return incident


ANNOUNCEMENTS_CACHE_KEY = "datatools:announcements"
ANNOUNCEMENTS_TIMEOUT = 60


def live_announcements() -> list[dict]:
    """Incident announcements shown on the public site, newest first (cached briefly, as
    every public page asks for them)."""
    cached = cache.get(ANNOUNCEMENTS_CACHE_KEY)
    if cached is None:
        published = Incident.objects.filter(announcement_published_at__isnull=False)
        cached = [
            {
                "title": i.announcement_title,
                "text": i.announcement_text,
                "published_at": i.announcement_published_at,
            }
            for i in published.order_by("-announcement_published_at")[:3]
        ]
        cache.set(ANNOUNCEMENTS_CACHE_KEY, cached, ANNOUNCEMENTS_TIMEOUT)
    return cached


def _announcements_changed() -> None:
    transaction.on_commit(lambda: cache.delete(ANNOUNCEMENTS_CACHE_KEY))
