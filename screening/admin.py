"""The Django admin shows clinical records read-only.

The admin site is for the people who run the installation (creating a clinic and its first admin).
Clinical records change only through the application, where clinic scoping, locking, amendments
with reasons and the audit trail apply.
"""

from django.contrib import admin

from screening.models import Amendment, Answer, Client, FollowUp, SafetyFlag, Screening


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    has_add_permission = ReadOnlyAdmin.has_add_permission
    has_change_permission = ReadOnlyAdmin.has_change_permission
    has_delete_permission = ReadOnlyAdmin.has_delete_permission


@admin.register(Client)
class ClientAdmin(ReadOnlyAdmin):
    list_display = ["code", "clinic", "created_at", "discharged_on"]
    list_filter = ["clinic"]
    search_fields = ["code"]


class AnswerInline(ReadOnlyInline):
    model = Answer


class AmendmentInline(ReadOnlyInline):
    model = Amendment


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    list_display = ["client", "kind", "status", "clinician", "started_at", "completed_at", "amended_at"]
    list_filter = ["status", "kind", "instrument_key", "client__clinic"]
    inlines = [AnswerInline, AmendmentInline]


class FollowUpInline(ReadOnlyInline):
    model = FollowUp


@admin.register(SafetyFlag)
class SafetyFlagAdmin(ReadOnlyAdmin):
    list_display = ["title", "client", "raised_at", "recurring", "resolved_at"]
    list_filter = ["resolved_at", "client__clinic"]
    inlines = [FollowUpInline]
