"""Admin forms: the whitelist check over the rows a marketer is saving."""

from types import SimpleNamespace

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.contrib.forms.forms import WagtailAdminFormPageForm

from . import catalogue
from .choices import RowKind
from .operations import operation_problems
from .permissions import sees_every_campaign
from .review import Verdict, page_screen, page_visible_texts
from .services import notification_address_errors
from .whitelist import purpose_change_problem, split_cities

# The models name these forms as their base form classes, so the forms look the purpose model
# up by name.
PURPOSE_MODEL = "forms.Purpose"


class PurposeForm(WagtailAdminModelForm):
    """A purpose's code is set once: pages, submissions and SMS challenges refer to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "code" in self.fields:
            self.fields["code"].disabled = True


class CampaignFormPageForm(WagtailAdminFormPageForm):
    """Refuses rows the page's purpose does not allow, naming field, purpose and clause.

    The check runs here over the form-rows formset, because the page's own ``clean()``
    still sees the rows as they were before this save.

    The page's purpose is fixed once it holds submissions, and only the page's owner,
    Marketing leads and Privacy officers choose who reads its submissions: the campaign
    team and the address the notification e-mail (with each submission) goes to.
    """

    READERS_FIELDS = ("team", "to_address")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "team" in self.fields:
            self.fields["team"].queryset = admin_users()
        if not may_choose_team(self.for_user, self.instance):
            for name in self.READERS_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
        if "form_fields" in self.formsets:
            self.formsets["form_fields"].form = rows_form(self.formsets["form_fields"].form)
        self._prefill_rows()

    def _prefill_rows(self):
        """A new page opened for a purpose starts with that purpose's personal fields as rows."""
        formset = self.formsets.get("form_fields")
        if self.is_bound or self.instance.pk or not self.instance.purpose_id or formset is None:
            return
        if formset.forms:
            return
        initial = purpose_rows(self.instance.purpose)
        prefilled = type("PrefilledRows", (type(formset),), {"extra": len(initial), "form": formset.form})
        self.formsets["form_fields"] = prefilled(
            None, None, instance=self.instance, prefix=formset.prefix, form_kwargs=formset.form_kwargs,
            initial=initial,
        )  # fmt: skip

    def _post_clean(self):
        # The page's own full_clean() runs here with the rows as they were before this
        # save; clean() below checks the submitted rows instead. The model check runs
        # again with the new rows when the page or its revision is saved.
        self.instance._rows_checked_by_form = True
        try:
            super()._post_clean()
        finally:
            self.instance._rows_checked_by_form = False

    def clean_to_address(self):
        """Every notification address must be at one of the company's own mail domains."""
        value = self.cleaned_data.get("to_address", "")
        if self.fields["to_address"].disabled:
            return value  # not this user's choice; the notification task skips an outside address
        errors = notification_address_errors(value)
        if errors:
            raise forms.ValidationError([forms.ValidationError(m, code="outside_domain") for m in errors])
        return value

    def clean(self):
        cleaned_data = super().clean()
        Purpose = apps.get_model(PURPOSE_MODEL)
        formset = self.formsets.get("form_fields")
        purpose = cleaned_data.get("purpose")
        if isinstance(purpose, Purpose):
            refused = purpose_change_problem(page=self.instance, purpose_id=purpose.pk)
            if refused:
                self.add_error("purpose", forms.ValidationError(refused, code="purpose_fixed"))
        if isinstance(purpose, Purpose):
            self._check_running(cleaned_data, purpose)
        if formset is None or not isinstance(purpose, Purpose):
            return cleaned_data

        live_forms = []
        for form in formset.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            if not form.has_changed() and not form.instance.pk:
                continue
            live_forms.append(form)

        screening = page_screen(
            purpose=purpose,
            rows=[form.instance for form in live_forms],
            cities=split_cities(cleaned_data.get("cities", "")),
            download_document_id=getattr(cleaned_data.get("download_document"), "pk", None),
            page=self.instance,
            page_texts=_page_texts(cleaned_data),
        )
        self.screening = screening
        if screening.verdict == Verdict.NEEDS_REVIEW and self._publishing() and not self._may_approve():
            self.add_error(
                None,
                forms.ValidationError(
                    _(
                        "A Privacy officer must approve this page before it goes live. Save it as a draft "
                        "and submit it for moderation."
                    ),
                    code="needs_review",
                ),
            )
            for review in screening.reviews:
                error = forms.ValidationError(review.message, code="review")
                if review.row is None:
                    self.add_error(None, error)
                else:
                    live_forms[review.row].add_error(None, error)
        for problem in screening.problems:
            error = forms.ValidationError(problem.message, code="policy")
            if problem.row is not None:
                live_forms[problem.row].add_error(problem.field, error)
            else:
                target = problem.field if problem.field in self.fields else None
                self.add_error(target, error)
        return cleaned_data

    def _check_running(self, cleaned_data, purpose) -> None:
        """Opening window and sessions: close after opening, sessions only for events and
        courses, one per city of the page, ending after they start."""
        formset = self.formsets.get("sessions")
        forms_kept = []
        for form in formset.forms if formset is not None else ():
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            if form.has_changed() or form.instance.pk:
                forms_kept.append(form)
        problems = operation_problems(
            purpose_code=purpose.code,
            opens_at=cleaned_data.get("opens_at"),
            closes_at=cleaned_data.get("closes_at"),
            cities=split_cities(cleaned_data.get("cities", "")),
            sessions=[f.instance for f in forms_kept],
        )
        for field, index, message in problems:
            error = forms.ValidationError(message, code="running")
            if index is not None:
                forms_kept[index].add_error(field, error)
            else:
                self.add_error(field, error)

    def _publishing(self) -> bool:
        """The editor publishes only for users who may (others' "publish" saves a draft)."""
        if "action-publish" not in self.data or self.for_user is None:
            return False
        if self.instance.pk:
            return self.instance.permissions_for_user(self.for_user).can_publish()
        parent = getattr(self, "parent_page", None)
        return parent is not None and parent.permissions_for_user(self.for_user).can_publish_subpage()

    def _may_approve(self) -> bool:
        return bool(self.for_user and self.for_user.has_perm("forms.approve_screened_rows"))


def rows_form(form_class):
    """The row form, its personal-field choices named in the admin's language (the model's
    choices carry the key and both languages, for migrations and the API)."""

    class RowForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if "field_key" in self.fields:
                self.fields["field_key"].choices = [
                    ("", "---------"),
                    *((key, definition.label) for key, definition in catalogue.FIELDS.items()),
                ]

    RowForm.__name__ = RowForm.__qualname__ = form_class.__name__
    return RowForm


def purpose_rows(purpose) -> list[dict]:
    """Initial rows for a new page: the purpose's personal fields in the policy's order, required
    where a page may require them (the mobile always, when the purpose verifies it by SMS)."""
    rows = []
    for index, allowed in enumerate(purpose.fields.order_by("sort_order", "pk")):
        if allowed.field_key not in catalogue.FIELDS:
            continue
        required = allowed.required or (allowed.field_key == "mobile" and purpose.sms_required)
        rows.append({"kind": RowKind.PERSONAL, "field_key": allowed.field_key, "required": required,
                     "field_type": "singleline", "ORDER": index + 1})  # fmt: skip
    return rows


def _page_texts(cleaned_data) -> list[tuple[str, str]]:
    return page_visible_texts(
        SimpleNamespace(
            intro=cleaned_data.get("intro", ""), thank_you_text=cleaned_data.get("thank_you_text", "")
        )
    )


def admin_users():
    """Active accounts that may use the admin: the people a campaign team is chosen from."""
    access = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(pk__in=get_user_model().objects.filter(groups__permissions__in=access).values("pk"))
            | Q(pk__in=get_user_model().objects.filter(user_permissions__in=access).values("pk"))
        )
        .order_by("username")
    )


def may_choose_team(user, page) -> bool:
    """The page's owner (or whoever creates it), Marketing leads and Privacy officers."""
    if user is None or not user.is_active:
        return False
    if not page.pk or page.owner_id == user.pk:
        return True
    return sees_every_campaign(user)


class ScreenTryForm(forms.Form):
    """One form row, as the screen reads it."""

    purpose = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Purpose"))
    kind = forms.ChoiceField(choices=RowKind.choices, label=gettext_lazy("Kind"))
    field_key = forms.ChoiceField(label=gettext_lazy("Personal field"), required=False)
    label = forms.CharField(label=gettext_lazy("Label"), max_length=255, required=False)
    help_text = forms.CharField(label=gettext_lazy("Help text"), max_length=255, required=False)
    choices = forms.CharField(
        label=gettext_lazy("Choices"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    default_value = forms.CharField(label=gettext_lazy("Default value"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = apps.get_model(PURPOSE_MODEL).objects.order_by("pk")
        self.fields["field_key"].choices = [("", "—"), *((d.key, d.label) for d in catalogue.FIELDS.values())]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "personal" and not cleaned.get("field_key"):
            self.add_error("field_key", _("Choose which personal field this row collects."))
        return cleaned
