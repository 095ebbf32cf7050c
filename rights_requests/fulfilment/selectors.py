"""Finding one person's data through the subject hashes (never a scan of submission JSON)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from core import crypto
from core.phone import normalize_mobile
from forms.models import CampaignSubmission, SubjectHash
from home.models import PrivacyPolicyPage
from rights_requests.models import RightsRequest

from .models import PosthumousArrangement


@dataclass(frozen=True)
class Subject:
    """A person as the keyed hashes of their mobile and e-mail (either may be blank)."""

    mobile_hash: str = ""
    email_hash: str = ""

    def __bool__(self):
        return bool(self.mobile_hash or self.email_hash)

    @property
    def hashes(self) -> list[str]:
        return [h for h in (self.mobile_hash, self.email_hash) if h]


def subject_for(*, mobile: str | None = None, email: str | None = None) -> Subject:
    """The subject for a mobile (any accepted format) and/or e-mail; ``ValidationError`` if neither."""
    mobile_hash = crypto.mobile_hash(normalize_mobile(mobile)) if mobile else ""
    email_hash = crypto.email_hash(email) if email and email.strip() else ""
    subject = Subject(mobile_hash=mobile_hash, email_hash=email_hash)
    if not subject:
        raise ValidationError(_("Give a mobile number or an e-mail address."), code="required")
    return subject


def subject_of_request(rr) -> Subject:
    """Whose data a rights request concerns: the requester, or for next of kin the deceased.

    For the requester, only what was proven counts: the mobile once an SMS code or staff
    confirmed it, the e-mail once the link sent to it was followed or staff confirmed it. An
    identifier that was merely typed never finds anybody's records.
    """
    stored = getattr(rr, "fulfilment_subject", None) if rr.pk else None
    if stored is not None:
        return Subject(mobile_hash=stored.mobile_hash, email_hash=stored.email_hash)
    return Subject(mobile_hash=rr.proven_mobile_hash, email_hash=rr.proven_email_hash)


def _hash_match(subject: Subject) -> Q:
    match = Q(pk__in=[])
    if subject.mobile_hash:
        match |= Q(kind="mobile", value_hash=subject.mobile_hash)
    if subject.email_hash:
        match |= Q(kind="email", value_hash=subject.email_hash)
    return match


def submissions_of(subject: Subject, *, include_restricted: bool = False, include_erased: bool = False):
    """The person's campaign submissions across purposes, newest first."""
    if not subject:
        return CampaignSubmission.objects.none()
    ids = SubjectHash.objects.filter(_hash_match(subject)).values("submission_id")
    queryset = CampaignSubmission.objects.filter(pk__in=ids)
    if not include_restricted:
        queryset = queryset.exclude(fulfilment_status__restricted_at__isnull=False)
    if not include_erased:
        queryset = queryset.exclude(fulfilment_status__erased_at__isnull=False)
    # Pages and policy versions are Wagtail pages (costly to build): callers that need their
    # titles for many rows use ``page_titles`` and ``policy_labels``.
    return queryset.select_related("purpose", "fulfilment_status").order_by("-submit_time", "-pk")


def page_titles(submissions) -> dict[int, str]:
    ids = {s.page_id for s in submissions if s.page_id}
    return dict(Page.objects.filter(pk__in=ids).values_list("pk", "title"))


def policy_labels(submissions) -> dict[int, str]:
    ids = {s.policy_version_id for s in submissions if s.policy_version_id}
    return dict(PrivacyPolicyPage.objects.filter(pk__in=ids).values_list("pk", "version_label"))


def rights_requests_of(subject: Subject):
    person = Q(pk__in=[])
    if subject.mobile_hash:
        person |= Q(mobile_hash=subject.mobile_hash)
    if subject.email_hash:
        person |= Q(email_hash=subject.email_hash)
    return RightsRequest.objects.filter(person).order_by("-received_at")


@dataclass
class PersonData:
    """Everything found about one person."""

    subject: Subject
    submissions: list = field(default_factory=list)
    rights_requests: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.submissions

    @property
    def consents(self) -> list[dict]:
        """One consent per submission: purpose, policy version, when given and when withdrawn."""
        return [consent_of(s) for s in self.submissions]


def consent_of(submission) -> dict:
    status = getattr(submission, "fulfilment_status", None)
    return {
        "submission_id": submission.pk,
        "purpose": submission.purpose.code,
        "policy_version": submission.policy_version_label(),
        "given_at": submission.consent_at,
        "withdrawn_at": status.consent_withdrawn_at if status else None,
        "guardian_consent": submission.guardian_consent,
    }


def find_person(subject: Subject, *, include_restricted: bool = False) -> PersonData:
    """All the person's submissions, rights requests and consents (restricted ones only on request)."""
    if not subject:
        return PersonData(subject=subject)
    return PersonData(
        subject=subject,
        submissions=list(submissions_of(subject, include_restricted=include_restricted)),
        rights_requests=list(rights_requests_of(subject)),
    )


def arrangement_for(subject: Subject):
    """The person's own recorded arrangement for after death (the newest), or None."""
    if not subject:
        return None
    match = Q(pk__in=[])
    if subject.mobile_hash:
        match |= Q(mobile_hash=subject.mobile_hash)
    if subject.email_hash:
        match |= Q(email_hash=subject.email_hash)
    return PosthumousArrangement.objects.filter(match).order_by("-recorded_at", "-pk").first()


def restricted_submissions():
    """Submissions under restriction (§6.5): only Privacy officers see them."""
    return (
        CampaignSubmission.objects.filter(
            fulfilment_status__restricted_at__isnull=False, fulfilment_status__erased_at__isnull=True
        )
        .select_related("purpose", "page", "fulfilment_status")
        .order_by("-submit_time")
    )


def minors_without_guardian_consent():
    """Minors' submissions stored without a guardian's consent (§4), not yet erased."""
    return (
        CampaignSubmission.objects.filter(is_minor=True, guardian_consent=False)
        .exclude(fulfilment_status__erased_at__isnull=False)
        .select_related("purpose", "page")
        .order_by("-submit_time")
    )
