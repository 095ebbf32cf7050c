"""Kinds of fulfilment steps, ledger actions and grounds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StepKind(models.TextChoices):
    PACKAGE = "package", _("Access package built")
    TRANSFER = "transfer", _("Package transferred to a processor")
    CORRECT = "correct", _("Data corrected")
    WITHDRAW = "withdraw", _("Consent withdrawn")
    ERASE = "erase", _("Data erased")
    RESTRICT = "restrict", _("Processing restricted")
    NO_DATA = "no_data", _("No data held")
    SUBJECT = "subject", _("Deceased person identified")
    REFUSED = "refused", _("Refused by the person's own arrangement")
    AWAITING_APPROVAL = "held", _("Package held for a Privacy officer's approval")
    APPROVED = "approved", _("Release in clear approved by a Privacy officer")
    MASKED = "masked", _("Masked copy released instead")


class LedgerAction(models.TextChoices):
    ERASE = "erase", _("Erase")
    RESTRICT = "restrict", _("Restrict")
    WITHDRAW = "withdraw", _("Withdraw consent")


class LedgerReason(models.TextChoices):
    REQUEST = "request", _("Rights request")
    RETENTION = "retention", _("Retention period passed")
    MINOR = "minor", _("Minor without guardian consent")
    LISTING = "listing", _("Erased by privacy staff from a campaign's submissions")
    SIGN_UP_LINK = "sign_up", _("Sign-up cancelled by the visitor through their own link")


class PackageKind(models.TextChoices):
    COPY = "copy", _("Copy for the requester")
    TRANSFER = "transfer", _("Transfer to a processor")


class DisclosureGround(models.TextChoices):
    """Grounds for sharing or transferring personal information (policy §2)."""

    REQUESTER_TRANSFER = "requester_transfer", _("§6.2 Transfer the person asked for")
    CONSENT = "consent", _("§2 With the person's explicit consent")
    LEGAL_OBLIGATION = "legal_obligation", _("§2 Required by laws and regulations")
    AUTHORITY = "authority", _("§2 Required by a competent authority")
    INTERNAL_NOTIFICATION = "internal_notification", _("Form notification to the company's own staff")


class Arrangement(models.TextChoices):
    """What a person decided, while alive, about their data after death (§6.8)."""

    NEXT_OF_KIN = "next_of_kin", _("Next of kin may exercise the rights")
    NO_ACCESS = "no_access", _("Nobody may access or copy the data")
    DELETE = "delete", _("Delete everything")
