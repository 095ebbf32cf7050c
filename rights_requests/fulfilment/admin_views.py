"""Staff views in the Wagtail admin: fulfilling one request, minors, restricted records, registers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import StaffView
from forms import catalogue
from forms.models import Purpose
from forms.selectors import campaign_pages_visible_to
from rights_requests.choices import RequestType
from rights_requests.models import RightsRequest
from rights_requests.selectors import identifier_rows

from . import services, tasks
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


class FulfilmentView(StaffView):
    """A fulfilment page: for the holders of the fulfil permission unless a view names another."""

    permission = services.FULFIL_PERMISSION


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


class RevealMixin:
    """Sensitive values are masked for everyone; a Privacy officer reveals them by a POST with a
    reason, for that one response, and the view is recorded (who, when, why, which records)."""

    reveal_what = ""

    def can_reveal(self) -> bool:
        return self.request.user.has_perm(services.UNMASKED_PERMISSION)

    def reveal(self, submissions, rights_request=None) -> bool:
        """True when this POST asks to reveal with a valid reason (recorded); errors go to messages."""
        request = self.request
        if request.method != "POST" or request.POST.get("action") != "reveal":
            return False
        if not self.can_reveal():
            raise PermissionDenied
        try:
            reason = services.reveal_reason(request.POST.get("reason"))
        except services.FulfilmentError as exc:
            for message_list in exc.errors.values():
                for message in message_list:
                    messages.error(request, message)
            return False
        services.record_unmasked_view(
            user=request.user,
            reason=reason,
            what=self.reveal_what,
            submission_ids=[s.pk for s in submissions],
            rights_request=rights_request,
        )
        return True


class RequestFulfilmentView(RevealMixin, FulfilmentView):
    """The person's data for one request and the actions its right allows."""

    template_name = "fulfilment/admin/request.html"
    page_title = gettext_lazy("Fulfil a rights request")
    reveal_what = "fulfilment request page"

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
        person = kwargs.pop("person", None) or self.person()
        unmasked = kwargs.pop("unmasked", False)
        packages = list(rr.access_packages.select_related("built_by", "approved_by"))
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
                "packages": packages,
                "pending": [
                    {"package": p, "can_approve": services.can_approve_package(p, user)}
                    for p in packages
                    if p.awaits_approval
                ],
                "unmasked": unmasked,
                "can_reveal": self.can_reveal() and not unmasked and bool(person.submissions),
                "identifiers": identifier_rows(rr),
                "can_approve_transfer": user.has_perm(services.APPROVE_TRANSFER_PERMISSION),
                "forms": kwargs.get("forms") or self.forms(person=person),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        rr, user = self.rr, request.user
        action = request.POST.get("action", "")
        person = self.person()
        if action == "reveal":
            unmasked = self.reveal(person.submissions, rights_request=rr)
            return self.render_to_response(self.get_context_data(person=person, unmasked=unmasked))
        if action in ("approve_package", "release_masked"):
            return self.package_decision(action, person)
        form_classes = {
            "transfer": lambda: TransferForm(request.POST, prefix="transfer"),
            "correct": lambda: CorrectForm(request.POST, prefix="correct", submissions=person.submissions),
            "withdraw": lambda: WithdrawForm(request.POST, prefix="withdraw", purposes=Purpose.objects.all()),
            "erase": lambda: EraseForm(request.POST, prefix="erase"),
            "deceased": lambda: DeceasedForm(request.POST, prefix="deceased"),
        }
        try:
            if action == "package":
                tasks.package_request(rights_request=rr, user=user)
                messages.success(
                    request,
                    _(
                        "The package is being built: it is released and the request answered when"
                        " ready, or it waits for a Privacy officer's approval when it holds sensitive"
                        " values in clear."
                    ),
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

    def package_decision(self, action, person):
        request, rr = self.request, self.rr
        package = rr.access_packages.filter(pk=_int(request.POST.get("package"))).first()
        if package is None:
            raise PermissionDenied
        try:
            if action == "approve_package":
                services.package_approve(
                    package=package, user=request.user, note=request.POST.get("note", "")
                )
                messages.success(request, _("Approved: the copy is released to the requester."))
            else:
                services.package_release_masked(package=package, user=request.user)
                messages.success(request, _("A masked copy is released to the requester."))
        except services.FulfilmentError as exc:
            for message_list in exc.errors.values():
                for message in message_list:
                    messages.error(request, message)
            self.rr.refresh_from_db()
            return self.render_to_response(self.get_context_data(person=person), status=400)
        return redirect(request.path)

    def render_to_response(self, context, status=200, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response.status_code = status
        response["Cache-Control"] = "private, no-store"
        return response


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PendingPackagesView(FulfilmentView):
    """Packages with sensitive values in clear, waiting for a second person's approval."""

    permission = services.APPROVE_CLEAR_PERMISSION
    template_name = "fulfilment/admin/pending_packages.html"
    page_title = gettext_lazy("Packages awaiting approval")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["rows"] = [
            {
                "package": p,
                "url": reverse("fulfilment_request", args=(p.rights_request_id,)),
                "can_approve": services.can_approve_package(p, user),
            }
            for p in services.pending_packages()[:500]
        ]
        return context


class MinorsView(FulfilmentView):
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


class OfficerListView(FulfilmentView):
    kind = ""

    def dispatch(self, request, *args, **kwargs):
        self.permission = OFFICER_PERMISSIONS[self.kind]
        return super().dispatch(request, *args, **kwargs)


class RestrictedView(RevealMixin, OfficerListView):
    kind = "restricted"
    template_name = "fulfilment/admin/restricted.html"
    page_title = gettext_lazy("Restricted records")
    reveal_what = "restricted records"

    def get_context_data(self, **kwargs):
        unmasked = kwargs.pop("unmasked", False)
        submissions = kwargs.pop("submissions", None)
        if submissions is None:
            submissions = list(restricted_submissions()[:500])
        context = super().get_context_data(**kwargs)
        context["records"] = [{"submission": s, "fields": _masked_fields(s, unmasked)} for s in submissions]
        context["unmasked"] = unmasked
        context["can_reveal"] = self.can_reveal() and not unmasked and bool(submissions)
        return context

    def post(self, request, *args, **kwargs):
        submissions = list(restricted_submissions()[:500])
        unmasked = self.reveal(submissions)
        response = self.render_to_response(self.get_context_data(submissions=submissions, unmasked=unmasked))
        response["Cache-Control"] = "private, no-store"
        return response


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


class ArrangementView(FulfilmentView):
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


class SubmissionErasureView(FulfilmentView):
    """Replaces Wagtail's "delete submissions" on a campaign's listing: the chosen rows are
    erased (tombstones, ledger entry, page history), never deleted without a trace."""

    template_name = "fulfilment/admin/erase_submissions.html"
    page_title = gettext_lazy("Erase submissions")
    header_icon = "bin"

    def dispatch(self, request, *args, **kwargs):
        if not services.may_erase_listed_submissions(request.user):
            raise PermissionDenied
        self.page = get_object_or_404(campaign_pages_visible_to(request.user), pk=kwargs["page_id"])
        self.chosen = request.GET.getlist("selected-submissions")
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.page.get_admin_display_title()

    def listing_url(self):
        return reverse("wagtailforms:list_submissions", args=(self.page.pk,))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        submissions = services.erasable_submissions(
            user=self.request.user, page=self.page, submission_ids=self.chosen
        )
        context.update(
            {
                "page": self.page,
                "submissions": submissions.order_by("submit_time"),
                "back": self.listing_url(),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            result = services.erase_listed_submissions(
                user=request.user, page=self.page, submission_ids=self.chosen
            )
        except services.FulfilmentError as exc:
            messages.error(request, str(exc))
            return redirect(self.listing_url())
        messages.success(
            request,
            _("%(count)d submissions erased; the erasure ledger records it.")
            % {"count": result.erased_count},
        )
        return redirect(self.listing_url())
