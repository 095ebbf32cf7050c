"""Site pages: the home page, the versioned privacy policy, and site-wide settings."""

import datetime
import re

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from .mail_domains import parse_rules, stored_rules, validate_rules
from .permissions import PolicyPagePermissionTester


class HomePage(Page):
    """The site root: introduces the company and lists the live campaign pages."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["campaigns"] = self.live_campaigns()
        return context

    def live_campaigns(self):
        """Live, public campaign form pages anywhere below this page, newest first."""
        # By name: the campaign forms sit above this app.
        CampaignFormPage = apps.get_model("forms", "CampaignFormPage")
        return (
            CampaignFormPage.objects.live()
            .public()
            .descendant_of(self)
            .select_related("purpose")
            .order_by("-first_published_at")
        )


class PolicyPageMixin:
    """The privacy-policy pages: edited only by whom a grant on a policy page names.

    Grants inherited from the home page or the tree root do not count here (see
    ``home.permissions``), and no moderation workflow reaches these pages: a task
    assigned higher up would otherwise open their editor to its reviewers.
    """

    def permissions_for_user(self, user):
        return PolicyPagePermissionTester(user, self)

    def get_workflow(self):
        return None


class PrivacyPolicyIndexPage(PolicyPageMixin, Page):
    """The stable address of the privacy policy: it shows whichever version is current.

    Each published version is a child ``PrivacyPolicyPage`` with its own URL, so a
    consent given under an older version can always be read as it was.
    """

    intro = models.CharField(_("introduction"), max_length=255, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.PrivacyPolicyPage"]
    max_count = 1

    class Meta:
        verbose_name = _("privacy policy (all versions)")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["current"] = PrivacyPolicyPage.current()
        context["versions"] = self.versions()
        return context

    def versions(self):
        return PrivacyPolicyPage.objects.live().child_of(self).order_by("-effective_date", "-pk")


_BLOCK_KEY = re.compile(r' data-block-key="[^"]*"')


def _same_rich_text(stored: str, new: str) -> bool:
    """Whether two rich-text values read the same; the editor only adds block keys."""
    stored, new = _BLOCK_KEY.sub("", stored or ""), _BLOCK_KEY.sub("", new or "")
    if stored == new:
        return True
    # Wagtail's rich-text package loads models at import: it cannot be imported by a models module.
    from wagtail.admin.rich_text import get_rich_text_editor_widget  # noqa: PLC0415 - loads models at import

    widget = get_rich_text_editor_widget()
    converter = getattr(widget, "converter", None)
    if converter is None:
        return False
    round_trip = converter.to_database_format(widget.format_value(stored))
    return _BLOCK_KEY.sub("", round_trip) == new


class PrivacyPolicyPage(PolicyPageMixin, Page):
    """One version of the privacy policy, frozen at its own URL.

    The current version is the live one with the latest effective date that has
    already taken effect; campaign forms cite it and submissions record it. Once a
    version has been published its text never changes (a new text is a new version),
    and while consents cite it, it can be neither unpublished nor deleted.
    """

    version_label = models.CharField(_("version"), max_length=40)
    updated_date = models.DateField(_("updated on"))
    effective_date = models.DateField(_("effective from"))
    body = RichTextField(_("policy text"))

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("version_label"), FieldPanel("updated_date"), FieldPanel("effective_date")],
            heading=_("Version"),
        ),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("body")]
    api_fields = [
        APIField("version_label"),
        APIField("updated_date"),
        APIField("effective_date"),
        APIField("body"),
    ]

    parent_page_types = ["home.PrivacyPolicyIndexPage"]
    subpage_types: list[str] = []

    #: What a reader of the published version read; fixed once it was first published.
    FROZEN_FIELDS = ("title", "slug", "version_label", "updated_date", "effective_date", "body")

    class Meta:
        verbose_name = _("privacy policy version")

    def __str__(self):
        return f"{self.title} ({self.version_label})"

    def clean(self):
        super().clean()
        stored = stored_version(self.pk)
        errors = frozen_field_errors(self, stored)
        if self.expire_at and stored and stored["first_published_at"]:
            errors["expire_at"] = ValidationError(
                _("A published policy version stays online; it cannot be given an expiry date.")
            )
        if errors:
            raise ValidationError(errors)
        if stored and stored["first_published_at"]:
            self.body = stored["body"]  # the same text: keep the published bytes, not the editor's

    def save_revision(self, *args, **kwargs):
        errors = frozen_field_errors(self, stored_version(self.pk))
        if errors:
            raise ValidationError(errors)
        return super().save_revision(*args, **kwargs)

    def is_cited(self) -> bool:
        """Whether any stored record (a submission's consent …) points at this version."""
        if self.pk is None:
            return False
        for relation in self._meta.get_fields(include_parents=False, include_hidden=True):
            if relation.auto_created and not relation.concrete and hasattr(relation, "field"):
                if relation.related_model._base_manager.filter(**{relation.field.name: self.pk}).exists():
                    return True
        return False

    def cited_message(self) -> str:
        return _(
            "“%(version)s” is cited by consents already given, so it can be neither unpublished nor deleted."
        ) % {"version": self}

    @classmethod
    def current(cls, today: datetime.date | None = None):
        """The version in force today, or None when no version has been published."""
        today = today or timezone.localdate()
        return cls.objects.live().filter(effective_date__lte=today).order_by("-effective_date", "-pk").first()

    @property
    def is_current(self) -> bool:
        current = type(self).current()
        return current is not None and current.pk == self.pk


def stored_version(pk) -> dict | None:
    """The row of a policy version as it is stored (the published text once it went live)."""
    if pk is None:
        return None
    fields = ("first_published_at", "live", *PrivacyPolicyPage.FROZEN_FIELDS)
    return PrivacyPolicyPage.objects.filter(pk=pk).values(*fields).first()


def frozen_changes(page: Page, stored: dict | None, fields=None) -> list[str]:
    """The frozen fields ``page`` would change on a version that has been published."""
    if not stored or stored["first_published_at"] is None:
        return []
    own = {field.name: field for field in page._meta.concrete_fields}
    changed = []
    for name in PrivacyPolicyPage.FROZEN_FIELDS:
        if name not in own or (fields is not None and name not in fields):
            continue
        old, new = own[name].to_python(stored[name]), own[name].to_python(getattr(page, name))
        if not (_same_rich_text(old, new) if name == "body" else old == new):
            changed.append(name)
    return changed


def frozen_field_errors(page: Page, stored: dict | None, fields=None) -> dict:
    message = _(
        "This policy version has been published and its text cannot change; add a new version instead."
    )
    return {name: ValidationError(message, code="frozen") for name in frozen_changes(page, stored, fields)}


@receiver(pre_save)
def _refuse_rewriting_a_published_version(sender, instance, raw=False, update_fields=None, **kwargs):
    """Every write of a policy version, specific or through a plain ``Page``, passes here."""
    if raw or not isinstance(instance, Page) or instance.pk is None:
        return
    if instance.content_type_id != ContentType.objects.get_for_model(PrivacyPolicyPage).pk:
        return
    stored = stored_version(instance.pk)
    errors = frozen_field_errors(instance, stored, update_fields)
    if errors:
        raise ValidationError(errors)
    writes_live = update_fields is None or "live" in update_fields
    if writes_live and stored and stored["live"] and not instance.live:
        version = instance.specific_deferred
        if version.is_cited():
            raise ValidationError(version.cited_message())


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """Company identity and privacy contacts shown in the footer and in messages."""

    company_name = models.CharField(_("company name"), max_length=120, default="示例科技有限公司")
    privacy_officer_email = models.EmailField(_("privacy officer e-mail"), default="privacy@example.com")
    privacy_hotline = models.CharField(_("privacy hotline"), max_length=40, default="400-000-0000")

    panels = [
        FieldPanel("company_name"),
        FieldPanel("privacy_officer_email"),
        FieldPanel("privacy_hotline"),
    ]

    class Meta:
        verbose_name = _("site settings")


@register_setting(icon="mail")
class NotificationDomains(BaseGenericSetting):
    """The company's own mail domains: no e-mail carries a visitor's data to any other.

    A setting of its own, so that its change permission goes to Privacy officers only and
    whoever writes a page's notification address cannot widen the list. One list for the
    whole company, whichever site a page belongs to; empty means no notification carries
    personal data anywhere. The rules are described in ``home.mail_domains``.
    """

    domains = models.TextField(
        _("company mail domains"),
        blank=True,
        validators=[validate_rules],
        help_text=_(
            "One domain per line, e.g. example.com. “*.example.com” covers every subdomain of "
            "example.com (mail.example.com …) but not example.com itself; no other wildcard is accepted. "
            "Case does not matter; Chinese domains are stored in their punycode (xn--…) form. "
            "Form notifications with visitors' data go only to addresses at these domains."
        ),
    )

    panels = [FieldPanel("domains")]

    class Meta:
        verbose_name = _("notification domains")

    def __str__(self):
        return str(self._meta.verbose_name)

    def clean(self):
        super().clean()
        try:
            self.domains = "\n".join(parse_rules(self.domains))
        except ValidationError:
            pass  # the field's own validator reports each bad line

    @classmethod
    def rules(cls) -> list[str]:
        """The stored rules; a line edited into the database outside the form and no longer
        valid covers nothing."""
        stored = cls.objects.values_list("domains", flat=True).first()
        return stored_rules(stored or "")
