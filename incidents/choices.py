from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class IncidentAction(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    UPDATED = "updated", _("Details updated")
    SUBJECTS_FOUND = "subjects_found", _("Affected people found")
    NOTICE_SENT = "notice_sent", _("Notice sent to affected people")
    ANNOUNCEMENT_PUBLISHED = "announcement_published", _("Announcement published")
    ANNOUNCEMENT_WITHDRAWN = "announcement_withdrawn", _("Announcement withdrawn")
    CLOSED = "closed", _("Closed")
