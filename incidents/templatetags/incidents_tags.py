from django import template

from ..services import live_announcements

register = template.Library()


@register.inclusion_tag("incidents/incident_banner.html")
def incident_banner():
    """The incident announcements currently published (policy §5), for every public page."""
    return {"announcements": live_announcements()}
