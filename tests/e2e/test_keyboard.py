"""The start of an intake with the keyboard alone: no mouse, no clicks."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import checked_answer, focus_is_visible, focused_element, snap, tab_to, wait_until_saved

FLOW = "keyboard"


def h1(page):
    return page.get_by_role("heading", level=1)


def test_intake_with_the_keyboard(new_page, clinician, current_instrument):
    page = new_page("tablet")
    first, second = current_instrument.items_for_bond("abuser")[:2]  # tbsc-2: two yes/no questions at intake
    assert [o.label for o in first.scale] == ["No", "Yes"] and [o.label for o in second.scale] == ["No", "Yes"]
    first, second = first.key, second.key

    # The login page puts the cursor in the email field.
    page.goto("/accounts/login/")
    assert focused_element(page)["id"] == "id_username"
    page.keyboard.type(clinician.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Home")

    # The first Tab reaches the skip link, which is shown when focused and leads to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused_element(page)["id"] == "main"

    tab_to(page, "Add a client")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Add a client")
    assert focused_element(page)["id"] == "id_code"  # the field has the cursor already
    page.keyboard.type("KB-7")
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Client KB-7")

    tab_to(page, "Start the intake screening")
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Which bonds does this screening cover?")

    # Bonds: Space ticks the abuser bond; its label is typed.
    tab_to(page, re.compile("hurt you"))
    page.keyboard.press("Space")
    expect(page.get_by_role("group", name="Abuser bond").get_by_role("checkbox")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("parent")
    tab_to(page, "Save and continue →")
    page.keyboard.press("Enter")

    # Safety comes next (tbsc-2); its "Save and continue →" is reached with Tab past every question.
    expect(h1(page)).to_have_text("Safety")
    tab_to(page, "Save and continue →")
    page.keyboard.press("Enter")
    expect(h1(page)).to_contain_text("Abuser bond")
    expect(h1(page)).to_contain_text("(parent)")

    # A question's answers are one radio group: Tab enters it, the arrow keys choose, Tab leaves.
    tab_to(page, re.compile(r"^No\b"))
    assert focused_element(page)["name"] == f"item-{first}"
    assert focus_is_visible(page)
    page.keyboard.press("ArrowRight")  # Yes
    page.keyboard.press("ArrowRight")  # Client declined
    page.keyboard.press("ArrowLeft")  # back to Yes
    wait_until_saved(page)
    assert checked_answer(page, first) == "Yes"
    page.keyboard.press("Tab")
    assert focused_element(page)["name"] == f"item-{second}"
    page.keyboard.press("Space")  # the first option, "No"
    wait_until_saved(page)
    assert checked_answer(page, second) == "No"
    snap(page, FLOW, "abuser-keyboard", sizes=("tablet",))

    page.reload()
    assert checked_answer(page, first) == "Yes"
    assert checked_answer(page, second) == "No"
