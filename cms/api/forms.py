"""Campaign forms: read a form's definition and submit answers to it."""

from django.http import Http404
from django.urls import reverse
from ninja import Router, Status

from core.net import client_ip
from forms import services as form_services
from forms.models import CampaignFormPage

from .errors import ApiError, retry_after_header
from .schemas import ConflictOut, ErrorOut, FormOut, SubmissionIn, SubmissionOut
from .throttles import ClientIPThrottle

router = Router()

MAX_PAGE_ID = 2**63 - 1  # the largest primary key any supported database can hold


def published_form_page(page_id: int) -> CampaignFormPage:
    """The live, publicly viewable campaign page with this id; anything else is a 404.

    Drafts, unpublished pages and pages behind a view restriction (on themselves or an
    ancestor) are indistinguishable from pages that do not exist.
    """
    if not 0 < page_id <= MAX_PAGE_ID:
        raise Http404
    page = CampaignFormPage.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404
    return page


@router.get(
    "/{int:page_id}",
    response={200: FormOut, 404: ErrorOut},
    summary="Read a form",
    operation_id="form_read",
)
def form_read(request, page_id: int):
    """The form's purpose, whether SMS verification is required, its fields and the policy
    version a submission will be made under."""
    page = published_form_page(page_id)
    definition = form_services.form_definition(page)
    fields = [
        {**spec, "choices": [{"value": str(v), "label": str(label)} for v, label in spec["choices"]]}
        for spec in definition["fields"]
    ]
    policy = definition.get("policy")
    if policy:
        policy = {**policy, "url": request.build_absolute_uri(policy["url"])}
    return Status(
        200,
        {
            **definition,
            "fields": fields,
            "policy": policy or None,
            "submit_url": request.build_absolute_uri(
                reverse("pfapi:form_submit", kwargs={"page_id": page.pk})
            ),
        },
    )


@router.post(
    "/{int:page_id}/submissions",
    response={
        201: SubmissionOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ConflictOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
    },
    summary="Submit a form",
    operation_id="form_submit",
    throttle=[ClientIPThrottle("submissions")],
)
def form_submit(request, page_id: int, payload: SubmissionIn):
    """Store one submission after the same checks as the page: only fields the purpose
    allows, consent to the current policy, and a verification token when SMS is required.
    Any unknown or forbidden key in ``data`` is a 400 naming it; nothing is stored then.
    Outside the page's opening window, or for a mobile that has signed up already (unless
    the page lets a second sign-up update the first), it is a 409 with ``reason``."""
    page = published_form_page(page_id)
    try:
        submission = form_services.submission_create(
            page=page,
            data=payload.data,
            consent=payload.consent,
            verification_token=payload.verification_token,
            guardian_consent=payload.guardian_consent,
            ip=client_ip(request),
            source=payload.source.dict() if payload.source else None,
        )
    except form_services.SubmissionConflict as exc:
        raise ApiError(409, exc.errors, extra={"reason": exc.reason}) from exc
    except form_services.SubmissionRateLimited as exc:
        raise ApiError(429, exc.errors, headers=retry_after_header(exc.retry_after)) from exc
    except form_services.SubmissionRejected as exc:
        raise ApiError(400, exc.errors) from exc
    return Status(201, {"submission_id": str(submission.pk)})
