"""Start the scheduled jobs: the clean-up of expired exports, which then queues itself again about
every hour, and the monthly reliability estimates, which run now (doing nothing when this month's are
made) and then queue themselves for 02:00 on the first of each month. Safe to run at every start
(`make run` does): nothing is added when one is waiting."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from reports import jobs
from screening import estimates


class Command(BaseCommand):
    help = ("Queue the hourly clean-up of expired exports and the monthly reliability estimates, unless one "
            "is already waiting.")

    def handle(self, *args, **options):
        result = jobs.schedule_purge(after=timedelta(0))
        if result is None:
            self.stdout.write("The clean-up of expired exports is already scheduled (or this queue cannot defer jobs).")
        else:
            self.stdout.write(f"Queued the clean-up of expired exports ({result.id}); it runs every "
                              "EXPORT_PURGE_EVERY_MINUTES after that.")
        result = estimates.schedule_next(at_once=True)
        if result is None:
            self.stdout.write("The monthly reliability estimates are already scheduled.")
        else:
            self.stdout.write(f"Queued the monthly reliability estimates ({result.id}); they run at 02:00 on the "
                              "first of each month after that.")
