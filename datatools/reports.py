"""Wagtail's own reports and listings that export CSV/XLSX, with their cells escaped.

Wagtail writes the CSV cells of its reports as they are (a page title, a log label, a
redirect's target may start with ``=``) and leaves XLSX headings free to become
formulas. Each view here is Wagtail's own class behind ``EscapedSpreadsheetExportMixin``,
routed (by ``cms.urls``, ahead of Wagtail's admin URLs) at the very path of the view it
replaces, with its results view beside it; Wagtail's URL names keep working, as they
reverse to the same paths. Wagtail's listings with no export columns (users, groups,
documents, images, sites, collections, workflows, snippets, page types) export no cells
and are left as they are; ``tests/security/test_tabular_outputs.py`` fails when a new one
gains columns.
"""

from django.urls import path
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.reports.aging_pages import AgingPagesView
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.views.reports.locked_pages import LockedPagesView
from wagtail.admin.views.reports.workflows import WorkflowTasksView, WorkflowView
from wagtail.contrib.redirects.views import IndexView as RedirectsIndexView
from wagtail.utils.urlpatterns import decorate_urlpatterns

from core.admin_listing import BoundedSearchMixin
from core.escaping import EscapedSpreadsheetExportMixin

app_name = "escaped_exports"


class EscapedLockedPagesView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, LockedPagesView):
    pass


class EscapedWorkflowView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, WorkflowView):
    pass


class EscapedWorkflowTasksView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, WorkflowTasksView):
    pass


class EscapedLogEntriesView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, LogEntriesView):
    pass


class EscapedAgingPagesView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, AgingPagesView):
    pass


class EscapedRedirectsIndexView(BoundedSearchMixin, EscapedSpreadsheetExportMixin, RedirectsIndexView):
    pass


# (path under /admin/, view, Wagtail's URL name of the view replaced)
REPLACED = [
    ("reports/locked/", EscapedLockedPagesView, "wagtailadmin_reports:locked_pages"),
    ("reports/workflow/", EscapedWorkflowView, "wagtailadmin_reports:workflow"),
    ("reports/workflow_tasks/", EscapedWorkflowTasksView, "wagtailadmin_reports:workflow_tasks"),
    ("reports/site-history/", EscapedLogEntriesView, "wagtailadmin_reports:site_history"),
    ("reports/aging-pages/", EscapedAgingPagesView, "wagtailadmin_reports:aging_pages"),
    ("redirects/", EscapedRedirectsIndexView, "wagtailredirects:index"),
]


def _name(replaced: str) -> str:
    return replaced.replace(":", "_")


urlpatterns = decorate_urlpatterns(
    [
        pattern
        for route, view, replaced in REPLACED
        for pattern in (
            path(route, view.as_view(), name=_name(replaced)),
            path(f"{route}results/", view.as_view(results_only=True), name=f"{_name(replaced)}_results"),
        )
    ],
    require_admin_access,
)
