"""Playwright on Debian's Chromium against pytest-django's live_server.

The browser is the system's (apt-get install chromium), never one downloaded by Playwright.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.roles import PASSWORD, user_with_role

# Playwright's sync API runs an event loop in this thread; Django would take the test's own
# database queries for async code and refuse them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session", autouse=True)
def _patient_assertions():
    """expect() waits as long as actions do (10 s, not Playwright's 5 s): an htmx answer on a
    machine busy with the rest of the suite must not fail an assertion that is only slow."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium no está instalado (apt-get install chromium); .ci/run lo instala")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="es-PE", timezone_id="America/Lima", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, role_name: str, *, username: str, **user):
    """Create a user with `role_name` (and first_name, last_name… as given) and sign in through
    the login page, as a person would; returns the page, on the customer list."""
    from playwright.sync_api import expect

    user_with_role(role_name, username=username, **user)
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/clientes/$"))
    # htmx binds the search box when the document is ready: typing before that is not searched.
    page.wait_for_load_state()
    return page
