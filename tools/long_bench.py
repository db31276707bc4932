"""The long-conversation phase of `make bench` alone, for ours as production runs it.

Starts the action server and `rasa run` exactly as bench/run.py does (HTTP channel, SQLite
tracker store), sends a short warm-up, then the long conversations of the bench (default 2 x
150 messages, one at a time), and prints one JSON line: wall ms and CPU ms per message (rasa +
action server) of messages 1-10 and 141-150 (medians) and their ratios. No init bot.

    .venv/bin/python tools/long_bench.py --model models/<model>.tar.gz
    .venv/bin/python tools/long_bench.py --repo /tmp/before --model ...   # another checkout
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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

    tmp = Path(tempfile.mkdtemp(prefix="long-bench-"))
    settings = harness.parse_args(["--model", str(args.model), "--single", "1", "--senders", "1",
                                   "--per-sender", "1", "--long", str(args.long),
                                   "--long-length", str(args.long_length), "--no-profile"])
    target = harness.Target("ours_sql", "ours (production-like)", "ours", "")
    try:
        harness.start_ours(target, args.model.resolve(), tmp, tmp, sql=True)
        harness.run_target(target, settings, tmp, tmp)
    finally:
        target.stop()
    long = target.result["long"]
    print(json.dumps({
        "repo": str(repo), "complete": long["complete"],
        "ms_first10": long["first10_ms"], "ms_last10": long["last10_ms"],
        "ms_ratio": round(long["last10_ms"] / long["first10_ms"], 2),
        "cpu_ms_first10": long["first10_cpu_ms"], "cpu_ms_last10": long["last10_cpu_ms"],
        "cpu_ratio": round(long["last10_cpu_ms"] / long["first10_cpu_ms"], 2),
        "load": harness.loadavg(),
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
