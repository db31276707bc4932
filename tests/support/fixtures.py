"""Shared servers as session fixtures, started early and in parallel (a pytest plugin that
tests/conftest.py loads for every folder).

Cold Rasa starts dominate the suite's time (each loads TensorFlow and the model), so:

* a server several tests can share is one session fixture, made with `@shared_server`: it is
  started at most once per run and stopped by PID at the end of the run (a slow job whose
  result a test checks, such as `rasa test core`, is made the same way);
* the tests that need no server run first (`pytest_collection_modifyitems` moves the modules
  that use one to the end, each module whole and in its order); meanwhile the servers of the
  first few modules that need any start in background threads (`pytest_collection_finish`), and
  while a module runs, those of the next few start (`pytest_runtest_setup`, LOOKAHEAD);
* a server only one module needs fresh is made with `@shared_server(scope="module")` in that
  module: started early the same way, stopped when the module is done;
* a test that only needs a fresh conversation uses a new sender id on the shared assistant;
  crash/restart, outage, scale-out and configuration tests start their own processes.

`make check` starts no server: its only early job is `rasa data validate`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import requests

from tests.support.servers import (
    REPO, TRACKER_STORE_ENDPOINT, ActionServer, Chromium, PostgresServer, PythonApp, RasaServer,
    RasaShell, RedisServer, StaticSite, WebServer, free_port, model_path, rasa_env, train_tiny_bot,
)


class Shared:
    """The run's early-started servers: each started at most once, in a background thread;
    stopped when their last user is done (module scope) or when the run ends (session)."""

    def __init__(self) -> None:
        # Logs and data of these servers, one folder per run (ignored by git); kept after a run
        # that failed, for its logs.
        self.root = REPO / "tests" / "output" / "servers" / f"run-{os.getpid()}"
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self.passed = False
        # Enough threads that a start waiting for another start never starves it.
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="early-server")
        self._futures: Dict[str, Future] = {}
        self._lock = threading.Lock()

    def workdir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def start(self, name: str) -> Future:
        with self._lock:
            if name not in self._futures:
                self._futures[name] = self._pool.submit(STARTERS[name], self)
            return self._futures[name]

    def get(self, name: str) -> Any:
        """The server, once started; its start's skip or failure is raised in the test."""
        return self.start(name).result()

    def stop(self, name: str) -> None:
        with self._lock:
            future = self._futures.get(name)
        if future is not None:
            with contextlib.suppress(BaseException):
                stop_server(future.result())

    def stop_all(self) -> None:
        with self._lock:
            names = list(self._futures)
        for name in reversed(names):
            self.stop(name)
        self._pool.shutdown(wait=True)
        if self.passed:
            shutil.rmtree(self.root, ignore_errors=True)


def stop_server(value: Any) -> None:
    """Stop what a start returned: a server (or a socket: `close`), or a tuple holding them."""
    for part in value if isinstance(value, tuple) else (value,):
        stop = getattr(part, "remove", None) or getattr(part, "stop", None) or getattr(part, "close", None)
        if stop is not None:
            stop()


SHARED: Optional[Shared] = None
STARTERS: Dict[str, Callable[[Shared], Any]] = {}
LOOKAHEAD = 6  # modules ahead whose servers start while a module runs


def shared_server(start: Optional[Callable[[Shared], Any]] = None, *, scope: str = "session",
                  name: Optional[str] = None, doc: Optional[str] = None):
    """Decorator: `start(shared)` becomes a fixture of the same name (or `name`) whose server
    starts in the background before its first user runs (`shared.get(other)` inside `start`
    waits for another one). scope="session": shared by every test of the run; scope="module":
    the fresh server of one module (defined there), stopped when the module is done."""
    if start is None:
        return lambda func: shared_server(func, scope=scope, name=name, doc=doc)
    name = name or start.__name__
    STARTERS[name] = start

    @pytest.fixture(scope=scope, name=name)
    def fixture():
        yield SHARED.get(name)
        if scope == "module":
            SHARED.stop(name)

    fixture.__doc__ = doc or start.__doc__
    return fixture


# ---------------------------------------------------------------- the plugin's hooks
def pytest_configure(config: pytest.Config) -> None:
    global SHARED
    SHARED = Shared()
    config.addinivalue_line("markers", "shared_servers(*names): early-started servers a test "
                            "asks for with request.getfixturevalue, to start them early too")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if SHARED is not None:
        SHARED.passed = exitstatus == 0


def pytest_unconfigure(config: pytest.Config) -> None:
    if SHARED is not None:
        SHARED.stop_all()


def needed_by(item: pytest.Item) -> List[str]:
    """The early-started servers a test uses: its fixtures, and those its `shared_servers`
    marks name."""
    names = [name for name in getattr(item, "fixturenames", ()) if name in STARTERS]
    for mark in item.iter_markers("shared_servers"):
        names += [name for name in mark.args if name in STARTERS]
    return names


def _module(item: pytest.Item) -> str:
    return item.module.__name__ if getattr(item, "module", None) is not None else item.nodeid


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: List[pytest.Item]) -> None:
    """Modules that use a server run last (stable: each module whole, in its order)."""
    late = {_module(item) for item in items if needed_by(item)}
    items.sort(key=lambda item: _module(item) in late)


# Per module in run order, the servers its tests use (filled when collection is done).
_PLAN: List[List[str]] = []
_MODULE_INDEX: Dict[str, int] = {}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the servers of the first LOOKAHEAD modules that use any, at once."""
    if session.config.option.collectonly:
        return
    for item in session.items:
        module = _module(item)
        if module not in _MODULE_INDEX:
            _MODULE_INDEX[module] = len(_PLAN)
            _PLAN.append([])
        needs = _PLAN[_MODULE_INDEX[module]]
        needs += [name for name in needed_by(item) if name not in needs]
    _start_ahead(0)


def _start_ahead(index: int) -> None:
    """Start the servers of the next LOOKAHEAD modules (from `index`) that use any."""
    ahead = [needs for needs in _PLAN[index:] if needs][:LOOKAHEAD]
    for needs in ahead:
        for name in needs:
            SHARED.start(name)


def pytest_runtest_setup(item: pytest.Item) -> None:
    index = _MODULE_INDEX.get(_module(item))
    if index is not None:
        _start_ahead(index)


# ---------------------------------------------------------------- the shared servers
tiny_model = shared_server(lambda shared: train_tiny_bot(shared.workdir("tiny_bot")), name="tiny_model",
                           doc="The tiny test bot (tests/production/tiny_bot), trained once per run.")
redis_server = shared_server(lambda shared: RedisServer(shared.workdir("redis")), name="redis_server")
postgres_server = shared_server(
    lambda shared: PostgresServer(shared.workdir("postgres")), name="postgres_server",
    doc="One PostgreSQL cluster for the run; a test that keeps a server on it uses its own database.")
action_server = shared_server(
    lambda shared: ActionServer(shared.workdir("actions")), name="action_server",
    doc="The project's action server (stateless: every assistant of the run may call it).")


def sqlite_shell(shared: Shared, name: str):
    """A fresh `rasa shell` with the action server, on a SQLite store of its own: (shell, db)."""
    workdir = shared.workdir(name)
    db = workdir / "conversations.db"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{shared.get("action_server").url}"\n' + TRACKER_STORE_ENDPOINT)
    return RasaShell(model_path(), endpoints, env={"TRACKER_DB_URL": f"sqlite:///{db}"}), db


@dataclass
class Assistant:
    """The action server and `rasa run` with the trained model, as `make serve` runs them: the
    project's credentials.yml (hardened REST, the widget's socketio channel with an origin
    allow-list for the web stack's two sites), the HTTP API on (the web tests read trackers)."""

    actions: ActionServer
    rasa: RasaServer
    web_port: int  # reserved for the widget's web server (web_stack)
    other_port: int  # reserved for another site that embeds the widget (web_stack)

    @property
    def url(self) -> str:
        return self.rasa.url

    def say(self, sender: str, text: str) -> List[Dict]:
        response = requests.post(f"{self.rasa.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.rasa.stop()


@shared_server
def assistant(shared: Shared) -> Assistant:
    """The trained assistant, shared by every test that only needs a fresh conversation (a new
    sender id): e2e, web, `rasa shell` tests (its action server)."""
    model = model_path()
    web_port, other_port = free_port(), free_port()
    origins = [f"http://{host}:{port}" for port in (web_port, other_port) for host in ("127.0.0.1", "localhost")]
    actions = shared.get("action_server")
    rasa = RasaServer(model, shared.workdir("assistant"), action_url=actions.url,
                      args=["--enable-api", "--cors", *origins],
                      env=rasa_env(SOCKETIO_CORS_ORIGINS=" ".join(origins)))
    return Assistant(actions, rasa, web_port, other_port)


@dataclass
class WebStack:
    """The shared assistant, the widget's web server pointed at it, and another site's pages
    (tests/web/pages/: a forum post that embeds the widget, rasa-webchat 1.0.1)."""

    assistant: Assistant
    web: WebServer
    other_site: StaticSite

    @property
    def rasa_url(self) -> str:
        return self.assistant.url

    def stop(self) -> None:
        self.other_site.stop()
        self.web.stop()


@shared_server
def web_stack(shared: Shared) -> WebStack:
    assistant = shared.get("assistant")
    workdir = shared.workdir("web_stack")
    web = WebServer(workdir, assistant.url, name="web_rasa", port=assistant.web_port)
    pages = workdir / "other_site"
    pages.mkdir(exist_ok=True)
    values = {"EMBED_URL": web.at("embed.html"), "WEBCHAT_JS": web.at("vendor/rasa-webchat.js"),
              "RASA_URL": assistant.url}
    for page in (REPO / "tests" / "web" / "pages").glob("*.html"):
        text = page.read_text()
        for name, value in values.items():
            text = text.replace("{{" + name + "}}", value)
        (pages / page.name).write_text(text)
    other = StaticSite(pages, workdir, "/forum-post.html", port=assistant.other_port)
    return WebStack(assistant, web, other)


class FakeBot(PythonApp):
    """tests/web/fake_bot.py: a scripted socketio server for the widget tests (no model)."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(REPO / "tests" / "web" / "fake_bot.py", ["--port", "{port}"], workdir, "/received",
                         timeout=30)

    def received(self) -> List[dict]:
        with urllib.request.urlopen(self.url + "/received", timeout=5) as response:
            return json.loads(response.read())


@shared_server
def fake_bot(shared: Shared) -> FakeBot:
    return FakeBot(shared.workdir("fake_bot"))


@shared_server
def fake_web(shared: Shared) -> WebServer:
    """The widget's web server, configured to talk to the fake bot."""
    return WebServer(shared.workdir("fake_web"), shared.get("fake_bot").url, name="web_fake")


@shared_server
def chromium(shared: Shared) -> Chromium:
    """One headless Chromium for the run; each test gets its own browser context."""
    return Chromium(shared.workdir("chromium"))


@pytest.fixture(scope="session")
def servers():
    """Servers a test starts for itself, stopped by PID at the end of the run if it did not."""
    started: List = []
    yield started
    for server in reversed(started):
        server.stop()
