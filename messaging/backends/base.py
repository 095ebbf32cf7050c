"""The interface every SMS backend implements, modelled on Django's e-mail backends."""

import secrets
from dataclasses import dataclass, field


class SMSDeliveryError(Exception):
    """A message could not be handed to the carrier; the text never contains the message."""


@dataclass
class SMSMessage:
    """One text to one mobile (E.164).

    ``body`` is the full rendered text (console, file and test backends show it);
    ``template_params`` are the values a carrier template needs (gateway backend).
    """

    to: str
    body: str
    template_params: dict = field(default_factory=dict)
    message_id: str = field(default_factory=lambda: secrets.token_hex(16))


class BaseSMSBackend:
    """Subclasses implement ``send_messages``; ``fail_silently`` turns errors into a count of 0."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def send_messages(self, messages: list[SMSMessage]) -> int:
        """Send ``messages`` and return how many were accepted. Must be overridden."""
        raise NotImplementedError("subclasses of BaseSMSBackend must override send_messages()")
