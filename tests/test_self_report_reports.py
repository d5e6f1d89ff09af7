"""Self-report in the reports (issue point 6): the results page, the intake PDF and the summary say how
the screening was given, and an answer the clinician changed shows the client's original beside it."""

import io
import re

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinicians.actors import Actor
from reports.data import build_intake_report
from reports.summary import intake_note_summary
from screening import selfreport, services
from screening.instrument import SAFETY
from screening.models import Answer, Screening
from screening.scoring import DECLINED
from tests.conftest import all_answers, fill

pytestmark = pytest.mark.django_db

CHANGED_ITEM = "put-you-down"  # "How often has this person put you down?"
KEPT_ITEM = "attention-hard-to-resist"


@pytest.fixture
def sr_draft(client_record, clinician, make_screening):
    """A tbsc-2 intake draft of the abuser bond, nothing answered yet."""
    return make_screening(client_record, clinician, bonds=("abuser",), complete=False, instrument_key="tbsc-2")


def _client(clinic):
    return Actor(for_clinic_id=clinic.id, email="client (self-report)")


def _client_answers(draft, clinic, channel, link=None):
    """The client's part: safety (one question declined) and two of the bond's questions."""
    actor = _client(clinic)
    safety = {item.key: 0 for item in draft.instrument.safety_items if item.key != "safety-thoughts-now"}
    safety["safety-substance-use"] = DECLINED
    selfreport.save_client_answers(draft, SAFETY, safety, channel, actor, link=link)
    selfreport.save_client_answers(draft, "abuser", {CHANGED_ITEM: 2, KEPT_ITEM: 1}, channel, actor, link=link)
    assert selfreport.finish(draft, channel, actor, link=link)


def _review_and_complete(draft, clinician):
    """The clinician changes two of the client's answers, answers the rest and completes."""
    me = Actor(clinician)
    services.save_answers(draft, "abuser", {CHANGED_ITEM: 0}, actor=me)
    services.save_answers(draft, SAFETY, {"safety-substance-use": 0}, actor=me)
    given = draft.answer_map()
    fill(draft, {key: value for key, value in all_answers(draft.instrument, ("abuser",)).items() if key not in given}, me)
    outcome = services.complete_screening(draft.id, Screening.objects.all(), me)
    assert outcome.completed and outcome.problems == ()
    return Screening.objects.select_related("clinician", "completed_by", "client__clinic").get(pk=draft.pk)


@pytest.fixture
def by_link(sr_draft, clinic, clinician):
    link, _token = selfreport.create_link(sr_draft, Actor(clinician))
    _client_answers(sr_draft, clinic, selfreport.LINK, link=link)
    return _review_and_complete(sr_draft, clinician)


@pytest.fixture
def by_tablet(sr_draft, clinic, clinician):
    _client_answers(sr_draft, clinic, selfreport.TABLET)
    return _review_and_complete(sr_draft, clinician)


def _link_line(screening):
    submitted = timezone.localtime(screening.client_finished_at).strftime("%Y-%m-%d %H:%M")
    return f"Self-report by link, submitted {submitted}, reviewed and completed by Casey Clinician"


def _pdf_text(logged_in, screening):
    response = logged_in.get(reverse("reports:intake_pdf", args=[screening.id]))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages))


def _results_html(logged_in, screening):
    response = logged_in.get(reverse("reports:results", args=[screening.id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_answers_keep_the_clients_original(by_link):
    changed = by_link.answers.get(section="abuser", item_key=CHANGED_ITEM)
    assert changed.given_by == Answer.GivenBy.CLINICIAN and changed.plain == 0 and changed.client_plain == 2
    assert changed.changed_from_client
    kept = by_link.answers.get(section="abuser", item_key=KEPT_ITEM)
    assert kept.given_by == Answer.GivenBy.CLIENT and not kept.changed_from_client


def test_report_data_marks_the_clients_answers(by_link):
    report = build_intake_report(by_link)
    assert report.administration == _link_line(by_link)
    rows = {row.text: row for section in report.appendix for row in section.rows}
    changed = rows["How often has this person put you down?"]
    assert (changed.answer, changed.client_answer, changed.by_client) == ("Never", "Often", False)
    declined = rows["In the past month, have you used alcohol or drugs to help you cope?"]
    assert (declined.answer, declined.client_answer) == ("No", "Client declined")
    kept = next(row for row in rows.values() if row.text.startswith("How often has this person showered you"))
    assert kept.by_client and kept.answer == "Sometimes" and kept.client_answer == ""
    assert [row.client_answer for row in report.changed_from_client] == ["Client declined", "Often"]
    # six safety questions (the follow-up one not asked) and two bond questions, two of them changed
    assert report.client_answer_count == 6
    assert report.self_report_line == ("The client answered 8 questions; the clinician changed 2 answers afterwards "
                                       "(the client's answer is shown beside it).")
    answered_by_clinician = [row for section in report.appendix for row in section.rows
                             if not row.by_client and not row.client_answer]
    assert answered_by_clinician and all(row.answer for row in answered_by_clinician)


def test_results_page_says_how_it_was_given(logged_in, by_link):
    html = _results_html(logged_in, by_link)
    assert _link_line(by_link) in html
    assert "Answers changed after the client" in html
    assert "How often has this person put you down? — <strong>Never</strong>" in html
    assert "(client answered: Often)" in html and "(client answered: Client declined)" in html
    # the summary to copy, in its box on the page
    assert f"instrument tbsc-2. {_link_line(by_link)}." in html


def test_pdf_says_how_it_was_given(logged_in, by_link):
    text = _pdf_text(logged_in, by_link)
    assert f"How given {_link_line(by_link)}" in text
    assert "Clinician Casey Clinician" in text
    appendix = text[text.index("Appendix: item-level answers"):]
    assert "Answers marked “client” are the client's own" in appendix
    assert "Never (client answered: Often)" in appendix
    assert "No (client answered: Client declined)" in appendix
    assert "Sometimes (client)" in appendix


def test_summary_says_how_it_was_given(by_link):
    summary = intake_note_summary(build_intake_report(by_link))
    first = summary.split("\n\n")[0]
    assert first.endswith(f"; instrument tbsc-2. {_link_line(by_link)}.")
    assert "by Casey Clinician;" not in first
    assert ("“How often has this person put you down?”: Never (client answered: Often)") in summary
    assert "Self-report: The client answered 8 questions; the clinician changed 2 answers" in summary


def test_tablet_self_report(logged_in, by_tablet):
    line = "Self-report on clinic tablet, reviewed and completed by Casey Clinician"
    assert by_tablet.administration == line
    assert line in _results_html(logged_in, by_tablet)
    assert f"How given {line}" in _pdf_text(logged_in, by_tablet)
    summary = intake_note_summary(build_intake_report(by_tablet))
    assert f"{line}." in summary and "(client answered: Often)" in summary


def test_clinician_only_screening_does_not_mention_self_report(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2")
    report = build_intake_report(screening)
    assert report.administration == "" and report.changed_from_client == () and report.client_answer_count == 0
    html = _results_html(logged_in, screening)
    assert "by Casey Clinician" in html
    for text in ("Self-report", "self-report", "client answered", "Answers changed after the client"):
        assert text not in html
    pdf = _pdf_text(logged_in, screening)
    assert "Clinician Casey Clinician" in pdf
    assert "How given" not in pdf and "Self-report" not in pdf and "(client" not in pdf
    summary = intake_note_summary(report)
    assert ", by Casey Clinician; instrument tbsc-2." in summary.split("\n\n")[0]
    assert "Self-report" not in summary


def test_exports_say_how_each_screening_was_given(client, clinic_admin, logged_in, by_link, client_record, clinician,
                                                  make_screening):
    make_screening(client_record, clinician, bonds=("abuser",))
    history = pd.read_csv(io.BytesIO(b"".join(
        logged_in.get(reverse("reports:client_history_csv", args=[client_record.id])).streaming_content)))
    assert sorted(history["administration"]) == ["clinician", "link"]
    client.force_login(clinic_admin)
    clinic = pd.read_csv(io.BytesIO(b"".join(client.get(reverse("reports:clinic_export_screenings")).streaming_content)))
    assert sorted(clinic["administration"]) == ["clinician", "link"]
