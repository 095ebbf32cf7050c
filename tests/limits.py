"""Message limits out of the way, for tests about something else that send many messages."""

RELAXED = 100_000


def relaxed_message_limits(value: int = RELAXED) -> dict:
    """Settings that let one client send ``value`` messages to one recipient, with no proof-of-work."""
    return {
        "RIGHTS_REQUEST_LIMIT_PER_IP_HOUR": value,
        "MESSAGE_LIMIT_PER_PURPOSE_HOUR": value,
        "MESSAGE_LIMIT_PER_PURPOSE_DAY": value,
        "MESSAGE_LIMIT_PER_RECIPIENT_HOUR": value,
        "MESSAGE_LIMIT_PER_RECIPIENT_DAY": value,
        "MESSAGE_LIMIT_PER_CLIENT_AND_RECIPIENT_HOUR": value,
        "MESSAGE_LIMIT_PER_IP_HOUR": value,
        "MESSAGE_LIMIT_PER_SUBNET_HOUR": value,
        "MESSAGE_POW_THRESHOLD": value,
        "MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_HOUR": value,
        "MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_DAY": value,
    }


def relax_message_limits(settings, value: int = RELAXED) -> None:
    """Apply ``relaxed_message_limits`` to pytest-django's ``settings`` fixture."""
    for name, limit in relaxed_message_limits(value).items():
        setattr(settings, name, limit)
