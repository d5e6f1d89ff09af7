"""Site staff see how the filing of intake reports went (the error of a failed job included), read-only
and audited like the clinical records (screening/admin.py)."""

from django.contrib import admin

from reports.models import ReportFiling
from screening.admin import ReadOnlyAdmin


@admin.register(ReportFiling)
class ReportFilingAdmin(ReadOnlyAdmin):
    list_display = ["screening", "version", "status", "attempts", "queued_at", "started_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["screening__client"]
