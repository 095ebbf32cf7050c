from django.db import models
from django.utils.translation import gettext_lazy as _

# Re-exported: the data tools' models and forms name it from here.
from core.escaping import FileFormat  # noqa: F401


class ExportKind(models.TextChoices):
    SUBMISSIONS = "submissions", _("Campaign submissions")
    RIGHTS_REQUESTS = "rights_requests", _("Rights requests")


class ExportState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", _("Waiting for a second Privacy officer")
    REFUSED = "refused", _("Refused by a Privacy officer")
    QUEUED = "queued", _("Queued")
    READY = "ready", _("Ready to download")
    DOWNLOADED = "downloaded", _("Downloaded")
    EXPIRED = "expired", _("Expired without download")
    FAILED = "failed", _("Failed")


class ImportState(models.TextChoices):
    REFUSED = "refused", _("Refused")
    PREVIEWED = "previewed", _("Checked, waiting for confirmation")
    IMPORTED = "imported", _("Imported")
    DISCARDED = "discarded", _("Discarded")


class ConsentSource(models.TextChoices):
    OFFLINE = "offline", _("Offline (signed sign-up sheet)")
