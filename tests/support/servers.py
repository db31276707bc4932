"""Real local servers for tests: started on free 127.0.0.1 ports, stopped by their PID.

A test that needs a system binary skips with the reason on a laptop and fails when CI=true,
so a missing install step in .ci/run can never pass as green.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
RASA = VENV_BIN / "rasa"
PYTHON = VENV_BIN / "python"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip on a laptop; fail in CI, where .ci/run must have provided it."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


def require_binary(name: str, package: Optional[str] = None) -> str:
    path = shutil.which(name)
    if not path:
        unavailable(f"'{name}' is not installed (Debian package '{package or name}'; .ci/run installs it)")
    return path


def model_path() -> Path:
    """The model trained in this run (make test exports MODEL_PATH)."""
    value = os.environ.get("MODEL_PATH")
    if not value or not Path(value).is_file():
        unavailable("MODEL_PATH is not set to a trained model: run these tests through `make test`")
    return Path(value)


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
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


def rasa_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


class Server:
    """A process this test run started; `stop` ends it by its PID (TERM, then KILL)."""

    def __init__(self, args: Sequence[str], cwd: Path, log: Path, env: Optional[Dict[str, str]] = None):
        self.args = [str(a) for a in args]
        self.log = log
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
        if not self._log_file.closed:
            self._log_file.close()

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")


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
        wait_until(lambda: http_ok(f"http://127.0.0.1:{self.port}/health"), 120, "action server", self.proc)


class RasaServer(Server):
    """`rasa run` with the project's channels on a free port; ready when its root answers."""

    def __init__(
        self,
        model: Path,
        workdir: Path,
        action_url: Optional[str] = None,
        args: Sequence[str] = (),
        endpoints: str = "",
        env: Optional[Dict[str, str]] = None,
    ):
        self.port = free_port()
        endpoints_file = workdir / f"endpoints-{self.port}.yml"
        if action_url:
            endpoints = f'action_endpoint:\n  url: "{action_url}"\n' + endpoints
        endpoints_file.write_text(endpoints)
        super().__init__(
            [RASA, "run", "--model", model, "--interface", "127.0.0.1", "--port", str(self.port),
             "--endpoints", endpoints_file, "--credentials", REPO / "credentials.yml", *args],
            cwd=REPO, log=workdir / f"rasa-{self.port}.log", env=rasa_env(**(env or {})),
        )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: http_ok(self.url + "/"), 300, "rasa run", self.proc)


def stop_all(servers: List[Server]) -> None:
    for server in reversed(servers):
        server.stop()
