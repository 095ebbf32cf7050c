"""Development data only: ``load_demo_site`` asks each app for its own demo content.

Each app keeps an idempotent loader beside its models (``home.demo``, ``forms.demo``,
``rights_requests.demo``); this app, at the top of the layers, calls them in order. Nothing in
production imports it.
"""

from django.db import transaction

from forms.demo import create_demo_campaigns
from home.demo import load_home_demo
from rights_requests.demo import create_demo_rights_pages


@transaction.atomic
def load_demo_site() -> list[str]:
    """Create or complete the demo site; running it twice gives the same site."""
    home, report = load_home_demo()
    report.append(f"{len(create_demo_campaigns(parent=home))} campaign pages")
    report.append(f"{len(create_demo_rights_pages(parent=home))} privacy-rights pages")
    return report
