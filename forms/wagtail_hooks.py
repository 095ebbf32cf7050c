"""Admin wiring: the purpose whitelist, the compliance report, who sees which submissions and
who may open download documents."""

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail.wagtail_hooks import require_wagtail_login

from . import catalogue
from .admin_listing import BoundedSearchMixin
from .models import CampaignFormPage, Purpose
from .services import pages_breaking_whitelist

OFFICER_PERMISSION = "forms.change_purpose"
SENSITIVE_PERMISSION = "forms.view_sensitive_submissions"


class PurposeIndexView(BoundedSearchMixin, SnippetIndexView):
    pass


class PurposeViewSet(SnippetViewSet):
    model = Purpose
    index_view_class = PurposeIndexView
    icon = "list-ul"
    menu_label = _("Purposes")
    menu_name = "purposes"
    menu_order = 710
    add_to_admin_menu = True
    list_display = ["clause", "name_zh", "name_en", "code", "sms_required", "retention_days", "updated_at"]
    search_fields = ["code", "name_zh", "name_en"]
    ordering = ["pk"]


register_snippet(PurposeViewSet)


class WhitelistReportView(WagtailAdminTemplateMixin, TemplateView):
    """Campaign pages that collect a field their purpose no longer allows."""

    template_name = "forms/admin/whitelist_report.html"
    page_title = _("Pages outside the whitelist")
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(OFFICER_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            {
                "page": page,
                "edit_url": reverse("wagtailadmin_pages:edit", args=(page.pk,)),
                "messages": [p.message for p in problems],
            }
            for page, problems in pages_breaking_whitelist()
        ]
        return context


@hooks.register("register_admin_urls")
def register_whitelist_report_url():
    return [path("forms/whitelist-report/", WhitelistReportView.as_view(), name="forms_whitelist_report")]


class OfficerMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(OFFICER_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_whitelist_report_menu_item():
    return OfficerMenuItem(
        _("Whitelist report"),
        reverse("forms_whitelist_report"),
        name="whitelist-report",
        icon_name="warning",
        order=711,
    )


def sensitive_campaign_pages():
    """Campaign pages whose purpose allows a sensitive field (e.g. partner upgrades)."""
    return CampaignFormPage.objects.filter(purpose__fields__field_key__in=catalogue.SENSITIVE_KEYS)


@hooks.register("filter_form_submissions_for_user")
def restrict_campaign_submissions(user, editable_forms):
    """Who reads, exports and deletes campaign submissions.

    Page editors (Marketers) keep their campaigns' leads, masked where sensitive, but
    never the campaigns of purposes that collect sensitive data; Privacy officers see
    every campaign's submissions even without page-editing rights.
    """
    if user.is_superuser:
        return editable_forms
    if user.has_perm(SENSITIVE_PERMISSION):
        return editable_forms | Page.objects.filter(pk__in=CampaignFormPage.objects.values("pk"))
    return editable_forms.exclude(pk__in=sensitive_campaign_pages().values("pk"))


@hooks.register("before_serve_document")
def serve_download_documents_only_through_their_links(document, request):
    """A campaign's download document is handed out by its signed link only.

    Its collection's view restriction already keeps visitors out of ``/documents/``; this
    holds even if the document was moved to a public collection or the restriction lifted
    after the page was published: only signed-in staff may still open it there.
    """
    if not CampaignFormPage.objects.filter(download_document=document).exists():
        return None
    if request.user.is_authenticated and request.user.has_perm("wagtailadmin.access_admin"):
        return None
    return require_wagtail_login(next=request.get_full_path())
