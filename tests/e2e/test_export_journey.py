"""A clinic admin asks for each clinic export in the browser and downloads it, while the real
database worker (django-tasks-db's own Worker, what `manage.py db_worker` runs) makes the file in a
thread of this process: the export's page is seen waiting, follows the job through
static/js/export_progress.js (which reloads it once the file is ready) and then offers the download.
A clinician who is not an admin reaches none of it.

The live server is a thread of this process too, so the browser, the worker and the test share the
test database and the test's "reports" storage (a temporary folder, tests/conftest.py).
"""

import hashlib
import re
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from audit.models import AuditEvent
from reports import audit_actions as A
from reports import exports, jobs
from reports.models import Export
from tests.e2e.helpers import set_size, snap
from tests.exporting import history_answers, make_history, read_csv_gz, read_parquet, read_xlsx

FLOW = "exports"
# Long enough for a job on a busy machine (the files here take well under a second to make).
READY_TIMEOUT_MS = 30_000

# Each kind the admin asks for (its button is its label): the word in its file name, its name in the screenshots.
KINDS = [
    (Export.Kind.SCORES_XLSX, "scores", "xlsx"),
    (Export.Kind.ITEMS_CSV, "items", "csv-gz"),
    (Export.Kind.ITEMS_PARQUET, "items", "parquet"),
]


class BackgroundWorker:
    """django-tasks-db's Worker looping in a thread (not batch mode): it picks up jobs as they come
    and stops between two jobs once asked. `manage.py db_worker` itself cannot run in a thread (it
    installs signal handlers, which only the main thread may do), so the Worker is built here with
    the same arguments. The thread closes its own database connection (connections are per thread)
    before it ends."""

    def __init__(self, interval=0.2):
        self.interval = interval
        self.worker = None
        self.thread = None
        self.errors = []
        self.closed = None  # whether the thread's database connections were closed when it ended

    def _worker(self, batch):
        return Worker(queue_names=["default"], interval=self.interval, batch=batch, backend_name="default",
                      startup_delay=False, max_tasks=None, worker_id=f"e2e-{uuid.uuid4().hex[:12]}",
                      excluded_queue_names=[])

    def drain(self):
        """Run every job already waiting, here and now (batch mode), then return."""
        self._worker(batch=True).run()

    def start(self):
        assert self.thread is None, "the worker is already running"
        self.worker = self._worker(batch=False)
        self.thread = threading.Thread(target=self._run, name="e2e-db-worker", daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.worker.run()
        except BaseException as error:  # noqa: BLE001 - reported by stop(), in the test's thread
            self.errors.append(error)
        finally:
            connections.close_all()
            self.closed = all(c.connection is None for c in connections.all(initialized_only=True))

    def stop(self, timeout=30):
        """Ask the loop to end after the job in hand (if any), wait for the thread, report its errors."""
        if self.thread is None:
            return
        self.worker.running = False
        self.thread.join(timeout)
        alive, self.thread = self.thread.is_alive(), None
        assert not alive, f"the worker thread did not stop within {timeout} s"
        assert not self.errors, f"the worker thread failed: {self.errors!r}"
        assert self.closed, "the worker thread left a database connection open"


@pytest.fixture
def db_worker(live_server, settings):
    """A BackgroundWorker on the database queue, stopped and joined at the end of the test at the
    latest (before the live server and the test database are torn down)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    worker = BackgroundWorker()
    yield worker
    worker.stop()


def lines(locator):
    """On how many lines the element's text is laid out."""
    return locator.evaluate("""(el) => { const range = document.createRange(); range.selectNodeContents(el);
        return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size; }""")


def _check_file(kind, raw, instrument):
    """The downloaded bytes are a real file of the kind, with the clinic's de-identified rows."""
    answers = history_answers(instrument)
    if kind == Export.Kind.SCORES_XLSX:
        assert raw[:2] == b"PK"  # a zip, as every XLSX
        sheets, workbook = read_xlsx(raw)
        assert list(sheets) == ["screenings", "data dictionary"]
        assert sheets["screenings"][0] == tuple(exports.SCORE_COLUMNS)
        rows = [dict(zip(exports.SCORE_COLUMNS, row)) for row in sheets["screenings"][1:]]
        assert len(rows) == 4  # three screenings: one of both bonds, one of each bond alone
        n = len(instrument.items_for_bond("abuser"))
        assert sorted(row["total"] for row in rows if row["bond"] == "abuser") == [n, 2 * n]
        assert sorted(row["total"] for row in rows if row["bond"] == "v2v") == [0, 2 * len(instrument.items_for_bond("v2v"))]
        assert len({row["client"] for row in rows}) == 2 and sum("Suicidal" in (row["safety_flags"] or "") for row in rows) == 2
        dictionary = sheets["data dictionary"]
        assert dictionary[0] == ("instrument", "section", "item_key", "wording", "scale", "period", "source")
        assert {row[2] for row in dictionary} >= {item.key for item in instrument.bond_items}
        text = repr(sheets)
    elif kind == Export.Kind.ITEMS_CSV:
        assert raw[:2] == b"\x1f\x8b"  # gzip
        header, rows = read_csv_gz(raw)
        assert header == exports.ITEM_COLUMNS and len(rows) == answers
        assert {row[4] for row in rows} == {"abuser", "v2v", "safety", "protective"}
        assert {row[6] for row in rows} <= {"0", "1", "2", "3"} and len({row[0] for row in rows}) == 3
        text = repr(rows)
    else:
        assert raw[:4] == b"PAR1" and raw[-4:] == b"PAR1"
        table = read_parquet(raw)
        assert table.schema.names == exports.ITEM_COLUMNS and table.num_rows == answers
        assert set(table.column("section").to_pylist()) == {"abuser", "v2v", "safety", "protective"}
        text = repr(table.to_pylist())
    # De-identified: no client code, clinician name or bond label.
    for secret in ("C-0001", "SECRET-77", "Casey", "ex-partner", "friend from group"):
        assert secret not in text, secret


def test_clinic_admin_asks_for_each_export_and_downloads_it(new_page, db_worker, clinic, clinic_admin, clinician,
                                                            client_record, make_screening, instrument):
    # Two clients, three completed screenings (4 score rows), a draft that is never exported.
    make_history(clinic, clinician, client_record, make_screening)
    # The worker has already filed the intake reports of those completions, as a clinic's would have:
    # the queue is empty when the admin asks.
    db_worker.drain()
    assert not DBTaskResult.objects.ready().exists()

    page = new_page("desktop", user=clinic_admin)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/status.json") else None)

    # The exports page, from the menu (an admin's folds behind "Show menu" at 1366 px): nothing asked for yet.
    page.goto("/")
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports for supervisors")
    expect(page.locator("body")).to_contain_text("3 completed screenings in Riverside Clinic.")
    expect(page.locator("body")).to_contain_text("No exports yet.")
    for _kind, label in Export.Kind.choices:
        expect(page.get_by_role("button", name=label)).to_be_visible()
    snap(page, FLOW, "exports-page-empty")

    downloaded = {}
    for kind, word, short in KINDS:
        page.goto("/clinic/export/")
        page.get_by_role("button", name=Export.Kind(kind).label).click()

        # The export's own page, at once: waiting for a worker (none runs yet), and asking about it.
        expect(page).to_have_url(re.compile(r"/clinic/export/[0-9a-f-]{36}/$"))
        export = Export.objects.get(kind=kind)
        assert export.status == Export.Status.QUEUED and export.requested_by == clinic_admin
        status = page.locator("#export-progress [role=status]")
        unit = jobs.FORMATS[kind][2]
        expect(page.get_by_role("heading", level=1)).to_have_text(Export.Kind(kind).label)
        expect(status).to_have_text(f"Waiting to start: 0 of … {unit}")
        expect(page.locator("progress[data-export-bar]")).to_be_visible()
        expect(page.locator("body")).to_contain_text("This page updates by itself.")
        expect(page.get_by_role("link", name=re.compile("^Download"))).to_have_count(0)
        with page.expect_response(lambda response: response.url.endswith("/status.json")) as first_poll:
            pass  # the script asks about a second after the page loaded
        assert first_poll.value.json()["status"] == "queued" and first_poll.value.json()["download_url"] is None
        snap(page, FLOW, f"{short}-waiting")

        # The worker starts and takes the job; the page follows it and, once the file is ready,
        # reloads itself (the test never does) to offer the download.
        url, seen_navigations, seen_polls = page.url, len(navigations), len(polls)
        db_worker.start()
        link = page.get_by_role("link", name=re.compile(rf"^Download clinic-{word}-\d{{4}}-\d\d-\d\d"))
        expect(link).to_be_visible(timeout=READY_TIMEOUT_MS)
        db_worker.stop()
        assert navigations[seen_navigations:] == [url], "the page should have reloaded itself exactly once"
        assert len(polls) > seen_polls

        export.refresh_from_db()
        assert export.status == Export.Status.READY, export.error
        extension = jobs.FORMATS[kind][0]
        filename = f"clinic-{word}-{timezone.localtime(export.finished_at).date().isoformat()}{extension}"
        total = 3 if kind == Export.Kind.SCORES_XLSX else history_answers(instrument)
        assert export.rows_total == export.rows_done == total
        expect(status).to_have_text(f"Ready to download: {total} of {total} {unit}")
        expect(page.locator("#export-progress")).to_have_attribute("data-status", "ready")
        expect(page.locator("progress[data-export-bar]")).to_have_attribute("value", str(total))
        expect(link).to_have_text(f"Download {filename}")
        expect(page.locator("body")).to_contain_text(f"{filesizeformat(export.size)}, SHA-256 {export.sha256}.")
        expect(page.locator("body")).to_contain_text(f"Kept until {timezone.localtime(export.expires_at):%Y-%m-%d %H:%M}")
        snap(page, FLOW, f"{short}-ready")

        # The download, as the browser saves it.
        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        assert download.failure() is None
        assert download.suggested_filename == filename
        raw = Path(download.path()).read_bytes()
        _check_file(kind, raw, instrument)
        downloaded[kind] = raw

        # What the database says afterwards: ready, with the SHA-256 of the very bytes downloaded,
        # kept for the clinic's retention, and the request and the download in the audit trail.
        export.refresh_from_db()
        assert export.status == Export.Status.READY and export.size == len(raw)
        assert export.sha256 == hashlib.sha256(raw).hexdigest()
        assert export.expires_at == export.finished_at + timedelta(days=clinic.export_retention_days)
        trail = AuditEvent.objects.filter(object_id=str(export.pk)).order_by("id")
        assert list(trail.values_list("action", "actor", "detail")) == [
            (A.EXPORT_REQUESTED, clinic_admin.pk, f"{kind}: queued"),
            (A.EXPORT_DOWNLOADED, clinic_admin.pk, f"{kind}, sha256 {export.sha256[:16]}…"),
        ]
        assert {event.ip_address for event in trail} == {"127.0.0.1"}

    # The worker ran each export once, and nothing failed.
    made = DBTaskResult.objects.filter(task_path="reports.tasks.make_export")
    assert sorted(made.values_list("status", flat=True)) == ["SUCCESSFUL"] * 3
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    assert len(set(downloaded.values())) == 3

    # The exports page lists the three, newest first, ready to download, with their expiry.
    page.get_by_role("link", name="← All exports").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    for row, (kind, _word, _short) in zip((rows.nth(i) for i in range(3)), reversed(KINDS)):
        export = Export.objects.get(kind=kind)
        expect(row.locator("td")).to_have_text([
            f"{timezone.localtime(export.requested_at):%Y-%m-%d %H:%M}", Export.Kind(kind).label, "Ada Admin",
            "Ready to download", f"{timezone.localtime(export.expires_at):%Y-%m-%d}", "Download",
        ])
    for size in ("desktop", "tablet"):  # dates and the link stay whole (a crowded table squeezed them)
        set_size(page, size)
        for i in (0, 4, 5):
            assert lines(rows.first.locator("td").nth(i)) == 1, (size, rows.first.locator("td").nth(i).inner_text())
    set_size(page, "desktop")
    snap(page, FLOW, "exports-page-three-ready")

    # The audit trail page shows the requests and the downloads.
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("link", name="Audit trail").click()
    table = page.locator("table tbody")
    expect(table.locator("tr").filter(has_text="Asked for a clinic export")).to_have_count(3)
    expect(table.locator("tr").filter(has_text="Downloaded a clinic export")).to_have_count(3)
    snap(page, FLOW, "audit-trail")

    # A clinician (not an admin) has no Exports menu, and is refused the page, an export's page and
    # its download.
    refused = new_page("desktop", user=clinician)
    refused.e2e.allow_console("status of 403")
    refused.goto("/")
    expect(refused.get_by_role("link", name="Exports")).to_have_count(0)
    export = Export.objects.get(kind=Export.Kind.SCORES_XLSX)
    for i, url in enumerate(["/clinic/export/", f"/clinic/export/{export.pk}/", f"/clinic/export/{export.pk}/download"]):
        response = refused.goto(url)
        assert response.status == 403, (url, response.status)
        expect(refused.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
        expect(refused.locator("body")).to_contain_text("Only a clinic admin can do this.")
        if i == 0:
            snap(refused, FLOW, "clinician-refused")
    assert AuditEvent.objects.filter(action=A.EXPORT_DOWNLOADED).count() == 3
