"""Run a real worker command (`db_worker`, `rqworker default`) in its own process, for
tests/test_killed_worker.py: `python tests/worker_that_pauses.py db_worker --no-reload ...`.

With PAUSE_MARKER set (a file path), its first export job stops after the first batch of rows: it
reports that progress (one heartbeat), writes the marker (the id of the process running the job, and
the rows done) and waits there to be killed, half-way through its file. Without PAUSE_MARKER it is
the plain command. Nothing here is in the application: the pause is patched in at start-up, so the
job is the production one up to the point where it stops.

The settings are the test settings (config.settings_test); DATABASE_URL, FILES_ROOT, TASKS_BACKEND
and REDIS_URL come from the environment, as in production, and point at the test's database, its
folder and its queue.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAUSE_LIMIT_SECONDS = 60  # never killed (the test died first): leave without finishing anything


def pause_after_the_first_batch(marker):
    from reports import exports, jobs

    exports.CHUNK = 1  # one screening a batch, so the file is made in several steps
    jobs.PROGRESS_SECONDS = 0  # every batch reports its progress (a heartbeat) at once
    advance = jobs.Progress.advance

    def advance_then_pause(self, rows=0):
        advance(self, rows)  # the real progress report: rows_done and the heartbeat, committed
        if rows and not marker.exists():
            written = marker.with_name(marker.name + ".part")
            written.write_text(f"{os.getpid()} {self.done}")
            os.replace(written, marker)  # the test reads it whole or not at all
            time.sleep(PAUSE_LIMIT_SECONDS)
            os._exit(70)  # not killed: stop here, as a killed worker would, rather than finish

    jobs.Progress.advance = advance_then_pause


def main(argv):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    if os.environ.get("PAUSE_MARKER"):
        pause_after_the_first_batch(Path(os.environ["PAUSE_MARKER"]))
    from django.core.management import call_command

    call_command(*argv)


if __name__ == "__main__":
    main(sys.argv[1:])
