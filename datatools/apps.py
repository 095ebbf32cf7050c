from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataToolsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "datatools"
    label = "datatools"
    verbose_name = _("Staff data tools")

    def ready(self):
        # Background exports are queued by the task module's receiver.
        from . import tasks  # noqa: F401, PLC0415 - imports the models, loaded only once apps are ready
