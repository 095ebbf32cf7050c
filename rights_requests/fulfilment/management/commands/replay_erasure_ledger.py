from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rights_requests.fulfilment.services import ledger_path, replay_ledger


class Command(BaseCommand):
    help = (
        "Apply every erasure, restriction and withdrawal of the erasure ledger again, after a database "
        "backup was restored. Entries missing from the restored database are read back from the ledger "
        "file. Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ledger-file",
            type=Path,
            default=None,
            help="The ledger file (JSON lines); defaults to ERASURE_LEDGER_PATH.",
        )

    def handle(self, *args, ledger_file: Path | None = None, **options):
        path = ledger_file or ledger_path()
        if ledger_file is not None and not ledger_file.exists():
            raise CommandError(f"Ledger file not found: {ledger_file}")
        result = replay_ledger(path=path)
        self.stdout.write(
            f"Ledger entries: {result.entries} ({result.restored_entries} restored from the file). "
            f"Re-applied: {result.erased} erased, {result.restricted} restricted, "
            f"{result.withdrawn} withdrawn, {result.sms_challenges} SMS challenges removed."
        )
