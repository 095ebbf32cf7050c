"""Admin wiring for the incident register: its URLs (kept under ``/admin/datatools/incidents/``,
where links already sent point) and its item in the "Data tools" menu."""

from django.contrib.auth.models import Permission
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from core.admin import PermissionMenuItem

from . import views
from .services import INCIDENT_PERMISSION

app_name = "incidents"
urlpatterns = [
    path("", views.IncidentListView.as_view(), name="incidents"),
    path("new/", views.IncidentCreateView.as_view(), name="incident_add"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="incident"),
]


@hooks.register("register_admin_urls")
def register_incident_urls():
    return [path("datatools/incidents/", include((urlpatterns, app_name), namespace=app_name))]


# The "Data tools" menu is the datatools app's; its hook name is all this app needs of it.
@hooks.register("register_datatools_menu_item")
def register_incidents_menu_item():
    return PermissionMenuItem(
        _("Incidents"),
        reverse("incidents:incidents"),
        name="datatools-incidents",
        icon_name="warning",
        order=150,
        permission=INCIDENT_PERMISSION,
    )


@hooks.register("register_permissions")
def register_incident_permissions():
    return Permission.objects.filter(content_type__app_label="incidents")
