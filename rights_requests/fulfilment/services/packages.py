"""Access and copy packages: the machine-readable document, building and storing it encrypted,
releasing it (at once, or after a Privacy officer's approval when it holds sensitive values in
clear), and the requester's link to it."""

import base64
import hashlib
import json
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from core import crypto
from forms import catalogue
from home.links import absolute_url
from messaging.services import queue_email
from rights_requests.choices import RequestType, State
from rights_requests.models import RightsRequest

from .. import resources
from ..choices import PackageKind, StepKind
from ..models import AccessPackage
from ..selectors import PersonData, find_person, page_titles, policy_labels, subject_of_request
from ..tokens import package_token
from .common import (
    APPROVE_CLEAR_PERMISSION,
    MAX_REASON,
    PACKAGE_FORMAT,
    TOMBSTONE,
    FulfilmentError,
    _answer,
    _check,
    _local_iso,
    _step,
    package_ttl,
)

logger = logging.getLogger(__name__)


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
        "submitted_at": _local_iso(submission.submit_time),
        "consent_at": _local_iso(submission.consent_at),
        "consent_withdrawn_at": _local_iso(status.consent_withdrawn_at) if status else None,
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
        "generated_at": timezone.localtime().isoformat(),
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
                "received_at": _local_iso(other.received_at),
                "answered_at": _local_iso(other.answered_at),
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
    return resources.csv_bytes(records)


def xlsx_bytes(records: list[dict]) -> bytes:
    return resources.xlsx_bytes(records)


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
    path = reverse("fulfilment:package", kwargs={"token": package_token(package)})
    return absolute_url(path)


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


def check_package_request(*, rights_request: RightsRequest, user) -> None:
    """Raise unless ``user`` may have a package built for ``rights_request`` now."""
    _check(rights_request, user, "package")
    if pending_packages().filter(rights_request=rights_request).exists():
        raise FulfilmentError(
            _("A copy of this request is already waiting for a Privacy officer's approval.")
        )


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
    if not rr.proven_email:
        return
    with translation.override(rr.language or settings.LANGUAGE_CODE):
        subject = _("Your data: %(reference)s") % {"reference": rr.reference}
        body = package_mail_text(package)
    queue_email(to=[rr.proven_email], subject=subject, body=body, purpose="access_package")


def status_package_for(rr: RightsRequest) -> dict | None:
    """The requester's copy of their data, once released: its links, size, checksum and expiry.

    Shown only on the requester's own status page and API (both need the status token), never
    to staff: a package link is the requester's alone.
    """
    package = (
        rr.access_packages.filter(
            kind=PackageKind.COPY, released_at__isnull=False, expires_at__gt=timezone.now()
        )
        .exclude(json_encrypted="")
        .order_by("-released_at", "-pk")
        .first()
    )
    if package is None:
        return None
    url = absolute_url(reverse("fulfilment:package", kwargs={"token": package_token(package)}))
    return {
        "url": url,
        "xlsx_url": f"{url}?format=xlsx",
        "record_count": package.record_count,
        "sha256": package.sha256,
        "expires_at": timezone.localtime(package.expires_at).isoformat(),
        "sensitive_masked": not package.clear_sensitive,
    }
