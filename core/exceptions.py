"""One root for every refusal a service raises.

A ``ServiceError`` means nothing was stored. It carries ``errors`` (a field name, or
``__all__``, mapped to messages a person can read), ``code`` (for machines, e.g. the API's
error body) and, when waiting helps, ``retry_after`` in seconds. Each app's errors
(submission refused, rights-request refused, SMS refused, export refused …) subclass it, so
views and the API answer every one of them the same way.
"""

from django.utils.translation import gettext_lazy as _

NON_FIELD = "__all__"


class ServiceError(Exception):
    default_message = _("The request could not be completed.")
    default_code = "invalid"

    def __init__(self, errors=None, *, code: str | None = None, retry_after: int | None = None):
        if errors is None:
            errors = {NON_FIELD: [self.default_message]}
        elif not isinstance(errors, dict):
            errors = {NON_FIELD: [errors]}
        self.errors: dict[str, list[str]] = {
            key: [str(m) for m in messages] for key, messages in errors.items()
        }
        self.code = code or self.default_code
        if retry_after is not None or not hasattr(self, "retry_after"):
            # A subclass may have set its own before calling this.
            self.retry_after = retry_after
        # The first message, for a refusal that has one reason (a subclass may set its own).
        self.message = self.messages[0] if self.messages else str(self.default_message)
        super().__init__(self.describe())

    @property
    def messages(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]

    def describe(self) -> str:
        """The text ``str(error)`` gives: every message, joined."""
        return "; ".join(self.messages)
