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
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rasa.core.lock_store import LockError, RedisLockStore  # noqa: E402

from addons.lock_store import AtomicRedisLockStore  # noqa: E402
from tests.production.servers import RedisServer  # noqa: E402

CONVERSATION = "same-sender"


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
        overlaps = errors = 0

        async def worker():
            nonlocal overlaps, errors
            for _ in range(rounds):
                try:
                    async with store.lock(CONVERSATION, 60, 0.002):
                        if not red.set("holder", os.getpid(), nx=True):
                            overlaps += 1
                        value = int(red.get("counter") or 0)
                        await asyncio.sleep(0.001)
                        red.set("counter", value + 1)
                        red.delete("holder")
                except LockError:
                    errors += 1

        start.wait()
        timed_out = False
        try:
            await asyncio.wait_for(
                asyncio.gather(*(worker() for _ in range(coroutines))), timeout=60
            )
        except asyncio.TimeoutError:
            timed_out = True
        return overlaps, errors, timed_out

    out.put(asyncio.run(main()))


def run(target, args, processes):
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, out)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    time.sleep(0.3)
    start.set()
    results = [out.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    return results


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp))
        try:
            for kind in ("stock", "atomic"):
                server.client(db=0).flushall()
                server.client(db=1).flushall()
                results = run(issue_many, (kind, server.port, 200), 8)
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
                results = run(locked_increments, (kind, server.port, 10, 10), 4)
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
