"""Filing the intake report: when a screening is completed (version 0) or amended (version n), a
background job renders the intake PDF once, from the data as it stands, and keeps the exact bytes
with their SHA-256 (`FiledReport`). A download of the filed report returns those bytes later,
whatever the clinic or the code has become since; the live PDF stays available as the current view.

    screening_locked (after commit) ──▶ on_screening_locked ──▶ request_filing ──▶ the queue
    the worker ──▶ file_intake_report(screening_id, version)

The job renders, writes the file under a name nobody can guess (filed/<uuid>.pdf), and only then
creates the row, in one transaction with its audit row. So:

- a job that runs twice (a retry, a duplicate) finds the row and does nothing; one that loses the race
  to the unique constraint deletes the file it wrote;
- a job that fails records the error (`ReportFiling`: the results page says the report could not be
  made and offers "Try again"; staff see the error) and fails in the queue too;
- a job killed between the file and the row leaves a file without a row (an orphan, listed by
  `manage.py verify_reports`) and its filing "running" until STALE_AFTER has passed, when the page
  offers "Try again" as well.
"""

import dataclasses
import hashlib
import logging
import traceback
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from audit.trail import record
from clinicians.actors import SYSTEM
from reports import audit_actions as A
from reports.data import build_intake_report
from reports.models import FiledReport, ReportFiling, report_storage
from reports.pdf import IntakeReportPDF
from screening.models import Screening

logger = logging.getLogger(__name__)

FILED_FOLDER = "filed"
# Queued or running this long without an outcome: the job is presumed lost (a worker killed, a queue
# emptied) and the results page offers "Try again". A second job for the same version is harmless.
STALE_AFTER = timedelta(minutes=15)
ERROR_LIMIT = 4000  # characters of traceback kept for staff


def current_version(screening):
    """0 for a completed screening never amended; n after the nth amendment."""
    if screening.amended_at is None:  # never amended: no query
        return 0
    return screening.amendments.count()


def render_intake_pdf(screening):
    """The intake PDF of the screening as it stands now: what the live view serves, and what is filed."""
    return IntakeReportPDF(build_intake_report(screening)).render()


# Asking ------------------------------------------------------------------------------------------

def on_screening_locked(sender, screening, version, **kwargs):
    """screening_locked: the completion or amendment has committed; file this version."""
    try:
        request_filing(screening, version)
    except Exception:  # never turn a completed screening into an error page; the page offers Try again
        logger.exception("Could not ask for the intake report of screening %s v%s to be filed", screening.pk, version)


def request_filing(screening, version):
    """Queue the job that files `version` of the screening's intake report.

    Returns the ReportFiling, or None when that version is filed already. A queue that refuses the
    job (Redis down) marks the filing failed, so the page offers "Try again".
    """
    if FiledReport.objects.filter(screening_id=screening.pk, version=version).exists():
        return None
    filing, _ = ReportFiling.objects.update_or_create(
        screening_id=screening.pk, version=version,
        defaults={"status": ReportFiling.Status.QUEUED, "queued_at": timezone.now(), "started_at": None,
                  "finished_at": None, "error": "", "task_id": ""},
    )
    try:
        result = file_intake_report.enqueue(str(screening.pk), version)
    except Exception as error:
        logger.exception("Could not queue the filing of screening %s v%s", screening.pk, version)
        _finish(screening.pk, version, ReportFiling.Status.FAILED, error=f"Could not queue the job: {error!r}")
    else:
        ReportFiling.objects.filter(pk=filing.pk).update(task_id=str(result.id)[:64])
    filing.refresh_from_db()
    return filing


# The job -----------------------------------------------------------------------------------------

@task()
def file_intake_report(screening_id, version):
    """Render the intake PDF of `version` once and keep it; idempotent. Returns what happened."""
    if FiledReport.objects.filter(screening_id=screening_id, version=version).exists():
        _finish(screening_id, version, ReportFiling.Status.FILED, only_if_active=True)
        return {"outcome": "already filed"}
    screening = Screening.objects.select_related("client__clinic").get(pk=screening_id)
    _start(screening_id, version)
    if current_version(screening) != version:
        # Amended before this job ran: the answers of this version are gone from the live data.
        _finish(screening_id, version, ReportFiling.Status.SUPERSEDED)
        return {"outcome": "superseded"}
    try:
        content = render_intake_pdf(screening)
    except Exception:
        _finish(screening_id, version, ReportFiling.Status.FAILED, error=traceback.format_exc())
        raise  # the queue records the failure too
    digest = hashlib.sha256(content).hexdigest()
    storage = report_storage()
    name = storage.save(f"{FILED_FOLDER}/{uuid.uuid4().hex}.pdf", ContentFile(content))
    try:
        outcome = _create_row(screening_id, version, name, len(content), digest)
    except Exception:
        storage.delete(name)
        _finish(screening_id, version, ReportFiling.Status.FAILED, error=traceback.format_exc())
        raise
    if isinstance(outcome, FiledReport):
        return {"outcome": "filed", "filed_report": str(outcome.pk), "sha256": digest}
    storage.delete(name)  # another job filed this version first, or an amendment came in between
    return {"outcome": outcome}


def _create_row(screening_id, version, name, size, digest):
    """The FiledReport, its audit row and the filing's status, in one transaction; or why not."""
    with transaction.atomic():
        # The amendment service locks the same row, so no amendment commits while this one decides.
        screening = Screening.objects.select_for_update(of=("self",)).select_related("client").get(pk=screening_id)
        if current_version(screening) != version:
            _finish(screening_id, version, ReportFiling.Status.SUPERSEDED)
            return "superseded"
        try:
            with transaction.atomic():
                filed = FiledReport.objects.create(
                    screening=screening, version=version, file=name, size=size, sha256=digest)
        except IntegrityError:
            if not FiledReport.objects.filter(screening_id=screening_id, version=version).exists():
                raise
            return "already filed"
        actor = dataclasses.replace(SYSTEM, for_clinic_id=screening.client.clinic_id)
        record(A.REPORT_FILED, actor, obj=filed, detail=f"version {version}, SHA-256 {digest[:16]}…, {size} bytes")
        _finish(screening_id, version, ReportFiling.Status.FILED)
        return filed


def _start(screening_id, version):
    ReportFiling.objects.get_or_create(screening_id=screening_id, version=version)
    ReportFiling.objects.filter(screening_id=screening_id, version=version).update(
        status=ReportFiling.Status.RUNNING, started_at=timezone.now(), finished_at=None, attempts=F("attempts") + 1)


def _finish(screening_id, version, status, error="", only_if_active=False):
    filings = ReportFiling.objects.filter(screening_id=screening_id, version=version)
    if only_if_active:
        filings = filings.filter(status__in=ReportFiling.ACTIVE)
    filings.update(status=status, finished_at=timezone.now(), error=error[-ERROR_LIMIT:])


# What the pages show -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FilingState:
    """A screening's filed reports (newest first) and where the filing of its current version stands."""

    version: int
    filed: tuple  # FiledReport, newest version first
    status: str  # FILED, PENDING, FAILED, STALLED or NOT_FILED
    error: str = ""  # for staff, when FAILED

    FILED = "filed"
    PENDING = "pending"
    FAILED = "failed"
    STALLED = "stalled"
    NOT_FILED = "not_filed"

    @property
    def can_retry(self):
        return self.status in (self.FAILED, self.STALLED, self.NOT_FILED)


def filing_records(screening):
    """What the filing state is worked out from: (the current version, the filed reports newest first, the
    current version's filing row or None when it is filed or was never asked for). The results page
    keeps these with its report parts, under the client's revision (filing rows raise it)."""
    version = current_version(screening)
    filed = tuple(screening.filed_reports.order_by("-version"))
    if any(report.version == version for report in filed):
        return version, filed, None
    return version, filed, ReportFiling.objects.filter(screening=screening, version=version).first()


def filing_state(screening, now=None, records=None):
    version, filed, filing = records or filing_records(screening)
    if any(report.version == version for report in filed):
        return FilingState(version, filed, FilingState.FILED)
    if filing is None:
        return FilingState(version, filed, FilingState.NOT_FILED)
    if filing.status == ReportFiling.Status.FAILED:
        return FilingState(version, filed, FilingState.FAILED, error=filing.error)
    # "Being filed" only for so long: the time is read now, whenever the records were.
    if filing.status in ReportFiling.ACTIVE and (now or timezone.now()) - filing.last_moved_at < STALE_AFTER:
        return FilingState(version, filed, FilingState.PENDING)
    # Queued or running for too long (a killed worker), or marked filed with its row gone.
    return FilingState(version, filed, FilingState.STALLED)


# Checking ----------------------------------------------------------------------------------------

def orphan_files():
    """Names of files under filed/ that no FiledReport points at (a job that died before its row)."""
    storage = report_storage()
    try:
        _, files = storage.listdir(FILED_FOLDER)
    except FileNotFoundError:
        return []
    known = set(FiledReport.objects.values_list("file", flat=True))
    return sorted(name for name in (f"{FILED_FOLDER}/{file}" for file in files) if name not in known)


def sha256_of_stored(name, chunk_size=1 << 20):
    """SHA-256 of a stored file, read in chunks (memory stays flat whatever the file's size)."""
    digest = hashlib.sha256()
    with report_storage().open(name, "rb") as stored:
        for chunk in iter(lambda: stored.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
