"""Transfer: the JSON package for the processor the requester named, and the disclosure register."""

import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rights_requests.models import RightsRequest

from ..choices import DisclosureGround, PackageKind, StepKind
from ..models import AccessPackage, DisclosureRecord
from .common import APPROVE_TRANSFER_PERMISSION, FulfilmentError, _answer, _check, _step
from .packages import package_build, package_content


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
