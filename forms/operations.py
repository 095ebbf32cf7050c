"""Running a campaign: its opening window, one sign-up per person, seats and the waiting list,
cancellations, check-in at the door and the funnel counts.

The submission pipeline (``forms.services``) calls ``admit`` before it stores a submission and
``register`` in the same transaction; the personal link, the admin and the rights app call
``registration_cancel``, ``registration_move``, ``release_submissions`` and ``check_in``. Seats
are counted under a lock on the session row, so two sign-ups for the last seat cannot both get it.
"""

import datetime
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, models, transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.signals import page_published

from .choices import REGISTRATION_PURPOSES, SOURCE_KEYS, RepeatPolicy, SubjectKind
from .errors import SubmissionConflict
from .registrations import (
    CampaignSession,
    CancelledBy,
    FunnelCount,
    FunnelStep,
    Registration,
    RegistrationStatus,
)
from .submissions import CampaignSubmission

logger = logging.getLogger(__name__)

#: Hook run inside the transaction that cancels a registration through the visitor's own link:
#: ``fn(registration=..., user=None)``. The rights app registers it to record the withdrawal of
#: consent for that campaign (policy §6.4), as a withdrawal filed as a request would.
REGISTRATION_CANCELLED_HOOK = "campaign_registration_cancelled"

#: Hook run after a registration's place changes (confirmed, waitlisted, promoted, moved):
#: ``fn(registration=..., event=str)``; the confirmation messages are sent from here.
REGISTRATION_CHANGED_HOOK = "campaign_registration_changed"

MANAGE_SALT = "forms.registration.manage"
CHECKIN_CODE_LENGTH = 10
CHECKIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- the opening window ---------------------------------------------------------------------


def window_state(page, now: datetime.datetime | None = None) -> str:
    """``open``, ``not_open`` (before ``opens_at``) or ``closed`` (after ``closes_at``)."""
    now = now or timezone.now()
    if page.opens_at and now < page.opens_at:
        return "not_open"
    if page.closes_at and now >= page.closes_at:
        return "closed"
    return "open"


def _beijing(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def window_message(page, state: str) -> str:
    if state == "not_open":
        return _("This campaign is not open yet: sign-ups open on %(time)s (Beijing time).") % {
            "time": _beijing(page.opens_at)
        }
    if state == "closed":
        return _("This campaign closed on %(time)s (Beijing time) and takes no more sign-ups.") % {
            "time": _beijing(page.closes_at)
        }
    return ""


def check_open(page) -> None:
    """Raise ``SubmissionConflict`` (409) outside the page's opening window."""
    state = window_state(page)
    if state != "open":
        raise SubmissionConflict(window_message(page, state), reason=state)


# --- the funnel ---------------------------------------------------------------------------------


def funnel_hit(*, page_id: int, step: str, city: str = "", day: datetime.date | None = None) -> None:
    """Count one visitor at ``step`` of a campaign today (Beijing time): one upsert, no identifier."""
    table = connection.ops.quote_name(FunnelCount._meta.db_table)
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in ("page_id", "day", "step", "city", "count"))
    key = ", ".join(qn(c) for c in ("page_id", "day", "step", "city"))
    sql = (
        f"INSERT INTO {table} ({cols}) VALUES (%s, %s, %s, %s, 1) "  # noqa: S608 - names from the model
        f"ON CONFLICT ({key}) DO UPDATE SET {qn('count')} = {table}.{qn('count')} + 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [page_id, day or timezone.localdate(), str(step), (city or "")[:100]])


# --- sources -------------------------------------------------------------------------------------

SOURCE_MAX = 100


def clean_source(raw: dict | None) -> dict:
    """The UTM tags and the referring host, trimmed to printable text; anything else is dropped."""
    raw = raw or {}
    source = {}
    for key in (*SOURCE_KEYS, "referrer"):
        value = raw.get(key)
        if not isinstance(value, str):
            continue
        value = "".join(ch for ch in value.strip() if ch.isprintable())
        source[key] = value[: 255 if key == "referrer" else SOURCE_MAX]
    return source


# --- one sign-up per person ----------------------------------------------------------------------


def takes_registrations(page) -> bool:
    return page.purpose.code in REGISTRATION_PURPOSES


def earlier_signup(*, page, mobile_hash: str):
    """The person's live submission to this page (found through the subject index), if any.

    Submissions that may no longer be processed (erased, restricted, consent withdrawn: the
    ``filter_campaign_submissions`` hook) and cancelled registrations do not count.
    """
    if not mobile_hash:
        return None
    queryset = CampaignSubmission.objects.filter(
        page_id=page.pk, subject_hashes__kind=SubjectKind.MOBILE, subject_hashes__value_hash=mobile_hash
    ).exclude(registration__status=RegistrationStatus.CANCELLED)
    for fn in hooks.get_hooks("filter_campaign_submissions"):
        queryset = fn(queryset)
    return queryset.order_by("pk").first()


def already_signed_up_message() -> str:
    return _(
        "You have already signed up for this campaign with this mobile number. The confirmation we sent "
        "you has a link to see, change or cancel your sign-up."
    )


def admit(*, page, mobile_hash: str):
    """Before a submission is stored: the campaign must be open, and a second sign-up from the same
    mobile is refused (or returns the earlier submission to update, when the page says so)."""
    check_open(page)
    earlier = earlier_signup(page=page, mobile_hash=mobile_hash)
    if earlier is None:
        return None
    if page.repeat_policy == RepeatPolicy.UPDATE:
        return earlier
    raise SubmissionConflict(already_signed_up_message(), reason="duplicate")


# --- seats and the waiting list ---------------------------------------------------------------


def session_for(page, city: str | None) -> CampaignSession | None:
    """The session a sign-up for ``city`` joins: the one for that city, else the page's single
    session without a city, else none (no seats to count)."""
    sessions = list(CampaignSession.objects.filter(page_id=page.pk))
    for session in sessions:
        if city and session.city == city:
            return session
    unnamed = [s for s in sessions if not s.city]
    return unnamed[0] if len(unnamed) == 1 else None


def _locked(session_id):
    return CampaignSession.objects.select_for_update().filter(pk=session_id).first()


def _confirmed_count(session_id) -> int:
    return Registration.objects.filter(session_id=session_id, status=RegistrationStatus.CONFIRMED).count()


def _place(session: CampaignSession | None) -> str:
    """Confirmed or waitlisted in ``session``; call inside a transaction (it locks the session)."""
    if session is None or session.capacity is None:
        return RegistrationStatus.CONFIRMED
    locked = _locked(session.pk)
    if locked is None or locked.capacity is None:
        return RegistrationStatus.CONFIRMED
    return (
        RegistrationStatus.CONFIRMED
        if _confirmed_count(locked.pk) < locked.capacity
        else RegistrationStatus.WAITLISTED
    )


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first one waiting, …; None unless on the waiting list."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        session_id=registration.session_id,
        status=RegistrationStatus.WAITLISTED,
        queued_at__lt=registration.queued_at,
    ).count()
    return ahead + 1


def _changed(registration: Registration, event: str) -> None:
    reg_id = registration.pk

    def run():
        fresh = Registration.objects.filter(pk=reg_id).select_related("page", "session", "submission").first()
        if fresh is None:
            return
        for fn in hooks.get_hooks(REGISTRATION_CHANGED_HOOK):
            fn(registration=fresh, event=event)

    transaction.on_commit(run)


def _city(registration: Registration) -> str:
    return registration.session.city if registration.session_id and registration.session else ""


def register(
    *, submission: CampaignSubmission, page, city: str | None, mobile_hash: str
) -> Registration | None:
    """Give a new sign-up its place; inside the submission's transaction. None for purposes
    that take no registrations."""
    if not takes_registrations(page):
        return None
    session = session_for(page, city)
    status = _place(session)
    now = timezone.now()
    nonce = secrets.token_hex(16)
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                submission=submission,
                page_id=page.pk,
                session=session,
                status=status,
                subject_hash=mobile_hash or "",
                nonce=nonce,
                checkin_hash=checkin_hash(checkin_code_for(nonce)),
                queued_at=now,
                confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
                language=(get_language() or settings.LANGUAGE_CODE)[:10],
            )
    except IntegrityError:
        # Another sign-up from the same mobile won the race for this campaign.
        raise SubmissionConflict(already_signed_up_message(), reason="duplicate") from None
    funnel_hit(page_id=page.pk, step=status, city=city or "")
    _changed(registration, "confirmed" if status == RegistrationStatus.CONFIRMED else "waitlisted")
    return registration


def fill_seats(session_id) -> list[Registration]:
    """Promote the first ones waiting into the free seats of a session; returns them."""
    promoted = []
    with transaction.atomic():
        session = _locked(session_id)
        if session is None:
            return []
        free = None if session.capacity is None else session.capacity - _confirmed_count(session.pk)
        waiting = (
            Registration.objects.select_for_update()
            .filter(session_id=session.pk, status=RegistrationStatus.WAITLISTED)
            .order_by("queued_at", "pk")
        )
        if free is not None:
            waiting = waiting[: max(0, free)]
        now = timezone.now()
        for registration in waiting:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
            registration.save(update_fields=["status", "confirmed_at"])
            funnel_hit(page_id=registration.page_id, step=FunnelStep.PROMOTED, city=session.city)
            _changed(registration, "promoted")
            promoted.append(registration)
    return promoted


@receiver(page_published)
def _seats_added(sender, instance, **kwargs):
    """A campaign published with more seats than before gives them to the ones waiting."""
    if hasattr(instance, "sessions") and hasattr(instance, "repeat_policy"):
        for session_id in CampaignSession.objects.filter(page_id=instance.pk).values_list("pk", flat=True):
            fill_seats(session_id)


def registration_cancel(*, registration: Registration, by: str, user=None) -> list[Registration]:
    """Cancel a sign-up and give its seat to the first one waiting; returns who was promoted.

    Through the visitor's own link (``by=visitor``) it is a withdrawal of consent for the
    campaign (``campaign_registration_cancelled`` hook), in the same transaction.
    """
    with transaction.atomic():
        locked = Registration.objects.select_for_update().filter(pk=registration.pk).first()
        if locked is None or not locked.is_live:
            return []
        held_seat = locked.status == RegistrationStatus.CONFIRMED
        locked.status = RegistrationStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = by
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        funnel_hit(page_id=locked.page_id, step=FunnelStep.CANCELLED, city=_city(locked))
        if by == CancelledBy.VISITOR:
            for fn in hooks.get_hooks(REGISTRATION_CANCELLED_HOOK):
                fn(registration=locked, user=user)
        _changed(locked, "cancelled")
        promoted = fill_seats(locked.session_id) if held_seat and locked.session_id else []
    registration.refresh_from_db()
    return promoted


def release_submissions(submission_ids, *, by: str) -> int:
    """Cancel the live registrations of these submissions (erased, or consent withdrawn) and
    hand their seats on; returns how many were cancelled."""
    ids = list(submission_ids)
    cancelled = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for registration in Registration.objects.filter(submission_id__in=chunk).exclude(
            status=RegistrationStatus.CANCELLED
        ):
            registration_cancel(registration=registration, by=by)
            cancelled += 1
        if by == CancelledBy.ERASURE:
            # The keyed hash of the mobile goes with the person's data.
            Registration.objects.filter(submission_id__in=chunk).update(subject_hash="")
    return cancelled


def registration_move(*, registration: Registration, session: CampaignSession) -> Registration:
    """Move a sign-up to another session of the same campaign (another city): it takes a seat
    there or joins the end of its waiting list, and the seat it leaves goes to the next one."""
    if session.page_id != registration.page_id:
        raise ValueError("the session belongs to another campaign")
    with transaction.atomic():
        locked = Registration.objects.select_for_update().filter(pk=registration.pk).first()
        if locked is None or not locked.is_live or locked.session_id == session.pk:
            return registration
        old_session_id = locked.session_id
        held_seat = locked.status == RegistrationStatus.CONFIRMED
        status = _place(session)
        now = timezone.now()
        locked.session = session
        locked.status = status
        locked.queued_at = now
        locked.confirmed_at = now if status == RegistrationStatus.CONFIRMED else None
        locked.save(update_fields=["session", "status", "queued_at", "confirmed_at"])
        if session.city:
            submission = CampaignSubmission.objects.select_for_update().get(pk=locked.submission_id)
            if "intended_city" in submission.form_data:
                submission.form_data = {**submission.form_data, "intended_city": session.city}
                submission.save(update_fields=["form_data"])
        _changed(locked, "moved")
        if held_seat and old_session_id:
            fill_seats(old_session_id)
    registration.refresh_from_db()
    return registration


# --- the visitor's link and the check-in code -----------------------------------------------


def manage_token(registration: Registration) -> str:
    return signing.dumps([registration.pk, registration.nonce], salt=MANAGE_SALT, compress=True)


def registration_from_token(token: str) -> Registration | None:
    """The registration a personal link names, while it exists and its nonce still matches."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    try:
        pk, nonce = signing.loads(token, salt=MANAGE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    registration = (
        Registration.objects.select_related("page", "session", "submission").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if registration is None or not hmac.compare_digest(registration.nonce, str(nonce)):
        return None
    return registration


def _checkin_key() -> bytes:
    return hashlib.sha256(f"forms.checkin:{settings.SECRET_KEY}".encode()).digest()


def checkin_code_for(nonce: str) -> str:
    """The code printed under the QR of a registration (derived, never stored in clear)."""
    digest = hmac.new(_checkin_key(), nonce.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _i in range(CHECKIN_CODE_LENGTH):
        number, index = divmod(number, len(CHECKIN_ALPHABET))
        chars.append(CHECKIN_ALPHABET[index])
    return "".join(chars)


def checkin_code(registration: Registration) -> str:
    return checkin_code_for(registration.nonce)


def normalize_code(value: str) -> str:
    """What staff typed or scanned, as the code: letters upper-cased, spaces and dashes dropped.
    A scanned personal link carries the code after its last slash or ``#``."""
    value = (value or "").strip()
    for separator in ("#", "/"):
        if separator in value:
            value = value.rstrip(separator).rsplit(separator, 1)[-1]
    return "".join(ch for ch in value.upper() if ch.isalnum())[:40]


def checkin_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


@dataclass(frozen=True)
class CheckInResult:
    outcome: str  # checked_in, already, waitlisted, cancelled, unknown
    registration: Registration | None = None


def check_in(*, page, code: str, user) -> CheckInResult:
    """Mark the attendance of the registration this code belongs to, once."""
    if not normalize_code(code):
        return CheckInResult("unknown")
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update()
            .filter(page_id=page.pk, checkin_hash=checkin_hash(code))
            .first()
        )
        if registration is None:
            return CheckInResult("unknown")
        if registration.status == RegistrationStatus.CANCELLED:
            return CheckInResult("cancelled", registration)
        if registration.status == RegistrationStatus.WAITLISTED:
            return CheckInResult("waitlisted", registration)
        if registration.checked_in_at is not None:
            return CheckInResult("already", registration)
        registration.checked_in_at = timezone.now()
        registration.checked_in_by = user if getattr(user, "is_authenticated", False) else None
        registration.save(update_fields=["checked_in_at", "checked_in_by"])
        funnel_hit(page_id=page.pk, step=FunnelStep.CHECKED_IN, city=_city(registration))
    return CheckInResult("checked_in", registration)


def confirmed_counts(session_ids) -> dict[int, int]:
    rows = (
        Registration.objects.filter(session_id__in=list(session_ids), status=RegistrationStatus.CONFIRMED)
        .values_list("session_id")
        .annotate(n=models.Count("pk"))
    )
    return dict(rows)


def registration_view(submission) -> dict | None:
    """What the thank-you page and the personal page show of a sign-up's place."""
    registration = (
        Registration.objects.select_related("session", "page").filter(submission_id=submission.pk).first()
    )
    if registration is None:
        return None
    return {
        "registration": registration,
        "status": registration.status,
        "position": waitlist_position(registration),
        "session": registration.session,
        "manage_url": reverse("campaign_registration", kwargs={"token": manage_token(registration)}),
    }


def operation_problems(*, purpose_code: str, opens_at, closes_at, cities: list[str], sessions: list) -> list:
    """What is wrong with a page's running settings: ``(field, session index or None, message)``.

    ``sessions`` are the session rows being saved (``CampaignSession`` instances)."""
    problems = []
    if opens_at and closes_at and closes_at <= opens_at:
        problems.append(("closes_at", None, _("The campaign must close after it opens.")))
    if sessions and purpose_code not in REGISTRATION_PURPOSES:
        problems.append(
            (
                None,
                None,
                _("Only events and courses have sessions and seats: remove the sessions of this page."),
            )
        )
        return problems
    seen = set()
    for index, session in enumerate(sessions):
        if session.city and session.city not in cities:
            problems.append(
                ("city", index, _("“%(city)s” is not one of the page's cities.") % {"city": session.city})
            )
        if session.city in seen:
            problems.append(("city", index, _("Each city has one session.")))
        seen.add(session.city)
        if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
            problems.append(("ends_at", index, _("A session must end after it starts.")))
    if "" in seen and len(sessions) > 1:
        problems.append((None, None, _("A session without a city must be the only one.")))
    return problems
