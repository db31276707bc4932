"""'Forget me' end to end: the action server and `rasa run` with the trained model on free
local ports, the tracker store of endpoints.yml on SQLite and on PostgreSQL.

The database is read directly: after "yes" to "delete this conversation?" no event of that
sender remains (not even the confirmation), other conversations are untouched, and the next
message starts a new conversation (session start, no remembered cancer type). A "no" keeps
everything. The web widget's channel (socketio) deletes the same way and also gets the marker
that makes the widget drop its own copy. A delete the database refuses is never confirmed, on
either channel.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import uuid
from typing import Callable, List, NamedTuple

import pytest
import requests

from addons import input_guard
from tests.support.fixtures import shared_server
from tests.support.servers import STORE_ENDPOINTS, RasaServer, model_path, rasa_env

pytestmark = [pytest.mark.model, pytest.mark.shared_servers("forget_me_sqlite", "forget_me_postgresql")]

ASK = "Do you want me to delete this conversation?"
DONE = "Done. I have deleted this conversation. If you write again, we start a new one."
GUIDANCE = "Please talk to your healthcare provider"
TECHNICAL_PROBLEM = input_guard.NOTES["utter_technical_problem"]  # the domain has no own wording


class Stack(NamedTuple):
    rasa: RasaServer
    events: Callable[[str], List[dict]]  # a sender's stored events, read from the database
    refuse_deletes: Callable[[bool], None]  # a trigger that makes the database refuse deletes
    refuse_inserts: Callable[[bool], None]  # one that makes it refuse to store new events


def _start_stack(shared, url: str, env_db: str):
    return RasaServer(
        model_path(), shared.workdir(f"forget_me_{env_db}"), action_url=shared.get("action_server").url,
        endpoints=STORE_ENDPOINTS,
        env=rasa_env(TRACKER_DB_URL=url, LOCK_STORE="in_memory", LOCK_STORE_URL=""),
    )


@shared_server
def forget_me_sqlite(shared):
    """`rasa run` on a SQLite tracker store of its own (started early, in the background)."""
    path = shared.workdir("forget_me_sqlite") / "conversations.db"
    return _start_stack(shared, f"sqlite:///{path}", "sqlite"), path  # an absolute path: four slashes


@shared_server
def forget_me_postgresql(shared):
    """`rasa run` on its own database of the run's PostgreSQL cluster."""
    pg = shared.get("postgres_server")
    pg.execute("CREATE DATABASE forget_me", db="postgres")
    return _start_stack(shared, pg.url_of("forget_me"), "postgresql"), pg


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request):
    """`rasa run` with the action server, on one tracker store, and that store's database. One
    server per store for the module: each test talks as new senders (uuid) and undoes the
    triggers it sets."""
    if request.param == "postgresql":
        rasa, pg = request.getfixturevalue("forget_me_postgresql")
        pg.execute(
            "CREATE OR REPLACE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$", db="forget_me"
        )

        def events(sender):
            rows = pg.execute(f"SELECT data FROM events WHERE sender_id = '{sender}' ORDER BY id", db="forget_me")
            return [json.loads(r[0]) for r in rows]

        def refuse(on, what="DELETE"):
            pg.execute(
                f"CREATE TRIGGER refuse BEFORE {what} ON events "
                "FOR EACH ROW EXECUTE FUNCTION refuse_delete()"
                if on else "DROP TRIGGER refuse ON events", db="forget_me"
            )
    else:
        rasa, path = request.getfixturevalue("forget_me_sqlite")

        def events(sender):
            with sqlite3.connect(path) as conn:
                rows = conn.execute(
                    "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
                ).fetchall()
            return [json.loads(r[0]) for r in rows]

        def refuse(on, what="DELETE"):
            with sqlite3.connect(path) as conn:
                conn.execute(
                    f"CREATE TRIGGER refuse BEFORE {what} ON events "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                    if on else "DROP TRIGGER refuse"
                )

    return Stack(rasa, events, lambda on: refuse(on, "DELETE"), lambda on: refuse(on, "INSERT"))


def say(rasa, sender, text):
    response = requests.post(f"{rasa.url}/webhooks/rest/webhook",
                             json={"sender": sender, "message": text}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def texts(replies):
    return [r.get("text") for r in replies]


def user_texts(events):
    return [e["text"] for e in events if e["event"] == "user"]


def test_forget_me_deletes_only_that_conversation_and_starts_afresh(stack):
    rasa, events = stack.rasa, stack.events
    me, other, keeper = (f"{name}-{uuid.uuid4().hex[:8]}" for name in ("me", "other", "keeper"))

    say(rasa, other, "my dad has lung cancer")
    say(rasa, me, "my mum has breast cancer")
    assert "bone" in "\n".join(texts(say(rasa, me, "where can it spread?")))
    others_before = events(other)
    assert user_texts(others_before) == ["my dad has lung cancer"]

    asked = say(rasa, me, "please delete this conversation")
    assert texts(asked) == [asked[0]["text"]] and asked[0]["text"].startswith(ASK)
    assert [b["payload"] for b in asked[0]["buttons"]] == ["/affirm", "/deny"]
    assert len(events(me)) > 20, "the question is stored like any turn"

    # the "Yes, delete it" button
    assert texts(say(rasa, me, "/affirm")) == [DONE]
    assert events(me) == [], "nothing of the conversation remains, not even the confirmation"
    assert events(other) == others_before, "other conversations are untouched"

    # the next message starts a new conversation: the cancer type is gone
    replies = texts(say(rasa, me, "where can it spread?"))
    assert replies[0].startswith("Which cancer do you mean?"), replies
    fresh = events(me)
    assert [e["event"] for e in fresh[:3]] == ["action", "session_started", "action"]
    assert fresh[0]["name"] == "action_session_start"
    assert user_texts(fresh) == ["where can it spread?"]
    assert not [e for e in fresh if e["event"] == "slot" and e["name"] in ("cancer_type", "forget_conversation")]

    # asked in words and confirmed in words
    say(rasa, other, "forget everything I told you")
    assert texts(say(rasa, other, "yes please")) == [DONE]
    assert events(other) == []
    assert user_texts(events(me)) == ["where can it spread?"], "and the first one is left alone"

    # "no" keeps everything, and the conversation goes on with its context
    say(rasa, keeper, "my mum has breast cancer")
    say(rasa, keeper, "erase my data")
    kept = texts(say(rasa, keeper, "no, keep it"))
    assert kept[0] == "OK, I have kept it. Nothing was deleted." and kept[-1].startswith(GUIDANCE)
    assert user_texts(events(keeper)) == ["my mum has breast cancer", "erase my data", "no, keep it"]
    assert "bone" in "\n".join(texts(say(rasa, keeper, "where can it spread?")))

    # a yes when nothing was asked deletes nothing
    before = len(events(keeper))
    replies = texts(say(rasa, keeper, "yes"))
    assert replies[-1].startswith(GUIDANCE) and DONE not in replies
    assert len(events(keeper)) > before


@contextlib.contextmanager
def widget_chat(rasa):
    """send(text) -> the bot's replies to it, over socketio (the widget's channel); and the
    session id, which is the sender id."""
    import socketio

    received: "queue.Queue[dict]" = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", received.put)
    confirmed: "queue.Queue[str]" = queue.Queue()
    client.on("session_confirm", lambda data: confirmed.put(data if isinstance(data, str) else data["session_id"]))
    client.connect(rasa.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=20)
    try:
        client.emit("session_request", {"session_id": None})
        session = confirmed.get(timeout=20)

        def send(text):
            client.emit("user_uttered", {"message": text, "session_id": session})
            messages = [received.get(timeout=60)]
            while True:  # the rest of the turn
                try:
                    messages.append(received.get(timeout=2))
                except queue.Empty:
                    return messages

        yield send, session
    finally:
        # client.disconnect() waits for the pending long-poll, which the server only answers at
        # its next ping (25 s): close the Engine.IO session without waiting instead.
        client.eio.disconnect(abort=True)


def test_forget_me_over_the_web_widgets_channel(stack):
    """socketio (the widget's channel): deleted the same way, and the marker arrives."""
    events = stack.events
    with widget_chat(stack.rasa) as (send, session):
        send("my mum has breast cancer")
        assert send("delete my conversation")[0]["text"].startswith(ASK)
        assert user_texts(events(session)) == ["my mum has breast cancer", "delete my conversation"]
        done = send("/affirm")
        assert done == [{"text": DONE}, {"conversation_forgotten": True}]
        assert events(session) == []


def test_a_deletion_the_database_refused_is_never_confirmed(stack):
    """The database refuses the delete: neither channel says "done" (socketio sends as Rasa
    speaks, so it holds the turn's last replies until the save), nor does the widget get the
    marker; the apology with the guidance comes instead, and nothing was deleted. Once the
    database accepts deletes again, asking again deletes the conversation."""
    rasa, events = stack.rasa, stack.events
    rest_user = f"rest-{uuid.uuid4().hex[:8]}"
    say(rasa, rest_user, "my mum has breast cancer")
    assert texts(say(rasa, rest_user, "delete my conversation"))[0].startswith(ASK)

    with widget_chat(rasa) as (send, session):
        send("my dad has lung cancer")
        assert send("delete my conversation")[0]["text"].startswith(ASK)
        stack.refuse_deletes(True)
        try:
            refused = send("/affirm")
        finally:
            stack.refuse_deletes(False)

    stack.refuse_deletes(True)
    try:
        rest_refused = say(rasa, rest_user, "/affirm")
    finally:
        stack.refuse_deletes(False)

    for replies, sender, first in ((refused, session, "my dad has lung cancer"),
                                   (rest_refused, rest_user, "my mum has breast cancer")):
        assert DONE not in texts(replies) and {"conversation_forgotten": True} not in replies
        said = "\n\n".join(texts(replies))  # socketio sends each paragraph on its own
        assert said.startswith(TECHNICAL_PROBLEM), replies
        assert said.split("\n\n")[-1].startswith(GUIDANCE), replies
        assert said.count("\n\n") == 1, "only the apology"
        assert user_texts(events(sender))[0] == first, "nothing was deleted"

    # asked again with the database accepting deletes
    assert texts(say(rasa, rest_user, "delete my conversation"))[0].startswith(ASK)
    assert texts(say(rasa, rest_user, "/affirm")) == [DONE]
    assert events(rest_user) == []


CRISIS = "i just want to die, i'm so tired of all of this"
CRISIS_START = "I'm so sorry things feel this hard."
URGENT = "my husband is coughing up blood right now"
URGENT_START = "⚠️ What you describe may need urgent care"


def test_crisis_and_urgent_replies_survive_a_refused_save(stack):
    """Safety rule 3: the database refuses to store the turn. The crisis and urgent-care
    replies still come first, on REST and socketio (which sends them at once, unheld), and the
    apology says that the rest could not be kept."""
    rest_user = f"rest-{uuid.uuid4().hex[:8]}"
    with widget_chat(stack.rasa) as (send, _session):
        send("hello")  # the session exists before the database stops storing
        stack.refuse_inserts(True)
        try:
            replies = {
                "rest crisis": texts(say(stack.rasa, rest_user, CRISIS)),
                "rest urgent": texts(say(stack.rasa, rest_user + "-u", URGENT)),
                "socketio crisis": texts(send(CRISIS)),
                "socketio urgent": texts(send(URGENT)),
            }
        finally:
            stack.refuse_inserts(False)
    for name, said in replies.items():
        start = CRISIS_START if "crisis" in name else URGENT_START
        assert said[0].startswith(start), (name, said)
        assert any(t.startswith(TECHNICAL_PROBLEM) for t in said), (name, said)
