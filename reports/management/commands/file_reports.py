"""Queue the filing of every completed screening whose current version has no filed report and no
filing under way: screenings completed before reports were filed, and filings whose job was lost.

The report filed this way is made from today's data and layout, not as it would have been at the
time; the filing date says so.
"""

from django.core.management.base import BaseCommand

from reports.filing import FilingState, filing_state, request_filing
from screening.models import Screening


class Command(BaseCommand):
    help = "Queue the filing of the intake report for completed screenings that have none for their current version."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be queued; queue nothing.")

    def handle(self, *args, dry_run=False, **options):
        queued = 0
        for screening in Screening.objects.completed().order_by("completed_at").iterator(chunk_size=500):
            state = filing_state(screening)
            if state.status == FilingState.FILED or not state.can_retry:
                continue
            self.stdout.write(f"{'would queue' if dry_run else 'queued'}: screening {screening.pk} v{state.version} ({state.status})")
            if not dry_run:
                request_filing(screening, state.version)
            queued += 1
        self.stdout.write(f"{queued} filing{'s' if queued != 1 else ''} {'to queue' if dry_run else 'queued'}.")
