"""Wagtail admin views: exports, imports, the audit log, the whitelist desk and incidents.

Every view checks its permission itself and answers a refused user with 403 (not
Wagtail's redirect to the dashboard), so a refusal never looks like success.
"""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import permission_denied
from wagtail.contrib.forms.views import SubmissionsListView

from core.admin import StaffView
from core.admin_listing import BoundedSearchMixin
from core.escaping import EscapedSpreadsheetExportMixin
from forms import catalogue
from forms.models import Purpose
from forms.selectors import may_erase_submissions, submissions_visible_to
from rights_requests.choices import RequestType, State

from . import services
from .choices import ExportKind, FileFormat, ImportState
from .forms import (
    ImportForm,
    RightsRequestExportForm,
    SubmissionExportForm,
    UnmaskedDecisionForm,
    WhitelistChangeForm,
)
from .models import ExportRecord, ImportRecord


def file_response(record: ExportRecord, handle) -> FileResponse:
    return FileResponse(
        handle,
        as_attachment=True,
        filename=services.export_filename(record),
        content_type=services.CONTENT_TYPES[record.file_format],
    )


def run_export(request, record: ExportRecord, *, back: str):
    """Answer an export request: the file at once, or a note that it will be ready soon (or,
    for an unmasked export, that it waits for a second Privacy officer)."""
    if record.awaits_approval:
        messages.warning(
            request,
            _(
                "Your unmasked export #%(id)s is recorded and waits for a second Privacy officer. Nothing "
                "is written until one approves it; then it runs in the background and you get an e-mail "
                "with a link."
            )
            % {"id": record.pk},
        )
        return redirect(back)
    if record.background:
        messages.success(
            request,
            _(
                "The export of %(rows)s rows runs in the background. You will get an e-mail when it "
                "is ready; it also appears under “Your exports”."
            )
            % {"rows": record.row_count},
        )
        return redirect(back)
    services.export_write(record=record)
    return file_response(record, services.export_take_file(record=record, user=request.user))


# --- exports ----------------------------------------------------------------------------------


class SubmissionExportView(StaffView):
    template_name = "datatools/export_submissions.html"
    page_title = _("Export submissions")

    def allowed(self, user):
        return services.can_export_submissions(user)

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return SubmissionExportForm(data, user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.get_form())
        context["my_exports"] = ExportRecord.objects.filter(user=self.request.user)[:10]
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            record = services.export_start(
                user=request.user,
                kind=ExportKind.SUBMISSIONS,
                file_format=form.cleaned_data["file_format"],
                purpose=form.cleaned_data["purpose"],
                page=form.cleaned_data.get("page"),
                filters=form.filters(),
                unmasked=bool(form.cleaned_data.get("unmasked")),
                reason=form.cleaned_data.get("reason", ""),
            )
        except services.ExportRefused as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return run_export(request, record, back=reverse("datatools:export_submissions"))


class RightsRequestExportView(StaffView):
    template_name = "datatools/export_rights_requests.html"
    page_title = _("Export rights requests")

    def allowed(self, user):
        return services.can_export_rights_requests(user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form", RightsRequestExportForm(initial={"file_format": self.request.GET.get("format")})
        )
        context["my_exports"] = ExportRecord.objects.filter(user=self.request.user)[:10]
        return context

    def post(self, request, *args, **kwargs):
        form = RightsRequestExportForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        record = services.export_start(
            user=request.user,
            kind=ExportKind.RIGHTS_REQUESTS,
            file_format=form.cleaned_data["file_format"],
            filters=form.filters(),
        )
        return run_export(request, record, back=reverse("datatools:export_rights_requests"))


class ExportDownloadView(StaffView):
    page_title = _("Download an export")
    template_name = "datatools/export_gone.html"

    def allowed(self, user):
        return services.can_export_submissions(user) or services.can_export_rights_requests(user)

    def get(self, request, pk):
        record = get_object_or_404(ExportRecord, pk=pk)
        try:
            handle = services.export_take_file(record=record, user=request.user)
        except services.ExportRefused as exc:
            return self.render_to_response(
                self.get_context_data(message=exc.message, record=record), status=410
            )
        return file_response(record, handle)


def modeladmin_export(request):
    """wagtail-modeladmin's ``?export=`` on the rights-request listing: closed to anyone
    without the export permission, otherwise the same recorded export as the data tools."""

    if not services.can_export_rights_requests(request.user):
        return permission_denied(request, PermissionDenied())
    chosen = request.GET.get("export")
    state = request.GET.get("state__exact", "")
    request_type = request.GET.get("request_type__exact", "")
    record = services.export_start(
        user=request.user,
        kind=ExportKind.RIGHTS_REQUESTS,
        file_format=chosen if chosen in FileFormat.values else FileFormat.CSV,
        filters={
            "state": state if state in State.values else "",
            "request_type": request_type if request_type in RequestType.values else "",
        },
    )
    return run_export(request, record, back=reverse("datatools:export_rights_requests"))


class CampaignSubmissionsListView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, SubmissionsListView):
    """Wagtail's submissions listing for campaign pages, whose CSV/XLSX export runs
    through the same rules as the data tools: export permission, the marketing
    exclusions, formula escaping and an audit record. Wagtail's own spreadsheet writer is
    not reached; should it be, its cells are escaped all the same."""

    results_template_name = "datatools/list_submissions.html"

    def get_base_queryset(self):
        # Only the rows this user may read (by the purpose each was collected under); each
        # row shows its policy version: one join instead of a query per row.
        queryset = submissions_visible_to(self.request.user, queryset=super().get_base_queryset())
        return queryset.select_related("policy_version")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_erase"] = may_erase_submissions(self.request.user)
        return context

    def dispatch(self, request, *args, **kwargs):
        if request.GET.get("export") is None:
            return super().dispatch(request, *args, **kwargs)
        page = kwargs.get("form_page")
        chosen = request.GET.get("export")
        try:
            if not services.can_export_submissions(request.user):
                raise PermissionDenied
            record = services.export_start(
                user=request.user,
                kind=ExportKind.SUBMISSIONS,
                file_format=chosen if chosen in FileFormat.values else FileFormat.CSV,
                purpose=page.purpose,
                page=page,
                filters=_listing_filters(request),
            )
        except PermissionDenied as exc:
            return permission_denied(request, exc)
        back = reverse("wagtailforms:list_submissions", args=(page.pk,))
        return run_export(request, record, back=back)


def _listing_filters(request) -> dict:
    filters = {}
    # The listing's own date filter (Wagtail's ``SubmissionsListFilterSet``, ``date_from`` and
    # ``date_to``): the export holds the rows the listing shows, not every row of the page.
    for key in ("date_from", "date_to"):
        value = (request.GET.get(key) or "").strip()[:10]
        if value:
            filters[key] = value

    for key, value in list(filters.items()):
        try:
            date.fromisoformat(value)
        except ValueError:
            del filters[key]
    return filters


class UnmaskedApprovalView(StaffView):
    """Unmasked exports waiting for a second Privacy officer, who approves or refuses each one."""

    template_name = "datatools/unmasked_approvals.html"
    page_title = _("Unmasked exports awaiting approval")
    header_icon = "warning"

    def allowed(self, user):
        return services.can_approve_unmasked(user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        failed_pk, failed_form = kwargs.get("failed_pk"), kwargs.get("failed_form")
        context["rows"] = [
            {
                "record": record,
                "refusal": services.export_approval_refusal(record, user),
                "form": failed_form if record.pk == failed_pk else UnmaskedDecisionForm(),
            }
            for record in services.unmasked_exports_awaiting()[:500]
        ]
        if failed_form is not None and all(row["record"].pk != failed_pk for row in context["rows"]):
            context["error_form"] = failed_form
        return context

    def get(self, request, *args, **kwargs):
        if kwargs.get("pk") is not None:
            return redirect("datatools:unmasked_approvals")
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is None:
            raise Http404
        record = get_object_or_404(ExportRecord.objects.select_related("user", "purpose"), pk=pk)
        form = UnmaskedDecisionForm(request.POST)
        if form.is_valid():
            try:
                if form.cleaned_data["action"] == "approve":
                    services.export_approve(record=record, user=request.user, note=form.cleaned_data["note"])
                    messages.success(
                        request,
                        _("Export #%(id)s approved; it runs in the background and its requester is told.")
                        % {"id": record.pk},
                    )
                else:
                    services.export_refuse(record=record, user=request.user, note=form.cleaned_data["note"])
                    messages.success(
                        request, _("Export #%(id)s refused; nothing was written.") % {"id": record.pk}
                    )
                return redirect("datatools:unmasked_approvals")
            except services.ExportRefused as exc:
                form.add_error(None, exc.message)
        return self.render_to_response(
            self.get_context_data(failed_pk=record.pk, failed_form=form), status=400
        )


# --- imports ----------------------------------------------------------------------------------


class ImportView(StaffView):
    template_name = "datatools/import.html"
    page_title = _("Import a sign-up sheet")
    header_icon = "upload"

    def allowed(self, user):
        return services.can_import(user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ImportForm(user=self.request.user))
        context["max_mb"] = f"{settings.DATATOOLS_IMPORT_MAX_BYTES / 1048576:g}"
        return context

    def post(self, request, *args, **kwargs):
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            refusal = form.size_refusal()
            record = None
            if refusal and form.cleaned_data.get("page") is not None:
                record = services.import_refuse(
                    user=request.user,
                    page=form.cleaned_data["page"].specific,
                    original_name=request.FILES["sheet"].name,
                    message=refusal,
                )
            return self.render_to_response(self.get_context_data(form=form, record=record), status=400)
        record, check = services.import_check(
            user=request.user, page=form.cleaned_data["page"].specific, uploaded=form.cleaned_data["sheet"]
        )
        if record.state == ImportState.PREVIEWED:
            return redirect("datatools:import_preview", pk=record.pk)
        return self.render_to_response(
            self.get_context_data(form=form, record=record, check=check), status=400
        )


class ImportPreviewView(StaffView):
    template_name = "datatools/import_preview.html"
    page_title = _("Check the import")
    header_icon = "upload"

    def allowed(self, user):
        return services.can_import(user)

    def get_record(self):
        record = get_object_or_404(ImportRecord, pk=self.kwargs["pk"])
        if record.user_id != self.request.user.pk:
            raise PermissionDenied
        return record

    def get(self, request, *args, **kwargs):
        record = self.get_record()
        check = None
        if record.state == ImportState.PREVIEWED:
            try:
                check = services.import_preview(record=record, user=request.user)
            except services.ImportRefused as exc:
                messages.error(request, exc.message)
        return self.render_to_response(self.get_context_data(record=record, check=check))

    def post(self, request, *args, **kwargs):
        record = self.get_record()
        if request.POST.get("action") == "discard":
            services.import_discard(record=record, user=request.user)
            messages.success(request, _("The upload was discarded; nothing was imported."))
            return redirect("datatools:import")
        try:
            count = services.import_confirm(record=record, user=request.user)
        except services.ImportRefused as exc:
            messages.error(request, exc.message)
            return redirect("datatools:import_preview", pk=record.pk)
        messages.success(request, _("%(count)s submissions were imported.") % {"count": count})
        return redirect("datatools:import_preview", pk=record.pk)


# --- the audit log ----------------------------------------------------------------------------


class AuditLogView(StaffView):
    template_name = "datatools/audit_log.html"
    page_title = _("Exports and imports")
    header_icon = "list-ul"

    permission = services.AUDIT_PERMISSION

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["exports"] = ExportRecord.objects.select_related(
            "user", "purpose", "page", "approved_by", "refused_by"
        )[:200]
        context["imports"] = ImportRecord.objects.select_related("user", "purpose", "page")[:200]
        return context


# --- the whitelist desk -----------------------------------------------------------------------


class WhitelistDeskView(StaffView):
    template_name = "datatools/whitelist_desk.html"
    page_title = _("Whitelist desk")
    header_icon = "list-ul"

    permission = services.OFFICER_PERMISSION

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for purpose in Purpose.objects.prefetch_related("fields", "pages"):
            keys = purpose.allowed_field_keys()
            rows.append(
                {
                    "purpose": purpose,
                    "fields": [
                        {"label": d.label, "key": d.key, "optional": d.key in purpose.optional_only_keys()}
                        for d in catalogue.FIELDS.values()
                        if d.key in keys
                    ],
                    "revisions": purpose.revisions.order_by("-created_at").select_related("user")[:3],
                    "history_url": reverse("wagtailsnippets_forms_purpose:history", args=(purpose.pk,)),
                    "change_url": reverse("datatools:whitelist_change", args=(purpose.pk,)),
                }
            )
        context["rows"] = rows
        return context


class WhitelistChangeView(StaffView):
    template_name = "datatools/whitelist_change.html"
    page_title = _("Change a purpose's whitelist")
    header_icon = "list-ul"

    permission = services.OFFICER_PERMISSION

    def get_purpose(self):
        return get_object_or_404(Purpose, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        purpose = kwargs.get("purpose") or self.get_purpose()
        context["purpose"] = purpose
        context.setdefault("form", WhitelistChangeForm(purpose=purpose))
        return context

    def post(self, request, *args, **kwargs):
        purpose = self.get_purpose()
        form = WhitelistChangeForm(request.POST, purpose=purpose)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(purpose=purpose, form=form), status=400)
        allowed = form.allowed()
        sms_required = form.cleaned_data["sms_required"]
        impact = services.whitelist_impact(purpose=purpose, allowed=allowed, sms_required=sms_required)
        if request.POST.get("action") != "save":
            return self.render_to_response(
                self.get_context_data(purpose=purpose, form=form, impact=impact, previewed=True)
            )
        services.whitelist_change(
            purpose=purpose,
            user=request.user,
            allowed=allowed,
            sms_required=sms_required,
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request,
            _("The whitelist of %(purpose)s was saved as a new revision; %(count)s pages are affected.")
            % {"purpose": purpose, "count": len(impact)},
        )
        return redirect("datatools:whitelist")


class WhitelistConfirmView(StaffView):
    """The impact of a whitelist change made on the purpose's own edit page, shown before it
    is saved; confirming posts the same form again."""

    template_name = "datatools/whitelist_confirm.html"
    page_title = _("Confirm the whitelist change")
    header_icon = "warning"

    permission = services.OFFICER_PERMISSION

    def post(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        context["fields"] = [
            (name, value)
            for name, values in request.POST.lists()
            if name != "csrfmiddlewaretoken"
            for value in values
        ]
        context["action"] = request.get_full_path()
        return self.render_to_response(context)


def posted_whitelist(data, prefix: str = "fields") -> dict[str, bool] | None:
    """The allowed fields an inline-panel POST of a purpose would save, or None if it has none."""
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", ""))
    except ValueError:
        return None
    allowed = {}
    for index in range(min(total, 100)):
        key = data.get(f"{prefix}-{index}-field_key", "")
        deleted = data.get(f"{prefix}-{index}-DELETE", "") not in ("", "0", "false", "False")
        if key and not deleted:
            allowed[key] = data.get(f"{prefix}-{index}-required", "") not in ("", "0", "false", "False")
    return allowed
