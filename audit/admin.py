from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, in the admin as everywhere."""

    list_display = ["at", "actor_email", "action", "object_type", "client_id", "ip_address"]
    list_filter = ["action", "clinic"]
    search_fields = ["actor_email", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
