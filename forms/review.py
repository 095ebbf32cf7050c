"""The screen's verdict on a page (allowed, refused, needs review) and the Privacy officer's
approval of the rows a machine cannot decide."""

import hashlib
import html
import json
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from wagtail.actions.publish_page_revision import PublishPagePermissionError
from wagtail.log_actions import log

from .choices import RowKind
from .screen import row_findings, text_findings
from .screen.models import ScreenApproval
from .screen.terms import TermAction, fits
from .whitelist import Problem, Review, _page_checks


class Verdict(StrEnum):
    """What the screen says about a page: the one answer the editor and the workflow share."""

    ALLOWED = "allowed"
    REFUSED = "refused"
    NEEDS_REVIEW = "needs_review"


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
    return [
        (_("introduction"), html.unescape(strip_tags(page.intro or ""))),
        (_("thank-you text"), html.unescape(strip_tags(page.thank_you_text or ""))),
    ]


def _page_text_reviews(purpose, page_texts) -> list[Review]:
    """The introduction asking for what the purpose does not allow ("write your ID number in the
    notes") goes to a Privacy officer: a machine cannot tell a request from a description."""
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
        log(
            instance=page,
            action="forms.screen_approve",
            user=user,
            data={"rows": [r.summary for r in reviews]},
        )
    return created


def page_revision_screen(page, latest=None) -> Screening:
    """The verdict on the latest revision of a campaign page (what a publish would put live);
    ``latest`` is that revision as a page, when the caller has it already."""
    if latest is None:
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
    # By name: the page model sits above this module (its publish() asks this one).
    pages = apps.get_model("forms", "CampaignFormPage").objects
    result = []
    for page in pages.select_related("purpose").order_by("-latest_revision_created_at"):
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
    # By name: the row model sits above this module.
    CampaignFormField = apps.get_model("forms", "CampaignFormField")
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


# --- measuring the screen (for tests and ``make bench``) ---------------------------------------


def table_counts(bad, innocent, *, purpose_code="event") -> dict:
    """False negatives (bad rows allowed) and false positives (innocent rows not allowed).

    ``bad`` and ``innocent`` are lists of ``(row, expected verdict)``; a bad row counts as
    caught when it is refused or sent for review, and ``misjudged`` lists the bad rows
    whose verdict differs from the one expected.
    """
    purpose = apps.get_model("forms", "Purpose").objects.get(code=purpose_code)
    mobile = apps.get_model("forms", "CampaignFormField")(
        kind=RowKind.PERSONAL, field_key="mobile", required=True
    )

    def verdict(row):
        rows = [row] if row.field_key == "mobile" else [row, mobile]
        return page_screen(purpose=purpose, rows=rows, cities=["北京"]).verdict

    missed, misjudged, flagged = [], [], []
    for row, expected in bad:
        got = verdict(row)
        if got == Verdict.ALLOWED:
            missed.append(row.display_label or row.help_text or row.default_value)
        elif got != expected:
            misjudged.append(row.display_label)
    for row, _expected in innocent:
        if verdict(row) != Verdict.ALLOWED:
            flagged.append(row.display_label)
    return {
        "bad": len(bad),
        "innocent": len(innocent),
        "false_negatives": len(missed),
        "false_positives": len(flagged),
        "misjudged": misjudged,
        "missed": missed,
        "flagged": flagged,
    }
