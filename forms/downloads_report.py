"""Admin report: how often each e-mailed download was used (no personal data shown)."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView
from wagtail.documents import get_document_model
from wagtail.permission_policies import ModelPermissionPolicy

from core.admin_listing import BoundedSearchMixin
from core.escaping import EscapedSpreadsheetExportMixin

from .models import DocumentDownload
from .selectors import sees_sensitive_submissions, submissions_visible_to


class DocumentDownloadsReportView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, ReportView):
    page_title = _("Downloads")
    header_icon = "download"
    index_url_name = "sms_downloads_report"
    index_results_url_name = "sms_downloads_report_results"
    permission_policy = ModelPermissionPolicy(DocumentDownload)
    permission_required = "view"
    columns = [
        Column("title", label=_("Document")),
        Column("download_count", label=_("Downloads")),
        DateColumn("last_download", label=_("Last download")),
    ]
    list_export = ["title", "download_count", "last_download"]
    export_headings = {
        "title": _("Document"),
        "download_count": _("Downloads"),
        "last_download": _("Last download"),
    }

    def get_queryset(self):
        downloads = DocumentDownload.objects.filter(document=OuterRef("pk"))
        user = self.request.user
        if not sees_sensitive_submissions(user):
            # Only downloads behind submissions this user may read (their campaigns).
            downloads = downloads.filter(submission_id__in=submissions_visible_to(user).values("pk"))
        count = downloads.order_by().values("document").annotate(n=Count("pk")).values("n")
        last = downloads.order_by("-downloaded_at").values("downloaded_at")[:1]
        return (
            get_document_model()
            .objects.annotate(
                download_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
                last_download=Subquery(last),
            )
            .filter(download_count__gt=0)
            .order_by("-download_count", "title")
        )
