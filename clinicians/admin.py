from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from clinicians.models import Clinic, Invitation, User


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "clinic", "role", "is_active", "is_staff"]
    list_filter = ["clinic", "role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Clinic", {"fields": ["full_name", "clinic", "role"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "clinic", "role", "password1", "password2"]})]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "clinic", "role", "created_at", "expires_at", "accepted_at"]
    readonly_fields = ["token_hash"]
