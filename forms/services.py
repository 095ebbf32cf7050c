"""Campaign form operations: the form definition and the one submission pipeline that both
the page and the JSON API call (the whitelist check is ``forms.whitelist``, the verdict and
its review ``forms.review``)."""

import datetime
import json
import logging
import time
import uuid
from decimal import Decimal

from django import forms
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_tasks import task

from core import crypto
from home.policy import current_policy

from . import catalogue
from .choices import QUESTION_CHOICE_TYPES, SubjectKind
from .whitelist import list_separator

logger = logging.getLogger(__name__)

WHITELIST_VERSION_KEY = "forms:whitelist-version"
DEFINITION_TIMEOUT = 3600
ADULT_AGE = 18
CHILD_AGE = 14
QUESTION_MAX_LENGTH = 255
QUESTION_MULTILINE_MAX_LENGTH = 2000


class SubmissionRejected(Exception):
    """A submission was refused and nothing was stored.

    ``errors`` maps a field name (or ``consent``, ``guardian_consent``,
    ``verification_token``, ``__all__``) to messages; ``form`` is the validated form
    when there is one, so the page can show the visitor's input with the errors.
    """

    def __init__(self, errors: dict[str, list[str]], form=None):
        self.errors = {key: [str(m) for m in messages] for key, messages in errors.items()}
        self.form = form
        super().__init__(json.dumps(self.errors, ensure_ascii=False))


class SubmissionRateLimited(SubmissionRejected):
    """The message the submission would send is over the limits; nothing was stored and the
    verification token is still unused, so the visitor can send it again after ``retry_after``."""

    def __init__(self, message: str, *, retry_after: int, form=None):
        self.retry_after = retry_after
        super().__init__({"__all__": [message]}, form=form)


# --- the form definition (cached per page revision) -----------------------------------------


# The whitelist version is read from the shared cache at most once a second per process:
# a change made in this process applies at once, one made elsewhere within a second.
VERSION_RECHECK_SECONDS = 1.0
_version_memo: list = [None, 0.0]


def whitelist_version() -> str:
    version, read_at = _version_memo
    now = time.monotonic()
    if version is not None and now - read_at < VERSION_RECHECK_SECONDS:
        return version
    version = cache.get(WHITELIST_VERSION_KEY)
    if version is None:
        cache.add(WHITELIST_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(WHITELIST_VERSION_KEY)
    _version_memo[:] = [version, now]
    return version


def whitelist_changed() -> None:
    """Invalidate every cached form definition (a purpose or its fields changed)."""
    version = uuid.uuid4().hex
    cache.set(WHITELIST_VERSION_KEY, version, None)
    _version_memo[:] = [version, time.monotonic()]


def _definition_cache_key(page) -> str | None:
    revision = page.live_revision_id
    published = page.last_published_at
    if revision is None or published is None or getattr(page, "_is_preview", False):
        return None
    stamp = published.timestamp()
    return f"forms:def:{page.pk}:{revision}:{stamp}:{whitelist_version()}:{get_language()}"


def _refused_by_screen(row) -> bool:
    """A live row the screen now refuses: the page stops serving it at once."""
    from .choices import RowKind
    from .screen import row_findings
    from .screen.terms import fits

    findings = [f for f in row_findings(row) if f.refuses]
    if row.kind == RowKind.PERSONAL:
        allowed = fits(row.field_key)
        findings = [f for f in findings if f.category not in allowed]
    return bool(findings)


def _build_definition(page) -> dict:
    from .choices import RowKind

    purpose = page.purpose
    allowed = purpose.allowed_field_keys()
    cities = page.city_list()
    fields = []
    for row in page.form_fields.all():
        if row.kind == RowKind.PERSONAL:
            if row.field_key not in allowed or row.field_key not in catalogue.FIELDS:
                continue  # no longer allowed: the page stops accepting it
            if _refused_by_screen(row):
                continue  # its texts ask for something else (a term added since it went live)
            definition = catalogue.get(row.field_key)
            if row.field_key == "intended_city":
                choices = [(c, c) for c in cities]
            else:
                choices = definition.get_choices()
            fields.append(
                {
                    "name": row.field_key,
                    "label": row.label or definition.label,
                    "type": definition.input_type,
                    "required": bool(row.required),
                    "choices": [list(c) for c in choices] if definition.kind == "choice" else [],
                    "help_text": row.help_text,
                    "personal": True,
                    "sensitive": definition.sensitive,
                    "max_length": definition.max_length
                    if definition.kind not in ("date", "choice")
                    else None,
                }
            )
        else:
            if _refused_by_screen(row):
                continue
            choices = _split_choices(row.choices) if row.field_type in QUESTION_CHOICE_TYPES else []
            fields.append(
                {
                    "name": row.clean_name or row.get_field_clean_name(),
                    "label": row.label,
                    "type": row.field_type,
                    "required": bool(row.required),
                    "choices": [[c, c] for c in choices],
                    "help_text": row.help_text,
                    "personal": False,
                    "sensitive": False,
                    "default": row.default_value,
                    "max_length": QUESTION_MULTILINE_MAX_LENGTH
                    if row.field_type == "multiline"
                    else (QUESTION_MAX_LENGTH if row.field_type == "singleline" else None),
                }
            )
    names = {f["name"] for f in fields}
    return {
        "page_id": page.pk,
        "title": page.title,
        "purpose": {
            "code": purpose.code,
            "name": purpose.name,
            "clause": purpose.clause,
            "retention_days": purpose.retention_days,
        },
        "sms_required": purpose.sms_required,
        "minors_check": "birth_date" in names,
        "fields": fields,
    }


def _split_choices(value: str) -> list[str]:
    value = (value or "").strip()
    if not value:
        return []
    lines = value.splitlines()
    if len(lines) > 1:
        return [line.strip().rstrip(",").strip() for line in lines if line.strip()]
    return [c.strip() for c in value.split(",") if c.strip()]


def _page_definition(page) -> dict:
    key = _definition_cache_key(page)
    if key is None:
        return _build_definition(page)
    definition = _local_definitions.get(key)
    if definition is None:
        definition = cache.get(key)
        if definition is None:
            definition = _build_definition(page)
            cache.set(key, definition, DEFINITION_TIMEOUT)
        _remember(_local_definitions, key, definition)
    return definition


_local_definitions: dict[str, dict] = {}
_local_form_classes: dict[str, type] = {}
LOCAL_CACHE_SIZE = 256


def _remember(store: dict, key: str, value) -> None:
    if len(store) >= LOCAL_CACHE_SIZE:
        store.clear()
    store[key] = value


def page_definition(page) -> dict:
    """``form_definition`` without the policy (no cache round trip for it)."""
    return _page_definition(page)


def form_definition(page) -> dict:
    """What a client needs to render and submit ``page``'s form.

    ``{"page_id", "title", "purpose": {"code", "name", "clause", "retention_days"},
    "sms_required", "minors_check", "fields": [{"name", "label", "type", "required",
    "choices", "help_text", "personal", "sensitive", "max_length"}], "policy":
    {"id", "version", "url", "title"} | None}``. Built from the page's live rows and
    its purpose's whitelist and cached per page revision, whitelist version and
    language, so serving a form costs no whitelist queries.
    """
    return {**_page_definition(page), "policy": current_policy()}


# --- the form class ----------------------------------------------------------------------------


class CampaignForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        self.page = kwargs.pop("page", None)
        self.user = kwargs.pop("user", None)
        super().__init__(*args, **kwargs)


def _question_formfield(spec: dict) -> forms.Field:
    options = {"label": spec["label"], "required": spec["required"], "help_text": spec["help_text"]}
    kind = spec["type"]
    choices = [tuple(c) for c in spec["choices"]]
    if kind == "checkbox":
        return forms.BooleanField(**options)
    if kind == "checkboxes":
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **options)
    if kind == "multiselect":
        return forms.MultipleChoiceField(choices=choices, **options)
    if kind == "radio":
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **options)
    if kind == "dropdown":
        return forms.ChoiceField(choices=[("", "---------"), *choices], **options)
    if kind == "number":
        return forms.DecimalField(max_digits=20, decimal_places=6, **options)
    if kind == "date":
        return catalogue.CatalogueDateField(**options)
    multiline = kind == "multiline"
    widget = forms.Textarea(attrs={"rows": 3}) if multiline else forms.TextInput
    return catalogue.TextField(multiline=multiline, max_length=spec["max_length"], widget=widget, **options)


def _build_form_class(definition: dict) -> type:
    attrs = {}
    for spec in definition["fields"]:
        if spec["personal"]:
            field_def = catalogue.get(spec["name"])
            choices = [c[0] for c in spec["choices"]] if spec["name"] == "intended_city" else None
            attrs[spec["name"]] = field_def.formfield(
                label=spec["label"], required=spec["required"], help_text=spec["help_text"], choices=choices
            )
        else:
            attrs[spec["name"]] = _question_formfield(spec)
    return type("CampaignPageForm", (CampaignForm,), attrs)


def form_class(page) -> type:
    """The Django form class for ``page`` (only the fields its purpose allows)."""
    key = _definition_cache_key(page)
    if key is None:
        return _build_form_class(_page_definition(page))
    cls = _local_form_classes.get(key)
    if cls is None:
        cls = _build_form_class(_page_definition(page))
        _remember(_local_form_classes, key, cls)
    return cls


# --- the submission pipeline -------------------------------------------------------------------

MULTI_TYPES = frozenset({"checkboxes", "multiselect"})
SCALARS = (str, int, float, Decimal, bool)


def _check_shapes(definition: dict, data: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    specs = {f["name"]: f for f in definition["fields"]}
    unknown = sorted(k for k in data if k not in specs)
    for key in unknown:
        shown = str(key)[:60]
        errors[shown] = [_("This form does not collect “%(key)s”.") % {"key": shown}]
    if unknown:
        errors["__all__"] = [
            _("The submission contains fields this form does not collect: %(keys)s. Nothing was stored.")
            % {"keys": ", ".join(str(k)[:60] for k in unknown)}
        ]
    for name, value in data.items():
        spec = specs.get(name)
        if spec is None or value is None:
            continue
        if spec["type"] in MULTI_TYPES and not spec["personal"]:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                errors[name] = [_("Send a list of choices.")]
        elif not isinstance(value, SCALARS):
            errors[name] = [_("Send a single value.")]
    return errors


def _age_on(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _validate(*, page, data, consent: bool, guardian_consent: bool):
    definition = form_definition(page)
    if not isinstance(data, dict):
        raise SubmissionRejected({"__all__": [_("The submission must be a set of field values.")]})
    errors = _check_shapes(definition, data)
    if errors:
        raise SubmissionRejected(errors)

    form = form_class(page)(data=data, page=page)
    form.is_valid()
    extra: dict[str, list[str]] = {}
    is_minor = False
    birth = form.cleaned_data.get("birth_date") if definition["minors_check"] else None
    if isinstance(birth, datetime.date):
        age = _age_on(birth, timezone.localdate())
        if age < CHILD_AGE:
            form.add_error(
                "birth_date",
                _(
                    "Children under 14 cannot submit this form themselves. A parent or guardian can "
                    "contact our privacy officer on their behalf."
                ),
            )
        elif age < ADULT_AGE:
            is_minor = True
            if not guardian_consent:
                extra["guardian_consent"] = [
                    _(
                        "Applicants under 18 need the consent of a parent or guardian: tick the box to confirm it."
                    )
                ]
    if consent is not True:
        extra["consent"] = [_("Please read the privacy policy and tick the box to agree to it.")]
    policy = definition["policy"]
    if policy is None:
        extra.setdefault("consent", []).append(
            _("The privacy policy is not published yet, so this form cannot accept submissions.")
        )
    if form.errors or extra:
        errors = {key: list(messages) for key, messages in form.errors.items()}
        for key, messages in extra.items():
            errors.setdefault(key, []).extend(messages)
        raise SubmissionRejected(errors, form=form)
    return definition, form, is_minor


def submission_validate(*, page, data: dict, consent: bool, guardian_consent: bool = False) -> dict:
    """Validate without storing (the page checks the form before it spends an SMS code).

    Returns the cleaned data or raises ``SubmissionRejected``.
    """
    _definition, form, _minor = _validate(
        page=page, data=data, consent=consent, guardian_consent=guardian_consent
    )
    return form.cleaned_data


def _stored_value(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def submission_create(
    *,
    page,
    data: dict,
    consent: bool,
    verification_token: str | None,
    ip: str,
    guardian_consent: bool = False,
    user=None,
):
    """Validate and store one submission, or raise ``SubmissionRejected`` storing nothing.

    Only the page's allowed fields are accepted; any other key refuses the whole
    submission. Where the purpose requires SMS, the verification token is consumed for
    the submitted mobile in the same transaction as the insert. Sensitive values are
    stored encrypted (a mask stands in ``form_data``) and keyed hashes of the mobile and
    e-mail are indexed. ``ip`` is the client address as resolved by ``core.net``; it is
    not stored with the submission.
    """
    from .models import CampaignSubmission, SubjectHash

    definition, form, is_minor = _validate(
        page=page, data=data, consent=consent, guardian_consent=guardian_consent
    )
    cleaned = form.cleaned_data
    sensitive = {k: cleaned[k] for k in catalogue.SENSITIVE_KEYS if cleaned.get(k)}
    stored = {}
    for name, value in cleaned.items():
        stored[name] = catalogue.get(name).display(value) if name in sensitive else _stored_value(value)
    hashes = []
    if cleaned.get("mobile"):
        hashes.append((SubjectKind.MOBILE, crypto.mobile_hash(cleaned["mobile"])))
    if cleaned.get("email"):
        hashes.append((SubjectKind.EMAIL, crypto.email_hash(cleaned["email"])))

    code = definition["purpose"]["code"]
    admission = _admit_download_email(
        page=page, purpose_code=code, email=cleaned.get("email"), ip=ip, form=form
    )
    with transaction.atomic():
        if definition["sms_required"]:
            _consume_token(
                token=verification_token, mobile=cleaned.get("mobile"), purpose=definition["purpose"]["code"]
            )
        submission = CampaignSubmission.objects.create(
            page_id=page.pk,
            form_data=stored,
            purpose_id=page.purpose_id,
            policy_version_id=definition["policy"]["id"],
            consent_at=timezone.now(),
            is_minor=is_minor,
            guardian_consent=bool(guardian_consent and is_minor),
            sensitive_data=crypto.encrypt(json.dumps(sensitive, ensure_ascii=False)) if sensitive else "",
            user=user if getattr(user, "is_authenticated", False) else None,
        )
        _insert_subject_hashes(SubjectHash, submission.pk, hashes)
        transaction.on_commit(
            lambda: _after_commit(page=page, purpose_code=code, submission=submission, admission=admission)
        )
    logger.debug("campaign submission %s stored for page %s", submission.pk, page.pk)
    return submission


def _insert_subject_hashes(model, submission_id: int, hashes) -> None:
    """One plain multi-row INSERT: this runs on every submission, and ``bulk_create``
    costs more than the submission's own insert. Table and column names come from the
    model, values are parameters."""
    if not hashes:
        return
    qn = connection.ops.quote_name
    columns = ", ".join(
        qn(model._meta.get_field(name).column) for name in ("submission", "kind", "value_hash")
    )
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES (%s, %s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(submission_id, str(kind), value) for kind, value in hashes])


def _consume_token(*, token, mobile, purpose) -> None:
    from verification.services import InvalidToken, token_consume

    if not token:
        raise SubmissionRejected(
            {"verification_token": [_("Verify your mobile number with the SMS code first.")]}
        )
    try:
        token_consume(token=token, mobile=mobile, purpose=purpose)
    except InvalidToken as exc:
        message = getattr(exc, "message", "") or _(
            "The mobile verification is not valid: request a new code."
        )
        raise SubmissionRejected({"verification_token": [message]}) from exc


def _admit_download_email(*, page, purpose_code: str, email, ip, form):
    """Count the download-link e-mail a download submission sends against the message limits
    before anything is stored; ``SubmissionRateLimited`` when it is over them."""
    if purpose_code != "download" or not page.download_document_id or not email:
        return None
    from messaging import gate

    try:
        return gate.admit(channel="email", recipient=str(email), purpose="download_link", ip=ip)
    except gate.SendRefused as exc:
        raise SubmissionRateLimited(exc.message, retry_after=exc.retry_after, form=form) from None


def _after_commit(*, page, purpose_code, submission, admission=None) -> None:
    if page.to_address:
        send_submission_notification.enqueue(submission_id=submission.pk)
    if admission is not None:
        from forms.downloads import queue_download_email

        queue_download_email(submission=submission, admission=admission)


#: Hook run when an e-mail carries personal data out of the database, inside the sender's
#: transaction: ``fn(recipients=[...], field_keys=[...], record_count=int, reason=str)``.
#: The rights app registers it to write the disclosure register (policy §2).
RECORD_DISCLOSURE_HOOK = "record_disclosure"


def notification_recipients(*, page, rules=None) -> tuple[list[str], list[str]]:
    """The page's notification addresses split into (allowed, refused) by the company's
    mail domains (``home.NotificationDomains``); with no domain set, every one is refused."""
    from home.mail_domains import address_allowed, split_addresses
    from home.models import NotificationDomains

    if rules is None:
        rules = NotificationDomains.rules()
    allowed, refused = [], []
    for address in split_addresses(page.to_address):
        (allowed if address_allowed(address, rules) else refused).append(address)
    return allowed, refused


def notification_address_errors(value: str, *, rules=None) -> list[str]:
    """One message per notification address outside the company's mail domains."""
    from home.mail_domains import address_allowed, display_rule, split_addresses
    from home.models import NotificationDomains

    if rules is None:
        rules = NotificationDomains.rules()
    refused = [address for address in split_addresses(value) if not address_allowed(address, rules)]
    if not refused:
        return []
    if not rules:
        message = _(
            "“%(address)s” cannot receive notifications: no company mail domain has been set yet. "
            "Leave the field empty, or ask a Privacy officer to add the company's domains under "
            "Settings → Notification domains."
        )
    else:
        message = _(
            "“%(address)s” is not at one of the company's own mail domains (%(domains)s). Notifications "
            "carry visitors' personal data and go only to company addresses; a Privacy officer keeps "
            "the list under Settings → Notification domains."
        )
    domains = list_separator().join(display_rule(rule) for rule in rules)
    return [message % {"address": address, "domains": domains} for address in refused]


def _notification_content(*, page, submission) -> tuple[str, list[str]]:
    """The e-mail body and the personal field keys it carries.

    A purpose that collects sensitive data gets a notice without any value: the page, the
    time, how many submissions it holds and the admin listing, behind sign-in.
    """
    from django.conf import settings
    from django.urls import reverse

    from .models import CampaignSubmission

    if submission.purpose.is_sensitive or page.purpose.is_sensitive:
        url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
            "wagtailforms:list_submissions", args=(page.pk,)
        )
        body = _(
            "A new submission to “%(page)s” arrived at %(time)s; the page now holds %(count)d submissions.\n\n"
            "This purpose collects sensitive personal information, so this e-mail carries none of it. "
            "Sign in to read the submissions:\n%(url)s"
        ) % {
            "page": page.title,
            "time": f"{timezone.localtime(submission.submit_time):%Y-%m-%d %H:%M}",
            "count": CampaignSubmission.objects.filter(page_id=page.pk).count(),
            "url": url,
        }
        return body, []
    labels = dict(page.get_data_fields())
    lines = [f"{labels.get(name, name)}: {value}" for name, value in submission.form_data.items()]
    keys = [
        name
        for name, value in submission.form_data.items()
        if name in catalogue.FIELDS and value not in ("", None, [], {})
    ]
    return "\n".join(lines), keys


@task()
def send_submission_notification(submission_id: int, attempt: int = 1) -> None:
    """E-mail the page's notification addresses at the company's own domains.

    An address outside them is skipped and logged, whenever the page was saved; a purpose
    that collects sensitive data gets a notice without personal values; a notice that
    carries them is written to the disclosure register (``record_disclosure`` hook) in the
    same transaction. A mail server that is down is tried again with back-off, like every
    other delivery.
    """
    from django.conf import settings
    from django.utils import translation
    from wagtail import hooks
    from wagtail.admin.mail import send_mail

    from messaging.tasks import DeliveryFailed, retry_later

    from .models import CampaignSubmission

    submission = CampaignSubmission.objects.select_related("page", "purpose").filter(pk=submission_id).first()
    if submission is None:
        return
    page = submission.page.specific
    addresses, refused = notification_recipients(page=page)
    if refused:
        logger.warning(
            "submission notification for page %s: %d address(es) outside the company's mail domains skipped",
            page.pk,
            len(refused),
        )
    if not addresses:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body, keys = _notification_content(page=page, submission=submission)
    try:
        with transaction.atomic():
            if keys:
                for fn in hooks.get_hooks(RECORD_DISCLOSURE_HOOK):
                    fn(recipients=addresses, field_keys=keys, record_count=1, reason="internal_notification")
            send_mail(page.subject or page.title, body, addresses, page.from_address, fail_silently=False)
    except OSError as exc:
        retry_later(send_submission_notification, attempt, submission_id=submission_id)
        raise DeliveryFailed(f"submission notification failed ({type(exc).__name__})") from None
