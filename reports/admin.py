"""Site staff see, read-only and audited like the clinical records (screening/admin.py), how the
filing of intake reports went and which clinic exports ran (the error of a failed job included)."""

from django.contrib import admin

from reports.models import Export, ReportFiling
from screening.admin import ReadOnlyAdmin


@admin.register(ReportFiling)
class ReportFilingAdmin(ReadOnlyAdmin):
    list_display = ["screening", "version", "status", "attempts", "queued_at", "started_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["screening__client"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """Read-only, for site staff: which exports ran, how far they got, and why one failed (its
    traceback). The files themselves are downloaded by the clinic's admins only, on their pages."""

    list_display = ["requested_at", "clinic", "kind", "status", "rows_done", "rows_total", "finished_at", "expires_at"]
    list_filter = ["status", "kind", "clinic"]
    readonly_fields = ["clinic", "requested_by", "kind", "params", "params_key", "status", "rows_done", "rows_total",
                       "size", "sha256", "error", "task_id", "requested_at", "started_at", "heartbeat_at",
                       "finished_at", "expires_at"]
    exclude = ["file"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
