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
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

# The shared server-test support; re-exported for the production tests that import them here.
from tests.support.servers import (  # noqa: F401
    RASA,
    REPO,
    Server,
    free_port,
    http_ok,
    rasa_env,
    wait_until,
)
from tests.support.servers import require_binary as _require_binary

# Debian package that provides each binary, for the skip/fail message.
PACKAGES = {"redis-server": "redis-server", "redis-cli": "redis-tools"}

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


def require_binary(name: str) -> str:
    """Path of a system binary; skip (locally) or fail (CI=true) when it is missing."""
    return _require_binary(name, PACKAGES.get(name))


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


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
        wait_until(lambda: http_ok(self.url + "/"), 180, "rasa run", proc=self.proc)


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


def _postgres_bin(name: str) -> str:
    """A PostgreSQL server binary: on PATH, or in Debian's /usr/lib/postgresql/N/bin."""
    path = shutil.which(name)
    if path:
        return path
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    PACKAGES.setdefault(name, "postgresql")
    return require_binary(name)


class PostgresServer(Server):
    """A throw-away PostgreSQL cluster (initdb) on a free port, trust auth on 127.0.0.1.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
    (created by the Debian package) and lives in a directory that user owns."""

    def __init__(self, parent: Path, db: str = "rasa"):
        import tempfile

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
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=str(self.home),
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
        wait_until(self._ready, 30, "postgres", proc=self.proc)

    def _popen_kwargs(self) -> Dict:
        return self._run_as

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> None:
        """Fast shutdown (SIGINT): SIGTERM would wait for every client to disconnect."""
        super().stop(sig, timeout)

    def _ready(self) -> bool:
        return self.execute("SELECT 1", db="postgres") == [(1,)]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.db}"

    def execute(self, sql: str, db: Optional[str] = None):
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=db or self.db,
            connect_timeout=3,
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
