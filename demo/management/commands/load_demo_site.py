from django.core.management.base import BaseCommand

from demo.loader import load_demo_site


class Command(BaseCommand):
    help = "Load the demo site (home page, privacy policy, campaigns). Safe to run repeatedly."

    def handle(self, *args, **options):
        for line in load_demo_site():
            self.stdout.write(f"demo: {line}")
        self.stdout.write(self.style.SUCCESS("Demo site is ready."))
