from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: code every app may use and that imports no other app of the project."""

    name = "core"
    label = "core"
    verbose_name = "Core"
