"""Files the reports app keeps: clinic exports made by a background job, and the intake report
filed when a screening is completed or amended (the exact bytes, with their SHA-256)."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.db import models
from django.db.models import Q
from django.utils import timezone


class _ReportStorage(LazyObject):
    """The "reports" storage of settings.STORAGES, looked up when first used and again after the
    setting changes (tests point it at a temporary folder). A FileField keeps the storage it was
    given when the model was defined; this one follows the setting."""

    def _setup(self):
        self._wrapped = storages["reports"]


_REPORT_STORAGE = _ReportStorage()


@receiver(setting_changed)
def _reports_storage_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        _REPORT_STORAGE._wrapped = empty


def report_storage():
    # Resolved when used, so tests (and a move to a bucket) can swap the "reports" storage in settings.
    return _REPORT_STORAGE


class Export(models.Model):
    """One clinic export, asked for by a clinic admin and made by a background job."""

    class Kind(models.TextChoices):
        SCORES_XLSX = "scores_xlsx", "Scores (XLSX, one row per screening and bond, with the data dictionary)"
        ITEMS_CSV = "items_csv_gz", "Item answers (CSV, gzip-compressed)"
        ITEMS_PARQUET = "items_parquet", "Item answers (Parquet, for analysts)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being made"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("clinicians.Clinic", on_delete=models.PROTECT, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What was asked for ({"from": "2026-01-01", "to": ...}); the same kind and params join a running export.
    params = models.JSONField(default=dict, blank=True)
    params_key = models.CharField(max_length=64, editable=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(storage=report_storage, upload_to="exports/", blank=True, max_length=200)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True, help_text="For staff: what went wrong, when the job failed.")
    task_id = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last progress from the worker.")
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["clinic", "-requested_at"]), models.Index(fields=["status", "expires_at"])]
        constraints = [
            # A second identical request while one is waiting or running joins it.
            models.UniqueConstraint(
                fields=["clinic", "kind", "params_key"], condition=Q(status__in=["queued", "running"]),
                name="one_active_export_per_request",
            ),
            models.CheckConstraint(condition=Q(status__in=["queued", "running", "ready", "failed"]), name="export_status_valid"),
            # Ready means the file is whole and known: written first, marked ready after.
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & ~Q(sha256="") & Q(finished_at__isnull=False)),
                name="export_ready_has_its_file",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.clinic} ({self.get_status_display()})"


class FiledReport(models.Model):
    """The intake report as filed: rendered once when the screening was completed (version 0) and
    after each amendment (version n), kept byte for byte with its SHA-256. Never edited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="filed_reports")
    version = models.PositiveSmallIntegerField(help_text="0: at completion; n: after the nth amendment.")
    file = models.FileField(storage=report_storage, upload_to="filed/", max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    filed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["screening", "version"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "version"], name="one_filed_report_per_version"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="filed_report_sha256"),
        ]

    def __str__(self):
        return f"Filed report {self.screening_id} v{self.version}"

    @property
    def audit_client_id(self):
        return self.screening.client_id

    @property
    def version_label(self):
        return "at completion" if self.version == 0 else f"after amendment {self.version}"

    @property
    def sha256_short(self):
        """Enough of the hash to compare by eye: the first and last eight hex digits."""
        return f"{self.sha256[:8]}\u2026{self.sha256[-8:]}"


class ReportFiling(models.Model):
    """The job that files one version of a screening's intake report: when it was asked for and how
    it went. The FiledReport is the result; this row says "being filed", "could not be made" (with the
    error, for staff) or, when nothing has moved for a long time (a killed worker), that it stalled."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Being made"
        FAILED = "failed", "Could not be made"
        FILED = "filed", "Filed"
        SUPERSEDED = "superseded", "Amended before it was filed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    screening = models.ForeignKey("screening.Screening", on_delete=models.CASCADE, related_name="report_filings")
    version = models.PositiveSmallIntegerField(help_text="0: at completion; n: after the nth amendment.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True, help_text="The queue's id of the last job asked for.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Jobs that started on it.")
    error = models.TextField(blank=True, help_text="For staff: what went wrong, when the job failed.")
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["screening", "version"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "version"], name="one_report_filing_per_version"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "failed", "filed", "superseded"]),
                name="report_filing_status_valid",
            ),
        ]

    def __str__(self):
        return f"Filing of {self.screening_id} v{self.version} ({self.get_status_display()})"

    @property
    def client(self):
        return self.screening.client

    @property
    def audit_client_id(self):
        return self.screening.client_id

    @property
    def last_moved_at(self):
        return max(t for t in (self.queued_at, self.started_at) if t is not None)
