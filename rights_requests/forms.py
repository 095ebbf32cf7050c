"""Forms of the visitor page and of the staff admin; the rules themselves live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Channel, Outcome, RefusalGround, RequestType
from .models import EVIDENCE_EXTENSIONS
from .services import MAX_DETAILS, MAX_RELATIONSHIP, MAX_TEXT, RightsRequestError

EVIDENCE_ACCEPT = ",".join(f".{ext}" for ext in EVIDENCE_EXTENSIONS)


class ServiceErrorsMixin:
    """Copy a ``RightsRequestError`` onto the form's fields (unknown keys become non-field errors)."""

    def add_service_errors(self, exc: RightsRequestError) -> None:
        for key, messages in exc.errors.items():
            field = key if key in self.fields else None
            for message in messages:
                self.add_error(field, message)


class RightsRequestForm(ServiceErrorsMixin, forms.Form):
    """The visitor's request; ``sms_code`` and ``challenge_id`` appear once a code was sent."""

    request_type = forms.ChoiceField(
        label=_("Which right do you want to exercise?"), choices=RequestType.choices, widget=forms.RadioSelect
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("We send a verification code to this number and tell you about your request."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        max_length=254,
        help_text=_("We also send our answer here."),
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=MAX_DETAILS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What should we do? For a correction, say what is wrong; for a transfer, name the recipient."
        ),
    )
    relationship = forms.CharField(
        label=_("Your relationship to the deceased"),
        required=False,
        max_length=MAX_RELATIONSHIP,
        help_text=_("Only for a next-of-kin request."),
    )
    challenge_id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
    sms_code = forms.CharField(
        label=_("SMS code"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    evidence = forms.FileField(
        label=_("Document proving the death and your relationship"),
        required=False,
        help_text=_("PDF, JPG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
    )


class StaffRegisterForm(ServiceErrorsMixin, forms.Form):
    """A request that arrived by e-mail, phone or letter, registered by staff."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.EMAIL)
    request_type = forms.ChoiceField(label=_("Right"), choices=RequestType.choices)
    mobile = forms.CharField(label=_("Mobile number"), required=False, max_length=32)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    details = forms.CharField(
        label=_("Details"), required=False, max_length=MAX_DETAILS, widget=forms.Textarea
    )
    relationship = forms.CharField(
        label=_("Relationship to the deceased"), required=False, max_length=MAX_RELATIONSHIP
    )
    evidence = forms.FileField(label=_("Evidence document"), required=False)
    mobile_proof_note = forms.CharField(
        label=_("How you checked the mobile is the requester's"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "E.g. “called back the number, the caller answered the security questions”. Leave empty "
            "when you did not check it: an unchecked mobile is never used to find records."
        ),
    )
    email_proof_note = forms.CharField(
        label=_("How you checked the e-mail is the requester's"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Leave empty when you did not check it: we then send a confirmation link to the address, "
            "and it finds no records until the requester follows it."
        ),
    )


class NoteForm(ServiceErrorsMixin, forms.Form):
    expected_state = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class VerifyForm(NoteForm):
    evidence = forms.FileField(label=_("Evidence document"), required=False)
    mobile_proof_note = forms.CharField(
        label=_("How you checked the mobile is the requester's (if not proven yet)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    email_proof_note = forms.CharField(
        label=_("How you checked the e-mail is the requester's (if not proven yet)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnswerForm(ServiceErrorsMixin, forms.Form):
    expected_state = forms.CharField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    ground = forms.ChoiceField(
        label=_("Ground (refusal or partial fulfilment)"),
        choices=[("", "—"), *RefusalGround.choices],
        required=False,
    )
    fee_amount = forms.DecimalField(
        label=_("Fee (CNY)"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    response = forms.CharField(
        label=_("Response to the requester"), max_length=MAX_TEXT, widget=forms.Textarea
    )


class ExtendForm(ServiceErrorsMixin, forms.Form):
    expected_state = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason (sent to the requester)"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
