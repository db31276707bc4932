"""Fixtures for the web widget tests. The servers come from the shared harness
(tests/support/fixtures.py), all on free 127.0.0.1 ports and stopped by PID:

- `fake_bot`, `fake_web`: tests/web/fake_bot.py, a scripted socketio server that sends the
  payloads the widget must handle (markdown, raw HTML, quick replies, images), and web/serve.py
  pointed at it. No model needed.
- `web_stack`: the shared assistant (the action server and `rasa run` with the model in
  $MODEL_PATH), web/serve.py pointed at it and another site's pages (tests/web/pages/). Without
  $MODEL_PATH the tests that need it are skipped, except under CI=true, where they fail.
- `chromium`: one headless Chromium (Debian's /usr/bin/chromium or $CHROMIUM) for the run;
  `browser` connects Playwright for Python to it, and every test gets a fresh context.
  Screenshots go to tests/output/web/ (ignored by git).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.servers import unavailable
from widget_page import OUTPUT


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright")


@pytest.fixture(scope="session")
def logs() -> Path:
    """Where the web tests' own servers write their logs."""
    folder = OUTPUT / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---------------------------------------------------------------- browser
# Module scope, not session: while Playwright's sync API is open it runs an event loop on the
# main thread, which would break async tests (pytest-asyncio) in other modules. The browser
# itself (the `chromium` process) is one for the whole run.
@pytest.fixture(scope="module")
def browser(chromium):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(chromium.cdp_url)
        yield browser
        browser.close()  # disconnects; the harness stops Chromium at the end of the run


@pytest.fixture
def context(browser):
    """A fresh browser profile (new storage) per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog) -> None:
        page.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))  # type: ignore[attr-defined]
    return page


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """Folder for this test's screenshots (tests/output/web/<test name>/)."""
    folder = OUTPUT / request.node.name.replace("[", "_").replace("]", "").replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
