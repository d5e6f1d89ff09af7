from django.conf import settings
from django.db import models
from django.utils import timezone

from audit import actions
from audit.append_only import AppendOnlyModel, AppendOnlyQuerySet


class AuditEventQuerySet(AppendOnlyQuerySet):
    def for_clinic(self, clinic_id):
        return self.filter(clinic_id=clinic_id)


class AuditEvent(AppendOnlyModel):
    """Who did what, to which record, when and from where. Rows are only ever added.

    Guarded here (save of an existing row, delete, queryset update/delete) and, on PostgreSQL and SQLite,
    by triggers that refuse UPDATE and DELETE whatever the client (migrations 0003, 0004).

    `action` is a registered name (audit.actions). The record it names is kept by type and id, and
    the client by id, not by foreign key: the trail depends on the accounts app only.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True, help_text="As typed, for failed logins.")
    clinic = models.ForeignKey("clinicians.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    client_id = models.UUIDField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["clinic", "-at"], name="audit_clinic_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def get_action_display(self):
        return actions.label(self.action)
