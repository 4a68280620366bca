"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

`playwright install` cannot download browsers here, so the tests launch the system
Chromium. Without it they skip, unless E2E_REQUIRE_BROWSER=1 (CI), where they fail.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the e2e package, shut down before the rest of the suite runs."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}; install Debian's chromium package to run the browser tests"
        if os.environ.get("E2E_REQUIRE_BROWSER") == "1":
            pytest.fail(f"E2E_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop running in this thread; Django refuses
        # ORM calls from such a thread unless told the code is not really async. Only while
        # the browser lives: set for the whole session it would leak into other tests and
        # their subprocesses (`manage.py check --deploy` reports it as async.E001).
        if "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ:
            patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@dataclass
class BrowserLog:
    """What the page said on the console, the uncaught errors it threw and the responses it got."""

    console: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    responses: list = field(default_factory=list)

    # Playwright cannot wrap built-ins such as list.append as event handlers.
    def on_console(self, message):
        self.console.append(message)

    def on_page_error(self, error):
        self.page_errors.append(error)

    def on_response(self, response):
        self.responses.append(response)

    def errors(self) -> list[str]:
        return [f"{m.type}: {m.text} ({m.location.get('url', '')})" for m in self.console if m.type == "error"] + [
            f"uncaught: {e}" for e in self.page_errors
        ]

    def csp_violations(self) -> list[str]:
        return [m.text for m in self.console if "Content Security Policy" in m.text]


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(browser, browser_log):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    new_page.on("console", browser_log.on_console)
    new_page.on("pageerror", browser_log.on_page_error)
    new_page.on("response", browser_log.on_response)
    yield new_page
    context.close()


def sign_in(page, live_server, username: str, password: str, *, second_step: bool = True):
    """Fill in the GOV.UK sign-in form by its labels and submit it; returns the last response.

    Then, if the page asks for a code, the second step: the code the person's authenticator app
    would show. People who must use two-factor sign-in and have no app get one first, so they
    are asked for a code rather than sent to set one up. `second_step=False` stops after the
    password (to test the two-factor pages themselves).
    """
    device = authenticator_for(username) if second_step else None
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    if device is None or urlsplit(page.url).path != "/two-factor/verify/":
        return navigation.value
    page.get_by_label("Security code").fill(next_code(device))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Continue").click()
    return navigation.value


def authenticator_for(username: str):
    """The person's confirmed authenticator app; made for those who must use one. None for the rest."""
    from django.contrib.auth import get_user_model

    from tests.conftest import verified_device_for

    user = get_user_model().objects.filter(username=username).first()
    return verified_device_for(user) if user is not None else None


def next_code(device) -> str:
    """A code the server will accept now: within one time step of now and not used before."""
    import time

    from django_otp.oath import TOTP

    for _ in range(3):
        device.refresh_from_db()
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = time.time()
        for offset in (0, 1):
            totp.time = now + offset * device.step
            if totp.t() > device.last_t:
                return f"{totp.token():0{device.digits}d}"
        time.sleep(device.step - (now - device.t0) % device.step + 0.1)  # the next step
    pytest.fail(f"no unused code for {device.user}")


def assert_accessible(page):
    """Run axe-core (bundled with axe-playwright-python, so no network) and fail on any violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    if results.violations_count > 0:
        lines = [f"{results.violations_count} accessibility violation(s) on {page.url} ({page.title()!r}):"]
        for violation in results.response["violations"]:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
            for node in violation["nodes"]:
                lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html']}")
        pytest.fail("\n".join(lines), pytrace=False)
