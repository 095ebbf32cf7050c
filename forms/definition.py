"""The form a campaign page serves: its definition (rows the purpose's whitelist and the screen
still allow, cached per page revision, whitelist version and language) and the Django form class
built from it. The page, the JSON API and the submission pipeline all read the same definition.
"""

import time
import uuid

from django.core.cache import cache
from django.dispatch import receiver
from django.utils.translation import get_language

from home.policy import current_policy

from . import catalogue, signals
from .builder import build_form_class
from .choices import QUESTION_CHOICE_TYPES, RowKind
from .screen import row_findings
from .screen.terms import fits

WHITELIST_VERSION_KEY = "forms:whitelist-version"
DEFINITION_TIMEOUT = 3600
QUESTION_MAX_LENGTH = 255
QUESTION_MULTILINE_MAX_LENGTH = 2000


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


@receiver(signals.whitelist_changed)
def _on_whitelist_changed(sender, **kwargs):
    whitelist_changed()


def _definition_cache_key(page) -> str | None:
    revision = page.live_revision_id
    published = page.last_published_at
    if revision is None or published is None or getattr(page, "_is_preview", False):
        return None
    stamp = published.timestamp()
    return f"forms:def:{page.pk}:{revision}:{stamp}:{whitelist_version()}:{get_language()}"


def _refused_by_screen(row) -> bool:
    """A live row the screen now refuses: the page stops serving it at once."""
    findings = [f for f in row_findings(row) if f.refuses]
    if row.kind == RowKind.PERSONAL:
        allowed = fits(row.field_key)
        findings = [f for f in findings if f.category not in allowed]
    return bool(findings)


def _build_definition(page) -> dict:
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


# --- the form class (``forms.builder`` builds it) ---------------------------------------------


def form_class(page) -> type:
    """The Django form class for ``page`` (only the fields its purpose allows)."""
    key = _definition_cache_key(page)
    if key is None:
        return build_form_class(_page_definition(page), page.form_builder)
    cls = _local_form_classes.get(key)
    if cls is None:
        cls = build_form_class(_page_definition(page), page.form_builder)
        _remember(_local_form_classes, key, cls)
    return cls
