"""'Forget me' in the tracker store (addons/tracker_store.py), on SQLite and PostgreSQL.

Saving a tracker that carries the `forget_conversation` slot deletes every stored event of
its sender, in every session, instead of appending; other senders are untouched; the next
tracker of that sender starts from nothing. The database is read directly, not through Rasa.
"""

from __future__ import annotations

import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered,
)

from addons.tracker_store import FORGET_SLOT, ResilientSQLTrackerStore, forget_requested

DOMAIN = Domain.from_yaml(f"""
version: "3.1"
slots:
  cancer_type: {{type: text, influence_conversation: false, mappings: [{{type: custom}}]}}
  {FORGET_SLOT}: {{type: bool, influence_conversation: false, mappings: [{{type: custom}}]}}
""")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """(store, count(sender) read straight from the database)."""
    if request.param == "postgresql":
        pg = request.getfixturevalue("postgres_server")
        pg.execute("DROP TABLE IF EXISTS events")
        store = ResilientSQLTrackerStore(DOMAIN, host=pg.url, retry_seconds=2)

        def count(sender):
            return pg.execute(f"SELECT count(*) FROM events WHERE sender_id = '{sender}'")[0][0]
    else:
        path = tmp_path / "conversations.db"
        store = ResilientSQLTrackerStore(DOMAIN, host=f"sqlite:///{path}", retry_seconds=2)

        def count(sender):
            with sqlite3.connect(path) as conn:
                return conn.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]

    yield store, count
    store.engine.dispose()


def turn(text, answer):
    # Made when played: Rasa finds the latest session by timestamp, so order matters.
    return [UserUttered(text, {"name": "inform", "confidence": 1.0}), SlotSet("cancer_type", "breast"),
            ActionExecuted("utter_x"), BotUttered(answer), ActionExecuted("action_listen")]


async def talk(store, sender, text, answer, new_session=False):
    """One message as Rasa handles it: read the tracker (a new one starts a session), add the
    turn, save. Returns the tracker as it is in memory after the save."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    if new_session or not tracker.events:
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
    for event in turn(text, answer):
        tracker.update(event)
    await store.save(tracker)
    return tracker


async def test_saving_the_marked_turn_deletes_every_event_of_the_sender(db):
    store, count = db
    await talk(store, "other", "my dad has lung cancer", "Thank you.")
    others = count("other")
    await talk(store, "me", "my mum has breast cancer", "Thank you.")
    # a second session: the deletion covers every session, not only the one in memory
    await talk(store, "me", "where does it spread", "Bone.", new_session=True)
    assert count("me") == 2 * 8

    tracker = await store.retrieve("me")  # the next message: only the latest session is read
    tracker.update(UserUttered("/affirm", {"name": "affirm", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_forget_conversation"))
    tracker.update(SlotSet(FORGET_SLOT, True))
    tracker.update(ActionExecuted("utter_conversation_forgotten"))
    tracker.update(BotUttered("Done. I have deleted this conversation."))
    tracker.update(ActionExecuted("action_listen"))
    assert forget_requested(tracker)
    await store.save(tracker)

    assert count("me") == 0, "nothing remains, not even the confirmation"
    assert count("other") == others, "other conversations are untouched"
    assert await store.retrieve("me") is None
    assert await store.retrieve_full_tracker("me") is None
    # saved again (a retry, a second save in the same request): still nothing stored
    await store.save(tracker)
    assert count("me") == 0

    # the next message starts a new conversation: nothing carried over
    fresh = await talk(store, "me", "hello", "Hello!")
    stored = await store.retrieve_full_tracker("me")
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["hello"]
    assert sum(isinstance(e, SessionStarted) for e in stored.events) == 1
    assert fresh.get_slot(FORGET_SLOT) is None
    assert not any(isinstance(e, SlotSet) and e.key == FORGET_SLOT for e in stored.events)


@pytest.mark.parametrize("value", [False, None, "true", 1])
async def test_only_the_slot_set_to_true_deletes(db, value):
    store, count = db
    await talk(store, "keep", "hi", "Hello!")
    before = count("keep")
    tracker = await store.retrieve("keep")
    tracker.update(SlotSet(FORGET_SLOT, value))
    await store.save(tracker)
    assert count("keep") == before + 1, "saved as usual"


async def test_the_marker_counts_wherever_it_is_in_the_turn(db):
    """Events after the marker (the confirmation, action_listen) do not hide it, and a slot
    reset in the same turn does not undo it: the request was made and confirmed."""
    store, count = db
    await talk(store, "later", "hi", "Hello!")
    tracker = await store.retrieve("later")
    tracker.update(SlotSet(FORGET_SLOT, True))
    tracker.update(SlotSet(FORGET_SLOT, None))
    tracker.update(ActionExecuted("action_listen"))
    assert tracker.get_slot(FORGET_SLOT) is None and forget_requested(tracker)
    await store.save(tracker)
    assert count("later") == 0


def test_the_marker_without_the_slot_in_the_domain_still_deletes():
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events("x", [SlotSet(FORGET_SLOT, True)], slots=[])
    assert forget_requested(tracker)


async def test_an_unreachable_database_deletes_nothing_and_says_so(tmp_path):
    """PostgreSQL down past retry_seconds: the save fails and marks the request, so the REST
    channel answers with its technical-problem note instead of "deleted"; the rows are still
    there, and the person can ask again."""
    import sqlalchemy.exc

    from addons.tracker_store import reset_storage_failed, storage_failed
    from tests.support.servers import PostgresServer

    pg = PostgresServer(tmp_path)
    try:
        store = ResilientSQLTrackerStore(DOMAIN, host=pg.url, retry_seconds=1)
        await talk(store, "me", "hi", "Hello!")
        tracker = await store.retrieve("me")
        tracker.update(SlotSet(FORGET_SLOT, True))
        pg.stop()
        reset_storage_failed()
        with pytest.raises(sqlalchemy.exc.OperationalError):
            await store.save(tracker)
        assert storage_failed()
        pg.start()
        assert pg.execute("SELECT count(*) FROM events WHERE sender_id = 'me'")[0][0] == 8
        reset_storage_failed()
        await store.save(tracker)  # asked again, with the database back
        assert pg.execute("SELECT count(*) FROM events WHERE sender_id = 'me'")[0][0] == 0
        store.engine.dispose()
    finally:
        pg.remove()
