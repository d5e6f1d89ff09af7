"""Clinic exports as background jobs: asked for in the request, made by a worker, kept for the
clinic's retention period, then deleted by a scheduled clean-up.

- request_export() writes the Export row and its audit row in one transaction and enqueues the job
  when that commits. The same kind and parameters while one is waiting or running join it (the
  partial unique constraint on Export decides, so two requests at once cannot both start one).
- run_export() (the task reports.tasks.make_export) marks the export running, streams the rows batch
  by batch into a local temporary file, reporting progress about every second (one UPDATE, which
  also says the worker is alive), stores the file under a random name and only then, in one
  transaction, marks it ready with its size and SHA-256. A worker killed half-way leaves the row
  "running" with a heartbeat that stops: shown as failed once it is EXPORT_STALE_SECONDS old, and
  never ready. A failure is recorded with its traceback (for staff).
- purge_expired() deletes the files past their expiry, one audit row each.
"""

import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.trail import record
from clinicians.actors import Actor
from reports import audit_actions as A
from reports import export_files, exports
from reports.models import Export, report_storage
from screening import task_queue
from screening.instrument import CURRENT_KEY
from screening.models import Answer
from screening.scoping import screenings_for

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 1.0
WORKER_STOPPED = "The worker stopped before the file was finished (no progress for {seconds} seconds)."
QUEUE_DOWN = "The job could not be queued: {error}"

# What each kind writes: file extension, download content type, the unit its progress counts.
FORMATS = {
    Export.Kind.SCORES_XLSX: (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "screenings"),
    Export.Kind.ITEMS_CSV: (".csv.gz", "application/gzip", "answers"),
    Export.Kind.ITEMS_PARQUET: (".parquet", "application/vnd.apache.parquet", "answers"),
}


class ExportAbandoned(Exception):
    """The export is no longer running (given up as stale, or deleted): stop and keep nothing."""


def params_key(params):
    """The SHA-256 of the parameters in canonical JSON: the same request has the same key."""
    canonical = json.dumps(params or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Asking ------------------------------------------------------------------------------------------

def request_export(clinic, user, kind, params=None, actor=None):
    """(export, created): a new export, queued when this transaction commits, or the one of the same
    kind and parameters already waiting or running for the clinic (joined). One that stopped sending
    progress is marked failed first, so a new one can start. Both are audited, a join as such."""
    if kind not in Export.Kind.values:
        raise ValueError(f"Unknown export kind {kind!r}")
    actor = actor or Actor(user)
    params = params or {}
    key = params_key(params)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                export = Export.objects.create(clinic=clinic, requested_by=user, kind=kind, params=params, params_key=key)
                record(A.EXPORT_REQUESTED, actor, obj=export, detail=f"{kind}: queued")
                transaction.on_commit(lambda: enqueue(export.pk))
            return export, True
        except IntegrityError:
            active = Export.objects.filter(clinic=clinic, kind=kind, params_key=key, status__in=Export.ACTIVE).first()
            if active is None:
                continue  # it finished between the insert and this read: try again
            if is_stale(active):
                give_up_stale(active)
                continue
            with transaction.atomic():
                record(A.EXPORT_REQUESTED, actor, obj=active, detail=f"{kind}: joined the one already {active.status}")
            return active, False
    raise RuntimeError("Could not ask for the export: another request kept taking its place.")


def retry_export(export, user, actor=None):
    """Try a failed (or stale) export again: a new export of the same kind and parameters."""
    if is_stale(export):
        give_up_stale(export)
        export.refresh_from_db()
    if export.status != Export.Status.FAILED:
        return export, False
    return request_export(export.clinic, user, export.kind, export.params, actor)


def enqueue(export_id):
    """Queue the job (after the request's transaction committed). A queue that cannot be reached
    fails the export at once, with the reason, rather than leaving it waiting for ever."""
    from reports.tasks import make_export

    try:
        result = make_export.enqueue(str(export_id))
    except Exception as error:  # the queue is down (Redis unreachable, say): say so on the export
        logger.exception("Export %s could not be queued", export_id)
        _fail(export_id, QUEUE_DOWN.format(error=error), Q(status=Export.Status.QUEUED))
        return None
    Export.objects.filter(pk=export_id).update(task_id=str(result.id)[:64])
    return result


# Staleness ---------------------------------------------------------------------------------------

def stale_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.EXPORT_STALE_SECONDS)


def is_stale(export, now=None):
    """Running, with no progress for EXPORT_STALE_SECONDS: its worker stopped (killed, machine gone)."""
    if export.status != Export.Status.RUNNING:
        return False
    beat = export.heartbeat_at or export.started_at or export.requested_at
    return beat < stale_before(now)


def shown_status(export, now=None):
    """The status to show: a stale running export shows as failed."""
    return Export.Status.FAILED if is_stale(export, now) else export.status


def _stale_q(now=None):
    cutoff = stale_before(now)
    return Q(status=Export.Status.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True, requested_at__lt=cutoff))


def give_up_stale(export):
    """Mark a stale running export failed (if it still is), and remove whatever part of its file
    was stored. Its worker, if it ever comes back, finds it no longer running and keeps nothing."""
    return _fail(export.pk, WORKER_STOPPED.format(seconds=settings.EXPORT_STALE_SECONDS), _stale_q())


def _fail(export_id, error, condition=Q()):
    """Failed, with the error, if `condition` still holds; the stored part of its file removed."""
    now = timezone.now()
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(condition, pk=export_id).select_related("clinic").first()
        if export is None:
            return False
        partial = export.file.name
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED, error=error, file="", finished_at=now,
            expires_at=now + timedelta(days=export.clinic.export_retention_days))
    if partial:
        _delete_file(partial)
    return True


def _delete_file(name):
    try:
        report_storage().delete(name)
    except Exception:  # a file that could not be removed now is found again by nothing: log it
        logger.exception("Could not delete the export file %s", name)


# The job -----------------------------------------------------------------------------------------

class Progress:
    """rows_done and the heartbeat, written about once a second (one UPDATE of two columns). Only
    the thread that runs the job writes (a storage backend may read the file from other threads)."""

    def __init__(self, export_id, every=None):
        self.export_id, self.every, self.done = export_id, PROGRESS_SECONDS if every is None else every, 0
        self.thread = threading.get_ident()
        self.last = time.monotonic()

    def advance(self, rows=0):
        self.done += rows
        if time.monotonic() - self.last >= self.every and threading.get_ident() == self.thread:
            self.beat()

    def beat(self):
        self.last = time.monotonic()
        alive = Export.objects.filter(pk=self.export_id, status=Export.Status.RUNNING).update(
            rows_done=self.done, heartbeat_at=timezone.now())
        if not alive:
            raise ExportAbandoned(self.export_id)


class _BeatingFile(File):
    """The finished file as the storage reads it: each chunk read counts as progress, so a long
    upload to a bucket keeps the export alive."""

    def __init__(self, file, progress):
        super().__init__(file)
        self.progress = progress

    def read(self, *args):
        self.progress.advance()
        return self.file.read(*args)

    def chunks(self, chunk_size=None):
        for chunk in super().chunks(chunk_size):
            self.progress.advance()
            yield chunk


def _scope(export):
    """The screenings the export covers: the clinic's, as its requester sees them, while the
    requester is still an active clinic admin there."""
    user = export.requested_by
    if not (user.is_active and user.is_clinic_admin and user.clinic_id == export.clinic_id):
        raise PermissionError("The person who asked for this export is no longer a clinic admin of the clinic.")
    return screenings_for(user)


def write_file(kind, screenings, path, progress):
    """Write one export to `path`; (rows total, rows written) in the kind's unit."""
    order = exports.CompletionOrder(screenings)
    if kind == Export.Kind.SCORES_XLSX:
        total = order.count
        Export.objects.filter(pk=progress.export_id).update(rows_total=total)
        keys = sorted(set(screenings.completed().values_list("instrument_key", flat=True))) or [CURRENT_KEY]
        export_files.write_scores_xlsx(path, exports.score_row_batches(screenings, order=order), keys, progress.advance)
        return total
    total = Answer.objects.filter(screening__in=screenings.completed()).count()
    Export.objects.filter(pk=progress.export_id).update(rows_total=total)
    write = export_files.write_items_csv_gz if kind == Export.Kind.ITEMS_CSV else export_files.write_items_parquet
    write(path, exports.item_tables(screenings, order=order), progress.advance)
    return total


def run_export(export_id):
    """Make one export (the body of reports.tasks.make_export). Returns its status."""
    now = timezone.now()
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING, started_at=now, heartbeat_at=now, rows_done=0)
    if not claimed:  # already taken, given up or deleted: a second delivery of the same job
        return None
    export = Export.objects.select_related("clinic", "requested_by").get(pk=export_id)
    progress = Progress(export.pk)
    extension = FORMATS[export.kind][0]
    name = ""
    handle, path = tempfile.mkstemp(prefix="bondscreen-export-", suffix=extension)
    os.close(handle)
    try:
        write_file(export.kind, _scope(export), path, progress)
        digest, size = hashlib.sha256(), 0
        with open(path, "rb") as written:
            while chunk := written.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
        # The name first, on the row (a worker killed during the upload leaves it there, for the
        # clean-up to delete); then the file; then, in one transaction, ready.
        name = f"exports/{secrets.token_hex(16)}{extension}"
        if not Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING).update(file=name):
            raise ExportAbandoned(export.pk)
        with open(path, "rb") as written:
            stored = report_storage().save(name, _BeatingFile(written, progress))
        if stored != name:
            name = stored
            Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING).update(file=name)
        finished = timezone.now()
        with transaction.atomic():
            ready = Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING).update(
                status=Export.Status.READY, file=name, size=size, sha256=digest.hexdigest(),
                rows_done=progress.done, heartbeat_at=finished, finished_at=finished,
                expires_at=finished + timedelta(days=export.clinic.export_retention_days))
            if not ready:
                raise ExportAbandoned(export.pk)
        return Export.Status.READY
    except ExportAbandoned:
        if name:
            _delete_file(name)
        return None
    except Exception:
        error = traceback.format_exc()
        logger.exception("Export %s failed", export.pk)
        if not _fail(export.pk, error, Q(status=Export.Status.RUNNING)) and name:
            _delete_file(name)
        raise
    finally:
        os.unlink(path)


# Retention ---------------------------------------------------------------------------------------

# What a job writes in this machine's temporary folder while it runs (it removes them as it ends).
WORK_PREFIXES = ("bondscreen-export-", "bondscreen-xlsx-")
LEFT_BEHIND_AFTER = timedelta(days=1)


def sweep_left_behind(now=None, folder=None):
    """Delete the work files a killed worker left in this machine's temporary folder: a job that
    runs touches its files all the time, so one untouched for a day belongs to no job. Returns how
    many were deleted. Each machine's folder is swept when a clean-up runs on it."""
    cutoff = (now or timezone.now()) - LEFT_BEHIND_AFTER
    deleted = 0
    for path in Path(folder or tempfile.gettempdir()).iterdir():
        if not path.name.startswith(WORK_PREFIXES):
            continue
        try:
            if path.stat().st_mtime >= cutoff.timestamp():
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:  # gone meanwhile, or not ours to delete: leave it
            continue
        deleted += 1
    if deleted:
        logger.warning("Deleted %s work file(s) left behind by a stopped export job", deleted)
    return deleted


def purge_expired(now=None):
    """Delete the exports past their expiry (file and row, one audit row each), and give up the
    ones whose worker stopped; sweep the work files a killed worker left here. Returns how many
    exports were deleted. Cheap and safe to run twice."""
    now = now or timezone.now()
    sweep_left_behind(now)
    for export in Export.objects.filter(_stale_q(now)):
        give_up_stale(export)
    deleted = 0
    expired = Export.objects.filter(expires_at__lt=now).exclude(status__in=Export.ACTIVE).select_related("clinic")
    for export in expired.iterator():
        with transaction.atomic():
            if not Export.objects.filter(pk=export.pk, expires_at__lt=now).exclude(status__in=Export.ACTIVE).delete()[0]:
                continue
            record(A.EXPORT_DELETED, Actor(for_clinic_id=export.clinic_id), obj=export,
                   detail=f"{export.kind}, made {timezone.localtime(export.finished_at or export.requested_at):%Y-%m-%d}, "
                          f"kept {export.clinic.export_retention_days} days")
            if export.file.name:
                name = export.file.name
                transaction.on_commit(lambda name=name: _delete_file(name))
        deleted += 1
    return deleted


PURGE_TASK_PATH = "reports.tasks.purge_expired_exports"


def purge_is_scheduled():
    """Whether a clean-up is already waiting in the queue (so schedule_jobs adds no second one)."""
    from reports.tasks import purge_expired_exports

    return task_queue.is_waiting(purge_expired_exports)


def schedule_purge(after=None, force=False):
    """Queue the next clean-up in `after` (default EXPORT_PURGE_EVERY_MINUTES), unless one is
    already waiting. A backend that cannot run a job later (the immediate one) gets none."""
    from reports.tasks import purge_expired_exports

    after = after if after is not None else timedelta(minutes=settings.EXPORT_PURGE_EVERY_MINUTES)
    backend = purge_expired_exports.get_backend()
    if after and not backend.supports_defer:
        return None
    if not force and purge_is_scheduled():
        return None
    if not after:
        return purge_expired_exports.enqueue()
    return purge_expired_exports.using(run_after=timezone.now() + after).enqueue()
