"""The intake as a clinician does it in the browser, from logging in to the PDF and logging out."""

import re

from playwright.sync_api import expect
from pypdf import PdfReader

from screening.models import Client, Screening
from tests.e2e.browser_config import SCREENSHOTS
from tests.e2e.helpers import (
    answer, assert_in_viewport_without_scrolling, checked_answer, continue_to, log_in_with_form, log_out,
    set_size, snap, wait_until_saved,
)

FLOW = "intake"
CODE = "RC-2041"


def h1(page):
    return page.get_by_role("heading", level=1)


def test_intake_from_login_to_pdf(new_page, clinician, instrument):
    page = new_page("desktop")
    abuser_items = [i.key for i in instrument.items_for_bond("abuser")]
    v2v_items = [i.key for i in instrument.items_for_bond("v2v")]
    safety_items = [i.key for i in instrument.safety_items]
    protective_items = [i.key for i in instrument.protective_items]

    # Log in: an anonymous visitor is sent to the login page.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(h1(page)).to_have_text("Log in")
    snap(page, FLOW, "login")
    log_in_with_form(page, clinician.email)
    expect(h1(page)).to_have_text("Home")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Casey Clinician · Riverside Clinic")
    snap(page, FLOW, "home")

    # Add a client.
    page.get_by_role("main").get_by_role("link", name="Add a client").click()
    expect(h1(page)).to_have_text("Add a client")
    snap(page, FLOW, "add-client")
    page.get_by_label("Client code").fill(CODE)
    page.get_by_role("button", name="Add client").click()
    expect(h1(page)).to_have_text(f"Client {CODE}")
    expect(page.locator(".messages")).to_contain_text(f"Client {CODE} added.")
    snap(page, FLOW, "client-new")

    # Start the intake; both bonds in scope, each with a short label.
    page.get_by_role("button", name="Start the intake screening").click()
    expect(h1(page)).to_have_text("Which bonds does this screening cover?")
    snap(page, FLOW, "bonds-empty")
    for legend, label in (("Abuser bond", "ex-partner"), ("Victim-to-victim bond", "friend from group")):
        group = page.get_by_role("group", name=legend)
        group.get_by_role("checkbox").check()
        group.get_by_label("Short label for this bond (optional, no names)").fill(label)
    wait_until_saved(page)
    snap(page, FLOW, "bonds-chosen")
    continue_to(page, "Abuser bond")
    expect(h1(page)).to_contain_text("(ex-partner)")
    stepper = page.get_by_role("list", name="Steps")
    expect(stepper.get_by_role("listitem")).to_have_text([
        "1. Bonds in scope", "2. Abuser bond", "3. Victim-to-victim bond", "4. Safety",
        "5. Protective factors", "6. Review and complete",
    ])
    snap(page, FLOW, "abuser-empty")

    # Answer part of the abuser bond; each click is saved in the background.
    partial = {key: "Often" for key in abuser_items[:8]}
    partial[abuser_items[8]] = "Declined / not asked"
    for key, option in partial.items():
        answer(page, key, option)
    wait_until_saved(page)
    snap(page, FLOW, "abuser-partial")

    # Reload: nothing is lost.
    page.reload()
    expect(h1(page)).to_contain_text("Abuser bond")
    for key in abuser_items:
        assert checked_answer(page, key) == partial.get(key), key

    # Leave, and resume from the home page: the bonds and answers are still there.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    drafts = page.get_by_role("region", name="Your unfinished screenings")
    expect(drafts).to_contain_text(f"{CODE} · Intake")
    snap(page, FLOW, "home-draft")
    drafts.get_by_role("link", name="Resume").click()
    expect(h1(page)).to_have_text("Which bonds does this screening cover?")
    expect(page.get_by_role("group", name="Abuser bond").get_by_role("checkbox")).to_be_checked()
    expect(page.get_by_role("group", name="Victim-to-victim bond").get_by_label(re.compile("Short label"))).to_have_value("friend from group")
    continue_to(page, "Abuser bond")
    for key in abuser_items:
        assert checked_answer(page, key) == partial.get(key), key

    # Finish the abuser bond ("Often" throughout, one declined), then the victim-to-victim bond.
    for key in abuser_items[9:]:
        answer(page, key, "Often")
    wait_until_saved(page)
    continue_to(page, "Victim-to-victim bond")
    expect(h1(page)).to_contain_text("(friend from group)")
    snap(page, FLOW, "v2v-empty")
    for key in v2v_items:
        answer(page, key, "Sometimes")
    wait_until_saved(page)
    snap(page, FLOW, "v2v-answered")
    continue_to(page, "Safety")

    # Safety: one "Yes".
    for key in safety_items:
        answer(page, key, "Yes" if key == "safety-suicidal-thoughts" else "No")
    wait_until_saved(page)
    snap(page, FLOW, "safety")
    continue_to(page, "Protective factors")
    for key in protective_items:
        answer(page, key, "Yes")
    wait_until_saved(page)
    snap(page, FLOW, "protective")
    continue_to(page, "Review and complete")

    # Review: every step complete, a note, the confirmation, complete and lock.
    for title, total in (("Abuser bond", len(abuser_items)), ("Victim-to-victim bond", len(v2v_items)),
                         ("Safety", len(safety_items)), ("Protective factors", len(protective_items))):
        expect(page.get_by_role("main")).to_contain_text(f"{title}\n{total} of {total} answered ✓")
    expect(page.get_by_text("still need")).to_have_count(0)
    page.get_by_label("Notes").fill("Client engaged well; <b>bold</b> & plain.")
    wait_until_saved(page)
    snap(page, FLOW, "review")
    page.get_by_label("I have checked the answers; lock this screening now.").check()
    page.get_by_role("button", name="Complete and lock").click()

    # Results: the safety flag comes first and is on screen without scrolling, at both sizes.
    expect(h1(page)).to_have_text(f"Intake results · client {CODE}")
    expect(page.locator(".messages")).to_contain_text("Screening completed and locked.")
    flag = page.locator("section.urgent")
    expect(flag).to_contain_text("URGENT: 1 safety flag raised")
    expect(flag).to_contain_text("Suicidal thoughts or self-harm")
    expect(flag).to_contain_text("988")
    expect(flag).to_contain_text("1-800-799-7233")
    for size in ("desktop", "tablet", "zoom200"):
        set_size(page, size)
        assert_in_viewport_without_scrolling(page, flag.get_by_role("heading"), f"the flag heading at {size}")
        if size != "zoom200":  # at 200 % zoom the heading shows; the whole box is taller than a laptop screen
            assert_in_viewport_without_scrolling(page, flag, f"the safety flag box at {size}")
    set_size(page, "desktop")
    expect(page.get_by_role("heading", name="Abuser-bond indicators")).to_be_visible()
    expect(page.get_by_role("heading", name="Victim-to-victim indicators")).to_be_visible()
    n_abuser = len(abuser_items)
    expect(page.get_by_role("region", name="Abuser-bond indicators")).to_contain_text(
        f"Total {2 * (n_abuser - 1)} of {3 * (n_abuser - 1)}")
    expect(page.get_by_role("region", name="Abuser-bond indicators")).to_contain_text("1 declined or not asked")
    expect(page.get_by_label("Intake-note summary text")).to_have_value(re.compile("Client engaged well; <b>bold</b> & plain."))
    snap(page, FLOW, "results")
    page.get_by_role("button", name="Copy summary").click()
    expect(page.locator("[data-copy-status]")).to_have_text(re.compile("Summary copied.|Press Ctrl\\+C"))

    # The PDF: an attachment named with the client code, with both bond sections and the flag.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert re.fullmatch(rf".*{CODE}.*\d{{4}}-\d\d-\d\d\.pdf", download.suggested_filename), download.suggested_filename
    download.save_as(SCREENSHOTS / FLOW / download.suggested_filename)  # beside the screenshots, to look at
    reader = PdfReader(download.path())
    text = "\n".join(p.extract_text() for p in reader.pages)
    for heading in ("URGENT", "Abuser-bond indicators", "Victim-to-victim indicators", "Protective factors"):
        assert heading in text, heading
    assert text.index("URGENT") < text.index("Abuser-bond indicators") < text.index("Victim-to-victim indicators")
    assert "Suicidal thoughts or self-harm" in text and "988" in text
    assert CODE in text and "Client engaged well; <b>bold</b> & plain." in text
    assert f"page 1 of {len(reader.pages)}".lower() in text.lower()

    # The client page now lists the completed intake with its flag.
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name=CODE).click()
    expect(h1(page)).to_have_text(f"Client {CODE}")
    expect(page.get_by_role("table").first).to_contain_text("1 flag")
    snap(page, FLOW, "client-after")

    # Log out: back at the login page, and the records are closed to the browser.
    log_out(page)
    expect(h1(page)).to_have_text("Log in")
    snap(page, FLOW, "logged-out")
    screening = Screening.objects.get(client__code=CODE)
    page.goto(f"/screenings/{screening.id}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))

    client = Client.objects.get(code=CODE)
    assert screening.status == "complete" and client.clinic == clinician.clinic
