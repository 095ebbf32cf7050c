"""Admin wiring: the purpose whitelist, the compliance report, who sees which submissions and
who may open download documents."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.dispatch import receiver
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.defaults import permission_denied
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.contrib.forms.utils import get_forms_for_user
from wagtail.contrib.forms.views import FormPagesListView
from wagtail.models import Page, TaskState
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.signals import task_approved
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail.wagtail_hooks import require_wagtail_login

from core.admin import PermissionMenuItem, StaffView
from core.admin_listing import BoundedSearchMixin

from . import campaign_admin, invites, operations
from .admin_forms import ScreenTryForm
from .admin_views import (
    CampaignPageViewSet,
    ScreenCheckView,
    may_build_campaigns,
    retention_words,
    whitelist_data,
)
from .downloads_report import DocumentDownloadsReportView
from .models import (
    CampaignFormPage,
    CampaignSubmission,
    DocumentDownload,
    Purpose,
    ScreenTerm,
)
from .review import (
    ScreenRevisionChanged,
    Verdict,
    page_revision_screen,
    pages_awaiting_review,
    screen_approve_page,
    screen_approve_revision,
    screen_try,
)
from .selectors import campaign_pages_visible_to
from .whitelist import pages_breaking_whitelist
from .workflow import PrivacyReviewTask, record_officer_approval

OFFICER_PERMISSION = "forms.change_purpose"
REVIEWER_PERMISSION = "forms.approve_screened_rows"
TERMS_PERMISSION = "forms.view_screenterm"


class PermissionPageView(StaffView):
    """An admin page for Privacy officers unless a view names another ``permission``."""

    permission = OFFICER_PERMISSION


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
    # In words a marketer reads (the code is on the edit screen, where a Privacy officer sets it).
    list_display = [
        "clause",
        Column("name", label=_("purpose"), accessor=lambda purpose: purpose.name),
        BooleanColumn("sms_required", label=_("SMS verification required")),
        Column(
            "retention", label=_("kept for"), accessor=lambda purpose: retention_words(purpose.retention_days)
        ),
        "updated_at",
    ]
    search_fields = ["code", "name_zh", "name_en"]
    ordering = ["pk"]


register_snippet(PurposeViewSet)


class ScreenTermIndexView(BoundedSearchMixin, SnippetIndexView):
    pass


class ScreenTermViewSet(SnippetViewSet):
    """The screen's terms; Privacy officers add the synonyms and disguises they meet."""

    model = ScreenTerm
    index_view_class = ScreenTermIndexView
    icon = "search"
    menu_label = _("Screen terms")
    menu_name = "screen-terms"
    menu_order = 712
    add_to_admin_menu = True
    list_display = [
        "term",
        "category",
        "mode",
        "action",
        BooleanColumn("active", label=_("active")),
        "updated_at",
    ]
    list_filter = ["category", "action", "mode", "active"]
    search_fields = ["term", "note"]
    ordering = ["category", "term"]


register_snippet(ScreenTermViewSet)


class ScreenReviewsView(PermissionPageView):
    """Campaign pages whose latest revision has rows the screen sends to a Privacy officer."""

    permission = REVIEWER_PERMISSION
    template_name = "forms/admin/screen_reviews.html"
    page_title = _("Rows awaiting review")
    header_icon = "help"

    def get_context_data(self, **kwargs):

        context = super().get_context_data(**kwargs)
        context["rows"] = [
            {
                "page": page,
                "revision_id": revision_id,
                "messages": [r.message for r in screening.reviews],
                "texts": [text for r in screening.reviews for text in r.texts],
                "approve_url": reverse("forms_screen_approve", args=(page.pk,)),
            }
            for page, revision_id, screening in pages_awaiting_review()
        ]
        return context


class ScreenApproveView(View):
    """Approve the reviewed rows of the revision the officer looked at (POST only)."""

    http_method_names = ["post"]

    def post(self, request, page_id):

        if not request.user.has_perm(REVIEWER_PERMISSION):
            raise PermissionDenied
        page = CampaignFormPage.objects.filter(pk=page_id).first()
        if page is None:
            raise PermissionDenied
        try:
            count = screen_approve_revision(
                page=page, revision_id=request.POST.get("revision"), user=request.user
            )
        except ScreenRevisionChanged:
            messages.error(request, _("The page changed after you opened this list; look at its rows again."))
        else:
            messages.success(
                request, _("%(count)d rows of “%(page)s” approved.") % {"count": count, "page": page.title}
            )
        return redirect("forms_screen_reviews")


class LiveCampaignsPanel(Component):
    """A marketer's live campaigns with today's submissions."""

    name = "live_campaigns"
    order = 95
    template_name = "forms/admin/panels/live_campaigns.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context):
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        pages = (
            campaign_pages_visible_to(self.user)
            .live()
            .select_related("purpose")
            .annotate(today=Count("campaignsubmission", filter=Q(campaignsubmission__submit_time__gte=start)))
            .order_by("-today", "-first_published_at")[:10]
        )
        return {
            "campaigns": [
                {
                    "page": page,
                    "today": page.today,
                    "submissions_url": reverse("wagtailforms:list_submissions", args=(page.pk,)),
                    "edit_url": reverse("wagtailadmin_pages:edit", args=(page.pk,)),
                }
                for page in pages
            ]
        }


class PrivacyReviewPanel(Component):
    """A Privacy officer's queue: pages waiting in the Privacy review, and pages the whitelist
    report finds outside the whitelist."""

    name = "privacy_review"
    order = 85
    template_name = "forms/admin/panels/privacy_review.html"

    def get_context_data(self, parent_context):
        waiting = (
            TaskState.objects.filter(
                status=TaskState.STATUS_IN_PROGRESS,
                task__content_type=ContentType.objects.get_for_model(PrivacyReviewTask),
            )
            .select_related("workflow_state", "revision")
            .order_by("started_at")
        )
        rows = []
        for task_state in waiting[:10]:
            page = task_state.workflow_state.content_object
            rows.append(
                {
                    "page": page,
                    "started_at": task_state.started_at,
                    "edit_url": reverse("wagtailadmin_pages:edit", args=(page.pk,)),
                }
            )
        return {
            "waiting": rows,
            "waiting_count": waiting.count(),
            "outside": len(pages_breaking_whitelist()),
            "report_url": reverse("forms_whitelist_report"),
        }


@hooks.register("construct_homepage_panels")
def add_campaign_panels(request, panels):
    user = request.user
    if user.has_perm(REVIEWER_PERMISSION):
        panels.append(PrivacyReviewPanel())
    if may_build_campaigns(user) and not user.is_superuser:
        panels.append(LiveCampaignsPanel(user))


@hooks.register("register_admin_viewset")
def register_campaign_page_viewset():
    return CampaignPageViewSet("campaign_pages")


@hooks.register("insert_editor_js")
def campaign_editor_js():
    """The guided row editor on campaign pages (the script does nothing on other editors)."""
    config = {
        "screenUrl": reverse("forms_screen_check"),
        "whitelist": whitelist_data(),
        "labels": {
            "notAllowed": str(_("(not allowed for this purpose)")),
            "unavailable": str(_("The live check is unavailable; the page is checked when you save it.")),
        },
    }
    return format_html(
        '{}<script src="{}"></script><link rel="stylesheet" href="{}">',
        json_script(config, "campaign-editor-config"),
        static("forms/campaign_editor.js"),
        static("forms/campaign_editor.css"),
    )


@hooks.register("register_admin_urls")
def register_screen_review_urls():
    return [
        path("forms/screen-check/", ScreenCheckView.as_view(), name="forms_screen_check"),
        path("forms/screen-reviews/", ScreenReviewsView.as_view(), name="forms_screen_reviews"),
        path("forms/screen-try/", ScreenTryView.as_view(), name="forms_screen_try"),
        path(
            "forms/screen-reviews/<int:page_id>/approve/",
            ScreenApproveView.as_view(),
            name="forms_screen_approve",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_screen_try_menu_item():
    return PermissionMenuItem(
        _("Try the screen"),
        reverse("forms_screen_try"),
        permission=TERMS_PERMISSION,
        name="screen-try",
        icon_name="search",
        order=714,
    )


@hooks.register("register_admin_menu_item")
def register_screen_reviews_menu_item():
    return PermissionMenuItem(
        _("Rows awaiting review"),
        reverse("forms_screen_reviews"),
        permission=REVIEWER_PERMISSION,
        name="screen-reviews",
        icon_name="help",
        order=713,
    )


class ScreenTryView(PermissionPageView):
    """Privacy officers try a row against the screen (after adding a term, for instance)."""

    permission = TERMS_PERMISSION
    template_name = "forms/admin/screen_try.html"
    page_title = _("Try the screen")
    header_icon = "search"

    def get_context_data(self, **kwargs):

        context = super().get_context_data(**kwargs)
        form = ScreenTryForm(self.request.GET or None)
        context["form"] = form
        if form.is_bound and form.is_valid():
            context.update(screen_try(**form.cleaned_data))
        return context


@hooks.register("after_publish_page")
def approve_screened_rows_on_publish(request, page):
    """A Privacy officer who publishes a page approves the rows the screen sent for review."""

    page = page.specific
    if isinstance(page, CampaignFormPage) and request.user.has_perm(REVIEWER_PERMISSION):
        screen_approve_page(page=page, user=request.user)


@hooks.register("before_bulk_action")
def refuse_bulk_publish_of_unreviewed_pages(request, action_type, objects, action_class_instance):
    """Bulk publishing may not put live a page whose screened rows await a Privacy officer."""

    if action_type != "publish" or request.user.has_perm(REVIEWER_PERMISSION):
        return None
    waiting = [
        page
        for page in objects
        if isinstance(page.specific, CampaignFormPage)
        and page_revision_screen(page.specific).verdict != Verdict.ALLOWED
    ]
    if not waiting:
        return None
    messages.error(
        request,
        _("These pages need a Privacy officer's approval before they go live: %(pages)s")
        % {"pages": "、".join(p.title for p in waiting)},
    )
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("wagtailadmin_explore_root")
    return redirect(target)


@receiver(task_approved)
def approve_screened_rows_in_workflow(sender, instance, user=None, **kwargs):
    """A Privacy officer approving a moderation task approves the page's reviewed rows, and the
    page's history records which rows of which revision they approved."""

    page = getattr(getattr(instance, "workflow_state", None), "content_object", None)
    page = getattr(page, "specific", page)
    if isinstance(page, CampaignFormPage) and user is not None and user.has_perm(REVIEWER_PERMISSION):
        screen_approve_page(page=page, user=user)
        record_officer_approval(instance, user)


@hooks.register("register_log_actions")
def register_screen_log_actions(actions):
    actions.register_action(
        "forms.registration_cancelled", _("Sign-up cancelled"), _("Event staff cancelled a sign-up")
    )
    actions.register_action(
        "forms.screen_approve",
        _("Approve screened rows"),
        _("Approved the rows the whitelist screen doubted"),
    )
    actions.register_action(
        "forms.privacy_review_requested",
        _("Privacy review requested"),
        _("Sent to a Privacy officer by the whitelist check"),
    )
    actions.register_action(
        "forms.privacy_review_approved",
        _("Form rows approved"),
        _("A Privacy officer approved the form rows of this revision"),
    )


class WhitelistReportView(PermissionPageView):
    """Campaign pages that collect a field their purpose no longer allows."""

    template_name = "forms/admin/whitelist_report.html"
    page_title = _("Pages outside the whitelist")
    header_icon = "warning"

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


@hooks.register("register_admin_menu_item")
def register_whitelist_report_menu_item():
    return PermissionMenuItem(
        _("Whitelist report"),
        reverse("forms_whitelist_report"),
        permission=OFFICER_PERMISSION,
        name="whitelist-report",
        icon_name="warning",
        order=711,
    )


@hooks.register("filter_form_submissions_for_user")
def restrict_campaign_submissions(user, editable_forms):
    """Which campaigns' submissions a user reads, exports and imports into.

    The rule is ``forms.selectors.campaign_pages_visible_to``; each listing and export
    further narrows the rows with ``submissions_visible_to`` (by the purpose a submission
    was collected under).
    """
    campaign_type = ContentType.objects.get_for_model(CampaignFormPage)
    visible = campaign_pages_visible_to(user).values("pk")
    return editable_forms.exclude(content_type=campaign_type) | Page.objects.filter(pk__in=visible)


class SubmissionRemovalClosedView(View):
    """Wagtail's own "delete submissions" view drops rows without a trace; it is closed.

    Submissions are erased (tombstone, ledger entry, page history) by the view the
    fulfilment app registers on the same address, for those allowed to erase.
    """

    def dispatch(self, request, *args, **kwargs):
        return permission_denied(
            request, PermissionDenied(_("Submissions are removed only through erasure by privacy staff."))
        )


class CampaignFormsIndexView(BoundedSearchMixin, FormPagesListView):
    """Wagtail's list of form pages, open to everyone who may read some campaign's
    submissions (Marketing leads and Privacy officers need not edit pages)."""

    any_permission_required = None

    def dispatch(self, request, *args, **kwargs):
        if not get_forms_for_user(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


@hooks.register("register_admin_urls", order=-1)
def campaign_forms_admin_urls():
    return [
        path("forms/", CampaignFormsIndexView.as_view()),
        path("forms/results/", CampaignFormsIndexView.as_view(results_only=True)),
        path("forms/submissions/<int:page_id>/delete/", SubmissionRemovalClosedView.as_view()),
    ]


def _submissions_under(pages) -> int:

    match = Q(pk__in=[])
    for page in pages:
        match |= Q(page__path__startswith=page.path)
    return CampaignSubmission.objects.filter(match).count()


def _deletion_refused(request, pages, count):
    titles = ", ".join(f"“{p.get_admin_display_title()}”" for p in pages[:5])
    messages.error(
        request,
        _(
            "%(pages)s cannot be deleted: %(count)d campaign submissions belong to it or to pages below it. "
            "Unpublish the page instead; its submissions are erased when their retention period ends."
        )
        % {"pages": titles, "count": count},
    )
    return redirect(reverse("wagtailadmin_explore", args=(pages[0].get_parent().pk,)))


@hooks.register("before_delete_page")
def keep_pages_that_hold_submissions(request, page):
    """Deleting a page would take its submissions with it; a page that holds any stays."""
    count = _submissions_under([page])
    if count:
        return _deletion_refused(request, [page], count)
    return None


@hooks.register("before_bulk_action")
def keep_pages_that_hold_submissions_in_bulk(request, action_type, objects, action_class_instance):
    if action_type != "delete" or not objects or not isinstance(objects[0], Page):
        return None
    count = _submissions_under(objects)
    if count:
        return _deletion_refused(request, list(objects), count)
    return None


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


# --- Downloads report -------------------------------------------------------------


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


@hooks.register("register_reports_menu_item")
def register_downloads_report_menu_item():
    return PermissionMenuItem(
        _("Downloads"),
        reverse("sms_downloads_report"),
        name="downloads",
        icon_name="download",
        order=1200,
        check=lambda user: ModelPermissionPolicy(DocumentDownload).user_has_permission(user, "view"),
    )


@hooks.register(operations.REGISTRATION_CHANGED_HOOK)
def _tell_the_visitor(registration, event):
    invites.registration_notify(registration=registration, event=event)


@hooks.register("register_admin_urls")
def register_campaign_operation_urls():
    return campaign_admin.urlpatterns()


@hooks.register("register_admin_menu_item")
def register_campaigns_menu_item():
    return PermissionMenuItem(
        _("Running campaigns"),
        reverse("forms_campaigns"),
        check=campaign_admin.may_run_campaigns,
        icon_name="calendar",
        order=250,
    )
