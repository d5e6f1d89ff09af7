"""Pages seen with demo-like data (made with the ORM), checked in the browser: axe-core, labels,
sideways scrolling at tablet width and 200 % zoom, flags on screen, and words beside every colour.

Also a test for each accessibility problem this suite once found in the app (contrast of links in
the safety boxes and alerts, the navbar at tablet width, the clinic admin's navbar on a 1366 px laptop), so a fix cannot quietly come undone.
"""

import pytest
from playwright.sync_api import expect

from screening.models import Client
from tests.conftest import all_answers, fill
from tests.e2e.helpers import (
    KNOWN_AXE_VIOLATIONS, NO_FLAGS_LINE, answer, assert_in_viewport_without_scrolling, format_violations, run_axe,
    set_size, snap, wait_until_saved, wrapped_buttons,
)

FLOW = "pages"
ALL_FLAGS = (
    "safety-suicidal-thoughts", "safety-physical-violence", "safety-substance-use", "safety-severe-symptoms",
    "safety-unsafe-to-leave",
)


def h1(page):
    return page.get_by_role("heading", level=1)


@pytest.fixture
def caseload(clinic, clinician, client_record, make_screening):
    """C-0001 with a flagged intake, C-0002 with a flag-free intake, C-0003 with a draft, C-0004 new."""
    clients = {"flagged": client_record}
    for key, code in (("calm", "C-0002"), ("draft", "C-0003"), ("new", "C-0004")):
        clients[key] = Client.objects.create(clinic=clinic, code=code, created_by=clinician)
        clients[key].assigned.add(clinician)
    screenings = {
        "flagged": make_screening(client_record, clinician, safety_yes=ALL_FLAGS, value=2,
                                  notes="Engaged; wants to talk about the group.\nNext session in two weeks."),
        "calm": make_screening(clients["calm"], clinician, bonds=("v2v",), value=0),
        "draft": make_screening(clients["draft"], clinician, bonds=("abuser",), complete=False),
    }
    return clients, screenings


def test_pages_of_a_caseload(clinician_page, caseload):
    page = clinician_page
    clients, screenings = caseload

    page.goto("/")
    expect(page.get_by_role("region", name="Your unfinished screenings")).to_contain_text("C-0003")
    snap(page, FLOW, "home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    expect(h1(page)).to_have_text("Clients")
    expect(page.get_by_role("table")).to_contain_text("C-0004")
    snap(page, FLOW, "clients")
    page.get_by_role("searchbox", name="Find by client code").fill("0002")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)  # the header and C-0002

    page.goto(f"/clients/{clients['flagged'].id}/")
    expect(h1(page)).to_have_text("Client C-0001")
    # A flag in the history says so in words, not only in red.
    expect(page.get_by_role("table").first).to_contain_text("5 flags")
    snap(page, FLOW, "client-flagged")

    page.goto(f"/clients/{clients['new'].id}/")
    expect(page.get_by_role("main")).to_contain_text("No screenings yet.")
    snap(page, FLOW, "client-new")

    page.goto(f"/screenings/{screenings['calm'].id}/")
    # Every safety question "No" and nothing open from before: the one green line, and no urgent box.
    expect(page.locator("#safety-headline.alert-success")).to_have_text(NO_FLAGS_LINE)
    expect(page.locator("section.urgent")).to_have_count(0)
    expect(page.get_by_role("region", name="Abuser-bond indicators")).to_contain_text("This bond was not screened")
    snap(page, FLOW, "results-no-flags")

    page.goto("/accounts/password/")
    expect(h1(page)).to_be_visible()
    snap(page, FLOW, "password-change")


def test_five_flags_stay_on_top(clinician_page, caseload):
    """All five safety flags: the box comes first, says what is raised in words, by tier ("Act this
    session" before "Follow up"), and is on screen unscrolled."""
    page = clinician_page
    _clients, screenings = caseload
    page.goto(f"/screenings/{screenings['flagged'].id}/")
    flag = page.locator("section.urgent")
    expect(flag.get_by_role("heading", level=2)).to_have_text(
        "⚠ Safety: Safety flags raised in this screening: 3 act this session, 2 follow up.")
    expect(flag.get_by_role("heading", level=3)).to_have_text(["Act this session", "Follow up"])
    expect(flag.get_by_role("listitem")).to_have_count(5)
    expect(flag.locator("ul").nth(0).get_by_role("listitem")).to_have_count(3)
    expect(flag.locator("ul").nth(1).get_by_role("listitem")).to_have_count(2)
    for size in ("desktop", "tablet"):
        set_size(page, size)
        assert_in_viewport_without_scrolling(page, flag.get_by_role("heading", level=2), f"the flag heading at {size}")
        assert_in_viewport_without_scrolling(page, flag.get_by_role("listitem").first, f"the first flag at {size}")
    set_size(page, "tablet")
    assert_in_viewport_without_scrolling(page, flag, "the whole safety box at tablet size")
    set_size(page, "desktop")
    # Nothing but the navigation bar stands above it.
    first_in_main = page.evaluate("() => document.querySelector('main').firstElementChild.className")
    assert "urgent" in first_in_main
    snap(page, FLOW, "results-five-flags")


def test_draft_step_pages(clinician_page, clinician, caseload, instrument):
    page = clinician_page
    _clients, screenings = caseload
    draft = screenings["draft"]
    fill(draft, {k: v for k, v in all_answers(instrument, ("abuser",)).items() if k[0] == "abuser"})
    page.goto(f"/screenings/{draft.id}/step/safety/")
    expect(h1(page)).to_have_text("Safety")
    for item in instrument.safety_items:
        # Each question is a group named by its legend, with its answers as radios.
        group = page.get_by_role("group", name=item.text)
        expect(group.get_by_role("radio")).to_have_count(3)
    answer(page, instrument.safety_items[0].key, "Declined / not asked")
    wait_until_saved(page)
    snap(page, FLOW, "safety-declined")
    page.goto(f"/screenings/{draft.id}/step/review/")
    # Incomplete steps say so in words beside the red.
    expect(page.get_by_role("main")).to_contain_text("(incomplete)")
    snap(page, FLOW, "review-incomplete")
    page.goto(f"/screenings/{draft.id}/discard/")
    snap(page, FLOW, "discard-confirm")


# ---------------------------------------------------------------- fixed app problems (regression tests)

def _violations_for(page, rule, selector):
    known = {k: v for k, v in KNOWN_AXE_VIOLATIONS.items() if k != (rule, selector)}
    found = [v for v in run_axe(page, known=known) if v["id"] == rule]
    return [v for v in found if page.locator(selector).count()
            and any(page.evaluate("([t, s]) => { const e = document.querySelector(t); return !!e && e.matches(s); }",
                                  [n["target"], selector]) for n in v["nodes"])]


def test_safety_box_link_contrast(clinician_page, caseload):
    page = clinician_page
    bad = []
    for url in (f"/screenings/{caseload[1]['flagged'].id}/", "/"):
        page.goto(url)
        expect(page.locator("section.urgent a:not(.btn)").first).to_be_visible()
        bad += _violations_for(page, "color-contrast", "section.urgent a:not(.btn)")
    assert not bad, format_violations(bad)


def test_error_summary_link_contrast(clinician_page, caseload, instrument):
    page = clinician_page
    draft = caseload[1]["draft"]
    first = instrument.items_for_bond("abuser")[0].key
    page.goto(f"/screenings/{draft.id}/step/abuser/")
    answer(page, first, "Often")
    wait_until_saved(page)
    page.evaluate("(key) => { document.querySelector(`#q-${key} input:checked`).value = '7'; }", first)
    page.e2e.allow_console("status of 400")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#error-summary")).to_be_visible()
    bad = _violations_for(page, "color-contrast", "#error-summary a")
    assert not bad, format_violations(bad)


def test_missing_questions_link_contrast(clinician_page, caseload):
    page = clinician_page
    page.goto(f"/screenings/{caseload[1]['draft'].id}/step/review/")
    expect(page.locator("#missing")).to_be_visible()
    bad = _violations_for(page, "color-contrast", "#missing a")
    assert not bad, format_violations(bad)


def test_navbar_fits_a_tablet(new_page, clinician):
    page = new_page("tablet", user=clinician)
    page.goto("/")
    # Below 992 px the menu folds behind its toggle button; opened, nothing in it may wrap.
    page.get_by_role("button", name="Show menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    wrapped = wrapped_buttons(page, known={})
    assert not wrapped, f"at 820 px these break onto two lines: {wrapped}"


def test_admins_navbar_fits_a_laptop(new_page, clinic_admin):
    """A clinic admin's menu (Clinicians, Exports, Audit trail, Clinic settings as well) broke its links
    and buttons onto two lines at 1366 px: it now folds behind its toggle below 1400 px."""
    page = new_page("desktop", user=clinic_admin)
    page.goto("/")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    page.get_by_role("button", name="Show menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    wrapped = wrapped_buttons(page, known={})
    assert not wrapped, f"at 1366 px, menu open, these break onto two lines: {wrapped}"
    # From 1400 px it is one row, nothing wrapped.
    page.set_viewport_size({"width": 1400, "height": 768})
    expect(page.get_by_role("button", name="Show menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Clinic settings")).to_be_visible()
    wrapped = wrapped_buttons(page, known={})
    assert not wrapped, f"at 1400 px these break onto two lines: {wrapped}"
    boxes = [page.get_by_role(role, name=name).bounding_box()
             for role, name in (("link", "Home"), ("link", "Clinic settings"), ("button", "Log out"))]
    assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < 12, f"the menu is not one row: {boxes}"
