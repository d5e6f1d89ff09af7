"""Clinic exports as background jobs (reports/jobs.py), on both queues: the database (django-tasks-db,
the default) and RQ on Redis (skipped when no Redis answers on 127.0.0.1:6379).

The worker tests commit for real (transaction=True), as a worker does: the database worker opens
its own transactions and checks its connection between jobs.
"""

import hashlib
import io
import os
import re
import tempfile
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clinicians.models import User
from reports import exports, jobs
from reports.models import Export, report_storage
from screening.models import Screening
from screening.scoring import scores_from_dict
from tests.conftest import PASSWORD, log_in_verified
from tests.exporting import history_answers, make_history, plain_text, read_csv_gz, read_parquet, read_xlsx, stored_bytes

# A Redis database of its own for each test run (1-15, by process), so two suites at once do not
# take each other's jobs; only this suite's queue is emptied, never the whole database.
REDIS_URL = f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}"
KINDS = [Export.Kind.SCORES_XLSX, Export.Kind.ITEMS_CSV, Export.Kind.ITEMS_PARQUET]


def _redis_up():
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def _rq_queue():
    import django_rq

    return django_rq.get_queue("default")


def _empty_rq_queue():
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry

    queue = _rq_queue()
    queue.empty()
    for registry in (ScheduledJobRegistry, FailedJobRegistry, FinishedJobRegistry):
        registry = registry(queue=queue)
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


@pytest.fixture(params=["db", "rq"])
def backend(request, settings):
    """The task backend the test runs on; `backend.work()` runs every queued job, then returns."""
    if request.param == "rq":
        if not _redis_up():
            pytest.skip("Redis is not reachable on 127.0.0.1:6379")
        settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
        _empty_rq_queue()
        yield RQ()
        _empty_rq_queue()
    else:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
        yield DB()


class DB:
    name = "db"

    def work(self):
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)

    def queued(self, path="reports.tasks.make_export"):
        from django_tasks_db.models import DBTaskResult

        return list(DBTaskResult.objects.filter(task_path=path, status="READY").values_list("id", flat=True))

    def failed(self):
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(status="FAILED").count()


class RQ:
    name = "rq"

    def work(self):
        import django_rq
        from rq.worker import SimpleWorker

        # In this process (SimpleWorker), so the job sees the test's database; with the scheduler,
        # as `rqworker --with-scheduler`, so jobs queued for later run once due.
        django_rq.get_worker("default", worker_class=SimpleWorker).work(burst=True, with_scheduler=True)

    def queued(self, path="reports.tasks.make_export"):
        from rq.registry import ScheduledJobRegistry

        queue = _rq_queue()
        ids = queue.get_job_ids() + ScheduledJobRegistry(queue=queue).get_job_ids()
        return [job.id for job in queue.job_class.fetch_many(ids, connection=queue.connection)
                if job is not None and job.func_name == path]

    def failed(self):
        from rq.registry import FailedJobRegistry

        return FailedJobRegistry(queue=_rq_queue()).count


@pytest.fixture
def history(client_record, clinician, clinic, make_screening):
    """Two clients, three completed screenings (4 score rows), a draft that is never exported."""
    return make_history(clinic, clinician, client_record, make_screening)


def _ask(client, kind):
    return client.post(reverse("reports:export_request"), {"kind": kind})


# Asking ------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_asking_queues_a_job_and_answers_at_once(client, clinic_admin, history, backend):
    client.force_login(clinic_admin)
    started = time.perf_counter()
    response = _ask(client, Export.Kind.ITEMS_PARQUET)
    elapsed = time.perf_counter() - started
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export_detail", args=[export.pk])
    assert elapsed < 2  # the request does not make the file (the bench times it: well under 200 ms)
    assert export.status == Export.Status.QUEUED and export.rows_done == 0 and not export.file
    assert export.requested_by == clinic_admin and export.params == {} and export.params_key == jobs.params_key({})
    assert backend.queued() == [export.task_id] or [str(i) for i in backend.queued()] == [export.task_id]
    audit = AuditEvent.objects.get(action="report.export_requested")
    assert (audit.actor, audit.clinic_id, audit.object_id) == (clinic_admin, clinic_admin.clinic_id, str(export.pk))
    assert audit.detail == "items_parquet: queued" and audit.ip_address == "127.0.0.1"
    page = client.get(response["Location"])
    assert b"<progress" in page.content and b"export_progress.js" in page.content and b"Waiting to start" in page.content


@pytest.mark.django_db(transaction=True)
def test_a_second_identical_request_joins_the_first(client, clinic_admin, clinic, history, backend):
    second_admin = User.objects.create_user("abe@riverside.test", PASSWORD, clinic=clinic, role=User.Role.ADMIN)
    client.force_login(clinic_admin)
    first = _ask(client, Export.Kind.SCORES_XLSX)
    client.force_login(second_admin)
    second = _ask(client, Export.Kind.SCORES_XLSX)
    assert first["Location"] == second["Location"]
    export = Export.objects.get()
    assert export.requested_by == clinic_admin and len(backend.queued()) == 1
    details = list(AuditEvent.objects.filter(action="report.export_requested").order_by("id").values_list("actor", "detail"))
    assert details == [(clinic_admin.pk, "scores_xlsx: queued"), (second_admin.pk, "scores_xlsx: joined the one already queued")]
    # Another kind is another export.
    _ask(client, Export.Kind.ITEMS_CSV)
    assert Export.objects.count() == 2 and len(backend.queued()) == 2


def test_an_unknown_kind_is_refused(client, clinic_admin):
    client.force_login(clinic_admin)
    assert _ask(client, "everything_pdf").status_code == 400
    assert not Export.objects.exists()


def test_a_queue_that_is_down_fails_the_export_at_once(monkeypatch, clinic_admin, django_capture_on_commit_callbacks):
    from django_tasks_db.backend import DatabaseBackend

    def down(*args):
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(DatabaseBackend, "enqueue", down)
    with django_capture_on_commit_callbacks(execute=True):
        export, created = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.ITEMS_CSV)
    export.refresh_from_db()
    assert created and export.status == Export.Status.FAILED and "Redis is not answering" in export.error
    # Not left active: asking again starts a new one.
    again, created = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.ITEMS_CSV)
    assert created and again.pk != export.pk


# Making the files --------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_the_worker_makes_the_file(client, clinic_admin, clinic, history, instrument, backend, kind):
    clinic.export_retention_days = 3
    clinic.save()
    client.force_login(clinic_admin)
    _ask(client, kind)
    backend.work()
    export = Export.objects.get()
    assert export.status == Export.Status.READY, export.error
    raw = stored_bytes(export)
    assert export.sha256 == hashlib.sha256(raw).hexdigest() and export.size == len(raw) > 0
    assert export.file.name.startswith("exports/") and export.file.name.endswith(jobs.FORMATS[kind][0])
    assert export.expires_at == export.finished_at + timedelta(days=3)
    assert export.started_at <= export.heartbeat_at <= export.finished_at
    assert backend.queued() == [] and backend.failed() == 0

    answers = history_answers(instrument)
    if kind == Export.Kind.SCORES_XLSX:
        assert export.rows_total == export.rows_done == 3  # screenings
        sheets, workbook = read_xlsx(raw)
        assert list(sheets) == ["screenings", "data dictionary"]
        assert sheets["screenings"][0] == tuple(exports.SCORE_COLUMNS) and len(sheets["screenings"]) == 1 + 4
        rows = [dict(zip(exports.SCORE_COLUMNS, row)) for row in sheets["screenings"][1:]]
        abuser = sorted(row["total"] for row in rows if row["bond"] == "abuser")
        n = len(instrument.items_for_bond("abuser"))
        assert abuser == [n, 2 * n] and all(isinstance(row["total"], int) for row in rows)
        assert [row["timepoint"] for row in rows if row["client"] == rows[0]["client"]][-1] == "Re-screen 1"
        assert {row["client"][0] for row in rows} == {"C"} and len({row["client"] for row in rows}) == 2
        assert sum("Suicidal" in (row["safety_flags"] or "") for row in rows) == 2
        dictionary = sheets["data dictionary"]
        assert dictionary[0] == ("instrument", "section", "item_key", "wording", "scale", "period", "source")
        assert {row[2] for row in dictionary} >= {item.key for item in instrument.bond_items}
        assert not [cell.coordinate for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    elif kind == Export.Kind.ITEMS_CSV:
        assert export.rows_total == export.rows_done == answers
        header, rows = read_csv_gz(raw)
        assert header == exports.ITEM_COLUMNS and len(rows) == answers
        assert {row[4] for row in rows} == {"abuser", "v2v", "safety", "protective"}
        assert {row[6] for row in rows} <= {"0", "1", "2", "3"}
    else:
        assert export.rows_total == export.rows_done == answers
        table = read_parquet(raw)
        assert table.schema.names == exports.ITEM_COLUMNS and table.num_rows == answers
        assert str(table.schema.field("date").type) == "date32[day]"
        assert set(table.column("section").to_pylist()) == {"abuser", "v2v", "safety", "protective"}
    text = plain_text(export)
    assert "C-0001" not in text and "SECRET-77" not in text and "Casey" not in text and "ex-partner" not in text

    # The page offers the download; the download is the stored file, audited, never cached.
    page = client.get(reverse("reports:export_detail", args=[export.pk]))
    assert b"Download clinic-" in page.content and export.sha256.encode() in page.content
    response = client.get(reverse("reports:export_download", args=[export.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == raw
    day = timezone.localtime(export.finished_at).date().isoformat()
    what = "scores" if kind == Export.Kind.SCORES_XLSX else "items"
    assert response["Content-Disposition"] == f'attachment; filename="clinic-{what}-{day}{jobs.FORMATS[kind][0]}"'
    assert response["Content-Type"] == jobs.FORMATS[kind][1] and response["Cache-Control"] == "no-store"
    assert "Content-Encoding" not in response  # a .csv.gz is downloaded as the gzip file it is
    download = AuditEvent.objects.get(action="report.export_downloaded")
    assert (download.actor, download.object_id) == (clinic_admin, str(export.pk))


def test_the_same_rows_as_the_streamed_csv(client, clinic_admin, history):
    """The job's rows are the ones the streamed clinic CSVs give (same keys, order and values)."""
    from tests.exporting import make_export

    client.force_login(clinic_admin)
    streamed = b"".join(client.get(reverse("reports:clinic_export_items")).streaming_content).decode()
    export = make_export(clinic_admin, Export.Kind.ITEMS_CSV)
    header, rows = read_csv_gz(stored_bytes(export))
    assert [",".join(row) for row in [header, *rows]] == streamed.strip().splitlines()

    import pandas as pd

    streamed = pd.read_csv(io.BytesIO(b"".join(client.get(reverse("reports:clinic_export_screenings")).streaming_content)))
    sheets, _ = read_xlsx(stored_bytes(make_export(clinic_admin, Export.Kind.SCORES_XLSX)))
    made = pd.DataFrame(sheets["screenings"][1:], columns=exports.SCORE_COLUMNS)
    def cells(frame):
        return frame.astype(object).where(frame.notna(), "").astype(str).values.tolist()

    assert cells(streamed) == cells(made)


def test_score_columns_read_from_the_stored_json_match_scoring(history, tiny):
    """_bond_columns reads the stored scores straight from the JSON; scoring's dataclasses agree,
    also for scores filed before a stage's state was stored."""
    for screening in Screening.objects.completed():
        for stored in (screening.scores, _without_stage_states(screening.scores)):
            scores = scores_from_dict(stored)
            for bond, data in zip(scores.bonds, stored["bonds"]):
                columns = exports._bond_columns(data)
                assert columns == {
                    "bond": bond.bond_type, "items": bond.items, "answered": bond.answered,
                    "without_answer": bond.declined, "total": bond.raw, "maximum": bond.maximum,
                    "percent": bond.percent, "stages_endorsed": bond.stages_present,
                    "stages_not_known": len(bond.stages_not_known), "signs_endorsed": len(bond.signs_present),
                    "signs_not_known": len(bond.signs_not_known), "signs_applicable": bond.signs_applicable,
                    "indicators_endorsed": len(bond.indicators_present),
                    "indicators_not_known": len(bond.indicators_not_known),
                    "indicators_applicable": bond.indicators_applicable,
                }


def _without_stage_states(stored):
    bonds = [{**bond, "stages": [{k: v for k, v in stage.items() if k != "state"} | {"answered": 0, "present": False}
                                 if n == 0 else {k: v for k, v in stage.items() if k != "state"}
                                 for n, stage in enumerate(bond["stages"])]}
             for bond in stored["bonds"]]
    return {**stored, "bonds": [{k: v for k, v in b.items() if k not in ("signs_not_known", "indicators_not_known")}
                                for b in bonds]}


def test_progress_is_written_as_the_job_goes(monkeypatch, clinic_admin, history):
    from reports import export_files

    seen = []
    original = export_files.write_items_parquet

    def watched(path, tables, advance):
        def advance_and_look(rows):
            advance(rows)
            seen.append(Export.objects.values_list("rows_done", "rows_total", "status").get())
        original(path, tables, advance_and_look)

    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(export_files, "write_items_parquet", watched)
    monkeypatch.setattr(exports, "CHUNK", 1)  # one screening a batch: three steps
    from tests.exporting import make_export

    export = make_export(clinic_admin, Export.Kind.ITEMS_PARQUET)
    assert export.status == Export.Status.READY
    total = export.rows_total
    assert [status for _done, _total, status in seen] == ["running"] * 3
    assert [done for done, _total, _status in seen][-1] == total and all(t == total for _d, t, _s in seen)
    assert [done for done, _t, _s in seen] == sorted(done for done, _t, _s in seen) and seen[0][0] < total


def test_the_status_json(client, clinic_admin, history):
    client.force_login(clinic_admin)
    export, _ = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.ITEMS_CSV)
    url = reverse("reports:export_status", args=[export.pk])
    assert client.get(url).json() == {"status": "queued", "status_text": "Waiting to start", "rows_done": 0,
                                      "rows_total": None, "unit": "answers", "percent": 0, "download_url": None}
    Export.objects.filter(pk=export.pk).update(status="running", started_at=timezone.now(), heartbeat_at=timezone.now(),
                                               rows_done=250, rows_total=1000)
    data = client.get(url).json()
    assert (data["status"], data["rows_done"], data["rows_total"], data["percent"]) == ("running", 250, 1000, 25)
    response = client.get(url)
    assert response["Content-Type"] == "application/json" and "no-store" in response["Cache-Control"]


# Failures ----------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_failing_job_shows_failed_and_can_be_tried_again(monkeypatch, client, clinic_admin, clinic, history, backend):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away half-way")
        yield  # a generator, as the real one

    monkeypatch.setattr(exports, "score_row_batches", broken)
    client.force_login(clinic_admin)
    _ask(client, Export.Kind.SCORES_XLSX)
    backend.work()
    export = Export.objects.get()
    assert export.status == Export.Status.FAILED and not export.file and export.finished_at
    assert "RuntimeError: the database went away half-way" in export.error and "Traceback" in export.error, (export.status, export.error, export.finished_at)
    assert not report_storage().listdir("exports")[1] if report_storage().exists("exports") else True
    assert backend.failed() == 1  # the queue says so too

    page = client.get(reverse("reports:export_detail", args=[export.pk])).content.decode()
    assert "could not be made" in page and "Try again" in page
    assert "went away" not in page and "Traceback" not in page  # the error is for staff
    assert client.get(reverse("reports:export_download", args=[export.pk])).status_code == 302

    staff_admin = User.objects.create_user("sue@riverside.test", PASSWORD, clinic=clinic, role=User.Role.ADMIN, is_staff=True)
    log_in_verified(client, staff_admin)  # site staff pass two-factor
    page = client.get(reverse("reports:export_detail", args=[export.pk])).content.decode()
    assert "RuntimeError: the database went away half-way" in page

    monkeypatch.undo()
    client.force_login(clinic_admin)
    response = client.post(reverse("reports:export_retry", args=[export.pk]))
    again = Export.objects.exclude(pk=export.pk).get()
    assert response["Location"] == reverse("reports:export_detail", args=[again.pk])
    assert again.status == Export.Status.QUEUED and again.kind == export.kind
    backend.work()
    again.refresh_from_db()
    export.refresh_from_db()
    assert again.status == Export.Status.READY and export.status == Export.Status.FAILED


def _stale(export, file_name=""):
    old = timezone.now() - timedelta(minutes=10)
    Export.objects.filter(pk=export.pk).update(status="running", started_at=old, heartbeat_at=old, rows_done=7,
                                               rows_total=100, file=file_name)


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_a_failed_export_never_a_ready_one(client, clinic_admin, history, backend):
    client.force_login(clinic_admin)
    _ask(client, Export.Kind.ITEMS_PARQUET)
    export = Export.objects.get()
    # As a worker killed while uploading leaves it: running, an old heartbeat, part of the file stored.
    partial = report_storage().save("exports/partial.parquet", ContentFile(b"PAR1 half a file"))
    _stale(export, partial)

    page = client.get(reverse("reports:export_detail", args=[export.pk])).content.decode()
    assert "Failed: the worker stopped" in page and "Try again" in page and "<progress" not in page
    assert client.get(reverse("reports:export_status", args=[export.pk])).json()["status"] == "failed"
    assert client.get(reverse("reports:export_download", args=[export.pk])).status_code == 302
    assert "Failed: the worker stopped" in client.get(reverse("reports:clinic_export")).content.decode()

    # Asking again (the button, or the same request) gives the stale one up and starts a new one.
    response = client.post(reverse("reports:export_retry", args=[export.pk]))
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and "worker stopped" in export.error and not export.file
    assert not report_storage().exists(partial)
    again = Export.objects.exclude(pk=export.pk).get()
    assert response["Location"] == reverse("reports:export_detail", args=[again.pk])

    # The old job, delivered again (or its worker back), does nothing; the new one finishes.
    assert jobs.run_export(export.pk) is None
    backend.work()
    export.refresh_from_db()
    again.refresh_from_db()
    assert export.status == Export.Status.FAILED and again.status == Export.Status.READY


def test_a_stale_export_is_replaced_when_asked_for_again(clinic_admin, history):
    export, _ = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.ITEMS_CSV)
    _stale(export)
    again, created = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.ITEMS_CSV)
    export.refresh_from_db()
    assert created and again.pk != export.pk and export.status == Export.Status.FAILED


def test_a_job_given_up_while_it_runs_keeps_nothing(monkeypatch, clinic_admin, history):
    """The worker was only slow: meanwhile its export was given up. Its next progress report finds
    that out, it stops, and nothing it wrote is kept or marked ready."""
    from reports import export_files

    original = export_files.write_items_csv_gz

    def slow(path, tables, advance):
        old = timezone.now() - timedelta(minutes=10)
        export = Export.objects.get()
        Export.objects.filter(pk=export.pk).update(heartbeat_at=old)
        jobs.give_up_stale(export)
        original(path, tables, advance)

    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(export_files, "write_items_csv_gz", slow)
    export, _ = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.ITEMS_CSV)
    assert jobs.run_export(export.pk) is None
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and not export.file
    assert not report_storage().exists("exports") or report_storage().listdir("exports") == ([], [])


def test_a_file_is_stored_before_the_export_is_ready(monkeypatch, clinic_admin, history):
    """Killed during the upload: the row names the file (for the clean-up) but is still running."""
    seen = {}
    storage = report_storage()
    original = storage.__class__.save

    def save(self, name, content, **kwargs):
        seen["row"] = Export.objects.values_list("status", "file").get()
        return original(self, name, content, **kwargs)

    monkeypatch.setattr(storage.__class__, "save", save)
    from tests.exporting import make_export

    export = make_export(clinic_admin, Export.Kind.ITEMS_PARQUET)
    assert seen["row"] == ("running", export.file.name) and export.status == Export.Status.READY


def test_a_requester_no_longer_admin_fails_the_job(clinic_admin, history):
    export, _ = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.ITEMS_CSV)
    User.objects.filter(pk=clinic_admin.pk).update(role=User.Role.CLINICIAN)
    with pytest.raises(PermissionError):
        jobs.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and "no longer a clinic admin" in export.error


# Retention ---------------------------------------------------------------------------------------

def _finished(clinic_admin, kind, days_ago, content=b"PAR1"):
    finished = timezone.now() - timedelta(days=days_ago)
    name = report_storage().save(f"exports/{kind}-{days_ago}{jobs.FORMATS[kind][0]}", ContentFile(content))
    return Export.objects.create(
        clinic=clinic_admin.clinic, requested_by=clinic_admin, kind=kind, params_key=jobs.params_key({"d": days_ago}),
        status="ready", file=name, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        requested_at=finished, finished_at=finished, expires_at=finished + timedelta(days=7))


@pytest.mark.django_db(transaction=True)
def test_the_clean_up_deletes_expired_files_and_schedules_itself(clinic_admin, history, backend):
    old = _finished(clinic_admin, Export.Kind.ITEMS_PARQUET, days_ago=8)
    older = _finished(clinic_admin, Export.Kind.ITEMS_CSV, days_ago=30)
    recent = _finished(clinic_admin, Export.Kind.SCORES_XLSX, days_ago=2)
    failed = Export.objects.create(clinic=clinic_admin.clinic, requested_by=clinic_admin, kind=Export.Kind.ITEMS_CSV,
                                   params_key="f" * 64, status="failed", error="x",
                                   expires_at=timezone.now() - timedelta(hours=1))
    running, _ = jobs.request_export(clinic_admin.clinic, clinic_admin, Export.Kind.SCORES_XLSX)
    stale_file = report_storage().save("exports/stale.xlsx", ContentFile(b"half"))
    _stale(running, stale_file)
    kept = {recent.file.name}

    call_command("schedule_jobs", stdout=io.StringIO())
    call_command("schedule_jobs", stdout=io.StringIO())  # idempotent: still one clean-up waiting
    assert len(backend.queued(jobs.PURGE_TASK_PATH)) == 1
    backend.work()

    assert set(Export.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    running.refresh_from_db()
    assert running.status == "failed" and not report_storage().exists(stale_file)  # given up, kept for its own retention
    assert not report_storage().exists(old.file.name) and not report_storage().exists(older.file.name)
    assert {name for name in report_storage().listdir("exports")[1]} == {n.split("/")[-1] for n in kept}
    deleted = AuditEvent.objects.filter(action="report.export_deleted")
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(str(e.pk) for e in (old, older, failed))
    assert set(deleted.values_list("clinic_id", flat=True)) == {clinic_admin.clinic_id}
    assert set(deleted.values_list("actor", flat=True)) == {None}

    # The next clean-up is queued, about an hour from now, and only one.
    assert len(backend.queued(jobs.PURGE_TASK_PATH)) == 1
    if backend.name == "db":
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.get(task_path=jobs.PURGE_TASK_PATH, status="READY")
        assert timedelta(minutes=55) < waiting.run_after - timezone.now() <= timedelta(minutes=60)
    # Running it again finds nothing more to delete.
    assert jobs.purge_expired() == 0


def test_the_clean_up_removes_an_expired_export_from_the_page(client, clinic_admin):
    export = _finished(clinic_admin, Export.Kind.ITEMS_PARQUET, days_ago=8)
    client.force_login(clinic_admin)
    assert jobs.purge_expired() == 1
    assert client.get(reverse("reports:export_detail", args=[export.pk])).status_code == 404



def test_the_list_keeps_dates_and_its_link_whole(client, clinic_admin):
    """Table cells wrap anywhere (a long name may be one word), so a crowded list squeezed its dates
    and its link to "2026-12- 02" and "Downloa d" (seen in the e2e journey): those cells do not wrap."""
    _finished(clinic_admin, Export.Kind.SCORES_XLSX, days_ago=1)
    client.force_login(clinic_admin)
    body = client.get(reverse("reports:clinic_export")).content.decode()
    cells = re.findall(r"<td( class=\"[^\"]*\")?>(.*?)</td>", body, re.S)
    assert len(cells) == 6
    nowrap = [i for i, (attrs, _) in enumerate(cells) if "text-nowrap" in attrs]
    assert nowrap == [0, 4, 5] and ">Download</a>" in cells[5][1]

# Who may see them --------------------------------------------------------------------------------

def test_only_the_clinic_admins_see_its_exports(client, clinic_admin, clinician, outsider, other_clinic):
    export = _finished(clinic_admin, Export.Kind.ITEMS_PARQUET, days_ago=1)
    urls = [reverse(name, args=[export.pk]) for name in
            ("reports:export_detail", "reports:export_status", "reports:export_download")]
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(clinician)
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    assert client.post(reverse("reports:export_retry", args=[export.pk])).status_code == 403
    assert client.post(reverse("reports:export_request"), {"kind": "items_csv_gz"}).status_code == 403
    other_admin = User.objects.create_user("oz@hillside.test", PASSWORD, clinic=other_clinic, role=User.Role.ADMIN)
    client.force_login(other_admin)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    refused = AuditEvent.objects.filter(action="access.refused", actor=other_admin)
    assert refused.count() == 3 and set(refused.values_list("object_type", "clinic_id")) == {("export", other_clinic.pk)}
    assert "Riverside" not in client.get(reverse("reports:clinic_export")).content.decode()
    assert not AuditEvent.objects.filter(action="report.export_downloaded").exists()
    assert Export.objects.count() == 1


def test_the_clean_up_sweeps_work_files_a_killed_worker_left(monkeypatch, tmp_path, db):
    """A worker killed mid-job cannot remove its temporary file (tests/test_killed_worker.py): the
    clean-up deletes such files once untouched for a day, and nothing else."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    day_old = time.time() - 25 * 3600

    def made(name, old, folder=False):
        path = tmp_path / name
        if folder:
            path.mkdir()
            (path / "rows-1.xml").write_text("<row/>")
        else:
            path.write_bytes(b"half a file")
        if old:
            os.utime(path, (day_old, day_old))
        return path

    left = made("bondscreen-export-abc.parquet", old=True)
    scratch = made("bondscreen-xlsx-def", old=True, folder=True)
    running = made("bondscreen-export-now.xlsx", old=False)
    someone_elses = made("other-program.tmp", old=True)

    assert jobs.sweep_left_behind() == 2
    assert not left.exists() and not scratch.exists()
    assert running.exists() and someone_elses.exists()
    # The hourly clean-up sweeps too.
    another = made("bondscreen-export-ghi.csv.gz", old=True)
    assert jobs.purge_expired() == 0
    assert not another.exists() and running.exists() and someone_elses.exists()
