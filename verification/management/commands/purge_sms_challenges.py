from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from verification.services import challenge_purge


class Command(BaseCommand):
    help = "Delete SMS challenges (encrypted mobile, code HMAC, IP) older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep challenges this many days (default: SMS_CHALLENGE_RETENTION_DAYS).",
        )

    def handle(self, *args, days=None, **options):
        days = days if days is not None else int(settings.SMS_CHALLENGE_RETENTION_DAYS)
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = challenge_purge(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} SMS challenge(s) older than {days} day(s).")
