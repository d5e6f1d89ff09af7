"""A report never reassures by omission, and safety follows the client: checked on the results
page, in the PDF's text and in the plain-text summary alike."""

import io
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinicians.actors import Actor
from reports.data import NO_FLAGS
from screening import flags, services
from screening.models import SafetyFlag, Screening
from tests.conftest import all_answers

V2 = "tbsc-2"


def _three(logged_in, screening):
    """The results page, the PDF's text and the summary, each as plain text."""
    page = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    summary = re.search(r'id="summary-text"[^>]*>(.*?)</', page, re.S).group(1)
    pdf = logged_in.get(reverse("reports:intake_pdf", args=[screening.id])).content
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    return {"page": page, "pdf": text, "summary": summary}


def _complete(screening, answers, reasons, actor):
    services.save_answer_set(screening, answers, actor, reasons)
    outcome = services.complete_screening(screening.id, Screening.objects.all(), actor)
    assert outcome.completed, outcome.problems
    return outcome.screening


@pytest.fixture
def v2_intake(client_record, clinician, make_screening):
    return make_screening(client_record, clinician, bonds=("abuser",), complete=False, instrument_key=V2)


def test_every_safety_answer_no_is_the_only_reassurance(logged_in, clinician, v2_intake, current_instrument):
    done = _complete(v2_intake, all_answers(current_instrument, ["abuser"], value=1), {}, Actor(clinician))
    for name, text in _three(logged_in, done).items():
        assert NO_FLAGS.replace("“", "").replace("”", "") in text.replace("“", "").replace("”", "").replace("&ldquo;", "").replace("&rdquo;", ""), name
    assert "alert-success" in _three(logged_in, done)["page"]


def test_all_safety_questions_declined_never_says_no_flags(logged_in, clinician, v2_intake, current_instrument):
    answers = all_answers(current_instrument, ["abuser"], value=1)
    reasons = {}
    for item in current_instrument.safety_items:
        if item.ask_if_any:
            del answers[("safety", item.key)]  # not asked: its conditions were not answered "Yes"
            continue
        answers[("safety", item.key)] = "declined"
        reasons[("safety", item.key)] = "client not ready to talk about it"
    done = _complete(v2_intake, answers, reasons, Actor(clinician))
    for name, text in _three(logged_in, done).items():
        assert "No safety flags" not in text, name
        assert "Safety not fully assessed" in text, name
        assert "client not ready to talk about it" in text, name
    page = _three(logged_in, done)["page"]
    assert "alert-success" not in page
    flag = SafetyFlag.objects.get(screening=done)
    assert flag.kind == "not_assessed" and flag.is_open and flag.tier == "act_now"


def test_an_unanswered_question_is_not_no(client_record, clinician, current_instrument):
    from reports.data import all_safety_no

    answers = {("safety", i.key): 0 for i in current_instrument.safety_items if not i.ask_if_any}
    assert all_safety_no(current_instrument, answers)
    del answers[("safety", "safety-violence")]
    assert not all_safety_no(current_instrument, answers)
    answers[("safety", "safety-violence")] = "not_asked"
    assert not all_safety_no(current_instrument, answers)


def test_an_open_flag_from_intake_is_carried_to_every_later_report(logged_in, client_record, clinician, make_screening):
    intake = make_screening(client_record, clinician, instrument_key=V2, safety_yes=("safety-suicidal-thoughts",))
    Screening.objects.filter(pk=intake.pk).update(completed_at=timezone.now() - timezone.timedelta(days=92))
    SafetyFlag.objects.filter(screening=intake).update(raised_at=timezone.now() - timezone.timedelta(days=92))
    rescreen = make_screening(client_record, clinician, instrument_key=V2)  # every safety answer "No"
    assert not rescreen.safety_flags.exists()
    for name, text in _three(logged_in, rescreen).items():
        assert "No safety flags" not in text, name
        assert "Still open from earlier" in text, name
        assert "Suicidal thoughts" in text, name
        assert "92 days ago" in text, name
        assert "no follow-up recorded" in text, name
    pdf = _three(logged_in, rescreen)["pdf"]
    assert pdf.index("Still open from earlier") < pdf.index("Abuser-bond indicators")

    # Followed up (the attempt), still open: the last follow-up shows. Resolved: no longer carried.
    flag = SafetyFlag.objects.get(screening=intake)
    flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="declined",
                           note="Client declined to talk about it today.", submission=uuid.uuid4())
    assert "Client declined" in _three(logged_in, rescreen)["summary"]
    flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="risk_assessment",
                           note="Assessed: no current intent; safety plan reviewed.", resolves=True, submission=uuid.uuid4())
    for name, text in _three(logged_in, rescreen).items():
        assert NO_FLAGS.split(":")[0] in text, name
        assert "Still open from earlier" not in text, name


def test_a_flag_from_a_discarded_draft_is_carried_too(logged_in, client_record, clinician, make_screening):
    draft = make_screening(client_record, clinician, instrument_key=V2, complete=False)
    services.save_answers(draft, "safety", {"safety-unsafe-to-leave": 1}, actor=Actor(clinician))
    services.discard_draft(draft, Actor(clinician))
    later = make_screening(client_record, clinician, instrument_key=V2)
    texts = _three(logged_in, later)
    assert "a draft that was discarded" in texts["summary"] and "Unsafe to leave" in texts["pdf"]


def test_a_later_flag_is_not_carried_back_to_an_earlier_report(logged_in, client_record, clinician, make_screening):
    first = make_screening(client_record, clinician, instrument_key=V2)
    make_screening(client_record, clinician, instrument_key=V2, safety_yes=("safety-violence",))
    assert "Still open from earlier" not in _three(logged_in, first)["summary"]


def test_resources_shown_or_given(logged_in, client_record, clinician, make_screening):
    shown = make_screening(client_record, clinician, instrument_key=V2, safety_yes=("safety-violence",))
    assert "Crisis resources were shown to the clinician with the results." in _three(logged_in, shown)["summary"]
    draft = make_screening(client_record, clinician, instrument_key=V2, complete=False, safety_yes=("safety-violence",))
    fill_all = all_answers(draft.instrument, ["abuser", "v2v"], safety_yes=("safety-violence",))
    services.save_answer_set(draft, fill_all, Actor(clinician))
    response = logged_in.post(reverse("screening:screening_complete", args=[draft.id]),
                              {"notes": "", "resources_given": "on", "confirm": "1"})
    assert response.status_code == 302
    texts = _three(logged_in, draft)
    assert "Crisis resources were given to the client." in texts["summary"]
    assert "given to the client" in texts["pdf"] and "given to the client" in texts["page"]


def test_a_flag_raised_later_by_amending_an_earlier_screening_is_carried(logged_in, client_record, clinician,
                                                                          make_screening):
    intake = make_screening(client_record, clinician, instrument_key=V2)
    rescreen = make_screening(client_record, clinician, instrument_key=V2)
    services.amend_screening(intake.id, Screening.objects.all(), Actor(clinician), "Disclosed afterwards.",
                             {"safety": {"safety-violence": 1}})
    for name, text in _three(logged_in, rescreen).items():
        assert "No safety flags" not in text, name
        assert "Still open from earlier" in text, name


def test_history_and_progress_never_say_none_for_safety_not_assessed(logged_in, client_record, clinician,
                                                                      make_screening, current_instrument):
    answers = all_answers(current_instrument, ["abuser", "v2v"])
    answers[("safety", "safety-violence")] = "not_asked"
    draft = make_screening(client_record, clinician, instrument_key=V2, complete=False)
    done = _complete(draft, answers, {("safety", "safety-violence"): "not alone"}, Actor(clinician))
    client_page = logged_in.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    assert "Not assessed</span> <span class=\"small\">Physical violence or threats" in client_page
    progress = logged_in.get(reverse("reports:client_progress", args=[client_record.id])).content.decode()
    assert "<td>Not assessed</td>" in progress
    assert done.safety_flags.open().get().kind == "not_assessed"


def test_progress_report_lists_flags_from_discarded_drafts(logged_in, client_record, clinician, make_screening):
    make_screening(client_record, clinician, instrument_key=V2)
    draft = make_screening(client_record, clinician, instrument_key=V2, complete=False)
    services.save_answers(draft, "safety", {"safety-violence": 1}, actor=Actor(clinician))
    services.discard_draft(draft, Actor(clinician))
    pdf = logged_in.get(reverse("reports:progress_pdf", args=[client_record.id])).content
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    history = text[text.index("Safety flags over time"):]
    assert "Discarded draft" in history and "Physical violence or threats: Open" in history
