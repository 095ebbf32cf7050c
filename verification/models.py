"""Records behind SMS verification."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.fields import EncryptedTextField
from core.phone import mask_mobile


class SMSChallenge(models.Model):
    """One SMS code sent to one mobile for one purpose.

    The policy makes a visitor prove they hold the mobile they give (§1.1–1.6, 1.8,
    1.9). The code itself is never stored: only a keyed HMAC bound to this
    challenge, the mobile and the purpose, so a copy of the table reveals no code
    and a code for one challenge proves nothing for another. The mobile is kept
    encrypted, with a keyed hash for lookups; the requesting IP feeds rate limits.
    """

    public_id = models.CharField(_("public id"), max_length=64, unique=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=64)
    mobile_encrypted = EncryptedTextField(_("mobile (encrypted)"), editable=False)
    mobile_hash = models.CharField(_("mobile hash"), max_length=64, db_index=True, editable=False)
    code_hmac = models.CharField(_("code HMAC"), max_length=64, editable=False)
    requested_ip = models.GenericIPAddressField(_("requested from IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    consumed_at = models.DateTimeField(_("token used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS challenge")
        verbose_name_plural = _("SMS challenges")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.purpose} {self.masked_mobile}"

    @property
    def mobile(self) -> str:
        """The verified mobile in E.164 form."""
        return crypto.decrypt(self.mobile_encrypted)

    @property
    def masked_mobile(self) -> str:
        try:
            return mask_mobile(self.mobile)
        except crypto.DecryptionError:
            return crypto.MASK

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at
