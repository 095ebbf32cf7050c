from django.core.management.base import BaseCommand, CommandError

from core.crypto import DecryptionError
from core.rotation import rotate_encrypted_values


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored sensitive value with the newest key in FIELD_ENCRYPTION_KEYS. "
        "Run after putting a new key first; remove an old key only once this has finished."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            counts = rotate_encrypted_values(batch_size=batch_size)
        except DecryptionError as exc:
            raise CommandError(
                "A stored value cannot be decrypted with any configured key; keep the old keys in "
                "FIELD_ENCRYPTION_KEYS until rotation has finished."
            ) from exc
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} value(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS("Rotation finished."))
