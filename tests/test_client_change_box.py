"""The client page's "Change since the previous screening": the latest re-screen against the previous
screening of its version, judged against the clinic's estimate, in queries that do not grow with history."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.test_progress_reliability import _estimate_this_month


def _page(logged_in, client_record):
    return " ".join(logged_in.get(reverse("screening:client_detail", args=[client_record.id])).content.decode().split())


def test_no_box_before_a_re_screen(logged_in, client_record, clinician, make_screening):
    make_screening(client_record, clinician, bonds=("abuser",), value=3, instrument_key="tbsc-2")
    assert "Change since the previous screening" not in _page(logged_in, client_record)


def test_the_box_shows_figures_and_the_judgement_of_the_latest_re_screen(
        logged_in, clinic, client_record, clinician, make_screening):
    row = _estimate_this_month(clinic, clinician)
    for value in (3, 3, 0):  # intake, re-screen 1, re-screen 2: the box compares the last two
        make_screening(client_record, clinician, bonds=("abuser",), value=value, instrument_key="tbsc-2")
    page = _page(logged_in, client_record)
    box = page.split('aria-labelledby="change-h"')[1].split("</section>")[0]
    assert "Re-screen 1" in box and "Re-screen 2" in box and "Intake" not in box
    assert "Total lower:" in box
    assert re.search(r'Total of the \d+ items judged: \d+ → 0 \(-\d+\): <strong class="rc-judgement">lower beyond measurement error</strong>', box)
    assert f"estimate of {row.as_of:%Y-%m-%d} · source: this clinic · provisional, estimated locally" in box
    assert "n = 60 complete intakes" in box and "95% interval" in box


def test_below_50_the_box_says_how_many_more_are_needed(logged_in, clinic, client_record, clinician, make_screening):
    _estimate_this_month(clinic, clinician, n=45)
    for value in (3, 0):
        make_screening(client_record, clinician, bonds=("abuser",), value=value, instrument_key="tbsc-2")
    box = _page(logged_in, client_record).split('aria-labelledby="change-h"')[1].split("</section>")[0]
    assert "is not judged: An estimate needs 50 complete intakes; this clinic had 45" in box and "5 more needed." in box
    assert "beyond measurement error</strong>" not in box


def test_the_query_count_does_not_grow_with_history(logged_in, clinic, client_record, clinician, make_screening):
    _estimate_this_month(clinic, clinician)
    url = reverse("screening:client_detail", args=[client_record.id])
    counts = []
    for _ in range(2):
        for value in (3, 1):
            make_screening(client_record, clinician, bonds=("abuser",), value=value, instrument_key="tbsc-2")
        logged_in.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert "beyond measurement error" in logged_in.get(url).content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts  # tests/test_pages.py budget
