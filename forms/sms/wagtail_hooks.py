from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permission_policies import ModelPermissionPolicy

from .models import DocumentDownload
from .views import DocumentDownloadsReportView


@hooks.register("register_admin_urls")
def register_downloads_report_urls():
    return [
        path("reports/downloads/", DocumentDownloadsReportView.as_view(), name="sms_downloads_report"),
        path(
            "reports/downloads/results/",
            DocumentDownloadsReportView.as_view(results_only=True),
            name="sms_downloads_report_results",
        ),
    ]


class DownloadsReportMenuItem(MenuItem):
    def is_shown(self, request):
        return ModelPermissionPolicy(DocumentDownload).user_has_permission(request.user, "view")


@hooks.register("register_reports_menu_item")
def register_downloads_report_menu_item():
    return DownloadsReportMenuItem(
        _("Downloads"),
        reverse("sms_downloads_report"),
        name="downloads",
        icon_name="download",
        order=1200,
    )
