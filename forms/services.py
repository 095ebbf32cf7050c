"""Campaign form operations: the whitelist check, the form definition and the one
submission pipeline that both the page and the JSON API call."""

import datetime
import hashlib
import html
import json
import logging
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django import forms
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_tasks import task

from . import catalogue, protection
from .choices import QUESTION_CHOICE_TYPES, QUESTION_TEXT_TYPES, SubjectKind

logger = logging.getLogger(__name__)

WHITELIST_VERSION_KEY = "forms:whitelist-version"
POLICY_CACHE_KEY = "forms:current-policy"
DEFINITION_TIMEOUT = 3600
POLICY_TIMEOUT = 60
ADULT_AGE = 18
CHILD_AGE = 14
QUESTION_MAX_LENGTH = 255
QUESTION_MULTILINE_MAX_LENGTH = 2000


class SubmissionRejected(Exception):
    """A submission was refused and nothing was stored.

    ``errors`` maps a field name (or ``consent``, ``guardian_consent``,
    ``verification_token``, ``__all__``) to messages; ``form`` is the validated form
    when there is one, so the page can show the visitor's input with the errors.
    """

    def __init__(self, errors: dict[str, list[str]], form=None):
        self.errors = {key: [str(m) for m in messages] for key, messages in errors.items()}
        self.form = form
        super().__init__(json.dumps(self.errors, ensure_ascii=False))


class SubmissionRateLimited(SubmissionRejected):
    """The message the submission would send is over the limits; nothing was stored and the
    verification token is still unused, so the visitor can send it again after ``retry_after``."""

    def __init__(self, message: str, *, retry_after: int, form=None):
        self.retry_after = retry_after
        super().__init__({"__all__": [message]}, form=form)


# --- the whitelist check at page save -------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a page breaks its purpose's whitelist.

    ``row`` is the index of the offending row (None for the page as a whole); ``field``
    names the form field the message belongs to.
    """

    row: int | None
    field: str | None
    message: str


def forbidden_message(purpose, keys) -> str:
    return _("This purpose (%(clause)s %(purpose)s) may not collect: %(fields)s") % {
        "clause": purpose.clause,
        "purpose": purpose.name,
        "fields": list_separator().join(catalogue.labels(keys)),
    }


def list_separator() -> str:
    return "、" if catalogue.is_chinese() else ", "


def page_policy_problems(*, purpose, rows, cities, download_document_id) -> list[Problem]:
    """Everything that keeps a page with these rows from serving ``purpose``.

    ``rows`` are ``CampaignFormField`` instances (saved or not). Row problems come
    with a page-level summary (``row=None``), so callers that cannot show row errors
    still name every offending field.
    """
    problems, _reviews = _page_checks(
        purpose=purpose, rows=rows, cities=cities, download_document_id=download_document_id
    )
    return problems


def _page_checks(*, purpose, rows, cities, download_document_id) -> tuple[list[Problem], list["Review"]]:
    from .choices import RowKind

    if purpose is None:
        return [], []
    problems: list[Problem] = []
    reviews: list[Review] = []
    allowed = purpose.allowed_field_keys()
    optional_only = purpose.optional_only_keys()
    forbidden: list[str] = []
    seen: set[str] = set()
    personal_rows: dict[str, object] = {}

    for index, row in enumerate(rows):
        if row.kind == RowKind.PERSONAL:
            key = row.field_key
            if not key:
                problems.append(
                    Problem(index, "field_key", _("Choose which personal field this row collects."))
                )
                continue
            if key not in catalogue.FIELDS:
                problems.append(
                    Problem(index, "field_key", _("Unknown personal field “%(key)s”.") % {"key": key})
                )
                continue
            if key not in allowed:
                forbidden.append(key)
                problems.append(Problem(index, "field_key", forbidden_message(purpose, [key])))
                continue
            if key in seen:
                message = _("The personal field “%(field)s” appears twice.") % {
                    "field": catalogue.get(key).label
                }
                problems.append(Problem(index, "field_key", message))
                problems.append(Problem(None, None, message))
                continue
            seen.add(key)
            personal_rows[key] = row
            _screen_personal_row(index, row, purpose, problems, reviews)
            if row.required and (key in optional_only or key in catalogue.ALWAYS_OPTIONAL_KEYS):
                message = _("The policy lets this purpose ask for “%(field)s” only as optional.") % {
                    "field": catalogue.get(key).label
                }
                problems.append(Problem(index, "required", message))
                problems.append(Problem(None, None, message))
        else:
            label = (row.label or "").strip()
            if not label:
                problems.append(Problem(index, "label", _("A question needs a label.")))
                problems.append(Problem(None, None, _("Every question needs a label.")))
                continue
            if row.field_type in QUESTION_CHOICE_TYPES:
                if row.field_type != "checkbox" and not (row.choices or "").strip():
                    message = _("The question “%(label)s” needs choices.") % {"label": label}
                    problems.append(Problem(index, "choices", message))
                    problems.append(Problem(None, None, message))
                    continue
                _screen_question(index, row, purpose, problems, reviews)
                continue
            if row.field_type not in QUESTION_TEXT_TYPES:
                message = _(
                    "The question “%(label)s” uses a type that is not available for questions; "
                    "use a choice type or text, or a personal field from the catalogue."
                ) % {"label": label}
                problems.append(Problem(index, "field_type", message))
                problems.append(Problem(None, None, message))
                continue
            _screen_question(index, row, purpose, problems, reviews)

    if forbidden:
        problems.append(Problem(None, None, forbidden_message(purpose, forbidden)))

    if purpose.sms_required:
        mobile = personal_rows.get("mobile")
        if mobile is None or not mobile.required:
            problems.append(
                Problem(
                    None,
                    None,
                    _(
                        "This purpose verifies the mobile number by SMS: add the personal field “%(field)s” as required."
                    )
                    % {"field": catalogue.get("mobile").label},
                )
            )
    if cities:
        _screen_cities(cities, purpose, problems)
    if "intended_city" in personal_rows and not cities:
        problems.append(
            Problem(None, "cities", _("List the cities visitors can choose for “%(field)s”.")
                    % {"field": catalogue.get("intended_city").label})
        )  # fmt: skip
    if purpose.code == "download":
        if not download_document_id:
            problems.append(
                Problem(None, "download_document", _("Choose the document the download link points to."))
            )
        else:
            problem = _public_download_problem(download_document_id)
            if problem:
                problems.append(problem)
        email = personal_rows.get("email")
        if email is None or not email.required:
            problems.append(
                Problem(
                    None,
                    None,
                    _("The download link is e-mailed: add the personal field “%(field)s” as required.")
                    % {"field": catalogue.get("email").label},
                )
            )
    return problems, reviews


class Verdict(StrEnum):
    """What the screen says about a page: the one answer the editor and the workflow share."""

    ALLOWED = "allowed"
    REFUSED = "refused"
    NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class Review:
    """A row a person must look at: the screen doubts it, or the purpose is sensitive."""

    row: int
    digest: str
    summary: str
    message: str
    # What a visitor would see on the row, as ``(where, text)``, for the reviewer.
    texts: tuple = ()


@dataclass(frozen=True)
class Screening:
    verdict: Verdict
    problems: list[Problem]
    reviews: list[Review]


def page_screen(
    *, purpose, rows, cities=(), download_document_id=None, page=None, page_texts=()
) -> Screening:
    """The screen's verdict on a page with these rows.

    ``refused`` when a row breaks the whitelist or names personal information it may not
    collect; ``needs_review`` when a row the screen doubts (or any question on a purpose
    that collects sensitive data) is new or changed since a Privacy officer approved it
    for ``page``; ``allowed`` otherwise.
    """
    problems, reviews = _page_checks(
        purpose=purpose, rows=rows, cities=cities, download_document_id=download_document_id
    )
    if purpose is not None and page_texts:
        reviews.extend(_page_text_reviews(purpose, page_texts))
    if reviews and page is not None and page.pk:
        from .screen.models import ScreenApproval

        approved = set(
            ScreenApproval.objects.filter(
                page_id=page.pk, digest__in=[r.digest for r in reviews]
            ).values_list("digest", flat=True)
        )
        reviews = [r for r in reviews if r.digest not in approved]
    if problems:
        verdict = Verdict.REFUSED
    elif reviews:
        verdict = Verdict.NEEDS_REVIEW
    else:
        verdict = Verdict.ALLOWED
    return Screening(verdict=verdict, problems=problems, reviews=reviews)


def page_visible_texts(page) -> list[tuple[str, str]]:
    """``(where, text)`` of what a visitor reads on the page besides its rows."""
    from django.utils.html import strip_tags

    return [
        (_("introduction"), html.unescape(strip_tags(page.intro or ""))),
        (_("thank-you text"), html.unescape(strip_tags(page.thank_you_text or ""))),
    ]


def _page_text_reviews(purpose, page_texts) -> list[Review]:
    """The introduction asking for what the purpose does not allow ("write your ID number in the
    notes") goes to a Privacy officer: a machine cannot tell a request from a description."""
    from .screen import text_findings
    from .screen.terms import fits

    allowed = set()
    for key in purpose.allowed_field_keys():
        allowed |= fits(key)
    reviews = []
    for where, text in page_texts:
        if not text.strip():
            continue
        findings = [f for f in text_findings("label", text) if f.category not in allowed]
        if not findings:
            continue
        digest = hashlib.sha256(
            json.dumps([purpose.code, "page-text", where, text.strip()], ensure_ascii=False).encode()
        ).hexdigest()
        message = _(
            "The %(where)s says “%(written)s”, which may ask for %(category)s, which this purpose does not "
            "collect. A Privacy officer must approve the text before the page goes live."
        ) % {"where": where, "written": findings[0].written, "category": findings[0].category_label}
        reviews.append(Review(None, digest, str(where), message, ((where, text.strip()[:500]),)))
    return reviews


def screen_approve(*, page, reviews, user) -> int:
    """Record ``user``'s approval of the reviewed rows of ``page``; returns how many are new."""
    from .screen.models import ScreenApproval

    if not user.has_perm("forms.approve_screened_rows"):
        raise PermissionError("only Privacy officers approve screened rows")
    created = 0
    for review in reviews:
        _obj, made = ScreenApproval.objects.get_or_create(
            page_id=page.pk,
            digest=review.digest,
            defaults={"summary": review.summary[:300], "approved_by": user},
        )
        created += made
    if created:
        from wagtail.log_actions import log

        log(
            instance=page,
            action="forms.screen_approve",
            user=user,
            data={"rows": [r.summary for r in reviews]},
        )
    return created


def page_revision_screen(page) -> Screening:
    """The verdict on the latest revision of a campaign page (what a publish would put live)."""
    latest = page.get_latest_revision_as_object() if page.pk else page
    return page_screen(
        purpose=latest.purpose if latest.purpose_id else None,
        rows=list(latest.form_fields.all()),
        cities=latest.city_list(),
        download_document_id=latest.download_document_id,
        page=page,
        page_texts=page_visible_texts(latest),
    )


def screen_approve_page(*, page, user) -> int:
    """A Privacy officer published or approved ``page``: its reviewed rows count as approved."""

    screening = page_revision_screen(page)
    if screening.verdict != Verdict.NEEDS_REVIEW:
        return 0
    return screen_approve(page=page, reviews=screening.reviews, user=user)


class ScreenRevisionChanged(Exception):
    """The page has a newer revision than the one the officer reviewed."""


def pages_awaiting_review():
    """``[(page, revision id, screening)]`` for campaign pages whose latest revision needs review."""
    from .models import CampaignFormPage

    result = []
    for page in CampaignFormPage.objects.select_related("purpose").order_by("-latest_revision_created_at"):
        screening = page_revision_screen(page)
        if screening.verdict == Verdict.NEEDS_REVIEW:
            result.append((page, page.latest_revision_id, screening))
    return result


def screen_approve_revision(*, page, revision_id, user) -> int:
    """Approve the reviewed rows of ``page`` as they stand in revision ``revision_id``."""
    if str(page.latest_revision_id) != str(revision_id or ""):
        raise ScreenRevisionChanged
    return screen_approve_page(page=page, user=user)


def screen_publish_check(*, page, revision, user) -> None:
    """Refuse to publish ``revision`` when its rows await a Privacy officer.

    ``user`` None is the scheduler putting live a revision whose publication an editor
    already passed through this check. A Privacy officer publishing approves the rows.
    """
    from wagtail.actions.publish_page_revision import PublishPagePermissionError

    if user is None:
        return
    content = revision.as_object()
    screening = page_screen(
        purpose=content.purpose if content.purpose_id else None,
        rows=list(content.form_fields.all()),
        cities=content.city_list(),
        download_document_id=content.download_document_id,
        page=page,
        page_texts=page_visible_texts(content),
    )
    if screening.verdict != Verdict.NEEDS_REVIEW:
        return
    if not user.has_perm("forms.approve_screened_rows"):
        raise PublishPagePermissionError(
            _("A Privacy officer must approve this page's rows before it goes live.")
        )
    screen_approve(page=page, reviews=screening.reviews, user=user)


def screen_try(*, purpose, kind, field_key, label, help_text, choices, default_value) -> dict:
    """What the screen says about one row on ``purpose``, with what it found (for the try page)."""
    from .choices import RowKind
    from .models import CampaignFormField
    from .screen import row_findings
    from .screen.terms import TermAction

    row = CampaignFormField(
        kind=kind,
        field_key=field_key if kind == RowKind.PERSONAL else "",
        label=label,
        help_text=help_text,
        choices=choices,
        default_value=default_value,
        field_type="radio" if choices.strip() and kind == RowKind.QUESTION else "singleline",
        required=False,
    )
    rows = [row]
    if not (kind == RowKind.PERSONAL and field_key == "mobile"):
        rows.append(CampaignFormField(kind=RowKind.PERSONAL, field_key="mobile", required=True))
    problems, reviews = _page_checks(purpose=purpose, rows=rows, cities=["-"], download_document_id=None)
    row_problems = [p.message for p in problems if p.row == 0]
    row_reviews = [r.message for r in reviews if r.row == 0]
    if row_problems:
        verdict = Verdict.REFUSED
    elif row_reviews:
        verdict = Verdict.NEEDS_REVIEW
    else:
        verdict = Verdict.ALLOWED
    labels = {
        Verdict.ALLOWED: _("Allowed"),
        Verdict.REFUSED: _("Refused"),
        Verdict.NEEDS_REVIEW: _("Needs a Privacy officer's review"),
    }
    findings = [
        {
            "where": f.where,
            "written": f.written,
            "term": f.term,
            "category_label": f.category_label,
            "action_label": TermAction(f.action).label,
        }
        for f in row_findings(row)
    ]
    return {
        "screening": Screening(verdict=verdict, problems=[], reviews=[]),
        "verdict_label": labels[verdict],
        "messages_found": row_problems + row_reviews,
        "findings": findings,
    }


def _visible_texts(row) -> tuple:
    from .screen import WHERE, row_texts

    seen = []
    for field, text, _units in row_texts(row):
        if (field, text) not in seen and not (field == "label" and text != (row.label or "")):
            seen.append((field, text))
    return tuple((WHERE[field](), text) for field, text in seen)


def _row_label(row) -> str:
    return (row.display_label or "").strip()[:80]


def _finding_message(index, row, finding, purpose) -> str:
    values = {
        "row": index + 1,
        "label": _row_label(row),
        "where": finding.where,
        "written": finding.written,
        "category": finding.category_label,
        "clause": f"{purpose.clause}; {finding.clause}",
    }
    if row.kind == "personal":
        values["field"] = catalogue.get(row.field_key).label
        return (
            _(
                "Row %(row)d “%(label)s” collects “%(field)s”, but its %(where)s says “%(written)s”, "
                "which asks for %(category)s (%(clause)s). A personal row may only rephrase its own field."
            )
            % values
        )
    return (
        _(
            "Row %(row)d “%(label)s”: the %(where)s says “%(written)s”, which asks for %(category)s "
            "(%(clause)s). Questions may not collect personal information: use the personal fields "
            "the purpose allows."
        )
        % values
    )


def _review_message(index, row, finding) -> str:
    return _(
        "Row %(row)d “%(label)s”: the %(where)s says “%(written)s”, which may ask for %(category)s. "
        "A Privacy officer must approve this row before the page goes live."
    ) % {
        "row": index + 1,
        "label": _row_label(row),
        "where": finding.where,
        "written": finding.written,
        "category": finding.category_label,
    }


def _screen_findings(index, row, purpose, *, findings, problems, reviews) -> None:
    from .screen import row_digest

    doubts = []
    for finding in findings:
        if finding.refuses:
            message = _finding_message(index, row, finding, purpose)
            problems.append(Problem(index, finding.field, message))
            problems.append(Problem(None, None, message))
        else:
            doubts.append(_review_message(index, row, finding))
    if doubts:
        reviews.append(
            Review(index, row_digest(row, purpose), _row_label(row), " ".join(doubts), _visible_texts(row))
        )


def _unscreenable_problem(index, row, problems) -> bool:
    """A row the screen cannot read is refused: too long, or reordered by direction controls."""
    from .screen import MAX_SCREENED_CHARS, unscreenable

    reason = unscreenable(row)
    if reason is None:
        return False
    values = {"row": index + 1, "label": _row_label(row), "limit": MAX_SCREENED_CHARS}
    if reason == "too_long":
        message = _("Row %(row)d “%(label)s” has a text over %(limit)d characters; shorten it.") % values
    else:
        message = (
            _(
                "Row %(row)d “%(label)s” holds characters that reorder how the text is displayed; type it again "
                "without them."
            )
            % values
        )
    problems.append(Problem(index, "label", message))
    problems.append(Problem(None, None, message))
    return True


def _screen_cities(cities, purpose, problems) -> None:
    """The cities are the choices of "City you plan to attend in": city names only."""
    from .screen import text_findings
    from .screen.terms import fits

    allowed = fits("intended_city")
    for finding in text_findings("choices", "\n".join(cities), list(cities)):
        if finding.category in allowed:
            continue
        message = _(
            "The cities say “%(written)s”, which asks for %(category)s (%(clause)s). List city names only."
        ) % {
            "written": finding.written,
            "category": finding.category_label,
            "clause": f"{purpose.clause}; {finding.clause}",
        }
        problems.append(Problem(None, "cities", message))


def _screen_personal_row(index, row, purpose, problems, reviews) -> None:
    """A personal row's texts may only rephrase its own catalogue field."""
    from .screen import row_findings
    from .screen.terms import fits

    if _unscreenable_problem(index, row, problems):
        return
    allowed = fits(row.field_key)
    findings = [f for f in row_findings(row) if f.category not in allowed]
    _screen_findings(index, row, purpose, findings=findings, problems=problems, reviews=reviews)


def _screen_question(index, row, purpose, problems, reviews) -> None:
    """A question may name no personal information; on a sensitive purpose a person checks it."""
    from .screen import row_digest, row_findings

    if _unscreenable_problem(index, row, problems):
        return
    count = len(problems)
    before = len(reviews)
    _screen_findings(index, row, purpose, findings=row_findings(row), problems=problems, reviews=reviews)
    if len(problems) == count and len(reviews) == before and purpose.is_sensitive:
        message = _(
            "Row %(row)d “%(label)s” is a new or changed question on a purpose that collects sensitive "
            "data. A Privacy officer must approve it before the page goes live."
        ) % {"row": index + 1, "label": _row_label(row)}
        reviews.append(Review(index, row_digest(row, purpose), _row_label(row), message, _visible_texts(row)))


def _public_download_problem(document_id) -> Problem | None:
    """A download document must sit in a private collection: otherwise anyone could fetch it from
    ``/documents/`` without the verified request the signed link stands for."""
    from wagtail.documents import get_document_model

    from .downloads import DOWNLOADS_COLLECTION, document_is_private

    document = get_document_model().objects.select_related("collection").filter(pk=document_id).first()
    if document is None or document_is_private(document):
        return None
    message = _(
        "The document “%(document)s” is in the collection “%(collection)s”, which anyone can open "
        "without the download link. Move it into the private collection “%(private)s” (edit the "
        "document and change its collection) or choose a document from there."
    ) % {"document": document.title, "collection": document.collection.name, "private": DOWNLOADS_COLLECTION}
    return Problem(None, "download_document", message)


def purpose_change_problem(*, page, purpose_id) -> str | None:
    """Why ``page`` may not switch to ``purpose_id``, or None.

    Who may see a submission follows the purpose it was collected under; a page that
    already holds submissions keeps its purpose, and a new campaign is a new page.
    """
    from .models import CampaignFormPage, CampaignSubmission

    if not page.pk or purpose_id is None:
        return None
    stored = CampaignFormPage.objects.filter(pk=page.pk).values_list("purpose_id", flat=True).first()
    if stored is None or stored == purpose_id:
        return None
    count = CampaignSubmission.objects.filter(page_id=page.pk).count()
    if not count:
        return None
    return _(
        "This page already holds %(count)d submissions collected for its purpose, so the purpose "
        "cannot change. Create a new campaign page for the new purpose."
    ) % {"count": count}


def pages_breaking_whitelist():
    """Campaign pages whose live rows collect a field their purpose no longer allows.

    Returns ``[(page, problems)]``; used by the privacy officers' report.
    """
    from .models import CampaignFormPage

    result = []
    pages = CampaignFormPage.objects.select_related("purpose").prefetch_related(
        "purpose__fields", "form_fields"
    )
    for page in pages.order_by("pk"):
        problems = [
            p
            for p in page_policy_problems(
                purpose=page.purpose,
                rows=list(page.form_fields.all()),
                cities=page.city_list(),
                download_document_id=page.download_document_id,
            )
            if p.row is None
        ]
        if problems:
            result.append((page, problems))
    return result


# --- the form definition (cached per page revision) -----------------------------------------


# The whitelist version is read from the shared cache at most once a second per process:
# a change made in this process applies at once, one made elsewhere within a second.
VERSION_RECHECK_SECONDS = 1.0
_version_memo: list = [None, 0.0]


def whitelist_version() -> str:
    version, read_at = _version_memo
    now = time.monotonic()
    if version is not None and now - read_at < VERSION_RECHECK_SECONDS:
        return version
    version = cache.get(WHITELIST_VERSION_KEY)
    if version is None:
        cache.add(WHITELIST_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(WHITELIST_VERSION_KEY)
    _version_memo[:] = [version, now]
    return version


def whitelist_changed() -> None:
    """Invalidate every cached form definition (a purpose or its fields changed)."""
    version = uuid.uuid4().hex
    cache.set(WHITELIST_VERSION_KEY, version, None)
    _version_memo[:] = [version, time.monotonic()]


def policy_changed() -> None:
    cache.delete(POLICY_CACHE_KEY)


def current_policy() -> dict | None:
    """The policy version in force as ``{"id", "version", "url", "title"}``, cached briefly."""
    cached = cache.get(POLICY_CACHE_KEY)
    if cached is not None:
        return cached or None
    from home.models import PrivacyPolicyPage

    page = PrivacyPolicyPage.current()
    value = (
        {
            "id": page.pk,
            "version": page.version_label,
            "url": page.get_url() or page.url_path,
            "title": page.title,
        }
        if page
        else {}
    )
    cache.set(POLICY_CACHE_KEY, value, POLICY_TIMEOUT)
    return value or None


def _definition_cache_key(page) -> str | None:
    revision = page.live_revision_id
    published = page.last_published_at
    if revision is None or published is None or getattr(page, "_is_preview", False):
        return None
    stamp = published.timestamp()
    return f"forms:def:{page.pk}:{revision}:{stamp}:{whitelist_version()}:{get_language()}"


def _refused_by_screen(row) -> bool:
    """A live row the screen now refuses: the page stops serving it at once."""
    from .choices import RowKind
    from .screen import row_findings
    from .screen.terms import fits

    findings = [f for f in row_findings(row) if f.refuses]
    if row.kind == RowKind.PERSONAL:
        allowed = fits(row.field_key)
        findings = [f for f in findings if f.category not in allowed]
    return bool(findings)


def _build_definition(page) -> dict:
    from .choices import RowKind

    purpose = page.purpose
    allowed = purpose.allowed_field_keys()
    cities = page.city_list()
    fields = []
    for row in page.form_fields.all():
        if row.kind == RowKind.PERSONAL:
            if row.field_key not in allowed or row.field_key not in catalogue.FIELDS:
                continue  # no longer allowed: the page stops accepting it
            if _refused_by_screen(row):
                continue  # its texts ask for something else (a term added since it went live)
            definition = catalogue.get(row.field_key)
            if row.field_key == "intended_city":
                choices = [(c, c) for c in cities]
            else:
                choices = definition.get_choices()
            fields.append(
                {
                    "name": row.field_key,
                    "label": row.label or definition.label,
                    "type": definition.input_type,
                    "required": bool(row.required),
                    "choices": [list(c) for c in choices] if definition.kind == "choice" else [],
                    "help_text": row.help_text,
                    "personal": True,
                    "sensitive": definition.sensitive,
                    "max_length": definition.max_length
                    if definition.kind not in ("date", "choice")
                    else None,
                }
            )
        else:
            if _refused_by_screen(row):
                continue
            choices = _split_choices(row.choices) if row.field_type in QUESTION_CHOICE_TYPES else []
            fields.append(
                {
                    "name": row.clean_name or row.get_field_clean_name(),
                    "label": row.label,
                    "type": row.field_type,
                    "required": bool(row.required),
                    "choices": [[c, c] for c in choices],
                    "help_text": row.help_text,
                    "personal": False,
                    "sensitive": False,
                    "default": row.default_value,
                    "max_length": QUESTION_MULTILINE_MAX_LENGTH
                    if row.field_type == "multiline"
                    else (QUESTION_MAX_LENGTH if row.field_type == "singleline" else None),
                }
            )
    names = {f["name"] for f in fields}
    return {
        "page_id": page.pk,
        "title": page.title,
        "purpose": {
            "code": purpose.code,
            "name": purpose.name,
            "clause": purpose.clause,
            "retention_days": purpose.retention_days,
        },
        "sms_required": purpose.sms_required,
        "minors_check": "birth_date" in names,
        "fields": fields,
    }


def _split_choices(value: str) -> list[str]:
    value = (value or "").strip()
    if not value:
        return []
    lines = value.splitlines()
    if len(lines) > 1:
        return [line.strip().rstrip(",").strip() for line in lines if line.strip()]
    return [c.strip() for c in value.split(",") if c.strip()]


def _page_definition(page) -> dict:
    key = _definition_cache_key(page)
    if key is None:
        return _build_definition(page)
    definition = _local_definitions.get(key)
    if definition is None:
        definition = cache.get(key)
        if definition is None:
            definition = _build_definition(page)
            cache.set(key, definition, DEFINITION_TIMEOUT)
        _remember(_local_definitions, key, definition)
    return definition


_local_definitions: dict[str, dict] = {}
_local_form_classes: dict[str, type] = {}
LOCAL_CACHE_SIZE = 256


def _remember(store: dict, key: str, value) -> None:
    if len(store) >= LOCAL_CACHE_SIZE:
        store.clear()
    store[key] = value


def page_definition(page) -> dict:
    """``form_definition`` without the policy (no cache round trip for it)."""
    return _page_definition(page)


def form_definition(page) -> dict:
    """What a client needs to render and submit ``page``'s form.

    ``{"page_id", "title", "purpose": {"code", "name", "clause", "retention_days"},
    "sms_required", "minors_check", "fields": [{"name", "label", "type", "required",
    "choices", "help_text", "personal", "sensitive", "max_length"}], "policy":
    {"id", "version", "url", "title"} | None}``. Built from the page's live rows and
    its purpose's whitelist and cached per page revision, whitelist version and
    language, so serving a form costs no whitelist queries.
    """
    return {**_page_definition(page), "policy": current_policy()}


# --- the form class ----------------------------------------------------------------------------


class CampaignForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        self.page = kwargs.pop("page", None)
        self.user = kwargs.pop("user", None)
        super().__init__(*args, **kwargs)


def _question_formfield(spec: dict) -> forms.Field:
    options = {"label": spec["label"], "required": spec["required"], "help_text": spec["help_text"]}
    kind = spec["type"]
    choices = [tuple(c) for c in spec["choices"]]
    if kind == "checkbox":
        return forms.BooleanField(**options)
    if kind == "checkboxes":
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **options)
    if kind == "multiselect":
        return forms.MultipleChoiceField(choices=choices, **options)
    if kind == "radio":
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **options)
    if kind == "dropdown":
        return forms.ChoiceField(choices=[("", "---------"), *choices], **options)
    if kind == "number":
        return forms.DecimalField(max_digits=20, decimal_places=6, **options)
    if kind == "date":
        return catalogue.CatalogueDateField(**options)
    multiline = kind == "multiline"
    widget = forms.Textarea(attrs={"rows": 3}) if multiline else forms.TextInput
    return catalogue.TextField(multiline=multiline, max_length=spec["max_length"], widget=widget, **options)


def _build_form_class(definition: dict) -> type:
    attrs = {}
    for spec in definition["fields"]:
        if spec["personal"]:
            field_def = catalogue.get(spec["name"])
            choices = [c[0] for c in spec["choices"]] if spec["name"] == "intended_city" else None
            attrs[spec["name"]] = field_def.formfield(
                label=spec["label"], required=spec["required"], help_text=spec["help_text"], choices=choices
            )
        else:
            attrs[spec["name"]] = _question_formfield(spec)
    return type("CampaignPageForm", (CampaignForm,), attrs)


def form_class(page) -> type:
    """The Django form class for ``page`` (only the fields its purpose allows)."""
    key = _definition_cache_key(page)
    if key is None:
        return _build_form_class(_page_definition(page))
    cls = _local_form_classes.get(key)
    if cls is None:
        cls = _build_form_class(_page_definition(page))
        _remember(_local_form_classes, key, cls)
    return cls


# --- the submission pipeline -------------------------------------------------------------------

MULTI_TYPES = frozenset({"checkboxes", "multiselect"})
SCALARS = (str, int, float, Decimal, bool)


def _check_shapes(definition: dict, data: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    specs = {f["name"]: f for f in definition["fields"]}
    unknown = sorted(k for k in data if k not in specs)
    for key in unknown:
        shown = str(key)[:60]
        errors[shown] = [_("This form does not collect “%(key)s”.") % {"key": shown}]
    if unknown:
        errors["__all__"] = [
            _("The submission contains fields this form does not collect: %(keys)s. Nothing was stored.")
            % {"keys": ", ".join(str(k)[:60] for k in unknown)}
        ]
    for name, value in data.items():
        spec = specs.get(name)
        if spec is None or value is None:
            continue
        if spec["type"] in MULTI_TYPES and not spec["personal"]:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                errors[name] = [_("Send a list of choices.")]
        elif not isinstance(value, SCALARS):
            errors[name] = [_("Send a single value.")]
    return errors


def _age_on(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _validate(*, page, data, consent: bool, guardian_consent: bool):
    definition = form_definition(page)
    if not isinstance(data, dict):
        raise SubmissionRejected({"__all__": [_("The submission must be a set of field values.")]})
    errors = _check_shapes(definition, data)
    if errors:
        raise SubmissionRejected(errors)

    form = form_class(page)(data=data, page=page)
    form.is_valid()
    extra: dict[str, list[str]] = {}
    is_minor = False
    birth = form.cleaned_data.get("birth_date") if definition["minors_check"] else None
    if isinstance(birth, datetime.date):
        age = _age_on(birth, timezone.localdate())
        if age < CHILD_AGE:
            form.add_error(
                "birth_date",
                _(
                    "Children under 14 cannot submit this form themselves. A parent or guardian can "
                    "contact our privacy officer on their behalf."
                ),
            )
        elif age < ADULT_AGE:
            is_minor = True
            if not guardian_consent:
                extra["guardian_consent"] = [
                    _(
                        "Applicants under 18 need the consent of a parent or guardian: tick the box to confirm it."
                    )
                ]
    if consent is not True:
        extra["consent"] = [_("Please read the privacy policy and tick the box to agree to it.")]
    policy = definition["policy"]
    if policy is None:
        extra.setdefault("consent", []).append(
            _("The privacy policy is not published yet, so this form cannot accept submissions.")
        )
    if form.errors or extra:
        errors = {key: list(messages) for key, messages in form.errors.items()}
        for key, messages in extra.items():
            errors.setdefault(key, []).extend(messages)
        raise SubmissionRejected(errors, form=form)
    return definition, form, is_minor


def submission_validate(*, page, data: dict, consent: bool, guardian_consent: bool = False) -> dict:
    """Validate without storing (the page checks the form before it spends an SMS code).

    Returns the cleaned data or raises ``SubmissionRejected``.
    """
    _definition, form, _minor = _validate(
        page=page, data=data, consent=consent, guardian_consent=guardian_consent
    )
    return form.cleaned_data


def _stored_value(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def submission_create(
    *,
    page,
    data: dict,
    consent: bool,
    verification_token: str | None,
    ip: str,
    guardian_consent: bool = False,
    user=None,
):
    """Validate and store one submission, or raise ``SubmissionRejected`` storing nothing.

    Only the page's allowed fields are accepted; any other key refuses the whole
    submission. Where the purpose requires SMS, the verification token is consumed for
    the submitted mobile in the same transaction as the insert. Sensitive values are
    stored encrypted (a mask stands in ``form_data``) and keyed hashes of the mobile and
    e-mail are indexed. ``ip`` is the client address as resolved by ``cms.net``; it is
    not stored with the submission.
    """
    from .models import CampaignSubmission, SubjectHash

    definition, form, is_minor = _validate(
        page=page, data=data, consent=consent, guardian_consent=guardian_consent
    )
    cleaned = form.cleaned_data
    sensitive = {k: cleaned[k] for k in catalogue.SENSITIVE_KEYS if cleaned.get(k)}
    stored = {}
    for name, value in cleaned.items():
        stored[name] = catalogue.get(name).display(value) if name in sensitive else _stored_value(value)
    hashes = []
    if cleaned.get("mobile"):
        hashes.append((SubjectKind.MOBILE, protection.mobile_hash(cleaned["mobile"])))
    if cleaned.get("email"):
        hashes.append((SubjectKind.EMAIL, protection.email_hash(cleaned["email"])))

    code = definition["purpose"]["code"]
    admission = _admit_download_email(
        page=page, purpose_code=code, email=cleaned.get("email"), ip=ip, form=form
    )
    with transaction.atomic():
        if definition["sms_required"]:
            _consume_token(
                token=verification_token, mobile=cleaned.get("mobile"), purpose=definition["purpose"]["code"]
            )
        submission = CampaignSubmission.objects.create(
            page_id=page.pk,
            form_data=stored,
            purpose_id=page.purpose_id,
            policy_version_id=definition["policy"]["id"],
            consent_at=timezone.now(),
            is_minor=is_minor,
            guardian_consent=bool(guardian_consent and is_minor),
            sensitive_data=protection.encrypt(json.dumps(sensitive, ensure_ascii=False)) if sensitive else "",
            user=user if getattr(user, "is_authenticated", False) else None,
        )
        _insert_subject_hashes(SubjectHash, submission.pk, hashes)
        transaction.on_commit(
            lambda: _after_commit(page=page, purpose_code=code, submission=submission, admission=admission)
        )
    logger.debug("campaign submission %s stored for page %s", submission.pk, page.pk)
    return submission


def _insert_subject_hashes(model, submission_id: int, hashes) -> None:
    """One plain multi-row INSERT: this runs on every submission, and ``bulk_create``
    costs more than the submission's own insert. Table and column names come from the
    model, values are parameters."""
    if not hashes:
        return
    qn = connection.ops.quote_name
    columns = ", ".join(
        qn(model._meta.get_field(name).column) for name in ("submission", "kind", "value_hash")
    )
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES (%s, %s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(submission_id, str(kind), value) for kind, value in hashes])


def _consume_token(*, token, mobile, purpose) -> None:
    from forms.sms.services import InvalidToken, token_consume

    if not token:
        raise SubmissionRejected(
            {"verification_token": [_("Verify your mobile number with the SMS code first.")]}
        )
    try:
        token_consume(token=token, mobile=mobile, purpose=purpose)
    except InvalidToken as exc:
        message = getattr(exc, "message", "") or _(
            "The mobile verification is not valid: request a new code."
        )
        raise SubmissionRejected({"verification_token": [message]}) from exc


def _admit_download_email(*, page, purpose_code: str, email, ip, form):
    """Count the download-link e-mail a download submission sends against the message limits
    before anything is stored; ``SubmissionRateLimited`` when it is over them."""
    if purpose_code != "download" or not page.download_document_id or not email:
        return None
    from forms.sms import gate

    try:
        return gate.admit(channel="email", recipient=str(email), purpose="download_link", ip=ip)
    except gate.SendRefused as exc:
        raise SubmissionRateLimited(exc.message, retry_after=exc.retry_after, form=form) from None


def _after_commit(*, page, purpose_code, submission, admission=None) -> None:
    if page.to_address:
        send_submission_notification.enqueue(submission_id=submission.pk)
    if admission is not None:
        from forms.downloads import queue_download_email

        queue_download_email(submission=submission, admission=admission)


#: Hook run when an e-mail carries personal data out of the database, inside the sender's
#: transaction: ``fn(recipients=[...], field_keys=[...], record_count=int, reason=str)``.
#: The rights app registers it to write the disclosure register (policy §2).
RECORD_DISCLOSURE_HOOK = "record_disclosure"


def notification_recipients(*, page, rules=None) -> tuple[list[str], list[str]]:
    """The page's notification addresses split into (allowed, refused) by the company's
    mail domains (``home.NotificationDomains``); with no domain set, every one is refused."""
    from home.mail_domains import address_allowed, split_addresses
    from home.models import NotificationDomains

    if rules is None:
        rules = NotificationDomains.rules()
    allowed, refused = [], []
    for address in split_addresses(page.to_address):
        (allowed if address_allowed(address, rules) else refused).append(address)
    return allowed, refused


def notification_address_errors(value: str, *, rules=None) -> list[str]:
    """One message per notification address outside the company's mail domains."""
    from home.mail_domains import address_allowed, display_rule, split_addresses
    from home.models import NotificationDomains

    if rules is None:
        rules = NotificationDomains.rules()
    refused = [address for address in split_addresses(value) if not address_allowed(address, rules)]
    if not refused:
        return []
    if not rules:
        message = _(
            "“%(address)s” cannot receive notifications: no company mail domain has been set yet. "
            "Leave the field empty, or ask a Privacy officer to add the company's domains under "
            "Settings → Notification domains."
        )
    else:
        message = _(
            "“%(address)s” is not at one of the company's own mail domains (%(domains)s). Notifications "
            "carry visitors' personal data and go only to company addresses; a Privacy officer keeps "
            "the list under Settings → Notification domains."
        )
    domains = list_separator().join(display_rule(rule) for rule in rules)
    return [message % {"address": address, "domains": domains} for address in refused]


def _notification_content(*, page, submission) -> tuple[str, list[str]]:
    """The e-mail body and the personal field keys it carries.

    A purpose that collects sensitive data gets a notice without any value: the page, the
    time, how many submissions it holds and the admin listing, behind sign-in.
    """
    from django.conf import settings
    from django.urls import reverse

    from .models import CampaignSubmission

    if submission.purpose.is_sensitive or page.purpose.is_sensitive:
        url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
            "wagtailforms:list_submissions", args=(page.pk,)
        )
        body = _(
            "A new submission to “%(page)s” arrived at %(time)s; the page now holds %(count)d submissions.\n\n"
            "This purpose collects sensitive personal information, so this e-mail carries none of it. "
            "Sign in to read the submissions:\n%(url)s"
        ) % {
            "page": page.title,
            "time": f"{timezone.localtime(submission.submit_time):%Y-%m-%d %H:%M}",
            "count": CampaignSubmission.objects.filter(page_id=page.pk).count(),
            "url": url,
        }
        return body, []
    labels = dict(page.get_data_fields())
    lines = [f"{labels.get(name, name)}: {value}" for name, value in submission.form_data.items()]
    keys = [
        name
        for name, value in submission.form_data.items()
        if name in catalogue.FIELDS and value not in ("", None, [], {})
    ]
    return "\n".join(lines), keys


@task()
def send_submission_notification(submission_id: int, attempt: int = 1) -> None:
    """E-mail the page's notification addresses at the company's own domains.

    An address outside them is skipped and logged, whenever the page was saved; a purpose
    that collects sensitive data gets a notice without personal values; a notice that
    carries them is written to the disclosure register (``record_disclosure`` hook) in the
    same transaction. A mail server that is down is tried again with back-off, like every
    other delivery.
    """
    from django.conf import settings
    from django.utils import translation
    from wagtail import hooks
    from wagtail.admin.mail import send_mail

    from forms.sms.tasks import DeliveryFailed, retry_later

    from .models import CampaignSubmission

    submission = CampaignSubmission.objects.select_related("page", "purpose").filter(pk=submission_id).first()
    if submission is None:
        return
    page = submission.page.specific
    addresses, refused = notification_recipients(page=page)
    if refused:
        logger.warning(
            "submission notification for page %s: %d address(es) outside the company's mail domains skipped",
            page.pk,
            len(refused),
        )
    if not addresses:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body, keys = _notification_content(page=page, submission=submission)
    try:
        with transaction.atomic():
            if keys:
                for fn in hooks.get_hooks(RECORD_DISCLOSURE_HOOK):
                    fn(recipients=addresses, field_keys=keys, record_count=1, reason="internal_notification")
            send_mail(page.subject or page.title, body, addresses, page.from_address, fail_silently=False)
    except OSError as exc:
        retry_later(send_submission_notification, attempt, submission_id=submission_id)
        raise DeliveryFailed(f"submission notification failed ({type(exc).__name__})") from None


# --- key rotation -----------------------------------------------------------------------------

# Encrypted text columns as (app_label.Model, field); models that are not installed are skipped.
ENCRYPTED_COLUMNS = [
    ("forms.CampaignSubmission", "sensitive_data"),
    ("sms.SMSChallenge", "mobile_encrypted"),
    ("fulfilment.AccessPackage", "json_encrypted"),
    ("fulfilment.AccessPackage", "xlsx_encrypted"),
    ("fulfilment.RequestSubject", "mobile_encrypted"),
    ("fulfilment.RequestSubject", "email_encrypted"),
    ("rights_requests.RightsRequest", "status_token_encrypted"),
    ("rights_requests.RightsRequest", "mobile_encrypted"),
    ("rights_requests.RightsRequest", "email_encrypted"),
    ("rights_requests.RightsRequest", "details_encrypted"),
]


def rotate_encrypted_values(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every stored encrypted value with the newest key; returns counts per column.

    Raises ``protection.DecryptionError`` (and leaves the current batch unchanged) when a
    value cannot be decrypted with any configured key.
    """
    from django.apps import apps

    counts: dict[str, int] = {}
    for dotted, field in ENCRYPTED_COLUMNS:
        try:
            model = apps.get_model(dotted)
        except LookupError:
            continue
        rows = model._default_manager.exclude(**{field: ""}).order_by("pk")
        done = 0
        last_pk = None
        while True:
            batch = rows if last_pk is None else rows.filter(pk__gt=last_pk)
            batch = list(batch.values_list("pk", field)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                for pk, token in batch:
                    try:
                        fresh = protection.rotate(token)
                    except Exception as exc:
                        raise protection.DecryptionError(f"{dotted}.{field} #{pk}") from exc
                    model._default_manager.filter(pk=pk).update(**{field: fresh})
            done += len(batch)
            last_pk = batch[-1][0]
        counts[f"{dotted}.{field}"] = done
    return counts
