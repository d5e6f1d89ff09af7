"""Filed reports: at completion and at each amendment a background job renders the intake PDF once and
keeps the bytes with their SHA-256. Downloads return those bytes whatever changes later; the live PDF
is the "current view". Both queue backends (the database table and RQ on Redis), a failed job, a
killed worker, duplicates, and `manage.py verify_reports` on tampered and missing files."""

import hashlib
import io
import os
import re
import signal
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from clinicians.actors import Actor
from clinicians.models import User
from reports import filing
from reports.models import FiledReport, ReportFiling, report_storage
from reports.pdf import IntakeReportPDF
from screening import services
from screening.models import Screening
from tests.conftest import PASSWORD, log_in_verified

TASK_PATH = "reports.filing.file_intake_report"
RQ_TEST_URL = os.environ.get("RQ_TEST_URL", "redis://127.0.0.1:6379/13")  # a Redis database of the tests' own
FILED_NAME = re.compile(r"filed/[0-9a-f]{32}\.pdf")


def pdf_text(content):
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def stored_bytes(filed):
    with report_storage().open(filed.file.name, "rb") as stored:
        return stored.read()


def downloaded(response):
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def files_in_filed_folder():
    try:
        return sorted(report_storage().listdir("filed")[1])
    except FileNotFoundError:
        return []


def page(client, screening):
    return client.get(reverse("reports:results", args=[screening.id])).content.decode()


class _KeepSignals:
    """Workers install their own SIGINT/SIGTERM handlers; give pytest its own back afterwards."""

    NAMES = ("SIGINT", "SIGTERM", "SIGQUIT")

    def __enter__(self):
        self.saved = {name: signal.getsignal(getattr(signal, name)) for name in self.NAMES if hasattr(signal, name)}

    def __exit__(self, *exc):
        for name, handler in self.saved.items():
            signal.signal(getattr(signal, name), handler)


# The two queue backends, each with a worker run the way production runs it -----------------------

class DatabaseQueue:
    name = "db"

    def run_worker(self):
        with _KeepSignals():
            call_command("db_worker", batch=True, startup_delay=False, interval=0, reload=False, verbosity=0)

    def jobs(self):
        from django_tasks_db.models import DBTaskResult

        return [(r.status, r.args_kwargs["args"]) for r in DBTaskResult.objects.filter(task_path=TASK_PATH)]


class RedisQueue:
    name = "rq"

    def __init__(self):
        import django_rq

        self.queue = django_rq.get_queue("default")

    def run_worker(self):
        import django_rq

        # The job class comes from settings.RQ, as for `manage.py rqworker default`; SimpleWorker runs the
        # job in this process (a forked one would not see the test's database).
        worker = django_rq.get_worker("default", worker_class="rq.SimpleWorker")
        with _KeepSignals():
            worker.work(burst=True)

    def jobs(self):
        from django_tasks_rq.backend import Job

        ids = (set(self.queue.job_ids) | set(self.queue.finished_job_registry.get_job_ids())
               | set(self.queue.failed_job_registry.get_job_ids()))
        jobs = [Job.fetch(job_id, connection=self.queue.connection) for job_id in ids]
        return [(job.task_result.status, list(job.args)) for job in jobs if job.func_name == TASK_PATH]

    def empty(self):
        self.queue.empty()
        for registry in (self.queue.finished_job_registry, self.queue.failed_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)


def redis_reachable():
    import redis

    try:
        return redis.Redis.from_url(RQ_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["db", "rq"])
def queue(request, settings):
    if request.param == "db":
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
        yield DatabaseQueue()
        return
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {RQ_TEST_URL}")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": RQ_TEST_URL, "DEFAULT_TIMEOUT": 60}}
    rq_queue = RedisQueue()
    rq_queue.empty()
    yield rq_queue
    rq_queue.empty()


@pytest.fixture
def db_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    return DatabaseQueue()


@pytest.fixture
def staff_clinician(clinic):
    """A member of the clinic who is also site staff (staff pass two-factor before any page)."""
    return User.objects.create_user("stella@riverside.test", PASSWORD, full_name="Stella Staff", clinic=clinic,
                                    role=User.Role.ADMIN, is_staff=True)


def amend_one_answer(screening, clinician, instrument_item, value, reason="Client corrected an answer."):
    return services.amend_screening(screening.id, Screening.objects.all(), Actor(clinician), reason,
                                    {"protective": {instrument_item.key: value}})


# Queued once, after the commit --------------------------------------------------------------------

def test_completing_queues_exactly_one_filing_task(db_queue, client_record, clinician, make_screening, logged_in,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        draft = make_screening(client_record, clinician, complete=False)
    assert db_queue.jobs() == []  # a draft files nothing

    with django_capture_on_commit_callbacks(execute=True):
        screening = make_screening(client_record, clinician)  # the same draft, answered and completed
    assert screening.id == draft.id and db_queue.jobs() == [("READY", [str(screening.id), 0])]
    queued = ReportFiling.objects.get()
    assert (queued.screening_id, queued.version, queued.status) == (screening.id, 0, "queued") and queued.task_id
    assert not FiledReport.objects.exists()

    body = page(logged_in, screening)
    assert "The report is being filed…" in body and "Try again" not in body
    assert "Current view (made now from today's data and layout)</a>" in body


def test_nothing_is_queued_before_the_commit(db_queue, client_record, clinician, make_screening,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_screening(client_record, clinician)
    assert db_queue.jobs() == [] and callbacks  # announced on commit, not inside the transaction
    for callback in callbacks:
        callback()
    assert len(db_queue.jobs()) == 1


# A worker files the report: both backends --------------------------------------------------------

def test_worker_files_the_report(transactional_db, queue, client, client_record, clinician, clinic, make_screening):
    screening = make_screening(client_record, clinician)  # commits: the job is queued
    assert [args for _, args in queue.jobs()] == [[str(screening.id), 0]]
    queue.run_worker()

    filed = FiledReport.objects.get()
    content = stored_bytes(filed)
    assert (filed.screening_id, filed.version, filed.size) == (screening.id, 0, len(content))
    assert hashlib.sha256(content).hexdigest() == filed.sha256
    assert FILED_NAME.fullmatch(filed.file.name)  # not guessable, names nobody
    text = pdf_text(content)
    assert "C-0001" in text and "Riverside Clinic" in text
    assert [status for status, _ in queue.jobs()] == ["SUCCESSFUL"]
    assert ReportFiling.objects.get().status == "filed"

    event = AuditEvent.objects.get(action="report.filed")
    assert event.actor is None and event.clinic_id == clinic.id and event.client_id == client_record.id
    assert event.object_id == str(filed.id) and filed.sha256[:16] in event.detail

    client.force_login(clinician)
    body = page(client, screening)
    assert f"Filed report, version 0 (at completion), filed {timezone.localtime(filed.filed_at):%Y-%m-%d %H:%M}" in body
    assert f"SHA-256 <abbr title=\"{filed.sha256}\">{filed.sha256[:8]}…{filed.sha256[-8:]}</abbr>" in body
    assert reverse("reports:filed_report", args=[screening.id, 0]) in body
    assert "being filed" not in body and "Try again" not in body
    history = client.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    assert f"Filed report (SHA-256 {filed.sha256_short})" in history


def test_failed_job_is_shown_and_try_again_files_it(transactional_db, queue, client, client_record, clinician,
                                                    staff_clinician, make_screening, monkeypatch):
    def broken_render(screening):
        raise RuntimeError("the font file is unreadable")

    monkeypatch.setattr(filing, "render_intake_pdf", broken_render)
    screening = make_screening(client_record, clinician)
    queue.run_worker()

    assert not FiledReport.objects.exists() and files_in_filed_folder() == []
    assert [status for status, _ in queue.jobs()] == ["FAILED"]  # the queue knows too
    failed = ReportFiling.objects.get()
    assert failed.status == "failed" and "the font file is unreadable" in failed.error and failed.attempts == 1

    client.force_login(clinician)
    body = page(client, screening)
    assert "The filed report could not be made." in body and "Try again" in body
    assert "the font file is unreadable" not in body  # the error is for staff
    log_in_verified(client, staff_clinician)
    assert "the font file is unreadable" in page(client, screening)

    monkeypatch.undo()
    client.force_login(clinician)
    response = client.post(reverse("reports:file_report_again", args=[screening.id]))
    assert response.status_code == 302 and response["Location"] == reverse("reports:results", args=[screening.id])
    assert ReportFiling.objects.get().status == "queued"
    assert AuditEvent.objects.filter(action="report.filing_requested", actor=clinician).count() == 1
    queue.run_worker()

    filed = FiledReport.objects.get()
    assert hashlib.sha256(stored_bytes(filed)).hexdigest() == filed.sha256
    assert ReportFiling.objects.get().status == "filed" and ReportFiling.objects.get().attempts == 2
    body = page(client, screening)
    assert "could not be made" not in body and "Filed report, version 0" in body


def test_duplicate_jobs_file_once(transactional_db, queue, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician)
    for _ in range(2):  # a retried or duplicated job
        filing.file_intake_report.enqueue(str(screening.id), 0)
    queue.run_worker()
    assert FiledReport.objects.count() == 1 and len(files_in_filed_folder()) == 1
    assert [status for status, _ in queue.jobs()] == ["SUCCESSFUL"] * 3
    assert AuditEvent.objects.filter(action="report.filed").count() == 1


# The archived report round trip ------------------------------------------------------------------

def test_download_returns_the_filed_bytes_after_the_clinic_and_layout_change(
        transactional_db, db_queue, client, client_record, clinician, clinic, make_screening, monkeypatch):
    screening = make_screening(client_record, clinician)
    db_queue.run_worker()
    filed = FiledReport.objects.get()
    original = stored_bytes(filed)
    client.force_login(clinician)
    url = reverse("reports:filed_report", args=[screening.id, 0])

    response = client.get(url)
    assert downloaded(response) == original
    assert response["Content-Type"] == "application/pdf" and "no-store" in response["Cache-Control"]
    assert 'filename="screening-C-0001-filed-v0.pdf"' in response["Content-Disposition"]
    assert response["Repr-Digest"].startswith("sha-256=:")
    event = AuditEvent.objects.get(action="report.filed_downloaded")
    assert event.actor == clinician and event.object_id == str(filed.id) and filed.sha256[:16] in event.detail

    clinic.name = "Riverside Wellbeing Centre"  # the clinic renames itself
    clinic.save()
    live = client.get(reverse("reports:intake_pdf", args=[screening.id])).content
    assert "Riverside Wellbeing Centre" in pdf_text(live)
    kept = downloaded(client.get(url))
    assert kept == original and "Riverside Clinic" in pdf_text(kept) and "Wellbeing" not in pdf_text(kept)

    # A later version of the code draws the report differently.
    monkeypatch.setattr(IntakeReportPDF, "render", lambda self: b"%PDF-1.7 a new layout")
    assert client.get(reverse("reports:intake_pdf", args=[screening.id])).content == b"%PDF-1.7 a new layout"
    kept = downloaded(client.get(url))
    assert kept == original and hashlib.sha256(kept).hexdigest() == filed.sha256

    body = page(client, screening)
    assert "Filed report (version 0)</a>" in body and "Current view (made now from today's data and layout)" in body


def test_an_amendment_files_version_1_and_keeps_version_0(transactional_db, db_queue, client, client_record,
                                                        clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician)
    db_queue.run_worker()
    first = FiledReport.objects.get()
    first_bytes = stored_bytes(first)

    amend_one_answer(screening, clinician, instrument.protective_items[0], 0, reason="Recorded in the wrong row.")
    assert [args for _, args in db_queue.jobs()][-1] == [str(screening.id), 1]
    db_queue.run_worker()

    versions = {f.version: f for f in FiledReport.objects.filter(screening=screening)}
    assert sorted(versions) == [0, 1]
    assert stored_bytes(versions[0]) == first_bytes and versions[0].sha256 == first.sha256
    assert "Recorded in the wrong row." in pdf_text(stored_bytes(versions[1]))
    assert "Recorded in the wrong row." not in pdf_text(first_bytes)

    client.force_login(clinician)
    body = page(client, screening)
    newest, oldest = body.index("Filed report, version 1 (after amendment 1)"), body.index("Filed report, version 0 (at completion)")
    assert newest < oldest
    for version in (0, 1):
        response = client.get(reverse("reports:filed_report", args=[screening.id, version]))
        assert downloaded(response) == stored_bytes(versions[version])
    history = client.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    assert f"Filed report (SHA-256 {versions[1].sha256_short})" in history


def test_a_job_that_runs_after_an_amendment_files_nothing_for_the_old_version(
        client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician)  # on_commit never runs here: nothing queued
    amend_one_answer(screening, clinician, instrument.protective_items[0], 0)
    assert filing.file_intake_report.call(str(screening.id), 0) == {"outcome": "superseded"}
    assert files_in_filed_folder() == [] and not FiledReport.objects.exists()
    assert filing.file_intake_report.call(str(screening.id), 1)["outcome"] == "filed"
    assert FiledReport.objects.get().version == 1


def test_a_job_that_loses_the_race_deletes_its_file(client_record, clinician, make_screening, monkeypatch):
    screening = make_screening(client_record, clinician)
    render = filing.render_intake_pdf

    def render_while_another_job_files(s):
        content = render(s)
        monkeypatch.setattr(filing, "render_intake_pdf", render)
        assert filing.file_intake_report.call(str(s.id), 0)["outcome"] == "filed"  # the other job wins
        return content

    monkeypatch.setattr(filing, "render_intake_pdf", render_while_another_job_files)
    assert filing.file_intake_report.call(str(screening.id), 0) == {"outcome": "already filed"}
    filed = FiledReport.objects.get()
    assert files_in_filed_folder() == [filed.file.name.split("/")[1]] and filing.orphan_files() == []


# A worker killed between the file and the row ---------------------------------------------------

class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def test_killed_worker_leaves_an_orphan_and_try_again_files_it(transactional_db, db_queue, client, client_record,
                                                               clinician, make_screening, monkeypatch):
    screening = make_screening(client_record, clinician)

    def killed(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr(filing, "_create_row", killed)
    with pytest.raises(Killed):
        filing.file_intake_report.call(str(screening.id), 0)  # the worker dies after writing the file
    monkeypatch.undo()
    assert not FiledReport.objects.exists()
    [orphan] = filing.orphan_files()
    assert ReportFiling.objects.get().status == "running"

    client.force_login(clinician)
    body = page(client, screening)
    assert "The report is being filed…" in body and "Try again" not in body
    out = io.StringIO()
    call_command("verify_reports", stdout=out)  # orphans alone are a warning: exit status 0
    assert f"warning: orphan file {orphan}" in out.getvalue() and "0 filed reports checked" in out.getvalue()

    # Nothing moves for longer than a job could take: the page offers Try again.
    past = timezone.now() - filing.STALE_AFTER - timedelta(minutes=1)
    ReportFiling.objects.update(queued_at=past, started_at=past)
    body = page(client, screening)
    assert "stopped without finishing" in body and "Try again" in body
    client.post(reverse("reports:file_report_again", args=[screening.id]))
    db_queue.run_worker()
    filed = FiledReport.objects.get()
    assert filed.file.name != orphan and hashlib.sha256(stored_bytes(filed)).hexdigest() == filed.sha256

    # The orphan is listed until it is deleted; a young one is kept (its job may still be running).
    call_command("verify_reports", delete_orphans=True, stdout=io.StringIO())
    assert filing.orphan_files() == [orphan]
    old = time.time() - 3600
    os.utime(report_storage().path(orphan), (old, old))
    out = io.StringIO()
    call_command("verify_reports", delete_orphans=True, stdout=out)
    assert "1 filed report checked: 1 ok, 0 differ, 0 missing; 1 orphan file (1 deleted)" in out.getvalue()
    assert filing.orphan_files() == []


def test_queue_down_marks_the_filing_failed_and_completion_stands(settings, client_record, clinician, make_screening,
                                                                  logged_in, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        screening = make_screening(client_record, clinician)
    screening.refresh_from_db()
    assert not screening.is_draft
    failed = ReportFiling.objects.get()
    assert failed.status == "failed" and "Could not queue the job" in failed.error
    assert "Try again" in page(logged_in, screening)


def test_screenings_completed_before_filing_get_try_again_and_file_reports(
        db_queue, client_record, clinician, make_screening, logged_in):
    screening = make_screening(client_record, clinician)  # on_commit never ran: as if completed before filing
    body = page(logged_in, screening)
    assert "This version has no filed report yet." in body and "Try again" in body
    out = io.StringIO()
    call_command("file_reports", stdout=out)
    assert "1 filing queued." in out.getvalue() and db_queue.jobs() == [("READY", [str(screening.id), 0])]
    call_command("file_reports", stdout=out)  # queued already: not again
    assert len(db_queue.jobs()) == 1


# verify_reports ----------------------------------------------------------------------------------

@pytest.fixture
def filed(client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician)
    filing.file_intake_report.call(str(screening.id), 0)
    return FiledReport.objects.get(screening=screening)


def test_verify_reports_passes_untouched_files(filed):
    out = io.StringIO()
    call_command("verify_reports", stdout=out)
    assert out.getvalue().strip() == "1 filed report checked: 1 ok, 0 differ, 0 missing; 0 orphan files"


def test_verify_reports_finds_a_tampered_file(filed, logged_in):
    path = report_storage().path(filed.file.name)
    with open(path, "r+b") as stored:  # one byte changed, same size
        stored.seek(200)
        byte = stored.read(1)
        stored.seek(200)
        stored.write(bytes([byte[0] ^ 1]))
    tampered = hashlib.sha256(open(path, "rb").read()).hexdigest()
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_reports", stdout=out)
    assert failure.value.returncode == 1 and "1 differ" in str(failure.value)
    assert (f"differs: {filed.id} screening {filed.screening_id} v0 expected {filed.sha256} got {tampered}"
            in out.getvalue())
    # Nor is it served as the filed report.
    response = logged_in.get(reverse("reports:filed_report", args=[filed.screening_id, 0]))
    assert response.status_code == 500 and "This filed report is not served" in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.filed_downloaded").exists()


def test_verify_reports_finds_a_missing_file(filed, logged_in):
    report_storage().delete(filed.file.name)
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_reports", stdout=out)
    assert failure.value.returncode == 1 and "1 missing" in str(failure.value)
    assert f"missing: {filed.id} screening {filed.screening_id} v0 file {filed.file.name}" in out.getvalue()
    assert logged_in.get(reverse("reports:filed_report", args=[filed.screening_id, 0])).status_code == 404


def test_verify_reports_reads_in_chunks(filed, monkeypatch):
    reads = []
    original = filing.sha256_of_stored

    def small_chunks(name, chunk_size=1 << 20):
        reads.append(name)
        return original(name, chunk_size=1024)

    monkeypatch.setattr("reports.management.commands.verify_reports.sha256_of_stored", small_chunks)
    call_command("verify_reports", stdout=io.StringIO())
    assert reads == [filed.file.name] and filed.size > 1024


# Who may download ------------------------------------------------------------------------------

def test_filed_report_is_scoped_like_the_results(client, filed, clinician, teammate, outsider, clinic_admin):
    url = reverse("reports:filed_report", args=[filed.screening_id, 0])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for stranger in (outsider, teammate):  # another clinic; the same clinic, not assigned
        client.force_login(stranger)
        assert client.get(url).status_code == 404
        assert client.post(reverse("reports:file_report_again", args=[filed.screening_id])).status_code == 404
    assert not AuditEvent.objects.filter(action="report.filed_downloaded").exists()
    client.force_login(clinic_admin)
    assert downloaded(client.get(url)) == stored_bytes(filed)
    client.force_login(clinician)
    for version in (1, 70000, 10 ** 12):  # not filed; beyond what the column holds: a 404, never a 500
        assert client.get(reverse("reports:filed_report", args=[filed.screening_id, version])).status_code == 404


def test_try_again_does_nothing_when_filed(db_queue, logged_in, filed):
    response = logged_in.post(reverse("reports:file_report_again", args=[filed.screening_id]), follow=True)
    assert "filed already" in response.content.decode()
    assert db_queue.jobs() == [] and not AuditEvent.objects.filter(action="report.filing_requested").exists()


def test_site_staff_see_a_failed_filing_in_the_admin(client, staff, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician)
    failed = ReportFiling.objects.create(screening=screening, version=0, status="failed",
                                         error="Traceback …\nRuntimeError: the font file is unreadable")
    log_in_verified(client, staff)
    assert "Could not be made" in client.get(reverse("admin:reports_reportfiling_changelist")).content.decode()
    body = client.get(reverse("admin:reports_reportfiling_change", args=[failed.id])).content.decode()
    assert "the font file is unreadable" in body
    seen = AuditEvent.objects.filter(action="admin.viewed_record", object_id=str(failed.id))
    assert seen.count() == 2 and {e.clinic_id for e in seen} == {client_record.clinic_id}
