"""Admin screens for running a campaign: the list of campaigns that take sign-ups, check-in at
the door, the sign-ups with their places (and a staff cancel), and the campaign report (the
funnel per day and city, a chart drawn as SVG on the server, and its CSV).

Who may open what: check-in needs ``forms.check_in_registration`` (the Event staff role, and
marketers); sign-ups and the report need the campaign among those whose submissions the user
may read (``forms.selectors.campaign_pages_visible_to``).
"""

import csv
import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.log_actions import log

from core.admin import StaffView
from core.escaping import escape_csv_cell
from core.phone import mask_mobile

from . import operations
from .choices import REGISTRATION_PURPOSES
from .models import CampaignFormPage
from .registrations import CancelledBy, FunnelCount, FunnelStep, Registration, RegistrationStatus
from .selectors import campaign_pages_visible_to

CHECK_IN_PERMISSION = "forms.check_in_registration"
REPORT_DAYS = 30
FUNNEL_ORDER = [
    FunnelStep.VIEW,
    FunnelStep.CODE_SENT,
    FunnelStep.VERIFIED,
    FunnelStep.SUBMITTED,
    FunnelStep.CONFIRMED,
    FunnelStep.WAITLISTED,
    FunnelStep.PROMOTED,
    FunnelStep.CANCELLED,
    FunnelStep.CHECKED_IN,
]


def may_check_in(user) -> bool:
    return bool(user.is_active and user.has_perm(CHECK_IN_PERMISSION))


def may_run_campaigns(user) -> bool:
    return may_check_in(user) or campaign_pages_visible_to(user).exists()


def registration_pages():
    return CampaignFormPage.objects.filter(purpose__code__in=REGISTRATION_PURPOSES)


def _attendee(registration) -> dict:
    data = registration.submission.form_data or {}
    return {"name": data.get("name", ""), "mobile": mask_mobile(str(data.get("mobile") or ""))}


class CampaignsView(StaffView):
    """Every campaign the user may run, with its sign-ups and where to go next."""

    template_name = "forms/admin/campaigns.html"
    page_title = gettext_lazy("Running campaigns")
    header_icon = "calendar"

    def allowed(self, user) -> bool:
        return may_run_campaigns(user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        visible = set(campaign_pages_visible_to(user).values_list("pk", flat=True))
        pages = (
            CampaignFormPage.objects.filter(
                Q(pk__in=visible) | Q(pk__in=registration_pages().values("pk"))
                if may_check_in(user)
                else Q(pk__in=visible)
            )
            .select_related("purpose")
            .order_by("-latest_revision_created_at")
        )
        counts = defaultdict(dict)
        for page_id, status, n in (
            Registration.objects.filter(page_id__in=[p.pk for p in pages])
            .values_list("page_id", "status")
            .annotate(n=Count("pk"))
        ):
            counts[page_id][status] = n
        context["rows"] = [
            {
                "page": page,
                "state": operations.window_state(page),
                "counts": counts.get(page.pk, {}),
                "takes_registrations": page.purpose.code in REGISTRATION_PURPOSES,
                "may_report": page.pk in visible,
                "may_check_in": may_check_in(user) and page.purpose.code in REGISTRATION_PURPOSES,
            }
            for page in pages
        ]
        return context


class PageOperationView(StaffView):
    page_attr = "page"

    def dispatch(self, request, *args, **kwargs):
        self.page = get_object_or_404(
            CampaignFormPage.objects.select_related("purpose"), pk=kwargs["page_id"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("forms_campaigns"), "label": _("Running campaigns")},
            {"url": "", "label": self.get_page_title()},
        ]


class CheckInView(PageOperationView):
    """Scan or type the code of a confirmed sign-up; it is marked present once."""

    template_name = "forms/admin/check_in.html"
    header_icon = "tick"

    def get_page_title(self):
        return _("Check-in: %(title)s") % {"title": self.page.title}

    def allowed(self, user) -> bool:
        return may_check_in(user) and self.page.purpose.code in REGISTRATION_PURPOSES

    def post(self, request, *args, **kwargs):
        result = operations.check_in(page=self.page, code=request.POST.get("code", ""), user=request.user)
        context = self.get_context_data(result=result)
        status = 200 if result.outcome in ("checked_in", "already") else 400
        return self.render_to_response(context, status=status)

    def get_context_data(self, result=None, **kwargs):
        context = super().get_context_data(**kwargs)
        live = Registration.objects.filter(page_id=self.page.pk)
        context.update(
            {
                "campaign": self.page,
                "result": result,
                "attendee": _attendee(result.registration) if result and result.registration else None,
                "confirmed": live.filter(status=RegistrationStatus.CONFIRMED).count(),
                "checked_in": live.filter(checked_in_at__isnull=False).count(),
                "recent": [
                    {"registration": r, **_attendee(r)}
                    for r in live.filter(checked_in_at__isnull=False)
                    .select_related("submission", "session")
                    .order_by("-checked_in_at")[:10]
                ],
            }
        )
        return context


class SignUpsView(PageOperationView):
    """The sign-ups of one event: confirmed, waiting (in order) and cancelled, per session."""

    template_name = "forms/admin/sign_ups.html"
    header_icon = "group"

    def get_page_title(self):
        return _("Sign-ups: %(title)s") % {"title": self.page.title}

    def allowed(self, user) -> bool:
        return campaign_pages_visible_to(user).filter(pk=self.page.pk).exists()

    def post(self, request, *args, **kwargs):
        chosen = str(request.POST.get("registration", ""))[:20]
        if not chosen.isdigit():
            raise PermissionDenied
        registration = get_object_or_404(Registration, page_id=self.page.pk, pk=int(chosen))
        if request.POST.get("action") != "cancel" or not registration.is_live:
            raise PermissionDenied
        promoted = operations.registration_cancel(
            registration=registration, by=CancelledBy.STAFF, user=request.user
        )
        log(
            instance=self.page,
            action="forms.registration_cancelled",
            user=request.user,
            data={"registration": registration.pk, "promoted": [r.pk for r in promoted]},
        )
        messages.success(
            request,
            _("Sign-up #%(id)s cancelled.") % {"id": registration.submission_id}
            + (
                " " + _("%(count)d promoted from the waiting list.") % {"count": len(promoted)}
                if promoted
                else ""
            ),
        )
        return redirect(request.path)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registrations = (
            Registration.objects.filter(page_id=self.page.pk)
            .select_related("session", "submission")
            .order_by("session__sort_order", "status", "queued_at", "pk")
        )
        rows = []
        positions = defaultdict(int)
        for registration in registrations:
            position = None
            if registration.status == RegistrationStatus.WAITLISTED:
                positions[registration.session_id] += 1
                position = positions[registration.session_id]
            rows.append({"registration": registration, "position": position, **_attendee(registration)})
        context.update({"campaign": self.page, "rows": rows, "sessions": self.page.session_places()})
        return context


def funnel_table(page, *, days: int = REPORT_DAYS, today: datetime.date | None = None) -> dict:
    """The campaign's counts per step: in total, per day (the last ``days``) and per city."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    counts = FunnelCount.objects.filter(page_id=page.pk)
    totals = dict(counts.values_list("step").annotate(n=Sum("count")))
    by_day = defaultdict(dict)
    for day, step, n in counts.filter(day__gte=first).values_list("day", "step").annotate(n=Sum("count")):
        by_day[day][step] = n
    by_city = defaultdict(dict)
    for city, step, n in counts.exclude(city="").values_list("city", "step").annotate(n=Sum("count")):
        by_city[city][step] = n
    steps = [(step, FunnelStep(step).label) for step in FUNNEL_ORDER]
    return {
        "steps": steps,
        "totals": [totals.get(step, 0) for step, _label in steps],
        "days": [
            (
                first + datetime.timedelta(days=i),
                [by_day[first + datetime.timedelta(days=i)].get(s, 0) for s, _l in steps],
            )
            for i in range(days)
        ],
        "cities": sorted((city, [row.get(s, 0) for s, _l in steps]) for city, row in by_city.items()),
    }


def funnel_svg(table: dict) -> dict:
    """Bar geometry for the funnel (drawn in the template as SVG; no script, no CDN)."""
    totals = table["totals"]
    top = max(totals) or 1
    width, bar, gap = 640, 26, 8
    label_width = 190
    rows = []
    for index, ((step, label), value) in enumerate(zip(table["steps"], totals, strict=True)):
        length = round((width - label_width - 60) * value / top)
        rows.append(
            {
                "step": step,
                "label": label,
                "value": value,
                "y": index * (bar + gap),
                "text_y": index * (bar + gap) + bar * 0.7,
                "width": max(length, 1 if value else 0),
                "value_x": label_width + max(length, 0) + 6,
            }
        )
    daily_max = max((v[3] for _d, v in table["days"]), default=0) or 1  # submitted per day
    day_width = (width - 40) / max(len(table["days"]), 1)
    days = [
        {
            "day": day,
            "x": 30 + i * day_width,
            "height": round(100 * values[3] / daily_max),
            "y": 110 - round(100 * values[3] / daily_max),
            "value": values[3],
            "width": max(day_width - 3, 1),
        }
        for i, (day, values) in enumerate(table["days"])
    ]
    return {
        "rows": rows,
        "height": len(rows) * (bar + gap),
        "width": width,
        "bar": bar,
        "label_width": label_width,
        "days": days,
    }


class CampaignReportView(PageOperationView):
    """Page views → codes sent → verified → submitted → confirmed / waitlisted / checked in."""

    template_name = "forms/admin/campaign_report.html"
    header_icon = "table"

    def get_page_title(self):
        return _("Campaign report: %(title)s") % {"title": self.page.title}

    def allowed(self, user) -> bool:
        return campaign_pages_visible_to(user).filter(pk=self.page.pk).exists()

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def csv_response(self):
        table = funnel_table(self.page, days=REPORT_DAYS)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="campaign-{self.page.pk}-funnel.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        header = [_("Day"), _("City"), *[str(label) for _s, label in table["steps"]]]
        writer.writerow([escape_csv_cell(h) for h in header])
        writer.writerow([escape_csv_cell(c) for c in [_("All days"), _("All cities"), *table["totals"]]])
        for day, values in table["days"]:
            writer.writerow([escape_csv_cell(c) for c in [day.isoformat(), _("All cities"), *values]])
        for city, values in table["cities"]:
            writer.writerow([escape_csv_cell(c) for c in [_("All days"), city, *values]])
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = funnel_table(self.page)
        context.update(
            {"campaign": self.page, "table": table, "chart": funnel_svg(table), "days": REPORT_DAYS}
        )
        return context


def urlpatterns():
    return [
        path("forms/campaigns/", CampaignsView.as_view(), name="forms_campaigns"),
        path("forms/campaigns/<int:page_id>/check-in/", CheckInView.as_view(), name="forms_check_in"),
        path("forms/campaigns/<int:page_id>/sign-ups/", SignUpsView.as_view(), name="forms_sign_ups"),
        path(
            "forms/campaigns/<int:page_id>/report/",
            CampaignReportView.as_view(),
            name="forms_campaign_report",
        ),
    ]
