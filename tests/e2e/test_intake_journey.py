"""The intake as a clinician does it in the browser, from logging in to the PDF and logging out
(checklist version 2: safety right after the bond choice)."""

import re

from playwright.sync_api import expect
from pypdf import PdfReader

from screening.models import Client, Screening
from tests.e2e.browser_config import SCREENSHOTS
from tests.e2e.helpers import (
    answer, assert_in_viewport_without_scrolling, checked_answer, continue_to, item_scale, log_in_with_form,
    log_out, question, scale_label, set_size, snap, wait_until_saved,
)

FLOW = "intake"
CODE = "RC-2041"


def h1(page):
    return page.get_by_role("heading", level=1)


def high_answer(instrument, bond, item):
    """(label, value) of a high answer on the item's own scale: "Often", "2–3 times", or "Yes" on a yes/no item."""
    value = min(2, max(o.value for o in item_scale(instrument, bond, item)))
    return scale_label(instrument, bond, item, value), value


def test_intake_from_login_to_pdf(new_page, clinician, current_instrument):
    """A tbsc-2 intake: bonds, then safety, then each bond, protective factors, review, results, PDF."""
    instrument = current_instrument
    page = new_page("desktop")
    abuser = instrument.items_for_bond("abuser")
    abuser_items = [i.key for i in abuser]
    v2v = instrument.items_for_bond("v2v")
    v2v_items = [i.key for i in v2v]
    safety_items = [i.key for i in instrument.safety_items]
    protective_items = [i.key for i in instrument.protective_items]
    # The abuser bond is answered high on each item's own scale, except one question the client
    # declines and one that does not apply.
    high = {i.key: high_answer(instrument, "abuser", i) for i in abuser}
    declined, not_applicable = abuser[8], abuser[2]
    answered = [i for i in abuser if i not in (declined, not_applicable)]
    abuser_raw = sum(high[i.key][1] for i in answered)
    abuser_max = sum(max(o.value for o in item_scale(instrument, "abuser", i)) for i in answered)

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

    # Safety comes right after the bond choice (tbsc-2), before any bond item.
    continue_to(page, "Safety")
    stepper = page.get_by_role("list", name="Steps")
    expect(stepper.get_by_role("listitem")).to_have_text([
        "1. Bonds in scope", "2. Safety", "3. Abuser bond", "4. Victim-to-victim bond",
        "5. Protective factors", "6. Review and complete",
    ])
    # Each safety question offers "No", "Yes", "Client declined" and "Not asked".
    for key in safety_items:
        expect(question(page, key).locator("label.btn")).to_have_text(["No", "Yes", "Client declined", "Not asked"])
    snap(page, FLOW, "safety-empty")

    # Safety: one "Yes" (suicidal thoughts), so the conditional "now" question is asked too ("No").
    for key in safety_items:
        answer(page, key, "Yes" if key == "safety-suicidal-thoughts" else "No")
    wait_until_saved(page)
    snap(page, FLOW, "safety")
    continue_to(page, "Abuser bond")
    expect(h1(page)).to_contain_text("(ex-partner)")
    # A bond item offers its scale, then "Client declined", "Not asked" and "Does not apply".
    expect(question(page, abuser_items[2]).locator("label.btn")).to_have_text(
        ["Never", "Sometimes", "Often", "Almost always", "Client declined", "Not asked", "Does not apply"])
    snap(page, FLOW, "abuser-empty")

    # Answer part of the abuser bond; each click is saved in the background.
    partial = {key: high[key][0] for key in abuser_items[:8]}
    partial[not_applicable.key] = "Does not apply"
    partial[declined.key] = "Client declined"
    for key, option in partial.items():
        answer(page, key, option)
    wait_until_saved(page)
    snap(page, FLOW, "abuser-partial")

    # Reload: nothing is lost.
    page.reload()
    expect(h1(page)).to_contain_text("Abuser bond")
    for key in abuser_items:
        assert checked_answer(page, key) == partial.get(key), key

    # Leave, and resume from the home page: the bonds and answers are still there. The "Yes" to
    # suicidal thoughts has raised its flag already, before completion.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    drafts = page.get_by_role("region", name="Your unfinished screenings")
    expect(drafts).to_contain_text(f"{CODE} · Intake")
    open_flags = page.locator("section.urgent")
    expect(open_flags.get_by_role("heading", level=2)).to_have_text("⚠ 1 open safety flag: follow-up needed")
    expect(open_flags).to_contain_text("Suicidal thoughts")
    expect(open_flags).to_contain_text("screening not yet completed")
    snap(page, FLOW, "home-draft")
    drafts.get_by_role("link", name="Resume").click()
    expect(h1(page)).to_have_text("Which bonds does this screening cover?")
    expect(page.get_by_role("group", name="Abuser bond").get_by_role("checkbox")).to_be_checked()
    expect(page.get_by_role("group", name="Victim-to-victim bond").get_by_label(re.compile("Short label"))).to_have_value("friend from group")
    continue_to(page, "Safety")
    for key in safety_items:
        assert checked_answer(page, key) == ("Yes" if key == "safety-suicidal-thoughts" else "No"), key
    continue_to(page, "Abuser bond")
    for key in abuser_items:
        assert checked_answer(page, key) == partial.get(key), key

    # Finish the abuser bond (high throughout), then the victim-to-victim bond (1 on every scale).
    for key in abuser_items[9:]:
        answer(page, key, high[key][0])
    wait_until_saved(page)
    continue_to(page, "Victim-to-victim bond")
    expect(h1(page)).to_contain_text("(friend from group)")
    snap(page, FLOW, "v2v-empty")
    for item in v2v:
        answer(page, item.key, scale_label(instrument, "v2v", item, 1))
    wait_until_saved(page)
    snap(page, FLOW, "v2v-answered")
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
    expect(flag.get_by_role("heading", level=2)).to_have_text(
        "⚠ Safety: Safety flags raised in this screening: 1 act this session.")
    expect(flag.get_by_role("heading", level=3)).to_have_text(["Act this session"])
    expect(flag).to_contain_text("Suicidal thoughts")
    expect(flag).to_contain_text("Complete a suicide risk assessment this session")
    expect(flag).to_contain_text("988")
    expect(flag).to_contain_text("1-800-799-7233")
    expect(page.locator(".alert-success", has_text="No safety flags")).to_have_count(0)
    for size in ("desktop", "tablet", "zoom200"):
        set_size(page, size)
        assert_in_viewport_without_scrolling(page, flag.get_by_role("heading", level=2), f"the flag heading at {size}")
        if size != "zoom200":  # at 200 % zoom the heading shows; the whole box is taller than a laptop screen
            assert_in_viewport_without_scrolling(page, flag, f"the safety flag box at {size}")
    set_size(page, "desktop")
    expect(page.get_by_role("heading", name="Abuser-bond indicators")).to_be_visible()
    expect(page.get_by_role("heading", name="Victim-to-victim indicators")).to_be_visible()
    n_abuser = len(abuser_items)
    abuser_region = page.get_by_role("region", name="Abuser-bond indicators")
    expect(abuser_region).to_contain_text(f"Total {abuser_raw} of {abuser_max}")
    expect(abuser_region).to_contain_text(
        f"{n_abuser - 2} of {n_abuser} items answered · 2 without an answer (declined, not asked or does not apply)")
    expect(abuser_region.locator(".missing-items li")).to_have_text(
        [f"Does not apply: {not_applicable.text}", f"Client declined: {declined.text}"])
    expect(abuser_region.get_by_role("table")).to_contain_text("Endorsed")
    expect(page.get_by_label("Intake-note summary text")).to_have_value(re.compile("Client engaged well; <b>bold</b> & plain."))
    snap(page, FLOW, "results")
    page.get_by_role("button", name="Copy summary").click()
    expect(page.locator("[data-copy-status]")).to_have_text(re.compile("Summary copied.|Press Ctrl\\+C"))

    # The PDF: an attachment named with the client code, with both bond sections and the flag.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Current view (made now from today's data and layout)").click()
    download = download_info.value
    assert re.fullmatch(rf".*{CODE}.*\d{{4}}-\d\d-\d\d\.pdf", download.suggested_filename), download.suggested_filename
    download.save_as(SCREENSHOTS / FLOW / download.suggested_filename)  # beside the screenshots, to look at
    reader = PdfReader(download.path())
    text = "\n".join(p.extract_text() for p in reader.pages)
    safety = "Safety: Safety flags raised in this screening: 1 act this session."
    for heading in (safety, "Abuser-bond indicators", "Victim-to-victim indicators", "Protective factors"):
        assert heading in text, heading
    assert text.index(safety) < text.index("Abuser-bond indicators") < text.index("Victim-to-victim indicators")
    assert "Suicidal thoughts" in text and "988" in text and "No safety flags" not in text
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
