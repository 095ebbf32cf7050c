from django.core.management.base import BaseCommand

from rights_requests.fulfilment.services import purge_expired


class Command(BaseCommand):
    help = (
        "Erase campaign submissions kept longer than their purpose's retention period (and restricted "
        "ones whose legal retention ended), with the same erasure as a deletion request. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only print what would be erased.")

    def handle(self, *args, dry_run: bool = False, **options):
        counts = purge_expired(dry_run=dry_run)
        verb = "Would erase (dry run)" if dry_run else "Erased"
        total = sum(counts.values())
        detail = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
        self.stdout.write(f"{verb}: {total}" + (f" ({detail})" if detail else ""))
