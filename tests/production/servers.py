"""Real local servers for the production tests: started on free 127.0.0.1 ports in a temp dir,
stopped by PID. A missing system binary skips the test locally and fails it in CI (CI=true)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"

# Debian package that provides each binary, for the skip/fail message.
PACKAGES = {"redis-server": "redis-server", "redis-cli": "redis-tools"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_binary(name: str) -> str:
    """Path of a system binary; skip (locally) or fail (CI=true) when it is missing."""
    path = shutil.which(name)
    if path:
        return path
    message = (
        f"'{name}' is not installed (Debian package '{PACKAGES.get(name, name)}'; "
        f"`.ci/run` installs it)."
    )
    if in_ci():
        pytest.fail(message + " CI=true, so this is a failure, not a skip.")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited early with code {proc.returncode}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """A process we started; ``stop`` ends it by its PID (TERM, then KILL)."""

    def __init__(self, args: Sequence[str], cwd: Path, log: Path, env: Optional[Dict] = None):
        self.args = list(args)
        self.log = log
        self._log_file = open(log, "ab")
        self.proc = subprocess.Popen(
            self.args,
            cwd=str(cwd),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        self._log_file.close()

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")


class RedisServer(Server):
    def __init__(self, workdir: Path, password: Optional[str] = None):
        binary = require_binary("redis-server")
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = password
        args: List[str] = [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(workdir),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "yes",
        ]
        if password:
            args += ["--requirepass", password]
        super().__init__(args, cwd=workdir, log=workdir / "redis.log")
        wait_until(self._ping, 10, "redis-server", proc=self.proc)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}"

    def client(self, db: int = 1):
        import redis

        return redis.StrictRedis(
            host="127.0.0.1", port=self.port, db=db, password=self.password
        )

    def _ping(self) -> bool:
        return bool(self.client().ping())


RASA = VENV_BIN / "rasa"


def rasa_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def train_tiny_bot(workdir: Path) -> Path:
    """Trains tests/production/tiny_bot in ``workdir``; returns the model's path."""
    shutil.copytree(REPO / "tests" / "production" / "tiny_bot", workdir, dirs_exist_ok=True)
    subprocess.run(
        [str(RASA), "train", "--quiet", "--out", "models", "--fixed-model-name", "tiny"],
        cwd=str(workdir),
        env=rasa_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )
    return workdir / "models" / "tiny.tar.gz"


class RasaServer(Server):
    """`rasa run` on a free port; ready when its HTTP root answers."""

    def __init__(
        self,
        model: Path,
        workdir: Path,
        args: Sequence[str] = (),
        env: Optional[Dict[str, str]] = None,
        log_name: str = "rasa.log",
    ):
        self.port = free_port()
        super().__init__(
            [str(RASA), "run", "--model", str(model), "--interface", "127.0.0.1",
             "--port", str(self.port), *args],
            cwd=workdir,
            log=workdir / log_name,
            env=env or rasa_env(),
        )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_until(self._ready, 180, "rasa run", proc=self.proc)

    def _ready(self) -> bool:
        import urllib.request

        with urllib.request.urlopen(self.url + "/", timeout=2) as resp:
            return resp.status == 200


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
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
        self.server = Server(args, cwd=tmp, log=tmp / "server.log", env=env)
        wait_until(lambda: port_open(self.port), 90, "channel app", proc=self.server.proc)
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
