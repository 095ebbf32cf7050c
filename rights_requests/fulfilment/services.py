"""Fulfilling rights requests: packages, transfer, correction, withdrawal, erasure, restriction.

Every operation is a keyword-only function. Operations on a request check the acting
user's permission and the request's state, change the data and record a step in the
request's history inside one transaction, and answer the request through
``rights_requests.services.rights_request_answer`` so the answer states what was done.
Erasure, restriction and withdrawal also write the erasure ledger (no personal data),
which ``replay_ledger`` applies again after a backup is restored.
"""

import base64
import datetime
import hashlib
import json
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core import crypto
from core.phone import normalize_mobile
from forms import catalogue
from forms.choices import SubjectKind
from rights_requests.choices import IdentifierProof, Outcome, RequestType, State, VerificationMethod
from rights_requests.models import RightsRequest

from .choices import Arrangement, DisclosureGround, LedgerAction, LedgerReason, PackageKind, StepKind
from .models import (
    AccessPackage,
    DisclosureRecord,
    FulfilmentStep,
    LedgerEntry,
    PosthumousArrangement,
    RequestSubject,
    SubmissionStatus,
)
from .selectors import (
    PersonData,
    Subject,
    arrangement_for,
    find_person,
    page_titles,
    policy_labels,
    subject_of_request,
    submissions_of,
)

logger = logging.getLogger(__name__)

TOMBSTONE = "[erased]"
ONE_SECOND = datetime.timedelta(seconds=1)
CHUNK = 500
PACKAGE_FORMAT = "policy-forms.access-package/1"
FULFIL_PERMISSION = "fulfilment.fulfil_rightsrequest"
APPROVE_TRANSFER_PERMISSION = "fulfilment.approve_transfer"
APPROVE_CLEAR_PERMISSION = "fulfilment.approve_clear_package"
UNMASKED_PERMISSION = "forms.view_unmasked_personal_data"
MAX_REASON = 2000
NON_FIELD = "__all__"

# What each right allows staff to do; next of kin only access, copy, correct and delete (§6.8).
ACTIONS_BY_TYPE = {
    RequestType.ACCESS: {"package"},
    RequestType.COPY: {"package"},
    RequestType.TRANSFER: {"transfer"},
    RequestType.CORRECT: {"correct"},
    RequestType.WITHDRAW_CONSENT: {"withdraw"},
    RequestType.DELETE: {"erase"},
    RequestType.DEREGISTER: {"erase"},
    RequestType.POSTHUMOUS: {"package", "correct", "erase"},
}
ARRANGEMENT_ALLOWS = {
    Arrangement.NEXT_OF_KIN: {"package", "correct", "erase"},
    Arrangement.NO_ACCESS: {"erase"},
    Arrangement.DELETE: {"erase"},
}


class FulfilmentError(Exception):
    """Invalid input or an action the request does not allow; nothing was changed."""

    def __init__(self, errors: dict[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {NON_FIELD: [errors]}
        self.errors = errors
        super().__init__("; ".join(m for ms in errors.values() for m in ms))


# --- helpers -------------------------------------------------------------------------------------


def package_ttl() -> datetime.timedelta:
    return datetime.timedelta(days=int(getattr(settings, "ACCESS_PACKAGE_TTL_DAYS", 7)))


def ledger_path() -> Path:
    configured = getattr(settings, "ERASURE_LEDGER_PATH", None)
    return Path(configured) if configured else Path(settings.PRIVATE_MEDIA_ROOT) / "erasure-ledger.jsonl"


def backup_rollover_date(now: datetime.datetime | None = None) -> datetime.date:
    return ((now or timezone.now()) + datetime.timedelta(days=settings.BACKUP_RETENTION_DAYS)).date()


def allowed_actions(rr: RightsRequest) -> set[str]:
    """Actions the request's right allows now; for next of kin, narrowed by the deceased's arrangement."""
    actions = set(ACTIONS_BY_TYPE.get(rr.request_type, set()))
    if rr.request_type == RequestType.POSTHUMOUS:
        if not hasattr(rr, "fulfilment_subject"):
            return set()
        arrangement = arrangement_for(subject_of_request(rr))
        if arrangement is not None:
            actions &= ARRANGEMENT_ALLOWS[arrangement.instruction]
    return actions


def _check(rr: RightsRequest, user, action: str) -> None:
    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    if rr.state != State.VERIFIED:
        raise FulfilmentError(_("Only a verified request can be fulfilled."))
    if not rr.has_proven_identifier:
        raise FulfilmentError(
            _(
                "No identifier of this request is proven: records are found only by a mobile or e-mail "
                "the requester proved (SMS code, e-mail link) or that staff recorded how they checked."
            )
        )
    if rr.request_type == RequestType.POSTHUMOUS:
        if rr.verification_method != VerificationMethod.STAFF:
            raise FulfilmentError(
                _("A next-of-kin request must be verified by staff against evidence first.")
            )
        if not hasattr(rr, "fulfilment_subject"):
            raise FulfilmentError(_("Record whose data the next-of-kin request concerns first."))
    if action not in allowed_actions(rr):
        arrangement = (
            arrangement_for(subject_of_request(rr)) if rr.request_type == RequestType.POSTHUMOUS else None
        )
        if arrangement is not None:
            raise FulfilmentError(
                _("The person's own arrangement (%(arrangement)s) does not allow this.")
                % {"arrangement": arrangement.get_instruction_display()}
            )
        raise FulfilmentError(
            _("A request of type “%(type)s” cannot be fulfilled this way.")
            % {"type": rr.get_request_type_display()}
        )


def _answer(rr: RightsRequest, user, response, outcome=Outcome.FULFILLED) -> None:
    """Answer ``rr``; ``response`` is a callable giving the text, written in the requester's language."""
    from rights_requests.services import RightsRequestError, rights_request_answer

    with translation.override(rr.language or settings.LANGUAGE_CODE):
        response = str(response())

    try:
        rights_request_answer(
            rights_request=rr, user=user, outcome=outcome, response=response, expected_state=State.VERIFIED
        )
    except RightsRequestError as exc:
        raise FulfilmentError(exc.errors) from exc


def _step(rr, user, kind, summary, changes=None) -> FulfilmentStep:
    return FulfilmentStep.objects.create(
        rights_request=rr,
        kind=kind,
        by=user if getattr(user, "is_authenticated", False) else None,
        summary=summary,
        changes=changes or [],
    )


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


# --- find and package ------------------------------------------------------------------------------


def record_of(submission, *, unmasked: bool, page_titles=None, policy_labels=None) -> dict:
    """One submission as a package record: context plus every personal field held."""
    status = getattr(submission, "fulfilment_status", None)
    data = submission.unmasked_data() if unmasked else dict(submission.form_data or {})
    values = {}
    for key, value in data.items():
        if key not in catalogue.FIELDS:
            continue
        definition = catalogue.get(key)
        values[key] = value if unmasked or not definition.sensitive else definition.display(value)
    questions = {k: v for k, v in (submission.form_data or {}).items() if k not in catalogue.FIELDS}
    return {
        "record_id": submission.pk,
        "purpose_code": submission.purpose.code,
        "purpose_name": submission.purpose.name_zh,
        "clause": submission.purpose.clause,
        "page_title": (
            page_titles.get(submission.page_id, "")
            if page_titles is not None
            else (submission.page.title if submission.page_id else "")
        ),
        "policy_version": (
            policy_labels.get(submission.policy_version_id, "")
            if policy_labels is not None
            else submission.policy_version_label()
        ),
        "submitted_at": _iso(submission.submit_time),
        "consent_at": _iso(submission.consent_at),
        "consent_withdrawn_at": _iso(status.consent_withdrawn_at) if status else None,
        "is_minor": submission.is_minor,
        "guardian_consent": submission.guardian_consent,
        "fields": values,
        "answers": questions,
    }


def package_document(person: PersonData, *, unmasked: bool, reference: str = "") -> dict:
    """The machine-readable copy: every record with field keys, purposes, policy versions and dates."""
    titles, labels = page_titles(person.submissions), policy_labels(person.submissions)
    records = [
        record_of(s, unmasked=unmasked, page_titles=titles, policy_labels=labels) for s in person.submissions
    ]
    return {
        "format": PACKAGE_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "rights_request": reference,
        "record_count": len(records),
        "field_labels": {key: d.label_zh for key, d in catalogue.FIELDS.items()},
        "sensitive_fields": sorted(catalogue.SENSITIVE_KEYS),
        "sensitive_masked": not unmasked,
        "records": records,
        "rights_requests": [
            {
                "reference": other.reference,
                "right": other.request_type,
                "state": other.state,
                "received_at": _iso(other.received_at),
                "answered_at": _iso(other.answered_at),
                "outcome": other.outcome,
            }
            for other in person.rights_requests
        ],
        "consents": [
            {
                "submission_id": r["record_id"],
                "purpose": r["purpose_code"],
                "policy_version": r["policy_version"],
                "given_at": r["consent_at"],
                "withdrawn_at": r["consent_withdrawn_at"],
                "guardian_consent": r["guardian_consent"],
            }
            for r in records
        ],
    }


def document_bytes(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def csv_bytes(records: list[dict]) -> bytes:
    from .resources import csv_bytes as write_csv

    return write_csv(records)


def xlsx_bytes(records: list[dict]) -> bytes:
    from .resources import xlsx_bytes as write_xlsx

    return write_xlsx(records)


def _holds_clear_sensitive(document: dict) -> bool:
    """Whether any record of an unmasked document carries a sensitive value at all."""
    if document["sensitive_masked"]:
        return False
    return any(
        record["fields"].get(key) not in (None, "", TOMBSTONE)
        for record in document["records"]
        for key in catalogue.SENSITIVE_KEYS
    )


def package_build(
    *,
    rights_request: RightsRequest,
    kind: str = PackageKind.COPY,
    recipient: str = "",
    user=None,
    masked: bool = False,
) -> AccessPackage:
    """Build and store (encrypted) the package for the person the request concerns.

    The package is not released: ``package_release`` (or a Privacy officer's approval when it
    holds sensitive values in clear) hands it over.
    """
    rr = rights_request
    person = find_person(subject_of_request(rr))
    # The requester is entitled to their own values in clear; next of kin get sensitive ones masked.
    unmasked = rr.request_type != RequestType.POSTHUMOUS and not masked
    document = package_document(person, unmasked=unmasked, reference=rr.reference)
    content = document_bytes(document)
    now = timezone.now()
    return AccessPackage.objects.create(
        rights_request=rr,
        kind=kind,
        recipient=recipient,
        built_by=user if getattr(user, "is_authenticated", False) else None,
        clear_sensitive=_holds_clear_sensitive(document),
        nonce=secrets.token_hex(16),
        created_at=now,
        expires_at=now + package_ttl(),
        record_count=document["record_count"],
        sha256=hashlib.sha256(content).hexdigest(),
        json_encrypted=crypto.encrypt(content.decode("utf-8")),
        xlsx_encrypted=crypto.encrypt(base64.b64encode(xlsx_bytes(document["records"])).decode("ascii")),
    )


def package_content(package: AccessPackage, fmt: str = "json") -> bytes:
    if not package.has_content:
        raise FulfilmentError(_("This package is no longer held."))
    if fmt == "xlsx":
        return base64.b64decode(crypto.decrypt(package.xlsx_encrypted))
    return crypto.decrypt(package.json_encrypted).encode("utf-8")


def package_url(package: AccessPackage) -> str:
    from django.urls import reverse

    from .tokens import package_token

    path = reverse("fulfilment:package", kwargs={"token": package_token(package)})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def package_answer_text(package: AccessPackage) -> str:
    """The answer staff send: what the copy holds, never its link (the link is the requester's alone)."""
    if package.record_count == 0:
        return _(
            "No data held: we hold no personal information about you in our campaign records. "
            "The confirmation can be downloaded from your request's status page until %(expires)s."
        ) % {"expires": f"{package.expires_at:%Y-%m-%d}"}
    return _(
        "Your copy holds %(count)d records (SHA-256 %(sha)s). Download it from your request's status "
        "page until %(expires)s; the link there is for you alone."
    ) % {
        "count": package.record_count,
        "sha": package.sha256,
        "expires": f"{package.expires_at:%Y-%m-%d}",
    }


def package_mail_text(package: AccessPackage) -> str:
    """The e-mail to the requester's proven address: the answer plus the download link."""
    return _("%(answer)s\n\nDownload: %(url)s") % {
        "answer": package_answer_text(package),
        "url": package_url(package),
    }


def package_request(*, rights_request: RightsRequest, user) -> None:
    """Queue the building of the access/copy package; the task answers the request when done."""
    from .tasks import build_access_package

    _check(rights_request, user, "package")
    if pending_packages().filter(rights_request=rights_request).exists():
        raise FulfilmentError(
            _("A copy of this request is already waiting for a Privacy officer's approval.")
        )
    rr_id, user_id = rights_request.pk, user.pk
    transaction.on_commit(lambda: build_access_package.enqueue(rights_request_id=rr_id, user_id=user_id))


def package_deliver(*, rights_request: RightsRequest, user) -> AccessPackage:
    """Build the package now; release it and answer, or hold it for a Privacy officer's approval.

    A package that carries a sensitive value in clear (an ID number) is held until a Privacy
    officer other than its builder, the request's verifier and whoever registered the request
    approves it (``package_approve``), or until staff release a masked copy instead
    (``package_release_masked``). Anything else is released at once.
    """
    rr = rights_request
    _check(rr, user, "package")
    with transaction.atomic():
        if pending_packages().filter(rights_request=rr).exists():
            raise FulfilmentError(
                _("A copy of this request is already waiting for a Privacy officer's approval.")
            )
        package = package_build(rights_request=rr, user=user)
        if package.clear_sensitive:
            _step(
                rr,
                user,
                StepKind.AWAITING_APPROVAL,
                _(
                    "%(count)d records with sensitive values in clear: held until a Privacy officer "
                    "approves it, or a masked copy is released instead"
                )
                % {"count": package.record_count},
            )
            _log_package(package, "fulfilment.package_held", user)
        else:
            _release(rr, package, user)
    logger.info("access package %s built for %s (%d records)", package.pk, rr.reference, package.record_count)
    return package


def _release(rr: RightsRequest, package: AccessPackage, user) -> None:
    """Hand the package to the requester: record the step, answer the request, mail the proven address."""
    now = timezone.now()
    won = AccessPackage.objects.filter(
        pk=package.pk, released_at__isnull=True, discarded_at__isnull=True
    ).update(released_at=now)
    if won != 1:
        raise FulfilmentError(_("This package was already released or discarded by someone else."))
    package.released_at = now
    summary = _("%(count)d records, SHA-256 %(sha)s, link valid until %(expires)s") % {
        "count": package.record_count,
        "sha": package.sha256,
        "expires": f"{package.expires_at:%Y-%m-%d}",
    }
    _step(rr, user, StepKind.PACKAGE if package.record_count else StepKind.NO_DATA, summary)
    _log_package(package, "fulfilment.package_released", user)
    _answer(rr, user, lambda: package_answer_text(package))
    _mail_requester(rr, package)


def _log_package(package: AccessPackage, action: str, user, **data) -> None:
    from wagtail.log_actions import log

    log(
        package,
        action,
        user=user if getattr(user, "is_authenticated", False) else None,
        data={
            "request": package.rights_request.reference,
            "records": package.record_count,
            "clear_sensitive": package.clear_sensitive,
            **data,
        },
    )


def pending_packages():
    """Packages with sensitive values in clear waiting for a Privacy officer's approval."""
    return (
        AccessPackage.objects.filter(
            released_at__isnull=True, discarded_at__isnull=True, clear_sensitive=True
        )
        .exclude(json_encrypted="")
        .select_related("rights_request", "built_by")
        .order_by("created_at")
    )


def can_approve_package(package: AccessPackage, user) -> bool:
    return not _approval_refusal(package, user)


def _approval_refusal(package: AccessPackage, user) -> str:
    """Why ``user`` may not approve ``package`` (blank when they may)."""
    rr = package.rights_request
    if not (user and user.is_authenticated and user.has_perm(APPROVE_CLEAR_PERMISSION)):
        return _("Only a Privacy officer may approve releasing sensitive values in clear.")
    if user.pk in {package.built_by_id, rr.verified_by_id, rr.registered_by_id}:
        return _(
            "A second person must approve: you built this package, verified the requester or "
            "registered the request."
        )
    if not package.awaits_approval:
        return _("This package is not waiting for approval.")
    if rr.state != State.VERIFIED:
        return _("Only a verified request can be fulfilled.")
    return ""


def package_approve(*, package: AccessPackage, user, note: str) -> AccessPackage:
    """Four eyes: a second person, a Privacy officer, releases a package with sensitive values in clear."""
    rr = package.rights_request
    if not user.has_perm(APPROVE_CLEAR_PERMISSION):
        raise PermissionDenied
    refusal = _approval_refusal(package, user)
    if refusal:
        raise FulfilmentError(refusal)
    note = (note or "").strip()
    if not note:
        raise FulfilmentError({"note": [_("Say why the sensitive values may go out in clear.")]})
    if len(note) > MAX_REASON:
        raise FulfilmentError({"note": [_("Use at most %(max)d characters.") % {"max": MAX_REASON}]})
    with transaction.atomic():
        won = AccessPackage.objects.filter(
            pk=package.pk, approved_at__isnull=True, discarded_at__isnull=True
        ).update(approved_by=user, approved_at=timezone.now(), approval_note=note)
        if won != 1:
            raise FulfilmentError(_("This package was already approved or discarded by someone else."))
        package.refresh_from_db()
        _step(
            rr,
            user,
            StepKind.APPROVED,
            _("Release with sensitive values in clear approved: %(note)s") % {"note": note},
        )
        _log_package(package, "fulfilment.package_approved", user, note=note)
        _release(rr, package, user)
    return package


def package_release_masked(*, package: AccessPackage, user) -> AccessPackage:
    """Instead of waiting for approval, discard the clear package and release a masked copy."""
    rr = package.rights_request
    _check(rr, user, "package")
    if not package.awaits_approval:
        raise FulfilmentError(_("This package is not waiting for approval."))
    with transaction.atomic():
        won = AccessPackage.objects.filter(
            pk=package.pk, released_at__isnull=True, discarded_at__isnull=True
        ).update(discarded_at=timezone.now(), json_encrypted="", xlsx_encrypted="")
        if won != 1:
            raise FulfilmentError(_("This package was already released or discarded by someone else."))
        masked = package_build(rights_request=rr, user=user, masked=True)
        _step(rr, user, StepKind.MASKED, _("The copy is released with sensitive values masked."))
        _release(rr, masked, user)
    return masked


def _mail_requester(rr: RightsRequest, package: AccessPackage) -> None:
    """The link goes only to an address the requester proved; otherwise it is on the status page."""
    from messaging.services import queue_email

    if not rr.proven_email:
        return
    with translation.override(rr.language or settings.LANGUAGE_CODE):
        subject = _("Your data: %(reference)s") % {"reference": rr.reference}
        body = package_mail_text(package)
    queue_email(to=[rr.proven_email], subject=subject, body=body, purpose="access_package")


def reveal_reason(reason) -> str:
    """A Privacy officer's reason for viewing sensitive values in clear; ``FulfilmentError`` if missing."""
    text = (reason or "").strip()
    if not text:
        raise FulfilmentError({"reason": [_("Give the reason for viewing sensitive values in clear.")]})
    if len(text) > MAX_REASON:
        raise FulfilmentError({"reason": [_("Use at most %(max)d characters.") % {"max": MAX_REASON}]})
    return text


def record_unmasked_view(*, user, reason: str, what: str, submission_ids, rights_request=None) -> None:
    """Record who saw which records' sensitive values in clear, when and why (Wagtail's log)."""
    from wagtail.log_actions import log

    if not user.has_perm(UNMASKED_PERMISSION):
        raise PermissionDenied
    ids = sorted(int(pk) for pk in submission_ids)
    target = rights_request if rights_request is not None else user
    log(
        target,
        "fulfilment.unmasked_view",
        user=user,
        data={"what": what, "reason": reason, "submissions": ids[:500], "count": len(ids)},
    )


def transfer(*, rights_request: RightsRequest, user, recipient: str, ground: str) -> DisclosureRecord:
    """Hand the JSON package to the processor the requester named, and register the disclosure (§2, §6.2)."""
    rr = rights_request
    _check(rr, user, "transfer")
    if not user.has_perm(APPROVE_TRANSFER_PERMISSION):
        raise PermissionDenied(_("Only a privacy officer may approve a transfer."))
    if user.pk in {rr.verified_by_id, rr.registered_by_id}:
        raise FulfilmentError(
            _(
                "A second person must approve the transfer: you verified the requester or registered the request."
            )
        )
    errors: dict[str, list[str]] = {}
    recipient = (recipient or "").strip()
    if not recipient:
        errors["recipient"] = [_("Name the processor the data goes to.")]
    elif len(recipient) > 200:
        errors["recipient"] = [_("Use at most 200 characters.")]
    if ground not in DisclosureGround.values:
        errors["ground"] = [_("Choose a ground from the list.")]
    if errors:
        raise FulfilmentError(errors)
    with transaction.atomic():
        package = package_build(rights_request=rr, kind=PackageKind.TRANSFER, recipient=recipient, user=user)
        AccessPackage.objects.filter(pk=package.pk).update(
            approved_by=user, approved_at=timezone.now(), released_at=timezone.now()
        )
        document = json.loads(package_content(package))
        keys = sorted({k for record in document["records"] for k in record["fields"]})
        record = DisclosureRecord.objects.create(
            rights_request=rr,
            request_reference=rr.reference,
            recipient=recipient,
            ground=ground,
            field_keys=keys,
            record_count=package.record_count,
            package=package,
            approved_by=user,
        )
        _step(
            rr,
            user,
            StepKind.TRANSFER,
            _("%(count)d records for %(recipient)s, SHA-256 %(sha)s")
            % {"count": package.record_count, "recipient": recipient, "sha": package.sha256},
        )
        _answer(
            rr,
            user,
            lambda: (
                _(
                    "We prepared %(count)d records (SHA-256 %(sha)s) in a machine-readable file for %(recipient)s. "
                    "The link for them is on your request's status page until %(expires)s."
                )
                % {
                    "count": package.record_count,
                    "sha": package.sha256,
                    "recipient": recipient,
                    "expires": f"{package.expires_at:%Y-%m-%d}",
                }
            ),
        )
    return record


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
    from forms.models import SubjectHash
    from forms.services import _stored_value

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


# --- withdraw consent -----------------------------------------------------------------------------


def withdraw_consent(*, rights_request: RightsRequest, user, purpose_code: str = "") -> int:
    """Record the withdrawal of consent on the person's submissions (one purpose, or all) (§6.4).

    Later processing (marketing listings and exports) leaves them out; earlier
    processing stays as it was and nothing is deleted. Returns how many were marked.
    """
    from forms.models import Purpose

    rr = rights_request
    _check(rr, user, "withdraw")
    if purpose_code and not Purpose.objects.filter(code=purpose_code).exists():
        raise FulfilmentError({"purpose": [_("Choose a purpose from the list.")]})
    submissions = submissions_of(subject_of_request(rr))
    if purpose_code:
        submissions = submissions.filter(purpose__code=purpose_code)
    now = timezone.now()
    with transaction.atomic():
        rows = list(submissions)
        marked = _mark([r.pk for r in rows], consent_withdrawn_at=now, only_if_null="consent_withdrawn_at")
        entry = _ledger(
            action=LedgerAction.WITHDRAW,
            reason=LedgerReason.REQUEST,
            rows=rows,
            user=user,
            reference=rr.reference,
            purpose_scope=purpose_code,
        )
        scope = purpose_code or _("all purposes")
        _step(
            rr,
            user,
            StepKind.WITHDRAW,
            _("%(count)d records, scope: %(scope)s") % {"count": marked, "scope": scope},
        )
        _answer(
            rr,
            user,
            lambda: (
                _(
                    "We recorded the withdrawal of your consent (%(scope)s) on %(date)s for %(count)d records. "
                    "We no longer process them on the basis of that consent; processing before the withdrawal "
                    "remains lawful."
                )
                % {"scope": scope, "date": f"{now:%Y-%m-%d}", "count": len(rows)}
            ),
        )
    logger.info("consent withdrawn for %s: %d records (ledger %s)", rr.reference, marked, entry.uid)
    return marked


def _mark(ids, *, only_if_null: str, **values) -> int:
    """Set ``values`` on the status rows of submissions ``ids`` (created as needed); returns how many changed."""
    ids = list(ids)
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        existing = set(
            SubmissionStatus.objects.filter(submission_id__in=chunk).values_list("submission_id", flat=True)
        )
        SubmissionStatus.objects.bulk_create(
            [SubmissionStatus(submission_id=i) for i in chunk if i not in existing], ignore_conflicts=True
        )
        changed += SubmissionStatus.objects.filter(
            submission_id__in=chunk, **{f"{only_if_null}__isnull": True}
        ).update(**values)
    return changed


# --- erase and restrict ---------------------------------------------------------------------------


@dataclass
class ErasureResult:
    erased: Counter = field(default_factory=Counter)
    restricted: Counter = field(default_factory=Counter)

    @property
    def erased_count(self) -> int:
        return sum(self.erased.values())

    @property
    def restricted_count(self) -> int:
        return sum(self.restricted.values())


def _erase_rows(ids: list[int], now) -> list:
    """Tombstone the personal values of the submissions ``ids`` (not yet erased); returns the rows."""
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows += _erase_chunk(ids[start : start + CHUNK], now)
    return rows


def _erase_chunk(ids: list[int], now) -> list:
    from forms.models import CampaignSubmission, SubjectHash

    rows = list(
        CampaignSubmission.objects.filter(pk__in=ids)
        .exclude(fulfilment_status__erased_at__isnull=False)
        .select_related("purpose")
        .only("pk", "form_data", "purpose__code", "submit_time")
    )
    if not rows:
        return []
    groups: dict[tuple, list[int]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row.form_data or {})), []).append(row.pk)
    # One UPDATE per shape of form (few per erasure) instead of a CASE per row.
    for keys, group in groups.items():
        CampaignSubmission.objects.filter(pk__in=group).update(
            form_data=dict.fromkeys(keys, TOMBSTONE), sensitive_data="", user=None
        )
    row_ids = [r.pk for r in rows]
    SubjectHash.objects.filter(submission_id__in=row_ids).delete()
    _mark(row_ids, only_if_null="erased_at", erased_at=now)
    return rows


def _scrub_person(subject: Subject) -> list[int]:
    """Drop what the person's own requests carry about them besides the request: package contents,
    correction values and SMS challenges. Returns the SMS challenge ids removed."""
    from verification.models import SMSChallenge

    from .selectors import rights_requests_of

    requests = list(rights_requests_of(subject).values_list("pk", flat=True))
    requests += list(
        RequestSubject.objects.filter(
            Q(mobile_hash__in=subject.hashes) | Q(email_hash__in=subject.hashes)
        ).values_list("rights_request_id", flat=True)
    )
    AccessPackage.objects.filter(rights_request_id__in=requests).update(json_encrypted="", xlsx_encrypted="")
    for step in FulfilmentStep.objects.filter(rights_request_id__in=requests, kind=StepKind.CORRECT):
        step.changes = [{**c, "old": TOMBSTONE, "new": TOMBSTONE} for c in step.changes]
        step.save(update_fields=["changes"])
    challenge_ids = []
    if subject.mobile_hash:
        challenges = SMSChallenge.objects.filter(mobile_hash=subject.mobile_hash)
        challenge_ids = list(challenges.values_list("pk", flat=True))
        challenges.delete()
    return challenge_ids


def _ledger(
    *, action, reason, rows, user=None, reference="", purpose_scope="", retain_until=None, sms_ids=()
):
    entry = LedgerEntry.objects.create(
        action=action,
        reason=reason,
        request_reference=reference,
        by=user if getattr(user, "is_authenticated", False) else None,
        purpose_scope=purpose_scope,
        retain_until=retain_until,
        counts=dict(Counter(r.purpose.code for r in rows)),
        targets=[[r.pk, _iso(r.submit_time)] for r in rows],
        sms_challenge_ids=list(sms_ids),
    )
    line = json.dumps(ledger_line(entry), sort_keys=True)
    transaction.on_commit(lambda: _append_ledger_file(line))
    return entry


def ledger_line(entry: LedgerEntry) -> dict:
    return {
        "uid": str(entry.uid),
        "action": entry.action,
        "reason": entry.reason,
        "created_at": _iso(entry.created_at),
        "request_reference": entry.request_reference,
        "purpose_scope": entry.purpose_scope,
        "retain_until": _iso(entry.retain_until),
        "counts": entry.counts,
        "targets": entry.targets,
        "sms_challenge_ids": entry.sms_challenge_ids,
    }


def _append_ledger_file(line: str) -> None:
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def erase_submissions(
    *, submission_ids, reason: str, user=None, reference: str = "", subject: Subject | None = None
) -> ErasureResult:
    """Erase the given submissions in one transaction and write one ledger entry.

    Already erased rows are skipped, so erasing twice changes nothing and writes no entry.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = _erase_rows(list(submission_ids), now)
        sms_ids = _scrub_person(subject) if subject else []
        if rows or sms_ids:
            _ledger(
                action=LedgerAction.ERASE,
                reason=reason,
                rows=rows,
                user=user,
                reference=reference,
                sms_ids=sms_ids,
            )
    return ErasureResult(erased=Counter(r.purpose.code for r in rows))


def restrict_submissions(
    *, submission_ids, retain_until: datetime.date, ground: str, user=None, reference: str = ""
) -> ErasureResult:
    """Restrict instead of erasing while a legal retention period runs (§6.5)."""
    from forms.models import CampaignSubmission

    now = timezone.now()
    with transaction.atomic():
        rows = list(
            CampaignSubmission.objects.filter(pk__in=list(submission_ids))
            .exclude(fulfilment_status__erased_at__isnull=False)
            .exclude(fulfilment_status__restricted_at__isnull=False)
            .select_related("purpose")
        )
        if rows:
            _mark([r.pk for r in rows], only_if_null="restricted_at", restricted_at=now)
            SubmissionStatus.objects.filter(submission_id__in=[r.pk for r in rows]).update(
                retain_until=retain_until, restriction_ground=ground[:200]
            )
            _ledger(
                action=LedgerAction.RESTRICT,
                reason=LedgerReason.REQUEST,
                rows=rows,
                user=user,
                reference=reference,
                retain_until=retain_until,
            )
    return ErasureResult(restricted=Counter(r.purpose.code for r in rows))


def erase(
    *, rights_request: RightsRequest, user, retain_until: datetime.date | None = None, ground: str = ""
) -> ErasureResult:
    """Erase (or, while a legal retention period runs, restrict) everything held about the person
    and answer the request, stating when backups roll over. A second call finds nothing to do."""
    rr = rights_request
    _check(rr, user, "erase")
    today = timezone.localdate()
    if retain_until is not None and retain_until <= today:
        raise FulfilmentError({"retain_until": [_("A retention period must end in the future.")]})
    if retain_until is not None and not (ground or "").strip():
        raise FulfilmentError({"ground": [_("Name the law that requires keeping the data.")]})
    subject = subject_of_request(rr)
    # Records already restricted stay so until their legal retention ends (then the purge erases them).
    ids = list(submissions_of(subject).values_list("pk", flat=True))
    with transaction.atomic():
        if retain_until is not None:
            result = restrict_submissions(
                submission_ids=ids,
                retain_until=retain_until,
                ground=ground,
                user=user,
                reference=rr.reference,
            )
            _scrub_person(subject)
        else:
            result = erase_submissions(
                submission_ids=ids,
                reason=LedgerReason.REQUEST,
                user=user,
                reference=rr.reference,
                subject=subject,
            )
        counts = result.erased + result.restricted
        per_purpose = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items())) or "0"
        kind = StepKind.RESTRICT if retain_until else StepKind.ERASE
        if not counts:
            kind = StepKind.NO_DATA
        _step(rr, user, kind, _("Records per purpose: %(counts)s") % {"counts": per_purpose})
        _answer(rr, user, lambda: erasure_answer_text(result, retain_until=retain_until, ground=ground))
    logger.info(
        "erasure for %s: %d erased, %d restricted", rr.reference, result.erased_count, result.restricted_count
    )
    return result


def erasure_answer_text(result: ErasureResult, *, retain_until=None, ground="") -> str:
    backups = _(
        "Copies in our backups are overwritten as the backups roll over, within %(days)d days (by %(date)s); "
        "if a backup is ever restored, the erasure is applied again."
    ) % {"days": settings.BACKUP_RETENTION_DAYS, "date": f"{backup_rollover_date():%Y-%m-%d}"}
    if retain_until is not None:
        return (
            _(
                "The law (%(ground)s) requires us to keep %(count)d records until %(date)s. Until then they "
                "are restricted: only stored and protected, not used for anything else; then they are erased."
            )
            % {"ground": ground, "count": result.restricted_count, "date": f"{retain_until:%Y-%m-%d}"}
            + " "
            + backups
        )
    if not result.erased_count:
        return _("No data held: we hold no personal information about you in our campaign records.")
    return _("We erased %(count)d records.") % {"count": result.erased_count} + " " + backups


# --- next of kin ----------------------------------------------------------------------------------


def _hashes(mobile, email) -> tuple[str, str, str, str, dict]:
    errors: dict[str, list[str]] = {}
    e164 = ""
    if mobile:
        try:
            e164 = normalize_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = [str(m) for m in exc.messages]
    clean_email = crypto.normalize_email(email or "")
    if clean_email:
        from django.core.validators import validate_email

        try:
            validate_email(clean_email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if not e164 and not clean_email and not errors:
        errors["mobile"] = [_("Give a mobile number or an e-mail address.")]
    mobile_hash = crypto.mobile_hash(e164) if e164 else ""
    email_hash = crypto.email_hash(clean_email) if clean_email else ""
    return e164, clean_email, mobile_hash, email_hash, errors


def set_deceased(*, rights_request: RightsRequest, user, mobile: str = "", email: str = "") -> RequestSubject:
    """Record whose data a verified next-of-kin request concerns."""
    rr = rights_request
    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    if rr.request_type != RequestType.POSTHUMOUS:
        raise FulfilmentError(_("Only next-of-kin requests concern someone other than the requester."))
    if rr.state != State.VERIFIED or rr.verification_method != VerificationMethod.STAFF:
        raise FulfilmentError(_("A next-of-kin request must be verified by staff against evidence first."))
    if user.pk in {rr.verified_by_id, rr.registered_by_id}:
        # Four eyes: naming whose data a relative may act on (even erase) is not left to the one
        # person who registered the request or checked its evidence.
        raise FulfilmentError(
            _(
                "A second person must record whose data this is: you registered this request or "
                "checked its evidence."
            )
        )
    e164, clean_email, mobile_hash, email_hash, errors = _hashes(mobile, email)
    if errors:
        raise FulfilmentError(errors)
    with transaction.atomic():
        subject, _created = RequestSubject.objects.update_or_create(
            rights_request=rr,
            defaults={
                "mobile_hash": mobile_hash,
                "email_hash": email_hash,
                "mobile_encrypted": crypto.encrypt(e164) if e164 else "",
                "email_encrypted": crypto.encrypt(clean_email) if clean_email else "",
                "set_by": user,
            },
        )
        _step(rr, user, StepKind.SUBJECT, _("Deceased person identified by staff."))
    rr.fulfilment_subject = subject
    return subject


def arrangement_record(*, user, mobile: str = "", email: str = "", instruction: str) -> PosthumousArrangement:
    """Record a person's own written arrangement for their data after death (§6.8)."""
    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    _e164, _email, mobile_hash, email_hash, errors = _hashes(mobile, email)
    if instruction not in Arrangement.values:
        errors["instruction"] = [_("Choose an instruction from the list.")]
    if errors:
        raise FulfilmentError(errors)
    return PosthumousArrangement.objects.create(
        mobile_hash=mobile_hash, email_hash=email_hash, instruction=instruction, recorded_by=user
    )


# --- retention and minors -------------------------------------------------------------------------


def expired_submissions(now: datetime.datetime | None = None):
    """Submissions past their purpose's retention period, or whose legal retention ended.

    Records still under a running legal retention period are kept.
    """
    from forms.models import CampaignSubmission, Purpose

    now = now or timezone.now()
    past_purpose = Q(pk__in=[])
    for purpose_id, days in Purpose.objects.values_list("pk", "retention_days"):
        past_purpose |= Q(purpose_id=purpose_id, submit_time__lt=now - datetime.timedelta(days=days))
    retention_running = Q(fulfilment_status__retain_until__gte=timezone.localdate(now))
    past_legal = Q(fulfilment_status__retain_until__lt=timezone.localdate(now))
    return (
        CampaignSubmission.objects.exclude(fulfilment_status__erased_at__isnull=False)
        .filter((past_purpose & ~retention_running) | past_legal)
        .select_related("purpose")
    )


def purge_expired(*, now: datetime.datetime | None = None, dry_run: bool = False) -> Counter:
    """Erase what is past retention (same erasure as a request); returns counts per purpose."""
    rows = list(expired_submissions(now).values_list("pk", "purpose__code"))
    counts = Counter(code for _pk, code in rows)
    if dry_run or not rows:
        return counts
    result = erase_submissions(submission_ids=[pk for pk, _code in rows], reason=LedgerReason.RETENTION)
    return result.erased


def erase_minors_without_consent(*, user, submission_ids=None) -> ErasureResult:
    """Delete, in one action, minors' data collected without a guardian's consent (§4)."""
    from .selectors import minors_without_guardian_consent

    if not user.has_perm(FULFIL_PERMISSION):
        raise PermissionDenied
    queryset = minors_without_guardian_consent()
    if submission_ids is not None:
        queryset = queryset.filter(pk__in=list(submission_ids))
    return erase_submissions(
        submission_ids=list(queryset.values_list("pk", flat=True)), reason=LedgerReason.MINOR, user=user
    )


# --- ledger replay --------------------------------------------------------------------------------


def _file_entries(path: Path) -> list[dict]:
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            logger.error("erasure ledger line %d is not JSON; skipped", number)
    return entries


def _matching_ids(targets) -> list[int]:
    """The target rows that still exist with the same submission time (so a reused id is left alone)."""
    from forms.models import CampaignSubmission

    wanted = {int(pk): stamp for pk, stamp in targets}
    keys = list(wanted)
    found = []
    for start in range(0, len(keys), CHUNK):
        found += CampaignSubmission.objects.filter(pk__in=keys[start : start + CHUNK]).values_list(
            "pk", "submit_time"
        )
    ids = []
    for pk, submit_time in found:
        stamp = wanted[pk]
        # Compared to the second: dumps and restores may round sub-second digits.
        if stamp is None or (submit_time and abs(parse_datetime(stamp) - submit_time) < ONE_SECOND):
            ids.append(pk)
    return ids


@dataclass
class ReplayResult:
    entries: int = 0
    restored_entries: int = 0
    erased: int = 0
    restricted: int = 0
    withdrawn: int = 0
    sms_challenges: int = 0


def replay_ledger(*, path: Path | None = None) -> ReplayResult:
    """Apply every ledger entry again (after a restore); idempotent.

    Entries found only in the ledger file (the restored database predates them) are
    put back into the table first.
    """
    from verification.models import SMSChallenge

    result = ReplayResult()
    known = {str(u) for u in LedgerEntry.objects.values_list("uid", flat=True)}
    with transaction.atomic():
        for line in _file_entries(path or ledger_path()):
            if line.get("uid") in known:
                continue
            LedgerEntry.objects.create(
                uid=line["uid"],
                action=line["action"],
                reason=line["reason"],
                created_at=parse_datetime(line["created_at"]),
                request_reference=line.get("request_reference", ""),
                purpose_scope=line.get("purpose_scope", ""),
                retain_until=datetime.date.fromisoformat(line["retain_until"])
                if line.get("retain_until")
                else None,
                counts=line.get("counts", {}),
                targets=line.get("targets", []),
                sms_challenge_ids=line.get("sms_challenge_ids", []),
            )
            known.add(line["uid"])
            result.restored_entries += 1
        now = timezone.now()
        for entry in LedgerEntry.objects.order_by("created_at", "pk"):
            result.entries += 1
            ids = _matching_ids(entry.targets)
            if entry.action == LedgerAction.ERASE:
                result.erased += len(_erase_rows(ids, now))
                if entry.sms_challenge_ids:
                    deleted, _by_model = SMSChallenge.objects.filter(pk__in=entry.sms_challenge_ids).delete()
                    result.sms_challenges += deleted
            elif entry.action == LedgerAction.RESTRICT:
                changed = _mark(ids, only_if_null="restricted_at", restricted_at=entry.created_at)
                SubmissionStatus.objects.filter(submission_id__in=ids, retain_until__isnull=True).update(
                    retain_until=entry.retain_until
                )
                result.restricted += changed
            elif entry.action == LedgerAction.WITHDRAW:
                result.withdrawn += _mark(
                    ids, only_if_null="consent_withdrawn_at", consent_withdrawn_at=entry.created_at
                )
        LedgerEntry.objects.update(replayed_at=now)
    return result


# --- self-service ---------------------------------------------------------------------------------

SELF_SERVICE_PURPOSE = "self_service"
SELF_SERVICE_TYPES = (
    RequestType.CORRECT,
    RequestType.DELETE,
    RequestType.WITHDRAW_CONSENT,
    RequestType.DEREGISTER,
)


def self_service_request(
    *, mobile: str, request_type: str, details: str, purpose_code: str = "", ip
) -> RightsRequest:
    """File a request from the "My data" page; the SMS proof of the session verifies it at once.

    ``mobile`` is the number the visitor proved by SMS code for this session.
    """
    from forms.models import Purpose
    from rights_requests.services import RightsRequestError, rights_request_create

    if request_type not in SELF_SERVICE_TYPES:
        raise FulfilmentError({"request_type": [_("Choose one of the requests offered here.")]})
    details = (details or "").strip()
    if request_type == RequestType.WITHDRAW_CONSENT:
        purpose = Purpose.objects.filter(code=purpose_code).first() if purpose_code else None
        if purpose_code and purpose is None:
            raise FulfilmentError({"purpose": [_("Choose a purpose from the list.")]})
        scope = _("Scope: %(scope)s") % {
            "scope": f"{purpose.clause} {purpose.name}" if purpose else _("all purposes")
        }
        details = f"{scope}\n{details}".strip()
    try:
        with transaction.atomic():
            rr = rights_request_create(
                request_type=request_type, mobile=mobile, email="", details=details, ip=ip
            )
            rr.mobile_confirmed_at = timezone.now()
            rr.mobile_proof = IdentifierProof.SMS
            rr.verify(
                how=VerificationMethod.SMS,
                by=None,
                description=_("Filed on the “My data” page after an SMS challenge sent to %(mobile)s.")
                % {"mobile": crypto.mask(rr.mobile)},
            )
            rr.save()
    except RightsRequestError as exc:
        raise FulfilmentError(exc.errors) from exc
    return rr


# --- erasing from a campaign's submissions listing -------------------------------------------------

ERASE_LISTED_ACTION = "fulfilment.erase_listed_submissions"


def may_erase_listed_submissions(user) -> bool:
    """Removing a submission from a campaign's listing is an erasure: for privacy staff only."""
    return bool(user.is_active and user.has_perm(FULFIL_PERMISSION))


def erasable_submissions(*, user, page, submission_ids):
    """The chosen submissions of ``page`` that ``user`` sees in its listing and may erase."""
    from forms.selectors import submissions_visible_to

    if not may_erase_listed_submissions(user):
        raise PermissionDenied
    ids = [int(i) for i in submission_ids if str(i).isdigit()]
    return submissions_visible_to(user, queryset=page.get_submissions()).filter(pk__in=ids)


def erase_listed_submissions(*, user, page, submission_ids) -> ErasureResult:
    """Erase submissions chosen in ``page``'s listing instead of deleting them.

    Values become tombstones, one ledger entry records ids and counts, and the page's
    history says who erased how many. Nothing is deleted, so a restored backup can be
    brought back in step by replaying the ledger.
    """
    from wagtail.log_actions import log

    ids = list(
        erasable_submissions(user=user, page=page, submission_ids=submission_ids).values_list("pk", flat=True)
    )
    if not ids:
        raise FulfilmentError(_("Choose the submissions to erase."))
    with transaction.atomic():
        result = erase_submissions(submission_ids=ids, reason=LedgerReason.LISTING, user=user)
        log(
            instance=page,
            action=ERASE_LISTED_ACTION,
            user=user,
            data={"count": result.erased_count, "submission_ids": ids},
        )
    logger.info(
        "%d submissions of page %s erased from its listing by user %s", result.erased_count, page.pk, user.pk
    )
    return result
