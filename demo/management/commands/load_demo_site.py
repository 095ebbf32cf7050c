from django.core.management.base import BaseCommand, CommandError

from demo.loader import load_demo_site
from home.demo import point_site_at


class Command(BaseCommand):
    help = "Load the demo site (home page, privacy policy, campaigns). Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="",
            help="Where the site is served (e.g. http://127.0.0.1:8000): the default Site takes its host "
            "and port, so links in SMS and e-mails open it.",
        )

    def handle(self, *args, base_url: str = "", **options):
        for line in load_demo_site():
            self.stdout.write(f"demo: {line}")
        if base_url:
            try:
                site = point_site_at(base_url)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"demo: site served at {site.root_url}")
        self.stdout.write(self.style.SUCCESS("Demo site is ready."))
