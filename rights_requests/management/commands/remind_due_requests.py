import datetime

from django.core.management.base import BaseCommand, CommandError

from rights_requests.services import remind_due_requests


class Command(BaseCommand):
    help = (
        "E-mail privacy staff about unanswered rights requests due within RIGHTS_REQUEST_REMIND_DAYS "
        "or overdue. Each request is listed at most once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=str, help="Run as of this date (YYYY-MM-DD, Asia/Shanghai).")

    def handle(self, *args, date: str | None = None, **options):
        on = None
        if date:
            try:
                on = datetime.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, got {date!r}") from exc
        references, recipients = remind_due_requests(on=on)
        if not references:
            self.stdout.write("No reminders to send.")
            return
        self.stdout.write(
            f"Reminded {len(recipients)} staff member(s) about {len(references)} request(s): {', '.join(references)}"
        )
