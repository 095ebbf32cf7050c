"""The visitor's side: filing a request on the page and following it by the private status link."""

import json
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.exceptions import NON_FIELD
from core.net import client_ip
from verification import step

from .choices import RequestType, State
from .forms import RightsRequestForm
from .models import RightsRequestPage
from .services import (
    SMS_PURPOSE,
    RightsRequestError,
    RightsRequestRateLimited,
    rights_request_confirm_email,
    rights_request_create,
    rights_request_for_email_token,
    rights_request_for_status,
    rights_request_validate,
    rights_request_withdraw,
    status_package,
    withheld_message_texts,
)

logger = logging.getLogger(__name__)

PAGE_TEMPLATE = "rights_requests/rights_request_page.html"
STATUS_TEMPLATE = "rights_requests/status.html"


def rights_request_page_serve(page, request):
    """GET shows the form; POST ``action=send_code`` sends a code and shows the code field;
    POST ``action=submit`` checks the code and files the request (then redirects to the status link)."""
    if request.method not in ("GET", "HEAD", "POST"):
        response = TemplateResponse(
            request, PAGE_TEMPLATE, {"page": page, "form": RightsRequestForm()}, status=405
        )
        response["Allow"] = "GET, HEAD, POST"
        return response
    if request.method != "POST":
        return _render_page(request, page, RightsRequestForm(), code_step=False)

    form = RightsRequestForm(request.POST, request.FILES)
    action = request.POST.get("action")
    if not form.is_valid():
        return _render_page(request, page, form, code_step=bool(request.POST.get("challenge_id")))
    if action == "send_code":
        return _send_code(request, page, form)
    if action == "submit":
        return _submit(request, page, form)
    form.add_error(None, _("Unknown action."))
    return _render_page(request, page, form, code_step=False, status=400)


# Refusals of the SMS step answered with their own status (and ``Retry-After``); any other
# refusal re-renders the form with its errors.
WAITING = frozenset({"proof_required", "rate_limited"})


def _add_step_errors(form, outcome) -> None:
    for key, texts in outcome.errors.items():
        for text in texts:
            form.add_error(key if key != NON_FIELD and key in form.fields else None, text)


def _render_page(request, page, form, *, code_step, challenge_id="", status=200, pow=None, wait=None):
    if challenge_id:
        data = form.data.copy()
        data["challenge_id"] = challenge_id
        data["sms_code"] = ""
        form.data = data
    context = page.get_context(request)
    context.update(
        {
            "form": form,
            "code_step": code_step,
            "wait": wait,
            "pow": json.dumps(pow) if pow else "",
            "is_posthumous": form.data.get("request_type") == RequestType.POSTHUMOUS
            if form.is_bound
            else False,
        }
    )
    response = TemplateResponse(request, PAGE_TEMPLATE, context, status=status)
    if form.is_bound:
        add_never_cache_headers(response)
    return response


def _send_code(request, page, form):

    data = form.cleaned_data
    try:
        rights_request_validate(
            request_type=data["request_type"],
            mobile=data["mobile"],
            email=data.get("email") or "",
            details=data.get("details") or "",
            relationship=data.get("relationship") or "",
        )
    except RightsRequestError as exc:
        form.add_service_errors(exc)
        return _render_page(request, page, form, code_step=False)
    outcome = step.send_code(
        mobile=data["mobile"], purpose=SMS_PURPOSE, ip=client_ip(request), proof=request.POST.get("pow")
    )
    if not outcome.ok:
        _add_step_errors(form, outcome)
        waiting = outcome.kind in WAITING
        response = _render_page(
            request,
            page,
            form,
            code_step=outcome.kind == "rate_limited" and bool(data.get("challenge_id")),
            status=outcome.status if waiting else 200,
            pow=outcome.pow,
            wait=outcome.retry_after,
        )
        return outcome.apply(response)
    challenge = outcome.challenge
    messages.info(request, _("We have sent a code to your mobile. Enter it below."))
    return _render_page(
        request, page, form, code_step=True, challenge_id=challenge.public_id, wait=outcome.resend_after
    )


def _submit(request, page, form):

    data = form.cleaned_data
    if not data.get("challenge_id"):
        form.add_error("sms_code", _("First press “Send code” and enter the code from the SMS."))
        return _render_page(request, page, form, code_step=False)
    if not data.get("sms_code"):
        form.add_error("sms_code", _("Enter the 6-digit code from the SMS."))
        return _render_page(request, page, form, code_step=True)
    outcome = step.check_code(challenge_id=data["challenge_id"], code=data["sms_code"], ip=client_ip(request))
    if not outcome.ok:
        _add_step_errors(form, outcome)
        code_step = outcome.kind == "invalid" or (outcome.kind == "wrong_code" and outcome.code_step)
        status = outcome.status if outcome.kind in WAITING else 200
        return outcome.apply(_render_page(request, page, form, code_step=code_step, status=status))
    token = outcome.token

    try:
        rr = rights_request_create(
            request_type=data["request_type"],
            mobile=data["mobile"],
            email=data.get("email") or "",
            details=data.get("details") or "",
            relationship=data.get("relationship") or "",
            evidence=data.get("evidence"),
            channel="web",
            ip=client_ip(request),
            verification_token=token,
        )
    except RightsRequestRateLimited as exc:
        form.add_service_errors(exc)
        response = _render_page(request, page, form, code_step=False, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except RightsRequestError as exc:
        form.add_service_errors(exc)
        return _render_page(request, page, form, code_step=False)
    messages.success(
        request,
        _(
            "Your request %(reference)s has been filed. Keep the address of this page: it is your private status link."
        )
        % {"reference": rr.reference},
    )
    for text in withheld_message_texts(rr):
        messages.warning(request, text)
    return redirect(f"{status_path(rr)}?{urlencode({'from_page': page.pk})}")


def _filing_page(page_id):
    """The page the request was filed on, for its "after filing" text (live pages only)."""

    if not page_id or not str(page_id).isdigit():
        return None
    return RightsRequestPage.objects.live().filter(pk=int(page_id)).first()


def status_path(rr) -> str:
    return reverse("rights_requests:status", kwargs={"reference": rr.reference, "token": rr.status_token})


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def status_view(request, reference, token):
    """The requester's private page: state, due date, the answer; withdraw while unanswered."""
    rr = rights_request_for_status(reference=reference, token=token)
    if rr is None:
        raise Http404
    error = None
    if request.method == "POST":
        if request.POST.get("action") != "withdraw":
            error = _("Unknown action.")
        else:
            try:
                rights_request_withdraw(rights_request=rr, expected_state=request.POST.get("expected_state"))
            except RightsRequestError as exc:
                error = " ".join(m for messages_ in exc.errors.values() for m in messages_)
            else:
                messages.success(request, _("Your request has been withdrawn."))
                return redirect(request.path)
    response = TemplateResponse(
        request,
        STATUS_TEMPLATE,
        {
            "rr": rr,
            "filing_page": _filing_page(request.GET.get("from_page")),
            "error": error,
            "can_withdraw": rr.state in (State.RECEIVED, State.VERIFIED),
            "days_left": rr.days_left(),
            "package": status_package(rr),
        },
        status=400 if error else 200,
    )
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_email_view(request, token):
    """The link sent to a requester's e-mail: GET asks, POST confirms (a mail scanner's GET proves nothing)."""
    context = {"result": "ask", "rr": rights_request_for_email_token(token=token)}
    status = 200
    if context["rr"] is None:
        context.update(result="invalid", error=_("This confirmation link is not valid or has expired."))
        status = 404
    elif request.method == "POST":
        try:
            context["rr"] = rights_request_confirm_email(token=token)
        except RightsRequestError as exc:
            context.update(result="invalid", error=" ".join(m for ms in exc.errors.values() for m in ms))
            status = 400
        else:
            context["result"] = "confirmed"
    response = TemplateResponse(request, "rights_requests/confirm_email.html", context, status=status)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Not "no-referrer": a browser then sends "Origin: null" with the button's POST, which CSRF
    # protection refuses. "same-origin" still keeps the token out of requests to other sites.
    response["Referrer-Policy"] = "same-origin"
    return response
