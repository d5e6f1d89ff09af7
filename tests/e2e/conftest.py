"""End-to-end fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

These tests run only with E2E=1 (`make e2e`). Without it this folder is not even collected, so
`make test` neither needs Playwright installed nor reports anything for it.

Fixtures to build on (the progress pages and safety follow-ups will need nothing more):

- ``browser``: one headless Chromium for the session.
- ``new_page(size="desktop", user=None)``: a fresh browser context and page at one of the
  ``browser_config.SIZES``; with ``user`` it starts logged in (a session cookie, no trip through
  the login form). Each such page records console errors, uncaught script errors and failed
  requests for files; ``helpers.snap`` fails on them, and so does the fixture's teardown
  (``page.e2e.allow_console("status of 404")`` for an expected one, and
  ``page.e2e.allow_request("400 POST")`` for a request the server is meant to refuse).
- ``page``: ``new_page()`` at desktop size, logged out.
- ``clinician_page``: ``new_page()`` at desktop size, logged in as the ``clinician`` fixture of
  tests/conftest.py (whose other fixtures, ``make_screening`` and the rest, work here as well).

Then for each page of a flow, ``helpers.snap(page, flow, step)``: screenshots (desktop and tablet,
full page, under screenshots/e2e/<flow>/), axe-core, labels and fieldsets, static files, and no
sideways scrolling at tablet width and 200 % zoom. A new flow is a test that builds its data with
the ORM, opens ``clinician_page`` and calls ``snap`` on every page it reaches.
"""

import os
import shutil
from pathlib import Path

import pytest

E2E = os.environ.get("E2E") == "1"

if not E2E:
    # `make test` (pytest.ini: testpaths = tests) passes through here: collect nothing.
    collect_ignore_glob = ["test_*.py"]
else:
    # Playwright's sync API keeps an event loop on the main thread, where the tests also use the ORM.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from tests.e2e.browser_config import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, SIZES  # noqa: E402


class PageWatch:
    """What went wrong in the browser while a page was open: console errors, script errors, failed files."""

    def __init__(self, page):
        self.console_errors = []
        self.page_errors = []
        self.failed_requests = []
        self.allowed = []
        self.allowed_requests = []
        self.axe_notes = []  # moderate and minor axe-core findings, written to a file, not failed
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)

    def _on_console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_response(self, response):
        request = response.request
        if request.resource_type != "document" and response.status >= 400:
            self.failed_requests.append(f"{response.status} {request.method} {response.url}")

    def _on_request_failed(self, request):
        # A download that the browser hands over (the PDF) is not a failure, nor a request the browser
        # cancelled because the page moved on (the favicon of a page left at once: net::ERR_ABORTED).
        # A file the server fails to give is still caught, by its status in _on_response.
        if request.resource_type != "document" and request.failure != "net::ERR_ABORTED":
            self.failed_requests.append(f"failed {request.method} {request.url}: {request.failure}")

    def allow_console(self, fragment):
        """An expected console error (for example the browser's note on a 404 or 400 document)."""
        self.allowed.append(fragment)

    def allow_request(self, fragment):
        """An expected failed request (for example an autosave the server refuses with 400 on purpose)."""
        self.allowed_requests.append(fragment)

    def problems(self):
        console = [m for m in self.console_errors if not any(a in m for a in self.allowed)]
        requests = [r for r in self.failed_requests if not any(a in r for a in self.allowed_requests)]
        return console + self.page_errors + requests


@pytest.fixture(scope="session")
def screenshots_folder():
    """screenshots/e2e/, emptied once per run (the whole /screenshots/ folder is git-ignored)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    notes = []
    yield notes
    report = SCREENSHOTS / "axe-moderate-and-minor.txt"
    report.write_text("\n\n".join(notes) + "\n" if notes else "None.\n", encoding="utf-8")


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # an autosave waits 1.2 s after typing; leave room on a busy machine
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make e2e` installs Debian's chromium (apt-get install -y chromium).")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def login_cookie(live_server_url, user):
    """A session cookie for `user`, made the way Django's test client logs in (no form, no lockout count)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server_url,
        "httpOnly": True,
        "sameSite": "Lax",
    }


@pytest.fixture
def new_page(browser, live_server, screenshots_folder):
    """Factory: new_page(size="desktop", user=None, **context_options) -> page (with page.e2e, a PageWatch)."""
    contexts = []
    watches = []

    def make(size="desktop", user=None, **options):
        width, height, scale = SIZES[size]
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            device_scale_factor=scale,
            accept_downloads=True,
            locale="en-US",
            timezone_id="America/New_York",
            # Bootstrap then skips its transitions, so screenshots and axe never catch a colour mid-fade.
            reduced_motion="reduce",
            **options,
        )
        context.set_default_timeout(10_000)
        if user is not None:
            context.add_cookies([login_cookie(live_server.url, user)])
        contexts.append(context)
        page = context.new_page()
        page.e2e = PageWatch(page)
        watches.append(page.e2e)
        return page

    yield make

    for watch in watches:
        screenshots_folder.extend(watch.axe_notes)
    problems = [p for watch in watches for p in watch.problems()]
    for context in contexts:
        context.close()
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page):
    return new_page("desktop")


@pytest.fixture
def clinician_page(new_page, clinician):
    """A desktop page already logged in as the `clinician` fixture (Casey Clinician, Riverside Clinic)."""
    return new_page("desktop", user=clinician)
