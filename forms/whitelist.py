"""The whitelist check at page save: which rows a page may carry for its purpose.

Personal rows must be fields the purpose allows, as often as the policy says; every text a
visitor sees on a row goes through the screen (``forms.screen``): a question may name no
personal information, a personal row may only rephrase its own field. ``_page_checks``
returns the refusals and the rows a person must look at; ``forms.review`` turns them into
the verdict the editor, the publish check and the workflow share.
"""

from dataclasses import dataclass

from django.apps import apps
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model

from . import catalogue
from .choices import QUESTION_CHOICE_TYPES, QUESTION_TEXT_TYPES, RowKind
from .downloads import DOWNLOADS_COLLECTION, document_is_private
from .screen import (
    MAX_SCREENED_CHARS,
    WHERE,
    row_digest,
    row_findings,
    row_texts,
    text_findings,
    unscreenable,
)
from .screen.terms import fits
from .submissions import CampaignSubmission


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


def split_cities(value: str) -> list[str]:
    """A page's city list as entered: one city per line, or separated by commas (，or ,)."""
    lines = (value or "").replace("，", ",").replace(",", "\n").splitlines()
    return [c.strip() for c in lines if c.strip()]


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


@dataclass(frozen=True)
class Review:
    """A row a person must look at: the screen doubts it, or the purpose is sensitive."""

    row: int
    digest: str
    summary: str
    message: str
    # What a visitor would see on the row, as ``(where, text)``, for the reviewer.
    texts: tuple = ()


def _visible_texts(row) -> tuple:
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
    if _unscreenable_problem(index, row, problems):
        return
    allowed = fits(row.field_key)
    findings = [f for f in row_findings(row) if f.category not in allowed]
    _screen_findings(index, row, purpose, findings=findings, problems=problems, reviews=reviews)


def _screen_question(index, row, purpose, problems, reviews) -> None:
    """A question may name no personal information; on a sensitive purpose a person checks it."""
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
    if not page.pk or purpose_id is None:
        return None
    stored = type(page)._default_manager.filter(pk=page.pk).values_list("purpose_id", flat=True).first()
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
    # By name: the page model sits above this module (its save() runs the checks here).
    pages = (
        apps.get_model("forms", "CampaignFormPage")
        .objects.select_related("purpose")
        .prefetch_related("purpose__fields", "form_fields")
    )
    result = []
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
