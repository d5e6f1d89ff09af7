"""Safety in checklist version 2 (issue 11), walked in the browser: a flag carried over to a later
screening, safety not fully assessed, and a flag raised before the screening is completed.

Each journey answers the safety step in the browser; the bond and protective answers, which these
journeys are not about, are stored with the ORM as autosave would store them.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from screening.models import SafetyFlag, Screening
from tests.conftest import fill
from tests.e2e.helpers import (
    answer, answers_at, assert_error_announced_and_focused, checked_answer, continue_to, question,
    reason_field, snap, wait_until_saved,
)

FLOW = "safety"
SAFETY_OPTIONS = ["No", "Yes", "Client declined", "Not asked"]
ENTERED_IN_ERROR = "Entered in error: the answer was changed before the screening was completed."


def h1(page):
    return page.get_by_role("heading", level=1)


def main(page):
    return page.get_by_role("main")


def start_in_browser(page, client, bonds=(("Abuser bond", "ex-partner"),), expect_kind="intake"):
    """From the client page: start the screening, choose the bonds with their labels, go on to Safety."""
    page.goto(f"/clients/{client.id}/")
    name = "Start a re-screen" if expect_kind == "re-screen" else "Start the intake screening"
    page.get_by_role("button", name=name).click()
    expect(h1(page)).to_have_text("Which bonds does this screening cover?")
    for legend, label in bonds:
        group = page.get_by_role("group", name=legend)
        group.get_by_role("checkbox").check()
        group.get_by_label("Short label for this bond (optional, no names)").fill(label)
    wait_until_saved(page)
    continue_to(page, "Safety")
    draft = client.screenings.drafts().get()
    assert draft.instrument_key == "tbsc-2"
    return draft


def store_the_rest(draft, instrument, bonds):
    """The bond items and protective factors, as autosave would store them (safety is left alone)."""
    answers = answers_at(instrument, bonds, 1, intake=draft.is_intake)
    fill(draft, {k: v for k, v in answers.items() if k[0] != "safety"})


def complete_from_review(page, draft):
    page.goto(f"/screenings/{draft.id}/step/review/")
    expect(page.locator("#missing")).to_have_count(0)
    page.get_by_label("I have checked the answers; lock this screening now.").check()
    page.get_by_role("button", name="Complete and lock").click()
    expect(page.locator(".messages")).to_contain_text("Screening completed and locked.")


def pdf_text(page):
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Current view (made now from today's data and layout)").click()
    reader = PdfReader(download_info.value.path())
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def assert_never_reassures(page):
    """Neither the green "No safety flags" line nor its words, on the page or in the summary."""
    expect(page.locator("#safety-headline")).to_have_count(0)
    expect(page.locator(".alert-success", has_text="No safety flags")).to_have_count(0)
    expect(main(page)).not_to_contain_text("No safety flags")
    expect(page.get_by_label("Intake-note summary text")).not_to_have_value(re.compile("No safety flags"))
    # The safety section comes first: nothing but the navigation bar (and the "completed" message) above it.
    first = page.evaluate(
        "() => [...document.querySelector('main').children].find(el => !el.matches('.messages')).className")
    assert "urgent" in first, first


# ---------------------------------------------------------------- (a) a flag carried over

def test_open_flag_from_intake_is_carried_over_to_an_all_no_rescreen(
        new_page, clinician, client_record, make_screening, current_instrument):
    intake = make_screening(client_record, clinician, instrument_key="tbsc-2", safety_yes=("safety-suicidal-thoughts",))
    earlier = timezone.now() - timedelta(days=60)
    Screening.objects.filter(pk=intake.pk).update(started_at=earlier, completed_at=earlier)
    SafetyFlag.objects.filter(screening=intake).update(raised_at=earlier)
    assert SafetyFlag.objects.open().get().title == "Suicidal thoughts"
    page = new_page("desktop", user=clinician)

    # The re-screen, in the browser: the violence question asks about the time since the last
    # screening, and every safety question is answered "No".
    both = (("Abuser bond", "ex-partner"), ("Victim-to-victim bond", "friend from group"))
    draft = start_in_browser(page, client_record, bonds=both, expect_kind="re-screen")
    expect(question(page, "safety-violence").locator("legend")).to_contain_text(
        "Since we last met, has anyone hit, kicked, pushed, choked or strangled you")
    for item in current_instrument.safety_items:
        expect(question(page, item.key).locator("label.btn")).to_have_text(SAFETY_OPTIONS)
        if not item.ask_if_any:  # "Are you having these thoughts now?" is asked only after a "Yes"
            answer(page, item.key, "No")
    wait_until_saved(page)
    snap(page, FLOW, "carried-rescreen-safety-all-no")
    page.reload()
    expect(page.locator(".disclosed:visible")).to_have_count(0)  # no "flag raised" alert under any question
    store_the_rest(draft, current_instrument, ("abuser", "v2v"))
    page.goto(f"/screenings/{draft.id}/step/review/")
    asked = len([i for i in current_instrument.safety_items if not i.ask_if_any])
    expect(main(page)).to_contain_text(f"Safety\n{asked} of {asked} answered ✓")
    complete_from_review(page, draft)

    # The results page: the intake's open flag, under its own heading, first; never "No safety flags".
    expect(h1(page)).to_have_text(f"Re-screen results · client {client_record.code}")
    box = page.locator("section.urgent")
    expect(box.get_by_role("heading", level=2)).to_have_text("⚠ Safety: Still open from earlier: 1 flag.")
    expect(box.get_by_role("heading", level=3)).to_have_text([re.compile(r"^Still open from earlier \(as of .+\)$")])
    carried = box.get_by_role("listitem")
    expect(carried).to_have_count(1)
    expect(carried).to_contain_text("Act this session")
    expect(carried).to_contain_text("Suicidal thoughts")
    expect(carried).to_contain_text(re.compile(
        rf"raised {timezone.localtime(earlier):%Y-%m-%d} at the intake screening of {timezone.localtime(earlier):%Y-%m-%d}, "
        r"(59|60) days ago · no follow-up recorded"))
    expect(box).to_contain_text("988")
    assert_never_reassures(page)
    expect(page.get_by_label("Intake-note summary text")).to_have_value(re.compile("Still open from earlier"))
    snap(page, FLOW, "carried-results")

    # The PDF says the same, before the bond sections.
    text = pdf_text(page)
    assert "Still open from earlier" in text and "Suicidal thoughts" in text, text[:1500]
    assert "No safety flags" not in text
    assert text.index("Still open from earlier") < text.index("Abuser-bond indicators")

    # Its follow-up link leads to the intake's flag, still open.
    box.get_by_role("link", name="Record follow-up").click()
    expect(h1(page)).to_have_text("⚠ Open: Suicidal thoughts")
    expect(main(page)).to_contain_text("at the intake screening")
    snap(page, FLOW, "carried-flag")


# ---------------------------------------------------------------- (b) safety not fully assessed

def test_declined_safety_question_needs_a_reason_and_is_reported_not_assessed(
        new_page, clinician, client_record, current_instrument):
    page = new_page("desktop", user=clinician)
    # Choosing "Client declined" saves nothing until a reason is typed: the autosave of the click
    # alone is refused (400), as it should be.
    page.e2e.allow_request("400 POST")
    page.e2e.allow_console("status of 400")
    draft = start_in_browser(page, client_record)
    reason = "Client not alone: partner in the waiting room"
    for item in current_instrument.safety_items:
        if not item.ask_if_any:
            answer(page, item.key, "Client declined" if item.key == "safety-violence" else "No")
    expect(page.locator("[data-save-status]")).to_have_text(re.compile("not saved"))

    # Saving the step without the reason: the answer is refused with the question marked.
    page.get_by_role("button", name="Save draft").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("1 answer could not be saved")
    expect(summary.get_by_role("link")).to_contain_text("a reason is needed")
    field = reason_field(page, "safety-violence")
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(question(page, "safety-violence")).to_contain_text("Say briefly why this safety question was not answered.")
    assert_error_announced_and_focused(page, "#error-summary", "a declined safety question without a reason")
    snap(page, FLOW, "not-assessed-reason-missing")
    assert not draft.answers.filter(section="safety", item_key="safety-violence").exists()

    # The refused answer is still chosen on the page; with the reason typed it is saved (autosave),
    # and kept over a reload.
    assert checked_answer(page, "safety-violence") == "Client declined"
    field.fill(reason)
    wait_until_saved(page)
    page.goto(f"/screenings/{draft.id}/step/safety/")  # not reload(): that would post the refused form again
    assert checked_answer(page, "safety-violence") == "Client declined"
    expect(reason_field(page, "safety-violence")).to_have_value(reason)
    snap(page, FLOW, "not-assessed-safety")

    store_the_rest(draft, current_instrument, ("abuser",))
    complete_from_review(page, draft)

    # The results page: "Safety not fully assessed", the question and the reason; never "No safety flags".
    box = page.locator("section.urgent")
    expect(box.get_by_role("heading", level=2)).to_contain_text(
        "Safety not fully assessed: 1 question without a “Yes” or “No” answer.")
    expect(box.get_by_role("heading", name="Safety not fully assessed", exact=True)).to_be_visible()
    expect(box).to_contain_text(f"Physical violence or threats: Client declined: {reason}")
    expect(box).to_contain_text("Unanswered is not “No”")
    assert_never_reassures(page)
    expect(page.get_by_label("Intake-note summary text")).to_have_value(re.compile("Safety not fully assessed"))
    snap(page, FLOW, "not-assessed-results")

    # The home page lists the open "Safety not fully assessed" flag, naming the question and why.
    page.goto("/")
    flags = page.locator("section.urgent")
    expect(flags.get_by_role("heading", level=2)).to_have_text("⚠ 1 open safety flag: follow-up needed")
    expect(flags).to_contain_text("Safety not fully assessed")
    expect(flags).to_contain_text(re.compile(r"Physical violence or threats \(client declined: " + re.escape(reason)))
    expect(flags.get_by_role("link", name=f"Record follow-up: Safety not fully assessed, client {client_record.code}")).to_be_visible()
    snap(page, FLOW, "not-assessed-home")


# ---------------------------------------------------------------- (c) a flag raised before completion

def test_yes_raises_the_flag_before_completion_and_no_withdraws_it(new_page, clinician, client_record):
    page = new_page("desktop", user=clinician)
    draft = start_in_browser(page, client_record)
    code = client_record.code

    # At intake the violence question asks about the past year, with the prompt for the clinician.
    violence = question(page, "safety-violence")
    expect(violence.locator("legend")).to_contain_text("In the past year, has anyone hit")
    expect(violence).to_contain_text("Ask this only when the client is alone.")
    alert = violence.locator(".disclosed")
    expect(alert).to_be_hidden()
    answer(page, "safety-violence", "Yes")
    # At once, under the question, announced: flag raised, what to do, the crisis resources.
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    wait_until_saved(page)

    # After a reload the question still carries it (shown by the server now).
    page.reload()
    assert checked_answer(page, "safety-violence") == "Yes"
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Physical violence or threats: flag raised.")
    expect(alert).to_contain_text("Make a safety plan with the client this session")
    expect(alert).to_contain_text("1-800-799-7233")
    expect(page.locator(".disclosed:visible")).to_have_count(1)
    snap(page, FLOW, "raised-safety-step")

    # Without completing: the home page lists the flag, "Act this session", screening not yet completed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    flags = page.locator("section.urgent")
    expect(flags.get_by_role("heading", level=2)).to_have_text("⚠ 1 open safety flag: follow-up needed")
    expect(flags.get_by_role("heading", level=3)).to_have_text(["Act this session"])
    row = flags.get_by_role("listitem").filter(has_text="Physical violence or threats")
    expect(row).to_contain_text(f"client {code}")
    expect(row).to_contain_text("screening not yet completed")
    expect(row.get_by_role("link", name=f"Record follow-up: Physical violence or threats, client {code}")).to_be_visible()
    snap(page, FLOW, "raised-home")

    # The client page shows it too, open, from the unfinished intake.
    page.goto(f"/clients/{client_record.id}/")
    expect(page.locator("section.urgent")).to_contain_text("screening not yet completed")
    history = page.get_by_role("table").last
    expect(history.get_by_role("row").filter(has_text="Physical violence or threats")).to_contain_text("Open")
    expect(history).to_contain_text("in an unfinished intake screening")
    snap(page, FLOW, "raised-client")

    # The answer changes to "No" before completion: the flag is withdrawn as entered in error.
    page.goto(f"/screenings/{draft.id}/step/safety/")
    answer(page, "safety-violence", "No")
    expect(violence.locator(".disclosed")).to_be_hidden()
    wait_until_saved(page)
    page.reload()
    assert checked_answer(page, "safety-violence") == "No"
    expect(page.locator(".disclosed:visible")).to_have_count(0)

    page.goto("/")
    expect(page.locator("section.urgent")).to_have_count(0)
    expect(main(page)).not_to_contain_text("Physical violence or threats")
    snap(page, FLOW, "withdrawn-home")

    page.goto(f"/clients/{client_record.id}/")
    expect(page.locator("section.urgent")).to_have_count(0)
    row = page.get_by_role("table").last.get_by_role("row").filter(has_text="Physical violence or threats")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Withdrawn")
    expect(row).to_contain_text(f"by Casey Clinician: {ENTERED_IN_ERROR}")
    snap(page, FLOW, "withdrawn-client")
    flag = SafetyFlag.objects.get(client=client_record)
    assert flag.is_withdrawn and flag.withdrawn_by == clinician
