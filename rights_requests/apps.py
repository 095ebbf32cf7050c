from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsRequestsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rights_requests"
    verbose_name = _("Rights requests")
