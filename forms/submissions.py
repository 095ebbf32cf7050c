"""What visitors leave: campaign submissions, the keyed subject index that finds one person's
submissions, and the record of each download through an e-mailed link.

They sit below the pages and the pipeline (``forms.services`` stores them, ``forms.models``
re-exports them), so every module of the app may use them without a cycle.
"""

import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.models import AbstractFormSubmission
from wagtail.models import Page

from core import crypto
from core.fields import EncryptedTextField

from .choices import SubjectKind


class CampaignSubmission(AbstractFormSubmission):
    """One visitor's answers to a campaign form, with the consent that allowed them.

    Records the purpose and the policy version the visitor agreed to and when, the
    minors flags of §4, and keeps sensitive values (the ID number) only encrypted:
    ``form_data`` carries a mask in their place so listings and exports never hold
    them in clear.
    """

    # A campaign page with submissions cannot be deleted (they are erased, never dropped).
    page = models.ForeignKey(Page, on_delete=models.PROTECT, verbose_name=_("page"))
    purpose = models.ForeignKey(
        "forms.Purpose", on_delete=models.PROTECT, related_name="submissions", verbose_name=_("purpose")
    )
    # policy_version and user are rarely queried: no index keeps every insert cheaper.
    policy_version = models.ForeignKey(
        "home.PrivacyPolicyPage",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("policy version"),
        db_index=False,
    )
    consent_at = models.DateTimeField(_("consent given at"))
    is_minor = models.BooleanField(_("minor"), default=False)
    guardian_consent = models.BooleanField(_("guardian consent"), default=False)
    sensitive_data = EncryptedTextField(_("sensitive values (encrypted)"), blank=True, editable=False)
    # The published revision (the form as the Privacy review approved it) the answers were
    # collected under; ``purge_revisions`` keeps a revision a submission points at.
    form_revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("form revision"),
        db_index=False,
        editable=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,
    )
    # Where the visitor came from: the campaign link's UTM tags and the referring site's host.
    # Not personal (no address, no identifier), kept apart from the personal columns.
    utm_source = models.CharField(_("source (utm_source)"), max_length=100, blank=True, default="")
    utm_medium = models.CharField(_("medium (utm_medium)"), max_length=100, blank=True, default="")
    utm_campaign = models.CharField(_("campaign (utm_campaign)"), max_length=100, blank=True, default="")
    referrer = models.CharField(_("referring site"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("campaign submission")
        verbose_name_plural = _("campaign submissions")
        permissions = [
            ("view_unmasked_personal_data", _("Can see personal data unmasked")),
            ("view_sensitive_submissions", _("Can see submissions of purposes that collect sensitive data")),
            (
                "view_all_campaign_submissions",
                _("Can see the submissions of every campaign without sensitive data"),
            ),
        ]

    def __str__(self):
        return (
            f"#{self.pk} {self.purpose_id} {self.submit_time:%Y-%m-%d}" if self.submit_time else f"#{self.pk}"
        )

    def get_data(self):
        return {
            **self.form_data,
            "submit_time": self.submit_time,
            "consent_at": self.consent_at,
            "policy_version": self.policy_version_label(),
            "is_minor": self.is_minor,
            "utm_source": self.utm_source,
            "utm_medium": self.utm_medium,
            "utm_campaign": self.utm_campaign,
            "referrer": self.referrer,
            **self.registration_data(),
        }

    def registration_data(self) -> dict:
        """The sign-up's place and attendance, for listings (events and courses only)."""
        try:
            registration = self.registration
        except models.ObjectDoesNotExist:
            return {}
        place = registration.get_status_display()
        if registration.session_id and registration.session and registration.session.city:
            place = f"{place} ({registration.session.city})"
        return {"registration": place, "checked_in_at": registration.checked_in_at}

    def policy_version_label(self) -> str:
        if self.policy_version_id is None:
            return ""
        page = self.policy_version
        return page.version_label if page else ""

    def sensitive_values(self) -> dict:
        """The sensitive values in clear; callers check ``forms.view_unmasked_personal_data``."""
        if not self.sensitive_data:
            return {}
        return json.loads(crypto.decrypt(self.sensitive_data))

    def unmasked_data(self) -> dict:
        """``form_data`` with sensitive values restored (for rights-request exports)."""
        return {**self.form_data, **self.sensitive_values()}


class SubjectHash(models.Model):
    """A keyed hash of a submission's mobile or e-mail, indexed.

    Rights requests, self-service access and erasure find one person's submissions
    through this table in O(log n) instead of scanning JSON; without the server key the
    hash reveals nothing.
    """

    # Lookups by submission use the (submission, kind) unique index below.
    submission = models.ForeignKey(
        CampaignSubmission, on_delete=models.CASCADE, related_name="subject_hashes", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SubjectKind.choices)
    value_hash = models.CharField(_("keyed hash"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("subject hash")
        verbose_name_plural = _("subject hashes")
        constraints = [
            models.UniqueConstraint(fields=["submission", "kind"], name="forms_subjecthash_one_per_kind")
        ]

    def __str__(self):
        return f"{self.kind}:{self.value_hash[:12]}…"


class DocumentDownload(models.Model):
    """One download through an e-mailed link.

    The download purpose (§1.2) sends a signed link instead of the file itself; each
    use of a link is recorded here so marketers can count downloads per document
    and staff can see which submission a download belongs to.
    """

    document = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("document"),
    )
    submission_id = models.PositiveBigIntegerField(_("submission id"), null=True, blank=True, db_index=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), default=timezone.now, db_index=True)

    class Meta:
        # The table keeps the name it had when downloads lived in the verification app.
        db_table = "sms_documentdownload"
        verbose_name = _("document download")
        verbose_name_plural = _("document downloads")
        ordering = ["-downloaded_at"]

    def __str__(self):
        return f"{self.document_id} @ {self.downloaded_at:%Y-%m-%d %H:%M}"
