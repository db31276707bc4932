"""Fixtures for the web widget tests: local servers as subprocesses, and headless Chromium.

Everything listens on 127.0.0.1 on free ports and is stopped by PID at the end.

- `web_server`: web/serve.py (needs `npm ci` in web/).
- `fake_bot`: tests/web/fake_bot.py, a scripted socketio server that sends the payloads the
  widget must handle (markdown, raw HTML, quick replies, images). Needs no model.
- `rasa_stack`: the action server and `rasa run` with the model in $MODEL_PATH (exported by the
  Makefile), and a static server pointed at it. Without $MODEL_PATH the tests that need it
  are skipped, except under CI=true, where they fail.
- `browser`: Debian's /usr/bin/chromium (or $CHROMIUM) driven by Playwright for Python.
  Screenshots go to tests/output/web/ (ignored by git).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from web_helpers import (
    CHROMIUM_ARGS, HERE, OUTPUT, PYTHON, ROOT, SOCKETIO_CREDENTIALS, FakeBot, Processes, RasaStack,
    WebServer, action_server_command, start_other_site, chromium_path, free_port, model_path, project_dir,
    start_web, unavailable, wait_http,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright")


@pytest.fixture(scope="session")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    procs = Processes(OUTPUT / "logs")
    yield procs
    procs.stop_all()


@pytest.fixture(scope="session")
def fake_bot(processes: Processes) -> FakeBot:
    port = free_port()
    proc = processes.start("fake_bot", [PYTHON, str(HERE / "fake_bot.py"), "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/received", 30, proc, proc.log_path)  # type: ignore[attr-defined]
    return FakeBot(url, proc)


@pytest.fixture(scope="session")
def fake_web(processes: Processes, fake_bot: FakeBot) -> WebServer:
    """The static server, configured to talk to the fake bot."""
    return start_web(processes, fake_bot.url, name="web_fake")


# ---------------------------------------------------------------- the real assistant
@pytest.fixture(scope="session")
def rasa_stack(processes: Processes, tmp_path_factory: pytest.TempPathFactory) -> RasaStack:
    model = model_path()
    rasa = Path(PYTHON).with_name("rasa")
    if not rasa.exists():
        unavailable(f"no rasa next to {PYTHON}: run the tests with the project's venv")
    bot_dir = project_dir()
    config_dir = tmp_path_factory.mktemp("rasa_config")
    action_port, rasa_port, web_port, other_port = (free_port() for _ in range(4))
    action_url = f"http://127.0.0.1:{action_port}"
    (config_dir / "endpoints.yml").write_text(f"action_endpoint:\n  url: {action_url}/webhook\n")
    # An allow-list, as in production, never "*": the widget's pages, and the other site
    # (the forum page and rasa-webchat).
    origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}",
               f"http://127.0.0.1:{other_port}", f"http://localhost:{other_port}"]
    (config_dir / "credentials.yml").write_text(SOCKETIO_CREDENTIALS.format(origins=" ".join(origins)))

    actions = processes.start("action_server", action_server_command(bot_dir, action_port),
                              cwd=bot_dir, env={"PYTHONPATH": str(bot_dir),
                                                 "SANIC_HOST": "127.0.0.1"})
    # `rasa run` from the repository root, so that `addons.socketio_channel` imports.
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(bot_dir)])}
    rasa_proc = processes.start(
        "rasa",
        [str(rasa), "run", "--model", str(model), "--interface", "127.0.0.1",
         "--port", str(rasa_port), "--endpoints", str(config_dir / "endpoints.yml"),
         "--credentials", str(config_dir / "credentials.yml"), "--enable-api",
         "--cors", *origins],
        cwd=ROOT, env=env)
    wait_http(f"{action_url}/health", 60, actions, actions.log_path)  # type: ignore[attr-defined]
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    wait_http(f"{rasa_url}/status", 240, rasa_proc, rasa_proc.log_path)  # type: ignore[attr-defined]
    # /status answers before the model is loaded: wait until it reports one.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{rasa_url}/status", timeout=5) as response:
                if json.loads(response.read()).get("model_file"):
                    break
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if rasa_proc.poll() is not None:
            raise RuntimeError((rasa_proc.log_path).read_text()[-3000:])  # type: ignore[attr-defined]
        time.sleep(0.5)
    else:
        raise RuntimeError(f"rasa run did not load {model} within 240 s")
    web = start_web(processes, rasa_url, name="web_rasa", port=web_port)
    other_site = start_other_site(processes, tmp_path_factory.mktemp("other_site"), other_port, {
        "EMBED_URL": web.at("embed.html"),
        "WEBCHAT_JS": web.at("vendor/rasa-webchat.js"),
        "RASA_URL": rasa_url,
    })
    return RasaStack(rasa_url, action_url, web, model, other_site)


# ---------------------------------------------------------------- browser
# Module scope, not session: while Playwright's sync API is open it runs an event loop on the
# main thread, which would break async tests (pytest-asyncio) in other modules.
@pytest.fixture(scope="module")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    if not Path(chromium_path()).exists():
        unavailable("Chromium is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=chromium_path(),
                                                  args=CHROMIUM_ARGS)
    yield browser
    browser.close()


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
