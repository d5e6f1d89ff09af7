"""The Django admin shows clinical records read-only, and every look at one is audited.

The admin site is for the people who run the installation (creating a clinic and its first admin).
Clinical records change only through the application, where clinic scoping, locking, amendments
with reasons and the audit trail apply. Staff reach the admin only past two-factor
(clinicians.middleware.TwoFactorMiddleware); each record a page shows writes an audit row
(admin.viewed_record: who, which record, from which address) under the record's clinic, so that
clinic's admins see it in their trail.
"""

from django.contrib import admin
from django.template.response import TemplateResponse

from audit.trail import record
from clinicians.actors import Actor
from screening import audit_actions as A
from screening.models import Amendment, Answer, Client, FollowUp, SafetyFlag, Screening


def _clinic_id(obj):
    return obj.clinic_id if isinstance(obj, Client) else obj.client.clinic_id


class ReadOnlyAdmin(admin.ModelAdmin):
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The record's page (with its inlines: answers, amendments, follow-ups), shown read-only.
        if obj is not None:
            record(A.ADMIN_VIEWED_RECORD, Actor.from_request(request), obj=obj, clinic_id=_clinic_id(obj),
                   detail="site admin")
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = response.context_data.get("cl") if isinstance(response, TemplateResponse) else None
        if changelist is not None:  # a row for each record the page lists
            actor, detail = Actor.from_request(request), f"site admin, {self.model._meta.verbose_name} list"
            for obj in changelist.result_list:
                record(A.ADMIN_VIEWED_RECORD, actor, obj=obj, clinic_id=_clinic_id(obj), detail=detail)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = response.context_data.get("object") if isinstance(response, TemplateResponse) else None
        if obj is not None:
            record(A.ADMIN_VIEWED_RECORD, Actor.from_request(request), obj=obj, clinic_id=_clinic_id(obj),
                   detail="site admin, history")
        return response

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
