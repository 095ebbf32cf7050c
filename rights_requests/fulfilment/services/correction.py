"""Correction: new values for the person's fields, cleaned by the catalogue, with the history of
old and new values."""

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import crypto
from core.exceptions import NON_FIELD
from forms import catalogue
from forms.choices import SubjectKind
from forms.models import SubjectHash
from forms.services import _stored_value
from rights_requests.models import RightsRequest

from ..choices import StepKind
from ..selectors import subject_of_request, submissions_of
from .common import FulfilmentError, _answer, _check, _step

# --- correct --------------------------------------------------------------------------------------


def _formfield_for(submission, key: str):
    definition = catalogue.get(key)
    choices = None
    if definition.kind == "choice" and key == "intended_city" and submission.page_id:
        choices = submission.page.specific.city_list()
    return definition.formfield(required=False, choices=choices)


def _shown(key: str, value) -> str:
    if value in (None, ""):
        return ""
    definition = catalogue.get(key)
    return definition.mask(value) if definition.sensitive else str(value)


def correct(*, rights_request: RightsRequest, user, submission_id: int, changes: dict) -> list[dict]:
    """Correct or complete fields of one of the person's submissions (§6.3).

    Each value is cleaned by the catalogue's own form field, and only fields the
    submission's purpose allows are accepted. Old and new values go into the
    request's history, masked for sensitive fields. Raises ``FulfilmentError`` and
    changes nothing when any value is invalid.
    """
    rr = rights_request
    _check(rr, user, "correct")
    submission = submissions_of(subject_of_request(rr)).filter(pk=submission_id).first()
    if submission is None:
        raise FulfilmentError({"submission": [_("Choose one of the person's records.")]})
    allowed = submission.purpose.allowed_field_keys()
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for key, raw in (changes or {}).items():
        if key not in catalogue.FIELDS:
            errors.setdefault(key, []).append(_("“%(key)s” is not a personal field.") % {"key": key})
            continue
        if key not in allowed:
            errors.setdefault(key, []).append(
                _("The purpose “%(purpose)s” (%(clause)s) does not allow the field “%(field)s”.")
                % {"purpose": submission.purpose.name, "clause": submission.purpose.clause, "field": key}
            )
            continue
        try:
            value = _formfield_for(submission, key).clean(raw)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(str(m) for m in exc.messages)
            continue
        if value in (None, "") and key in ("mobile", "email"):
            errors.setdefault(key, []).append(_("This field cannot be emptied: erase the record instead."))
            continue
        cleaned[key] = value
    if not cleaned and not errors:
        errors[NON_FIELD] = [_("Enter at least one new value.")]
    if errors:
        raise FulfilmentError(errors)

    current = submission.unmasked_data()
    sensitive = dict(submission.sensitive_values())
    form_data = dict(submission.form_data or {})
    history = []
    for key, value in cleaned.items():
        old = current.get(key, "")
        stored = _stored_value(value)
        if stored == old:
            continue
        history.append(
            {"submission": submission.pk, "field": key, "old": _shown(key, old), "new": _shown(key, stored)}
        )
        if key in catalogue.SENSITIVE_KEYS:
            if stored:
                sensitive[key] = stored
                form_data[key] = catalogue.get(key).display(stored)
            else:
                sensitive.pop(key, None)
                form_data.pop(key, None)
        elif stored in (None, ""):
            form_data.pop(key, None)
        else:
            form_data[key] = stored
    if not history:
        raise FulfilmentError(_("The new values are the same as the ones held."))
    with transaction.atomic():
        submission.form_data = form_data
        submission.sensitive_data = (
            crypto.encrypt(json.dumps(sensitive, ensure_ascii=False)) if sensitive else ""
        )
        submission.save(update_fields=["form_data", "sensitive_data"])
        for key, kind, hasher in (
            ("mobile", SubjectKind.MOBILE, crypto.mobile_hash),
            ("email", SubjectKind.EMAIL, crypto.email_hash),
        ):
            if key in cleaned:
                SubjectHash.objects.update_or_create(
                    submission=submission, kind=kind, defaults={"value_hash": hasher(cleaned[key])}
                )
        _step(
            rr,
            user,
            StepKind.CORRECT,
            _("Record %(id)d: %(fields)s")
            % {"id": submission.pk, "fields": ", ".join(h["field"] for h in history)},
            history,
        )
    return history


def correct_and_answer(*, rights_request: RightsRequest, user, response: str = "") -> None:
    """Answer a correction request after its corrections were made."""
    rr = rights_request
    _check(rr, user, "correct")
    steps = rr.fulfilment_steps.filter(kind=StepKind.CORRECT)
    if not steps.exists():
        raise FulfilmentError(_("Make the corrections first."))
    fields = sorted({c["field"] for step in steps for c in step.changes})
    _answer(
        rr,
        user,
        lambda: response or _("We corrected: %(fields)s.") % {"fields": "、".join(catalogue.labels(fields))},
    )
