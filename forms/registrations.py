"""Running a campaign: its sessions and their seats, each sign-up's place (confirmed or on the
waiting list, checked in at the door), and the funnel counted without storing who.

They sit beside the submissions (``forms.operations`` runs them, ``forms.models`` re-exports
them); a registration belongs to exactly one submission and goes when it goes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Orderable, Page

from .submissions import CampaignSubmission


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class CancelledBy(models.TextChoices):
    VISITOR = "visitor", _("The visitor, through their link")
    STAFF = "staff", _("Event staff")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent")
    ERASURE = "erasure", _("Erasure")
    REPLACED = "replaced", _("A later sign-up replaced it")


class FunnelStep(models.TextChoices):
    VIEW = "view", _("Page views")
    CODE_SENT = "code_sent", _("SMS codes sent")
    VERIFIED = "verified", _("Mobiles verified")
    SUBMITTED = "submitted", _("Forms sent")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    PROMOTED = "promoted", _("Promoted from the waiting list")
    CANCELLED = "cancelled", _("Cancelled")
    CHECKED_IN = "checked_in", _("Checked in")


class CampaignSession(Orderable):
    """One session of an event or a course: where and when it happens and how many seats it has.

    A roadshow has one per city (``city`` is one of the page's cities); a course with a single
    session leaves the city empty, and every sign-up joins it. Without a capacity the session
    takes everyone.
    """

    page = ParentalKey("forms.CampaignFormPage", on_delete=models.CASCADE, related_name="sessions")
    city = models.CharField(
        _("city"),
        max_length=100,
        blank=True,
        help_text=_("One of the page's cities; leave empty when the campaign has a single session."),
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    capacity = models.PositiveIntegerField(
        _("seats"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty for no limit. When the seats are taken, later sign-ups join a waiting list."
        ),
    )

    panels = [
        FieldRowPanel([FieldPanel("city"), FieldPanel("capacity")]),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("venue"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [models.UniqueConstraint(fields=["page", "city"], name="forms_session_one_per_city")]

    def __str__(self):
        return self.city or str(_("Single session"))


class Registration(models.Model):
    """A sign-up's place in an event or a course.

    Confirmed while the session has a free seat, otherwise on the waiting list in the order
    of arrival; a freed seat goes to the first one waiting. ``subject_hash`` (the keyed hash
    of the verified mobile, as in the subject index) keeps one live sign-up per person and
    campaign, enforced by the database; ``nonce`` is part of the visitor's personal link and
    check-in code, and a new one revokes both.
    """

    submission = models.OneToOneField(
        CampaignSubmission,
        on_delete=models.CASCADE,
        related_name="registration",
        verbose_name=_("submission"),
    )
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+", verbose_name=_("page"))
    session = models.ForeignKey(
        CampaignSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("session"),
    )
    status = models.CharField(_("status"), max_length=12, choices=RegistrationStatus.choices)
    subject_hash = models.CharField(_("person (keyed hash)"), max_length=64, blank=True)
    nonce = models.CharField(max_length=32, editable=False)
    checkin_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    # The place in the waiting list: the time the sign-up joined this session's queue.
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    language = models.CharField(_("language"), max_length=10, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.CharField(_("cancelled by"), max_length=12, choices=CancelledBy.choices, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        permissions = [("check_in_registration", _("Can check in event attendees"))]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "subject_hash"],
                condition=~Q(status="cancelled") & ~Q(subject_hash=""),
                name="forms_registration_one_live_per_person",
            )
        ]
        indexes = [models.Index(fields=["session", "status", "queued_at"], name="forms_reg_session_queue")]

    def __str__(self):
        return f"#{self.submission_id} {self.status}"

    @property
    def is_live(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED


class FunnelCount(models.Model):
    """How many visitors reached one step of a campaign on one day (Beijing time), per city.

    Only counts: no address, no identifier, nothing that could tell who. Steps before the
    form is sent have no city.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+", verbose_name=_("page"))
    day = models.DateField(_("day"))
    step = models.CharField(_("step"), max_length=12, choices=FunnelStep.choices)
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("funnel count")
        verbose_name_plural = _("funnel counts")
        constraints = [
            models.UniqueConstraint(fields=["page", "day", "step", "city"], name="forms_funnel_one_row")
        ]

    def __str__(self):
        return f"{self.page_id} {self.day} {self.step} {self.city}: {self.count}"
