"""The long-conversation phase of `make bench` alone, for ours as production runs it.

Starts the action server and `rasa run` exactly as bench/run.py does (HTTP channel, SQLite
tracker store), sends a short warm-up, then the long conversations of the bench (default 2 x
150 messages, one at a time), and prints one JSON line: wall ms and CPU ms per message (rasa +
action server) of messages 1-10 and 141-150 (medians over both conversations) and their
ratios. No init bot. The CPU time is read from each thread's ``schedstat`` (nanoseconds), not
from ``stat`` as the bench does (10 ms ticks, too coarse for a 25 ms message).

    .venv/bin/python tools/long_bench.py --model models/<model>.tar.gz
    .venv/bin/python tools/long_bench.py --repo /tmp/before --model ...   # another checkout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]


def cpu_ns(pids: Sequence[int]) -> int:
    """CPU time of these processes so far, every thread's, in nanoseconds."""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--repo", type=Path, default=REPO, help="the checkout whose bench/ and code run")
    p.add_argument("--long", type=int, default=2)
    p.add_argument("--long-length", type=int, default=150)
    args = p.parse_args()
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    from bench import run as harness  # the checkout's own harness and code

    from bench import load, messages

    tmp = Path(tempfile.mkdtemp(prefix="long-bench-"))
    target = harness.Target("ours_sql", "ours (production-like)", "ours", "")
    try:
        harness.start_ours(target, args.model.resolve(), tmp, tmp, sql=True)
        pids = target.pids
        asyncio.run(load.run_load(target.url, messages.scripts("ours", 2, 4, seed=99), 120,
                                  sender_prefix="warmup"))
        cpu: List[List[Optional[float]]] = []
        runs = asyncio.run(load.long_conversations(
            target.url, messages.long_scripts("ours", args.long, args.long_length), 600,
            cpu_probe=lambda: cpu_ns(pids) / 1e9, cpu_out=cpu))
    finally:
        target.stop()
    n = args.long_length
    figures = {
        "ms_first10": load.window_median(runs, 1, 10), "ms_last10": load.window_median(runs, n - 9, n),
        "cpu_ms_first10": load.window_median(cpu, 1, 10), "cpu_ms_last10": load.window_median(cpu, n - 9, n),
    }
    print(json.dumps({
        "repo": str(repo), "complete": sum(1 for r in runs if all(x is not None for x in r)), **figures,
        "ms_ratio": round(figures["ms_last10"] / figures["ms_first10"], 2),
        "cpu_ratio": round(figures["cpu_ms_last10"] / figures["cpu_ms_first10"], 2),
        "load": harness.loadavg(),
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
