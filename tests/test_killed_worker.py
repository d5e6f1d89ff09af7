"""A real worker killed with SIGKILL half-way through a clinic export (issue 14), on both queues:
`manage.py db_worker` (django-tasks-db) and `manage.py rqworker default` (RQ on Redis; skipped when
no Redis answers on 127.0.0.1:6379).

The worker runs in its own process (tests/worker_that_pauses.py), on the test's database (a file on
SQLite, config/settings_test.py; the test database on PostgreSQL), its file folder and its queue. Its
export job stops after the first batch of rows and waits; the test kills it there with SIGKILL, then
checks everything the kill left behind, what the pages say before and after EXPORT_STALE_SECONDS,
and that "Try again" gives a file another worker process finishes.

The rows must be committed for the worker to see them: transaction=True.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reports import exports, jobs
from reports.models import Export, report_storage
from reports.tasks import make_export
from tests.exporting import read_parquet, stored_bytes
from tests.exporting import history_answers
from tests.test_export_jobs import REDIS_URL, _rq_queue, backend, history  # noqa: F401 (fixtures)

WRAPPER = Path(__file__).resolve().with_name("worker_that_pauses.py")
ROOT = WRAPPER.parent.parent
KIND = Export.Kind.ITEMS_PARQUET
START_SECONDS = 60  # a worker process starting on a busy machine (it takes one to three seconds)
COMMANDS = {
    # The killed worker runs as in production; the second one leaves once the queue is empty.
    "db": (["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"], ["--batch"]),
    "rq": (["rqworker", "default"], ["--burst"]),
}


def _database_url():
    """The test database, as a DATABASE_URL for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            pytest.skip("The SQLite test database is in memory: another process cannot open it")
        return f"sqlite:///{Path(name).resolve()}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


def _alive(pid):
    """Whether the process runs (a zombie, killed but not yet reaped by its new parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _until(condition, what, timeout, every=0.02):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {what}")
        time.sleep(every)
    return result


class WorkerProcess:
    """`manage.py <command>` in a process of its own (and its own session, so no signal from the
    terminal reaches it), its output in a log file the failures show."""

    def __init__(self, backend, folder, name, extra=(), pause=False):
        command, _ = COMMANDS[backend.name]
        self.folder, self.name = folder, name
        self.marker = folder / f"{name}.paused"
        self.log = folder / f"{name}.log"
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PYTEST_", "FILES_BUCKET", "PAUSE_MARKER"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": _database_url(),
            "FILES_ROOT": str(report_storage().location),  # the test's folder (tests/conftest.py)
            "TASKS_BACKEND": backend.name,
            "REDIS_URL": REDIS_URL,
            "TMPDIR": str(folder / "tmp"),  # where the job writes its file before storing it
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        if pause:
            env["PAUSE_MARKER"] = str(self.marker)
        (folder / "tmp").mkdir(exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([sys.executable, str(WRAPPER), *command, *extra], cwd=ROOT, env=env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.job_pid = None

    def output(self):
        return self.log.read_text(errors="replace")[-4000:]

    def wait_for_the_pause(self):
        """(pid of the process running the job, rows it wrote) once the job waits after its first batch."""
        def paused():
            if self.process.poll() is not None:
                pytest.fail(f"The worker left ({self.process.returncode}) before pausing:\n{self.output()}")
            return self.marker.exists()

        _until(paused, "the worker's job to pause", START_SECONDS)
        pid, rows = self.marker.read_text().split()
        self.job_pid = int(pid)
        return self.job_pid, int(rows)

    def kill(self):
        """SIGKILL to the worker and, with RQ, to the work horse it forked for the job (the horse has a
        process group of its own): every process of the worker, as when its machine or container is
        killed. The worker first, so it is not there to see its horse die and tidy the job up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        if self.job_pid and self.job_pid != self.process.pid:
            try:
                os.killpg(self.job_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        if self.job_pid:
            _until(lambda: not _alive(self.job_pid), "the killed job's process to end", 10)

    def finish(self, timeout=START_SECONDS):
        """Wait for a worker that leaves by itself (an empty queue in batch or burst mode)."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"The worker did not finish within {timeout} s:\n{self.output()}")
        assert self.process.returncode == 0, self.output()

    def stop(self):
        """Whatever happened in the test, no process of it is left running."""
        for pid in (self.process.pid, self.job_pid):
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def _queue_shows(backend, task_id):
    """What the queue says of a job: Django's tasks API, and the backend's own record."""
    status = make_export.get_backend().get_result(task_id).status
    if backend.name == "db":
        from django_tasks_db.models import DBTaskResult

        row = DBTaskResult.objects.get(pk=task_id)
        return status, row.status, len(row.worker_ids), row.finished_at
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    queue = _rq_queue()
    job = queue.fetch_job(task_id)
    return (status, job.get_status(), task_id in StartedJobRegistry(queue=queue).get_job_ids(),
            task_id in FailedJobRegistry(queue=queue).get_job_ids())


@pytest.fixture
def killed_workers(backend):
    """The pids of the workers the test kills; with RQ, their registrations in Redis are removed
    afterwards (they would expire by themselves, in minutes), before the queue is emptied."""
    pids = []
    yield pids
    if backend.name == "rq":
        from rq.worker import Worker

        for worker in Worker.all(queue=_rq_queue()):
            if worker.pid in pids:
                worker.register_death()


def _files_in(folder):
    return sorted(path.name for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def _export_audit():
    return list(AuditEvent.objects.filter(action__startswith="report.export").order_by("id")
                .values_list("action", "object_id", "detail"))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_half_way_leaves_a_failed_export_and_try_again_makes_it(
        client, clinic_admin, history, instrument, backend, settings, tmp_path, killed_workers):
    settings.EXPORT_STALE_SECONDS = 60
    storage_folder = Path(report_storage().location) / "exports"  # (filed intake reports are beside it)
    worker_tmp = tmp_path / "tmp"
    client.force_login(clinic_admin)
    client.post(reverse("reports:export_request"), {"kind": KIND})
    export = Export.objects.get()
    assert export.status == Export.Status.QUEUED and export.task_id

    # 1. A worker takes the job, writes the first batch of rows, reports it, and is killed there.
    worker = WorkerProcess(backend, tmp_path, "killed", pause=True)
    killed_workers.append(worker.process.pid)
    try:
        job_pid, rows_written = worker.wait_for_the_pause()
        export.refresh_from_db()
        assert export.status == Export.Status.RUNNING and export.started_at <= export.heartbeat_at <= timezone.now()
        assert 0 < export.rows_done == rows_written < export.rows_total == history_answers(instrument)
        # The database worker runs the job itself; RQ's forks a work horse for it.
        assert (job_pid == worker.process.pid) == (backend.name == "db")
        worker.kill()
    finally:
        worker.stop()
    assert worker.process.returncode == -signal.SIGKILL

    # 2. What the kill left: the row as the job last wrote it, nothing stored, nothing audited.
    killed = Export.objects.get()
    assert (killed.status, killed.file.name, killed.size, killed.sha256, killed.finished_at, killed.error) == (
        Export.Status.RUNNING, "", None, "", None, "")
    assert (killed.rows_done, killed.heartbeat_at, killed.task_id) == (rows_written, export.heartbeat_at, export.task_id)
    assert _files_in(storage_folder) == []
    assert _export_audit() == [("report.export_requested", str(export.pk), f"{KIND}: queued")]
    # The half-written file stays in the killed worker's temporary folder: a process killed with
    # SIGKILL runs no clean-up (a reboot or a new container empties /tmp). It was never stored.
    leftover = _files_in(worker_tmp)
    assert len(leftover) == 1 and leftover[0].startswith("bondscreen-export-") and leftover[0].endswith(".parquet")

    # What the queue shows: the job is still running, and stays so. django-tasks-db's row is RUNNING
    # for ever (nothing in it notices a dead worker); RQ's job is "started", in the started registry,
    # until a worker's periodic clean-up of the registries (every few minutes) finds its heartbeat
    # expired (90 s with the default monitoring interval) and moves it to the failed registry as
    # abandoned. Neither runs it again (no retries), and neither matters: the export
    # row, not the queue, decides what the clinic admin sees, and the job, delivered again, would find
    # its export no longer queued and do nothing (below).
    if backend.name == "db":
        assert _queue_shows(backend, export.task_id) == ("RUNNING", "RUNNING", 1, None)
    else:
        assert _queue_shows(backend, export.task_id) == ("RUNNING", "started", True, False)

    # 3. The page and the status JSON: still being made, until EXPORT_STALE_SECONDS pass with no progress.
    detail = reverse("reports:export_detail", args=[export.pk])
    status = reverse("reports:export_status", args=[export.pk])
    page = client.get(detail).content.decode()
    assert "Being made" in page and f"{rows_written} of {killed.rows_total} answers" in page and "<progress" in page
    assert "Try again" not in page and "Failed" not in page
    assert client.get(status).json() == {
        "status": "running", "status_text": "Being made", "rows_done": rows_written, "rows_total": killed.rows_total,
        "unit": "answers", "percent": round(100 * rows_written / killed.rows_total), "download_url": None}
    assert client.get(reverse("reports:export_download", args=[export.pk]))["Location"] == detail
    beat = killed.heartbeat_at
    assert jobs.shown_status(killed, now=beat + timedelta(seconds=60)) == Export.Status.RUNNING
    assert jobs.shown_status(killed, now=beat + timedelta(seconds=60.001)) == Export.Status.FAILED

    settings.EXPORT_STALE_SECONDS = 1  # a second without progress, rather than waiting a minute
    time.sleep(max(0.0, (beat + timedelta(seconds=1.05) - timezone.now()).total_seconds()))
    page = client.get(detail).content.decode()
    assert "Failed: the worker stopped" in page and "because the worker stopped before it was finished" in page
    assert "Try again" in page and "<progress" not in page and "Being made" not in page
    assert client.get(status).json() == {
        "status": "failed", "status_text": "Failed: the worker stopped", "rows_done": rows_written,
        "rows_total": killed.rows_total, "unit": "answers", "percent": round(100 * rows_written / killed.rows_total),
        "download_url": None}
    assert "Failed: the worker stopped" in client.get(reverse("reports:clinic_export")).content.decode()
    assert client.get(reverse("reports:export_download", args=[export.pk]))["Location"] == detail
    assert Export.objects.get().status == Export.Status.RUNNING  # shown as failed; reading writes nothing

    # 4. "Try again": the killed export is given up (failed, with the reason), a new one is queued...
    response = client.post(reverse("reports:export_retry", args=[export.pk]))
    again = Export.objects.exclude(pk=export.pk).get()
    assert response["Location"] == reverse("reports:export_detail", args=[again.pk])
    killed.refresh_from_db()
    assert killed.status == Export.Status.FAILED and killed.error == jobs.WORKER_STOPPED.format(seconds=1)
    assert not killed.file and killed.finished_at and again.status == Export.Status.QUEUED and again.kind == KIND

    # ... and another worker process makes it.
    fresh = WorkerProcess(backend, tmp_path, "fresh", extra=COMMANDS[backend.name][1])
    try:
        fresh.finish()
    finally:
        fresh.stop()
    again.refresh_from_db()
    assert again.status == Export.Status.READY, (again.error, fresh.output())
    raw = stored_bytes(again)
    assert again.sha256 == hashlib.sha256(raw).hexdigest() and again.size == len(raw) > 0
    assert again.rows_done == again.rows_total == history_answers(instrument)
    table = read_parquet(raw)
    assert table.schema.names == exports.ITEM_COLUMNS and table.num_rows == history_answers(instrument)
    assert set(table.column("section").to_pylist()) == {"abuser", "v2v", "safety", "protective"}
    assert _files_in(storage_folder) == [Path(again.file.name).name]  # the new file, and only it
    assert _files_in(worker_tmp) == leftover  # the new job removed its own temporary file

    # The killed export stays failed; its job, delivered again (or its worker back), does nothing.
    assert jobs.run_export(export.pk) is None
    killed_now = Export.objects.get(pk=export.pk)
    assert (killed_now.status, killed_now.file.name, killed_now.error) == (Export.Status.FAILED, "", killed.error)
    assert _files_in(storage_folder) == [Path(again.file.name).name]
    assert _export_audit() == [("report.export_requested", str(export.pk), f"{KIND}: queued"),
                               ("report.export_requested", str(again.pk), f"{KIND}: queued")]
    page = client.get(detail).content.decode()
    assert "Try again" in page and "because the worker stopped" not in page  # failed now, on the row itself

    # The queue: the new job done; the killed one as it was left (the second worker did not touch it).
    assert make_export.get_backend().get_result(again.task_id).status == "SUCCESSFUL"
    if backend.name == "db":
        assert _queue_shows(backend, export.task_id) == ("RUNNING", "RUNNING", 1, None)
    else:
        assert _queue_shows(backend, export.task_id) == ("RUNNING", "started", True, False)
        # RQ's registry clean-up, once the job's heartbeat has expired (as if an hour had passed): the
        # job abandoned, in the failed registry, not run again; the exports as they were.
        from rq.registry import StartedJobRegistry

        StartedJobRegistry(queue=_rq_queue()).cleanup(timestamp=time.time() + 3600)
        assert _queue_shows(backend, export.task_id) == ("FAILED", "failed", False, True)
        assert "AbandonedJobError" in _rq_queue().fetch_job(export.task_id).latest_result().exc_string
        assert backend.queued() == []
        assert set(Export.objects.values_list("status", flat=True)) == {Export.Status.FAILED, Export.Status.READY}
