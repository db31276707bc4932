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
replica reads or writes that conversation meanwhile; Rasa keeps no tracker cache of its own.
Events already sent to an event broker (none is configured here) are not recalled. Other
tracker stores, including Rasa's in-memory default, do not know the slot and keep everything.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import json
import logging
import time
from typing import Any, Awaitable, Callable, Optional, Text, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY


logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 20.0
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
    return any(
        isinstance(event, SlotSet) and event.key == FORGET_SLOT and event.value is True
        for event in tracker.events
    )


def _is_unreachable(error: BaseException) -> bool:
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError))


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with connection checks and bounded retries on connection loss."""

    def __init__(self, *args: Any, retry_seconds: Any = None, **kwargs: Any) -> None:
        # Rasa passes every key of the section as a string after ${VAR} substitution; empty
        # ones mean "not set".
        kwargs = {k: v for k, v in kwargs.items() if not (isinstance(v, str) and not v.strip())}
        self.retry_seconds = float(retry_seconds) if retry_seconds not in (None, "") else (
            DEFAULT_RETRY_SECONDS
        )
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

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

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        parent = super()._retrieve
        return await self._retrying(
            "read", lambda: parent(sender_id, fetch_events_from_all_sessions)
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Streams the events once, then writes the new ones (retried as one transaction).

        A conversation the person asked to forget is deleted instead (``forget_requested``).
        """
        if forget_requested(tracker):
            await self._retrying("deletion", lambda: self._delete_conversation(tracker.sender_id))
            return
        await self.stream_events(tracker)
        await self._retrying("write", lambda: self._write_new_events(tracker))

    async def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        # Rasa 3.6's SQLTrackerStore.save without the event streaming.
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            for event in itertools.islice(tracker.events, stored, len(tracker.events)):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    async def _delete_conversation(self, sender_id: Text) -> None:
        # Every session of the sender, in one transaction: all of it goes, or nothing does.
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        # No sender id in the log: it would point at the conversation that is gone.
        logger.info("Deleted a conversation at the user's request (%d stored events).", deleted)
