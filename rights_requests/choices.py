"""States, request types, channels and answer outcomes of a rights request.

The lifecycle has exactly four states; refusal, fee, partial fulfilment, withdrawal and
expiry are recorded as data (outcome, refusal ground, closure reason), not as states.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFIED = "verified", _("Verified")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class RequestType(models.TextChoices):
    """The rights of policy §6 that a person can exercise."""

    ACCESS = "access", _("Access")
    COPY = "copy", _("Copy")
    TRANSFER = "transfer", _("Transfer")
    CORRECT = "correct", _("Correct or supplement")
    WITHDRAW_CONSENT = "withdraw_consent", _("Withdraw or change consent")
    DELETE = "delete", _("Delete")
    DEREGISTER = "deregister", _("Close account")
    POSTHUMOUS = "posthumous", _("Posthumous arrangement (next of kin)")
    COMPLAINT = "complaint", _("Complaint")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")


class VerificationMethod(models.TextChoices):
    SMS = "sms", _("SMS code to the mobile given")
    STAFF = "staff", _("Checked by staff against evidence")


class IdentifierProof(models.TextChoices):
    """How one identifier of a request (its mobile, its e-mail) was proven to be the requester's.

    Only a proven identifier is ever used to find a person's records (policy §6.9: verify first).
    """

    SMS = "sms", _("SMS code sent to this number")
    EMAIL_LINK = "email_link", _("Confirmation link sent to this address")
    STAFF = "staff", _("Checked by staff (see the note)")


class Outcome(models.TextChoices):
    FULFILLED = "fulfilled", _("Fulfilled")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partly fulfilled")
    REFUSED = "refused", _("Refused")
    FEE_REQUIRED = "fee_required", _("Fee required")


class RefusalGround(models.TextChoices):
    """Grounds on which a request may be declined: policy §6.9 and the eleven cases of §1.11."""

    GROUNDLESSLY_REPEATED = "groundlessly_repeated", _("§6.9 Groundlessly repeated request")
    EXCESSIVE_TECHNICAL_MEANS = (
        "excessive_technical_means",
        _("§6.9 Needs excessive technical means (a new system or a fundamental change of practice)"),
    )
    RISK_TO_OTHERS = "risk_to_others", _("§6.9 Puts the lawful rights and interests of others at risk")
    HIGHLY_IMPRACTICAL = "highly_impractical", _("§6.9 Highly impractical (e.g. information on backup tapes)")
    LEGAL_OBLIGATION = "legal_obligation", _("§1.11① Related to our obligations under laws and regulations")
    NATIONAL_SECURITY = "national_security", _("§1.11② Related to national security or national defence")
    PUBLIC_INTEREST = (
        "public_interest",
        _("§1.11③ Related to public safety, public health or major public interests"),
    )
    CRIMINAL_PROCEEDINGS = (
        "criminal_proceedings",
        _("§1.11④ Related to criminal investigation, prosecution, trial or enforcement of judgments"),
    )
    VITAL_INTERESTS = (
        "vital_interests",
        _("§1.11⑤ Protecting life, property or other major lawful interests when consent is hard to obtain"),
    )
    SELF_DISCLOSED = "self_disclosed", _("§1.11⑥ Information the person disclosed to the public themselves")
    LAWFULLY_PUBLIC = (
        "lawfully_public",
        _("§1.11⑦ Collected from lawfully disclosed information (news reports, government disclosure)"),
    )
    CONTRACT_NECESSITY = (
        "contract_necessity",
        _("§1.11⑧ Necessary for a contract made at the person's request"),
    )
    SERVICE_SECURITY = (
        "service_security",
        _("§1.11⑨ Necessary to keep the products or services secure and stable"),
    )
    ACADEMIC_RESEARCH = (
        "academic_research",
        _("§1.11⑩ Statistical or academic research in the public interest, with results de-identified"),
    )
    OTHER_LAW = "other_law", _("§1.11⑪ Other cases provided by laws and regulations")


class ClosureReason(models.TextChoices):
    ANSWERED = "answered", _("Closed after the answer")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    EXPIRED = "expired", _("Not verified in time")


class NotificationEvent(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFIED = "verified", _("Verified")
    ANSWERED = "answered", _("Answered")
    EXTENDED = "extended", _("Extended")
