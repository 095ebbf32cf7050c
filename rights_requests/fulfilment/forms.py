"""Staff forms for the fulfilment actions; the services validate again and have the last word."""

from django import forms
from django.utils.translation import gettext_lazy as _

from forms import catalogue

from .choices import Arrangement, DisclosureGround


class ServiceErrorsMixin:
    def add_service_errors(self, errors: dict) -> None:
        for key, messages in errors.items():
            target = key if key in self.fields else None
            for message in messages:
                self.add_error(target, message)


class TransferForm(ServiceErrorsMixin, forms.Form):
    recipient = forms.CharField(label=_("Processor named by the requester"), max_length=200)
    ground = forms.ChoiceField(label=_("Ground"), choices=DisclosureGround.choices)


class CorrectForm(ServiceErrorsMixin, forms.Form):
    submission = forms.TypedChoiceField(label=_("Record"), coerce=int)
    field_key = forms.ChoiceField(
        label=_("Field"), choices=[(k, f"{k} — {d.label}") for k, d in catalogue.FIELDS.items()]
    )
    value = forms.CharField(label=_("New value"), max_length=1000, required=False)

    def __init__(self, *args, submissions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].choices = [
            (s.pk, f"#{s.pk} · {s.purpose} · {s.submit_time:%Y-%m-%d}") for s in submissions
        ]


class WithdrawForm(ServiceErrorsMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("Scope"), required=False)

    def __init__(self, *args, purposes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [("", _("All purposes")), *[(p.code, str(p)) for p in purposes]]


class EraseForm(ServiceErrorsMixin, forms.Form):
    retain_until = forms.DateField(
        label=_("Legal retention until"),
        required=False,
        help_text=_(
            "Only when a law requires keeping the data: the records are then restricted until this date."
        ),
    )
    ground = forms.CharField(label=_("Law requiring retention"), max_length=200, required=False)


class DeceasedForm(ServiceErrorsMixin, forms.Form):
    mobile = forms.CharField(label=_("Mobile number of the deceased"), max_length=32, required=False)
    email = forms.CharField(label=_("E-mail address of the deceased"), max_length=254, required=False)


class ArrangementForm(DeceasedForm):
    mobile = forms.CharField(label=_("Mobile number"), max_length=32, required=False)
    email = forms.CharField(label=_("E-mail address"), max_length=254, required=False)
    instruction = forms.ChoiceField(label=_("Instruction"), choices=Arrangement.choices)
