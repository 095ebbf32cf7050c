"""The whitelist screen: which kinds of personal information a form row's texts ask for.

``row_findings(row)`` reads every text a visitor sees on a row (label, help text,
choices, default value), folded as ``normalise`` describes, against the terms of
``ScreenTerm`` and the catalogue's own labels. What a finding means for a page (refused,
allowed, or sent to a Privacy officer) is decided in ``forms.review.page_screen``,
with the purpose's whitelist.
"""

import hashlib
import html
import json
import logging
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .. import catalogue
from ..signals import whitelist_changed
from .matcher import Matcher, Term
from .models import ScreenTerm
from .normalise import fold_term
from .terms import TermAction, TermMode, category_clause, category_label, seed_rows

logger = logging.getLogger(__name__)

TERMS_VERSION_KEY = "forms:screen-terms-version"
VERSION_RECHECK_SECONDS = 1.0
# Longest text of a row the screen reads; a longer one is refused (forms.services).
MAX_SCREENED_CHARS = 4000
# Characters that reorder what is displayed ("\u202e码号证份身" shows as "身份证号码"): no
# label needs them, so a row that holds one is refused.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

_memo: dict = {"version": None, "read_at": 0.0, "matcher": None}

WHERE = {
    "label": lambda: _("label"),
    "help_text": lambda: _("help text"),
    "choices": lambda: _("choices"),
    "default_value": lambda: _("default value"),
}


@dataclass(frozen=True)
class Finding:
    """A term found on a row: ``written`` is the text as the marketer wrote it."""

    field: str
    written: str
    term: str
    category: str
    action: str
    how: str

    @property
    def refuses(self) -> bool:
        return self.action == TermAction.REFUSE

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def clause(self) -> str:
        return category_clause(self.category)

    @property
    def where(self) -> str:
        return WHERE[self.field]()


def catalogue_terms() -> list[Term]:
    """Every catalogue label (both languages) as a term of its own field."""
    return [
        Term(term=label, category=d.key)
        for d in catalogue.FIELDS.values()
        for label in (d.label_zh, str(d.label_en))
    ]


def _stored_terms() -> list[Term]:
    try:
        rows = list(ScreenTerm.objects.filter(active=True).values_list("term", "category", "mode", "action"))
    except DatabaseError:  # before the first migrate
        rows = [(r["term"], r["category"], r["mode"], r["action"]) for r in seed_rows()]
    return [Term(term=t, category=c, mode=m, action=a) for t, c, m, a in rows]


def build_matcher() -> Matcher:
    stored = _stored_terms()
    known = {fold_term(t.term) for t in stored}
    extra = [t for t in catalogue_terms() if fold_term(t.term) not in known]
    return Matcher([*stored, *extra])


def terms_version() -> str:
    version = cache.get(TERMS_VERSION_KEY)
    if version is None:
        cache.add(TERMS_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(TERMS_VERSION_KEY)
    return version


def terms_changed() -> None:
    """Rebuild the matcher everywhere (a term was added, changed or removed)."""
    cache.set(TERMS_VERSION_KEY, uuid.uuid4().hex, None)
    _memo["version"] = None
    _memo["matcher"] = None
    whitelist_changed.send(sender=ScreenTerm)


@receiver(post_save, sender=ScreenTerm)
@receiver(post_delete, sender=ScreenTerm)
def _terms_changed(sender, **kwargs):
    terms_changed()


def matcher() -> Matcher:
    now = time.monotonic()
    if _memo["matcher"] is not None and now - _memo["read_at"] < VERSION_RECHECK_SECONDS:
        return _memo["matcher"]
    version = terms_version()
    if _memo["matcher"] is None or _memo["version"] != version:
        _memo["matcher"] = build_matcher()
        _memo["version"] = version
    _memo["read_at"] = now
    return _memo["matcher"]


def split_choices(text: str) -> list[str]:
    """Choices one per line (Wagtail's form builder), commas also accepted."""
    parts = []
    for line in (text or "").splitlines():
        for piece in line.replace("，", ",").replace("、", ",").split(","):
            if piece.strip():
                parts.append(piece.strip())
    return parts


def row_texts(row) -> list[tuple[str, str, list[str]]]:
    """``(field, text, whole units)`` for each visitor-facing text of a row."""
    texts = []
    for field in ("label", "help_text", "default_value"):
        value = _readable(getattr(row, field, ""))
        if value.strip():
            texts.append((field, value, []))
    choices = _readable(getattr(row, "choices", ""))
    if choices.strip():
        texts.append(("choices", choices, split_choices(choices)))
    # A term split between label, help text and default value ("身份" / "证号") is read across them.
    joined = [_readable(getattr(row, f, "")) for f in ("label", "help_text", "default_value")]
    joined = [t for t in joined if t.strip()]
    if len(joined) > 1:
        texts.append(("label", "".join(joined), []))
    return texts


def unscreenable(row) -> str | None:
    """Why a row's texts cannot be screened (too long, or reordered for display), or None."""
    for _field, text, _units in row_texts(row):
        if len(text) > MAX_SCREENED_CHARS:
            return "too_long"
        if BIDI_CONTROLS & set(text):
            return "bidi"
    return None


def _readable(value) -> str:
    """The text as a page or a headless client may show it: HTML entities decoded."""
    return html.unescape(str(value or ""))


def text_findings(field: str, text: str, units=()) -> list[Finding]:
    return [
        Finding(
            field=field,
            written=hit.written,
            term=hit.term.term,
            category=hit.term.category,
            action=hit.term.action,
            how=hit.how,
        )
        for hit in matcher().find(text, whole_units=units)
    ]


def row_findings(row) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for field, text, units in row_texts(row):
        for finding in text_findings(field, text, units):
            # The label read with its help text repeats what each gave alone.
            if (finding.term, finding.category) in seen:
                continue
            seen.add((finding.term, finding.category))
            findings.append(finding)
    return findings


def row_digest(row, purpose) -> str:
    """Identifies a row's purpose, kind and every text a visitor sees on it."""
    payload = [
        getattr(purpose, "code", None),
        str(getattr(row, "kind", "")),
        str(getattr(row, "field_key", "") or ""),
        str(getattr(row, "field_type", "") or ""),
        *(str(getattr(row, f, "") or "").strip() for f in ("label", "help_text", "choices", "default_value")),
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


__all__ = [
    "Finding",
    "TermAction",
    "TermMode",
    "matcher",
    "row_digest",
    "row_findings",
    "terms_changed",
    "text_findings",
]
