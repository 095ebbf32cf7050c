"""Admin wiring for the staff data tools: URLs, the "Data tools" menu and permissions."""

from django.contrib.auth.models import Permission
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem

from core.admin import PermissionMenuItem
from forms.models import Purpose

from . import redirect_imports, services, views

app_name = "datatools"
urlpatterns = [
    path("exports/submissions/", views.SubmissionExportView.as_view(), name="export_submissions"),
    path("exports/rights-requests/", views.RightsRequestExportView.as_view(), name="export_rights_requests"),
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export_download"),
    path("exports/unmasked/", views.UnmaskedApprovalView.as_view(), name="unmasked_approvals"),
    path("exports/unmasked/<int:pk>/", views.UnmaskedApprovalView.as_view(), name="unmasked_decide"),
    path("imports/", views.ImportView.as_view(), name="import"),
    path("imports/<int:pk>/", views.ImportPreviewView.as_view(), name="import_preview"),
    path("log/", views.AuditLogView.as_view(), name="audit_log"),
    path("whitelist/", views.WhitelistDeskView.as_view(), name="whitelist"),
    path("whitelist/<int:pk>/", views.WhitelistChangeView.as_view(), name="whitelist_change"),
]


@hooks.register("register_admin_urls")
def register_datatools_urls():
    return [path("datatools/", include((urlpatterns, app_name), namespace=app_name))]


@hooks.register("register_admin_urls", order=-1)
def register_redirect_import_guard():
    """Wagtail's redirect import behind the spreadsheet limits, at Wagtail's own path and
    ahead of Wagtail's redirect URLs (``redirect_imports``)."""
    return [path("redirects/import/", redirect_imports.start_import, name="redirects_import_within_limits")]


def _item(label, url_name, icon, order, check):
    return PermissionMenuItem(
        label,
        reverse(f"datatools:{url_name}"),
        name=f"datatools-{url_name}",
        icon_name=icon,
        order=order,
        check=check,
    )


datatools_menu = Menu(
    register_hook_name="register_datatools_menu_item",
    construct_hook_name="construct_datatools_menu",
)


@hooks.register("register_datatools_menu_item")
def _export_submissions_item():
    return _item(
        _("Export submissions"), "export_submissions", "download", 100, services.can_export_submissions
    )


@hooks.register("register_datatools_menu_item")
def _export_rights_requests_item():
    return _item(
        _("Export rights requests"),
        "export_rights_requests",
        "download",
        110,
        services.can_export_rights_requests,
    )


@hooks.register("register_datatools_menu_item")
def _unmasked_approvals_item():
    return _item(
        _("Unmasked exports awaiting approval"),
        "unmasked_approvals",
        "warning",
        115,
        services.can_approve_unmasked,
    )


@hooks.register("register_datatools_menu_item")
def _import_item():
    return _item(_("Import a sign-up sheet"), "import", "upload", 120, services.can_import)


@hooks.register("register_datatools_menu_item")
def _audit_item():
    return _item(
        _("Exports and imports"), "audit_log", "list-ul", 130, lambda u: u.has_perm(services.AUDIT_PERMISSION)
    )


@hooks.register("register_datatools_menu_item")
def _whitelist_item():
    return _item(
        _("Whitelist desk"), "whitelist", "list-ul", 140, lambda u: u.has_perm(services.OFFICER_PERMISSION)
    )


@hooks.register("register_admin_menu_item")
def register_datatools_menu():
    return SubmenuMenuItem(_("Data tools"), datatools_menu, name="datatools", icon_name="table", order=720)


@hooks.register("before_edit_snippet")
def preview_whitelist_impact(request, instance):
    """Before a purpose's whitelist is saved from its edit page, show the campaign pages the
    change would break and save only once the officer confirms."""

    if request.method != "POST" or not isinstance(instance, Purpose) or request.POST.get("impact_confirmed"):
        return None
    allowed = views.posted_whitelist(request.POST)
    if allowed is None:
        return None
    impact = [
        item
        for item in services.whitelist_impact(
            purpose=instance, allowed=allowed, sms_required=bool(request.POST.get("sms_required"))
        )
        if not item["already"]
    ]
    if not impact:
        return None
    return views.WhitelistConfirmView.as_view()(request, purpose=instance, impact=impact)


@hooks.register("register_log_actions")
def register_datatools_log_actions(actions):
    """Labels for the history screens: who asked for an export in clear, who approved or refused
    it, and who downloaded the file. The reason and the notes stay in the entry's data and on
    the audit log page: Wagtail's site history shows these entries to anyone holding any
    permission on export records, marketers included."""
    for action, label in (
        ("datatools.unmasked_export_requested", _("Unmasked export requested")),
        ("datatools.unmasked_export_approved", _("Unmasked export approved")),
        ("datatools.unmasked_export_refused", _("Unmasked export refused")),
        ("datatools.unmasked_export_downloaded", _("Unmasked export downloaded")),
    ):
        actions.register_action(action, label, label)


@hooks.register("register_permissions")
def register_datatools_permissions():
    return Permission.objects.filter(content_type__app_label="datatools")


@hooks.register("export_rights_request_listing")
def export_rights_request_listing(request):
    """The rights-request listing's ``?export=``: recorded, permission-gated and escaped here."""
    return views.modeladmin_export(request)


@hooks.register("campaign_submissions_list_view")
def campaign_submissions_list_view():
    """Campaign pages list and export their submissions through the data tools' rules."""
    return views.CampaignSubmissionsListView
