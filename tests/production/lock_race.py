"""Contention on a Redis lock store from several processes at once: the pieces shared by
tests/production/test_lock_store.py and the comparison script docs/lock_store_race.py."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from typing import Optional, Sequence

from rasa.core.lock_store import LockError

CONVERSATION = "same-sender"


async def racy_increments(
    store, red, coroutines: int, rounds: int, start, lock_args: Sequence = (),
    timeout: Optional[float] = None,
):
    """`coroutines` coroutines each take the lock `rounds` times, then do a deliberately racy
    read-sleep-write on a counter in `red` and mark the critical section.

    Returns (overlapping critical sections, LockErrors, whether `timeout` ran out)."""
    overlaps = errors = 0

    async def worker():
        nonlocal overlaps, errors
        for _ in range(rounds):
            try:
                async with store.lock(CONVERSATION, *lock_args):
                    if not red.set("holder", os.getpid(), nx=True):
                        overlaps += 1
                    value = int(red.get("counter") or 0)
                    await asyncio.sleep(0.001)
                    red.set("counter", value + 1)
                    red.delete("holder")
            except LockError:
                errors += 1

    start.wait()
    try:
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(coroutines))), timeout)
    except asyncio.TimeoutError:
        return overlaps, errors, True
    return overlaps, errors, False


def run_processes(target, args, processes: int, timeout: float = 120, check: bool = False):
    """Runs `target(*args, start, out)` in `processes` forked children released at once;
    returns what each put on `out`. With `check`, every child must exit with 0."""
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, out)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    time.sleep(0.3)  # let every child connect before they all start at once
    start.set()
    results = [out.get(timeout=timeout) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        if check:
            assert proc.exitcode == 0
    return results
