"""Admin forms for exports, imports, the whitelist desk and incidents."""

from django import forms
from django.utils.translation import gettext_lazy as _

from forms import catalogue
from forms.models import Purpose
from rights_requests.choices import RequestType, State

from .choices import FileFormat
from .services import campaign_pages_for, can_export_unmasked
from .sheets import validate_upload_size

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DateRangeMixin:
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> dict:
        return {
            "date_from": self.cleaned_data["date_from"].isoformat()
            if self.cleaned_data.get("date_from")
            else "",
            "date_to": self.cleaned_data["date_to"].isoformat() if self.cleaned_data.get("date_to") else "",
        }


class SubmissionExportForm(DateRangeMixin, forms.Form):
    purpose = forms.ModelChoiceField(queryset=Purpose.objects.none(), label=_("Purpose"))
    page = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Campaign page"),
        help_text=_("Leave empty for every campaign you may see."),
    )
    date_from = forms.DateField(required=False, label=_("Submitted from"), widget=DATE)
    date_to = forms.DateField(required=False, label=_("Submitted until"), widget=DATE)
    file_format = forms.ChoiceField(choices=FileFormat.choices, label=_("Format"), initial=FileFormat.XLSX)
    unmasked = forms.BooleanField(
        required=False,
        label=_("Export sensitive fields unmasked"),
        help_text=_(
            "Only Privacy officers, and only with a reason. The export is recorded as unmasked and is not "
            "written at once: it waits until a second Privacy officer approves it, then runs in the "
            "background and you get an e-mail with a link to download it once."
        ),
    )
    reason = forms.CharField(
        required=False,
        label=_("Reason for unmasked data"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        pages = campaign_pages_for(user)
        self.fields["page"].queryset = pages
        self.fields["purpose"].queryset = Purpose.objects.filter(pk__in=pages.values("purpose_id"))
        if not can_export_unmasked(user):
            del self.fields["unmasked"]
            del self.fields["reason"]

    def clean(self):
        cleaned = super().clean()
        page, purpose = cleaned.get("page"), cleaned.get("purpose")
        if page is not None and purpose is not None and page.purpose_id != purpose.pk:
            self.add_error("page", _("This page serves another purpose."))
        if cleaned.get("unmasked") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason why this export needs unmasked data."))
        return cleaned


class UnmaskedDecisionForm(forms.Form):
    """A second Privacy officer's decision on someone else's unmasked export."""

    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(
        required=False,
        label=_("Note"),
        help_text=_("Required to approve: why these sensitive values may leave in clear."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "approve" and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why this export may carry sensitive values in clear."))
        return cleaned


class RightsRequestExportForm(DateRangeMixin, forms.Form):
    date_from = forms.DateField(required=False, label=_("Received from"), widget=DATE)
    date_to = forms.DateField(required=False, label=_("Received until"), widget=DATE)
    state = forms.ChoiceField(
        choices=[("", _("Any state")), *State.choices], required=False, label=_("State")
    )
    request_type = forms.ChoiceField(
        choices=[("", _("Any right")), *RequestType.choices], required=False, label=_("Right")
    )
    file_format = forms.ChoiceField(choices=FileFormat.choices, label=_("Format"), initial=FileFormat.XLSX)

    def filters(self) -> dict:
        return {
            **super().filters(),
            "state": self.cleaned_data["state"],
            "request_type": self.cleaned_data["request_type"],
        }


class ImportForm(forms.Form):
    page = forms.ModelChoiceField(queryset=None, label=_("Campaign page"))
    sheet = forms.FileField(
        label=_("Sign-up sheet"),
        help_text=_(
            "CSV (UTF-8) or XLSX. The first row holds the column headings: the page's field names or labels."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        validators=[validate_upload_size],
    )
    consent_confirmed = forms.BooleanField(
        label=_("Every person on this sheet signed the consent to the privacy policy on paper."),
        error_messages={"required": _("Confirm that the people on the sheet gave their consent.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = campaign_pages_for(user)

    def size_refusal(self) -> str:
        """The message refusing an oversized sheet (blank when the sheet is not refused for its size)."""
        if not self.is_bound or not self.has_error("sheet", "too_large"):
            return ""
        return " ".join(str(e.message) for e in self.errors.as_data()["sheet"] if e.code == "too_large")


class WhitelistChangeForm(forms.Form):
    sms_required = forms.BooleanField(required=False, label=_("SMS verification required"))
    reason = forms.CharField(
        label=_("Reason for the change"),
        help_text=_("For example the clause of the new policy version."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )

    def __init__(self, *args, purpose, **kwargs):
        super().__init__(*args, **kwargs)
        current = {f.field_key: f.required for f in purpose.fields.all()}
        self.initial.setdefault("sms_required", purpose.sms_required)
        for definition in catalogue.FIELDS.values():
            key = definition.key
            self.fields[f"allow_{key}"] = forms.BooleanField(
                required=False, label=f"{definition.label_zh} / {definition.label_en}", initial=key in current
            )
            self.fields[f"require_{key}"] = forms.BooleanField(
                required=False, label=_("may be required"), initial=current.get(key, True)
            )

    def field_rows(self):
        return [(key, self[f"allow_{key}"], self[f"require_{key}"]) for key in catalogue.FIELDS]

    def allowed(self) -> dict[str, bool]:
        return {
            key: bool(self.cleaned_data.get(f"require_{key}")) and key not in catalogue.ALWAYS_OPTIONAL_KEYS
            for key in catalogue.FIELDS
            if self.cleaned_data.get(f"allow_{key}")
        }
