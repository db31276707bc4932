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

from tests.production.servers import STORE_ENDPOINTS as ENDPOINTS
from tests.production.servers import RasaServer, port_open, rasa_env


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


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_conversation_survives_kill_9(store, tiny_model, tmp_path, request):
    if store == "postgresql":
        postgres = request.getfixturevalue("postgres_server")
        postgres.execute("DROP TABLE IF EXISTS events")
        db_url = postgres.url

        def stored(sender):
            rows = postgres.execute(
                f"SELECT data FROM events WHERE sender_id = '{sender}' ORDER BY id"
            )
            return [json.loads(r[0]) for r in rows]

    else:
        # the default layout: .rasa/conversations.db relative to the working directory
        (tmp_path / ".rasa").mkdir()
        db_url = "sqlite:///.rasa/conversations.db"

        def stored(sender):
            with sqlite3.connect(tmp_path / ".rasa" / "conversations.db") as conn:
                rows = conn.execute(
                    "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
                ).fetchall()
            return [json.loads(r[0]) for r in rows]

    (tmp_path / "endpoints.yml").write_text(ENDPOINTS)
    (tmp_path / "credentials.yml").write_text("addons.rest_channel.HardenedRestInput:\n")
    env = rasa_env(TRACKER_DB_URL=db_url, LOCK_STORE="in_memory", LOCK_STORE_URL="")
    args = ["--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]
    sender = f"crash-{store}"

    first = RasaServer(tiny_model, tmp_path, args=args, env=env, log_name="before.log")
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

    second = RasaServer(tiny_model, tmp_path, args=args, env=env, log_name="after.log")
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
