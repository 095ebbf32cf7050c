"""Serving a campaign page: the controller behind ``CampaignFormPage.serve``.

A GET renders the form. A POST either asks for an SMS code (``action=send_code``) or submits:
the form is checked before a code is spent, the code is checked through the one verification
step (``verification.step``) and the submission goes through the one pipeline
(``forms.services.submission_create``). Every refusal re-renders the form with the visitor's
input and the errors under the input they concern, with ``Retry-After`` whenever waiting helps;
a request sent with ``X-Requested-With: XMLHttpRequest`` gets the same outcome as JSON.
"""

import json
from urllib.parse import urlencode, urlsplit

from django import forms as django_forms
from django.core import signing
from django.http import HttpResponseRedirect, JsonResponse
from django.utils.translation import gettext_lazy as _

from core.net import client_ip
from verification import step

from . import operations
from .choices import CONTROL_KEYS, SOURCE_KEYS
from .definition import page_definition
from .registrations import FunnelStep
from .services import SubmissionRejected, submission_create, submission_validate
from .submissions import CampaignSubmission

MULTIPLE_TYPES = frozenset({"checkboxes", "multiselect"})


THANKS_SALT = "forms.thanks"
THANKS_MAX_AGE = 30 * 60


def serve(page, request, *args, **kwargs):
    if request.method != "POST":
        if "thanks" in request.GET:
            return thanks(page, request)
        if not getattr(page, "_is_preview", False):
            operations.funnel_hit(page_id=page.pk, step=FunnelStep.VIEW)
        return page.render_form(request, form=page.get_form(page=page, user=request.user))
    if request.POST.get("action") == "send_code":
        return send_code(page, request)
    return submit(page, request, *args, **kwargs)


def thanks_token(submission) -> str:
    return signing.dumps([submission.pk, submission.page_id], salt=THANKS_SALT)


def thanks(page, request):
    """The thank-you page of a submission just made (its own URL, so a reload re-posts nothing);
    the link works for ``THANKS_MAX_AGE`` seconds, then the page shows the form again."""
    try:
        pk, page_id = signing.loads(request.GET.get("thanks", ""), salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return HttpResponseRedirect(request.path)
    submission = (
        CampaignSubmission.objects.filter(pk=pk, page_id=page.pk).first() if page_id == page.pk else None
    )
    if submission is None:
        return HttpResponseRedirect(request.path)
    response = page.render_landing_page(request, submission)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def source_of(request) -> dict:
    """The UTM tags of the link the visitor came by and the host of the site that sent them,
    as the page first saw them (a POST carries them back in hidden fields)."""
    if request.method == "POST":
        return operations.clean_source({k: request.POST.get(k) for k in (*SOURCE_KEYS, "referrer")})
    source = {k: request.GET.get(k) for k in SOURCE_KEYS}
    referrer = urlsplit(request.headers.get("Referer", "")).hostname or ""
    if referrer and referrer != request.get_host().split(":")[0]:
        source["referrer"] = referrer
    return operations.clean_source(source)


def _closed(page, request):
    state = operations.window_state(page)
    if state == "open":
        return None
    message = operations.window_message(page, state)
    if wants_json(request):
        return JsonResponse({"errors": {"__all__": [message]}, "reason": state}, status=409)
    return page.render_form(
        request, form=initial_form(page, request), errors={"__all__": [message]}, status=409
    )


def truthy(value) -> bool:
    return str(value or "").strip().lower() in {"on", "true", "1", "yes"}


def wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def initial_form(page, request):
    """An unbound form showing what the visitor typed (no errors for untouched fields)."""
    form = page.get_form(page=page, user=request.user)
    initial = {}
    for name, field in form.fields.items():
        if name not in request.POST:
            continue
        multiple = isinstance(field, django_forms.MultipleChoiceField)
        initial[name] = request.POST.getlist(name) if multiple else request.POST.get(name)
    return page.get_form(page=page, user=request.user, initial=initial)


def send_code(page, request):
    closed = _closed(page, request)
    if closed is not None:
        return closed
    purpose = page.purpose
    if not purpose.sms_required:
        message = _("This form does not use SMS verification.")
        if wants_json(request):
            return JsonResponse({"errors": {"mobile": [str(message)]}}, status=400)
        return page.render_form(
            request, form=initial_form(page, request), errors={"mobile": [message]}, status=400
        )
    outcome = step.send_code(
        mobile=request.POST.get("mobile", ""),
        purpose=purpose.code,
        ip=client_ip(request),
        proof=request.POST.get("pow"),
        error_key="sms_code",
    )
    if outcome.ok:
        operations.funnel_hit(page_id=page.pk, step=FunnelStep.CODE_SENT)
    if wants_json(request):
        return outcome.apply(JsonResponse(_json_body(outcome), status=200 if outcome.ok else outcome.status))
    if outcome.ok:
        sms = {
            "challenge_id": outcome.challenge.public_id,
            "message": _sent(outcome),
            "retry_after": outcome.resend_after,
        }
        return page.render_form(request, form=initial_form(page, request), sms=sms)
    if outcome.kind == "invalid":
        return page.render_form(
            request, form=initial_form(page, request), errors=outcome.errors, status=outcome.status
        )
    sms = {"retry_after": outcome.retry_after, "message": outcome.message}
    if outcome.pow is not None:
        sms["pow"] = json.dumps(outcome.pow)
    return outcome.apply(
        page.render_form(request, form=initial_form(page, request), sms=sms, status=outcome.status)
    )


def _sent(outcome) -> str:
    return _("A code was sent to your mobile. It is valid for %(minutes)d minutes.") % {
        "minutes": max(1, round(outcome.expires_in / 60))
    }


def _json_body(outcome) -> dict:
    if outcome.ok:
        return {
            "challenge_id": outcome.challenge.public_id,
            "expires_in": outcome.expires_in,
            "resend_after": outcome.resend_after,
            "message": str(_sent(outcome)),
        }
    body = {"errors": outcome.errors}
    if outcome.retry_after is not None:
        body["retry_after"] = outcome.retry_after
    if outcome.pow is not None:
        body["pow"] = outcome.pow
        body["working"] = str(_("Running a short automatic check…"))
    return body


def submitted_data(request, specs: dict) -> dict:
    """The POST as the pipeline reads it: every key but the page's controls, lists kept for the
    fields that take several values (any other key is passed on, and refuses the submission)."""
    data = {}
    for key in request.POST:
        if key in CONTROL_KEYS:
            continue
        values = request.POST.getlist(key)
        spec = specs.get(key)
        multiple = spec is not None and spec["type"] in MULTIPLE_TYPES
        data[key] = values if multiple or len(values) > 1 else values[0]
    return data


def submit(page, request, *args, **kwargs):
    definition = page_definition(page)
    specs = {f["name"]: f for f in definition["fields"]}
    data = submitted_data(request, specs)
    consent = truthy(request.POST.get("consent"))
    guardian = truthy(request.POST.get("guardian_consent"))
    ip = client_ip(request)
    token = request.POST.get("verification_token") or None
    challenge_id = request.POST.get("challenge_id", "")[:128]
    sms = {"challenge_id": challenge_id}
    try:
        operations.check_open(page)
        if definition["sms_required"] and token is None:
            submission_validate(page=page, data=data, consent=consent, guardian_consent=guardian)
            token = _checked_code(request, challenge_id=challenge_id, ip=ip)
        sms["token"] = token
        submission = submission_create(
            page=page,
            data=data,
            consent=consent,
            verification_token=token,
            ip=ip,
            guardian_consent=guardian,
            user=request.user,
            source=source_of(request),
        )
    except SubmissionRejected as exc:
        return _refused(page, request, exc, specs=specs, sms=sms)
    # Redirect after the POST: a reload of the thank-you page sends nothing again.
    return HttpResponseRedirect(
        f"{request.path}?{urlencode({'thanks': thanks_token(submission)})}", status=303
    )


class CodeRefused(SubmissionRejected):
    """The SMS code step refused; ``retry_after`` when waiting helps."""

    def __init__(self, outcome):
        self.retry_after = outcome.retry_after
        super().__init__(outcome.errors)


def _checked_code(request, *, challenge_id, ip) -> str:
    outcome = step.check_code(challenge_id=challenge_id, code=request.POST.get("sms_code", ""), ip=ip)
    if not outcome.ok:
        raise CodeRefused(outcome)
    return outcome.token


def _refused(page, request, exc: SubmissionRejected, *, specs: dict, sms: dict):
    form = exc.form
    if form is None:
        form = page.get_form(
            {k: v for k, v in request.POST.items() if k in specs}, page=page, user=request.user
        )
        form.is_valid()
    errors = dict(exc.errors)
    if "verification_token" in errors:
        sms.pop("token", None)
        errors.setdefault("sms_code", []).extend(errors.pop("verification_token"))
    retry_after = getattr(exc, "retry_after", None)
    status = 429 if retry_after else getattr(exc, "status", 400)
    response = page.render_form(request, form=form, errors=errors, sms=sms, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
