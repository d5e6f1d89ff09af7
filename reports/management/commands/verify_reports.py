"""Re-hash every filed report from storage and list any that differ from the SHA-256 recorded when
it was filed, or whose file is missing. Files under filed/ that no filed report points at (a job that
died between writing its file and creating its row) are listed as a warning.

Exit status 1 when a report differs or is missing; 0 otherwise (orphans alone are only a warning).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.filing import STALE_AFTER, orphan_files, sha256_of_stored
from reports.models import FiledReport, report_storage


class Command(BaseCommand):
    help = "Re-hash every filed report; list those that differ or are missing, and orphan files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete-orphans", action="store_true",
            help=f"Delete orphan files older than {int(STALE_AFTER.total_seconds() // 60)} minutes "
                 "(younger ones may belong to a job still running).",
        )

    def handle(self, *args, delete_orphans=False, **options):
        checked = differs = missing = 0
        reports = FiledReport.objects.order_by("filed_at", "pk").only("pk", "screening_id", "version", "file", "sha256")
        for filed in reports.iterator(chunk_size=500):
            checked += 1
            where = f"{filed.pk} screening {filed.screening_id} v{filed.version}"
            try:
                actual = sha256_of_stored(filed.file.name)
            except FileNotFoundError:
                missing += 1
                self.stdout.write(f"missing: {where} file {filed.file.name}")
                continue
            if actual != filed.sha256:
                differs += 1
                self.stdout.write(f"differs: {where} expected {filed.sha256} got {actual}")

        orphans = orphan_files()
        deleted = 0
        storage, cutoff = report_storage(), timezone.now() - STALE_AFTER
        for name in orphans:
            self.stdout.write(f"warning: orphan file {name} (no filed report points at it)")
            if delete_orphans and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                deleted += 1

        summary = (f"{checked} filed report{'s' if checked != 1 else ''} checked: {checked - differs - missing} ok, "
                   f"{differs} differ, {missing} missing; {len(orphans)} orphan file{'s' if len(orphans) != 1 else ''}"
                   + (f" ({deleted} deleted)" if delete_orphans else ""))
        if differs or missing:
            raise CommandError(summary)  # exit status 1
        self.stdout.write(summary)
