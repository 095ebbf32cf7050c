from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value) -> int | str:
    """Whole minutes of a timedelta (rounded up), e.g. for the login lockout page."""
    if not isinstance(value, timedelta):
        return ""
    seconds = int(value.total_seconds())
    return (seconds + 59) // 60
