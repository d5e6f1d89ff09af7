"""The client's history and progress pages, the trend chart, the progress PDF and amendments."""

import io
import re
from datetime import date

from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from reports.charts import svg, trend_drawing
from screening.models import Screening
from screening.progress import SeriesPoint


def _series(n, flagged=()):
    return [SeriesPoint(str(i), date(2026, 1 + i, 1), 80.0 - 10 * i, 6, 7, 5, 10, i in flagged) for i in range(n)]


def test_chart_svg_has_one_point_per_screening_and_no_inline_style():
    for n in (1, 4, 12):
        out = svg(trend_drawing(_series(n, flagged={0, 2}), "Abuser bond"), "Abuser bond trend")
        assert out.count("<circle") == n
        assert out.startswith("<svg") and " style=" not in out and "<title>Abuser bond trend</title>" in out
        assert out.count("2026-01-01") == 1  # the first date is always labelled


def test_chart_marks_flagged_dates():
    plain = svg(trend_drawing(_series(3), "x"), "x")
    flagged = svg(trend_drawing(_series(3, flagged={1}), "x"), "x")
    # One more triangle (the legend has one of its own in both).
    assert flagged.count("<polygon") == plain.count("<polygon") + 1


def _rescreens(client, clinician, make_screening, values, days_ago, safety=()):
    """Completed screenings of both bonds, all items answered values[i], days_ago[i] days ago."""
    made = []
    for value, ago in zip(values, days_ago):
        s = make_screening(client, clinician, value=value, safety_yes=safety if ago == days_ago[0] else ())
        when = timezone.now() - timezone.timedelta(days=ago)
        Screening.objects.filter(pk=s.pk).update(completed_at=when, started_at=when)
        made.append(s)
    return made


def test_client_history_and_progress_page(logged_in, client_record, clinician, make_screening, instrument):
    _rescreens(client_record, clinician, make_screening, [3, 2, 1], [200, 100, 5], safety=("safety-substance-use",))
    make_screening(client_record, clinician, complete=False)
    page = logged_in.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    page, flag_history = page.split("Safety flag history")
    assert page.count("<tr>") == 1 + 4 and "Draft" in page
    assert flag_history.count("<tr>") == 1 + 1 and "Alcohol or drug use to cope" in flag_history
    assert "100%" in page and "33.3%" in page and "Alcohol or drug use to cope" in page
    assert page.index("33.3%") < page.index("100%")  # newest first

    page = logged_in.get(reverse("reports:client_progress", args=[client_record.id])).content.decode()
    assert "Since intake" in page and "Since the previous screening" in page
    assert "Total lower: 100% → 33.3% of the maximum for answered items (-66.7 percentage points)." in page
    assert "Total lower: 66.7% → 33.3% of the maximum for answered items (-33.4 percentage points)." in page
    assert "is not judged: no reliability estimate has been made yet for this checklist version and bond." in page
    assert "good news" not in page.lower()
    assert page.count('class="trend-chart"') == 2 and page.count("<circle") == 6


def test_progress_pdf_section_by_section(logged_in, client_record, clinician, make_screening):
    _rescreens(client_record, clinician, make_screening, [3, 1], [120, 10], safety=("safety-physical-violence",))
    response = logged_in.get(reverse("reports:progress_pdf", args=[client_record.id]))
    assert response["Content-Type"] == "application/pdf" and "progress-C-0001-" in response["Content-Disposition"]
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))
    flags, abuser = text.index("Safety flags over time"), text.index("Abuser-bond indicators")
    v2v, protective = text.index("Victim-to-victim indicators"), text.index("Protective factors over time")
    assert flags < abuser < v2v < protective
    assert "Act this session: Physical violence" in text[flags:abuser]
    assert "(100%)" in text[abuser:v2v] and "(33.3%)" in text[abuser:v2v] and "-66.7" in text[abuser:v2v]
    assert "(100%)" in text[v2v:protective] and "-66.7" in text[v2v:protective]
    assert "progress report" in text and "not a diagnosis" in text


def test_progress_pdf_date_range(logged_in, client_record, clinician, make_screening):
    _rescreens(client_record, clinician, make_screening, [3, 2, 1], [300, 100, 5])
    start = (timezone.localdate() - timezone.timedelta(days=150)).isoformat()
    response = logged_in.get(reverse("reports:progress_pdf", args=[client_record.id]), {"start": start})
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "2 completed" in text and "(100%)" not in text


def test_progress_pdf_bad_dates_are_a_400(logged_in, client_record):
    url = reverse("reports:progress_pdf", args=[client_record.id])
    assert logged_in.get(url, {"start": "yesterday"}).status_code == 400
    response = logged_in.get(url, {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 400 and b"start date is after the end date" in response.content


# Amendments --------------------------------------------------------------------------------------

def test_amendment_keeps_the_original_and_recomputes(logged_in, client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, value=1)
    screening.refresh_from_db()
    original_scores = screening.scores
    item = instrument.items_for_bond("abuser")[0]
    url = reverse("screening:screening_amend", args=[screening.id])
    assert item.text.split(" ")[3] in logged_in.get(url).content.decode()

    response = logged_in.post(url, {f"abuser-item-{item.key}": "3", "reason": "Misheard the answer."})
    assert response["Location"] == reverse("reports:results", args=[screening.id])
    screening.refresh_from_db()
    amendment = screening.amendments.get()
    assert amendment.reason == "Misheard the answer." and amendment.amended_by == clinician
    assert amendment.changes == [{"section": "abuser", "item_key": item.key, "before": 1, "after": 3}]
    assert amendment.previous_scores == original_scores
    assert {"section": "abuser", "item_key": item.key, "answer": 1} in amendment.previous_answers
    n = len(instrument.items_for_bond("abuser"))
    assert screening.stored_scores().bond("abuser").raw == n + 2 and screening.amended_at
    assert screening.answers.get(section="abuser", item_key=item.key).value == 3
    assert AuditEvent.objects.filter(action="screening.amended", object_id=str(screening.id)).count() == 1

    page = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert "Amended." in page and "Misheard the answer." in page
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        logged_in.get(reverse("reports:intake_pdf", args=[screening.id])).content)).pages)
    assert "Amended" in text and "Misheard the answer." in text


def test_amendment_needs_a_reason_and_a_change(logged_in, client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, value=1)
    item = instrument.items_for_bond("abuser")[0]
    url = reverse("screening:screening_amend", args=[screening.id])
    response = logged_in.post(url, {f"abuser-item-{item.key}": "3", "reason": " "})
    assert response.status_code == 400 and b"This field is required" in response.content
    response = logged_in.post(url, {f"abuser-item-{item.key}": "1", "reason": "No change really"})
    assert response.status_code == 400 and b"nothing to amend" in response.content
    response = logged_in.post(url, {f"abuser-item-{item.key}": "9", "reason": "Bad value"})
    assert response.status_code == 400 and b"is not one of the answers" in response.content
    assert not screening.amendments.exists()


def test_draft_cannot_be_amended(logged_in, client_record, clinician, make_screening):
    draft = make_screening(client_record, clinician, complete=False)
    response = logged_in.post(reverse("screening:screening_amend", args=[draft.id]), {"reason": "x"})
    assert response["Location"] == reverse("screening:screening_step", args=[draft.id, "bonds"])


def test_contact_and_relationship_per_screening(logged_in, client_record, clinician, make_screening):
    first = make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2", value=2)
    Screening.objects.filter(pk=first.pk).update(abuser_contact="regular", completed_at=timezone.now() - timezone.timedelta(days=90))
    second = make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2", value=1)
    Screening.objects.filter(pk=second.pk).update(abuser_contact="none")
    third = make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2", value=1)
    Screening.objects.filter(pk=third.pk).update(abuser_label="new partner")

    results = logged_in.get(reverse("reports:results", args=[second.id])).content.decode()
    assert "contact: No contact" in results and "Re-screen 1" in results
    page = logged_in.get(reverse("reports:client_progress", args=[client_record.id])).content.decode()
    # A new label is a new relationship: its own chart, never joined to the old line.
    assert page.count('class="trend-chart"') == 2
    assert "Abuser bond (ex-partner)" in page and "Abuser bond (new partner)" in page
    assert "Regular contact" in page and "No contact" in page
    assert "different relationship" in page  # since the previous screening: not compared
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        logged_in.get(reverse("reports:progress_pdf", args=[client_record.id])).content)).pages))
    assert "relationship: new partner" in text and "relationship: ex-partner" in text
    assert "Intake" in text and "Re-screen 1" in text and "Casey Clinician" in text


def test_change_box_never_says_none_for_safety_not_assessed(logged_in, client_record, clinician, make_screening,
                                                             current_instrument):
    from clinicians.actors import Actor
    from screening import services
    from tests.conftest import all_answers

    first = make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2")
    Screening.objects.filter(pk=first.pk).update(completed_at=timezone.now() - timezone.timedelta(days=60))
    draft = make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2", complete=False)
    answers = all_answers(current_instrument, ["abuser"])
    answers[("safety", "safety-violence")] = "not_asked"
    services.save_answer_set(draft, answers, Actor(clinician), {("safety", "safety-violence"): "not alone"})
    assert services.complete_screening(draft.id, Screening.objects.all(), Actor(clinician)).completed
    page = logged_in.get(reverse("reports:client_progress", args=[client_record.id])).content.decode()
    assert "Now: none raised; <strong class=\"text-danger\">not assessed: Physical violence or threats</strong>" in page


def test_progress_page_says_where_the_version_changed(logged_in, client_record, clinician, make_screening):
    old = make_screening(client_record, clinician, instrument_key="tbsc-1")
    Screening.objects.filter(pk=old.pk).update(completed_at=timezone.now() - timezone.timedelta(days=120))
    new = make_screening(client_record, clinician, instrument_key="tbsc-2")
    page = logged_in.get(reverse("reports:client_progress", args=[client_record.id])).content.decode()
    assert "Screenings with checklist version tbsc-1 are listed" in page and "never joined" in page
    assert f"The checklist changed to tbsc-2 on {timezone.localtime(new.completed_at):%Y-%m-%d}." in page
    assert "Casey Clinician" in page.split("Trends")[1]  # the clinician per row of the trend's figures
