"""Self-report (issue 13), walked in the browser: the client answers on the clinic's tablet (820×1180)
or on their own phone by a one-time link (390×844). Every page the client sees is checked by
``snap`` (axe-core, labels, no sideways scrolling, no console error) at the size they see it.

The clinician's side is checked where it meets the client's: the hand-over, the link page with its
QR code, and the draft and home page showing the client's flag before anyone completes anything.
"""

import re

from playwright.sync_api import expect

from screening.models import Answer, SafetyFlag, SelfReportLink
from tests.conftest import PASSWORD
from tests.e2e.browser_config import SCREENSHOTS
from tests.e2e.helpers import answer, checked_answer, question, snap

TABLET_FLOW = "selfreport-tablet"
LINK_FLOW = "selfreport-link"
SAVED = "Your answers are saved."


def h1(page):
    return page.get_by_role("heading", level=1)


def client_snap(page, flow, step, size):
    """The checks of every page, at the size the client sees it; the client's pages load no Bootstrap script."""
    snap(page, flow, step, sizes=(size,), bootstrap_js=False)


def band_shot(page, flow, name, locator):
    """The band of the page, full width, that holds `locator` (a question with its help, say): for the
    README's pictures (copied into docs/), where a whole phone page would be too long to read."""
    box = page.evaluate(
        "(el) => { const r = el.getBoundingClientRect(); return {y: r.top + window.scrollY, height: r.height}; }",
        locator.element_handle())
    folder = SCREENSHOTS / flow
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"band-{name}.png"), full_page=True, animations="disabled", caret="initial",
                    clip={"x": 0, "y": max(0, box["y"] - 12), "width": page.viewport_size["width"], "height": box["height"] + 24})


def wait_client_saved(page):
    expect(page.locator("[data-save-status]")).to_have_text(SAVED)


def help_box(page, item_key):
    return question(page, item_key).locator(".disclosed")


def progress(page, position, total):
    expect(page.locator("label[for=progress]")).to_have_text(f"Part {position} of {total}")
    expect(page.locator("progress#progress")).to_have_attribute("value", str(position))


def tbsc2_draft(make_screening, client_record, clinician):
    draft = make_screening(client_record, clinician, bonds=("abuser",), complete=False, instrument_key="tbsc-2")
    assert draft.instrument_key == "tbsc-2" and draft.is_draft
    return draft


# ---------------------------------------------------------------- (a) the clinic's tablet

def test_tablet_journey_stopped_before_the_safety_questions_were_done(
        new_page, clinician, client_record, make_screening):
    draft = tbsc2_draft(make_screening, client_record, clinician)
    page = new_page("tablet", user=clinician)

    # The clinician opens self-report from the draft and hands the tablet over.
    page.goto(f"/screenings/{draft.id}/self-report/")
    expect(h1(page)).to_have_text("Let the client answer on their own")
    snap(page, TABLET_FLOW, "clinician-self-report", sizes=("tablet",))
    page.get_by_role("button", name="Hand the tablet to the client").click()

    # The client's start page: no client code, no clinician's navigation.
    expect(page).to_have_url(re.compile(r"/tablet/$"))
    expect(h1(page)).to_have_text("Some questions for you")
    expect(page.locator("body")).not_to_contain_text(client_record.code)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    client_snap(page, TABLET_FLOW, "start", "tablet")
    page.get_by_role("link", name="Start").click()

    # Safety first. "Am I having these thoughts now?" is asked only after a "Yes" above it.
    expect(h1(page)).to_have_text("Your safety")
    progress(page, 1, 3)
    now = question(page, "safety-thoughts-now")
    expect(now).to_be_hidden()
    answer(page, "safety-suicidal-thoughts", "No")
    answer(page, "safety-self-harm", "No")
    expect(now).to_be_hidden()
    box = help_box(page, "safety-violence")
    expect(box).to_be_hidden()
    answer(page, "safety-violence", "Yes")
    # At once: thanks, what happens next, the crisis resources, announced.
    expect(box).to_be_visible()
    expect(box).to_have_attribute("role", "alert")
    expect(box).to_contain_text("Thank you for telling us")
    expect(box).to_contain_text("Your clinician will see this answer and talk with you about it today.")
    expect(box).to_contain_text("988")
    expect(page.locator(".disclosed:visible")).to_have_count(1)
    wait_client_saved(page)
    # Saved as it was clicked: the flag is raised, the answer is the client's, nothing completed.
    flag = SafetyFlag.objects.get(screening=draft, item_key="safety-violence")
    assert flag.is_open and flag.tier == "act_now" and flag.raised_by is None
    assert draft.answers.get(item_key="safety-violence").given_by == Answer.GivenBy.CLIENT
    draft.refresh_from_db()
    assert draft.is_draft and draft.client_finished_at is None
    # The last three safety questions stay unanswered: the client moves on.
    client_snap(page, TABLET_FLOW, "safety-yes", "tablet")
    page.get_by_role("button", name="Next").click()

    # The bond, in the client's words, then what helps.
    expect(h1(page)).to_have_text("A person who has hurt me")
    progress(page, 2, 3)
    expect(page.get_by_role("main")).to_contain_text("Your clinician noted this person as: ex-partner.")
    expect(page.get_by_role("main")).not_to_contain_text(re.compile("score", re.I))
    answer(page, "put-you-down", "Sometimes")
    answer(page, "afraid-of-them", "I’d rather not answer")
    wait_client_saved(page)
    client_snap(page, TABLET_FLOW, "bond", "tablet")
    page.get_by_role("button", name="Next").click()
    expect(h1(page)).to_have_text("What helps me")
    progress(page, 3, 3)
    answer(page, "protective-own-support", "Yes")
    wait_client_saved(page)
    client_snap(page, TABLET_FLOW, "protective", "tablet")

    # "I'd like to stop": the finish page says what is left, safety included.
    page.get_by_role("button", name="I’d like to stop").click()
    expect(page).to_have_url(re.compile(r"/tablet/finish/$"))
    expect(h1(page)).to_have_text("Stop here?")
    expect(page.get_by_role("main")).to_contain_text("Some questions about your safety are not answered.")
    client_snap(page, TABLET_FLOW, "finish", "tablet")
    page.get_by_role("button", name="I have finished").click()

    # The closing page: give the tablet back; the crisis resources, whatever was answered.
    expect(page).to_have_url(re.compile(r"/tablet/done/$"))
    expect(h1(page)).to_have_text("Thank you")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Please give the tablet back to your clinician now.")
    for resource in ("911", "988", "1-800-799-7233"):
        expect(main.locator(".client-help")).to_contain_text(resource)
    client_snap(page, TABLET_FLOW, "done", "tablet")
    draft.refresh_from_db()
    assert draft.self_report == "tablet" and draft.client_finished_at is not None
    assert SafetyFlag.objects.open().filter(screening=draft, kind="not_assessed").exists()

    # The clinician's pages stay shut: any of them sends the tablet back to the client's pages.
    for path in ("/", f"/clients/{client_record.id}/", f"/screenings/{draft.id}/step/review/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/tablet/(done/)?$"))
        expect(h1(page)).to_have_text("Thank you")

    # Taking it back needs the clinician's password: a wrong one is refused, said and focused.
    page.get_by_role("main").get_by_role("link", name="Clinician: take the tablet back").click()
    expect(h1(page)).to_have_text("Clinician: take the tablet back")
    client_snap(page, TABLET_FLOW, "return", "tablet")
    page.e2e.allow_console("status of 400")  # the refused password answers 400, on purpose
    password = page.get_by_label("Clinician: your password")
    password.fill("not-the-password")
    page.get_by_role("button", name="Back to my view").click()
    expect(page.locator("#password-error")).to_contain_text("4 tries left")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    client_snap(page, TABLET_FLOW, "return-wrong-password", "tablet")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Back to my view").click()

    # The draft's review page: the client's "Yes" is an open flag, and safety is not fully assessed.
    expect(page).to_have_url(re.compile(rf"/screenings/{draft.id}/step/review/$"))
    expect(h1(page)).to_have_text("Review and complete")
    flags = page.locator("section.urgent")
    expect(flags.locator(".tier-heading").first).to_have_text("Act this session")
    expect(flags).to_contain_text("Physical violence or threats")
    expect(flags).to_contain_text("Safety not fully assessed")
    expect(page.locator("#missing")).to_contain_text("The client left")
    expect(page.locator("#missing")).to_contain_text("Safety")
    snap(page, TABLET_FLOW, "clinician-review", sizes=("tablet",))
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Thank you")  # the session is the clinician's again


# ---------------------------------------------------------------- (b) a one-time link on the client's phone

def test_link_journey_on_a_phone(new_page, clinician, client_record, make_screening):
    draft = tbsc2_draft(make_screening, client_record, clinician)
    desk = new_page("desktop", user=clinician)

    # The clinician makes the link: shown once, with its QR code drawn on the server.
    desk.goto(f"/screenings/{draft.id}/self-report/")
    desk.get_by_role("button", name="Make a link").click()
    url = desk.locator("#link-url").input_value()
    assert re.fullmatch(r"http://[^/]+/r/[A-Za-z0-9_-]{40,}/", url), url
    assert client_record.code not in url and str(draft.id) not in url
    expect(desk.locator(".qr svg")).to_be_visible()
    expect(desk.get_by_role("img", name="QR code of the link")).to_be_visible()
    snap(desk, LINK_FLOW, "clinician-link-page", sizes=("desktop",))

    # The client's phone: no login, nothing of the clinic's pages.
    phone = new_page("phone")
    phone.goto(url)
    expect(h1(phone)).to_have_text("Some questions for you")
    expect(phone.get_by_role("main")).to_contain_text("If you close it, open the same link again to carry on.")
    expect(phone.locator("body")).not_to_contain_text(client_record.code)
    client_snap(phone, LINK_FLOW, "start", "phone")
    phone.get_by_role("link", name="Start").click()

    expect(h1(phone)).to_have_text("Your safety")
    progress(phone, 1, 3)
    answer(phone, "safety-suicidal-thoughts", "No")
    now = question(phone, "safety-thoughts-now")
    expect(now).to_be_hidden()
    answer(phone, "safety-self-harm", "Yes")
    # A "Yes": the help at once, and the question that follows it.
    box = help_box(phone, "safety-self-harm")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Your clinician will see this answer. They may not see it straight away.")
    expect(box).to_contain_text("988")
    expect(now).to_be_visible()
    wait_client_saved(phone)
    flag = SafetyFlag.objects.get(screening=draft, item_key="safety-self-harm")
    assert flag.is_open and flag.tier == "act_now"

    # The clinician sees it now, before the client has sent anything: home page and the draft.
    desk.goto("/")
    home_flags = desk.locator("section.urgent")
    expect(home_flags.get_by_role("heading", level=3).first).to_have_text("Act this session")
    row = home_flags.get_by_role("listitem").filter(has_text=flag.title)
    expect(row).to_contain_text(f"client {client_record.code}")
    expect(row).to_contain_text("screening not yet completed")
    desk.goto(f"/screenings/{draft.id}/step/review/")
    expect(desk.locator("section.urgent")).to_contain_text(flag.title)
    expect(desk.get_by_role("main")).to_contain_text("the client is answering")
    expect(desk.get_by_role("main")).to_contain_text("A link is waiting for the client")

    # A reload (or the link opened again) keeps every answer: each was saved as it was clicked.
    phone.reload()
    assert checked_answer(phone, "safety-suicidal-thoughts") == "No"
    assert checked_answer(phone, "safety-self-harm") == "Yes"
    expect(box).to_be_visible()
    expect(now).to_be_visible()
    for key in ("safety-thoughts-now", "safety-violence", "safety-unsafe-to-leave", "safety-substance-use",
                "safety-daily-life"):
        answer(phone, key, "No")
    wait_client_saved(phone)
    client_snap(phone, LINK_FLOW, "safety-yes", "phone")
    band_shot(phone, LINK_FLOW, "safety-yes", question(phone, "safety-self-harm"))
    phone.get_by_role("button", name="Next").click()

    expect(h1(phone)).to_have_text("A person who has hurt me")
    progress(phone, 2, 3)
    answer(phone, "put-you-down", "Often")
    answer(phone, "afraid-of-them", "Sometimes")
    answer(phone, "fast-intense-start", "This does not apply to me")
    wait_client_saved(phone)
    client_snap(phone, LINK_FLOW, "bond", "phone")
    phone.get_by_role("button", name="Next").click()

    expect(h1(phone)).to_have_text("What helps me")
    progress(phone, 3, 3)
    answer(phone, "protective-own-support", "Yes")
    wait_client_saved(phone)
    client_snap(phone, LINK_FLOW, "protective", "phone")
    phone.get_by_role("button", name="Finish").click()

    expect(phone).to_have_url(re.compile(r"/finish/$"))
    expect(h1(phone)).to_have_text("Stop here?")  # most bond questions are left for the clinician
    expect(phone.get_by_role("main")).not_to_contain_text("questions about your safety are not answered")
    client_snap(phone, LINK_FLOW, "finish", "phone")
    phone.get_by_role("button", name="Send my answers").click()

    expect(phone).to_have_url(re.compile(r"/done/$"))
    expect(h1(phone)).to_have_text("Thank you")
    expect(phone.get_by_role("main")).to_contain_text("Your answers have been sent to your clinician.")
    for resource in ("911", "988", "1-800-799-7233"):
        expect(phone.locator(".client-help")).to_contain_text(resource)
    client_snap(phone, LINK_FLOW, "done", "phone")
    link = SelfReportLink.objects.get(screening=draft)
    assert link.submitted_at is not None
    draft.refresh_from_db()
    assert draft.is_draft and draft.self_report == "link" and draft.client_finished_at == link.submitted_at
    # Every safety question answered: no "not fully assessed"; the "Yes" stays open.
    assert not SafetyFlag.objects.filter(screening=draft, kind="not_assessed").exists()

    # Still before completion, the clinician's draft shows the client's answers and the flag.
    desk.goto(f"/screenings/{draft.id}/step/review/")
    expect(desk.locator("section.urgent")).to_contain_text(flag.title)
    expect(desk.get_by_role("main")).to_contain_text("the client finished")
    expect(desk.locator("#missing")).to_contain_text("The client left")
    desk.goto("/")
    expect(desk.locator("section.urgent").get_by_role("listitem").filter(has_text=flag.title)).to_contain_text(
        "screening not yet completed")

    # The used link opens nothing: the same plain page as any unusable link, with the resources.
    phone.e2e.allow_console("status of 404")
    phone.goto(url)
    expect(h1(phone)).to_have_text("This link cannot be used")
    expect(phone.locator(".client-help")).to_contain_text("988")
    client_snap(phone, LINK_FLOW, "link-used", "phone")


# ---------------------------------------------------------------- (c) the tablet's blank screen

def test_tablet_screen_blanks_when_left_and_a_tap_brings_it_back(
        new_page, clinician, client_record, make_screening, settings):
    settings.TABLET_BLANK_SECONDS = 2  # read by the view at each request, in the live server's thread too
    draft = tbsc2_draft(make_screening, client_record, clinician)
    page = new_page("tablet", user=clinician, has_touch=True)  # a touch screen: the client taps
    page.goto(f"/screenings/{draft.id}/self-report/")
    page.get_by_role("button", name="Hand the tablet to the client").click()
    page.get_by_role("link", name="Start").click()
    expect(h1(page)).to_have_text("Your safety")
    assert page.locator("body").get_attribute("data-blank-after") == "2"

    cover = page.locator("[data-tablet-blank]")
    wake = page.locator("[data-tablet-wake]")
    main = page.locator("main#main")
    answer(page, "safety-violence", "Yes")  # an answer on the screen that a passer-by must not see
    wait_client_saved(page)
    expect(cover).to_be_visible(timeout=6_000)
    expect(main).to_have_attribute("aria-hidden", "true")
    assert page.evaluate("() => document.getElementById('main').inert") is True
    expect(wake).to_be_focused()
    # Nothing behind the cover takes the keyboard: not the skip link, not the clinician's link below.
    assert page.evaluate(
        "() => [...document.body.children].filter(el => !el.matches('[data-tablet-blank], script')).every(el => el.inert)")
    page.keyboard.press("Tab")
    assert page.evaluate("() => !document.activeElement || document.activeElement === document.body || "
                         "document.activeElement.matches('[data-tablet-wake]')")
    wake.focus()
    expect(page.get_by_role("dialog", name="The screen was paused to keep your answers private.")).to_be_visible()
    # Only the cover is on screen: the answers underneath are not drawn through it.
    box = cover.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 820, "height": 1180}, box
    client_snap(page, TABLET_FLOW, "blanked", "tablet")

    wake.tap()
    expect(cover).to_be_hidden()
    expect(main).not_to_have_attribute("aria-hidden", "true")
    assert page.evaluate("() => document.getElementById('main').inert") is False
    # The focus is back on the answer it was on, not lost with the hidden button.
    expect(question(page, "safety-violence").locator("input[value='1']")).to_be_focused()
    assert checked_answer(page, "safety-violence") == "Yes"
    # Touching the page keeps it awake; left again, it blanks again.
    expect(cover).to_be_visible(timeout=6_000)
    page.keyboard.press("Enter")  # the focused "Tap here" button
    expect(cover).to_be_hidden()
