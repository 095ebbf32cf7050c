from django.db import models
from django.utils.translation import gettext_lazy as _


class RowKind(models.TextChoices):
    PERSONAL = "personal", _("Personal field (from the catalogue)")
    QUESTION = "question", _("Non-personal question")


class SubjectKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    EMAIL = "email", _("E-mail")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Education(models.TextChoices):
    HIGH_SCHOOL = "high_school", _("High school or below")
    ASSOCIATE = "associate", _("Associate degree")
    BACHELOR = "bachelor", _("Bachelor's degree")
    MASTER = "master", _("Master's degree")
    DOCTORATE = "doctorate", _("Doctorate")


# Question field types a marketer may add without screening: the answer can only be
# one of the options the page offers, so no personal data can travel in it.
QUESTION_CHOICE_TYPES = frozenset({"checkbox", "checkboxes", "dropdown", "multiselect", "radio"})
# Free-text question types: allowed only when the label passes the personal-term screen.
QUESTION_TEXT_TYPES = frozenset({"singleline", "multiline", "number", "date"})
QUESTION_TYPES = QUESTION_CHOICE_TYPES | QUESTION_TEXT_TYPES

# Form keys the page and the API use for the submission's own controls; no field
# may take one of these names.
CONTROL_KEYS = frozenset(
    {
        "csrfmiddlewaretoken",
        "consent",
        "guardian_consent",
        "action",
        "challenge_id",
        "sms_code",
        "verification_token",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "referrer",
    }
)


class RepeatPolicy(models.TextChoices):
    REFUSE = "refuse", _("Refuse it with a friendly message")
    UPDATE = "update", _("Let it update the first sign-up")


class Confirmation(models.TextChoices):
    NONE = "none", _("None")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    BOTH = "both", _("SMS and e-mail")


# Purposes whose sign-ups take a seat, get a confirmation with a calendar invite and are
# checked in at the door.
REGISTRATION_PURPOSES = frozenset({"event", "training"})

# Source attributes a submission keeps (never personal): the campaign link's UTM tags.
SOURCE_KEYS = ("utm_source", "utm_medium", "utm_campaign")
