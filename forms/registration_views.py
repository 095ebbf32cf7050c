"""The visitor's own sign-up page, reached by the personal link of their confirmation: see the
place (confirmed, or number N on the waiting list), the check-in QR code and the calendar
invite, move to another city's session, or cancel (a withdrawal of consent for the campaign)."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from . import invites, operations
from .registrations import CampaignSession, CancelledBy, RegistrationStatus


def _registration(token: str):
    registration = operations.registration_from_token(token)
    if registration is None:
        raise Http404
    return registration


def _private(response):
    response["Cache-Control"] = "private, no-store"
    # The token in the address never leaves the site; same-origin keeps the Origin header
    # (no-referrer makes a browser send "Origin: null", which the CSRF check refuses).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def registration_page(request, token: str):
    registration = _registration(token)
    page = registration.page.specific
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if not registration.is_live:
            error = _("This sign-up is cancelled; nothing was changed.")
        elif action == "cancel":
            operations.registration_cancel(registration=registration, by=CancelledBy.VISITOR)
            return redirect(request.path + "?done=cancelled")
        elif action == "move":
            chosen = str(request.POST.get("session", ""))[:20]
            session = (
                CampaignSession.objects.filter(page_id=page.pk, pk=int(chosen)).first()
                if chosen.isdigit()
                else None
            )
            if session is None:
                error = _("Choose one of the sessions listed.")
            elif operations.window_state(page) != "open":
                error = operations.window_message(page, operations.window_state(page))
            else:
                operations.registration_move(registration=registration, session=session)
                return redirect(request.path + "?done=moved")
        else:
            error = _("Choose what to do with your sign-up.")
        registration.refresh_from_db()
    view = operations.registration_view(registration.submission)
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    code = operations.checkin_code(registration) if confirmed else ""
    context = {
        "page": page,
        "registration": registration,
        "view": view,
        "when": invites._when(registration.session),
        "code": code,
        "qr": invites.qr_svg(code) if code else "",
        "has_invite": confirmed and invites.session_times(registration.session)[0] is not None,
        "other_sessions": [s for s in page.session_places() if s["session"].pk != registration.session_id],
        "error": error,
        "done": request.GET.get("done", "") if request.method == "GET" else "",
        "token": token,
    }
    response = TemplateResponse(request, "forms/registration.html", context, status=400 if error else 200)
    return _private(response)


@never_cache
@require_safe
def registration_invite(request, token: str):
    registration = _registration(token)
    invite = invites.ics_bytes(registration) if registration.status == RegistrationStatus.CONFIRMED else None
    if invite is None:
        raise Http404
    response = HttpResponse(invite, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return _private(response)
