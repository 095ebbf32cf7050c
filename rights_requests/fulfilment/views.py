"""The visitor's "My data" page (§6.1–6.3) and the signed download of access packages.

The visitor proves the mobile by SMS code (purpose ``self_service``) in the same no-JS
round trip as the campaign forms: "Send code" posts the form and the page comes back
with a code field. A valid code grants the session read access to that mobile's data
for ``SELF_SERVICE_GRANT_SECONDS``.
"""

import json
import logging
import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from wagtail.log_actions import log

from core import crypto
from core.net import client_ip
from core.phone import mask_mobile, normalize_mobile
from forms import catalogue
from forms.models import Purpose
from verification import step

from . import services
from .selectors import Subject, find_person
from .tokens import LinkError, package_for_token

logger = logging.getLogger(__name__)

SESSION_KEY = "fulfilment.my_data"
# The code step in progress (challenge, encrypted mobile, expiry, resend time): a reload keeps it.
PENDING_KEY = "fulfilment.my_data.code"
TEMPLATE = "fulfilment/my_data.html"


def grant_seconds() -> int:
    return settings.SELF_SERVICE_GRANT_SECONDS


def _grant(request) -> str | None:
    """The mobile (E.164) this session proved, while the grant lasts."""
    grant = request.session.get(SESSION_KEY)
    if not isinstance(grant, dict) or grant.get("exp", 0) <= time.time():
        request.session.pop(SESSION_KEY, None)
        return None
    try:
        return crypto.decrypt(grant["m"])
    except (KeyError, crypto.DecryptionError):
        request.session.pop(SESSION_KEY, None)
        return None


def _start_grant(request, e164: str) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"m": crypto.encrypt(e164), "exp": time.time() + grant_seconds()}


def _records(person) -> list[dict]:
    rows = []
    for submission in person.submissions:
        status = getattr(submission, "fulfilment_status", None)
        fields = []
        for key, value in (submission.form_data or {}).items():
            if key not in catalogue.FIELDS:
                continue
            definition = catalogue.get(key)
            shown = ", ".join(value) if isinstance(value, list) else definition.display(value)
            fields.append(
                {"key": key, "label": definition.label, "value": shown, "sensitive": definition.sensitive}
            )
        rows.append(
            {
                "submission": submission,
                "fields": fields,
                "withdrawn_at": status.consent_withdrawn_at if status else None,
            }
        )
    return rows


def _render(request, context: dict, status: int = 200):
    context.setdefault("grant_minutes", grant_seconds() // 60)
    context["top_errors"] = (context.get("errors") or {}).get("__all__", [])
    response = TemplateResponse(request, TEMPLATE, context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _data_context(request, e164: str, **extra) -> dict:
    person = find_person(Subject(mobile_hash=crypto.mobile_hash(e164)))
    return {
        "granted": True,
        "masked_mobile": mask_mobile(e164),
        "records": _records(person),
        "rights_requests": person.rights_requests,
        "request_types": [(t.value, t.label) for t in services.SELF_SERVICE_TYPES],
        "purposes": Purpose.objects.all(),
        "expires_in_minutes": max(1, int((request.session[SESSION_KEY]["exp"] - time.time()) // 60)),
        **extra,
    }


@never_cache
@sensitive_post_parameters("mobile", "sms_code", "challenge_id", "details")
@require_http_methods(["GET", "HEAD", "POST"])
def my_data(request):
    e164 = _grant(request)
    if request.method != "POST":
        if e164:
            return _render(request, _data_context(request, e164))
        return _render(request, {"granted": False, "code_step": False, "mobile": "", **_pending(request)})
    action = request.POST.get("action", "")
    if action == "send_code":
        return _send_code(request)
    if action == "verify":
        return _verify(request)
    if action == "end":
        request.session.pop(SESSION_KEY, None)
        messages.info(request, _("You have left “My data”."))
        return redirect("fulfilment:my_data")
    if action == "file":
        if not e164:
            return _expired(request)
        return _file(request, e164)
    return _render(
        request, {"granted": False, "code_step": False, "errors": {"__all__": [_("Unknown action.")]}}, 400
    )


def _expired(request):
    return _render(
        request,
        {
            "granted": False,
            "code_step": False,
            "errors": {"__all__": [_("Your session ended: verify your mobile again.")]},
        },
        status=403,
    )


def _send_code(request):
    mobile = request.POST.get("mobile", "")[:64]
    context = {"granted": False, "code_step": False, "mobile": mobile}
    outcome = step.send_code(
        mobile=mobile,
        purpose=services.SELF_SERVICE_PURPOSE,
        ip=client_ip(request),
        proof=request.POST.get("pow") or None,
    )
    if not outcome.ok:
        if outcome.pow is not None:
            context["pow"] = json.dumps(outcome.pow)
        context["wait"] = outcome.retry_after
        return outcome.apply(_render(request, {**context, "errors": outcome.errors}, status=outcome.status))
    now = time.time()
    request.session[PENDING_KEY] = {
        "c": outcome.challenge.public_id,
        "m": crypto.encrypt(mobile),
        "exp": now + outcome.expires_in,
        "w": now + outcome.resend_after,
    }
    # Redirect after the POST: a reload shows the code step again and sends nothing.
    return redirect("fulfilment:my_data")


def _pending(request) -> dict:
    """The code step a reload must keep showing, while its code is still valid."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("exp", 0) < time.time():
        request.session.pop(PENDING_KEY, None)
        return {}
    try:
        mobile = crypto.decrypt(pending["m"])
    except (KeyError, ValueError, TypeError):
        request.session.pop(PENDING_KEY, None)
        return {}
    wait = max(0, int(pending.get("w", 0) - time.time()))
    return {
        "code_step": True,
        "challenge_id": pending["c"],
        "mobile": mobile,
        "wait": wait,
        "notice": _("A code was sent to your mobile."),
    }


# A used, expired or locked challenge is a wrong input on this page, as it always was (400, not 410).
VERIFY_STATUS_BY_KIND = {"gone": 400}


def _verify(request):
    mobile = request.POST.get("mobile", "")[:64]
    challenge_id = request.POST.get("challenge_id", "")[:128]
    context = {
        "granted": False,
        "code_step": bool(challenge_id),
        "mobile": mobile,
        "challenge_id": challenge_id,
    }
    try:
        e164 = normalize_mobile(mobile)
    except ValidationError as exc:
        return _render(
            request, {**context, "code_step": False, "errors": {"mobile": exc.messages}}, status=400
        )
    outcome = step.check_code(
        challenge_id=challenge_id,
        code=request.POST.get("sms_code", ""),
        ip=client_ip(request),
        mobile=e164,
        purpose=services.SELF_SERVICE_PURPOSE,
        error_key="sms_code",
    )
    if not outcome.ok:
        status = VERIFY_STATUS_BY_KIND.get(outcome.kind, outcome.status)
        return outcome.apply(_render(request, {**context, "errors": outcome.errors}, status=status))
    request.session.pop(PENDING_KEY, None)
    _start_grant(request, e164)
    logger.info("self-service access granted for %s", mask_mobile(e164))
    return redirect("fulfilment:my_data")


def _file(request, e164: str):
    request_type = request.POST.get("request_type", "")
    try:
        rr = services.self_service_request(
            mobile=e164,
            request_type=request_type,
            details=request.POST.get("details", "")[:5000],
            purpose_code=request.POST.get("purpose", "")[:40],
            ip=client_ip(request),
        )
    except services.FulfilmentError as exc:
        return _render(
            request, _data_context(request, e164, errors=exc.errors, chosen_type=request_type), 400
        )
    status_url = reverse(
        "rights_requests:status", kwargs={"reference": rr.reference, "token": rr.status_token}
    )
    return _render(request, _data_context(request, e164, filed=rr, status_url=status_url))


@never_cache
@require_safe
def my_data_download(request, fmt: str):
    e164 = _grant(request)
    if fmt not in ("json", "csv"):
        return HttpResponse(status=404)
    if not e164:
        return _expired(request)
    person = find_person(Subject(mobile_hash=crypto.mobile_hash(e164)))
    document = services.package_document(person, unmasked=False)
    stamp = f"{timezone.localdate():%Y%m%d}"
    if fmt == "json":
        body = services.document_bytes(document)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        body = services.csv_bytes(document["records"])
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_safe
def package_download(request, token: str):
    """An access package by its signed link: 404 for a forged or foreign link, 410 once expired."""
    max_age = int(services.package_ttl().total_seconds())
    try:
        package = package_for_token(token, max_age=max_age)
    except LinkError as exc:
        status = 410 if exc.reason == "expired" else 404
        return TemplateResponse(
            request, "fulfilment/package_gone.html", {"reason": exc.reason}, status=status
        )
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "json"
    body = services.package_content(package, fmt)
    if request.method == "GET":
        if package.downloaded_at is None:
            type(package).objects.filter(pk=package.pk, downloaded_at__isnull=True).update(
                downloaded_at=timezone.now()
            )
        # Every download is on record: what, when, in which format, by the holder of the link.
        log(
            package,
            "fulfilment.package_downloaded",
            user=None,
            data={
                "request": package.rights_request.reference,
                "format": fmt,
                "clear_sensitive": package.clear_sensitive,
                "by": "requester link",
            },
        )
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "application/json; charset=utf-8"
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{package.rights_request.reference}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    response["X-Content-Type-Options"] = "nosniff"
    return response
