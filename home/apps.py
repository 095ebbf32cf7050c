from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "home"
    verbose_name = _("Site")

    def ready(self):
        from .signals import sync_roles_after_migrate

        # Runs once per migrate, after the last app (see the handler).
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="home.sync_roles")
