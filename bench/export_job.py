"""One clinic export job, run the way the worker runs it, over every completed screening in the database.

`bench/export_job.py KIND` (scores_xlsx, items_csv_gz or items_parquet) makes an Export row for the
first synthetic clinic admin and runs reports.jobs.run_export on it in this process: claim, write the
file batch by batch with progress, hash, store, mark ready. Only the scope is widened from the admin's
clinic to the whole database, so the 10,000- and 100,000-screening databases give one export of that
size. Prints one JSON object: wall time, this process's peak resident memory, rows and file size.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from clinicians.models import User  # noqa: E402
from reports import jobs  # noqa: E402
from reports.models import Export, report_storage  # noqa: E402
from screening.models import Screening  # noqa: E402

kind = sys.argv[1]
admin = User.objects.filter(email__startswith="admin-1-", clinic__synthetic=True).order_by("email").first()
export = Export.objects.create(clinic=admin.clinic, requested_by=admin, kind=kind, params={"bench": time.time()},
                               params_key=jobs.params_key({"bench": time.time()}))
jobs._scope = lambda export: Screening.objects.all()  # the whole database, as one clinic's export

started = time.perf_counter()
status = jobs.run_export(export.pk)
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux

export.refresh_from_db()
assert status == Export.Status.READY and export.status == Export.Status.READY, (status, export.status, export.error)
size = export.size
report_storage().delete(export.file.name)
Export.objects.filter(pk=export.pk).delete()
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": export.rows_done, "mb": size / 1024 / 1024,
                  "screenings": Screening.objects.completed().count()}))
