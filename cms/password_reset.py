"""The admin's password reset, with the same message limits as every other e-mail.

The typed address is counted against the limits (``forms.sms.gate``, purpose
``password_reset``: per address, per client IP and network, site-wide) whether or not an
account has it, so the answer never tells whether an address is registered: under the
limits it is always the "check your inbox" page, over them always the same friendly
refusal (429 with ``Retry-After``). The e-mail goes through the encrypted delivery queue
like every other message.
"""

import logging

from django.core.exceptions import ValidationError
from django.template import loader
from wagtail.admin.forms.auth import PasswordResetForm
from wagtail.admin.views.account import PasswordResetView

from core.net import client_ip
from messaging import gate
from messaging.services import queue_email

logger = logging.getLogger(__name__)


class RateLimitedPasswordResetForm(PasswordResetForm):
    def __init__(self, *args, ip=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ip = ip
        self.admission = None
        self.retry_after = None

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and not self.errors:
            try:
                self.admission = gate.admit(
                    channel="email", recipient=email, purpose="password_reset", ip=self.ip
                )
            except gate.SendRefused as exc:
                self.retry_after = exc.retry_after
                raise ValidationError(exc.message, code="rate_limited") from None
        return cleaned

    def send_mail(  # noqa: PLR0917 (Django's signature)
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        if self.admission is None or not self.admission.covers(channel="email", recipient=to_email):
            logger.warning("password reset e-mail not sent: the address was not the one counted")
            return
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = (
            loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        )
        queue_email(
            to=[to_email],
            subject=subject,
            body=body,
            html_body=html,
            purpose="password_reset",
            admission=self.admission,
        )


class RateLimitedPasswordResetView(PasswordResetView):
    """Wagtail's reset view with the form above (it needs the client's IP)."""

    def get_form_class(self):
        return RateLimitedPasswordResetForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["ip"] = client_ip(self.request)
        return kwargs

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
