"""``CampaignFormBuilder``: Wagtail's ``FormBuilder`` over a page's form definition.

The builder reads the fields of ``forms.definition`` (the rows the purpose's whitelist and the
screen still allow) rather than the page's rows, so a row that lost its permission is never
rendered nor accepted. Personal fields come from the catalogue (its validators, lengths and
choices); questions keep Wagtail's ``create_<type>_field`` methods with the catalogue's text
rules (no control characters, bounded lengths).
"""

from dataclasses import dataclass

from django import forms
from wagtail.contrib.forms.forms import BaseForm, FormBuilder

from . import catalogue
from .choices import QUESTION_TYPES

PERSONAL = "personal"


class CampaignForm(BaseForm):
    """The base of every campaign page's form class (``page`` and ``user`` as Wagtail passes them)."""


@dataclass(frozen=True)
class DefinedField:
    """One field of a form definition, read the way ``FormBuilder`` reads a form-field row."""

    spec: dict

    @property
    def field_type(self) -> str:
        if self.spec["personal"]:
            return PERSONAL
        # A question type outside the catalogue's (the whitelist refuses them at save) is read
        # as a line of text, never as a field type the pipeline does not check.
        return self.spec["type"] if self.spec["type"] in QUESTION_TYPES else "singleline"

    @property
    def clean_name(self) -> str:
        return self.spec["name"]

    def get_field_clean_name(self) -> str:
        return self.spec["name"]

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [tuple(c) for c in self.spec["choices"]]


class CampaignFormBuilder(FormBuilder):
    """Builds the form class of a definition; ``fields`` are ``DefinedField``s."""

    def get_field_options(self, field: DefinedField) -> dict:
        # Help texts are escaped where they are shown; the definition holds no initial values.
        spec = field.spec
        return {"label": spec["label"], "required": spec["required"], "help_text": spec["help_text"]}

    def get_formatted_field_choices(self, field: DefinedField) -> list[tuple[str, str]]:
        return field.choices

    def create_personal_field(self, field: DefinedField, options: dict) -> forms.Field:
        spec = field.spec
        choices = [c[0] for c in spec["choices"]] if spec["name"] == "intended_city" else None
        return catalogue.get(spec["name"]).formfield(choices=choices, **options)

    def create_singleline_field(self, field: DefinedField, options: dict) -> forms.Field:
        return catalogue.TextField(
            multiline=False, max_length=field.spec["max_length"], widget=forms.TextInput, **options
        )

    def create_multiline_field(self, field: DefinedField, options: dict) -> forms.Field:
        widget = forms.Textarea(attrs={"rows": 3})
        return catalogue.TextField(
            multiline=True, max_length=field.spec["max_length"], widget=widget, **options
        )

    def create_date_field(self, field: DefinedField, options: dict) -> forms.Field:
        return catalogue.CatalogueDateField(**options)

    def create_number_field(self, field: DefinedField, options: dict) -> forms.Field:
        return forms.DecimalField(max_digits=20, decimal_places=6, **options)

    def create_dropdown_field(self, field: DefinedField, options: dict) -> forms.Field:
        return forms.ChoiceField(choices=[("", "---------"), *field.choices], **options)

    def create_checkboxes_field(self, field: DefinedField, options: dict) -> forms.Field:
        return forms.MultipleChoiceField(
            choices=field.choices, widget=forms.CheckboxSelectMultiple, **options
        )

    def get_form_class(self) -> type:
        return type("CampaignPageForm", (CampaignForm,), self.formfields)


def build_form_class(definition: dict, builder: type[FormBuilder] = CampaignFormBuilder) -> type:
    return builder([DefinedField(spec) for spec in definition["fields"]]).get_form_class()
