"""A re-screen of a client with an intake, the progress page with its charts, and a safety flag
followed up to its resolution, as a clinician does them in the browser."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from screening.models import SafetyFlag, Screening
from tests.conftest import all_answers, fill
from tests.e2e.helpers import snap, wait_until_saved

FLOW = "progress"


def test_rescreen_progress_chart_and_flag_follow_up(new_page, clinician, client_record, make_screening, instrument):
    intake = make_screening(client_record, clinician, value=3, safety_yes=("safety-physical-violence",))
    earlier = timezone.now() - timedelta(days=95)
    Screening.objects.filter(pk=intake.pk).update(completed_at=earlier, started_at=earlier)
    SafetyFlag.objects.filter(screening=intake).update(raised_at=earlier)
    page = new_page("desktop", user=clinician)

    # Home: the client is overdue and the open flag is listed with its age.
    page.goto("/")
    expect(page.get_by_role("heading", name="1 open safety flag: follow-up needed")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Overdue")
    snap(page, FLOW, "home-overdue-and-flag")

    # Follow the flag up, from the home page, to its resolution.
    page.get_by_role("link", name="Record follow-up: Physical violence, client C-0001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open: Physical violence")
    snap(page, FLOW, "flag-open")
    page.get_by_label("Safety plan made or updated").check()
    page.get_by_label("Note").fill("Safety plan made with the client; reviewed the hotline number.")
    page.get_by_label("This resolves the flag").check()
    page.get_by_role("button", name="Record follow-up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resolved: Physical violence")
    expect(page.locator(".messages")).to_contain_text("Follow-up recorded. The flag is resolved.")
    snap(page, FLOW, "flag-resolved")

    # Re-screen: start from the client page, answer everything lower, complete.
    page.goto(f"/clients/{client_record.id}/")
    page.get_by_role("button", name="Start a re-screen").click()
    for legend in ("Abuser bond", "Victim-to-victim bond"):
        page.get_by_role("group", name=legend).get_by_role("checkbox").check()
    wait_until_saved(page)
    draft = client_record.screenings.drafts().get()
    fill(draft, all_answers(instrument, ["abuser", "v2v"], value=1))  # the answers, as autosave would store them
    page.goto(f"/screenings/{draft.id}/step/review/")
    expect(page.locator("body")).not_to_contain_text("still need")
    page.get_by_label("I have checked the answers; lock this screening now.").check()
    page.get_by_role("button", name="Complete and lock").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Re-screen results")
    expect(page.locator("body")).to_contain_text("No safety flags were raised.")

    # The progress page: change since intake in words, and one chart per bond with a point per screening.
    page.goto(f"/clients/{client_record.id}/progress/")
    expect(page.get_by_role("heading", name="Since intake")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Total 66.7 points lower: 100% → 33.3%")
    charts = page.locator("svg.trend-chart")
    expect(charts).to_have_count(2)
    for i in range(2):
        expect(charts.nth(i).locator("circle")).to_have_count(2)
    snap(page, FLOW, "progress-page")
