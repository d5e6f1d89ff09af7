"""Reliable change where clinicians read change: stored item values, the data migration that fills them
in, and the judgement on the progress page, the results page and the progress PDF."""

import io
import re
from datetime import timedelta
from importlib import import_module

from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinicians.actors import Actor
from screening import estimates, services
from screening.models import Screening
from screening.scoring import scores_from_dict
from tests.test_estimates import make_intakes

fill_values = import_module("screening.migrations.0014_bond_scores_store_item_values").fill_values


def _rescreened(client_record, clinician, make_screening, before, after):
    intake = make_screening(client_record, clinician, bonds=("abuser",), value=before, instrument_key="tbsc-2")
    rescreen = make_screening(client_record, clinician, bonds=("abuser",), value=after, instrument_key="tbsc-2")
    assert (intake.kind, rescreen.kind) == ("intake", "rescreen")
    return intake, rescreen


def test_new_scores_store_the_answered_values_in_item_order(client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, bonds=("abuser",), value=2, instrument_key="tbsc-2")
    bond = screening.stored_scores().bond("abuser")
    keys = [i.key for i in screening.instrument.items_for_bond("abuser", intake=True)]
    assert [k for k, _ in bond.values] == keys and {v for _, v in bond.values} <= {1, 2}  # yes/no items top at 1
    assert bond.value_map["put-you-down"] == 2
    old = dict(screening.scores, bonds=[{k: v for k, v in b.items() if k != "values"} for b in screening.scores["bonds"]])
    assert scores_from_dict(old).bond("abuser").values == ()  # scores filed before still read


def test_the_data_migration_fills_in_values_from_the_current_answers_and_nothing_else(
        client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, bonds=("abuser", "v2v"), value=1, instrument_key="tbsc-2")
    services.amend_screening(screening.id, Screening.objects.all(), Actor(clinician), "Corrected with the client.",
                             {"abuser": {"put-you-down": 3, "recovery-on-hold": "declined"}})
    screening.refresh_from_db()
    expected = screening.scores
    assert dict(expected["bonds"][0]["values"])["put-you-down"] == 3
    old = dict(expected, bonds=[{k: v for k, v in b.items() if k != "values"} for b in expected["bonds"]])
    Screening.objects.filter(pk=screening.pk).update(scores=old)  # as filed before values were stored
    draft = make_screening(client_record, clinician, complete=False, instrument_key="tbsc-2")
    before = Screening.objects.filter(pk=screening.pk).values("updated_at", "completed_at", "amended_at").get()

    fill_values(apps, None)

    screening.refresh_from_db()
    assert screening.scores == expected  # the corrected answers' values, and every other field as it was
    assert "recovery-on-hold" not in dict(screening.scores["bonds"][0]["values"])
    assert Screening.objects.filter(pk=screening.pk).values("updated_at", "completed_at", "amended_at").get() == before
    draft.refresh_from_db()
    assert draft.scores is None
    fill_values(apps, None)  # again: nothing left to do
    screening.refresh_from_db()
    assert screening.scores == expected


def _estimate_this_month(clinic, clinician, n=60):
    make_intakes(clinic, clinician, n, completed_at=timezone.now() - timedelta(days=45))
    result = estimates.compute_month(timezone.localdate())
    return next(r for r in result.created if r.bond_type == "abuser")


def test_the_progress_page_judges_the_change_against_the_clinics_estimate(
        logged_in, clinic, client_record, clinician, make_screening):
    row = _estimate_this_month(clinic, clinician)
    assert row.has_figures
    _rescreened(client_record, clinician, make_screening, before=3, after=0)
    page = " ".join(logged_in.get(reverse("reports:client_progress", args=[client_record.id])).content.decode().split())
    # The judgement is its own part, beside the figures, in words; then a small line with its basis.
    assert re.search(r"Total of the \d+ items judged: \d+ → \d+ \(-\d+\): <strong class=\"rc-judgement\">lower beyond measurement error</strong>", page)
    basis = re.search(r'<p class="small text-body-secondary mb-0 rc-basis">(.*?)</p>', page).group(1)
    assert basis.startswith("reliable change index -")
    assert re.search(r"n = 60 complete intakes · α = 0\.\d\d \(95% interval 0\.\d\d to 0\.\d\d\) · SD = \d+\.\d · "
                     rf"all \d+ items asked at every screening · estimate of {row.as_of:%Y-%m-%d} · source: this clinic · "
                     r"provisional, estimated locally$", basis), basis
    assert not re.search(r"improv|worse|better|good news", page, re.I)


def test_within_measurement_error_in_the_re_screens_report(logged_in, clinic, client_record, clinician, make_screening):
    _estimate_this_month(clinic, clinician)
    _, rescreen = _rescreened(client_record, clinician, make_screening, before=1, after=1)
    response = logged_in.get(reverse("reports:intake_pdf", args=[rescreen.id]))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))
    assert "Change since the last screening" in text
    # The percentages differ (the intake's items asked only at intake count there); the judgement is over
    # the items asked both times, whose raw total did not change.
    assert "Total of the 26 items judged: 26 → 26 (+0): within measurement error (reliable change index +0.00)." in text
    assert "Judged on all 26 items asked at every screening" in text
    assert "provisional, estimated locally" in text


def test_below_50_the_pages_say_how_many_more_intakes_are_needed(
        logged_in, clinic, client_record, clinician, make_screening):
    _estimate_this_month(clinic, clinician, n=20)
    _rescreened(client_record, clinician, make_screening, before=3, after=0)
    page = " ".join(logged_in.get(reverse("reports:client_progress", args=[client_record.id])).content.decode().split())
    assert "is not judged: An estimate needs 50 complete intakes; this clinic had 20 at the estimate of" in page
    assert ": 30 more needed." in page
    assert "beyond measurement error (" not in page


def test_the_progress_pdf_prints_the_judgement_of_first_to_last(logged_in, clinic, client_record, clinician,
                                                               make_screening):
    _estimate_this_month(clinic, clinician)
    _rescreened(client_record, clinician, make_screening, before=3, after=0)
    response = logged_in.get(reverse("reports:progress_pdf", args=[client_record.id]))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))
    assert "Reliable change, first to last screening in this period Total of the" in text
    assert re.search(r"Total of the \d+ items judged: \d+ → \d+ \(-\d+\): lower beyond measurement error reliable change index -\d+\.\d\d · "
                     r"n = 60 complete intakes · α = 0\.\d\d \(95% interval 0\.\d\d to 0\.\d\d\) · SD = \d+\.\d · "
                     r"all \d+ items asked at every screening · estimate of \d{4}-\d\d-01 · source: this clinic · "
                     r"provisional, estimated locally", text), text


def test_without_an_estimate_the_pdf_says_so(logged_in, client_record, clinician, make_screening):
    _rescreened(client_record, clinician, make_screening, before=3, after=0)
    response = logged_in.get(reverse("reports:progress_pdf", args=[client_record.id]))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))
    assert "Reliable change, first to last screening in this period Whether this change is beyond measurement error " \
           "is not judged: no reliability estimate has been made" in text  # (a page break may follow)
