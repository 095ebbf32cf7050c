"""Audit records of personal data leaving or entering the system."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    ConsentSource,
    ExportKind,
    ExportState,
    FileFormat,
    ImportState,
)


class ExportRecord(models.Model):
    """One export of personal data: who took what, when, filtered how, masked or not.

    Every export is personal data leaving the system, so each one is written down
    before a single row is produced; Privacy officers read these records. Large
    exports are written by a background task to a private file that only the person
    who asked for it can download, once. An export with sensitive values in clear
    waits until a second Privacy officer approves it (four eyes); only then is it
    written, in the background.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    kind = models.CharField(_("what"), max_length=20, choices=ExportKind.choices)
    purpose = models.ForeignKey(
        "forms.Purpose",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purpose"),
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("page"),
    )
    file_format = models.CharField(_("format"), max_length=10, choices=FileFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    masked = models.BooleanField(_("masked"), default=True)
    reason = models.TextField(_("reason for unmasked data"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    background = models.BooleanField(_("background task"), default=False)
    state = models.CharField(
        _("state"), max_length=12, choices=ExportState.choices, default=ExportState.QUEUED
    )
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refused by"),
    )
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    refusal_note = models.TextField(_("refusal note"), blank=True)

    class Meta:
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("export_campaignsubmission", _("Can export campaign submissions")),
            ("export_rightsrequest", _("Can export rights requests")),
            ("import_campaignsubmission", _("Can import offline sign-up sheets")),
            ("approve_unmasked_export", _("Can approve another officer's unmasked export")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def awaits_approval(self) -> bool:
        return self.state == ExportState.AWAITING_APPROVAL


class ImportRecord(models.Model):
    """One uploaded sign-up sheet: checked (dry run), then imported or discarded.

    The file itself waits in private storage only between the check and the
    confirmation; the record stays as the audit trail of who brought which rows in.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    page = models.ForeignKey(
        "forms.CampaignFormPage",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("page"),
    )
    purpose = models.ForeignKey(
        "forms.Purpose", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("purpose")
    )
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10, choices=FileFormat.choices, blank=True)
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=12, choices=ImportState.choices)
    message = models.TextField(_("message"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("import record")
        verbose_name_plural = _("import records")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.original_name} #{self.pk}"


class OfflineConsent(models.Model):
    """How an imported submission's consent was given: on paper, brought in by a member of staff."""

    submission = models.OneToOneField(
        "forms.CampaignSubmission", on_delete=models.CASCADE, related_name="offline_consent"
    )
    source = models.CharField(
        _("consent source"), max_length=10, choices=ConsentSource.choices, default=ConsentSource.OFFLINE
    )
    import_record = models.ForeignKey(ImportRecord, on_delete=models.PROTECT, related_name="consents")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("offline consent")
        verbose_name_plural = _("offline consents")

    def __str__(self):
        return f"{self.source} #{self.submission_id}"
