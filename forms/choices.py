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
    }
)
