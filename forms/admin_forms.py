"""Admin forms: the whitelist check over the rows a marketer is saving."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.contrib.forms.forms import WagtailAdminFormPageForm


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
    """

    def _post_clean(self):
        # The page's own full_clean() runs here with the rows as they were before this
        # save; clean() below checks the submitted rows instead. The model check runs
        # again with the new rows when the page or its revision is saved.
        self.instance._rows_checked_by_form = True
        try:
            super()._post_clean()
        finally:
            self.instance._rows_checked_by_form = False

    def clean(self):
        cleaned_data = super().clean()
        from .models import Purpose
        from .services import page_policy_problems

        formset = self.formsets.get("form_fields")
        purpose = cleaned_data.get("purpose")
        if formset is None or not isinstance(purpose, Purpose):
            return cleaned_data

        live_forms = []
        for form in formset.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            if not form.has_changed() and not form.instance.pk:
                continue
            live_forms.append(form)

        problems = page_policy_problems(
            purpose=purpose,
            rows=[form.instance for form in live_forms],
            cities=_split_cities(cleaned_data.get("cities", "")),
            download_document_id=getattr(cleaned_data.get("download_document"), "pk", None),
        )
        for problem in problems:
            error = forms.ValidationError(problem.message, code="policy")
            if problem.row is not None:
                live_forms[problem.row].add_error(problem.field, error)
            else:
                target = problem.field if problem.field in self.fields else None
                self.add_error(target, error)
        return cleaned_data


def _split_cities(value: str) -> list[str]:
    lines = (value or "").replace("，", ",").replace(",", "\n").splitlines()
    return [c.strip() for c in lines if c.strip()]
