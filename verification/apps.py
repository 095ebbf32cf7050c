from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SMSConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "verification"
    label = "sms"
    verbose_name = _("SMS verification and downloads")
