from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from core.taskqueue import NotADatabaseQueue, requeue_stalled


class Command(BaseCommand):
    help = (
        "Put tasks back in the queue that a task worker left RUNNING when it died "
        "(database task queue only). Run it from cron, e.g. every 15 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=30,
            metavar="MINUTES",
            help="Requeue tasks running for longer than this (default 30; longer than any task takes).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List the tasks, change nothing.")

    def handle(self, *args, older_than: int, dry_run: bool, **options):
        if older_than < 1:
            raise CommandError(
                "--older-than must be at least 1 minute: a shorter limit would requeue live tasks."
            )
        try:
            found = requeue_stalled(older_than=timedelta(minutes=older_than), dry_run=dry_run)
        except NotADatabaseQueue as exc:
            raise CommandError(f"Nothing to do: {exc}") from None
        for task in found:
            self.stdout.write(f"{task.id}  {task.task_name}  running since {task.started_at.isoformat()}")
        verb = "would be requeued" if dry_run else "requeued"
        self.stdout.write(f"{len(found)} stalled task(s) {verb}.")
