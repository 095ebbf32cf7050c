import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


def ensure_dev_admin(username: str) -> tuple[object, str | None]:
    """Create a local superuser with a fresh random password, or leave an existing one.

    Returns the user and the new password (None when the account already existed).
    """
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser(
        username=username, email=f"{username}@example.com", password=password
    )
    return user, password


class Command(BaseCommand):
    help = "Development only: make sure a local admin account exists and say how to log in."

    def add_arguments(self, parser):
        parser.add_argument("--username", type=str, default="admin", help="Account name (default: admin).")
        parser.add_argument(
            "--reset-password", action="store_true", help="Give the existing account a new random password."
        )
        parser.add_argument(
            "--base-url",
            type=str,
            default="",
            help="Where the site will be served, for the login hint (default: WAGTAILADMIN_BASE_URL).",
        )

    def handle(self, *args, username: str, reset_password: bool, base_url: str, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_dev_admin only runs with DEBUG on (development settings).")
        user, password = ensure_dev_admin(username)
        if password is None and reset_password:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
        url = f"{(base_url or settings.WAGTAILADMIN_BASE_URL).rstrip('/')}/admin/"
        if password is None:
            self.stdout.write(
                f"Admin account '{username}' exists. Log in at {url} "
                "(forgot the password? run: make admin-password)"
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Log in at {url} as '{username}' with password: {password}")
            )
