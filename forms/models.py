"""The purpose whitelist, campaign form pages and their submissions."""

import hashlib

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.forms.models import FORM_FIELD_CHOICES, AbstractEmailForm, AbstractFormField
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page, RevisionMixin
from wagtail.search import index

from . import catalogue, operations, serving, signals
from .admin_forms import CampaignFormPageForm, PurposeForm
from .builder import CampaignFormBuilder
from .catalogue import is_chinese
from .choices import REGISTRATION_PURPOSES, Confirmation, RepeatPolicy, RowKind
from .definition import form_class, form_definition
from .registrations import CampaignSession, FunnelCount, Registration  # noqa: F401 - as forms.models
from .review import screen_publish_check
from .screen.models import ScreenApproval, ScreenTerm  # noqa: F401 - the screen's models, as forms.models
from .submissions import CampaignSubmission, DocumentDownload, SubjectHash  # noqa: F401 - as forms.models
from .whitelist import page_policy_problems, purpose_change_problem, split_cities
from .workflow import PrivacyReviewTask, privacy_review_workflow  # noqa: F401 - the task model, as forms.models


class Purpose(RevisionMixin, ClusterableModel):
    """A purpose of collection named by the privacy policy (§1) and the fields it allows.

    The whitelist is data so that it can follow the policy: the privacy officer edits it
    when the policy changes, every edit is kept as a revision (who, when, what), and
    every page and submission points at the purpose it serves.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    clause = models.CharField(_("policy clause"), max_length=20, help_text=_("For example §1.5"))
    sms_required = models.BooleanField(
        _("SMS verification required"),
        default=True,
        help_text=_("The policy says the mobile number is verified with an SMS code for this purpose."),
    )
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        default=730,
        help_text=_("How long submissions for this purpose are kept before they are erased."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    base_form_class = PurposeForm
    panels = [
        FieldPanel("code"),
        FieldRowPanel([FieldPanel("name_zh"), FieldPanel("name_en")]),
        FieldRowPanel([FieldPanel("clause"), FieldPanel("sms_required"), FieldPanel("retention_days")]),
        InlinePanel("fields", heading=_("Allowed personal fields"), label=_("Allowed field")),
    ]

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.clause} {self.name}"

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_zh if is_chinese() else self.name_en

    def allowed_field_keys(self) -> set[str]:
        """Catalogue keys this purpose may collect."""
        return {f.field_key for f in self.fields.all()}

    def optional_only_keys(self) -> set[str]:
        """Allowed keys that a page may only collect as optional."""
        return {f.field_key for f in self.fields.all() if not f.required}

    @property
    def is_sensitive(self) -> bool:
        return bool(self.allowed_field_keys() & catalogue.SENSITIVE_KEYS)


class PurposeField(Orderable):
    """One personal field a purpose allows, and whether a page may make it required."""

    purpose = ParentalKey(Purpose, on_delete=models.CASCADE, related_name="fields")
    field_key = models.CharField(_("personal field"), max_length=40, choices=catalogue.choices())
    required = models.BooleanField(
        _("may be required"),
        default=True,
        help_text=_(
            "Untick for fields the policy lists as optional: pages may then only ask for them optionally."
        ),
    )

    panels = [FieldPanel("field_key"), FieldPanel("required")]

    class Meta(Orderable.Meta):
        verbose_name = _("allowed field")
        verbose_name_plural = _("allowed fields")
        constraints = [
            models.UniqueConstraint(fields=["purpose", "field_key"], name="forms_purposefield_unique_key")
        ]

    def __str__(self):
        return self.field_key


class CampaignIndexPage(Page):
    """The campaigns section: lists the live campaign form pages below it."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["forms.CampaignFormPage"]

    class Meta:
        verbose_name = _("campaigns index")

    def get_workflow(self):
        return privacy_review_workflow()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["campaigns"] = self.campaigns()
        return context

    def campaigns(self):
        return (
            CampaignFormPage.objects.live()
            .public()
            .child_of(self)
            .select_related("purpose")
            .order_by("-first_published_at")
        )


class CampaignFormField(AbstractFormField):
    """One row of a campaign form: a personal field from the catalogue or a plain question.

    Personal rows are keyed by their catalogue key (never by their label), so the
    whitelist check, the submission pipeline and the subject index all see the same
    identifier; question rows get a stable ``q_…`` key that cannot clash with them.
    """

    page = ParentalKey("CampaignFormPage", on_delete=models.CASCADE, related_name="form_fields")
    kind = models.CharField(_("kind"), max_length=10, choices=RowKind.choices, default=RowKind.PERSONAL)
    field_key = models.CharField(
        _("personal field"),
        max_length=40,
        blank=True,
        choices=catalogue.choices(),
        help_text=_(
            "For personal fields: which kind of personal information (only those the purpose allows)."
        ),
    )
    label = models.CharField(
        _("label"),
        max_length=255,
        blank=True,
        help_text=_(
            "Questions need a label; personal fields use the catalogue label unless you override it."
        ),
    )
    field_type = models.CharField(
        _("field type"),
        max_length=16,
        choices=FORM_FIELD_CHOICES,
        default="singleline",
        help_text=_("For questions only; personal fields take their type from the catalogue."),
    )

    panels = [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("field_key")]),
        FieldPanel("label"),
        FieldPanel("help_text"),
        FieldPanel("required"),
        FieldPanel("field_type", classname="formbuilder-type"),
        FieldPanel("choices", classname="formbuilder-choices"),
        FieldPanel("default_value", classname="formbuilder-default"),
    ]

    class Meta(AbstractFormField.Meta):
        verbose_name = _("form row")
        verbose_name_plural = _("form rows")

    def __str__(self):
        return self.display_label

    @property
    def is_personal(self) -> bool:
        return self.kind == RowKind.PERSONAL

    @property
    def display_label(self) -> str:
        if self.label:
            return self.label
        if self.is_personal and self.field_key in catalogue.FIELDS:
            return catalogue.get(self.field_key).label
        return self.field_key or ""

    def get_field_clean_name(self):
        if self.is_personal:
            return self.field_key
        return question_key(self.label)

    def save(self, *args, **kwargs):
        if self.is_personal:
            self.clean_name = self.field_key
        elif not self.clean_name or self.clean_name in catalogue.FIELDS:
            self.clean_name = question_key(self.label)
        super().save(*args, **kwargs)


def question_key(label: str) -> str:
    """A stable, controlled key for a question row, derived from a digest of its label."""
    return "q_" + hashlib.sha256((label or "").strip().encode("utf-8")).hexdigest()[:10]


# Every personal field of the catalogue, plus the SMS step: hidden from error reports.
SENSITIVE_FORM_PARAMETERS = (*catalogue.FIELDS, "sms_code", "challenge_id", "verification_token")


class CampaignFormPage(AbstractEmailForm):
    """A campaign form for exactly one purpose of the privacy policy.

    Built on Wagtail's e-mail form page so the submissions listing, exports and the
    notification e-mail keep working; the purpose's whitelist decides which personal
    fields the page may carry, checked when the page is saved and again on every
    submission.
    """

    purpose = models.ForeignKey(
        Purpose, on_delete=models.PROTECT, related_name="pages", verbose_name=_("purpose")
    )
    intro = RichTextField(_("introduction"), blank=True)
    thank_you_text = RichTextField(_("thank-you text"), blank=True)
    cities = models.TextField(
        _("cities"),
        blank=True,
        help_text=_("One city per line: the choices of the field “City you plan to attend in”."),
    )
    download_document = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("download"),
        help_text=_("For download requests: the document whose link is e-mailed after the submission."),
    )
    opens_at = models.DateTimeField(
        _("opens at"),
        null=True,
        blank=True,
        help_text=_(
            "Beijing time. Before it the page says the campaign is not open yet and takes no sign-ups."
        ),
    )
    closes_at = models.DateTimeField(
        _("closes at"),
        null=True,
        blank=True,
        help_text=_("Beijing time. After it the page says the campaign is closed and takes no sign-ups."),
    )
    repeat_policy = models.CharField(
        _("a second sign-up from the same mobile"),
        max_length=10,
        choices=RepeatPolicy.choices,
        default=RepeatPolicy.REFUSE,
    )
    confirmation = models.CharField(
        _("confirmation to the visitor"),
        max_length=10,
        choices=Confirmation.choices,
        default=Confirmation.BOTH,
        help_text=_("Sent only on the channels the form collects (a verified mobile, an e-mail address)."),
    )
    confirmation_text_zh = models.TextField(
        _("confirmation text (Chinese)"),
        blank=True,
        help_text=_(
            "Leave empty for the standard text. You may use {title}, {city}, {time}, {venue} and {link}."
        ),
    )
    confirmation_text_en = models.TextField(
        _("confirmation text (English)"),
        blank=True,
        help_text=_(
            "Leave empty for the standard text. You may use {title}, {city}, {time}, {venue} and {link}."
        ),
    )
    team = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("campaign team"),
        help_text=_(
            "Marketers who work on this campaign and may read its submissions, besides the page's owner."
        ),
    )

    base_form_class = CampaignFormPageForm
    # Builds the form from the page's definition (``get_form_class`` caches it per revision).
    form_builder = CampaignFormBuilder

    content_panels = [
        *AbstractEmailForm.content_panels,
        FieldPanel("purpose"),
        FieldPanel("intro"),
        InlinePanel("form_fields", heading=_("Form rows"), label=_("Row")),
        FieldPanel("cities"),
        FieldPanel(
            "download_document",
            help_text=_(
                "For download requests: the document whose link is e-mailed after the submission. "
                "It must be in the private collection “Campaign downloads”, so that only the link opens it."
            ),
        ),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("repeat_policy"),
                InlinePanel(
                    "sessions",
                    heading=_("Sessions and seats"),
                    label=_("Session"),
                    help_text=_(
                        "For events and courses: one session per city, with its time, venue and seats. "
                        "Sign-ups past the seats join a waiting list."
                    ),
                ),
                FieldPanel("confirmation"),
                FieldRowPanel([FieldPanel("confirmation_text_zh"), FieldPanel("confirmation_text_en")]),
            ],
            heading=_("Running the campaign"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("from_address"), FieldPanel("to_address")]), FieldPanel("subject")],
            heading=_("Notification e-mail"),
        ),
    ]
    settings_panels = [*AbstractEmailForm.settings_panels, FieldPanel("team")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro"), APIField("form_definition")]

    parent_page_types = ["forms.CampaignIndexPage", "home.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("campaign form page")

    def clean(self):
        super().clean()
        if getattr(self, "_rows_checked_by_form", False):
            return  # the admin form checked the purpose and the rows it is saving
        refused = purpose_change_problem(page=self, purpose_id=self.purpose_id)
        if refused:
            raise ValidationError({"purpose": [refused]})

        problems = page_policy_problems(
            purpose=self.purpose if self.purpose_id else None,
            rows=list(self.form_fields.all()),
            cities=self.city_list(),
            download_document_id=self.download_document_id,
        )
        errors: dict[str, list[str]] = {}
        for problem in problems:
            if problem.row is None:
                target = (
                    problem.field if problem.field in {"cities", "download_document"} else NON_FIELD_ERRORS
                )
                errors.setdefault(target, []).append(problem.message)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Every path that stores the page (API, revisions, copies, clean=False) keeps the
        # purpose its submissions were collected under.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"purpose", "purpose_id"} & set(update_fields):
            refused = purpose_change_problem(page=self, purpose_id=self.purpose_id)
            if refused:
                raise ValidationError({"purpose": [refused]})
        return super().save(*args, **kwargs)

    def get_workflow(self):
        """Every campaign page goes live through the Privacy review, wherever it sits."""
        return privacy_review_workflow()

    def publish(self, revision, user=None, **kwargs):
        """Every way a revision goes live (editor, bulk action, moderation workflow) passes the
        screen: rows it sends for review go live only when a Privacy officer approved them or
        is the one publishing (which approves them)."""
        screen_publish_check(page=self, revision=revision, user=user)
        return super().publish(revision, user=user, **kwargs)

    @property
    def form_definition(self) -> dict:
        """Purpose and field definitions for Wagtail's API v2 (as ``GET /api/forms/{id}``)."""
        return form_definition(self)

    def city_list(self) -> list[str]:
        return split_cities(self.cities)

    def get_submission_class(self):
        return CampaignSubmission

    def get_submissions_list_view_class(self):
        # Exports from the listing go through the data tools' rules (permission, escaping, audit),
        # which register their list view with the ``campaign_submissions_list_view`` hook.
        for fn in hooks.get_hooks("campaign_submissions_list_view"):
            return fn()
        return super().get_submissions_list_view_class()

    def get_submissions(self):
        """Submissions that may still be processed: apps narrow the listing and its exports
        with the ``filter_campaign_submissions`` hook (e.g. restricted or withdrawn ones)."""
        queryset = super().get_submissions().select_related("registration__session")
        for fn in hooks.get_hooks("filter_campaign_submissions"):
            queryset = fn(queryset)
        return queryset

    def get_form_class(self):
        """The form class of the page's definition, built by ``form_builder`` and cached per revision."""
        return form_class(self)

    def get_data_fields(self):
        definition = form_definition(self)
        return [
            ("submit_time", _("Submission date")),
            *[(f["name"], f["label"]) for f in definition["fields"]],
            ("consent_at", _("Consent given at")),
            ("policy_version", _("Policy version")),
            ("is_minor", _("Minor")),
            *(
                [("registration", _("Sign-up")), ("checked_in_at", _("Checked in at"))]
                if self.purpose_id and self.purpose.code in REGISTRATION_PURPOSES
                else []
            ),
            ("utm_source", _("Source (utm_source)")),
            ("utm_medium", _("Medium (utm_medium)")),
            ("utm_campaign", _("Campaign (utm_campaign)")),
            ("referrer", _("Referring site")),
        ]

    def process_form_submission(self, form):
        """Campaign submissions are stored only by ``forms.services.submission_create``
        (consent, SMS check, encryption, subject index), whose notification task sends
        only to the company's own mail domains; Wagtail's plain path would skip all that."""
        raise NotImplementedError("campaign submissions are stored by forms.services.submission_create")

    def send_mail(self, form):
        raise NotImplementedError("notifications are sent by forms.services.send_submission_notification")

    # --- serving the form (the server-rendered front door of the pipeline) ---

    def get_template(self, request, *args, **kwargs):
        return "forms/campaign_form_page.html"

    def get_landing_page_template(self, request, *args, **kwargs):
        return "forms/campaign_form_page_landing.html"

    def serve_preview(self, request, mode_name):
        self._is_preview = True
        return super().serve_preview(request, mode_name)

    def get_preview_context(self, request, mode_name):
        self._is_preview = True
        context = super().get_preview_context(request, mode_name)
        context.update(self._form_context(request, form=context["form"]))
        return context

    @method_decorator(sensitive_post_parameters(*SENSITIVE_FORM_PARAMETERS))
    def serve(self, request, *args, **kwargs):
        if getattr(request, "is_preview", False):
            self._is_preview = True
        return serving.serve(self, request, *args, **kwargs)

    def render_form(self, request, *, form, status=200, **extra):
        context = self.get_context(request)
        context.update(self._form_context(request, form=form, **extra))
        return TemplateResponse(request, self.get_template(request), context, status=status)

    def _form_context(self, request, *, form, errors=None, sms=None):
        definition = form_definition(self)
        post = request.POST if request.method == "POST" else {}
        errors = errors or {}
        state = operations.window_state(self)
        return {
            "form": form,
            "definition": definition,
            "policy": definition["policy"],
            "errors": errors,
            "fields": [(field, _field_errors(form, errors, field.name)) for field in form],
            "top_errors": [m for m in errors.get(NON_FIELD_ERRORS, []) if m not in form.non_field_errors()],
            "sms": sms or {},
            "consent_checked": serving.truthy(post.get("consent")),
            "guardian_checked": serving.truthy(post.get("guardian_consent")),
            "window": {"state": state, "message": operations.window_message(self, state)},
            "source": serving.source_of(request),
            "sessions": self.session_places(),
        }

    def session_places(self) -> list[dict]:
        """Each session with its time, venue and whether seats are left (for the page)."""
        sessions = list(self.sessions.all()) if self.pk else []
        if not sessions:
            return []
        taken = operations.confirmed_counts([s.pk for s in sessions if s.pk])
        return [
            {
                "session": s,
                "left": None if s.capacity is None else max(0, s.capacity - taken.get(s.pk, 0)),
            }
            for s in sessions
        ]

    def render_landing_page(self, request, form_submission=None, *args, **kwargs):
        context = self.get_context(request)
        context["form_submission"] = form_submission
        context["policy"] = form_definition(self)["policy"]
        context["registration"] = operations.registration_view(form_submission) if form_submission else None
        return TemplateResponse(request, self.get_landing_page_template(request), context)


def _field_errors(form, errors: dict, name: str) -> list[str]:
    """A field's messages once each: the bound form's and the pipeline's (which repeat them)."""
    messages = [str(m) for m in form.errors.get(name, [])] if form.is_bound else []
    for message in errors.get(name, []):
        if str(message) not in messages:
            messages.append(str(message))
    return messages


@receiver(post_save, sender=Purpose)
@receiver(post_delete, sender=Purpose)
@receiver(post_save, sender=PurposeField)
@receiver(post_delete, sender=PurposeField)
def _whitelist_changed(sender, **kwargs):
    signals.whitelist_changed.send(sender=sender)
