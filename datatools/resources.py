"""django-import-export resources: which columns an export has and how each cell is read.

The resources only describe columns; ``services`` streams the rows through them into
CSV, XLSX or JSON files so that an export never holds the whole table in memory.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import resources
from import_export.fields import Field

from core.escaping import as_text
from forms import catalogue
from forms.choices import REGISTRATION_PURPOSES
from forms.definition import form_definition
from forms.registrations import RegistrationStatus

META_COLUMNS = ("purpose", "policy_version", "consent", "submit_time")
SOURCE_COLUMNS = (
    ("utm_source", _("Source (utm_source)")),
    ("utm_medium", _("Medium (utm_medium)")),
    ("utm_campaign", _("Campaign (utm_campaign)")),
    ("referrer", _("Referring site")),
)


def submission_columns(purpose) -> list[str]:
    """The catalogue keys a purpose allows, in catalogue order."""
    allowed = purpose.allowed_field_keys()
    return [key for key in catalogue.FIELDS if key in allowed]


def page_columns(page) -> list[tuple[str, str]]:
    """(key, column name) of what one page collects: its personal fields and its own questions,
    labelled as the page labels them, in the page's order."""
    return [(spec["name"], spec["label"]) for spec in form_definition(page)["fields"]]


class SubmissionResource(resources.Resource):
    """Campaign submissions of one purpose: its catalogue fields (or, for one page, exactly what
    that page collects, its questions included), then purpose, policy version, consent, submit
    time, where the visitor came from and, for events and courses, the sign-up's place and
    attendance.

    Sensitive values come from ``form_data`` (already masked there) unless ``unmasked``
    is set, in which case they are decrypted; the caller checks who may ask for that.
    """

    def __init__(self, *, purpose, unmasked: bool = False, page=None, **kwargs):
        super().__init__(**kwargs)
        self.purpose = purpose
        self.unmasked = unmasked
        if page is not None:
            columns = page_columns(page)
        else:
            columns = [(key, catalogue.get(key).label) for key in submission_columns(purpose)]
        self.keys = [key for key, _label in columns]
        self.fields = {}
        for key, label in columns:
            self.fields[key] = Field(column_name=label, dehydrate_method=self._personal_value(key))
        self.fields["purpose"] = Field(column_name=_("Purpose"), dehydrate_method=self.dehydrate_purpose)
        self.fields["policy_version"] = Field(
            column_name=_("Policy version"), dehydrate_method=self.dehydrate_policy_version
        )
        self.fields["consent"] = Field(column_name=_("Consent"), dehydrate_method=self.dehydrate_consent)
        self.fields["submit_time"] = Field(
            column_name=_("Submission date"), dehydrate_method=self.dehydrate_submit_time
        )
        for key, label in SOURCE_COLUMNS:
            self.fields[key] = Field(column_name=label, dehydrate_method=self._source_value(key))
        if purpose.code in REGISTRATION_PURPOSES:
            self.fields["registration"] = Field(
                column_name=_("Sign-up"), dehydrate_method=self.dehydrate_registration
            )
            self.fields["checked_in_at"] = Field(
                column_name=_("Checked in at"), dehydrate_method=self.dehydrate_checked_in_at
            )
        self._statuses = dict(RegistrationStatus.choices)
        self._purpose_label = f"{purpose.clause} {purpose.code}"
        self._sources = {False: str(_("online")), True: str(_("offline"))}

    def get_export_order(self):
        return list(self.fields)

    def _personal_value(self, key):
        sensitive = key in catalogue.SENSITIVE_KEYS

        def dehydrate(submission):
            if sensitive and self.unmasked:
                return submission.sensitive_values().get(key, submission.form_data.get(key, ""))
            return submission.form_data.get(key, "")

        return dehydrate

    def _source_value(self, key):
        def dehydrate(submission):
            return getattr(submission, key, "")

        return dehydrate

    def _registration(self, submission):
        try:
            return submission.registration
        except ObjectDoesNotExist:
            return None

    def dehydrate_registration(self, submission):
        registration = self._registration(submission)
        if registration is None:
            return ""
        city = registration.session.city if registration.session_id and registration.session else ""
        status = str(self._statuses.get(registration.status, registration.status))
        return f"{status} ({city})" if city else status

    def dehydrate_checked_in_at(self, submission):
        registration = self._registration(submission)
        if registration is None or registration.checked_in_at is None:
            return ""
        return as_text(registration.checked_in_at)

    def dehydrate_purpose(self, submission):
        return self._purpose_label

    def dehydrate_policy_version(self, submission):
        return submission.policy_version_label()

    def dehydrate_consent(self, submission):
        offline = getattr(submission, "offline_consent", None) is not None
        return f"{as_text(submission.consent_at)} ({self._sources[offline]})"

    def dehydrate_submit_time(self, submission):
        return submission.submit_time


class RightsRequestResource(resources.Resource):
    """Rights requests for reports: reference, type, state, dates, outcome and days taken.

    No requester contact detail is exported: the report is about how requests were
    handled, not about who made them.
    """

    reference = Field(attribute="reference", column_name=_("Reference"))
    request_type = Field(column_name=_("Right"))
    state = Field(column_name=_("State"))
    received = Field(column_name=_("Received"))
    due = Field(column_name=_("Due"))
    answered = Field(column_name=_("Answered"))
    closed = Field(column_name=_("Closed"))
    outcome = Field(column_name=_("Outcome"))
    days_taken = Field(column_name=_("Days taken"))

    def get_export_order(self):
        return list(self.fields)

    def dehydrate_request_type(self, obj):
        return obj.get_request_type_display()

    def dehydrate_state(self, obj):
        return obj.get_state_display()

    def dehydrate_received(self, obj):
        return _local_date(obj.received_at)

    def dehydrate_due(self, obj):
        return obj.due_date

    def dehydrate_answered(self, obj):
        return _local_date(obj.answered_at)

    def dehydrate_closed(self, obj):
        return _local_date(obj.closed_at)

    def dehydrate_outcome(self, obj):
        return obj.get_outcome_display() if obj.outcome else ""

    def dehydrate_days_taken(self, obj):
        finished = obj.answered_at or obj.closed_at
        if finished is None:
            return ""
        return (_local_date(finished) - _local_date(obj.received_at)).days


def _local_date(moment):
    if moment is None:
        return None

    return timezone.localtime(moment).date()
