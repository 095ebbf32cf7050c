"""Staff views inside the Wagtail admin (wired by ``wagtail_hooks``).

Every action is a POST with CSRF to the inspect view; the service behind it checks the
user's permission for that transition, so a hand-made POST gets no further than a button.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail_modeladmin.views import InspectView, InstanceSpecificView, WMABaseView

from core.net import client_ip

from .choices import Outcome
from .forms import AnswerForm, ExtendForm, NoteForm, StaffRegisterForm, VerifyForm
from .selectors import identifier_rows, person_submissions, same_person_requests, timeline
from .services import (
    NON_FIELD,
    OFFICER_OUTCOMES,
    RightsRequestConflict,
    RightsRequestError,
    can_extend,
    rights_request_answer,
    rights_request_close,
    rights_request_create,
    rights_request_extend,
    rights_request_verify,
    rights_request_withdraw,
)

ACTION_FORMS = {
    "verify": VerifyForm,
    "answer": AnswerForm,
    "close": NoteForm,
    "withdraw": NoteForm,
    "extend": ExtendForm,
}
TRANSITION_LABELS = {
    "verify": gettext_lazy("Mark as verified"),
    "answer": gettext_lazy("Send the answer"),
    "close": gettext_lazy("Close"),
    "withdraw": gettext_lazy("Record withdrawal"),
    "extend": gettext_lazy("Extend once"),
}
NOTE_LABELS = {
    "verify": gettext_lazy("Evidence seen (required)"),
    "close": gettext_lazy("Note (optional)"),
    "withdraw": gettext_lazy("How the requester asked to withdraw (required)"),
}


def user_can_see_unmasked(user) -> bool:
    return user.has_perm("forms.view_unmasked_personal_data")


class RightsRequestInspectView(InspectView):
    """The request, its timeline, the person's data, and a form for each action the user may take now."""

    def get_template_names(self):
        return ["rights_requests/admin/inspect.html"]

    def get_page_subtitle(self):
        return self.instance.reference

    def get_fields_dict(self):
        return []

    def available_actions(self) -> list[str]:
        rr = self.instance
        names = [t.name for t in rr.get_available_user_state_transitions(self.request.user)]
        if can_extend(rr, self.request.user):
            names.append("extend")
        return names

    def build_forms(self, bound: dict | None = None) -> dict:
        forms = {}
        for name in self.available_actions():
            if bound and name in bound:
                forms[name] = bound[name]
                continue
            form = ACTION_FORMS[name](prefix=name, initial={"expected_state": self.instance.state})
            if name in NOTE_LABELS:
                form.fields["note"].label = NOTE_LABELS[name]
            if name == "verify":
                # Only identifiers not proven yet can be vouched for by staff.
                for key in ("mobile", "email"):
                    if not getattr(self.instance, f"{key}_hash") or getattr(self.instance, f"{key}_proven"):
                        del form.fields[f"{key}_proof_note"]
            if name == "answer" and not self.request.user.has_perm("rights_requests.refuse_rightsrequest"):
                # Only officers refuse or ask for a fee: don't offer what the service would refuse.
                form.fields["outcome"].choices = [
                    (value, label) for value, label in Outcome.choices if value not in OFFICER_OUTCOMES
                ]
                del form.fields["fee_amount"]
            forms[name] = form
        return forms

    def get_context_data(self, **kwargs):
        rr = self.instance
        user = self.request.user
        action_forms = kwargs.pop("action_forms", None) or self.build_forms()
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "rr": rr,
                "actions": [
                    {"name": name, "label": TRANSITION_LABELS[name], "form": form}
                    for name, form in action_forms.items()
                ],
                "timeline": timeline(rr),
                "other_requests": [
                    {"rr": other, "url": self.url_helper.get_action_url("inspect", other.pk)}
                    for other in same_person_requests(rr)[:20]
                ],
                "submissions": person_submissions(rr),
                "identifiers": identifier_rows(rr),
                "show_unmasked": user_can_see_unmasked(user),
                "days_left": rr.days_left(),
                "days_overdue": -rr.days_left(),
                "evidence_url": self.url_helper.get_action_url("evidence", self.pk_quoted)
                if rr.evidence
                else "",
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        rr = self.instance
        name = request.POST.get("action", "")
        if name not in ACTION_FORMS:
            raise PermissionDenied
        form = ACTION_FORMS[name](request.POST, request.FILES, prefix=name)
        if name in NOTE_LABELS:
            form.fields["note"].label = NOTE_LABELS[name]
        if form.is_valid():
            try:
                self.run_action(name, form.cleaned_data)
            except RightsRequestConflict as exc:
                messages.error(request, " ".join(exc.errors[NON_FIELD]))
                return self.render_with(name, form, status=409)
            except RightsRequestError as exc:
                form.add_service_errors(exc)
                return self.render_with(name, form, status=400)
            messages.success(request, _("%(reference)s: done.") % {"reference": rr.reference})
            return redirect(self.url_helper.get_action_url("inspect", self.pk_quoted))
        return self.render_with(name, form, status=400)

    def render_with(self, name, form, *, status):
        self.instance.refresh_from_db()
        forms = self.build_forms({name: form})
        if name not in forms:
            # The action is no longer possible (state changed): show the error on top instead.
            for errors in form.errors.values():
                for error in errors:
                    messages.error(self.request, error)
        context = self.get_context_data(action_forms=forms)
        return TemplateResponse(self.request, self.get_template_names(), context, status=status)

    def run_action(self, name, data):
        rr, user = self.instance, self.request.user
        expected = data.get("expected_state")
        if name == "verify":
            rights_request_verify(
                rights_request=rr,
                user=user,
                note=data["note"],
                evidence=data.get("evidence"),
                expected_state=expected,
                mobile_proof_note=data.get("mobile_proof_note", ""),
                email_proof_note=data.get("email_proof_note", ""),
            )
        elif name == "answer":
            rights_request_answer(
                rights_request=rr,
                user=user,
                outcome=data["outcome"],
                response=data["response"],
                ground=data.get("ground") or "",
                fee_amount=data.get("fee_amount"),
                expected_state=expected,
            )
        elif name == "close":
            rights_request_close(rights_request=rr, user=user, note=data["note"], expected_state=expected)
        elif name == "withdraw":
            rights_request_withdraw(rights_request=rr, user=user, note=data["note"], expected_state=expected)
        elif name == "extend":
            rights_request_extend(
                rights_request=rr, user=user, reason=data["reason"], expected_state=expected
            )


class RegisterView(WMABaseView):
    """Staff register a request that arrived by e-mail, phone or letter."""

    page_title = gettext_lazy("Register a rights request")

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_create(user)

    def get_template_names(self):
        return ["rights_requests/admin/register.html"]

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=StaffRegisterForm()))

    def post(self, request, *args, **kwargs):
        form = StaffRegisterForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rr = rights_request_create(
                    request_type=data["request_type"],
                    channel=data["channel"],
                    mobile=data["mobile"],
                    email=data["email"],
                    details=data["details"],
                    relationship=data["relationship"],
                    evidence=data.get("evidence"),
                    ip=client_ip(request),
                    user=request.user,
                    mobile_proof_note=data.get("mobile_proof_note", ""),
                    email_proof_note=data.get("email_proof_note", ""),
                )
            except RightsRequestError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("%(reference)s registered.") % {"reference": rr.reference})
                return redirect(self.url_helper.get_action_url("inspect", rr.pk))
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = 400
        return response


class EvidenceView(InstanceSpecificView):
    """The evidence document, to staff who may view the request; never from a public URL."""

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_inspect_obj(user, self.instance)

    def get(self, request, *args, **kwargs):
        rr = self.instance
        if not rr.evidence:
            raise Http404
        try:
            handle = rr.evidence.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        filename = f"{rr.reference}-evidence.{rr.evidence.name.rsplit('.', 1)[-1]}"
        response = FileResponse(handle, as_attachment=True, filename=filename)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
