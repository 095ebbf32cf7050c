"""Campaign form operations: the one submission pipeline that both
the page and the JSON API call (the form definition is ``forms.definition``, the whitelist check
``forms.whitelist``, the verdict and its review ``forms.review``)."""

import datetime
import json
import logging
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from wagtail import hooks
from wagtail.admin.mail import send_mail

from core import crypto
from home.mail_domains import address_allowed, display_rule, split_addresses
from home.models import NotificationDomains
from messaging import gate
from messaging.tasks import DeliveryFailed, retry_later
from verification.services import InvalidToken, token_consume

from . import catalogue, operations
from .choices import SubjectKind
from .definition import (  # noqa: F401 - the definition's API, as callers have always imported it
    form_class,
    form_definition,
    page_definition,
    whitelist_changed,
    whitelist_version,
)
from .downloads import queue_download_email
from .errors import SubmissionConflict, SubmissionRateLimited, SubmissionRejected
from .registrations import FunnelStep
from .submissions import CampaignSubmission, SubjectHash
from .whitelist import list_separator

logger = logging.getLogger(__name__)

ADULT_AGE = 18
CHILD_AGE = 14


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
    source: dict | None = None,
):
    """Validate and store one submission, or raise ``SubmissionRejected`` storing nothing.

    Only the page's allowed fields are accepted; any other key refuses the whole
    submission. Outside the page's opening window it is a ``SubmissionConflict`` (409), and
    so is a second sign-up from the same verified mobile unless the page lets it update the
    first (``forms.operations.admit``). Where the purpose requires SMS, the verification
    token is consumed for the submitted mobile in the same transaction as the insert.
    Sensitive values are stored encrypted (a mask stands in ``form_data``) and keyed hashes
    of the mobile and e-mail are indexed; events and courses give the sign-up its seat or
    its place on the waiting list. ``ip`` is the client address as resolved by ``core.net``;
    it is not stored with the submission. ``source`` holds the UTM tags and referring host.
    """
    operations.check_open(page)
    definition, form, is_minor = _validate(
        page=page, data=data, consent=consent, guardian_consent=guardian_consent
    )
    cleaned = form.cleaned_data
    sensitive = {k: cleaned[k] for k in catalogue.SENSITIVE_KEYS if cleaned.get(k)}
    stored = {}
    for name, value in cleaned.items():
        stored[name] = catalogue.get(name).display(value) if name in sensitive else _stored_value(value)
    hashes = []
    mobile_hash = crypto.mobile_hash(cleaned["mobile"]) if cleaned.get("mobile") else ""
    if mobile_hash:
        hashes.append((SubjectKind.MOBILE, mobile_hash))
    if cleaned.get("email"):
        hashes.append((SubjectKind.EMAIL, crypto.email_hash(cleaned["email"])))

    code = definition["purpose"]["code"]
    admission = _admit_download_email(
        page=page, purpose_code=code, email=cleaned.get("email"), ip=ip, form=form
    )
    city = str(cleaned.get("intended_city") or "")
    values = {
        "form_data": stored,
        "form_revision_id": page.live_revision_id,
        "policy_version_id": definition["policy"]["id"],
        "consent_at": timezone.now(),
        "is_minor": is_minor,
        "guardian_consent": bool(guardian_consent and is_minor),
        "sensitive_data": crypto.encrypt(json.dumps(sensitive, ensure_ascii=False)) if sensitive else "",
        **operations.clean_source(source),
    }
    with transaction.atomic():
        if definition["sms_required"]:
            _consume_token(
                token=verification_token, mobile=cleaned.get("mobile"), purpose=definition["purpose"]["code"]
            )
            operations.funnel_hit(page_id=page.pk, step=FunnelStep.VERIFIED)
        # One sign-up per person counts verified mobiles only: a typed one proves nobody.
        verified_hash = mobile_hash if definition["sms_required"] else ""
        try:
            earlier = operations.admit(page=page, mobile_hash=verified_hash)
        except SubmissionConflict as exc:
            exc.form = form
            raise
        if earlier is not None:
            submission = _update_earlier(earlier, values=values, hashes=hashes, city=city)
        else:
            submission = CampaignSubmission.objects.create(
                page_id=page.pk,
                purpose_id=page.purpose_id,
                user=user if getattr(user, "is_authenticated", False) else None,
                **values,
            )
            _insert_subject_hashes(SubjectHash, submission.pk, hashes)
            operations.register(submission=submission, page=page, city=city, mobile_hash=verified_hash)
        operations.funnel_hit(page_id=page.pk, step=FunnelStep.SUBMITTED, city=city)
        transaction.on_commit(
            lambda: _after_commit(page=page, purpose_code=code, submission=submission, admission=admission)
        )
    logger.debug("campaign submission %s stored for page %s", submission.pk, page.pk)
    return submission


def _update_earlier(earlier: CampaignSubmission, *, values: dict, hashes, city: str) -> CampaignSubmission:
    """A page that lets a second sign-up update the first: the earlier submission takes the new
    answers (and consent), its subject index follows, and a new city moves its seat."""
    submission = CampaignSubmission.objects.select_for_update().get(pk=earlier.pk)
    for name, value in values.items():
        setattr(submission, name, value)
    submission.save(update_fields=list(values))
    SubjectHash.objects.filter(submission_id=submission.pk).delete()
    _insert_subject_hashes(SubjectHash, submission.pk, hashes)
    registration = operations.Registration.objects.filter(submission_id=submission.pk).first()
    if registration is not None and registration.is_live:
        session = operations.session_for(submission.page, city)
        if session is not None and session.pk != registration.session_id:
            operations.registration_move(registration=registration, session=session)
    submission.updated_earlier = True
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
    try:
        return gate.admit(channel="email", recipient=str(email), purpose="download_link", ip=ip)
    except gate.SendRefused as exc:
        raise SubmissionRateLimited(exc.message, retry_after=exc.retry_after, form=form) from None


def _after_commit(*, page, purpose_code, submission, admission=None) -> None:
    if page.to_address:
        send_submission_notification.enqueue(submission_id=submission.pk)
    if admission is not None:
        queue_download_email(submission=submission, admission=admission)


#: Hook run when an e-mail carries personal data out of the database, inside the sender's
#: transaction: ``fn(recipients=[...], field_keys=[...], record_count=int, reason=str)``.
#: The rights app registers it to write the disclosure register (policy §2).
RECORD_DISCLOSURE_HOOK = "record_disclosure"


def notification_recipients(*, page, rules=None) -> tuple[list[str], list[str]]:
    """The page's notification addresses split into (allowed, refused) by the company's
    mail domains (``home.NotificationDomains``); with no domain set, every one is refused."""
    if rules is None:
        rules = NotificationDomains.rules()
    allowed, refused = [], []
    for address in split_addresses(page.to_address):
        (allowed if address_allowed(address, rules) else refused).append(address)
    return allowed, refused


def notification_address_errors(value: str, *, rules=None) -> list[str]:
    """One message per notification address outside the company's mail domains."""
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
