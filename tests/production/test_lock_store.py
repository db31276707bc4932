"""addons.lock_store.AtomicRedisLockStore against a real redis-server (RasaHQ/rasa#9213)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.core.utils import AvailableEndpoints, _lock_store_is_multi_worker_compatible

from addons.lock_store import AtomicRedisLockStore
from tests.production.lock_race import CONVERSATION, racy_increments, run_processes
from tests.support.servers import RedisServer, free_port


# --- workers run in child processes (fork): each builds its own store and connection ------


def _issue_many(url: str, count: int, start, out) -> None:
    store = AtomicRedisLockStore(url=url)
    start.wait()
    out.put([store.issue_ticket(CONVERSATION, 60) for _ in range(count)])


def _locked_increments(url: str, coroutines: int, rounds: int, start, out) -> None:
    """Each coroutine takes the lock, then does a deliberately racy read-sleep-write on a
    counter and marks the critical section; overlaps and lost increments are reported."""
    import redis

    async def main():
        store = AtomicRedisLockStore(url=url, wait_time_in_seconds=0.002)
        red = redis.StrictRedis.from_url(url, db=1)
        return await racy_increments(store, red, coroutines, rounds, start)

    out.put(asyncio.run(main()))


# --- tests ------------------------------------------------------------------------------


def test_concurrent_processes_never_get_duplicate_tickets(redis_db):
    results = run_processes(_issue_many, (redis_db.url, 200), processes=8, check=True)
    tickets = [t for result in results for t in result]
    assert len(tickets) == 1600
    assert len(set(tickets)) == 1600, "a ticket number was issued twice"
    # every ticket is in the lock: none was overwritten by a concurrent issue
    lock = AtomicRedisLockStore(url=redis_db.url).get_lock(CONVERSATION)
    assert sorted(t.number for t in lock.tickets) == sorted(tickets)
    # and in issue order
    assert [t.number for t in lock.tickets] == sorted(tickets)


def test_lock_serialises_concurrent_processes_and_coroutines(redis_db):
    results = run_processes(_locked_increments, (redis_db.url, 10, 10), processes=4, check=True)
    overlaps = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    assert (overlaps, errors) == (0, 0)
    red = redis_db.client()
    assert int(red.get("counter")) == 4 * 10 * 10, "an increment was lost"
    # the last release removed the lock
    assert red.exists("lock:" + CONVERSATION) == 0


async def test_lock_waits_in_ticket_order(redis_db):
    store = AtomicRedisLockStore(url=redis_db.url, wait_time_in_seconds=0.005)
    order = []

    async def take(i):
        async with store.lock(CONVERSATION):
            order.append(i)
            await asyncio.sleep(0.01)

    tasks = []
    for i in range(5):
        tasks.append(asyncio.create_task(take(i)))
        await asyncio.sleep(0.002)  # tickets are issued in this order
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]


async def test_expired_ticket_frees_the_lock_and_the_key(redis_db):
    store = AtomicRedisLockStore(url=redis_db.url, wait_time_in_seconds=0.01)
    red = redis_db.client()
    stale = store.issue_ticket(CONVERSATION, lock_lifetime=0.3)  # a holder that crashed
    ttl = red.pttl("lock:" + CONVERSATION)
    assert 0 < ttl <= 1300, "the lock key must expire with its last ticket"
    started = time.monotonic()
    async with store.lock(CONVERSATION, lock_lifetime=5):
        waited = time.monotonic() - started
    assert 0.2 <= waited < 3
    assert red.exists("lock:" + CONVERSATION) == 0
    # the crashed holder's late release is harmless
    store.cleanup(CONVERSATION, stale)
    assert red.exists("lock:" + CONVERSATION) == 0


async def test_waiter_whose_ticket_expired_gives_up(redis_db):
    store = AtomicRedisLockStore(url=redis_db.url, wait_time_in_seconds=0.01)
    holder = store.issue_ticket(CONVERSATION, lock_lifetime=30)
    with pytest.raises(LockError):
        async with store.lock(CONVERSATION, lock_lifetime=0.2):
            pass
    assert [t.number for t in store.get_lock(CONVERSATION).tickets] == [holder]


def test_ticket_numbers_are_not_reused_after_the_lock_is_deleted(redis_db):
    store = AtomicRedisLockStore(url=redis_db.url)
    first = store.issue_ticket(CONVERSATION)
    store.cleanup(CONVERSATION, first)
    assert store.get_lock(CONVERSATION) is None
    assert store.issue_ticket(CONVERSATION) > first


def test_lock_format_is_rasas_ticket_lock(redis_db):
    store = AtomicRedisLockStore(url=redis_db.url)
    numbers = [store.issue_ticket(CONVERSATION, 30) for _ in range(3)]
    raw = json.loads(redis_db.client().get("lock:" + CONVERSATION))
    assert raw["conversation_id"] == CONVERSATION
    assert [json.loads(t)["number"] for t in raw["tickets"]] == numbers
    # Rasa's own store reads it
    stock = RedisLockStore(host="127.0.0.1", port=redis_db.port)
    lock = stock.get_lock(CONVERSATION)
    assert lock.now_serving == numbers[0] and lock.last_issued == numbers[-1]
    assert stock.is_someone_waiting(CONVERSATION)
    # and our release and prune keep the order
    store.finish_serving(CONVERSATION, numbers[1])
    store.update_lock(CONVERSATION)
    assert [t.number for t in store.get_lock(CONVERSATION).tickets] == [numbers[0], numbers[2]]


def test_conversation_ids_are_opaque(redis_db):
    store = AtomicRedisLockStore(url=redis_db.url, key_prefix="tenant1")
    odd = 'lock-ticket-counter ünï "quote" /slash\\ \u202e'
    number = store.issue_ticket(odd)
    assert store.get_lock(odd).conversation_id == odd
    assert redis_db.client().exists("tenant1:lock:" + odd) == 1
    store.cleanup(odd, number)
    assert store.get_lock(odd) is None


def test_selected_from_endpoints_yml_with_env_substitution(redis_db, tmp_path, monkeypatch):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "lock_store:\n"
        "  type: ${TEST_LOCK_STORE}\n"
        "  url: ${TEST_REDIS_HOST}\n"
        "  port: ${TEST_REDIS_PORT}\n"
        "  db: ${TEST_REDIS_DB}\n"
        "  password: ${TEST_REDIS_PASSWORD}\n"
        "  key_prefix: ${TEST_REDIS_PREFIX}\n"
        "  wait_time_in_seconds: ${TEST_LOCK_WAIT}\n"
    )
    monkeypatch.setenv("TEST_LOCK_STORE", "addons.lock_store.AtomicRedisLockStore")
    monkeypatch.setenv("TEST_REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("TEST_REDIS_PORT", str(redis_db.port))
    monkeypatch.setenv("TEST_REDIS_DB", "3")
    monkeypatch.setenv("TEST_REDIS_PASSWORD", "")  # empty = no password
    monkeypatch.setenv("TEST_REDIS_PREFIX", "metastasis")
    monkeypatch.setenv("TEST_LOCK_WAIT", "0.02")

    config = AvailableEndpoints.read_endpoints(str(endpoints)).lock_store
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert isinstance(store, RedisLockStore)
    assert _lock_store_is_multi_worker_compatible(store)
    assert store.wait_time_in_seconds == 0.02
    store.issue_ticket(CONVERSATION)
    assert redis_db.client(db=3).exists("metastasis:lock:" + CONVERSATION) == 1


def test_redis_url_with_password(tmp_path, monkeypatch):
    server = RedisServer(tmp_path / "redis-auth", password="s3cret-pw")
    try:
        endpoints = tmp_path / "endpoints.yml"
        endpoints.write_text(
            "lock_store:\n"
            "  type: addons.lock_store.AtomicRedisLockStore\n"
            "  url: ${TEST_REDIS_URL}\n"
        )
        monkeypatch.setenv("TEST_REDIS_URL", server.url + "/2")
        store = LockStore.create(AvailableEndpoints.read_endpoints(str(endpoints)).lock_store)
        store.issue_ticket(CONVERSATION)
        assert server.client(db=2).exists("lock:" + CONVERSATION) == 1

        wrong = AtomicRedisLockStore(url=f"redis://:wrong@127.0.0.1:{server.port}")
        with pytest.raises(LockError):
            wrong.issue_ticket(CONVERSATION)
    finally:
        server.stop()


def test_unreachable_redis_raises_lock_error_quickly():
    store = AtomicRedisLockStore(host="127.0.0.1", port=free_port(), socket_timeout=2)
    started = time.monotonic()
    with pytest.raises(LockError):
        store.issue_ticket(CONVERSATION)
    assert time.monotonic() - started < 5

