"""Rasa's SQL tracker store, made to ride out a database restart without losing a message.

Select it in ``endpoints.yml`` by module path instead of ``type: SQL``::

    tracker_store:
      type: addons.tracker_store.ResilientSQLTrackerStore
      url: ${TRACKER_DB_URL}     # sqlite:///.rasa/conversations.db | postgresql://...
      retry_seconds: 20          # optional: how long one read/write waits for the database

What stock Rasa 3.6 does (measured here with PostgreSQL stopped and started under a running
``rasa run``): the tracker store is wrapped in ``FailSafeTrackerStore``, so when a read or
write fails it logs an ERROR and uses an in-memory store instead. The message that arrived
while the database was away is answered from an *empty* conversation (its context is gone)
and acknowledged with HTTP 200, but it is never written to the database: it is lost for the
other replicas and for the next restart. After the database is back, the first request on
each pooled connection that the restart killed fails the same way.

Here:

* the engine checks pooled connections before use (``pool_pre_ping``), so connections that a
  database restart killed are replaced instead of failing a request;
* a read or write that fails because the database cannot be reached (``OperationalError``,
  ``InterfaceError``, invalidated connections) is retried with back-off for up to
  ``retry_seconds`` (20 s by default), which covers a restart or fail-over: the message then
  goes through with its context and is stored;
* when the database stays away longer, the error goes to Rasa as before, and the request is
  marked as failed (``storage_failed()``), so that the channels (``addons.rest_channel``,
  ``addons.socketio_channel``, through ``addons.held_replies``) answer with the
  ``utter_technical_problem`` note instead of an answer that will not be remembered. The
  user is told to try again; nothing is acknowledged that was not stored.

Other errors (e.g. a constraint violation) are not retried, but mark the request as failed
too: its turn was not read or not stored either.

"Forget me" (issue 5): the action server cannot reach this store, so
``action_forget_conversation`` only says it is done and sets the ``forget_conversation`` slot.
A tracker carrying that slot is not saved: every stored event of its sender is deleted in one
transaction instead, so nothing of the conversation remains, not even the confirmation, and
the sender's next message starts a new conversation (session start, empty slots). Rasa saves
once per message, after the last action and under the sender's lock (the lock store), so no
replica reads or writes that conversation meanwhile. Rasa keeps no tracker cache of its own;
this store's cache (below) drops the conversation, and every other process finds it gone at its
next read, because the cache is checked against the database before each use.
Events already sent to an event broker (none is configured here) are not recalled. Other
tracker stores, including Rasa's in-memory default, do not know the slot and keep everything.

Cost per turn (issue 13). Stock Rasa reads and deserialises the whole current session on every
message and writes the new events one ORM object at a time, so a turn costs more the longer the
conversation. Here:

* a per-process cache keeps the deserialised tracker of recently active senders (LRU, at
  most ``cache_size`` trackers and ``cache_events`` events in all, default 128 and 40,000,
  about 80 MB; set in ``endpoints.yml``; ``cache_size: 0`` turns it off). It is keyed by
  sender id, never by message text. Before every use it is checked against the database with one
  indexed lookup, whatever the length of the conversation (its last event's id and that
  event's timestamp; ``_stored_version``). Equal: the cached tracker is used. The sender has
  only new events (another replica answered the last messages): only those rows are read and
  applied. Anything else ("forget me" on another replica, a new session, a row id SQLite
  reused): the session is read in full, as stock Rasa does. Nothing is served from memory
  without that check, so a database that cannot be reached fails the read as before;
* Rasa gets a copy (its own event list, slots and loop state; the event objects are shared,
  as Rasa's own ``travel_back_in_time`` does), so a turn that Rasa adds to it reaches the cache
  only once the save has committed, and as the rows were written (``json`` round trip), i.e.
  exactly what a fresh read would give. A failed save leaves the cache as the database is.
  The copy is an ``addons.flat_tracker.FlatTracker``: Rasa's processor walks (and once per
  action replays) the whole session through ``applied_events()`` and ``copy()``; that tracker
  gives the same results from the memo it carries plus the new events;
* the new events of a turn are written with one multi-row ``INSERT`` (``executemany``), with
  Rasa's column values;
* SQLite connections use WAL and ``synchronous=NORMAL`` (``_sqlite_pragmas``; the durability
  trade-off is in docs/production.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import copy
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted, SlotSet, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from addons.flat_tracker import FlatTracker


logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 20.0
# Trackers kept per process, and events in all of them: a deserialised event is about 2 kB
# of Python objects here (measured: 900 events, 1.8 MB), so at most about 80 MB.
DEFAULT_CACHE_SIZE = 128
DEFAULT_CACHE_EVENTS = 40_000
# Set to true by action_forget_conversation (actions/names.py, SLOT_FORGET).
FORGET_SLOT = "forget_conversation"
T = TypeVar("T")

# Set in the asyncio context of a request whose tracker could not be read or written.
_storage_failed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tracker_storage_failed", default=False
)


def storage_failed() -> bool:
    """Whether the tracker store gave up on a read or write in the current request."""
    return _storage_failed.get()


def reset_storage_failed() -> None:
    _storage_failed.set(False)


def forget_requested(tracker: DialogueStateTracker) -> bool:
    """Whether the person asked (and confirmed) that this conversation be deleted.

    Read from the events, not the slot's value, so that it holds whatever comes after it and
    even with a domain that lacks the slot.
    """
    # isinstance(event, SlotSet), decided once per class of event (cheaper per event)
    slot_sets = {kind for kind in set(map(type, tracker.events)) if issubclass(kind, SlotSet)}
    return any(
        type(event) in slot_sets and event.key == FORGET_SLOT and event.value is True
        for event in tracker.events
    )


def _is_unreachable(error: BaseException) -> bool:
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError))


# (id of the sender's last stored event, that event's timestamp)
Version = Tuple[Optional[int], Optional[float]]
NO_EVENTS: Version = (None, None)
# On PostgreSQL, what makes the sender's last event one index lookup (created if missing);
# SQLite's index on sender_id already holds the row id.
LAST_EVENT_INDEX = "ix_events_sender_id_id"


@dataclass
class _Cached:
    """A sender's current session as the database holds it, deserialised. Never handed out."""

    tracker: DialogueStateTracker
    version: Version
    # Timestamp of the latest session start (Rasa reads the events from there), or None.
    session_start: Optional[float]
    # Rows in the current session: Rasa's count of the events already stored (``save``).
    session_rows: int

    def apply(self, rows: List[Tuple[Optional[float], Text]], version: Version) -> None:
        """Adds rows stored after the cached ones, as (timestamp, data), to the tracker."""
        start = self.session_start
        # The filter of Rasa's session query: an event stamped before the latest session
        # start is not part of the session.
        dicts = [
            json.loads(data)
            for timestamp, data in rows
            if start is None or (timestamp is not None and timestamp >= start)
        ]
        for event in deserialise_events(dicts):
            self.tracker.update(event)
        self.tracker.applied_events()  # carried up to date into the copies (FlatTracker)
        self.session_rows += len(dicts)
        self.version = version


def copy_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker that can be updated without changing ``tracker``.

    Its own event list, slots, loop and latest action; the event objects themselves are
    shared, as in Rasa's ``DialogueStateTracker.travel_back_in_time``. Copying pointers, not
    events: about 0.1 ms for 900 events and this domain's slots. The only events Rasa changes after
    logging them are the latest user message's entities and featurization flag
    (``EntitiesAdded``, ``DefinePrevUserUtteredFeaturization``), and only right after that
    message, i.e. on the new message of the turn, which the cache does not hold yet.
    """
    twin = copy.copy(tracker)
    twin.events = collections.deque(tracker.events, maxlen=tracker.events.maxlen)
    twin.slots = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    twin.active_loop = copy.copy(tracker.active_loop)
    twin.latest_action = copy.copy(tracker.latest_action)
    return twin


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers do not block the writer and a commit appends to the log instead of
    # rewriting pages; NORMAL: fsync at checkpoints, not at every commit. A power loss can
    # lose the last commits but does not corrupt the file; a crash of the process loses
    # nothing (docs/production.md).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_engine_kwargs(url: Any) -> Dict[Text, Any]:
    """Pooled connections for an SQLite file, as SQLAlchemy 2.0 does by default.

    SQLAlchemy 1.4 opens and closes a connection for each session on an SQLite file. With WAL,
    closing the last connection checkpoints the log into the database and deletes it, so each
    read and each write paid for a checkpoint (about 5 ms each here). The store is used from
    the event loop, one session at a time; ``check_same_thread`` is off because a pooled
    connection may be used from another thread than the one that opened it.
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return {}
    return {"poolclass": sa.pool.QueuePool, "connect_args": {"check_same_thread": False}}


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with connection checks, bounded retries on connection loss, a
    validated per-process tracker cache and one-statement writes."""

    def __init__(
        self,
        *args: Any,
        retry_seconds: Any = None,
        cache_size: Any = None,
        cache_events: Any = None,
        **kwargs: Any,
    ) -> None:
        # Rasa passes every key of the section as a string after ${VAR} substitution; empty
        # ones mean "not set".
        kwargs = {k: v for k, v in kwargs.items() if not (isinstance(v, str) and not v.strip())}
        self.retry_seconds = float(retry_seconds) if retry_seconds not in (None, "") else (
            DEFAULT_RETRY_SECONDS
        )
        self.cache_size = int(cache_size) if cache_size not in (None, "") else (
            DEFAULT_CACHE_SIZE
        )
        self.cache_events = int(cache_events) if cache_events not in (None, "") else (
            DEFAULT_CACHE_EVENTS
        )
        self._cache: "collections.OrderedDict[Text, _Cached]" = collections.OrderedDict()
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, pool_pre_ping=True, **create_engine_kwargs(url), **_sqlite_engine_kwargs(url)
        )
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self._create_last_event_index()
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _create_last_event_index(self) -> None:
        # Plain DDL, not an sa.Index: that would join the table of Rasa's shared metadata.
        if self.engine.dialect.name != "postgresql":
            return  # other databases: the version check reads the sender_id index
        table = self.SQLEvent.__tablename__
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.text(
                    f"CREATE INDEX IF NOT EXISTS {LAST_EVENT_INDEX} ON {table} (sender_id, id)"
                ))
        except sqlalchemy.exc.SQLAlchemyError as error:
            # e.g. a role that may not create indexes: the store works without it, only the
            # version check reads all of the sender's entries in the sender_id index.
            logger.warning("The index %s was not created (%s).", LAST_EVENT_INDEX, type(error).__name__)

    async def _retrying(self, what: Text, operation: Callable[[], Awaitable[T]]) -> T:
        # Once a request has given up on the database, its later reads and writes fail fast.
        deadline = time.monotonic() + (0 if _storage_failed.get() else self.retry_seconds)
        delay = 0.2
        attempt = 0
        while True:
            attempt += 1
            try:
                return await operation()
            except Exception as error:
                if not _is_unreachable(error) or time.monotonic() + delay > deadline:
                    # Whatever the cause, this message was not read or not stored: the
                    # channels must not confirm it (addons.held_replies).
                    _storage_failed.set(True)
                    raise
                logger.warning(
                    "The tracker database is unreachable (%s, attempt %d); retrying the %s "
                    "in %.1f s.",
                    type(error).__name__,
                    attempt,
                    what,
                    delay,
                )
                self.engine.dispose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    # -- reading -------------------------------------------------------------------------

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        if fetch_events_from_all_sessions or not self.cache_size or not self.domain:
            parent = super()._retrieve
            return await self._retrying(
                "read", lambda: parent(sender_id, fetch_events_from_all_sessions)
            )
        return await self._retrying("read", lambda: self._retrieve_cached(sender_id))

    async def _retrieve_cached(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            version = self._stored_version(session, sender_id)
            cached = self._cache.pop(sender_id, None)
            if version == NO_EVENTS:
                return None  # never written, or forgotten (here or by another replica)
            if cached is None or not (
                cached.version == version or self._catch_up(session, cached, version)
            ):
                cached = self._read_session(session, sender_id)
            if cached is None:
                return None
            self._remember(sender_id, cached)
            return copy_tracker(cached.tracker)

    def _stored_version(self, session: Any, sender_id: Text) -> Version:
        """The sender's last stored event (highest id) and its timestamp: one index lookup,
        whatever the length of the conversation (SQLite's sender_id index holds the row id;
        elsewhere ``LAST_EVENT_INDEX``). Every write changes it (a higher id); "forget me"
        deletes every row of the sender (``NO_EVENTS``); a conversation deleted and written
        again up to the same id (SQLite reuses the highest row ids) has a later timestamp.
        Not seen: rows deleted from the middle of a session while its last row stays, which
        neither this project nor Rasa does."""
        table = self.SQLEvent.__table__
        row = session.execute(
            sa.select(table.c.id, table.c.timestamp)
            .where(table.c.sender_id == sender_id)
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
        return NO_EVENTS if row is None else (int(row[0]), row[1])

    def _rows_after(self, session: Any, sender_id: Text, event_id: int) -> int:
        """How many events of the sender were stored after ``event_id`` (an index range)."""
        table = self.SQLEvent.__table__
        return session.execute(
            sa.select(sa.func.count(table.c.id)).where(
                table.c.sender_id == sender_id, table.c.id > event_id
            )
        ).scalar()

    def _read_session(self, session: Any, sender_id: Text) -> Optional[_Cached]:
        """Rasa's read: the events of the latest session, replayed into a tracker."""
        rows = self._event_query(
            session, sender_id, fetch_events_from_all_sessions=False
        ).all()
        if not rows:
            return None
        tracker = FlatTracker.from_dict(
            sender_id, [json.loads(row.data) for row in rows], self.domain.slots
        )
        tracker.applied_events()  # carried into the copies (FlatTracker)
        starts = [row.timestamp for row in rows if row.type_name == SessionStarted.type_name]
        # Read after the rows, so that a write in between makes the versions differ (then the
        # tracker is used once, not kept).
        version = self._stored_version(session, sender_id)
        if version != (rows[-1].id, rows[-1].timestamp):
            return _Cached(tracker, NO_EVENTS, None, len(rows))
        return _Cached(tracker, version, max(starts) if starts else None, len(rows))

    def _catch_up(self, session: Any, cached: _Cached, version: Version) -> bool:
        """Applies the events another process appended since ``cached`` was read.

        False (and ``cached`` unchanged) unless the only change is new events in the same
        session: then the full session is read instead.
        """
        last_id, last_ts = cached.version
        if last_id is None or version[0] is None or version[0] <= last_id:
            return False
        rows = (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == cached.tracker.sender_id)
            .filter(self.SQLEvent.id >= last_id)
            .order_by(self.SQLEvent.id)
            .all()
        )
        if not rows or rows[0].id != last_id or rows[0].timestamp != last_ts:
            return False  # the last event we knew is gone or was rewritten
        new = rows[1:]
        if (
            not new
            or new[-1].id != version[0]
            or any(row.type_name == SessionStarted.type_name for row in new)
        ):
            return False
        cached.apply([(row.timestamp, row.data) for row in new], version)
        return True

    def _remember(self, sender_id: Text, cached: _Cached) -> None:
        if cached.version == NO_EVENTS:
            return
        self._cache[sender_id] = cached
        self._cache.move_to_end(sender_id)
        events = sum(len(entry.tracker.events) for entry in self._cache.values())
        while self._cache and (len(self._cache) > self.cache_size or events > self.cache_events):
            _, dropped = self._cache.popitem(last=False)
            events -= len(dropped.tracker.events)

    def forget_cached(self, sender_id: Text) -> None:
        """Drops this process's copy of a conversation (the next read goes to the database)."""
        self._cache.pop(sender_id, None)

    # -- writing -------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Streams the events once, then writes the new ones (retried as one transaction).

        A conversation the person asked to forget is deleted instead (``forget_requested``).
        """
        if forget_requested(tracker):
            self.forget_cached(tracker.sender_id)
            await self._retrying("deletion", lambda: self._delete_conversation(tracker.sender_id))
            return
        await self.stream_events(tracker)
        try:
            await self._retrying("write", lambda: self._write_new_events(tracker))
        except BaseException:
            # Not stored (or not known to be): the next read goes to the database.
            self.forget_cached(tracker.sender_id)
            raise

    @staticmethod
    def _row(sender_id: Text, event: Any) -> Dict[Text, Any]:
        # The column values of Rasa 3.6's SQLTrackerStore.save, exactly.
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    async def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        # Rasa 3.6's SQLTrackerStore.save without the event streaming, and with one INSERT
        # for all the new events instead of one ORM object each.
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            cached = self._cache.pop(sender_id, None)
            if cached is not None and self._stored_version(session, sender_id) == cached.version:
                # The database holds what the cache holds: its count is Rasa's count below.
                stored = cached.session_rows
            else:
                cached = None
                stored = self._event_query(
                    session, sender_id, fetch_events_from_all_sessions=False
                ).count()
            rows: List[Dict[Text, Any]] = [
                self._row(sender_id, event)
                for event in itertools.islice(tracker.events, stored, len(tracker.events))
            ]
            if not rows:
                if cached is not None:
                    self._remember(sender_id, cached)
                return
            session.execute(self.SQLEvent.__table__.insert(), rows)
            if cached is not None:
                written = self._rows_after(session, sender_id, cached.version[0])
                after = self._stored_version(session, sender_id)
            session.commit()
        if cached is None or written != len(rows):
            return  # the cache did not hold what this turn was written on top of
        if any(row["type_name"] == SessionStarted.type_name for row in rows):
            return  # a new session: the next read starts from it
        # What a fresh read would give: the rows as written, deserialised.
        cached.apply([(row["timestamp"], row["data"]) for row in rows], after)
        self._remember(sender_id, cached)

    async def _delete_conversation(self, sender_id: Text) -> None:
        # Every session of the sender, in one transaction: all of it goes, or nothing does.
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        self.forget_cached(sender_id)
        # No sender id in the log: it would point at the conversation that is gone.
        logger.info("Deleted a conversation at the user's request (%d stored events).", deleted)
