"""The one harness for the servers the tests drive: Rasa, the action server, the web server and
other small apps, PostgreSQL, Redis and Chromium.

Every server is a process started on a free 127.0.0.1 port, with its output in a log file, and
stopped by its PID (its process group: children such as Sanic workers stop too). A test that
needs a system binary or the trained model skips with the reason on a laptop and fails when
CI=true, so a missing install step in .ci/run can never pass as green.

Servers that several tests can share are session fixtures (tests/support/fixtures.py); they
start in the background as soon as pytest knows a selected test needs them
(`tests/support/fixtures.py: pytest_collection_modifyitems`), so their slow start overlaps the
tests that need no server.
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
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
RASA = VENV_BIN / "rasa"
PYTHON = VENV_BIN / "python"
WEB = REPO / "web"

# The stores of docs/production.md's endpoints.yml, filled by environment variables.
TRACKER_STORE_ENDPOINT = """\
tracker_store:
  type: addons.tracker_store.ResilientSQLTrackerStore
  url: ${TRACKER_DB_URL}
"""
STORE_ENDPOINTS = TRACKER_STORE_ENDPOINT + """\
lock_store:
  type: ${LOCK_STORE}
  url: ${LOCK_STORE_URL}
"""

# Debian package that provides each binary, for the skip/fail message.
PACKAGES = {"redis-server": "redis-server", "redis-cli": "redis-tools", "initdb": "postgresql",
            "postgres": "postgresql"}


# ---------------------------------------------------------------- skip locally, fail in CI
def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip on a laptop; fail in CI, where .ci/run must have provided it."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


def require_binary(name: str, package: Optional[str] = None) -> str:
    """Path of a system binary; skip (locally) or fail (CI=true) when it is missing."""
    path = shutil.which(name)
    if not path:
        unavailable(f"'{name}' is not installed (Debian package '{package or PACKAGES.get(name, name)}'; "
                    ".ci/run installs it)")
    return path


def model_path() -> Path:
    """The model trained in this run (make test exports MODEL_PATH; relative to the repository)."""
    value = os.environ.get("MODEL_PATH", "").strip()
    path = Path(value) if value else None
    if path is not None and not path.is_absolute():
        path = REPO / path
    if path is None or not path.is_file():
        unavailable(f"MODEL_PATH={value!r} is not a trained model: run the tests through `make test` "
                    "(it trains the model and exports MODEL_PATH)")
    return path


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        unavailable("Chromium is missing: apt-get install chromium")
    return path


# ---------------------------------------------------------------- ports and waiting
_GIVEN: set = set()
_GIVEN_LOCK = threading.Lock()


def free_port() -> int:
    """A port nothing listens on, never one this run handed out before: servers that start
    at once (and bind late, like Rasa after loading its model) cannot get the same one."""
    with _GIVEN_LOCK:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if port not in _GIVEN:
                _GIVEN.add(port)
                return port


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check: Callable[[], bool], timeout: float, what: str, proc=None,
               log: Optional[Path] = None) -> None:
    """Wait until `check()` is true, failing early (with the log's tail) if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited early with code {proc.returncode}{_tail(log)}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout} s{_tail(log)}")


def _tail(log: Optional[Path]) -> str:
    return ":\n" + log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


def http_answers(url: str) -> bool:
    """The URL answers at all (any HTTP status)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True


def http_get(url: str, headers=None, timeout: float = 10):
    """(status, headers, body) of a GET, error statuses included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def rasa_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


# ---------------------------------------------------------------- processes
class Server:
    """A process this test run started; `stop` ends it by its PID (TERM, then KILL)."""

    def __init__(self, args: Sequence[str], cwd: Path, log: Path, env: Optional[Dict[str, str]] = None):
        self.args = [str(a) for a in args]
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(log, "ab")
        self.proc = subprocess.Popen(
            self.args, cwd=str(cwd), stdout=self._log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env or rasa_env(), start_new_session=True,
            **self._popen_kwargs(),
        )
        self.pid = self.proc.pid

    def _popen_kwargs(self) -> Dict:
        """Extra subprocess.Popen arguments for a subclass (e.g. the user to run as)."""
        return {}

    def wait_ready(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        try:
            wait_until(check, timeout, what, self.proc, self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Signal the process group the server leads (start_new_session), by the server's PID."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        if not self._log_file.closed:
            self._log_file.close()

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")


def stop_all(servers: Sequence[Server]) -> None:
    for server in reversed(servers):
        server.stop()


class ActionServer(Server):
    """The project's action server (rasa_sdk) on a free port."""

    def __init__(self, workdir: Path, env: Optional[Dict[str, str]] = None, port: Optional[int] = None):
        self.port = port or free_port()
        super().__init__(
            [PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.port)],
            cwd=REPO, log=workdir / f"actions-{self.port}.log",
            env=rasa_env(SANIC_HOST="127.0.0.1", **(env or {})),
        )
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self.wait_ready(lambda: http_ok(f"http://127.0.0.1:{self.port}/health"), 120, "action server")
        self._warm_up()

    def _warm_up(self) -> None:
        """Run one action, so that the knowledge base (loaded on first use) is in memory before
        a test's first turn: a test with a 2 s action timeout must not time out on that load
        when the machine is busy."""
        message = {"text": "what is metastasis", "intent": {"name": "ask_definition", "confidence": 1.0},
                   "entities": []}
        body = {"next_action": "action_answer", "sender_id": "harness-warm-up", "domain": {},
                "version": "3.6.21",
                "tracker": {"sender_id": "harness-warm-up", "slots": {}, "latest_message": message,
                            "events": [], "paused": False, "followup_action": None, "active_loop": {},
                            "latest_action_name": "action_listen"}}
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:  # a 404 means a renamed action
            assert response.status == 200, f"warm-up action answered {response.status}"


class RasaServer(Server):
    """`rasa run` on a free port; ready when its HTTP root answers (the model is loaded then).

    With `action_url` or `endpoints` (YAML text), it runs from the repository with an endpoints
    file written for it and the project's credentials.yml, as `make serve` does; otherwise from
    `workdir` with exactly the given `args`. `env`: variables on top of `rasa_env()`.
    """

    def __init__(
        self,
        model: Path,
        workdir: Path,
        args: Sequence[str] = (),
        env: Optional[Dict[str, str]] = None,
        log_name: Optional[str] = None,
        action_url: Optional[str] = None,
        endpoints: Optional[str] = None,
        port: Optional[int] = None,
    ):
        self.port = port or free_port()
        cwd = workdir
        if action_url is not None or endpoints is not None:
            endpoints_file = workdir / f"endpoints-{self.port}.yml"
            text = endpoints or ""
            if action_url:
                # as endpoints.yml: the domain is not posted with each action call
                text = f'action_endpoint:\n  url: "{action_url}"\n  enable_selective_domain: true\n' + text
            endpoints_file.write_text(text)
            args = ["--endpoints", endpoints_file, "--credentials", REPO / "credentials.yml", *args]
            cwd = REPO
        super().__init__(
            [RASA, "run", "--model", model, "--interface", "127.0.0.1", "--port", str(self.port), *args],
            cwd=cwd, log=workdir / (log_name or f"rasa-{self.port}.log"), env=rasa_env(**(env or {})),
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_ready(lambda: http_ok(self.url + "/"), 300, "rasa run")


class RasaShell:
    """`rasa shell` in a terminal (pexpect), as `make chat` starts it: on 127.0.0.1 and a free
    port; ready once it printed "Bot loaded". `log`: everything the terminal showed, from the
    start (when asked for). `stop` ends it by its PID."""

    def __init__(self, model: Path, endpoints: Path, cwd: Path = REPO, env: Optional[Dict[str, str]] = None,
                 log: bool = False, **spawn):
        import io

        import pexpect

        self.terminal = pexpect.spawn(
            str(RASA), ["shell", "--model", str(model), "--endpoints", str(endpoints),
                        "--interface", "127.0.0.1", "--port", str(free_port())],
            cwd=str(cwd), env=rasa_env(**(env or {})), encoding="utf-8", timeout=300, **spawn,
        )
        self.log = io.StringIO() if log else None
        self.terminal.logfile_read = self.log  # the whole session, not only the text before a match
        try:
            self.terminal.expect("Bot loaded")
        except BaseException:
            self.stop()
            raise

    def stop(self, patience: float = 60.0) -> None:
        end_terminal(self.terminal, patience)


def end_terminal(terminal, patience: float = 60.0) -> None:
    """Ends a pexpect child (a `rasa shell`) by its PID. pexpect gives a killed child a fraction
    of a second to go; on a loaded machine a rasa process of 700 MB can take longer to be
    reaped, so the kill is repeated and waited for, up to `patience` seconds, before it counts
    as a failure."""
    import pexpect

    try:
        terminal.close(force=True)
        return
    except pexpect.ExceptionPexpect:
        pass
    deadline = time.monotonic() + patience
    while terminal.isalive():
        if time.monotonic() > deadline:
            raise RuntimeError(f"rasa shell (pid {terminal.pid}) did not end after SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.kill(terminal.pid, signal.SIGKILL)
        time.sleep(0.2)


def train_tiny_bot(workdir: Path) -> Path:
    """Trains tests/production/tiny_bot in ``workdir``; returns the model's path."""
    shutil.copytree(REPO / "tests" / "production" / "tiny_bot", workdir, dirs_exist_ok=True)
    subprocess.run(
        [str(RASA), "train", "--quiet", "--out", "models", "--fixed-model-name", "tiny"],
        cwd=str(workdir), env=rasa_env(), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600,
    )
    return workdir / "models" / "tiny.tar.gz"


class PythonApp(Server):
    """A small Python app of the tests or of web/ (its own script), ready when `ready_path` answers."""

    def __init__(self, script: Path, args: Sequence[str], workdir: Path, ready_path: str = "/",
                 name: Optional[str] = None, env: Optional[Dict[str, str]] = None, timeout: float = 60,
                 port: Optional[int] = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = rasa_env()
        full_env.pop("SOCKETIO_CORS_ORIGINS", None)  # each app states the allow-list it wants
        full_env.update(env or {})
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name or Path(script).stem)
        super().__init__([sys.executable, script, *[a.replace("{port}", str(self.port)) for a in args]],
                         cwd=REPO, log=workdir / f"{name}-{self.port}.log", env=full_env)
        self.wait_ready(lambda: http_answers(self.url + ready_path), timeout, name)


class WebServer(PythonApp):
    """web/serve.py, the chat widget's static server, pointed at a Rasa URL."""

    def __init__(self, workdir: Path, rasa_url: Optional[str] = None, extra: Sequence[str] = (),
                 name: str = "web", port: Optional[int] = None):
        if not (WEB / "node_modules").is_dir() and not (WEB / "vendor").is_dir():
            unavailable("web/node_modules is missing: run `make web` (npm ci in web/)")
        args = ["--host", "127.0.0.1", "--port", "{port}", *(["--rasa-url", rasa_url] if rasa_url else []), *extra]
        super().__init__(WEB / "serve.py", args, workdir, "/config.js", name=name, timeout=20, port=port)
        self.rasa_url = rasa_url or ""

    def at(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{path.lstrip('/')}"


class StaticSite(PythonApp):
    """`python -m http.server` over a folder: another site's pages, from a real loopback server
    (Chromium's Local Network Access checks block a page Playwright fulfils itself from
    reaching 127.0.0.1)."""

    def __init__(self, folder: Path, workdir: Path, ready_path: str, port: Optional[int] = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        Server.__init__(self, [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
                               "--directory", str(folder)],
                        cwd=REPO, log=workdir / f"site-{self.port}.log", env=rasa_env())
        self.wait_ready(lambda: http_answers(self.url + ready_path), 20, "static site")

    def at(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{path.lstrip('/')}"


class ChannelApp:
    """tests/production/channel_app.py: a real Rasa HTTP app with the hardened REST channel
    and a stub agent that records what reached it."""

    def __init__(self, tmp: Path, credentials=None):
        self.port = free_port()
        self.received = tmp / "received.jsonl"
        self.received.touch()
        script = REPO / "tests" / "production" / "channel_app.py"
        args = [sys.executable, str(script), str(self.port), str(self.received)]
        if credentials is not None:
            creds = tmp / "credentials.json"
            creds.write_text(json.dumps(credentials))
            args.append(str(creds))
        self.server = Server(args, cwd=tmp, log=tmp / "server.log", env=rasa_env())
        self.server.wait_ready(lambda: port_open(self.port), 90, "channel app")
        self.url = f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"
        import requests  # a Rasa dependency

        self.session = requests.Session()

    def post(self, body, raw: bool = False, **kwargs):
        data = body if raw else json.dumps(body)
        return self.session.post(self.url, data=data, timeout=30, **kwargs)

    def messages(self):
        return [json.loads(line) for line in self.received.read_text().splitlines() if line]

    def stop(self):
        self.session.close()
        self.server.stop()


class RedisServer(Server):
    def __init__(self, workdir: Path, password: Optional[str] = None):
        binary = require_binary("redis-server")
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = password
        args: List[str] = [
            binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(workdir),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
        ]
        if password:
            args += ["--requirepass", password]
        super().__init__(args, cwd=workdir, log=workdir / "redis.log")
        self.wait_ready(self._ping, 10, "redis-server")

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}"

    def client(self, db: int = 1):
        import redis

        return redis.StrictRedis(host="127.0.0.1", port=self.port, db=db, password=self.password)

    def _ping(self) -> bool:
        return bool(self.client().ping())


def _postgres_bin(name: str) -> str:
    """A PostgreSQL server binary: on PATH, or in Debian's /usr/lib/postgresql/N/bin."""
    path = shutil.which(name)
    if path:
        return path
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    return require_binary(name)


class PostgresServer(Server):
    """A throw-away PostgreSQL cluster (initdb) on a free port, trust auth on 127.0.0.1.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
    (created by the Debian package) and lives in a directory that user owns."""

    def __init__(self, parent: Path, db: str = "rasa"):
        initdb, postgres = _postgres_bin("initdb"), _postgres_bin("postgres")
        self.port = free_port()
        self.db = db
        self.user = None
        if os.geteuid() == 0:
            import pwd

            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root and there is no 'postgres' user to run PostgreSQL")
        # pytest's tmp dirs are 0700 root: the server gets its own directory under /tmp.
        self.home = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
        self.data = self.home / "data"
        if self.user:
            os.chown(self.home, self.user.pw_uid, self.user.pw_gid)
        run_as = dict(user=self.user.pw_uid, group=self.user.pw_gid) if self.user else {}
        subprocess.run(
            [initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(self.home),
            **run_as,
        )
        self._run_as = run_as
        self._postgres = postgres
        self._parent_log = parent / "postgres.log"
        self.start()
        self.execute(f"CREATE DATABASE {db}", db="postgres")

    def start(self) -> None:
        args = [
            self._postgres, "-D", str(self.data), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.home}",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300",
        ]
        super().__init__(args, cwd=self.home, log=self._parent_log, env=None)
        self.wait_ready(self._ready, 30, "postgres")

    def _popen_kwargs(self) -> Dict:
        return self._run_as

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> None:
        """Fast shutdown (SIGINT): SIGTERM would wait for every client to disconnect."""
        super().stop(sig, timeout)

    def _ready(self) -> bool:
        return self.execute("SELECT 1", db="postgres") == [(1,)]

    @property
    def url(self) -> str:
        return self.url_of(self.db)

    def url_of(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def execute(self, sql: str, db: Optional[str] = None):
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=db or self.db, connect_timeout=3,
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


# The flags Playwright 1.65 launches Chromium with (headless), so that the one browser the
# harness starts behaves as the browsers Playwright launched before (hidden scrollbars, no
# background throttling, touch-less pointer, ...).
CHROMIUM_ARGS = [
    "--disable-field-trial-config", "--disable-background-networking",
    "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
    "--disable-back-forward-cache", "--disable-breakpad",
    "--disable-component-extensions-with-background-pages", "--disable-component-update",
    "--no-default-browser-check", "--disable-default-apps", "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,"
    "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,"
    "ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,OptimizationHints,"
    "NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch",
    "--enable-features=CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies",
    "--allow-pre-commit-input", "--disable-hang-monitor", "--disable-ipc-flooding-protection",
    "--disable-popup-blocking", "--disable-prompt-on-repost", "--disable-renderer-backgrounding",
    "--force-color-profile=srgb", "--metrics-recording-only", "--no-first-run",
    "--password-store=basic", "--use-mock-keychain", "--no-service-autorun",
    "--disable-search-engine-choice-screen", "--enable-unsafe-swiftshader", "--disable-infobars",
    "--disable-sync", "--headless", "--hide-scrollbars", "--mute-audio",
    "--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4",
    # and the project's own, as before
    "--no-sandbox", "--disable-gpu", "--disable-quic",
]


class Chromium(Server):
    """Headless Chromium (Debian's, or $CHROMIUM) with its DevTools endpoint on a free port;
    the browser tests connect Playwright to it (`cdp_url`), one browser for the whole run."""

    def __init__(self, workdir: Path):
        binary = chromium_path()
        self.port = free_port()
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=str(workdir)))
        super().__init__([binary, *CHROMIUM_ARGS, f"--remote-debugging-port={self.port}",
                          "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile}",
                          "about:blank"],
                         cwd=workdir, log=workdir / f"chromium-{self.port}.log", env=dict(os.environ))
        self.cdp_url = f"http://127.0.0.1:{self.port}"
        self.wait_ready(lambda: http_ok(self.cdp_url + "/json/version"), 30, "chromium")
