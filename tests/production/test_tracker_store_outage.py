"""PostgreSQL restarted under a running `rasa run` (addons.tracker_store).

The bot recovers without a restart of its own; a message that arrives while the database is
away waits for it (up to `retry_seconds`) and is then answered with its context and stored;
when the database stays away longer the user is told to try again, and nothing is
acknowledged that was not stored. (Stock `type: SQL`, measured: the message during the outage
is answered from an empty conversation with HTTP 200 and never stored.)
"""

from __future__ import annotations

import json
import threading
import time

import requests

from tests.support.servers import (
    TRACKER_STORE_ENDPOINT,
    PostgresServer,
    RasaServer,
    rasa_env,
)

ENDPOINTS = TRACKER_STORE_ENDPOINT + "  retry_seconds: 8\n"
SORRY = "Sorry, something went wrong on my side"


def test_postgres_restart_loses_no_acknowledged_message(tiny_model, tmp_path):
    pg = PostgresServer(tmp_path)
    (tmp_path / "endpoints.yml").write_text(ENDPOINTS)
    (tmp_path / "credentials.yml").write_text("addons.rest_channel.HardenedRestInput:\n")
    rasa = None
    try:
        rasa = RasaServer(
            tiny_model,
            tmp_path,
            args=["--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
            env=rasa_env(TRACKER_DB_URL=pg.url),
        )
        sender = "outage-user"

        def say(text):
            resp = requests.post(
                rasa.url + "/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
                timeout=90,
            )
            assert resp.status_code == 200
            return [m["text"] for m in resp.json()]

        def stored():
            rows = pg.execute(
                f"SELECT data FROM events WHERE sender_id = '{sender}' ORDER BY id"
            )
            return [json.loads(r[0])["text"] for r in rows if json.loads(r[0])["event"] == "user"]

        assert say("hello") == ["Hello!"]
        assert say("I live in Springfield") == ["Noted."]

        # 1. restart while idle: the pooled connections are dead, the next message works
        pg.stop()
        pg.start()
        assert say("where do I live") == ["You live in Springfield."]

        # 2. a message arrives while the database is down, which comes back within the budget
        pg.stop()
        answer = {}
        worker = threading.Thread(target=lambda: answer.update(reply=say("where am I from")))
        started = time.monotonic()
        worker.start()
        time.sleep(3)
        pg.start()
        worker.join(timeout=60)
        assert answer["reply"] == ["You live in Springfield."]  # with its context
        assert 2.5 < time.monotonic() - started < 30

        # 3. the database stays away past the budget: no answer that would be forgotten
        pg.stop()
        try:
            reply = say("hello")
        finally:
            pg.start()
        assert len(reply) == 1 and reply[0].startswith(SORRY)

        assert say("bye") == ["Bye!"]
        assert stored() == [
            "hello", "I live in Springfield", "where do I live", "where am I from", "bye",
        ]
    finally:
        if rasa:
            rasa.stop()
        pg.remove()
