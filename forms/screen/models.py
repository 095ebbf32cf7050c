"""The screen's data: the terms a Privacy officer keeps and the questions they approved."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .terms import MODE_HELP, TermAction, TermMode, category_choices


class ScreenTerm(models.Model):
    """A word or phrase that names a kind of personal information.

    The screen refuses (or sends for review) a form row whose visitor-facing text
    contains it. Seeded from the catalogue and GB/T 35273-2020 Annex A/B; Privacy
    officers add the synonyms, abbreviations and slang they meet.
    """

    term = models.CharField(
        _("term"),
        max_length=60,
        help_text=_(
            "As visitors would read it; traditional characters, full-width letters, look-alike letters, "
            "spaces and pinyin of Chinese terms are matched without listing them."
        ),
    )
    category = models.CharField(_("stands for"), max_length=40, choices=category_choices())
    mode = models.CharField(
        _("match"), max_length=10, choices=TermMode.choices, default=TermMode.AUTO, help_text=MODE_HELP
    )
    action = models.CharField(
        _("when found"), max_length=10, choices=TermAction.choices, default=TermAction.REFUSE
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        app_label = "forms"
        verbose_name = _("screen term")
        verbose_name_plural = _("screen terms")
        ordering = ["category", "term"]
        constraints = [
            models.UniqueConstraint(fields=["term", "category", "mode"], name="forms_screenterm_unique"),
        ]

    def __str__(self):
        return self.term


class ScreenApproval(models.Model):
    """A Privacy officer's approval of one form row the screen could not decide.

    The row is identified by a digest of its purpose, kind and every text a visitor
    sees on it, so changing any of them needs a new approval.
    """

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+", verbose_name=_("page")
    )
    digest = models.CharField(_("row digest"), max_length=64)
    summary = models.CharField(_("row"), max_length=300)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), auto_now_add=True)

    class Meta:
        app_label = "forms"
        verbose_name = _("approved question")
        verbose_name_plural = _("approved questions")
        constraints = [
            models.UniqueConstraint(fields=["page", "digest"], name="forms_screenapproval_unique"),
        ]
        permissions = [
            ("approve_screened_rows", _("Can approve form rows the whitelist screen sends for review")),
        ]

    def __str__(self):
        return self.summary
