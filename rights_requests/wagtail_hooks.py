"""Staff admin for rights requests (wagtail-modeladmin), menu "Rights requests".

Nobody edits or deletes a request through generic forms: state changes only through the
actions on the inspect page, which run the services and their permission checks.
"""

from datetime import timedelta
from functools import wraps

from django.contrib.admin import SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import re_path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.defaults import permission_denied
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.helpers.search import BaseSearchHandler

from core.admin_listing import DeclaredListingModelAdmin, DeclaredParametersIndexView
from core.escaping import EscapedSpreadsheetExportMixin, FileFormat

from .admin_views import EvidenceView, RegisterView, RightsRequestInspectView
from .choices import State
from .models import RightsRequest, today
from .selectors import search_rights_requests

AMBER_DAYS = 3
# The app that records, gates and escapes exports (the data tools) answers the listing's export.
EXPORT_LISTING_HOOK = "export_rights_request_listing"


def forbidden_is_403(view):
    """Wagtail's admin turns PermissionDenied into a redirect to the dashboard; answer 403 instead,
    so that a refused user gets a refusal and not a page that looks like success."""

    @wraps(view)
    def wrapped(model_admin, request, *args, **kwargs):
        try:
            return view(model_admin, request, *args, **kwargs)
        except PermissionDenied as exc:
            return permission_denied(request, exc)

    return wrapped


def admin_column(label):
    def decorate(method):
        method.short_description = label
        return method

    return decorate


class RightsRequestPermissionHelper(PermissionHelper):
    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False

    def user_can_inspect_obj(self, user, obj):
        return self.user_has_specific_permission(user, "view_rightsrequest")

    def user_can_list(self, user):
        return self.user_has_specific_permission(user, "view_rightsrequest")


class RightsRequestButtonHelper(ButtonHelper):
    def add_button(self, classnames_add=None, classnames_exclude=None):
        button = super().add_button(classnames_add, classnames_exclude)
        button["label"] = _("Register a request")
        return button


class HashSearchHandler(BaseSearchHandler):
    def search_queryset(self, queryset, search_term, **kwargs):
        return search_rights_requests(queryset, search_term)


class OverdueFilter(SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("soon", _("Due within 3 days"))]

    def queryset(self, request, queryset):
        open_states = [State.RECEIVED, State.VERIFIED]
        on = today()
        if self.value() == "overdue":
            return queryset.filter(state__in=open_states, due_date__lt=on)
        if self.value() == "soon":
            return queryset.filter(
                state__in=open_states, due_date__gte=on, due_date__lte=on + timedelta(days=AMBER_DAYS)
            )
        return queryset


class RightsRequestIndexView(EscapedSpreadsheetExportMixin, DeclaredParametersIndexView):
    """The listing; its ``?export=`` (checked like the listing's other parameters first) is
    recorded, permission-gated and escaped by the data tools."""

    FORMATS = tuple(FileFormat.values)

    def as_spreadsheet(self, queryset, spreadsheet_format):
        for fn in hooks.get_hooks(EXPORT_LISTING_HOOK):
            return fn(self.request)
        raise Http404


class RightsRequestAdmin(DeclaredListingModelAdmin):
    model = RightsRequest
    menu_label = _("Rights requests")
    menu_icon = "mail"
    menu_order = 250
    add_to_settings_menu = False
    list_display = (
        "reference_column",
        "request_type",
        "state_column",
        "requester_column",
        "received_at",
        "days_left_column",
        "repeat_column",
    )
    list_filter = ("state", "request_type", "channel", OverdueFilter)
    # The spreadsheet export carries no contact data: deadlines and outcomes only.
    list_export = (
        "reference",
        "request_type",
        "channel",
        "state",
        "received_at",
        "due_date",
        "extended_at",
        "repeat_count",
        "outcome",
        "refusal_ground",
        "closure_reason",
    )
    export_filename = "rights-requests"
    search_fields = ("reference",)
    search_handler_class = HashSearchHandler
    list_per_page = 50
    ordering = ("due_date", "-received_at")
    inspect_view_enabled = True
    history_view_enabled = False
    inspect_view_class = RightsRequestInspectView
    create_view_class = RegisterView
    index_view_class = RightsRequestIndexView
    permission_helper_class = RightsRequestPermissionHelper
    button_helper_class = RightsRequestButtonHelper

    def get_search_handler(self, request, search_fields=None):
        return HashSearchHandler(search_fields)

    @admin_column(_("reference"))
    def reference_column(self, obj):
        url = self.url_helper.get_action_url("inspect", obj.pk)
        return format_html('<a href="{}" data-testid="rr-row-{}">{}</a>', url, obj.reference, obj.reference)

    @admin_column(_("state"))
    def state_column(self, obj):
        return format_html('<span data-testid="rr-state">{}</span>', obj.get_state_display())

    @admin_column(_("requester"))
    def requester_column(self, obj):
        return obj.masked_requester

    @admin_column(_("days left"))
    def days_left_column(self, obj):
        if obj.state not in (State.RECEIVED, State.VERIFIED):
            return "—"
        days = obj.days_left()
        if days < 0:
            style, label = "color:#b42318;font-weight:700", _("%(days)d overdue") % {"days": -days}
        elif days <= AMBER_DAYS:
            style, label = "color:#b54708;font-weight:700", str(days)
        else:
            style, label = "", str(days)
        return format_html('<span style="{}" data-testid="rr-days-left">{}</span>', style, label)

    @admin_column(_("repeat"))
    def repeat_column(self, obj):
        if not obj.is_repeat:
            return ""
        return format_html(
            '<span title="{}" data-testid="rr-repeat">↻ {}</span>',
            _("Earlier requests of this type by the same person in 12 months"),
            obj.repeat_count,
        )

    def get_admin_urls_for_registration(self):
        urls = super().get_admin_urls_for_registration()
        return (
            *urls,
            re_path(
                self.url_helper.get_action_url_pattern("evidence"),
                self.evidence_view,
                name=self.url_helper.get_action_url_name("evidence"),
            ),
        )

    @forbidden_is_403
    def evidence_view(self, request, instance_pk):
        return EvidenceView.as_view(model_admin=self, instance_pk=instance_pk)(request)

    @forbidden_is_403
    def index_view(self, request):
        return super().index_view(request)

    @forbidden_is_403
    def create_view(self, request):
        return super().create_view(request)

    @forbidden_is_403
    def inspect_view(self, request, instance_pk):
        return super().inspect_view(request, instance_pk)

    @forbidden_is_403
    def edit_view(self, request, instance_pk):
        return super().edit_view(request, instance_pk)

    @forbidden_is_403
    def delete_view(self, request, instance_pk):
        return super().delete_view(request, instance_pk)


rights_request_admin = RightsRequestAdmin()
rights_request_admin.register_with_wagtail()


class RightsRequestsPanel(Component):
    """The privacy staff's morning: what is due within three days, overdue, or unverified."""

    name = "rights_requests"
    order = 90
    template_name = "rights_requests/admin/dashboard_panel.html"
    LIMIT = 5

    def get_context_data(self, parent_context):
        index_url = rights_request_admin.url_helper.index_url
        on = today()
        open_requests = RightsRequest.objects.filter(state__in=[State.RECEIVED, State.VERIFIED])
        groups = [
            (
                _("Overdue"),
                "overdue",
                open_requests.filter(due_date__lt=on),
                f"{index_url}?deadline=overdue",
            ),
            (
                _("Due within 3 days"),
                "soon",
                open_requests.filter(due_date__gte=on, due_date__lte=on + timedelta(days=AMBER_DAYS)),
                f"{index_url}?deadline=soon",
            ),
            (
                _("Awaiting verification"),
                "unverified",
                RightsRequest.objects.filter(state=State.RECEIVED),
                f"{index_url}?state__exact={State.RECEIVED}",
            ),
        ]
        return {
            "groups": [
                {
                    "label": label,
                    "key": key,
                    "count": queryset.count(),
                    "items": [
                        {
                            "request": rr,
                            "url": rights_request_admin.url_helper.get_action_url("inspect", rr.pk),
                        }
                        for rr in queryset.order_by("due_date", "received_at")[: self.LIMIT]
                    ],
                    "url": url,
                }
                for label, key, queryset, url in groups
            ],
            "index_url": index_url,
        }


@hooks.register("construct_homepage_panels")
def add_rights_requests_panel(request, panels):
    if request.user.has_perm("rights_requests.view_rightsrequest"):
        panels.append(RightsRequestsPanel())
