"""Conversations stored before an answer turn became one action call go on as before.

stored_before_one_call.json holds two conversations exactly as the SQL tracker store kept them
at ce66681 (recorded there over REST, events as stored): an answer turn was then
`action_answer_<topic>`, nine `answer_*` slots, `utter_answer_<topic>` and
`action_close_answer`. The test writes them into a SQLite tracker store, starts today's
assistant on it and continues each conversation: a follow-up of the stored topic, the quick
reply the stored turn offered, and the same after the session expired (slots carried over).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import requests

from tests.support.servers import REPO, TRACKER_STORE_ENDPOINT, ActionServer, RasaServer, model_path, stop_all

pytestmark = pytest.mark.model

STORED = json.loads(Path(__file__).with_name("stored_before_one_call.json").read_text())
GUIDANCE = "Please talk to your healthcare provider"
RECENT, EXPIRED = 60, 2 * 3600  # seconds since the last stored event (sessions expire after 60 min)


def write_store(db: Path) -> Dict[str, Tuple[str, int]]:
    """Each stored conversation under two senders, last touched a minute and two hours ago;
    sender -> (stored conversation, number of events written)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(REPO / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(db))
    written = {}
    for name, events in STORED.items():
        for age in (RECENT, EXPIRED):
            shift = time.time() - age - events[-1]["timestamp"]
            moved = [{**event, "timestamp": event["timestamp"] + shift} for event in events]
            sender = f"{name}-{age}"
            asyncio.run(store.save(DialogueStateTracker.from_dict(sender, moved, domain.slots)))
            written[sender] = (name, len(events))
    return written


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Iterator[Tuple[str, Path, RasaServer]]:
    workdir = tmp_path_factory.mktemp("stored")
    db = workdir / "conversations.db"
    write_store(db)
    servers = []
    try:
        servers.append(ActionServer(workdir))
        servers.append(RasaServer(model_path(), workdir, action_url=servers[0].url, endpoints=TRACKER_STORE_ENDPOINT,
                                  env={"TRACKER_DB_URL": f"sqlite:///{db}"}))
        yield servers[1].url + "/webhooks/rest/webhook", db, servers[1]
    finally:
        stop_all(servers)


def say(url: str, sender: str, text: str) -> List[str]:
    response = requests.post(url, json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return [message.get("text") or "" for message in response.json()]


def events_after_last_message(db: Path, sender: str) -> List[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT type_name, action_name FROM events WHERE sender_id = ? ORDER BY id",
                            (sender,)).fetchall()
    last_user = max(i for i, (kind, _) in enumerate(rows) if kind == "user")
    return [f"{kind}:{action}" if action else kind for kind, action in rows[last_user + 1:]]


@pytest.mark.parametrize("age", [RECENT, EXPIRED])
def test_a_follow_up_of_a_stored_answer_repeats_its_topic(stored, age):
    url, db, _ = stored
    sender = f"stored-spread-{age}"
    said = say(url, sender, "and the liver?")
    assert said[0].startswith("Yes. The articles list the liver among the places where breast cancer spreads"), said
    assert said[-1].startswith(GUIDANCE)
    events = events_after_last_message(db, sender)
    assert events.count("action:action_answer") == 1 and "action:action_close_answer" not in events, events
    assert events[-1] == "action:action_listen"


@pytest.mark.parametrize("age", [RECENT, EXPIRED])
def test_the_quick_reply_a_stored_turn_offered_still_works(stored, age):
    """The stored turn asked "which cancer?" with cancer buttons; one of them, pressed now."""
    url, _, _ = stored
    said = say(url, f"stored-asked-back-{age}", '/ask_spread{"cancer_type":"breast"}')
    assert said[0].startswith("Where breast cancer most often spreads"), said
    assert said[-1].startswith(GUIDANCE)


def test_stored_conversations_load_without_errors(stored):
    url, _, server = stored
    for sender in (f"{name}-{age}" for name in STORED for age in (RECENT, EXPIRED)):
        say(url, sender, "how is it treated?")
    log = server.output()
    assert "non existent slot" not in log
    assert " ERROR " not in log, [line for line in log.splitlines() if " ERROR " in line][:5]
