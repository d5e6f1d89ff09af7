"""Start the scheduled jobs: the clean-up of expired exports, which then queues itself again about
every hour. Safe to run at every start (`make run` does): nothing is added when one is waiting."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from reports import jobs


class Command(BaseCommand):
    help = "Queue the hourly clean-up of expired exports, unless one is already waiting."

    def handle(self, *args, **options):
        result = jobs.schedule_purge(after=timedelta(0))
        if result is None:
            self.stdout.write("The clean-up of expired exports is already scheduled (or this queue cannot defer jobs).")
        else:
            self.stdout.write(f"Queued the clean-up of expired exports ({result.id}); it runs every "
                              "EXPORT_PURGE_EVERY_MINUTES after that.")
