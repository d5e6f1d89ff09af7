"""make bench: build the scale data and print one table of figures; write bench/RESULTS.md.

SQLite always; PostgreSQL too when DATABASE_URL names one (its server is used for scratch
databases bench_small, bench_mid and bench_big, dropped and made anew on each run).

`bench/run.py http` runs the HTTP stage only (PDFs, throughput with wrk, autosave) on the
10,000-client databases a full run left (bench/var/big.sqlite3, and bench_big or BENCH_PG_DATABASE
on DATABASE_URL's server), seeding one first if it is missing.
"""

import json
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "bench" / "var"
PY = sys.executable

TARGETS = {  # the issues' targets, checked in the table
    "queries": 12, "pdf_ratio": 1.5, "autosave_p95_ms": 30, "export_mb": 400,
    # seconds for one export job at 100,000 screenings
    "export_seconds": {"scores_xlsx": 30, "items_parquet": 30, "items_csv_gz": 45},
    # requests/s of a page under wrk, as a ratio of the anonymous /healthz in the same run
    "throughput_ratio": {"client list": 0.10, "results": 0.10},
}


def env_for(url):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=url, DEBUG="0", SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",
               ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_ENV="development", LOG_LEVEL="ERROR",
               ALLOW_INSECURE_HTTP="1")  # gunicorn over plain HTTP on 127.0.0.1
    return env


def run(url, *args):
    result = subprocess.run([PY, *args], cwd=ROOT, env=env_for(url), capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"bench step failed: {' '.join(args)}")
    return result.stdout.strip().splitlines()


def stage(url, name):
    print(f"  {name} …", flush=True)
    return json.loads(run(url, "bench/measure.py", name)[-1])


def fresh_sqlite(name):
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"{name}.sqlite3"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(base_url, name):
    import psycopg

    parts = urlsplit(base_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS bench_{name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE bench_{name}")
    return urlunsplit(parts._replace(path=f"/bench_{name}"))


def measure(engine, fresh):
    print(f"{engine}:", flush=True)
    out = {}
    for name, stages in (("small", ["seed-small", "counts"]), ("mid", ["seed-mid", "exports"]),
                         ("big", ["seed-big", "counts", "http", "exports"])):
        url = fresh(name)
        run(url, "manage.py", "migrate", "--noinput", "-v0")
        out[name] = {}
        for s in stages:
            out[name].update(stage(url, s))
    return out


def check(ok):
    return "meets" if ok else "MISSES"


def table(engine, r):
    small, mid, big = r["small"], r["mid"], r["big"]
    lines = [f"### {engine}", "", f"Seeding 100,000 screenings (and a 24-screening client): {big['seed_s']:.0f} s.", "",
             "| measure | 100 clients | 10,000 clients | target |", "| --- | ---: | ---: | --- |"]
    for page, count in big["counts"].items():
        same = small["counts"][page] == count
        lines.append(f"| queries: {page} | {small['counts'][page]} | {count} | "
                     f"≤ {TARGETS['queries']}, same at both sizes: {check(same and count <= TARGETS['queries'])} |")
    lines += ["", "| measure | value | target |", "| --- | ---: | --- |"]
    for name, p in big["pdf"].items():
        lines.append(f"| PDF {name}: median over HTTP / reportlab alone | {p['http_ms']:.0f} ms / {p['floor_ms']:.0f} ms "
                     f"= {p['ratio']:.2f} | ≤ {TARGETS['pdf_ratio']}: {check(p['ratio'] <= TARGETS['pdf_ratio'])} |")
    lines += throughput_lines(big["throughput"])
    lines += results_lines(big)
    a = big["autosave"]
    lines.append(f"| autosave step POST, median / p95 | {a['median_ms']:.1f} ms / {a['p95_ms']:.1f} ms | "
                 f"p95 ≤ {TARGETS['autosave_p95_ms']} ms: {check(a['p95_ms'] <= TARGETS['autosave_p95_ms'])} |")
    lines += export_lines(mid["exports"], big["exports"])
    return "\n".join(lines)


EXPORT_NAMES = {"scores_xlsx": "scores XLSX", "items_parquet": "items Parquet", "items_csv_gz": "items CSV.gz"}


def export_lines(mid, big):
    """Each export job at 10,000 and 100,000 screenings: time at 100,000, and peak memory flat as
    the data grows tenfold (within 1.5 times the 10,000 figure) and under the ceiling."""
    lines = []
    for kind, name in EXPORT_NAMES.items():
        m, b = mid[kind], big[kind]
        limit = TARGETS["export_seconds"][kind]
        flat = b["peak_mb"] <= TARGETS["export_mb"] and b["peak_mb"] <= m["peak_mb"] * 1.5
        lines.append(f"| export job, {name}: {m['screenings']:,} → {b['screenings']:,} screenings ({b['rows']:,} rows, "
                     f"{b['mb']:.1f} MB file) | {m['seconds']:.1f} s → **{b['seconds']:.1f} s** | "
                     f"≤ {limit} s: {check(b['seconds'] <= limit)} |")
        lines.append(f"| export job, {name}: worker peak memory | {m['peak_mb']:.0f} MB → **{b['peak_mb']:.0f} MB** | "
                     f"≤ {TARGETS['export_mb']} MB and flat: {check(flat)} |")
    return lines


def throughput_lines(t):
    load = t["load"]
    lines = [f"| requests/s, /healthz without a session (the baseline; wrk -t{load['threads']} -c{load['connections']}, "
             f"{load['seconds']} s × {load['rounds']} rounds, gunicorn {load['gunicorn_workers']} workers) | "
             f"{t['bare']:.0f}/s | |"]
    for page in ("healthz with session", "client list", "results"):
        ratio = t[page] / t["bare"]
        target = TARGETS["throughput_ratio"].get(page)
        lines.append(f"| requests/s, {page} | {t[page]:.0f}/s = {ratio:.3f} of /healthz | "
                     + (f"≥ {target}: {check(ratio >= target)} |" if target else "|"))
    return lines


def results_lines(big):
    if "results_in_process" not in big:
        return []
    timing = big["results_in_process"]
    return [f"| results page in-process (no HTTP), median: report parts built / kept (a view again, client "
            f"unchanged) | {timing['built_ms']:.1f} ms / {timing['kept_ms']:.1f} ms | |"]


def http_table(engine, big):
    lines = [f"### {engine}: HTTP stage", "", "| measure | value | target |", "| --- | ---: | --- |"]
    for name, p in big["pdf"].items():
        lines.append(f"| PDF {name}: median over HTTP / reportlab alone | {p['http_ms']:.0f} ms / {p['floor_ms']:.0f} ms "
                     f"= {p['ratio']:.2f} | ≤ {TARGETS['pdf_ratio']}: {check(p['ratio'] <= TARGETS['pdf_ratio'])} |")
    lines += throughput_lines(big["throughput"])
    lines += results_lines(big)
    a = big["autosave"]
    lines.append(f"| autosave step POST, median / p95 | {a['median_ms']:.1f} ms / {a['p95_ms']:.1f} ms | "
                 f"p95 ≤ {TARGETS['autosave_p95_ms']} ms: {check(a['p95_ms'] <= TARGETS['autosave_p95_ms'])} |")
    return "\n".join(lines)


def existing_sqlite():
    path = VAR / "big.sqlite3"
    return f"sqlite:///{path}", path.exists()


def existing_postgres(base_url):
    import psycopg

    parts = urlsplit(base_url)
    name = os.environ.get("BENCH_PG_DATABASE", "bench_big")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), found


def http_only():
    """The HTTP stage on the 10,000-client databases, seeded first only if missing."""
    targets = [("SQLite", existing_sqlite)]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        targets.append(("PostgreSQL", lambda: existing_postgres(base)))
    results = {}
    for engine, find in targets:
        print(f"{engine}:", flush=True)
        VAR.mkdir(parents=True, exist_ok=True)
        url, found = find()
        run(url, "manage.py", "migrate", "--noinput", "-v0")
        if not found:
            stage(url, "seed-big")
        results[engine] = {"big": stage(url, "http")}
    report = [f"Run on {date.today().isoformat()}: {machine()}.", ""]
    report += [http_table(engine, r["big"]) for engine, r in results.items()]
    text = "\n\n".join(report)
    print("\n" + text)
    (ROOT / "bench" / "last-http-run.json").write_text(json.dumps(results, indent=2))
    (ROOT / "bench" / "last-http-run.md").write_text(text + "\n")


def machine():
    cores = os.cpu_count()
    memory = "?"
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cores} cores, {memory} memory, Python {platform.python_version()}, {platform.system()} {platform.machine()}"


def main():
    results = {"SQLite": measure("SQLite", fresh_sqlite)}
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        results["PostgreSQL"] = measure("PostgreSQL", lambda name: fresh_postgres(base, name))
    report = [f"Run on {date.today().isoformat()}: {machine()}.", ""]
    report += [table(engine, r) for engine, r in results.items()]
    text = "\n\n".join(report)
    print("\n" + text)
    (ROOT / "bench" / "last-run.json").write_text(json.dumps(results, indent=2))
    (ROOT / "bench" / "last-run.md").write_text(text + "\n")


if __name__ == "__main__":
    http_only() if sys.argv[1:] == ["http"] else main()
