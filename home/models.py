"""Site pages: the home page, the versioned privacy policy, and site-wide settings."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from .mail_domains import parse_rules, stored_rules, validate_rules


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
        from forms.models import CampaignFormPage

        return (
            CampaignFormPage.objects.live()
            .public()
            .descendant_of(self)
            .select_related("purpose")
            .order_by("-first_published_at")
        )


class PrivacyPolicyIndexPage(Page):
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


class PrivacyPolicyPage(Page):
    """One version of the privacy policy, frozen at its own URL.

    The current version is the live one with the latest effective date that has
    already taken effect; campaign forms cite it and submissions record it.
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

    class Meta:
        verbose_name = _("privacy policy version")

    def __str__(self):
        return f"{self.title} ({self.version_label})"

    @classmethod
    def current(cls, today: datetime.date | None = None):
        """The version in force today, or None when no version has been published."""
        today = today or timezone.localdate()
        return cls.objects.live().filter(effective_date__lte=today).order_by("-effective_date", "-pk").first()

    @property
    def is_current(self) -> bool:
        current = type(self).current()
        return current is not None and current.pk == self.pk


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
