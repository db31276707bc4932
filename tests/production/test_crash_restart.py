"""A crash (kill -9 of `rasa run`) mid-conversation: after a restart the conversation goes on
with its context, on the default SQLite tracker store and on PostgreSQL.

The tiny test bot remembers a `place` slot from "I live in ..." and answers "where do I live"
from it; every message answered before the crash must be in the tracker after it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3

import pytest
import requests

from tests.support.fixtures import shared_server
from tests.support.servers import STORE_ENDPOINTS as ENDPOINTS
from tests.support.servers import RasaServer, port_open, rasa_env


def _say(server, sender, text):
    resp = requests.post(
        server.url + "/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    assert resp.status_code == 200
    return [m.get("text") for m in resp.json()]


def _user_texts(events):
    return [e["text"] for e in events if e["event"] == "user"]


ARGS = ["--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]


class Crash:
    """The store's first `rasa run` (started early, in the background) and how to read what
    the store holds."""

    def __init__(self, shared, store: str) -> None:
        self.store = store
        self.workdir = shared.workdir(f"crash-{store}")
        if store == "postgresql":
            self.postgres = shared.get("postgres_server")
            self.postgres.execute("CREATE DATABASE crash_restart", db="postgres")
            db_url = self.postgres.url_of("crash_restart")
        else:
            # the default layout: .rasa/conversations.db relative to the working directory
            (self.workdir / ".rasa").mkdir()
            db_url = "sqlite:///.rasa/conversations.db"
        (self.workdir / "endpoints.yml").write_text(ENDPOINTS)
        (self.workdir / "credentials.yml").write_text("addons.rest_channel.HardenedRestInput:\n")
        self.env = rasa_env(TRACKER_DB_URL=db_url, LOCK_STORE="in_memory", LOCK_STORE_URL="")
        self.model = shared.get("tiny_model")
        self.first = RasaServer(self.model, self.workdir, args=ARGS, env=self.env, log_name="before.log")

    def stored(self, sender):
        if self.store == "postgresql":
            rows = self.postgres.execute(
                f"SELECT data FROM events WHERE sender_id = '{sender}' ORDER BY id", db="crash_restart"
            )
            return [json.loads(r[0]) for r in rows]
        with sqlite3.connect(self.workdir / ".rasa" / "conversations.db") as conn:
            rows = conn.execute(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def stop(self) -> None:
        self.first.stop()


@shared_server(scope="module")
def crash_sqlite(shared) -> Crash:
    return Crash(shared, "sqlite")


@shared_server(scope="module")
def crash_postgresql(shared) -> Crash:
    return Crash(shared, "postgresql")


@pytest.mark.shared_servers("crash_sqlite", "crash_postgresql")
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_conversation_survives_kill_9(store, request):
    crash = request.getfixturevalue(f"crash_{store}")
    first, stored = crash.first, crash.stored
    sender = f"crash-{store}"

    try:
        assert _say(first, sender, "hello") == ["Hello!"]
        assert _say(first, sender, "I live in Zanzibarton") == ["Noted."]
        # crash right after an acknowledged message
        os.kill(first.pid, signal.SIGKILL)
        first.proc.wait(timeout=30)
        assert first.proc.returncode == -signal.SIGKILL
        assert not port_open(first.port)
    finally:
        first.stop()

    assert _user_texts(stored(sender)) == ["hello", "I live in Zanzibarton"]

    # the restart: a new process on the same store, started only now
    second = RasaServer(crash.model, crash.workdir, args=ARGS, env=crash.env, log_name="after.log")
    try:
        assert _say(second, sender, "where do I live") == ["You live in Zanzibarton."]
        assert _say(second, sender, "bye") == ["Bye!"]
    finally:
        second.stop()

    events = stored(sender)
    assert _user_texts(events) == ["hello", "I live in Zanzibarton", "where do I live", "bye"]
    # one session: the restart did not start a new one (which would be fine for slots, as
    # they carry over, but would mean the server lost track of the session)
    assert sum(e["event"] == "session_started" for e in events) == 1
