"""What answering a rights request did to a person's data, and the records that must outlive it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField

from .choices import Arrangement, DisclosureGround, LedgerAction, LedgerReason, PackageKind, StepKind


class SubmissionStatus(models.Model):
    """How the rights of §6.4 and §6.5 changed one campaign submission.

    Kept beside the submission (one row per touched submission) so that withdrawal,
    restriction and erasure are data every listing and export can filter on, and so
    that the submission table keeps the shape the form builder expects.
    """

    submission = models.OneToOneField(
        "forms.CampaignSubmission",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="fulfilment_status",
    )
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn"), null=True, blank=True)
    restricted_at = models.DateTimeField(_("restricted"), null=True, blank=True)
    retain_until = models.DateField(_("legal retention until"), null=True, blank=True)
    restriction_ground = models.CharField(_("retention ground"), max_length=200, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission status")
        verbose_name_plural = _("submission statuses")
        permissions = [("view_restricted_submissions", _("Can see restricted submissions"))]

    def __str__(self):
        return f"#{self.submission_id}"


class LedgerEntry(models.Model):
    """One erasure, restriction or withdrawal, recorded without personal data.

    A database restored from a backup brings erased people back; replaying the ledger
    (``replay_erasure_ledger``) applies every entry again. Each entry names the rows by
    primary key and submission time only, and the non-personal summary (counts per
    purpose, when, by which request) doubles as the record the policy asks to keep. The
    same entries are appended to a file outside the database so that a restore of an
    older database does not lose them.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    action = models.CharField(_("action"), max_length=10, choices=LedgerAction.choices)
    reason = models.CharField(_("reason"), max_length=10, choices=LedgerReason.choices)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    request_reference = models.CharField(_("rights request"), max_length=20, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purpose_scope = models.CharField(_("purpose scope"), max_length=40, blank=True)
    retain_until = models.DateField(_("legal retention until"), null=True, blank=True)
    counts = models.JSONField(_("records per purpose"), default=dict)
    targets = models.JSONField(default=list)
    sms_challenge_ids = models.JSONField(default=list)
    replayed_at = models.DateTimeField(_("last replayed"), null=True, blank=True)

    class Meta:
        verbose_name = _("erasure ledger entry")
        verbose_name_plural = _("erasure ledger")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.action} {self.created_at:%Y-%m-%d} {self.request_reference}"

    @property
    def record_count(self) -> int:
        return sum(self.counts.values())


class FulfilmentStep(models.Model):
    """One thing staff (or the system) did to fulfil a rights request: the request's history.

    Corrections keep the old and new values here (masked for sensitive fields); an
    erasure of the same person later replaces those values with tombstones.
    """

    rights_request = models.ForeignKey(
        "rights_requests.RightsRequest", on_delete=models.CASCADE, related_name="fulfilment_steps"
    )
    kind = models.CharField(_("step"), max_length=10, choices=StepKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("fulfilment step")
        verbose_name_plural = _("fulfilment steps")
        ordering = ["at", "pk"]
        permissions = [
            ("fulfil_rightsrequest", _("Can fulfil rights requests (package, correct, withdraw, erase)")),
            ("approve_transfer", _("Can approve a transfer to a processor")),
        ]

    def __str__(self):
        return f"{self.rights_request_id} {self.kind}"


class AccessPackage(models.Model):
    """A copy of everything held about a person, made for one rights request (§6.1, §6.2).

    The content is stored encrypted and served only through a signed link that expires
    after ``ACCESS_PACKAGE_TTL_DAYS``; the record count and SHA-256 of the JSON document
    stay as the proof of what was delivered after the content is dropped.
    """

    rights_request = models.ForeignKey(
        "rights_requests.RightsRequest", on_delete=models.CASCADE, related_name="access_packages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PackageKind.choices, default=PackageKind.COPY)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(_("built"), default=timezone.now)
    expires_at = models.DateTimeField(_("link expires"))
    record_count = models.PositiveIntegerField(_("records"), default=0)
    sha256 = models.CharField(_("SHA-256 of the JSON document"), max_length=64, blank=True)
    json_encrypted = EncryptedTextField(blank=True, editable=False)
    xlsx_encrypted = EncryptedTextField(blank=True, editable=False)
    downloaded_at = models.DateTimeField(_("first downloaded"), null=True, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("built by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Four eyes: a package holding a sensitive value in clear (an ID number) is released only
    # after a Privacy officer other than its builder and the request's verifier approves it.
    clear_sensitive = models.BooleanField(_("holds sensitive values in clear"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True)
    released_at = models.DateTimeField(_("released to the requester"), null=True, blank=True)
    discarded_at = models.DateTimeField(_("discarded"), null=True, blank=True)

    class Meta:
        verbose_name = _("access package")
        verbose_name_plural = _("access packages")
        ordering = ["-created_at"]
        permissions = [
            ("approve_clear_package", _("Can approve releasing a package with sensitive values in clear")),
        ]

    def __str__(self):
        return f"{self.rights_request_id} {self.created_at:%Y-%m-%d}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def has_content(self) -> bool:
        return bool(self.json_encrypted)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    @property
    def awaits_approval(self) -> bool:
        return self.released_at is None and self.discarded_at is None and self.has_content


class DisclosureRecord(models.Model):
    """The register of policy §2: each time personal data left the company, to whom and why."""

    rights_request = models.ForeignKey(
        "rights_requests.RightsRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disclosures",
    )
    request_reference = models.CharField(_("rights request"), max_length=20, blank=True)
    recipient = models.CharField(_("recipient"), max_length=200)
    ground = models.CharField(_("ground"), max_length=30, choices=DisclosureGround.choices)
    field_keys = models.JSONField(_("fields"), default=list)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    package = models.ForeignKey(
        AccessPackage, null=True, blank=True, on_delete=models.SET_NULL, related_name="disclosures"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosure register")
        ordering = ["-approved_at"]

    def __str__(self):
        return f"{self.recipient} {self.approved_at:%Y-%m-%d}"


class RequestSubject(models.Model):
    """The person whose data a next-of-kin request concerns (§6.8), entered by staff.

    A next-of-kin request is filed with the relative's own contact details; staff who
    checked the evidence record the deceased's mobile or e-mail here, so the data is
    found through the same subject hashes.
    """

    rights_request = models.OneToOneField(
        "rights_requests.RightsRequest", on_delete=models.CASCADE, related_name="fulfilment_subject"
    )
    mobile_hash = models.CharField(max_length=64, blank=True, db_index=True)
    email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    mobile_encrypted = EncryptedTextField(blank=True)
    email_encrypted = EncryptedTextField(blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deceased person")
        verbose_name_plural = _("deceased persons")

    def __str__(self):
        return str(self.rights_request_id)


class PosthumousArrangement(models.Model):
    """A person's own instructions for their data after death; it prevails over next of kin (§6.8)."""

    mobile_hash = models.CharField(max_length=64, blank=True, db_index=True)
    email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    instruction = models.CharField(_("instruction"), max_length=20, choices=Arrangement.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("posthumous arrangement")
        verbose_name_plural = _("posthumous arrangements")
        ordering = ["-recorded_at"]

    def __str__(self):
        return self.get_instruction_display()
