from django.contrib import admin

from screening.models import Answer, Client, Screening


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["code", "clinic", "created_at"]
    list_filter = ["clinic"]
    search_fields = ["code"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0

    # A completed screening is locked; its answers are read-only here too.
    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_draft

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(Screening)
class ScreeningAdmin(admin.ModelAdmin):
    list_display = ["client", "kind", "status", "clinician", "started_at", "completed_at"]
    list_filter = ["status", "kind", "instrument_key", "client__clinic"]
    readonly_fields = ["scores", "completed_at"]
    inlines = [AnswerInline]
