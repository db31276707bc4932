"""Stock RedisLockStore vs addons.lock_store.AtomicRedisLockStore under contention.

Not a test: a comparison kept for the notes in docs/production.md (RasaHQ/rasa#9213).
It starts its own redis-server on a free 127.0.0.1 port in a temp dir, stops it by PID, and
prints, for each store:

* duplicate/lost tickets when 8 processes issue 200 tickets each for one conversation;
* overlapping critical sections and lost increments when 4 processes x 10 coroutines take
  the lock 10 times each and do a read-sleep-write on a counter inside it.

Run:  .venv/bin/python docs/lock_store_race.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rasa.core.lock_store import LockError, RedisLockStore  # noqa: E402

from addons.lock_store import AtomicRedisLockStore  # noqa: E402
from tests.production.lock_race import (  # noqa: E402
    CONVERSATION,
    racy_increments,
    run_processes,
)
from tests.production.servers import RedisServer  # noqa: E402


def make_store(kind: str, port: int, wait: float):
    if kind == "stock":
        store = RedisLockStore(host="127.0.0.1", port=port)
        store.wait = wait
        return store
    return AtomicRedisLockStore(host="127.0.0.1", port=port, wait_time_in_seconds=wait)


def issue_many(kind, port, count, start, out):
    store = make_store(kind, port, 0.002)
    start.wait()
    tickets, errors = [], 0
    for _ in range(count):
        try:
            tickets.append(store.issue_ticket(CONVERSATION, 60))
        except LockError:
            errors += 1
    out.put((tickets, errors))


def locked_increments(kind, port, coroutines, rounds, start, out):
    import redis

    async def main():
        store = make_store(kind, port, 0.002)
        red = redis.StrictRedis(host="127.0.0.1", port=port, db=0)
        return await racy_increments(
            store, red, coroutines, rounds, start, lock_args=(60, 0.002), timeout=60
        )

    out.put(asyncio.run(main()))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp))
        try:
            for kind in ("stock", "atomic"):
                server.client(db=0).flushall()
                server.client(db=1).flushall()
                results = run_processes(issue_many, (kind, server.port, 200), 8, timeout=180)
                tickets = [t for r in results for t in r[0]]
                errors = sum(r[1] for r in results)
                lock = RedisLockStore(host="127.0.0.1", port=server.port).get_lock(
                    CONVERSATION
                )
                in_lock = len(lock.tickets) if lock else 0
                print(
                    f"{kind:6} issue: {len(tickets)} tickets issued, "
                    f"{len(tickets) - len(set(tickets))} duplicates, "
                    f"{len(tickets) - in_lock} missing from the lock, {errors} errors"
                )

                server.client(db=0).flushall()
                server.client(db=1).flushall()
                results = run_processes(
                    locked_increments, (kind, server.port, 10, 10), 4, timeout=180
                )
                counter = int(server.client(db=0).get("counter") or 0)
                stuck = sum(1 for r in results if r[2])
                print(
                    f"{kind:6} lock : {sum(r[0] for r in results)} overlapping critical "
                    f"sections, {counter} of 400 increments stored, "
                    f"{sum(r[1] for r in results)} LockErrors, "
                    f"{stuck} of 4 processes still waiting after 60 s"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
