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

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
HERE = Path(__file__).resolve().parent
OUTPUT = ROOT / "tests" / "output" / "web"
PYTHON = sys.executable
IN_CI = os.environ.get("CI", "").lower() == "true"

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

# credentials.yml for the test Rasa: the project's socketio channel with session persistence.
SOCKETIO_CREDENTIALS = """\
addons.socketio_channel.SocketIOInput:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright")


def unavailable(reason: str) -> None:
    """Skip locally; under CI=true a missing prerequisite is a failure, not a skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the web tests must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None,
              log: Optional[Path] = None) -> None:
    """Wait until `url` answers (any HTTP status), failing early if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
            time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s:\n{tail}")


class Processes:
    """Starts subprocesses with their output in log files; stops them by PID."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: List[subprocess.Popen] = []

    def start(self, name: str, args: List[str], cwd: Path = ROOT,
              env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
        self.logs.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        log = open(self.logs / f"{name}.log", "wb")
        full_env = dict(os.environ)
        full_env.update({"RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1",
                         "TF_CPP_MIN_LOG_LEVEL": "2"})
        full_env.update(env or {})
        proc = subprocess.Popen(args, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        proc.log_path = self.logs / f"{name}.log"  # type: ignore[attr-defined]
        log.close()
        self.started.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            # The process leads its own session (start_new_session): signal its group by its
            # own PID, so that children it spawned (e.g. Sanic workers) stop too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            self.stop(proc)
        self.started.clear()


@dataclass
class WebServer:
    url: str  # http://127.0.0.1:PORT
    port: int
    rasa_url: str
    proc: subprocess.Popen

    def at(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{path.lstrip('/')}"


def start_web(procs: Processes, rasa_url: str, name: str = "web") -> WebServer:
    if not (WEB / "node_modules").is_dir() and not (WEB / "vendor").is_dir():
        unavailable("web/node_modules is missing: run `npm ci` in web/ (make web)")
    port = free_port()
    proc = procs.start(name, [PYTHON, str(WEB / "serve.py"), "--host", "127.0.0.1",
                              "--port", str(port), "--rasa-url", rasa_url])
    wait_http(f"http://127.0.0.1:{port}/config.js", 20, proc, proc.log_path)  # type: ignore[attr-defined]
    return WebServer(f"http://127.0.0.1:{port}", port, rasa_url, proc)


# ---------------------------------------------------------------- fake bot (no model needed)
@dataclass
class FakeBot:
    url: str
    proc: subprocess.Popen

    def received(self) -> List[dict]:
        with urllib.request.urlopen(self.url + "/received", timeout=5) as response:
            return json.loads(response.read())


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
@dataclass
class RasaStack:
    rasa_url: str
    action_url: str
    web: WebServer
    model: Path


def model_path() -> Path:
    value = os.environ.get("MODEL_PATH", "").strip()
    if not value:
        unavailable("MODEL_PATH is not set: run through `make test` (it trains the model and "
                    "exports MODEL_PATH), or set MODEL_PATH=models/<model>.tar.gz")
    path = Path(value)
    if not path.is_absolute():
        path = ROOT / path
    if not path.is_file():
        unavailable(f"MODEL_PATH={value} is not a file")
    return path


def project_dir() -> Path:
    """Where the bot's actions live: this repository, or $WEB_TEST_BOT_DIR for a stand-in bot."""
    return Path(os.environ.get("WEB_TEST_BOT_DIR", str(ROOT))).resolve()


def action_server_command(bot_dir: Path, port: int) -> List[str]:
    if (bot_dir / "actions" / "server.py").is_file():
        return [PYTHON, "-m", "actions.server", "--host", "127.0.0.1", "--port", str(port)]
    # rasa_sdk's own runner (it cannot be told an interface; the port is still a free one).
    return [PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]


@pytest.fixture(scope="session")
def rasa_stack(processes: Processes, tmp_path_factory: pytest.TempPathFactory) -> RasaStack:
    model = model_path()
    rasa = Path(PYTHON).with_name("rasa")
    if not rasa.exists():
        unavailable(f"no rasa next to {PYTHON}: run the tests with the project's venv")
    bot_dir = project_dir()
    config_dir = tmp_path_factory.mktemp("rasa_config")
    action_port, rasa_port = free_port(), free_port()
    action_url = f"http://127.0.0.1:{action_port}"
    (config_dir / "endpoints.yml").write_text(f"action_endpoint:\n  url: {action_url}/webhook\n")
    (config_dir / "credentials.yml").write_text(SOCKETIO_CREDENTIALS)

    actions = processes.start("action_server", action_server_command(bot_dir, action_port),
                              cwd=bot_dir, env={"PYTHONPATH": str(bot_dir)})
    # `rasa run` from the repository root, so that `addons.socketio_channel` imports.
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(bot_dir)])}
    rasa_proc = processes.start(
        "rasa",
        [str(rasa), "run", "--model", str(model), "--interface", "127.0.0.1",
         "--port", str(rasa_port), "--endpoints", str(config_dir / "endpoints.yml"),
         "--credentials", str(config_dir / "credentials.yml"), "--enable-api",
         "--cors", "*"],
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
    web = start_web(processes, rasa_url, name="web_rasa")
    return RasaStack(rasa_url, action_url, web, model)


# ---------------------------------------------------------------- browser
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    if not Path(chromium_path()).exists():
        unavailable("Chromium is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
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
