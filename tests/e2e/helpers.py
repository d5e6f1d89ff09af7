"""Helpers for the browser tests: screenshots, axe-core, layout and form checks, and clinician actions."""

import json
import re
from collections import Counter
from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.browser_config import SCREENSHOTS, SIZES

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
_axe_source = None

# axe-core impacts that fail a test; "moderate" and "minor" are printed only.
FAILING_IMPACTS = ("serious", "critical")

SCREENSHOT_SIZES = ("desktop", "tablet")
_shots = Counter()  # screenshots taken per flow folder in this run: numbers the files in order
NO_SCROLL_SIZES = ("tablet", "zoom200")

# The only reassuring safety line a report may show: every safety question answered "No" and no
# flag open from an earlier screening (issue 11). Spelled out here, as the clinician reads it.
NO_FLAGS_LINE = "No safety flags: every safety question was answered “No” and no flag is open from an earlier screening."


# ---------------------------------------------------------------- axe-core

# App problems reported and not yet fixed: {(rule id, CSS selector): why}. Only these elements are
# let through, for only that rule. Empty: every problem this suite found has been fixed, and the
# tests in test_accessibility.py now guard each fix.
KNOWN_AXE_VIOLATIONS = {}


def run_axe(page, known=KNOWN_AXE_VIOLATIONS):
    """Run axe-core on the page as it is now; return its violations (a list of dicts).

    The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern, so the page is checked with its real CSP in force. The mouse is moved off the
    page first so that no hover state is half-way through a transition. Nodes matching `known`
    are left out.
    """
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_JS.read_text(encoding="utf-8")
    page.mouse.move(0, 0)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source)
    return page.evaluate(
        """async (known) => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            const isKnown = (id, target) => known.some(([rule, selector]) => {
                if (rule !== id || target.length !== 1) return false;
                const el = document.querySelector(target[0]);
                return el !== null && el.matches(selector);
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.filter(n => !isKnown(v.id, n.target)).map(n => ({
                    target: n.target.join(" "), html: n.html.slice(0, 200), summary: n.failureSummary}))
            })).filter(v => v.nodes.length > 0);
        }""",
        [list(k) for k in known],
    )


def format_violations(violations):
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}  {node['html']}")
            summary = " ".join((node["summary"] or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page, where=""):
    violations = run_axe(page)
    serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        page.e2e.axe_notes.append(f"{where or page.url}:\n{format_violations(others)}")
    assert not serious, f"axe-core: serious or critical violations on {where or page.url}:\n{format_violations(serious)}"


# ---------------------------------------------------------------- layout

def horizontal_overflow(page):
    """None when the page does not scroll sideways; otherwise a description of what sticks out."""
    return page.evaluate(
        """() => {
            const root = document.documentElement;
            if (root.scrollWidth <= root.clientWidth) return null;
            const wide = [];
            for (const el of document.body.querySelectorAll("*")) {
                const r = el.getBoundingClientRect();
                if (r.right > root.clientWidth + 1 && r.width > 0) {
                    wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                              (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
                              " right=" + Math.round(r.right));
                    if (wide.length >= 8) break;
                }
            }
            return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}: ` + wide.join("; ");
        }"""
    )


# Buttons known to wrap: none (the navbar collapses below 992 px since it was reported).
KNOWN_WRAPPED = {}


def wrapped_buttons(page, known=KNOWN_WRAPPED):
    """Buttons (and the navbar's text) whose words break onto a second line inside them."""
    return page.evaluate(
        """(known) => {
            const bad = [];
            for (const el of document.querySelectorAll(".btn, .navbar-text")) {
                if (!el.offsetParent || known.some(sel => el.matches(sel))) continue;
                const range = document.createRange();
                range.selectNodeContents(el);
                const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (tops.size > 1) bad.push(el.textContent.replace(/\\s+/g, " ").trim());
            }
            return bad;
        }""",
        list(known),
    )


def set_size(page, size):
    width, height, _scale = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})


def assert_no_horizontal_scroll(page, sizes=NO_SCROLL_SIZES, where=""):
    original = page.viewport_size
    try:
        for size in sizes:
            set_size(page, size)
            overflow = horizontal_overflow(page)
            assert overflow is None, f"{where or page.url} scrolls sideways at {size} ({SIZES[size][0]} px wide): {overflow}"
    finally:
        page.set_viewport_size(original)


def assert_in_viewport_without_scrolling(page, locator, what):
    """`locator` lies wholly inside the viewport with the page scrolled to the very top."""
    page.evaluate("() => window.scrollTo(0, 0)")
    box = locator.bounding_box()
    assert box is not None, f"{what} is not displayed"
    viewport = page.viewport_size
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    assert scroll == [0, 0], f"the page scrolled by itself to {scroll}"
    assert box["y"] >= 0 and box["x"] >= 0, f"{what} starts outside the viewport: {box}"
    assert box["y"] + box["height"] <= viewport["height"], (
        f"{what} ends at {box['y'] + box['height']:.0f} px, below the fold ({viewport['height']} px)"
    )
    assert box["x"] + box["width"] <= viewport["width"], f"{what} is wider than the viewport: {box}"


def assert_on_screen(page, locator, what):
    """`locator` starts inside the viewport where the browser has scrolled (after following an #anchor)."""
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box is not None and -1 <= box["y"] < viewport["height"], f"{what} is off screen: {box}, {viewport}"


def assert_static_loaded(page, where="", bootstrap_js=True):
    """Bootstrap's CSS is applied and its script has run (the app's own scripts are tested by their effects).

    bootstrap_js=False: a page that does not load Bootstrap's script (the client's self-report pages)."""
    state = page.evaluate(
        """() => ({
            css: [...document.styleSheets].some(s => (s.href || "").endsWith("/bootstrap.min.css") && s.cssRules.length > 100),
            appCss: [...document.styleSheets].some(s => (s.href || "").endsWith("/css/app.css") && s.cssRules.length > 0),
            js: typeof window.bootstrap !== "undefined",
        })"""
    )
    expected = {"css": True, "appCss": True, "js": bootstrap_js}
    assert state == expected, f"static files missing on {where or page.url}: {state}"


# ---------------------------------------------------------------- forms

def unlabelled_controls(page):
    """Visible form controls (or radios/checkboxes, visible or not) with no accessible label."""
    return page.evaluate(
        """() => {
            const bad = [];
            const controls = document.querySelectorAll("input, select, textarea");
            for (const el of controls) {
                const type = (el.getAttribute("type") || "").toLowerCase();
                if (["hidden", "submit", "button", "reset", "image"].includes(type)) continue;
                const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
                const wrapped = el.closest("label");
                const aria = (el.getAttribute("aria-label") || "").trim() || el.getAttribute("aria-labelledby");
                const label = byFor || wrapped;
                const text = label ? label.textContent.trim() : "";
                if (!(text || aria)) bad.push(el.outerHTML.slice(0, 160));
            }
            return bad;
        }"""
    )


def radio_groups_outside_fieldsets(page):
    """Names of radio groups that are not inside a fieldset with a non-empty legend."""
    return page.evaluate(
        """() => {
            const bad = new Set();
            for (const radio of document.querySelectorAll("input[type=radio]")) {
                const fs = radio.closest("fieldset");
                const legend = fs && fs.querySelector(":scope > legend");
                if (!legend || !legend.textContent.trim()) bad.add(radio.name);
            }
            return [...bad];
        }"""
    )


def assert_forms_labelled(page, where=""):
    bad = unlabelled_controls(page)
    assert not bad, f"form controls without a label on {where or page.url}: {bad}"
    groups = radio_groups_outside_fieldsets(page)
    assert not groups, f"radio groups without a fieldset and legend on {where or page.url}: {groups}"


def focused_element(page):
    return page.evaluate(
        """() => { const el = document.activeElement;
                   return el ? {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name"),
                                text: (el.textContent || "").trim().slice(0, 120)} : null; }"""
    )


# ---------------------------------------------------------------- one page of a flow

def snap(page, flow, step, *, sizes=SCREENSHOT_SIZES, axe=True, no_scroll=True, forms=True, bootstrap_js=True):
    """The checks every page of a flow gets, and its screenshots.

    Full-page screenshots at desktop and tablet size (or the given `sizes`, say ("phone",)) under
    screenshots/e2e/<flow>/, axe-core (no serious or critical violation), every form control
    labelled and every radio group in a fieldset with a legend, Bootstrap's CSS and script loaded
    (bootstrap_js=False for a page without Bootstrap's script), no sideways scrolling at tablet width
    and at 200 % zoom (and at phone width when screenshotted there), no button whose label breaks
    onto two lines at the screenshot sizes, and no console error or failed static file so far. The
    viewport is put back as it was.
    """
    page.wait_for_load_state("load")
    where = f"{flow}/{step} ({page.url})"
    problems = page.e2e.problems()
    assert not problems, f"the browser reported problems by {where}:\n" + "\n".join(problems)
    assert_static_loaded(page, where, bootstrap_js=bootstrap_js)
    if forms:
        assert_forms_labelled(page, where)
    if axe:
        assert_accessible(page, where)
    if no_scroll:
        assert_no_horizontal_scroll(page, sizes=NO_SCROLL_SIZES + tuple(s for s in sizes if s == "phone"), where=where)

    folder = SCREENSHOTS / flow
    folder.mkdir(parents=True, exist_ok=True)
    _shots[flow] += 1
    original = page.viewport_size
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    try:
        for size in sizes:
            set_size(page, size)
            wrapped = wrapped_buttons(page)
            assert not wrapped, f"{where}: at {size} size these buttons break onto two lines: {wrapped}"
            name = f"{_shots[flow]:02d}-{step}-{size}.png"
            page.screenshot(path=str(folder / name), full_page=True, animations="disabled", caret="initial")
    finally:
        page.set_viewport_size(original)
        page.evaluate("([x, y]) => window.scrollTo(x, y)", scroll)


# ---------------------------------------------------------------- clinician actions

def log_in_with_form(page, email, password=PASSWORD):
    """Type the email and password and press Enter, as on a keyboard."""
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state("load")


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def question(page, item_key):
    """The fieldset of one question."""
    return page.locator(f"fieldset#q-{item_key}")


def answer(page, item_key, option):
    """Click the answer button `option` ("Often", "Yes", "Client declined", tbsc-1's "Declined / not
    asked", ...) of one question."""
    question(page, item_key).locator("label.btn").filter(has_text=re.compile(f"^{re.escape(option)}$")).click()


def checked_answer(page, item_key):
    """The label of the checked answer of a question, or None."""
    return page.evaluate(
        """(key) => { const fs = document.querySelector(`fieldset#q-${key}`);
                      const input = fs.querySelector("input[type=radio]:checked");
                      return input ? document.querySelector(`label[for="${input.id}"]`).textContent.trim() : null; }""",
        item_key,
    )


def reason_field(page, item_key):
    """The "Why was this not answered?" field under a safety question (tbsc-2)."""
    return question(page, item_key).get_by_label("Why was this not answered?")


def wait_until_saved(page):
    """The autosave status says the draft was saved (it says "Saving…" from the moment an answer changes)."""
    expect(page.locator("[data-save-status]")).to_have_text(re.compile(r"^Draft saved at \d\d:\d\d:\d\d\.$"))


def continue_to(page, step_title):
    """Press "Save and continue →" and land on the step titled `step_title`."""
    page.get_by_role("button", name="Save and continue →").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(step_title)


def json_dump(value):
    return json.dumps(value, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------- errors

def error_state(page, error_selector):
    """How an error shown by `error_selector` reaches a screen-reader user.

    announced: the error sits in a live region (role alert or status, or aria-live), or a form
    control points at it with aria-describedby (read out when the control has focus).
    focused: focus is on the error (or inside it), or on a control that aria-describedby ties to it.
    """
    return page.evaluate(
        """(selector) => {
            const error = document.querySelector(selector);
            if (!error) return {found: false, announced: false, focused: false, active: null};
            const chain = [];
            for (let el = error; el; el = el.parentElement) chain.push(el);
            const inLive = chain.some(el => ["alert", "status"].includes(el.getAttribute("role")) ||
                                            (el.getAttribute("aria-live") || "off") !== "off");
            const ids = new Set([...error.querySelectorAll("[id]")].map(el => el.id).concat(chain.map(el => el.id)).filter(Boolean));
            const describes = el => (el.getAttribute("aria-describedby") || "").split(/\\s+/).some(id => ids.has(id));
            const describedControls = [...document.querySelectorAll("[aria-describedby]")].filter(describes);
            const active = document.activeElement;
            const focused = active !== null && active !== document.body && (error.contains(active) || describes(active));
            return {found: true, announced: inLive || describedControls.length > 0, focused,
                    active: active ? active.tagName.toLowerCase() + (active.id ? "#" + active.id : "") : null};
        }""",
        error_selector,
    )


def assert_error_announced_and_focused(page, error_selector, what):
    state = error_state(page, error_selector)
    assert state["found"], f"{what}: no error shown ({error_selector})"
    assert state["announced"], f"{what}: the error is not announced (no live region, no aria-describedby): {state}"
    assert state["focused"], f"{what}: focus did not move to the error (focus is on {state['active']})"


# ---------------------------------------------------------------- keyboard

def tab_to(page, text, max_presses=80):
    """Press Tab until the focused element's text, value or label contains `text` (a str or regex)."""
    pattern = text if isinstance(text, re.Pattern) else re.compile(re.escape(text))
    seen = []
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        name = page.evaluate(
            """() => { const el = document.activeElement; if (!el) return "";
                       const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
                       return [el.getAttribute("aria-label"), label && label.textContent, el.textContent, el.value]
                              .filter(Boolean).join(" ").replace(/\\s+/g, " ").trim(); }"""
        )
        seen.append(name)
        if pattern.search(name):
            return name
    raise AssertionError(f"Tab never reached {text!r}; focus went through: {seen}")


def focus_is_visible(page):
    """The focused element (or, for a hidden button-style radio, its label) shows a focus ring."""
    return page.evaluate(
        """() => { let el = document.activeElement;
                   if (el && el.matches("input.btn-check")) el = document.querySelector(`label[for="${el.id}"]`);
                   const style = getComputedStyle(el);
                   return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) ||
                          (style.boxShadow && style.boxShadow !== "none"); }"""
    )


# ---------------------------------------------------------------- answers made with the ORM

def item_scale(instrument, section_key, item, intake=True):
    """The answer options (value, label) of one item on its own scale (frequency, yes/no or count)."""
    return instrument.section(section_key, intake).item_scale(item)


def scale_label(instrument, section_key, item, value, intake=True):
    """The label of `value` on the item's scale ("Often", "Yes", "2–3 times", ...)."""
    return next(o.label for o in item_scale(instrument, section_key, item, intake) if o.value == value)


def answers_at(instrument, bonds, level, *, intake=True, safety_yes=(), protective=1):
    """Like tests.conftest.all_answers, but every bond item at `level` capped at the top of its own
    scale (a yes/no item of tbsc-2 takes 1 at most), and only the items asked at this kind of screening.
    A conditional safety question is answered only when it is asked."""
    answers = {}
    for bond in bonds:
        for item in instrument.items_for_bond(bond, intake):
            top = max(o.value for o in item_scale(instrument, bond, item, intake))
            answers[(bond, item.key)] = min(level, top)
    for item in instrument.safety_items:
        answers[("safety", item.key)] = 1 if item.key in safety_yes else 0
    for item in instrument.safety_items:
        if not instrument.is_asked(item, answers):
            del answers[("safety", item.key)]
    for item in instrument.protective_items:
        answers[("protective", item.key)] = protective
    return answers


def complete_with(screening, answers, user, reasons=None):
    """Save `answers` ({(section, item_key): value}) to a draft and complete it, as the services do."""
    from clinicians.actors import Actor
    from screening import services
    from screening.models import Screening

    services.save_answer_set(screening, answers, Actor(user), reasons)
    outcome = services.complete_screening(screening.id, Screening.objects.all(), Actor(user))
    assert outcome.completed, outcome.problems
    return outcome.screening
