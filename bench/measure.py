"""Measure one database: seed the scale data, then query counts, PDFs, throughput, autosave, export jobs.

Run by bench/run.py with DATABASE_URL set; prints one JSON object on its last line.
"""

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client as TestClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from clinicians.actors import Actor  # noqa: E402

from clinicians.models import User  # noqa: E402
from reports.data import build_intake_report  # noqa: E402
from reports.pdf import IntakeReportPDF  # noqa: E402
from reports.progress_data import build_progress_report  # noqa: E402
from reports.progress_pdf import ProgressReportPDF  # noqa: E402
from screening import services  # noqa: E402
from screening.forms.steps import item_field_name  # noqa: E402
from screening.models import Client  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "8765"))
# Throughput: wrk (Debian package `wrk`) against gunicorn with GUNICORN_WORKERS sync workers.
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "8"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "8"))
WRK_ROUNDS = int(os.environ.get("BENCH_WRK_ROUNDS", "3"))
GUNICORN_WORKERS = 2


def seed(clinics, clients, per_client, seed_value):
    started = time.perf_counter()
    call_command("seed_scale", clinics=clinics, clients=clients, screenings_per_client=per_client, seed=seed_value,
                 stdout=open(os.devnull, "w"))
    return time.perf_counter() - started


def fixtures():
    """The admin of the big clinic, a client with a 24-screening history, a draft and a completed screening."""
    long_client = Client.objects.get(code="S01-000000", clinic__name__startswith="Synthetic clinic 24-")
    admin = User.objects.get(email="admin-24-1@synthetic.test")
    draft, _ = services.start_screening(long_client, Actor(admin))
    services.update_draft(draft, {"abuser_in_scope": True, "v2v_in_scope": True})
    completed = long_client.screenings.completed().order_by("-completed_at").first()
    big_admin = User.objects.get(email="admin-1-1@synthetic.test")
    return {"admin": admin, "big_admin": big_admin, "client": long_client, "draft": draft, "completed": completed}


def step_items(draft):
    """The abuser-bond step's questions for this draft (a re-screen has no intake-only questions)."""
    return next(section for section in draft.sections() if section.key == "abuser").items


def pages(f):
    item = step_items(f["draft"])[0]
    step = reverse("screening:screening_step", args=[f["draft"].id, "abuser"])
    autosave = reverse("screening:screening_autosave", args=[f["draft"].id, "abuser"])
    return [
        ("home / due list", "big_admin", "get", reverse("screening:home"), None),
        ("client list", "big_admin", "get", reverse("screening:client_list"), None),
        ("client page (24 screenings)", "admin", "get", reverse("screening:client_detail", args=[f["client"].id]), None),
        ("progress page (24)", "admin", "get", reverse("reports:client_progress", args=[f["client"].id]), None),
        ("screening step GET", "admin", "get", step, None),
        ("screening step POST (autosave)", "admin", "post", autosave,
         {"instrument": f["draft"].instrument_key, item_field_name(item.key): "2"}),
        ("results", "admin", "get", reverse("reports:results", args=[f["completed"].id]), None),
        ("intake PDF", "admin", "get", reverse("reports:intake_pdf", args=[f["completed"].id]), None),
        ("progress PDF (24)", "admin", "get", reverse("reports:progress_pdf", args=[f["client"].id]), None),
        ("client history CSV", "admin", "get", reverse("reports:client_history_csv", args=[f["client"].id]), None),
        ("clinic export, scores CSV", "big_admin", "get", reverse("reports:clinic_export_screenings"), None),
        ("clinic export, items CSV", "big_admin", "get", reverse("reports:clinic_export_items"), None),
    ]


def query_counts(f):
    counts = {}
    browsers = {}
    for role in ("admin", "big_admin"):
        browsers[role] = TestClient(HTTP_HOST="localhost")
        browsers[role].force_login(f[role])
        browsers[role].get(reverse("screening:home"))  # first page of a session
    for name, role, method, url, data in pages(f):
        with CaptureQueriesContext(connection) as ctx:
            if method == "get":
                response = browsers[role].get(url)
            else:
                response = browsers[role].post(url, data, HTTP_X_AUTOSAVE="1")
            if response.streaming:
                for _ in response.streaming_content:
                    pass
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def session_cookie(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "clinicians.backends.EmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["last_activity"] = time.time()  # stamped again once a minute while in use, as a clinician's is
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


class Server:
    def __init__(self):
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
             "--workers", str(GUNICORN_WORKERS), "--log-level", "warning"],
            cwd=ROOT, env=os.environ.copy(),
        )
        for _ in range(100):
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def get(self, path, cookie="", method="GET", body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        all_headers = {"Cookie": cookie, **(headers or {})}
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def timed(call, n):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def pdf_timings(server, f, cookie):
    intake_url = reverse("reports:intake_pdf", args=[f["completed"].id])
    progress_url = reverse("reports:progress_pdf", args=[f["client"].id])
    intake_report = build_intake_report(f["completed"])
    progress_report = build_progress_report(f["client"], f["admin"])
    results = {}
    for name, url, render in (
        ("intake", intake_url, lambda: IntakeReportPDF(intake_report).render()),
        ("progress (24)", progress_url, lambda: ProgressReportPDF(progress_report).render()),
    ):
        status, _ = server.get(url, cookie)
        assert status == 200, (url, status)
        http_times = timed(lambda: server.get(url, cookie), 15)
        floor_times = timed(render, 15)
        results[name] = {"http_ms": statistics.median(http_times) * 1000,
                         "floor_ms": statistics.median(floor_times) * 1000}
        results[name]["ratio"] = results[name]["http_ms"] / results[name]["floor_ms"]
    return results


def wrk(path, cookie, seconds):
    """Requests/s of wrk (WRK_THREADS threads, WRK_CONNECTIONS connections) on one page for `seconds`;
    every answer must be a 200."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, f"{errors.group(1)} answers other than 200 on {path}:\n{out}"
    assert "Socket errors" not in out or re.search(r"Socket errors: connect 0, read 0, write 0, timeout 0", out), out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def throughput(f, cookie, big_cookie):
    """Requests/s of each page under wrk against gunicorn, and each as a ratio of /healthz without a
    session measured alongside it. The pages take turns, WRK_ROUNDS times, and each figure is the
    median of its rounds, so a burst of other work on the machine does not land on one page alone."""
    pages = {
        "bare": ("/healthz", ""),
        "healthz with session": ("/healthz", cookie),
        "client list": (reverse("screening:client_list"), big_cookie),
        "results": (reverse("reports:results", args=[f["completed"].id]), cookie),
    }
    rounds = {name: [] for name in pages}
    for name, (path, page_cookie) in pages.items():
        wrk(path, page_cookie, 1)  # warm each worker (templates compiled, connections open)
    for _ in range(WRK_ROUNDS):
        for name, (path, page_cookie) in pages.items():
            rounds[name].append(wrk(path, page_cookie, LOAD_SECONDS))
    out = {name: statistics.median(values) for name, values in rounds.items()}
    out["rounds"] = rounds
    out["load"] = {"tool": "wrk", "threads": WRK_THREADS, "connections": WRK_CONNECTIONS,
                   "seconds": LOAD_SECONDS, "rounds": WRK_ROUNDS, "gunicorn_workers": GUNICORN_WORKERS}
    return out


def results_built_and_kept(f, n=200):
    """The results page in-process (no HTTP), median of n views: with its report parts built every time
    (the first view after any change to the client), and kept (a view again while nothing changed)."""
    browser = TestClient(HTTP_HOST="localhost")
    browser.force_login(f["admin"])
    url = reverse("reports:results", args=[f["completed"].id])
    pages = caches["pages"]

    def median_ms(clear):
        times = []
        for _ in range(n):
            if clear:
                pages.clear()
            started = time.perf_counter()
            assert browser.get(url).status_code == 200
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    median_ms(False)  # warm: templates compiled, connection open
    return {"built_ms": median_ms(True), "kept_ms": median_ms(False)}


def autosave(server, f, cookie):
    page_status, _ = server.get(reverse("screening:screening_step", args=[f["draft"].id, "abuser"]), cookie)
    assert page_status == 200
    token = "benchbenchbenchbenchbenchbench12"  # any 32 characters: cookie and header must match
    url = reverse("screening:screening_autosave", args=[f["draft"].id, "abuser"])
    items = step_items(f["draft"])
    times = []
    for i in range(200):
        body = f"instrument={f['draft'].instrument_key}&{item_field_name(items[i % len(items)].key)}={i % 4}"
        started = time.perf_counter()
        status, data = server.get(url, f"{cookie}; csrftoken={token}", "POST", body, {
            "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token, "X-Autosave": "1",
            "Referer": f"http://127.0.0.1:{PORT}{url}", "Host": f"127.0.0.1:{PORT}",
        })
        times.append(time.perf_counter() - started)
        assert status == 200, (status, data[:200])
    times.sort()
    return {"median_ms": statistics.median(times) * 1000, "p95_ms": times[int(len(times) * 0.95) - 1] * 1000}


EXPORT_KINDS = ("scores_xlsx", "items_parquet", "items_csv_gz")


def export_job(kind):
    """One export job in a child process (bench/export_job.py): its wall time and peak memory."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "export_job.py"), kind], check=True, cwd=ROOT,
                            env=os.environ.copy(), capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    stage = sys.argv[1]
    out = {}
    if stage == "seed-small":
        out["seed_s"] = seed(1, 100, 10, 1) + seed(1, 1, 24, 24)
    elif stage == "seed-mid":
        out["seed_s"] = seed(1, 1000, 10, 1)
    elif stage == "seed-big":
        out["seed_s"] = seed(10, 10000, 10, 1)
        out["seed_s"] += seed(1, 1, 24, 24)
    elif stage == "counts":
        out["counts"] = query_counts(fixtures())
    elif stage == "http":
        f = fixtures()
        cookie, big_cookie = session_cookie(f["admin"]), session_cookie(f["big_admin"])
        out["results_in_process"] = results_built_and_kept(f)
        connections.close_all()
        server = Server()
        try:
            out["pdf"] = pdf_timings(server, f, cookie)
            out["throughput"] = throughput(f, cookie, big_cookie)
            out["autosave"] = autosave(server, f, cookie)
        finally:
            server.stop()
    elif stage == "exports":
        out["exports"] = {kind: export_job(kind) for kind in EXPORT_KINDS}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
