"""A re-screen of a client with an intake, the progress page with its charts, and a safety flag
followed up to its resolution, as a clinician does them in the browser (checklist version 2)."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from screening.models import SafetyFlag, Screening
from tests.conftest import fill
from tests.e2e.helpers import NO_FLAGS_LINE, answers_at, complete_with, snap, wait_until_saved

FLOW = "progress"
BONDS = ("abuser", "v2v")


def test_rescreen_progress_chart_and_flag_follow_up(new_page, clinician, client_record, make_screening,
                                                    current_instrument):
    # A tbsc-2 intake 95 days ago, every bond item at the top of its scale, violence disclosed.
    intake = make_screening(client_record, clinician, complete=False, instrument_key="tbsc-2")
    intake = complete_with(intake, answers_at(current_instrument, BONDS, 3, safety_yes=("safety-violence",)), clinician)
    earlier = timezone.now() - timedelta(days=95)
    Screening.objects.filter(pk=intake.pk).update(completed_at=earlier, started_at=earlier)
    SafetyFlag.objects.filter(screening=intake).update(raised_at=earlier)
    page = new_page("desktop", user=clinician)

    # Home: the client is overdue and the open flag is listed with its age and tier.
    page.goto("/")
    flags = page.locator("section.urgent")
    expect(page.get_by_role("heading", name="1 open safety flag: follow-up needed")).to_be_visible()
    expect(flags.get_by_role("heading", level=3)).to_have_text(["Act this session"])
    expect(flags).to_contain_text(re.compile(r"raised \d{4}-\d\d-\d\d \d\d:\d\d \(3\smonths"))  # timesince puts a no-break space
    expect(page.locator("body")).to_contain_text("Overdue")
    snap(page, FLOW, "home-overdue-and-flag")

    # Follow the flag up, from the home page, to its resolution (a safety plan may resolve an
    # "act this session" flag).
    page.get_by_role("link", name="Record follow-up: Physical violence or threats, client C-0001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open: Physical violence or threats")
    snap(page, FLOW, "flag-open")
    page.get_by_label("Safety plan made or updated").check()
    page.get_by_label("Note").fill("Safety plan made with the client; reviewed the hotline number.")
    page.get_by_label("This resolves the flag").check()
    page.get_by_role("button", name="Record follow-up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resolved: Physical violence or threats")
    expect(page.locator(".messages")).to_contain_text("Follow-up recorded. The flag is resolved.")
    snap(page, FLOW, "flag-resolved")

    # Re-screen: start from the client page, the same two relationships (same labels), answer
    # everything lower, every safety question "No", complete.
    page.goto(f"/clients/{client_record.id}/")
    page.get_by_role("button", name="Start a re-screen").click()
    for legend, label in (("Abuser bond", "ex-partner"), ("Victim-to-victim bond", "friend from group")):
        group = page.get_by_role("group", name=legend)
        group.get_by_role("checkbox").check()
        group.get_by_label("Short label for this bond (optional, no names)").fill(label)
    wait_until_saved(page)
    draft = client_record.screenings.drafts().get()
    assert draft.instrument_key == "tbsc-2"
    fill(draft, answers_at(current_instrument, BONDS, 1, intake=False))  # as autosave would store them
    page.goto(f"/screenings/{draft.id}/step/review/")
    expect(page.locator("body")).not_to_contain_text("still need")
    page.get_by_label("I have checked the answers; lock this screening now.").check()
    page.get_by_role("button", name="Complete and lock").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Re-screen results")
    # The flag from intake is resolved, so nothing is open: the one reassuring line is shown.
    expect(page.locator("#safety-headline.alert-success")).to_have_text(NO_FLAGS_LINE)
    expect(page.locator("section.urgent")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("Re-screen 1")

    # The progress page: change since intake in neutral words with the figures and the note on
    # measurement error, and one chart per bond with a point per screening (no "stages" line).
    page.goto(f"/clients/{client_record.id}/progress/")
    expect(page.get_by_role("heading", name="Since intake")).to_be_visible()
    body = page.locator("body")
    expect(body).to_contain_text(
        "Total lower: 100% → 33.3% of the maximum for answered items (-66.7 percentage points).")
    expect(body).to_contain_text("is not judged: no reliability estimate has been made yet for this checklist")
    expect(body).not_to_contain_text(re.compile(r"good news|improved|worse", re.I))
    charts = page.locator("svg.trend-chart")
    expect(charts).to_have_count(2)
    for i in range(2):
        expect(charts.nth(i).locator("circle")).to_have_count(2)
        expect(charts.nth(i)).to_contain_text("warning signs endorsed")
        expect(charts.nth(i)).not_to_contain_text("stages")
    snap(page, FLOW, "progress-page")
