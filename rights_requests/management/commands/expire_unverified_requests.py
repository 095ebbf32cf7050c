from django.conf import settings
from django.core.management.base import BaseCommand

from rights_requests.services import expire_unverified_requests


class Command(BaseCommand):
    help = (
        "Close web rights requests whose mobile number was not verified within "
        "RIGHTS_REQUEST_UNVERIFIED_DAYS days. Running it again closes nothing more."
    )

    def handle(self, *args, **options):
        references = expire_unverified_requests()
        if not references:
            self.stdout.write("No unverified requests to expire.")
            return
        days = settings.RIGHTS_REQUEST_UNVERIFIED_DAYS
        self.stdout.write(
            f"Closed {len(references)} request(s) not verified within {days} days: {', '.join(references)}"
        )
