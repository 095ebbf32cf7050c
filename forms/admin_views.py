"""The marketer's guided editor: purpose first, rows prefilled from the whitelist, the screen's
verdict live while typing."""

import json

from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from wagtail.admin.views.pages.create import CreateView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.permission_policies.pages import PagePermissionPolicy

from . import catalogue
from .choices import RowKind
from .models import CampaignFormField, CampaignFormPage, Purpose
from .review import Verdict, page_screen
from .whitelist import split_cities

VERDICT_LABELS = {
    Verdict.ALLOWED: gettext_lazy("The policy allows this form."),
    Verdict.REFUSED: gettext_lazy("The policy does not allow this form yet; see the rows marked below."),
    Verdict.NEEDS_REVIEW: gettext_lazy("A Privacy officer will review this form before it goes live."),
}


def retention_words(days: int) -> str:
    """“2 years”, “180 days”: a retention period as a marketer reads it."""
    if days and days % 365 == 0:
        years = days // 365
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def purpose_cards():
    """Each purpose with what a marketer must know before choosing it."""
    cards = []
    for purpose in Purpose.objects.prefetch_related("fields").order_by("pk"):
        fields = [
            {
                "label": catalogue.get(f.field_key).label,
                "optional_only": not f.required,
                "sensitive": f.field_key in catalogue.SENSITIVE_KEYS,
            }
            for f in purpose.fields.all()
            if f.field_key in catalogue.FIELDS
        ]
        cards.append(
            {
                "purpose": purpose,
                "fields": fields,
                "retention": retention_words(purpose.retention_days),
                "sensitive": purpose.is_sensitive,
            }
        )
    return cards


class CampaignCreateView(CreateView):
    """A campaign page starts with its purpose: without one, the view lists the purposes (and
    earlier campaigns to start from); with ``?purpose=`` the form opens with that purpose's
    personal fields as rows."""

    purpose_template_name = "forms/admin/choose_purpose.html"

    # No autosave before the page exists: Wagtail's first autosave creates the page, so each
    # abandoned attempt would leave a draft behind (with the same title as the next one), and
    # every pause while the rows are still being chosen would run the whole validation. The
    # first save is the marketer's; the editor autosaves from then on.
    @property
    def autosave_enabled(self):
        return False

    @autosave_enabled.setter
    def autosave_enabled(self, value):
        pass

    def get(self, request):
        purpose = Purpose.objects.filter(pk=request.GET.get("purpose") or None).first()
        if purpose is None:
            return self.choose_purpose(request)
        self.page.purpose = purpose
        return super().get(request)

    def choose_purpose(self, request):
        context = {
            "page_title": _("New campaign page"),
            "page_subtitle": self.parent_page.get_admin_display_title(),
            "header_icon": "form",
            "parent_page": self.parent_page,
            "cards": purpose_cards(),
            "add_url": reverse(
                "wagtailadmin_pages:add", args=("forms", "campaignformpage", self.parent_page.pk)
            ),
            "templates": [
                {"page": page, "copy_url": reverse("wagtailadmin_pages:copy", args=(page.pk,))}
                for page in _copyable_campaigns(request.user)[:12]
            ],
        }
        return TemplateResponse(request, self.purpose_template_name, context)


def _copyable_campaigns(user):
    """Campaign pages ``user`` may copy (edit rights on the page), newest first."""
    pages = CampaignFormPage.objects.select_related("purpose").order_by("-latest_revision_created_at")
    return [page for page in pages[:50] if page.permissions_for_user(user).can_copy()]


class CampaignPageViewSet(PageViewSet):
    """Wagtail's page views, with the purpose-first create view for campaign pages."""

    model = CampaignFormPage
    add_view_class = CampaignCreateView


def whitelist_data() -> dict:
    """``{purpose id: {"keys": [...]}}``: the personal fields each purpose allows, for the
    editor's row choices."""
    return {
        str(purpose.pk): {"keys": [f.field_key for f in purpose.fields.all()]}
        for purpose in Purpose.objects.prefetch_related("fields")
    }


class ScreenCheckView(View):
    """The screen's verdict on the rows being typed (POST JSON), for the editor's live check."""

    http_method_names = ["post"]
    MAX_ROWS = 100

    def post(self, request):
        if not may_build_campaigns(request.user):
            return JsonResponse({"error": _("Only page editors use the live check.")}, status=403)
        try:
            body = json.loads(request.body or b"{}")
            rows = [_row(item) for item in body.get("rows", [])[: self.MAX_ROWS]]
        except (ValueError, TypeError, AttributeError):
            return JsonResponse({"error": _("The rows could not be read.")}, status=400)
        purpose = _by_id(Purpose, body.get("purpose"))
        if purpose is None:
            return JsonResponse({"verdict": "", "message": _("Choose the purpose first.")})
        page = _by_id(CampaignFormPage, body.get("page"))
        if page is not None and not page.permissions_for_user(request.user).can_edit():
            page = None
        screening = page_screen(
            purpose=purpose,
            rows=rows,
            cities=split_cities(str(body.get("cities") or "")),
            download_document_id=None,
            page=page,
        )
        return JsonResponse(
            {
                "verdict": str(screening.verdict),
                "message": str(VERDICT_LABELS[screening.verdict]),
                "problems": [
                    {"row": p.row, "message": p.message}
                    for p in screening.problems
                    if p.field != "download_document"
                ],
                "reviews": [{"row": r.row, "message": r.message} for r in screening.reviews],
            }
        )


def _by_id(model, value):
    value = str(value or "")
    return model.objects.filter(pk=int(value)).first() if value.isdigit() else None


def may_build_campaigns(user) -> bool:
    """Admin users who may add or edit pages somewhere: the campaign builders."""
    if not (user.is_active and user.has_perm("wagtailadmin.access_admin")):
        return False
    return PagePermissionPolicy().user_has_any_permission(user, ["add", "change"])


def _row(item) -> CampaignFormField:
    kind = RowKind.QUESTION if item.get("kind") == RowKind.QUESTION else RowKind.PERSONAL
    return CampaignFormField(
        kind=kind,
        field_key=str(item.get("field_key") or "")[:40] if kind == RowKind.PERSONAL else "",
        label=str(item.get("label") or "")[:255],
        help_text=str(item.get("help_text") or "")[:255],
        field_type=str(item.get("field_type") or "singleline")[:16],
        choices=str(item.get("choices") or "")[:2000],
        default_value=str(item.get("default_value") or "")[:255],
        required=bool(item.get("required")),
    )
