"""A Redis lock store for Rasa 3.6 whose ticket issue and release are atomic.

Select it in ``endpoints.yml`` by module path::

    lock_store:
      type: addons.lock_store.AtomicRedisLockStore
      url: ${REDIS_URL}          # redis://[:password@]host:port/db, or a bare host name
      # optional, each may also come from ${VAR}; values from the URL win over defaults only
      port: 6379
      db: 1
      password: ${REDIS_PASSWORD}
      key_prefix: metastasis     # alphanumeric, as in Rasa's own RedisLockStore
      lock_lifetime: 60          # seconds a ticket lives (default: env TICKET_LOCK_LIFETIME or 60)
      wait_time_in_seconds: 0.05 # poll interval while waiting for the lock (Rasa's default is 1)

Why this exists
---------------
Rasa serialises the messages of one conversation with a *ticket lock*: every message takes a
ticket and waits until its ticket is the first live one. Rasa 3.6's ``RedisLockStore`` keeps the
lock as one JSON value and changes it by GET, change in Python, SET (RasaHQ/rasa#9213; the fix
was merged and reverted upstream). Two replicas that take a ticket for the same sender at the
same moment both read the same lock, both append "ticket N+1" and the second SET overwrites the
first: the two messages hold the same ticket, are processed at the same time, and one of the two
tracker saves overwrites the other's events. Release (``finish_serving`` then
``is_someone_waiting`` then ``delete_lock``) and the waiters' ``update_lock`` race the same way
and can drop a ticket that was just issued.

Here every change of a lock is one Lua script, which Redis runs atomically:

* ``issue``: drop expired tickets, take the next number from a store-wide counter (``INCR``;
  numbers are never reused, so a waiter whose ticket expired can never mistake a new ticket for
  its own), append it, save, and let the key expire with its last ticket;
* ``release``: drop expired tickets and the given ticket, delete the key when none is left;
* ``poll``: drop expired tickets and return the lock, so that "is it my turn" is decided on one
  clock (Redis's ``TIME``) for all replicas instead of each replica's own.

The value stays in the format of Rasa's ``TicketLock`` JSON, so ``get_lock`` and every reader of
the stock format keep working. The class subclasses ``RedisLockStore``, so Rasa's own checks
(e.g. that several Sanic workers need a non-in-memory lock store) treat it as a Redis store.

Rasa hands every key of the ``lock_store`` section to the constructor as strings after
``${VAR}`` substitution; empty strings count as "not set", so an optional variable can be left
empty (Rasa refuses *unset* variables in ``endpoints.yml``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Dict, List, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_WAIT_TIME_IN_SECONDS = 0.05
# Name of the counter key, after the key prefix. It cannot collide with a conversation's lock
# key: those are "<prefix>lock:<conversation id>", this one has no colon after "lock".
TICKET_COUNTER_SUFFIX = "lock-ticket-counter"

# Shared Lua prelude: read the lock at KEYS[1], keep the live tickets (server clock).
# Ticket entries are kept as the JSON strings Rasa's TicketLock writes.
_LUA_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local raw = redis.call('GET', KEYS[1])
local live = {}
local total = 0
local max_expires = 0
if raw then
  local ok, lock = pcall(cjson.decode, raw)
  if ok and type(lock) == 'table' and type(lock['tickets']) == 'table' then
    for _, entry in ipairs(lock['tickets']) do
      total = total + 1
      local ok2, ticket = pcall(cjson.decode, entry)
      if ok2 and type(ticket) == 'table' and tonumber(ticket['expires'])
          and tonumber(ticket['expires']) >= now then
        table.insert(live, {entry = entry, number = tonumber(ticket['number']),
                            expires = tonumber(ticket['expires'])})
      end
    end
  end
end
local function save(conversation_id)
  if #live == 0 then
    redis.call('DEL', KEYS[1])
    return
  end
  local entries = {}
  for i, ticket in ipairs(live) do
    entries[i] = ticket.entry
    if ticket.expires > max_expires then max_expires = ticket.expires end
  end
  redis.call('SET', KEYS[1], cjson.encode({conversation_id = conversation_id,
                                           tickets = entries}))
  -- the key goes away with its last ticket (plus a second), even if nobody releases it
  redis.call('PEXPIREAT', KEYS[1], math.floor(max_expires * 1000) + 1000)
end
"""

# KEYS: lock key, counter key. ARGV: conversation id, lifetime in seconds.
_LUA_ISSUE = (
    _LUA_PRELUDE
    + """
local number = redis.call('INCR', KEYS[2])
local expires = now + tonumber(ARGV[2])
table.insert(live, {entry = cjson.encode({number = number, expires = expires}),
                    number = number, expires = expires})
save(ARGV[1])
return number
"""
)

# KEYS: lock key. ARGV: conversation id, ticket number to remove (or "" to only prune).
# Returns the number of tickets left.
_LUA_RELEASE = (
    _LUA_PRELUDE
    + """
if ARGV[2] ~= '' then
  local remove = tonumber(ARGV[2])
  local kept = {}
  for _, ticket in ipairs(live) do
    if ticket.number ~= remove then table.insert(kept, ticket) end
  end
  live = kept
end
if raw then save(ARGV[1]) end
return #live
"""
)

# KEYS: lock key. ARGV: conversation id. Prunes expired tickets and returns the live ticket
# numbers in issue order (empty when the lock is gone). Writes only when it pruned something.
_LUA_POLL = (
    _LUA_PRELUDE
    + """
if raw and #live < total then save(ARGV[1]) end
local numbers = {}
for i, ticket in ipairs(live) do numbers[i] = ticket.number end
return numbers
"""
)


def _setting(value: Any) -> Optional[Any]:
    """``None`` for settings that are absent or empty (e.g. ``${VAR}`` set to "")."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class AtomicRedisLockStore(RedisLockStore):
    """Redis ticket-lock store whose lock changes are atomic Lua scripts."""

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        host: Optional[Text] = None,
        port: Optional[Any] = None,
        db: Optional[Any] = None,
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        use_ssl: Optional[Any] = None,
        ssl_certfile: Optional[Text] = None,
        ssl_keyfile: Optional[Text] = None,
        ssl_ca_certs: Optional[Text] = None,
        key_prefix: Optional[Text] = None,
        socket_timeout: Optional[Any] = None,
        lock_lifetime: Optional[Any] = None,
        wait_time_in_seconds: Optional[Any] = None,
        url: Optional[Text] = None,
    ) -> None:
        """Creates the store from an ``endpoints.yml`` section or from keyword arguments.

        Explicit keyword arguments win over the endpoint configuration. ``url`` (or
        ``host``) may be a bare host name or a ``redis://``/``rediss://``/``unix://`` URL.
        """
        settings: Dict[Text, Any] = {}
        if endpoint_config is not None:
            settings.update(endpoint_config.kwargs or {})
            settings["url"] = endpoint_config.url
        explicit = dict(
            host=host,
            port=port,
            db=db,
            username=username,
            password=password,
            use_ssl=use_ssl,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            ssl_ca_certs=ssl_ca_certs,
            key_prefix=key_prefix,
            socket_timeout=socket_timeout,
            lock_lifetime=lock_lifetime,
            wait_time_in_seconds=wait_time_in_seconds,
            url=url,
        )
        settings.update({k: v for k, v in explicit.items() if v is not None})
        settings = {k: _setting(v) for k, v in settings.items()}

        target = settings.get("url") or settings.get("host") or "localhost"
        timeout = float(settings.get("socket_timeout") or DEFAULT_SOCKET_TIMEOUT_IN_SECONDS)
        self.lock_lifetime = float(settings.get("lock_lifetime") or LOCK_LIFETIME)
        self.wait_time_in_seconds = float(
            settings.get("wait_time_in_seconds") or DEFAULT_WAIT_TIME_IN_SECONDS
        )
        if self.lock_lifetime <= 0 or self.wait_time_in_seconds <= 0:
            raise ValueError("lock_lifetime and wait_time_in_seconds must be positive.")

        if "://" in str(target):
            # A URL: let redis-py parse it; explicit settings fill what the URL leaves out.
            super().__init__(key_prefix=settings.get("key_prefix"), socket_timeout=timeout)
            import redis

            url_kwargs: Dict[Text, Any] = {"socket_timeout": timeout}
            for key in ("username", "password"):
                if settings.get(key) is not None:
                    url_kwargs[key] = settings[key]
            # redis-py lets the URL's own db win; without one, use the setting or Rasa's 1.
            url_kwargs["db"] = int(settings["db"]) if settings.get("db") is not None else 1
            self.red.close()
            self.red = redis.StrictRedis.from_url(str(target), **url_kwargs)
        else:
            super().__init__(
                host=str(target),
                port=int(settings.get("port") or 6379),
                db=int(settings["db"]) if settings.get("db") is not None else 1,
                username=settings.get("username"),
                password=settings.get("password"),
                use_ssl=_as_bool(settings.get("use_ssl") or False),
                ssl_certfile=settings.get("ssl_certfile"),
                ssl_keyfile=settings.get("ssl_keyfile"),
                ssl_ca_certs=settings.get("ssl_ca_certs"),
                key_prefix=settings.get("key_prefix"),
                socket_timeout=timeout,
            )

        # "<prefix>:lock:" -> "<prefix>:lock-ticket-counter"
        base = self.key_prefix[: -len(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)]
        self.counter_key = base + TICKET_COUNTER_SUFFIX
        self._issue = self.red.register_script(_LUA_ISSUE)
        self._release = self.red.register_script(_LUA_RELEASE)
        self._poll = self.red.register_script(_LUA_POLL)

    # --- atomic operations -------------------------------------------------------------

    def _key(self, conversation_id: Text) -> Text:
        return self.key_prefix + conversation_id

    def issue_ticket(
        self, conversation_id: Text, lock_lifetime: Optional[float] = None
    ) -> int:
        """Atomically issues a ticket (a number never issued before by this store)."""
        lifetime = float(lock_lifetime if lock_lifetime is not None else self.lock_lifetime)
        try:
            return int(
                self._issue(
                    keys=[self._key(conversation_id), self.counter_key],
                    args=[conversation_id, repr(lifetime)],
                )
            )
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Atomically removes the ticket (and the lock, if it was the last ticket)."""
        self._release(keys=[self._key(conversation_id)], args=[conversation_id, ticket_number])

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Removes the ticket; the lock goes with its last ticket, in the same step.

        Rasa's version checks ``is_someone_waiting`` and then deletes: a ticket issued in
        between is deleted with the lock.
        """
        self.finish_serving(conversation_id, ticket_number)

    def update_lock(self, conversation_id: Text) -> None:
        """Atomically removes expired tickets."""
        self._release(keys=[self._key(conversation_id)], args=[conversation_id, ""])

    def live_tickets(self, conversation_id: Text) -> List[int]:
        """Numbers of the live tickets, in issue order, by the Redis server's clock."""
        numbers = self._poll(keys=[self._key(conversation_id)], args=[conversation_id])
        return [int(n) for n in numbers or []]

    def save_lock(self, lock: TicketLock) -> None:
        """Overwrites a whole lock (not used by this store's own locking; kept for the API)."""
        tickets = [ticket.dumps() for ticket in lock.tickets]
        self.red.set(
            self._key(lock.conversation_id),
            json.dumps(dict(conversation_id=lock.conversation_id, tickets=tickets)),
        )

    # --- waiting ---------------------------------------------------------------------------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: Optional[float] = None,
        wait_time_in_seconds: Optional[float] = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Holds the conversation's lock for the duration of the ``async with`` block."""
        lifetime = float(lock_lifetime if lock_lifetime is not None else self.lock_lifetime)
        wait = float(
            wait_time_in_seconds
            if wait_time_in_seconds is not None
            else self.wait_time_in_seconds
        )
        ticket = self.issue_ticket(conversation_id, lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait)
        finally:
            self.cleanup(conversation_id, ticket)

    async def _acquire_lock(
        self, conversation_id: Text, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        while True:
            numbers = self.live_tickets(conversation_id)
            if ticket not in numbers:
                # Our ticket expired (someone held the lock longer than its lifetime).
                raise LockError(
                    f"Could not acquire lock for conversation_id '{conversation_id}'."
                )
            if numbers[0] == ticket:
                logger.debug("Acquired lock for a conversation.")
                return self.get_lock(conversation_id) or TicketLock(conversation_id)
            await asyncio.sleep(wait_time_in_seconds)
