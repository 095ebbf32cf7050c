"""What a sign-up takes to the event: the confirmation by SMS and e-mail, the calendar invite
(.ics, RFC 5545 through ``icalendar``) and the check-in QR code (``segno``).

Registered as the ``campaign_registration_changed`` hook (``forms.wagtail_hooks``), so each
change of place (confirmed, waitlisted, promoted, moved, cancelled) tells the visitor once,
after the transaction that made it commits.
"""

import datetime
import io
import logging
from string import Formatter

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vText

from home.links import absolute_url, site_root_url
from home.services import site_name
from messaging.services import queue_email, queue_sms

from . import operations
from .choices import Confirmation
from .registrations import RegistrationStatus

logger = logging.getLogger(__name__)

DEFAULT_EVENT_HOURS = 3
PLACEHOLDERS = ("title", "city", "time", "venue", "link")


def session_times(session) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    if session is None or session.starts_at is None:
        return None, None
    return session.starts_at, session.ends_at or session.starts_at + datetime.timedelta(
        hours=DEFAULT_EVENT_HOURS
    )


def ics_bytes(registration) -> bytes | None:
    """The calendar invite of a confirmed registration whose session has a start time; for a
    cancelled one, the cancellation of that invite (same UID, ``METHOD:CANCEL``), so calendars
    that took the invite drop the event."""
    session = registration.session
    starts, ends = session_times(session)
    cancelled = registration.status == RegistrationStatus.CANCELLED
    if starts is None or registration.status == RegistrationStatus.WAITLISTED:
        return None
    if cancelled and registration.confirmed_at is None:
        return None  # never held a place, never got an invite
    page = registration.page
    link = absolute_url(operations.registration_view(registration.submission)["manage_url"])
    calendar = Calendar()
    calendar.add("prodid", "-//Policy Forms//Campaign registrations//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    host = site_root_url().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "policy-forms"
    event.add("uid", f"registration-{registration.pk}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", page.title)
    location = ", ".join(part for part in (session.venue, session.city) if part)
    if location:
        event["location"] = vText(location)
    event.add("description", _("Your sign-up: %(link)s") % {"link": link})
    event.add("url", link)
    event.add("sequence", 1 if cancelled else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def qr_svg(code: str) -> str:
    """The check-in code as an inline SVG (no external image, nothing to fetch)."""
    return segno.make(code, error="m").svg_inline(border=2, title=code, omitsize=True)


def qr_png(code: str) -> bytes:
    out = io.BytesIO()
    segno.make(code, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def _when(session) -> str:
    starts, ends = session_times(session)
    if starts is None:
        return ""
    starts, ends = timezone.localtime(starts), timezone.localtime(ends)
    if starts.date() == ends.date():
        return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M}"
    return f"{starts:%Y-%m-%d %H:%M} – {ends:%Y-%m-%d %H:%M}"


def _context(registration) -> dict:
    view = operations.registration_view(registration.submission)
    session = registration.session
    return {
        "title": registration.page.title,
        "city": session.city if session else "",
        "time": _when(session),
        "venue": session.venue if session else "",
        "link": absolute_url(view["manage_url"]),
        "position": view["position"],
        "status": registration.status,
        "code": operations.checkin_code(registration),
        "site_name": site_name(),
    }


class _SafeValues(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def custom_text(template: str, context: dict) -> str:
    """The page's own confirmation text with its placeholders filled; unknown ones stay as typed."""
    names = [name for _lit, name, _spec, _conv in Formatter().parse(template) if name]
    if any(not name.isidentifier() for name in names):
        return template
    return template.format_map(_SafeValues({k: context[k] for k in PLACEHOLDERS}))


def sms_signature() -> str:
    return f"【{getattr(settings, 'SMS_SIGN_NAME', '') or site_name()}】"


def message_texts(registration, event: str) -> tuple[str, str, str]:
    """(SMS text, e-mail subject, e-mail body) in the visitor's language."""
    context = {**_context(registration), "event": event}
    page = registration.page.specific
    own = (
        page.confirmation_text_zh
        if translation.get_language().startswith("zh")
        else page.confirmation_text_en
    )
    if (
        own
        and event in ("confirmed", "promoted", "moved")
        and registration.status == RegistrationStatus.CONFIRMED
    ):
        body = custom_text(own, context)
    else:
        body = render_to_string("forms/messages/registration.txt", context).strip()
    subject = " ".join(render_to_string("forms/messages/registration_subject.txt", context).split())
    return f"{sms_signature()}{body}", subject, body


def registration_notify(*, registration, event: str) -> None:
    """Tell the visitor about their place by the page's confirmation channels."""
    page = registration.page.specific
    if page.confirmation == Confirmation.NONE:
        return
    data = registration.submission.form_data or {}
    mobile, email = data.get("mobile"), data.get("email")
    with translation.override(registration.language or settings.LANGUAGE_CODE):
        sms_text, subject, body = message_texts(registration, event)
        attachments = []
        if (
            event in ("confirmed", "promoted", "moved")
            and registration.status == RegistrationStatus.CONFIRMED
        ):
            invite = ics_bytes(registration)
            if invite:
                attachments.append(("invite.ics", invite, "text/calendar; method=PUBLISH; charset=utf-8"))
            attachments.append(("check-in.png", qr_png(operations.checkin_code(registration)), "image/png"))
        elif event == "cancelled":
            withdrawn = ics_bytes(registration)
            if withdrawn:
                attachments.append(("cancel.ics", withdrawn, "text/calendar; method=CANCEL; charset=utf-8"))
    if mobile and page.confirmation in (Confirmation.SMS, Confirmation.BOTH):
        queue_sms(to=str(mobile), body=sms_text, purpose="registration_notice")
    if email and page.confirmation in (Confirmation.EMAIL, Confirmation.BOTH):
        queue_email(
            to=[str(email)],
            subject=subject,
            body=body,
            purpose="registration_notice",
            attachments=attachments,
        )
