"""Admin pages of the incident register."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _

from core.admin import StaffView

from . import services
from .forms import AnnouncementForm, IncidentForm, NoticeForm
from .models import Incident

# --- incidents ----------------------------------------------------------------------------------


class IncidentView(StaffView):
    header_icon = "warning"

    permission = services.INCIDENT_PERMISSION


class IncidentListView(IncidentView):
    template_name = "incidents/incident_list.html"
    page_title = _("Incidents")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["incidents"] = Incident.objects.prefetch_related("purposes")
        return context


class IncidentCreateView(IncidentView):
    template_name = "incidents/incident_form.html"
    page_title = _("Register an incident")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", IncidentForm())
        return context

    def post(self, request, *args, **kwargs):
        form = IncidentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = services.incident_register(
                    user=request.user,
                    title=data["title"],
                    description=data["description"],
                    occurred_at=data.get("occurred_at"),
                    discovered_at=data["discovered_at"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    purposes=list(data["purposes"]),
                    measures=data.get("measures", ""),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The incident was registered."))
                return redirect("incidents:incident", pk=incident.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class IncidentDetailView(IncidentView):
    template_name = "incidents/incident_detail.html"
    page_title = _("Incident")

    def get_incident(self):
        return get_object_or_404(Incident, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incident = kwargs.get("incident") or self.get_incident()
        context["incident"] = incident
        context["steps"] = incident.steps.select_related("user")
        context["affected"] = incident.subjects.count()
        context["waiting"] = incident.subjects.filter(notified_at__isnull=True).count()
        context.setdefault("notice_form", NoticeForm(initial={"subject": incident.title}))
        context.setdefault(
            "announcement_form",
            AnnouncementForm(
                initial={
                    "title": incident.announcement_title or incident.title,
                    "text": incident.announcement_text,
                }
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        incident = self.get_incident()
        action = request.POST.get("action")
        user = request.user
        if action == "find":
            count = services.incident_find_subjects(incident=incident, user=user)
            messages.success(request, _("%(count)s affected people found.") % {"count": count})
        elif action == "notify":
            form = NoticeForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(
                    self.get_context_data(incident=incident, notice_form=form), status=400
                )
            sent = services.incident_notify(
                incident=incident,
                user=user,
                message=form.cleaned_data["message"],
                subject=form.cleaned_data["subject"],
            )
            messages.success(request, _("The notice was sent to %(count)s people.") % {"count": sent})
        elif action == "publish":
            form = AnnouncementForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(
                    self.get_context_data(incident=incident, announcement_form=form), status=400
                )
            services.incident_publish_announcement(
                incident=incident, user=user, title=form.cleaned_data["title"], text=form.cleaned_data["text"]
            )
            messages.success(request, _("The announcement is shown on the site."))
        elif action == "withdraw":
            services.incident_withdraw_announcement(incident=incident, user=user)
            messages.success(request, _("The announcement was withdrawn."))
        elif action == "close":
            services.incident_close(incident=incident, user=user, note=request.POST.get("note", "")[:1000])
            messages.success(request, _("The incident was closed."))
        else:
            raise Http404
        return redirect("incidents:incident", pk=incident.pk)
