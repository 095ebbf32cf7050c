from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfilmentConfig(AppConfig):
    name = "rights_requests.fulfilment"
    label = "fulfilment"
    verbose_name = _("Fulfilment of rights")
    default_auto_field = "django.db.models.BigAutoField"
