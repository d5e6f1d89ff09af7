"""The error paths a clinician meets: a wrong password, bad form input, a missing answer at completion,
and another clinic's record. Each error must be shown, announced to screen readers and focused."""

import re

from playwright.sync_api import expect

from screening.models import Client
from tests.conftest import PASSWORD, all_answers, fill
from tests.e2e.helpers import (
    answer, assert_error_announced_and_focused, assert_on_screen, log_in_with_form, snap, wait_until_saved,
)


def h1(page):
    return page.get_by_role("heading", level=1)


# ---------------------------------------------------------------- logging in

def test_wrong_password_then_right_one(page, clinician):
    log_in_with_form(page, clinician.email, "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(h1(page)).to_have_text("Log in")
    error = page.locator("form .alert-danger")
    expect(error).to_contain_text(re.compile("correct email address and password", re.I))
    expect(page.get_by_label("Email address")).to_have_value(clinician.email)
    expect(page.get_by_label("Password")).to_have_value("")
    snap(page, "errors", "login-wrong-password")

    log_in_with_form(page, clinician.email, PASSWORD)
    expect(h1(page)).to_have_text("Home")


def test_wrong_password_error_is_announced_and_focused(page, clinician):
    log_in_with_form(page, clinician.email, "not-the-password")
    assert_error_announced_and_focused(page, "form .alert-danger", "wrong password")


# ---------------------------------------------------------------- adding a client

def test_client_code_error(clinician_page):
    page = clinician_page
    page.goto("/clients/new/")
    page.get_by_label("Client code").fill("Jane Doe")
    page.get_by_role("button", name="Add client").click()
    expect(h1(page)).to_have_text("Add a client")
    field = page.get_by_label("Client code")
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator(".invalid-feedback")).to_contain_text("Do not use names.")
    snap(page, "errors", "client-code-invalid")
    assert_error_announced_and_focused(page, ".invalid-feedback", "client code")


# ---------------------------------------------------------------- the screening's steps

def test_no_bond_chosen(clinician_page, clinician, client_record, make_screening):
    page = clinician_page
    screening = make_screening(client_record, clinician, bonds=(), complete=False)
    page.goto(f"/screenings/{screening.id}/step/bonds/")
    page.get_by_role("button", name="Save and continue →").click()
    expect(page.get_by_role("alert")).to_have_text("Choose at least one bond to screen.")
    assert_error_announced_and_focused(page, "#bonds-error", "no bond chosen")
    snap(page, "errors", "bonds-none-chosen")


def test_answer_off_the_scale(clinician_page, clinician, client_record, make_screening, instrument):
    """A tampered answer (here changed in the page) is refused with a summary that gets focus."""
    page = clinician_page
    screening = make_screening(client_record, clinician, bonds=("abuser",), complete=False)
    first = instrument.items_for_bond("abuser")[0].key
    page.goto(f"/screenings/{screening.id}/step/abuser/")
    answer(page, first, "Often")
    wait_until_saved(page)
    page.evaluate("(key) => { document.querySelector(`#q-${key} input:checked`).value = '7'; }", first)
    page.e2e.allow_console("status of 400")  # the autosave below may meet the 400 first
    page.get_by_role("button", name="Save draft").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("1 answer could not be saved")
    expect(page.locator(f"#q-{first}")).to_have_attribute("aria-describedby", re.compile("error"))
    snap(page, "errors", "answer-off-scale")
    assert_error_announced_and_focused(page, "#error-summary", "answer off the scale")
    # The summary's link leads to the question.
    summary.get_by_role("link").click()
    expect(page.locator(f"#q-{first} input").first).to_be_focused()


# ---------------------------------------------------------------- completing

def _almost_complete(client_record, clinician, make_screening, instrument):
    """A draft with both bonds and every answer given except one question of the second bond."""
    screening = make_screening(client_record, clinician, complete=False)
    answers = all_answers(instrument, ("abuser", "v2v"), value=1, safety_yes=())
    missing = instrument.items_for_bond("v2v")[3]
    del answers[("v2v", missing.key)]
    fill(screening, answers)
    return screening, missing


def test_missing_answer_at_completion(clinician_page, clinician, client_record, make_screening, instrument):
    page = clinician_page
    screening, missing = _almost_complete(client_record, clinician, make_screening, instrument)
    page.goto(f"/screenings/{screening.id}/step/review/")
    n_v2v = len(instrument.items_for_bond("v2v"))
    expect(page.get_by_role("main")).to_contain_text(f"{n_v2v - 1} of {n_v2v} answered (incomplete)")
    listing = page.locator("#missing")
    expect(listing).to_contain_text("1 question still needs an answer")
    expect(listing.get_by_role("link")).to_have_text(f"Victim-to-victim bond: {missing.text}")
    snap(page, "errors", "review-missing")

    # Completing anyway: refused, with the question listed again.
    page.get_by_label("I have checked the answers; lock this screening now.").check()
    page.e2e.allow_console("status of 400")
    page.get_by_role("button", name="Complete and lock").click()
    expect(page.locator(".messages")).to_contain_text("1 question(s) still need an answer")
    expect(page.locator("#missing").get_by_role("link")).to_have_count(1)
    snap(page, "errors", "complete-refused-missing")

    # The link leads to the question, on screen.
    page.locator("#missing").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/step/v2v/#q-{missing.key}$"))
    assert_on_screen(page, page.locator(f"#q-{missing.key}"), "the missing question")
    answer(page, missing.key, "Declined / not asked")
    wait_until_saved(page)

    # Back to the review: nothing missing; complete.
    page.get_by_role("list", name="Steps").get_by_role("link", name=re.compile("Review and complete")).click()
    expect(page.locator("#missing")).to_have_count(0)
    page.get_by_label("I have checked the answers; lock this screening now.").check()
    page.get_by_role("button", name="Complete and lock").click()
    expect(h1(page)).to_contain_text("results")
    v2v = page.get_by_role("region", name="Victim-to-victim indicators")
    expect(v2v).to_contain_text(f"{n_v2v - 1} of {n_v2v} items answered · 1 without an answer")
    # The question without an answer is named beside the total.
    expect(v2v.locator(".missing-items li")).to_have_count(1)
    expect(v2v.locator(".missing-items li")).to_contain_text(missing.text)


def test_missing_answer_error_is_announced_and_focused(clinician_page, clinician, client_record, make_screening, instrument):
    page = clinician_page
    screening, _missing = _almost_complete(client_record, clinician, make_screening, instrument)
    page.goto(f"/screenings/{screening.id}/step/review/")
    page.get_by_label("I have checked the answers; lock this screening now.").check()
    page.e2e.allow_console("status of 400")
    page.get_by_role("button", name="Complete and lock").click()
    expect(page.locator("#missing")).to_be_visible()
    assert_error_announced_and_focused(page, "#missing", "missing answers at completion")


def test_completion_needs_the_confirmation(clinician_page, clinician, client_record, make_screening, instrument):
    page = clinician_page
    screening = make_screening(client_record, clinician, complete=False)
    fill(screening, all_answers(instrument, ("abuser", "v2v")))
    page.goto(f"/screenings/{screening.id}/step/review/")
    page.e2e.allow_console("status of 400")
    page.get_by_role("button", name="Complete and lock").click()
    box = page.get_by_label("I have checked the answers; lock this screening now.")
    expect(page.locator("#confirm-error")).to_have_text("Tick this box to confirm that the screening should be locked.")
    expect(box).to_have_attribute("aria-describedby", "confirm-error")
    expect(box).to_have_attribute("aria-invalid", "true")
    snap(page, "errors", "complete-unconfirmed")
    screening.refresh_from_db()
    assert screening.is_draft


def test_completion_confirmation_error_is_focused(clinician_page, clinician, client_record, make_screening, instrument):
    page = clinician_page
    screening = make_screening(client_record, clinician, complete=False)
    fill(screening, all_answers(instrument, ("abuser", "v2v")))
    page.goto(f"/screenings/{screening.id}/step/review/")
    page.e2e.allow_console("status of 400")
    page.get_by_role("button", name="Complete and lock").click()
    assert_error_announced_and_focused(page, "#confirm-error", "unticked confirmation")


# ---------------------------------------------------------------- another clinic

def test_other_clinics_clinician_gets_404(new_page, clinician, outsider, client_record, make_screening):
    done = make_screening(client_record, clinician, safety_yes=("safety-suicidal-thoughts",))
    other = Client.objects.create(clinic=client_record.clinic, code="C-0002", created_by=clinician)
    draft = make_screening(other, clinician, complete=False)
    urls = [
        f"/clients/{client_record.id}/",
        f"/clients/{other.id}/",
        f"/screenings/{done.id}/",
        f"/screenings/{done.id}/report.pdf",
        f"/screenings/{draft.id}/step/bonds/",
        f"/screenings/{draft.id}/step/abuser/",
        f"/screenings/{draft.id}/step/review/",
        f"/screenings/{draft.id}/discard/",
    ]
    page = new_page("desktop", user=outsider)
    page.e2e.allow_console("status of 404")
    for i, url in enumerate(urls):
        response = page.goto(url)
        assert response.status == 404, (url, response.status)
        expect(h1(page)).to_have_text("Page not found")
        body = page.locator("body").inner_text()
        assert "C-0001" not in body and "C-0002" not in body and "Riverside" not in body, url
        if i == 0:
            snap(page, "errors", "other-clinic-404")
    # Their own home page shows nothing of the first clinic either.
    page.goto("/")
    expect(page.get_by_role("main")).not_to_contain_text("C-0001")
