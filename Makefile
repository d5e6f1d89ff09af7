# Two commands on a fresh machine: `make run` (demo on 127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo e2e bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(PY) manage.py seed_demo

# The server and, beside it, one background worker (exports and other jobs, from the database queue).
# Ctrl+C stops both: the trap sends the worker two TERMs (the first asks it to stop after its job, the
# second stops the job too; an export cut off that way shows as failed, with "Try again").
run: demo
	DEBUG=1 $(PY) manage.py schedule_jobs
	@echo "Serving on http://127.0.0.1:8000/ with a background worker (log in with a demo login above; Ctrl+C stops both)"
	@DEBUG=1 $(PY) manage.py db_worker --no-reload --verbosity 1 & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# End-to-end browser suite (tests/e2e): Playwright driving Debian's Chromium against a live server.
E2E_STAMP := $(VENV)/.installed-e2e
CHROMIUM := /usr/bin/chromium

$(E2E_STAMP): $(STAMP) requirements-e2e.txt
	$(PY) -m pip install --quiet -r requirements-e2e.txt
	touch $(E2E_STAMP)

$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# Screenshots land in screenshots/e2e/ (git-ignored). E2E_ARGS passes options to pytest.
e2e: $(E2E_STAMP) $(CHROMIUM)
	E2E=1 $(PY) -m pytest tests/e2e $(E2E_ARGS)

# Benchmarks at clinic-network scale: SQLite, and PostgreSQL too when DATABASE_URL names one.
# Throughput is measured with wrk (Debian's package), installed if missing.
WRK := /usr/bin/wrk

$(WRK):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y wrk

bench: install $(WRK)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
