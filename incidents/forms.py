"""Admin forms of the incident register."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Incident

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = [
            "title",
            "description",
            "occurred_at",
            "discovered_at",
            "purposes",
            "period_start",
            "period_end",
            "measures",
        ]
        widgets = {
            "occurred_at": DATETIME,
            "discovered_at": DATETIME,
            "period_start": DATETIME,
            "period_end": DATETIME,
            "purposes": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "measures": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The affected period must end after it starts."))
        return cleaned


class NoticeForm(forms.Form):
    subject = forms.CharField(label=_("E-mail subject"), max_length=200, required=False)
    message = forms.CharField(
        label=_("Notice"),
        help_text=_(
            "Sent by SMS to each affected person's mobile, or by e-mail when there is none. No personal data."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=500,
    )


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Announcement title"), max_length=200)
    text = forms.CharField(label=_("Announcement"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
