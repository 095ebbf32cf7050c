from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsRequestsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rights_requests"
    verbose_name = _("Rights requests")

    def ready(self):
        # The page model answers through the view module, which imports the models.
        from . import views  # noqa: PLC0415 - they import models, loaded only once apps are ready

        self.get_model("RightsRequestPage").page_view = staticmethod(views.rights_request_page_serve)
