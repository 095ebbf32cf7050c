from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "home"
    verbose_name = _("Site")

    def ready(self):
        # Models can be imported only once the registry is ready, i.e. here.
        from . import signals  # noqa: PLC0415 - they import models, loaded only once apps are ready

        signals.connect()
