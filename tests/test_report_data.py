"""Reports: what a completed screening's intake report holds, assembled as plain data."""

import re

from django.urls import reverse

from clinicians.actors import Actor
from reports.data import BOND_HEADINGS, DECLINED_LABEL, NO_FLAGS, build_intake_report
from reports.summary import intake_note_summary
from screening import services
from screening.models import Answer, Screening


def test_report_of_one_bond_with_a_flag(client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, bonds=("abuser",), value=2,
                               safety_yes=("safety-physical-violence",), notes="Seen with interpreter.")
    report = build_intake_report(screening)
    assert report.client_code == "C-0001" and report.clinic_name == "Riverside Clinic"
    assert report.clinician == "Casey Clinician" and report.kind == "Intake"
    assert [f.title for f in report.flags] == ["Physical violence"]
    assert "1-800-799-7233" in " ".join(report.crisis_resources)
    assert [(b.heading, b.screened) for b in report.bonds] == [
        (BOND_HEADINGS["abuser"], True), (BOND_HEADINGS["v2v"], False),
    ]
    abuser = report.bonds[0]
    n = len(instrument.items_for_bond("abuser"))
    assert abuser.label == "ex-partner"
    assert (abuser.score.raw, abuser.score.maximum) == (2 * n, 3 * n)
    assert report.bonds[1].score is None
    titles = [section.title for section in report.appendix]
    assert titles == ["Abuser-bond indicators: item answers", "Safety: item answers", "Protective factors: item answers"]
    assert {row.answer for row in report.appendix[0].rows} == {"Often"}
    assert all(row.tags for row in report.appendix[0].rows)


def test_crisis_resources_are_the_clinics_own(client_record, clinician, make_screening):
    clinic = client_record.clinic
    clinic.crisis_resources = "Local crisis line: 555-0100\n\nWalk-in centre, Main St"
    clinic.save()
    report = build_intake_report(make_screening(client_record, clinician, safety_yes=("safety-suicidal-thoughts",)))
    assert report.crisis_resources == ("Local crisis line: 555-0100", "Walk-in centre, Main St")


def test_declined_answers_are_labelled(client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, bonds=("v2v",), complete=False)
    from tests.conftest import all_answers, fill

    answers = all_answers(instrument, ["v2v"], value=0)
    answers[("v2v", instrument.items_for_bond("v2v")[0].key)] = "declined"
    answers[("safety", "safety-substance-use")] = "declined"
    fill(screening, answers)
    outcome = services.complete_screening(screening.id, Screening.objects.all(), Actor(screening.clinician))
    screening, problems = outcome.screening, list(outcome.problems)
    assert problems == []
    report = build_intake_report(screening)
    assert report.appendix[0].rows[0].answer == DECLINED_LABEL
    assert report.safety_declined == (f"Alcohol or drug use to cope: {DECLINED_LABEL}",)
    assert report.bonds[1].score.declined == 1
    # A declined safety question is not "No": the report does not say there are no flags.
    assert not report.all_safety_no and not report.safety_clear
    # Only a question declined: the headline says so, and does not read like a disclosure.
    assert report.safety_headline == "Safety not fully assessed: 1 question without a “Yes” or “No” answer."
    assert report.flags_by_tier == [] and report.not_assessed_flag.tier == "follow_up"


def test_summary_has_a_paragraph_per_bond(client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, value=1, notes="Follow up next week.")
    summary = intake_note_summary(build_intake_report(screening))
    paragraphs = summary.split("\n\n")
    abuser = next(p for p in paragraphs if p.startswith("Abuser bond (ex-partner)"))
    v2v = next(p for p in paragraphs if p.startswith("Victim-to-victim bond (friend from group)"))
    assert "33.3% of the maximum" in abuser and "33.3% of the maximum" in v2v
    assert f"Safety: {NO_FLAGS}" in paragraphs
    assert "Clinician notes: Follow up next week." in paragraphs
    assert paragraphs[-1].endswith("not a diagnosis.")


def test_summary_says_when_a_bond_was_not_screened(client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, bonds=("v2v",), safety_yes=("safety-unsafe-to-leave",))
    summary = intake_note_summary(build_intake_report(screening))
    assert "Abuser bond: not screened in this administration." in summary
    assert "Safety: Safety flags raised in this screening: 1 act this session." in summary
    assert re.search(r"Act this session: Unsafe to leave or reduce contact, open: no follow-up recorded as of "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d\.", summary)
    assert "Crisis resources were shown to the clinician with the results." in summary


def test_results_come_from_the_stored_scores(logged_in, client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, value=1)
    n = len(instrument.items_for_bond("abuser"))
    before = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert f"Total <strong>{n} of {3 * n}</strong>" in before
    Answer.objects.filter(screening=screening, section="abuser").update(value=3)  # behind the app's back
    after = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert f"Total <strong>{n} of {3 * n}</strong>" in after


def test_report_keeps_the_resources_shown_at_completion(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, safety_yes=("safety-suicidal-thoughts",))
    clinic = client_record.clinic
    clinic.crisis_resources = "A new local line: 555-0199"
    clinic.save()
    page = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert "1-800-799-7233" in page and "555-0199" not in page


def test_items_without_an_answer_are_named_in_their_version_s_words(client_record, clinician, make_screening,
                                                                    instrument, current_instrument):
    from screening.scoring import score_bond

    key = instrument.items_for_bond("abuser")[0].key
    old = score_bond(instrument, "abuser", {("abuser", key): "declined"})
    assert old.missing[0].state_label == DECLINED_LABEL  # tbsc-1: "Declined / not asked"
    key = current_instrument.items_for_bond("abuser")[0].key
    new = score_bond(current_instrument, "abuser", {("abuser", key): "not_applicable"})
    assert new.missing[0].state_label == "Does not apply"
