"""A bounded load generator for Rasa's REST channel, for 127.0.0.1 only.

* Every URL is checked first: only ``http://127.0.0.1`` or ``http://localhost`` (any port) are
  accepted, anything else raises :class:`NotLocalError` before a socket is opened.
* Every run sends a fixed number of messages and stops at a hard time cap, whichever comes
  first; a capped run is reported as such (``capped: true``), never silently shortened.
* A sender behaves like a person: it sends its next message only after the previous answer
  arrived, so "20 senders" means 20 conversations in flight at once (a sender may start a new
  conversation every few messages, see `run_load`).

The statistics are plain functions (`percentile`, `summarize`) so they can be unit-tested.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence
from urllib.parse import urlsplit

import aiohttp

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
WEBHOOK = "/webhooks/rest/webhook"


class NotLocalError(ValueError):
    """The benchmark only ever talks to this machine."""


def check_local(url: str) -> str:
    """Return ``url`` if it is http on 127.0.0.1/localhost, else raise NotLocalError."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        raise NotLocalError(f"not a valid URL: {url!r} ({error})") from None
    if parts.scheme != "http" or host not in LOCAL_HOSTS or parts.username or parts.password:
        raise NotLocalError(
            f"refusing {url!r}: the benchmark only sends to http://127.0.0.1 or http://localhost"
        )
    return url


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks
    (numpy's default method). NaN for an empty sequence."""
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    data = sorted(values)
    if not data:
        return math.nan
    rank = (len(data) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclass
class LoadResult:
    senders: int
    planned: int
    latencies: List[float] = field(default_factory=list)  # seconds, successful messages only
    errors: int = 0
    silent: int = 0  # answered with no message, where the bot may choose that (silent_ok)
    wall: float = 0.0
    capped: bool = False
    error_kinds: Dict[str, int] = field(default_factory=dict)

    def summary(self) -> Dict[str, object]:
        return summarize(self.latencies, self.wall, self.errors, self.senders, self.planned,
                         self.capped, self.error_kinds, self.silent)


def summarize(latencies: Sequence[float], wall: float, errors: int = 0, senders: int = 1,
              planned: Optional[int] = None, capped: bool = False,
              error_kinds: Optional[Dict[str, int]] = None, silent: int = 0) -> Dict[str, object]:
    """Throughput (answered messages per second of wall time) and latency percentiles in ms.

    ``silent`` of the answered messages got an empty answer that the bot chose (counted as
    answered: the server did the work)."""
    ms = [1000.0 * x for x in latencies]
    return {
        "senders": senders,
        "planned": len(ms) + errors if planned is None else planned,
        "answered": len(ms),
        "silent": silent,
        "errors": errors,
        "error_kinds": dict(error_kinds or {}),
        "capped": capped,
        "wall_s": round(wall, 3),
        "msg_per_s": round(len(ms) / wall, 2) if wall > 0 else math.nan,
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(sum(ms) / len(ms), 1) if ms else math.nan,
        "max_ms": round(max(ms), 1) if ms else math.nan,
    }


async def send(session: aiohttp.ClientSession, url: str, sender: str, text: str,
               timeout: float = 60.0, silent_ok: bool = False) -> List[Dict]:
    """One message; returns the bot's replies. Raises on HTTP errors, and on an empty answer
    unless ``silent_ok``: the `rasa init` bot's policies may predict listening and say nothing
    (e.g. "yes" when it asked nothing), which is its design; ours never stays silent."""
    async with session.post(url, json={"sender": sender, "message": text},
                            timeout=aiohttp.ClientTimeout(total=timeout)) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        replies = await response.json()
    if not isinstance(replies, list) or not (replies or silent_ok):
        raise RuntimeError("empty answer")
    return replies


def _session(limit: int) -> aiohttp.ClientSession:
    # One keep-alive connection per sender, like browsers/forum back-ends would hold.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(1, limit)))


async def run_load(base_url: str, scripts: Sequence[Sequence[str]], time_cap: float,
                   sender_prefix: str = "bench", request_timeout: float = 60.0,
                   conversation_length: int = 0, silent_ok: bool = False) -> LoadResult:
    """Play one script per sender, all senders at once; each sender waits for each answer.

    With ``conversation_length`` > 0 a sender starts a new conversation (a new sender id)
    every that many messages, so that throughput is not mixed up with the cost of ever longer
    conversations (measured on its own by `long_conversations`). The number of messages is
    fixed by ``scripts``; the run stops after ``time_cap`` seconds whatever is left
    (``capped``)."""
    url = check_local(base_url.rstrip("/") + WEBHOOK)
    planned = sum(len(s) for s in scripts)
    result = LoadResult(senders=len(scripts), planned=planned)

    async def play(index: int, script: Sequence[str], session: aiohttp.ClientSession) -> None:
        for position, text in enumerate(script):
            conversation = position // conversation_length if conversation_length > 0 else 0
            sender = f"{sender_prefix}-{index}-{conversation}"
            started = time.perf_counter()
            try:
                replies = await send(session, url, sender, text, request_timeout, silent_ok)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - counted, the run goes on
                result.errors += 1
                kind = type(error).__name__ if not isinstance(error, RuntimeError) else str(error)
                result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
                continue
            result.latencies.append(time.perf_counter() - started)
            result.silent += not replies

    async with _session(len(scripts)) as session:
        started = time.perf_counter()
        tasks = [asyncio.ensure_future(play(i, s, session)) for i, s in enumerate(scripts)]
        done, pending = await asyncio.wait(tasks, timeout=time_cap)
        for task in pending:
            task.cancel()
        if pending:
            result.capped = True
            await asyncio.gather(*pending, return_exceptions=True)
        result.wall = time.perf_counter() - started
    return result


async def long_conversations(base_url: str, scripts: Sequence[Sequence[str]], time_cap: float,
                             sender_prefix: str = "long", request_timeout: float = 60.0,
                             silent_ok: bool = False, cpu_probe: Optional[Callable[[], float]] = None,
                             cpu_out: Optional[List[List[Optional[float]]]] = None) -> List[List[Optional[float]]]:
    """Play each script as one conversation, one after another (one message in flight).

    Returns, per conversation, the latency in seconds of each message (None if it failed or
    the time cap stopped the run before it). With ``cpu_probe`` (the servers' CPU seconds so
    far), ``cpu_out`` gets, in the same shape, the CPU seconds each message cost them: with one
    message in flight, steadier than its latency on a shared machine."""
    url = check_local(base_url.rstrip("/") + WEBHOOK)
    out: List[List[Optional[float]]] = [[None] * len(s) for s in scripts]
    if cpu_out is not None:
        cpu_out[:] = [[None] * len(s) for s in scripts]
    deadline = time.monotonic() + time_cap
    async with _session(1) as session:
        for c, script in enumerate(scripts):
            for i, text in enumerate(script):
                if time.monotonic() > deadline:
                    return out
                cpu_started = cpu_probe() if cpu_probe else 0.0
                started = time.perf_counter()
                try:
                    await send(session, url, f"{sender_prefix}-{c}", text, request_timeout, silent_ok)
                except Exception:  # noqa: BLE001 - recorded as a gap
                    continue
                out[c][i] = time.perf_counter() - started
                if cpu_probe and cpu_out is not None:
                    cpu_out[c][i] = cpu_probe() - cpu_started
    return out


def position_medians(runs: Iterable[Sequence[Optional[float]]], positions: Iterable[int]) -> Dict[int, float]:
    """Median latency (ms) at each 1-based message position across conversations."""
    runs = list(runs)
    result = {}
    for pos in positions:
        values = [1000.0 * r[pos - 1] for r in runs if len(r) >= pos and r[pos - 1] is not None]
        result[pos] = round(median(values), 1)
    return result


def window_median(runs: Iterable[Sequence[Optional[float]]], first: int, last: int) -> float:
    """Median latency (ms) over 1-based positions first..last of every conversation."""
    values = [1000.0 * x for r in runs for x in r[first - 1:last] if x is not None]
    return round(median(values), 1)
