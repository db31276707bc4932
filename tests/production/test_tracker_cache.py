"""The tracker cache and the one-statement write of addons/tracker_store.py (issue 13), on
SQLite and PostgreSQL.

Two store instances on one database stand for two replicas. Whatever one of them wrote or
deleted, the other's next read gives what a fresh read of the database gives: the cache is
checked against the database before each use. The database is read directly, or through
Rasa's own SQLTrackerStore, never through the cache under test.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable, List

import pytest
import sqlalchemy.exc
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered,
)

from addons.tracker_store import (
    FORGET_SLOT, ResilientSQLTrackerStore, reset_storage_failed, storage_failed,
)

DOMAIN = Domain.from_yaml(f"""
version: "3.1"
intents: [inform, affirm]
slots:
  cancer_type: {{type: text, influence_conversation: false, mappings: [{{type: custom}}]}}
  {FORGET_SLOT}: {{type: bool, influence_conversation: false, mappings: [{{type: custom}}]}}
""")


@dataclass
class Db:
    url: str
    refuse_inserts: Callable[[bool], None]  # a trigger that makes the database refuse rows
    rows: Callable[[str], List[tuple]]  # a sender's stored rows, every column but the id

    def store(self, **kwargs) -> ResilientSQLTrackerStore:
        return ResilientSQLTrackerStore(DOMAIN, host=self.url, retry_seconds=1, **kwargs)


COLUMNS = "sender_id, type_name, timestamp, intent_name, action_name, data"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "postgresql":
        pg = request.getfixturevalue("postgres_server")
        pg.execute("DROP TABLE IF EXISTS events")
        pg.execute(
            "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )

        def refuse(on):
            pg.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON events "
                "FOR EACH ROW EXECUTE FUNCTION refuse_insert()" if on else
                "DROP TRIGGER refuse ON events"
            )

        def rows(sender):
            return pg.execute(
                f"SELECT {COLUMNS} FROM events WHERE sender_id = '{sender}' ORDER BY id"
            )

        yield Db(pg.url, refuse, rows)
    else:
        path = tmp_path / "conversations.db"

        def refuse(on):
            with sqlite3.connect(path) as conn:
                conn.execute(
                    "CREATE TRIGGER refuse BEFORE INSERT ON events "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END" if on else
                    "DROP TRIGGER refuse"
                )

        def rows(sender):
            with sqlite3.connect(path) as conn:
                return conn.execute(
                    f"SELECT {COLUMNS} FROM events WHERE sender_id = ? ORDER BY id", (sender,)
                ).fetchall()

        yield Db(f"sqlite:///{path}", refuse, rows)


def turn(text, answer):
    return [UserUttered(text, {"name": "inform", "confidence": 1.0}, message_id="m",
                        parse_data={"intent": {"name": "inform", "confidence": 1.0},
                                    "entities": [], "text": text}),
            ActionExecuted("action_remember"), SlotSet("cancer_type", text),
            ActionExecuted("utter_x", policy="RulePolicy", confidence=1.0), BotUttered(answer),
            ActionExecuted("action_listen")]


async def talk(store, sender, text, answer="Noted.", new_session=False):
    """One message as Rasa handles it: read the tracker (a new one starts a session), add the
    turn, save."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    if new_session or not tracker.events:
        for event in (ActionExecuted("action_session_start"), SessionStarted(),
                      ActionExecuted("action_listen")):
            tracker.update(event)
    for event in turn(text, answer):
        tracker.update(event)
    await store.save(tracker)
    return tracker


async def fresh(db, sender):
    """The tracker as Rasa's own store reads it from the database."""
    stock = SQLTrackerStore(DOMAIN, host=db.url)
    try:
        return await stock.retrieve(sender)
    finally:
        stock.engine.dispose()


def same(tracker, other):
    return (
        [e.as_dict() for e in tracker.events] == [e.as_dict() for e in other.events]
        and tracker.current_slot_values() == other.current_slot_values()
        and tracker.latest_action == other.latest_action
        and tracker.followup_action == other.followup_action
        and tracker.active_loop == other.active_loop
    )


def texts(tracker):
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


@pytest.fixture
def full_reads(monkeypatch):
    """How many times each store read a whole session from the database."""
    calls = []
    original = ResilientSQLTrackerStore._read_session

    def counting(self, session, sender_id):
        calls.append(sender_id)
        return original(self, session, sender_id)

    monkeypatch.setattr(ResilientSQLTrackerStore, "_read_session", counting)
    return calls


async def test_a_cached_read_is_a_fresh_read(db, full_reads):
    store = db.store()
    for i in range(5):
        await talk(store, "me", f"message {i}")
    assert full_reads == ["me"], "read in full once; each saved turn then updates the cache"
    full_reads.clear()
    for _ in range(2):
        cached = await store.retrieve("me")
        assert same(cached, await fresh(db, "me"))
    assert texts(cached) == [f"message {i}" for i in range(5)]
    assert cached.get_slot("cancer_type") == "message 4"
    assert full_reads == [], "served from the cache"
    store.engine.dispose()


async def test_the_cache_starts_with_the_second_message(db, full_reads):
    """A new conversation is saved once to create it and once after the first turn; the first
    read of it fills the cache, and from then on each turn updates it when it is saved."""
    store = db.store()
    await talk(store, "me", "one")
    await talk(store, "me", "two")
    await talk(store, "me", "three")
    assert full_reads == ["me"], full_reads
    assert same(await store.retrieve("me"), await fresh(db, "me"))
    store.engine.dispose()


async def test_changing_the_returned_tracker_does_not_change_the_cache(db):
    store = db.store()
    await talk(store, "me", "one")
    await talk(store, "me", "two")
    tracker = await store.retrieve("me")
    for event in turn("not saved", "-") + [SlotSet(FORGET_SLOT, False)]:
        tracker.update(event)
    again = await store.retrieve("me")
    assert texts(again) == ["one", "two"] and again.get_slot("cancer_type") == "two"
    assert same(again, await fresh(db, "me"))
    store.engine.dispose()


async def test_a_failed_save_leaves_no_unsaved_event_in_the_cache(db):
    store = db.store()
    await talk(store, "me", "one")
    await talk(store, "me", "two")
    db.refuse_inserts(True)
    reset_storage_failed()
    try:
        with pytest.raises(sqlalchemy.exc.DBAPIError):
            await talk(store, "me", "three")
        assert storage_failed()
    finally:
        db.refuse_inserts(False)
        reset_storage_failed()
    tracker = await store.retrieve("me")
    assert texts(tracker) == ["one", "two"]
    assert same(tracker, await fresh(db, "me"))
    await talk(store, "me", "three again")
    assert texts(await store.retrieve("me")) == ["one", "two", "three again"]
    store.engine.dispose()


async def test_a_turn_written_by_another_replica_is_read_by_this_one(db, full_reads):
    one, two = db.store(), db.store()
    await talk(one, "me", "one")
    await talk(one, "me", "two")
    await talk(one, "me", "three")  # `one` has it cached now
    await talk(two, "me", "four, on the other replica")
    await talk(two, "me", "five, on the other replica")
    full_reads.clear()
    tracker = await one.retrieve("me")
    assert texts(tracker) == ["one", "two", "three", "four, on the other replica",
                              "five, on the other replica"]
    assert tracker.get_slot("cancer_type") == "five, on the other replica"
    assert same(tracker, await fresh(db, "me"))
    assert full_reads == [], "only the two new turns were read"
    # and turns alternating between the replicas stay whole on both
    for i in range(4):
        await talk(one if i % 2 else two, "me", f"alternating {i}")
    assert same(await one.retrieve("me"), await fresh(db, "me"))
    assert same(await two.retrieve("me"), await fresh(db, "me"))
    for store in (one, two):
        store.engine.dispose()


async def test_a_new_session_started_by_another_replica_is_read_in_full(db):
    one, two = db.store(), db.store()
    await talk(one, "me", "one")
    await talk(one, "me", "two")
    await one.retrieve("me")
    await talk(two, "me", "a new session", new_session=True)
    tracker = await one.retrieve("me")
    assert texts(tracker) == ["a new session"]
    assert same(tracker, await fresh(db, "me"))
    for store in (one, two):
        store.engine.dispose()


async def forget(store, sender):
    tracker = await store.retrieve(sender)
    for event in (UserUttered("/affirm", {"name": "affirm", "confidence": 1.0}),
                  ActionExecuted("action_forget_conversation"), SlotSet(FORGET_SLOT, True),
                  BotUttered("Done."), ActionExecuted("action_listen")):
        tracker.update(event)
    await store.save(tracker)


async def test_forget_me_on_one_replica_is_forgotten_by_the_other(db):
    one, two = db.store(), db.store()
    await talk(one, "me", "my mum has breast cancer")
    await talk(one, "me", "where does it spread")
    assert texts(await one.retrieve("me"))  # cached by `one`
    await talk(two, "me", "and the bones?")
    await forget(two, "me")
    assert db.rows("me") == []
    assert await two.retrieve("me") is None
    assert await one.retrieve("me") is None, "not served from the other replica's memory"
    tracker = await talk(one, "me", "hello")
    assert texts(tracker) == ["hello"] and tracker.get_slot(FORGET_SLOT) is None
    assert texts(await two.retrieve("me")) == ["hello"]
    for store in (one, two):
        store.engine.dispose()


async def test_forget_me_then_the_same_number_of_rows_again_is_not_the_old_conversation(db):
    """SQLite gives a new row the highest id + 1, so a conversation deleted from the end of the
    table and written again on the same ids has the same count and last id as before: the last
    event's timestamp tells them apart."""
    one, two = db.store(), db.store()
    await talk(one, "me", "one")
    await talk(one, "me", "two")
    await one.retrieve("me")
    old = db.rows("me")
    await forget(two, "me")
    await talk(two, "me", "new one")
    await talk(two, "me", "new two")
    assert len(db.rows("me")) == len(old)
    tracker = await one.retrieve("me")
    assert texts(tracker) == ["new one", "new two"]
    assert same(tracker, await fresh(db, "me"))
    for store in (one, two):
        store.engine.dispose()


async def test_one_write_stores_the_rows_of_rasas_own_store(db):
    """The same tracker saved by Rasa's SQLTrackerStore (one ORM object per event) and by ours
    (one INSERT): the same column values, so conversations stored before read back."""
    tracker = await talk(db.store(cache_size=0), "theirs", "one")
    stock = SQLTrackerStore(DOMAIN, host=db.url)
    ours = db.store()
    tracker.sender_id = "stock"
    await stock.save(tracker)
    tracker.sender_id = "ours"
    await ours.save(tracker)
    for event in turn("two", "Noted again."):
        tracker.update(event)
    tracker.sender_id = "stock"
    await stock.save(tracker)
    tracker.sender_id = "ours"
    await ours.save(tracker)

    def without_sender(rows):
        return [row[1:] for row in rows]

    assert len(db.rows("ours")) >= len(tracker.events)
    assert without_sender(db.rows("ours")) == without_sender(db.rows("stock"))
    # and each store reads what the other wrote
    assert same(await ours.retrieve("stock"), await stock.retrieve("ours"))
    for store in (stock, ours):
        store.engine.dispose()


async def test_the_cache_is_bounded(db):
    store = db.store(cache_size="2")  # as endpoints.yml passes it
    for sender in ("a", "b", "c"):
        await talk(store, sender, "one")
        await talk(store, sender, "two")
    assert list(store._cache) == ["b", "c"]
    assert texts(await store.retrieve("a")) == ["one", "two"]
    assert list(store._cache) == ["c", "a"]
    store.engine.dispose()


async def test_the_cache_is_bounded_in_events_too(db):
    store = db.store(cache_events="40")  # a conversation of two turns here is 15 events
    for sender in ("a", "b", "c"):
        await talk(store, sender, "one")
        await talk(store, sender, "two")
    assert list(store._cache) == ["b", "c"]
    assert sum(len(entry.tracker.events) for entry in store._cache.values()) <= 40
    store.engine.dispose()


async def test_without_a_cache_every_read_is_a_full_read(db, full_reads):
    store = db.store(cache_size="0")
    for i in range(3):
        await talk(store, "me", f"message {i}")
    assert not store._cache
    assert same(await store.retrieve("me"), await fresh(db, "me"))
    store.engine.dispose()


def test_sqlite_uses_wal_and_normal_sync(tmp_path):
    path = tmp_path / "conversations.db"
    store = ResilientSQLTrackerStore(DOMAIN, host=f"sqlite:///{path}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    store.engine.dispose()
    with sqlite3.connect(path) as conn:  # WAL is a property of the file, for every client
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
