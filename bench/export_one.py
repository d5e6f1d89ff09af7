"""One clinic-wide export of every completed screening in the database, written to /dev/null (for memory)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from reports import exports  # noqa: E402
from screening.models import Screening  # noqa: E402

kind = sys.argv[1]
screenings = Screening.objects.all()
if kind == "xlsx":
    with open(os.devnull, "wb") as sink:
        exports.write_xlsx(sink, screenings, ["tbsc-1"])
else:
    frames = exports.score_frames(screenings) if kind == "csv-scores" else exports.item_frames(screenings)
    with open(os.devnull, "w") as sink:
        for text in exports.csv_chunks(frames):
            sink.write(text)
