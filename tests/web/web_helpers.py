"""Shared helpers for the web tests: free ports, subprocesses stopped by PID, page actions.

Imported by tests/web/conftest.py and the test modules (a uniquely named module, so that it
never clashes with another directory's conftest).
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
from typing import Dict, List, Optional

import pytest

# The project's shared server-test support: skip locally / fail under CI=true, free ports.
from tests.support.servers import free_port, unavailable

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
HERE = Path(__file__).resolve().parent
OUTPUT = ROOT / "tests" / "output" / "web"
PYTHON = sys.executable

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

# credentials.yml for the test Rasa: the project's socketio channel with session persistence
# and an origin allow-list, as in production ({origins}: space-separated).
SOCKETIO_CREDENTIALS = """\
addons.socketio_channel.SocketIOInput:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
  cors_allowed_origins: "{origins}"
"""


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


def http_get(url: str, headers=None, timeout: float = 10):
    """(status, headers, body) of a GET, error statuses included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


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
        # Each test states the origin allow-list it wants (the Makefile exports one).
        full_env.pop("SOCKETIO_CORS_ORIGINS", None)
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


def start_web(procs: Processes, rasa_url: str, name: str = "web",
              port: Optional[int] = None) -> WebServer:
    if not (WEB / "node_modules").is_dir() and not (WEB / "vendor").is_dir():
        unavailable("web/node_modules is missing: run `npm ci` in web/")
    port = port or free_port()
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


@dataclass
class RasaStack:
    rasa_url: str
    action_url: str
    web: WebServer
    model: Path
    other_site: WebServer  # another site's pages (tests/web/pages/), e.g. a forum post


def start_other_site(procs: Processes, folder: Path, port: int, values: Dict[str, str]) -> WebServer:
    """Serve tests/web/pages/*.html, with {{NAME}} filled in, from a plain http.server.

    The pages must come from a real loopback server: Chromium's Local Network Access checks
    block a page that Playwright fulfils itself (it has no address) from reaching 127.0.0.1.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for page in (HERE / "pages").glob("*.html"):
        text = page.read_text()
        for name, value in values.items():
            text = text.replace("{{" + name + "}}", value)
        (folder / page.name).write_text(text)
    proc = procs.start("other_site", [PYTHON, "-m", "http.server", str(port), "--bind",
                                      "127.0.0.1", "--directory", str(folder)])
    wait_http(f"http://127.0.0.1:{port}/forum-post.html", 20, proc, proc.log_path)  # type: ignore[attr-defined]
    return WebServer(f"http://127.0.0.1:{port}", port, values.get("RASA_URL", ""), proc)


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
    # rasa_sdk's own runner, as the Makefile starts it (SANIC_HOST, set by the caller, binds it).
    return [PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path




# ---------------------------------------------------------------- page actions
BOT = ".mc-bot:not(.mc-welcome)"  # the assistant's messages in the widget (not the greeting)


def open_launcher(page, web: WebServer, path: str = "index.html") -> None:
    page.goto(web.at(path))
    page.get_by_role("button", name=re.compile("Chat about")).click()
    page.wait_for_selector(".mc-panel:not([hidden])")


def ask(page_or_frame, text: str) -> None:
    field = page_or_frame.get_by_label("Your question")
    field.fill(text)
    field.press("Enter")


def wait_bot_text(page_or_frame, text: str, timeout: float = 15000) -> None:
    page_or_frame.locator(BOT, has_text=text).last.wait_for(timeout=timeout)


def focused_has(page, css_class: str) -> bool:
    return page.evaluate(f"document.activeElement.classList.contains('{css_class}')")


def press_until_focused(page, key: str, css_class: str, presses: int, failure: str) -> None:
    """Press `key` until the focused element has `css_class`; fail after `presses` presses."""
    for _ in range(presses):
        page.keyboard.press(key)
        if focused_has(page, css_class):
            return
    pytest.fail(failure)


def open_by_keyboard(page, url: str, presses: int) -> None:
    """Tab from the top of the page to the launcher and open the chat with Enter."""
    page.goto(url)
    press_until_focused(page, "Tab", "mc-launcher", presses, "Tab never reached the chat launcher")
    page.keyboard.press("Enter")
    assert focused_has(page, "mc-input")


def type_question(page, text: str) -> None:
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def focus_quick_reply(page, presses: int) -> str:
    """Shift+Tab from the question field to a quick reply (the controls just before it); the
    focus must be visible (an outline is drawn). Returns the reply's title."""
    press_until_focused(page, "Shift+Tab", "mc-reply", presses,
                        "Shift+Tab from the question field never reached a quick reply")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    return page.evaluate("document.activeElement.textContent")


def cut_off(page) -> dict:
    """The widget's elements that stick out of the viewport (`bad`: class and left-right
    edges) and the page's scroll width."""
    return page.evaluate("""() => {
      const bad = [];
      for (const el of document.querySelectorAll('.mc-root *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || el.closest('.mc-sr-only')) continue;
        if (r.left < -0.5 || r.right > window.innerWidth + 0.5) bad.push(el.className + ' ' + r.left + '-' + r.right);
      }
      return {bad, scrollWidth: document.documentElement.scrollWidth};
    }""")
