"""The register of personal-information security incidents (policy §5)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import IncidentAction, IncidentState


class Incident(models.Model):
    """A personal-information security incident (policy §5): what happened and who it touched.

    The register keeps what happened, when it was found, which purposes and which
    period of collection are affected; the affected people are found through the
    subject hashes, told by SMS or e-mail, and the public can be told by an
    announcement shown on the site. Every step is kept as an ``IncidentStep``.
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("happened at"), null=True, blank=True)
    discovered_at = models.DateTimeField(_("found at"))
    purposes = models.ManyToManyField("forms.Purpose", related_name="+", verbose_name=_("affected purposes"))
    period_start = models.DateTimeField(_("affected from"))
    period_end = models.DateTimeField(_("affected until"))
    measures = models.TextField(_("measures taken"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=IncidentState.choices, default=IncidentState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    announcement_title = models.CharField(_("announcement title"), max_length=200, blank=True)
    announcement_text = models.TextField(_("announcement"), blank=True)
    announcement_published_at = models.DateTimeField(_("announcement published"), null=True, blank=True)

    class Meta:
        db_table = "datatools_incident"  # kept from when incidents were part of the data tools
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-discovered_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def announcement_live(self) -> bool:
        return self.announcement_published_at is not None


class IncidentSubject(models.Model):
    """One person affected by an incident, known only by keyed hashes and one of their submissions."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="subjects")
    key_hash = models.CharField(max_length=64)
    submission = models.ForeignKey(
        "forms.CampaignSubmission", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)

    class Meta:
        db_table = "datatools_incidentsubject"  # kept from when incidents were part of the data tools
        verbose_name = _("affected person")
        verbose_name_plural = _("affected people")
        constraints = [
            models.UniqueConstraint(fields=["incident", "key_hash"], name="datatools_incidentsubject_unique")
        ]

    def __str__(self):
        return f"{self.incident_id}:{self.key_hash[:12]}…"


class IncidentStep(models.Model):
    """One recorded step of an incident's handling: who did what and when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    action = models.CharField(_("step"), max_length=30, choices=IncidentAction.choices)
    detail = models.TextField(_("detail"), blank=True)
    count = models.PositiveIntegerField(_("people"), null=True, blank=True)

    class Meta:
        db_table = "datatools_incidentstep"  # kept from when incidents were part of the data tools
        verbose_name = _("incident step")
        verbose_name_plural = _("incident steps")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.incident_id} {self.action}"
