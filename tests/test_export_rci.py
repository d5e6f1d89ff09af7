"""Every score export carries the reliable change since the previous screening of the same bond and
relationship (issue 15): the client history CSV, the streamed clinic CSV and the clinic export job's XLSX.

The expected index is worked here from first principles (the answers as stored in the Answer table, the
estimate's stored covariance, Jacobson & Truax's formula written out), not by calling screening.reliability."""

import csv
import io
import math
from datetime import timedelta

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinicians.actors import Actor
from reports import exports
from reports.models import Export
from screening import estimates, services
from screening.models import Answer, ReliabilityEstimate, Screening
from tests.conftest import all_answers, fill
from tests.exporting import make_export, read_xlsx, stored_bytes
from tests.test_estimates import make_intakes

RCI = ["rci", "rci_judgement", "rci_items", "rci_estimate_id", "rci_estimate_date"]


def screen(client, clinician, make_screening, value, label="ex-partner", declined=(), bonds=("abuser",)):
    """A completed tbsc-2 screening of `bonds`, every item answered `value` (capped by the item's own
    scale) but the abuser items in `declined`; the abuser relationship's label is `label`."""
    screening = make_screening(client, clinician, bonds=bonds, complete=False, instrument_key="tbsc-2")
    services.update_draft(screening, {"abuser_in_scope": "abuser" in bonds, "v2v_in_scope": "v2v" in bonds,
                                      "abuser_label": label if "abuser" in bonds else "",
                                      "v2v_label": "friend from group" if "v2v" in bonds else "", "notes": ""})
    answers = all_answers(screening.instrument, bonds, value=value)
    answers.update({("abuser", key): "declined" for key in declined})
    fill(screening, answers)
    outcome = services.complete_screening(screening.id, Screening.objects.all(), Actor(clinician))
    assert outcome.completed, outcome.problems
    return outcome.screening


def on_scale(screening, bond="abuser"):
    """{item_key: value} of the items the screening's answers put on the scale, from the Answer table."""
    return dict(Answer.objects.filter(screening=screening, section=bond, value__isnull=False)
                .values_list("item_key", "value"))


def expected_change(before, after, estimate):
    """(rci rounded to 2, judgement, "k of M") worked by hand: the estimate's items answered on the scale at
    both screenings; alpha = k/(k-1) * (1 - trace/sum) and SD = sqrt(sum) of their covariance submatrix;
    RCI = (x2 - x1) / (SD * sqrt(2) * sqrt(1 - alpha)); beyond measurement error when |RCI| > 1.96."""
    a, b = on_scale(before), on_scale(after)
    used = [n for n, key in enumerate(estimate.items) if key in a and key in b]
    k = len(used)
    total = sum(estimate.covariance[i][j] for i in used for j in used)
    trace = sum(estimate.covariance[i][i] for i in used)
    alpha = k / (k - 1) * (1 - trace / total)
    sd = math.sqrt(total)
    x1 = sum(a[estimate.items[n]] for n in used)
    x2 = sum(b[estimate.items[n]] for n in used)
    index = (x2 - x1) / (sd * math.sqrt(2) * math.sqrt(1 - alpha))
    words = ("lower beyond measurement error" if index < -1.96 else
             "higher beyond measurement error" if index > 1.96 else "within measurement error")
    return round(index, 2), words, f"{k} of {len(estimate.items)}"


@pytest.fixture
def estimate_this_month(clinic, clinician):
    """60 complete intakes of other clients 45 days ago, and this month's estimates from them."""
    make_intakes(clinic, clinician, 60, completed_at=timezone.now() - timedelta(days=45))
    estimates.compute_month(timezone.localdate())
    row = ReliabilityEstimate.objects.get(clinic=clinic, instrument_key="tbsc-2", bond_type="abuser")
    assert row.has_figures and len(row.items) >= 10
    return row


@pytest.fixture
def history(client_record, clinician, make_screening, estimate_this_month):
    """Intake (all 3) → re-screen (all 0) → re-screen (1, three items declined) about the ex-partner, then
    a re-screen about a new partner, then one about the ex-partner again."""
    items = estimate_this_month.items
    return [
        screen(client_record, clinician, make_screening, 3),
        screen(client_record, clinician, make_screening, 0),
        screen(client_record, clinician, make_screening, 1, declined=(items[0], items[4], items[7])),
        screen(client_record, clinician, make_screening, 2, label="new partner"),
        screen(client_record, clinician, make_screening, 2),
    ]


def _text(value):
    """A cell as text, however the file typed it (CSV text, XLSX numbers and empties)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def history_rows(client_record):
    frame = pd.concat(exports.score_frames(client_record.screenings.all(), client_label=client_record.code))
    return {row["screening"]: row for row in frame.to_dict("records")}


def test_each_pair_carries_the_rci_and_estimate_worked_from_first_principles(client_record, history, estimate_this_month):
    intake, first, second, other_label, back = history
    rows = history_rows(client_record)
    assert list(exports.HISTORY_COLUMNS[:len(exports.SCORE_COLUMNS)][-5:]) == RCI  # after "administration"
    assert exports.SCORE_COLUMNS.index("administration") == len(exports.SCORE_COLUMNS) - 6

    # The intake, and the first screening about a new partner: nothing to compare, empty (never 0).
    for screening in (intake, other_label):
        assert [_text(rows[str(screening.id)][c]) for c in RCI] == ["", "", "", "", ""]

    # Each pair, against this month's estimate; the last ex-partner screening is compared with the one
    # before it about the ex-partner, not with the new partner's.
    pairs = [(intake, first), (first, second), (second, back)]
    for before, after in pairs:
        index, words, used = expected_change(before, after, estimate_this_month)
        row = rows[str(after.id)]
        assert row["rci"] == pytest.approx(index, abs=1e-9), (before.id, after.id)
        assert (row["rci_judgement"], row["rci_items"]) == (words, used)
        assert (row["rci_estimate_id"], row["rci_estimate_date"]) == (estimate_this_month.pk,
                                                                     estimate_this_month.as_of.isoformat())
    m = len(estimate_this_month.items)
    assert rows[str(first.id)]["rci_judgement"] == "lower beyond measurement error"
    assert rows[str(first.id)]["rci_items"] == f"{m} of {m}"
    assert rows[str(second.id)]["rci_items"] == f"{m - 3} of {m}"  # the declined items are left out, not read as 0
    assert rows[str(back.id)]["rci_judgement"] == "higher beyond measurement error"


def test_without_an_estimate_the_rows_say_not_judged_and_why(client_record, clinician, make_screening):
    intake = screen(client_record, clinician, make_screening, 3)
    rescreen = screen(client_record, clinician, make_screening, 0)
    rows = history_rows(client_record)
    assert [_text(rows[str(intake.id)][c]) for c in RCI] == ["", "", "", "", ""]
    row = rows[str(rescreen.id)]
    assert row["rci_judgement"] == ("not judged: no reliability estimate has been made yet for this checklist "
                                    "version and bond.")
    assert [_text(row[c]) for c in ("rci", "rci_items", "rci_estimate_id", "rci_estimate_date")] == ["", "", "", ""]


def test_below_50_intakes_the_rows_name_the_estimate_and_how_many_more_are_needed(
        client_record, clinician, make_screening, estimate_this_month):
    # The v2v estimate of this month has no intakes at all (the 60 screened the abuser bond only).
    screen(client_record, clinician, make_screening, 3, bonds=("abuser", "v2v"))
    rescreen = screen(client_record, clinician, make_screening, 0, bonds=("abuser", "v2v"))
    v2v = ReliabilityEstimate.objects.get(clinic=estimate_this_month.clinic, instrument_key="tbsc-2", bond_type="v2v")
    frame = pd.concat(exports.score_frames(client_record.screenings.all(), client_label=client_record.code))
    row = frame[(frame["screening"] == str(rescreen.id)) & (frame["bond"] == "v2v")].iloc[0]
    assert row["rci"] == "" and row["rci_items"] == ""
    assert row["rci_judgement"].startswith("not judged: An estimate needs 50 complete intakes; this clinic had 0")
    assert row["rci_judgement"].endswith(": 50 more needed.")
    assert (row["rci_estimate_id"], row["rci_estimate_date"]) == (v2v.pk, v2v.as_of.isoformat())


def test_the_clinic_csv_and_the_xlsx_carry_the_same_values(client, clinic_admin, client_record, history):
    client.force_login(clinic_admin)
    raw = b"".join(client.get(reverse("reports:clinic_export_screenings")).streaming_content).decode()
    lines = list(csv.reader(io.StringIO(raw)))
    header = lines[0]
    assert header == exports.SCORE_COLUMNS
    from_csv = {(r[0], r[header.index("bond")]): [r[header.index(c)] for c in RCI] for r in lines[1:]}

    sheets, _ = read_xlsx(stored_bytes(make_export(clinic_admin, Export.Kind.SCORES_XLSX)))
    header = list(sheets["screenings"][0])
    assert header == exports.SCORE_COLUMNS
    from_xlsx = {(r[0], r[header.index("bond")]): [_text(r[header.index(c)]) for c in RCI]
                 for r in sheets["screenings"][1:]}

    assert from_csv == from_xlsx and len(from_csv) == 60 + 5
    history_csv = history_rows(client_record)
    for screening in history:
        key = (exports.pseudonym("screening", screening.id), "abuser")
        assert from_xlsx[key] == [_text(history_csv[str(screening.id)][c]) for c in RCI]
    judged = [v for v in from_xlsx.values() if v[0]]
    assert len(judged) == 3 and all(float(v[0]) != 0 for v in judged)


def test_the_job_reads_no_more_queries_as_screenings_are_added(client_record, clinician, make_screening,
                                                               estimate_this_month, clinic, other_clinic):
    from clinicians.models import User
    from screening.models import Client

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rows = [row for batch, _n in exports.score_row_batches(Screening.objects.all()) for row in batch]
        return len(captured), rows

    screen(client_record, clinician, make_screening, 3)
    screen(client_record, clinician, make_screening, 0)
    before, rows = queries()
    assert sum(1 for row in rows if row[exports.SCORE_COLUMNS.index("rci")] != "") == 1
    for _ in range(4):
        screen(client_record, clinician, make_screening, 1)
    after, rows = queries()
    assert sum(1 for row in rows if row[exports.SCORE_COLUMNS.index("rci")] != "") == 5
    assert after == before
    # A second clinic in scope adds its one read of estimates, however many of its screenings there are.
    other = User.objects.create_user("olive@hillside.test", "x-Password-1234", full_name="Olive", clinic=other_clinic)
    elsewhere = Client.objects.create(clinic=other_clinic, code="H-1", created_by=other)
    for value in (3, 0, 1):
        screen(elsewhere, other, make_screening, value)
    more, rows = queries()
    assert more == before + 1
    assert sum(1 for row in rows if row[exports.SCORE_COLUMNS.index("rci_judgement")].startswith("not judged: no "
                                                                                               "reliability")) == 2


def test_the_data_dictionary_explains_the_new_columns():
    dictionary = exports.data_dictionary([])
    notes = dict(zip(dictionary["item_key"], dictionary["wording"]))
    for column in RCI:
        assert column in notes
    assert "1.96" in notes["rci_judgement"] and "Empty" in notes["rci"]


def test_a_total_not_scored_is_not_judged_and_never_read_as_change(client_record, clinician, make_screening,
                                                                    estimate_this_month):
    screen(client_record, clinician, make_screening, 3)
    half = estimate_this_month.items[: len(estimate_this_month.items) // 2]
    rescreen = screen(client_record, clinician, make_screening, 0, declined=half)  # under 80% answered
    assert not rescreen.stored_scores().bond("abuser").scored
    row = history_rows(client_record)[str(rescreen.id)]
    assert row["rci_judgement"] == "not judged: too many items without an answer to compare totals."
    assert [_text(row[c]) for c in ("rci", "rci_items", "rci_estimate_id", "rci_estimate_date")] == ["", "", "", ""]
