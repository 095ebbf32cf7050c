"""The rights request and its state machine, and the page where visitors file one."""

import datetime
import secrets
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from core.crypto import DecryptionError, decrypt, mask_email
from core.fields import EncryptedTextField
from core.phone import mask_mobile
from home.links import rights_page_changed

from .choices import (
    Channel,
    ClosureReason,
    IdentifierProof,
    Outcome,
    RefusalGround,
    RequestType,
    State,
    VerificationMethod,
)

# Deadlines are counted in calendar days in the company's time zone, whatever TIME_ZONE says.
DEADLINE_TIME_ZONE = ZoneInfo("Asia/Shanghai")
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
EVIDENCE_EXTENSIONS = ["pdf", "jpg", "jpeg", "png"]
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


def evidence_storage():
    """Evidence documents live outside MEDIA_ROOT: they are served only to staff, by a view."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def evidence_upload_to(instance, filename):
    suffix = Path(filename).suffix.lower()
    return f"rights_requests/evidence/{uuid.uuid4().hex}{suffix}"


def local_date(moment: datetime.datetime) -> datetime.date:
    """The calendar date of ``moment`` in Asia/Shanghai."""
    return timezone.localtime(moment, DEADLINE_TIME_ZONE).date()


def due_date_for(received_at: datetime.datetime, days: int | None = None) -> datetime.date:
    """Received date in Asia/Shanghai plus ``RIGHTS_REQUEST_DUE_DAYS`` calendar days."""
    if days is None:
        days = settings.RIGHTS_REQUEST_DUE_DAYS
    return local_date(received_at) + datetime.timedelta(days=days)


def today() -> datetime.date:
    return local_date(timezone.now())


def new_reference(received_at: datetime.datetime) -> str:
    """``RR-2026-7KQ3XZ``: the year received and six random characters without look-alikes."""
    suffix = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"RR-{local_date(received_at).year}-{suffix}"


def _system_only(instance, user) -> bool:
    """Transitions run by management commands, never offered to a person."""
    return False


def _verification_window_passed(instance) -> bool:
    return instance.is_verification_overdue()


class RightsRequest(ConcurrentTransitionMixin, models.Model):
    """A person's request to exercise a right of policy §6, tracked until it is closed.

    §6.9 obliges the company to check the requester's identity first and to reply within
    15 days; the state machine (received → verified → answered → closed) makes both
    checkable, and every transition is logged with who did it and why.
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    status_token_encrypted = EncryptedTextField(editable=False)
    request_type = models.CharField(_("right"), max_length=20, choices=RequestType.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    mobile_encrypted = EncryptedTextField(blank=True)
    mobile_hash = models.CharField(max_length=64, blank=True, db_index=True)
    email_encrypted = EncryptedTextField(blank=True)
    email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Free text can hold anything about the requester: kept encrypted like the contact details.
    details_encrypted = EncryptedTextField(blank=True, editable=False)
    relationship = models.CharField(_("relationship to the deceased"), max_length=100, blank=True)
    evidence = models.FileField(
        _("evidence document"),
        storage=evidence_storage,
        upload_to=evidence_upload_to,
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    state = FSMField(_("state"), default=State.RECEIVED, choices=State.choices, protected=True)

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_date = models.DateField(_("due"))
    mobile_confirmed_at = models.DateTimeField(_("mobile confirmed by SMS"), null=True, blank=True)
    # Per identifier: how it was proven to be the requester's. Blank means unproven, and an
    # unproven identifier is never used to find records (only shown to staff as unproven).
    mobile_proof = models.CharField(
        _("mobile proven by"), max_length=12, choices=IdentifierProof.choices, blank=True
    )
    mobile_proof_note = models.TextField(_("how staff checked the mobile"), blank=True)
    email_proof = models.CharField(
        _("e-mail proven by"), max_length=12, choices=IdentifierProof.choices, blank=True
    )
    email_proof_note = models.TextField(_("how staff checked the e-mail"), blank=True)
    email_confirmed_at = models.DateTimeField(_("e-mail proven"), null=True, blank=True)

    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification_method = models.CharField(
        _("verified how"), max_length=10, choices=VerificationMethod.choices, blank=True
    )
    verification_note = models.TextField(_("evidence seen"), blank=True)

    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    refusal_ground = models.CharField(_("ground"), max_length=30, choices=RefusalGround.choices, blank=True)
    response = models.TextField(_("response"), blank=True)
    complaint_notice = models.TextField(_("how to complain"), blank=True)
    fee_amount = models.DecimalField(
        _("fee (CNY)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closure_reason = models.CharField(
        _("closed because"), max_length=10, choices=ClosureReason.choices, blank=True
    )

    extended_at = models.DateTimeField(_("extended"), null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extension_reason = models.TextField(_("reason for the extension"), blank=True)

    repeat_count = models.PositiveIntegerField(
        _("earlier requests of this type in 12 months"), default=0, editable=False
    )
    last_reminder_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["state", "due_date"], name="rr_state_due")]
        permissions = [
            ("verify_rightsrequest", "Can verify the identity of a rights requester"),
            ("answer_rightsrequest", "Can answer a rights request"),
            ("close_rightsrequest", "Can close a rights request or record its withdrawal"),
            ("refuse_rightsrequest", "Can refuse a rights request or ask for a fee"),
        ]

    def __str__(self):
        return self.reference

    # The requester proves the e-mail through a link while staff may have the request open: a
    # save of a copy loaded earlier must not undo that proof. Saves of an existing row leave the
    # e-mail proof alone unless this copy changed it (``prove_email`` below).
    EMAIL_PROOF_FIELDS = ("email_proof", "email_proof_note", "email_confirmed_at")

    def save(self, *args, **kwargs):
        if (
            not self._state.adding
            and self.pk is not None
            and kwargs.get("update_fields") is None
            and not getattr(self, "_email_proof_changed", False)
        ):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.EMAIL_PROOF_FIELDS
            ]
        super().save(*args, **kwargs)
        self._email_proof_changed = False

    def prove_email(self, *, how, note="", at=None):
        """Record how the e-mail was proven; saved with the next ``save()``."""
        self.email_proof, self.email_proof_note = how, note
        self.email_confirmed_at = at or timezone.now()
        self._email_proof_changed = True

    # --- transitions: state and record fields only; services run them and do the rest ---

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=State.RECEIVED,
        target=State.VERIFIED,
        permission="rights_requests.verify_rightsrequest",
    )
    def verify(self, *, how, note="", by=None, description=None):
        self.verified_at = timezone.now()
        self.verified_by = by
        self.verification_method = how
        self.verification_note = note

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=State.VERIFIED,
        target=State.ANSWERED,
        permission="rights_requests.answer_rightsrequest",
    )
    def answer(
        self, *, outcome, response, ground="", fee_amount=None, complaint_notice="", by=None, description=None
    ):
        self.answered_at = timezone.now()
        self.answered_by = by
        self.outcome = outcome
        self.response = response
        self.refusal_ground = ground
        self.fee_amount = fee_amount
        self.complaint_notice = complaint_notice

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=State.ANSWERED,
        target=State.CLOSED,
        permission="rights_requests.close_rightsrequest",
    )
    def close(self, *, by=None, description=None):
        self._mark_closed(ClosureReason.ANSWERED, by)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[State.RECEIVED, State.VERIFIED],
        target=State.CLOSED,
        permission="rights_requests.close_rightsrequest",
    )
    def withdraw(self, *, by=None, description=None):
        self._mark_closed(ClosureReason.WITHDRAWN, by)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=State.RECEIVED,
        target=State.CLOSED,
        permission=_system_only,
        conditions=[_verification_window_passed],
    )
    def expire_unverified(self, *, by=None, description=None):
        self._mark_closed(ClosureReason.EXPIRED, by)

    def _mark_closed(self, reason, by):
        self.closed_at = timezone.now()
        self.closed_by = by
        self.closure_reason = reason

    # --- reading ---

    @property
    def status_token(self) -> str:
        return decrypt(self.status_token_encrypted)

    @property
    def mobile(self) -> str:
        return self._decrypt_or_blank(self.mobile_encrypted)

    @property
    def email(self) -> str:
        return self._decrypt_or_blank(self.email_encrypted)

    @property
    def details(self) -> str:
        return self._decrypt_or_blank(self.details_encrypted)

    @staticmethod
    def _decrypt_or_blank(token: str) -> str:
        if not token:
            return ""
        try:
            return decrypt(token)
        except DecryptionError:
            return ""

    @property
    def mobile_proven(self) -> bool:
        return bool(self.mobile_hash and self.mobile_proof)

    @property
    def email_proven(self) -> bool:
        return bool(self.email_hash and self.email_proof)

    @property
    def proven_mobile_hash(self) -> str:
        return self.mobile_hash if self.mobile_proven else ""

    @property
    def proven_email_hash(self) -> str:
        return self.email_hash if self.email_proven else ""

    @property
    def proven_email(self) -> str:
        """The e-mail address, only once it is proven to be the requester's (else blank)."""
        return self.email if self.email_proven else ""

    @property
    def has_proven_identifier(self) -> bool:
        return self.mobile_proven or self.email_proven

    @property
    def masked_requester(self) -> str:
        parts = [mask_mobile(self.mobile), mask_email(self.email)]
        return " · ".join(p for p in parts if p)

    @property
    def is_open(self) -> bool:
        return self.state != State.CLOSED

    @property
    def is_repeat(self) -> bool:
        return self.repeat_count > 0

    @property
    def is_extended(self) -> bool:
        return self.extended_at is not None

    @property
    def needs_staff_verification(self) -> bool:
        """Next-of-kin requests and letters are verified by staff against evidence, not by SMS alone."""
        return self.request_type == RequestType.POSTHUMOUS or self.channel == Channel.LETTER

    def days_left(self, on: datetime.date | None = None) -> int:
        """Calendar days until the due date (negative when overdue)."""
        return (self.due_date - (on or today())).days

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return self.is_open and self.state != State.ANSWERED and self.days_left(on) < 0

    def is_verification_overdue(self, now: datetime.datetime | None = None) -> bool:
        """An unconfirmed web request left unverified past RIGHTS_REQUEST_UNVERIFIED_DAYS."""
        now = now or timezone.now()
        limit = datetime.timedelta(days=settings.RIGHTS_REQUEST_UNVERIFIED_DAYS)
        return (
            self.state == State.RECEIVED
            and self.channel == Channel.WEB
            and self.mobile_confirmed_at is None
            and self.received_at + limit <= now
        )


class RightsRequestPage(Page):
    """Where a visitor files a rights request and proves the mobile number by SMS code.

    A page rather than a fixed URL so marketers can place it, word the introduction and
    link to it from campaigns; the rules behind it are the same services the API uses.
    """

    intro = RichTextField(_("introduction"), blank=True)
    thank_you_text = RichTextField(_("text after filing"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("thank_you_text")]

    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    # The view that answers the page (form, SMS step, confirmation): views.py sits above the
    # models, so the app config binds it when the app is ready.
    page_view = None

    class Meta:
        verbose_name = _("rights request page")

    @method_decorator(sensitive_post_parameters("mobile", "email", "sms_code", "challenge_id", "details"))
    def serve(self, request, *args, **kwargs):
        return type(self).page_view(self, request)


@receiver(page_published, sender=RightsRequestPage)
@receiver(page_unpublished, sender=RightsRequestPage)
@receiver(post_page_move, sender=RightsRequestPage)
@receiver(post_save, sender=RightsRequestPage)
@receiver(post_delete, sender=RightsRequestPage)
def _rights_page_changed(sender, **kwargs):
    """The header link to the rights page is cached (``home.links``)."""

    rights_page_changed()
