"""Staff views in the Wagtail admin: fulfilling one request, minors, restricted records, registers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from forms import catalogue
from forms.models import Purpose
from rights_requests.choices import RequestType
from rights_requests.models import RightsRequest

from . import services
from .forms import ArrangementForm, CorrectForm, DeceasedForm, EraseForm, TransferForm, WithdrawForm
from .models import DisclosureRecord, LedgerEntry
from .selectors import (
    arrangement_for,
    find_person,
    minors_without_guardian_consent,
    restricted_submissions,
    subject_of_request,
)

OFFICER_PERMISSIONS = {
    "restricted": "fulfilment.view_restricted_submissions",
    "disclosures": "fulfilment.view_disclosurerecord",
    "ledger": "fulfilment.view_ledgerentry",
}


class StaffView(WagtailAdminTemplateMixin, TemplateView):
    permission = services.FULFIL_PERMISSION
    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]


def _masked_fields(submission, unmasked: bool) -> list[dict]:
    data = submission.unmasked_data() if unmasked else submission.form_data or {}
    rows = []
    for key, value in data.items():
        if key not in catalogue.FIELDS:
            continue
        definition = catalogue.get(key)
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        rows.append(
            {"key": key, "label": definition.label, "value": shown if unmasked else definition.mask(shown)}
        )
    return rows


class RequestFulfilmentView(StaffView):
    """The person's data for one request and the actions its right allows."""

    template_name = "fulfilment/admin/request.html"
    page_title = gettext_lazy("Fulfil a rights request")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.rr = get_object_or_404(
            RightsRequest.objects.select_related("fulfilment_subject"), pk=kwargs["pk"]
        )

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("rights_requests.view_rightsrequest"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.rr.reference

    def person(self):
        return find_person(subject_of_request(self.rr))

    def forms(self, bound=None, person=None):
        person = person or self.person()
        built = {
            "transfer": TransferForm(prefix="transfer"),
            "correct": CorrectForm(prefix="correct", submissions=person.submissions),
            "withdraw": WithdrawForm(prefix="withdraw", purposes=Purpose.objects.all()),
            "erase": EraseForm(prefix="erase"),
            "deceased": DeceasedForm(prefix="deceased"),
        }
        built.update(bound or {})
        return built

    def get_context_data(self, **kwargs):
        rr, user = self.rr, self.request.user
        person = self.person()
        unmasked = user.has_perm("forms.view_unmasked_personal_data")
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "rr": rr,
                "inspect_url": reverse("rights_requests_rightsrequest_modeladmin_inspect", args=(rr.pk,)),
                "person": person,
                "records": [
                    {"submission": s, "fields": _masked_fields(s, unmasked)} for s in person.submissions
                ],
                "actions": services.allowed_actions(rr),
                "can_act": rr.state == "verified",
                "is_posthumous": rr.request_type == RequestType.POSTHUMOUS,
                "has_subject": hasattr(rr, "fulfilment_subject"),
                "arrangement": arrangement_for(subject_of_request(rr))
                if hasattr(rr, "fulfilment_subject")
                else None,
                "steps": rr.fulfilment_steps.select_related("by"),
                "packages": rr.access_packages.all(),
                "can_approve_transfer": user.has_perm(services.APPROVE_TRANSFER_PERMISSION),
                "forms": kwargs.get("forms") or self.forms(person=person),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        rr, user = self.rr, request.user
        action = request.POST.get("action", "")
        person = self.person()
        form_classes = {
            "transfer": lambda: TransferForm(request.POST, prefix="transfer"),
            "correct": lambda: CorrectForm(request.POST, prefix="correct", submissions=person.submissions),
            "withdraw": lambda: WithdrawForm(request.POST, prefix="withdraw", purposes=Purpose.objects.all()),
            "erase": lambda: EraseForm(request.POST, prefix="erase"),
            "deceased": lambda: DeceasedForm(request.POST, prefix="deceased"),
        }
        try:
            if action == "package":
                services.package_request(rights_request=rr, user=user)
                messages.success(
                    request, _("The package is being built; the request is answered when it is ready.")
                )
                return redirect(request.path)
            if action == "correct_answer":
                services.correct_and_answer(rights_request=rr, user=user)
                messages.success(request, _("Answered."))
                return redirect(request.path)
            if action not in form_classes:
                raise PermissionDenied
            form = form_classes[action]()
            if not form.is_valid():
                return self.render_to_response(
                    self.get_context_data(forms=self.forms({action: form}, person)), status=400
                )
            data = form.cleaned_data
            if action == "transfer":
                services.transfer(
                    rights_request=rr, user=user, recipient=data["recipient"], ground=data["ground"]
                )
            elif action == "correct":
                services.correct(
                    rights_request=rr,
                    user=user,
                    submission_id=data["submission"],
                    changes={data["field_key"]: data["value"]},
                )
            elif action == "withdraw":
                services.withdraw_consent(rights_request=rr, user=user, purpose_code=data["purpose"])
            elif action == "erase":
                services.erase(
                    rights_request=rr, user=user, retain_until=data["retain_until"], ground=data["ground"]
                )
            elif action == "deceased":
                services.set_deceased(
                    rights_request=rr, user=user, mobile=data["mobile"], email=data["email"]
                )
        except services.FulfilmentError as exc:
            if action in form_classes:
                form.add_service_errors(exc.errors)
                forms = self.forms({action: form}, person)
            else:
                forms = None
                for message_list in exc.errors.values():
                    for message in message_list:
                        messages.error(request, message)
            self.rr.refresh_from_db()
            return self.render_to_response(self.get_context_data(forms=forms), status=400)
        messages.success(request, _("%(reference)s: done.") % {"reference": rr.reference})
        return redirect(request.path)

    def render_to_response(self, context, status=200, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response.status_code = status
        return response


class MinorsView(StaffView):
    """Minors' data collected without a guardian's consent, deleted in one action (§4)."""

    template_name = "fulfilment/admin/minors.html"
    page_title = gettext_lazy("Minors without guardian consent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submissions"] = minors_without_guardian_consent()[:500]
        return context

    def post(self, request, *args, **kwargs):
        result = services.erase_minors_without_consent(user=request.user)
        messages.success(request, _("%(count)d records erased.") % {"count": result.erased_count})
        return redirect(request.path)


class OfficerListView(StaffView):
    kind = ""

    def dispatch(self, request, *args, **kwargs):
        self.permission = OFFICER_PERMISSIONS[self.kind]
        return super().dispatch(request, *args, **kwargs)


class RestrictedView(OfficerListView):
    kind = "restricted"
    template_name = "fulfilment/admin/restricted.html"
    page_title = gettext_lazy("Restricted records")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unmasked = self.request.user.has_perm("forms.view_unmasked_personal_data")
        context["records"] = [
            {"submission": s, "fields": _masked_fields(s, unmasked)} for s in restricted_submissions()[:500]
        ]
        return context


class DisclosureRegisterView(OfficerListView):
    kind = "disclosures"
    template_name = "fulfilment/admin/disclosures.html"
    page_title = gettext_lazy("Disclosure register")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["disclosures"] = DisclosureRecord.objects.select_related("approved_by")[:500]
        return context


class LedgerView(OfficerListView):
    kind = "ledger"
    template_name = "fulfilment/admin/ledger.html"
    page_title = gettext_lazy("Erasure ledger")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = LedgerEntry.objects.select_related("by").order_by("-created_at")[:500]
        return context


class ArrangementView(StaffView):
    """Record a person's written arrangement for their data after death (§6.8)."""

    template_name = "fulfilment/admin/arrangement.html"
    page_title = gettext_lazy("Record a posthumous arrangement")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or ArrangementForm()
        return context

    def post(self, request, *args, **kwargs):
        form = ArrangementForm(request.POST)
        if form.is_valid():
            try:
                services.arrangement_record(user=request.user, **form.cleaned_data)
            except services.FulfilmentError as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("The arrangement is recorded."))
                return redirect(request.path)
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = 400
        return response
