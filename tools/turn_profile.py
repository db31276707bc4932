"""What one turn of a long conversation costs, turn by turn, in one process.

Loads the model with the repo's endpoints.yml (ResilientSQLTrackerStore on SQLite in a temp
dir, the action server started on a free port as bench/run.py starts it) and sends the long
conversation of ``make bench`` (bench/messages.py ``long_scripts``) through ``Agent``, one
message at a time, without the HTTP channel. For each message: the CPU time of this process
and of the action server. Prints one JSON line per run: the median CPU ms per message of
messages 1-10 and 141-150 (for a 150-message conversation) and their ratio.

    .venv/bin/python tools/turn_profile.py --model models/<model>.tar.gz --runs 3
    .venv/bin/python tools/turn_profile.py --model ... --profile results/turn-profile

With ``--profile DIR``, cProfile records the first and the last window apart
(``first.prof``, ``last.prof``) and the functions whose cumulative time per message grew
most are printed: what makes a late turn dearer than an early one.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from bench import messages  # noqa: E402
from bench import run as harness  # noqa: E402

WINDOW = 10


def _cpu_ms(pid: int) -> float:
    return harness.cpu_seconds([pid]) * 1000


async def conversation(agent: Any, sender: str, script: List[str], actions_pid: int,
                       profile_dir: Optional[Path]) -> Dict[str, Any]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    n = len(script)
    windows = {"first": range(0, WINDOW), "last": range(n - WINDOW, n)}
    profilers = {name: cProfile.Profile() for name in windows} if profile_dir else {}
    rasa_ms: List[float] = []
    actions_ms: List[float] = []
    for index, text in enumerate(script):
        profiler = next((profilers[name] for name, turns in windows.items()
                         if index in turns and name in profilers), None)
        actions_before = _cpu_ms(actions_pid)
        before = time.process_time()
        if profiler:
            profiler.enable()
        out = CollectingOutputChannel()
        await agent.handle_message(UserMessage(text, out, sender))
        if profiler:
            profiler.disable()
        rasa_ms.append((time.process_time() - before) * 1000)
        actions_ms.append(_cpu_ms(actions_pid) - actions_before)
        if not out.messages:
            raise RuntimeError(f"message {index + 1} got no answer")
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
        for name, profiler in profilers.items():
            profiler.dump_stats(str(profile_dir / f"{name}.prof"))
    first = [rasa_ms[i] for i in windows["first"]]
    last = [rasa_ms[i] for i in windows["last"]]
    return {
        "messages": n,
        "rasa_cpu_ms_first": round(statistics.median(first), 1),
        "rasa_cpu_ms_last": round(statistics.median(last), 1),
        "ratio": round(statistics.median(last) / statistics.median(first), 2),
        # /proc counts in 10 ms ticks: the mean over the window, not the median
        "actions_cpu_ms_first": round(statistics.mean(actions_ms[i] for i in windows["first"]), 1),
        "actions_cpu_ms_last": round(statistics.mean(actions_ms[i] for i in windows["last"]), 1),
        "per_message": [round(ms, 1) for ms in rasa_ms],
    }


def growth(profile_dir: Path, top: int) -> None:
    """The functions whose cumulative time per message grew most from the first window."""
    stats = {name: pstats.Stats(str(profile_dir / f"{name}.prof")).stats for name in ("first", "last")}

    def cumulative(name: str) -> Dict[str, float]:
        return {f"{Path(f).name}:{line} {fn}": data[3] * 1000 / WINDOW
                for (f, line, fn), data in stats[name].items()}

    first, last = cumulative("first"), cumulative("last")
    rows = sorted(((last.get(k, 0) - first.get(k, 0), k) for k in set(first) | set(last)), reverse=True)
    print(f"{'grew ms/msg':>11} {'first':>7} {'last':>7}  function (cumulative, per message)")
    for delta, key in rows[:top]:
        print(f"{delta:11.2f} {first.get(key, 0):7.2f} {last.get(key, 0):7.2f}  {key}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--length", type=int, default=150)
    p.add_argument("--profile", type=Path, help="record cProfile of the first and last window here")
    p.add_argument("--top", type=int, default=45)
    p.add_argument("--endpoints", type=Path, default=REPO / "endpoints.yml")
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="turn-profile-"))
    port = harness.free_port()
    actions = harness.Proc("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", port],
                           REPO, tmp / "actions.log", harness.rasa_env({"SANIC_HOST": "127.0.0.1"}))
    try:
        harness.wait_for(lambda: harness.http_get_ok(f"http://127.0.0.1:{port}/health"), 120, "action server",
                         actions)
        os.environ.update({"ACTION_SERVER_URL": f"http://127.0.0.1:{port}/webhook",
                           "TRACKER_DB_URL": f"sqlite:///{tmp / 'conversations.db'}",
                           "LOCK_STORE": "in_memory", "LOCK_STORE_URL": ""})
        import logging

        from rasa.core.agent import load_agent
        from rasa.core.utils import AvailableEndpoints
        from rasa.utils.common import configure_logging_and_warnings
        from rasa.utils.log_utils import configure_structlog

        # as `rasa run` logs by default: INFO, no debug lines formatted per turn
        configure_logging_and_warnings(logging.INFO)
        configure_structlog(logging.INFO)

        async def go() -> None:
            endpoints = AvailableEndpoints.read_endpoints(str(args.endpoints))
            agent = await load_agent(model_path=str(args.model), endpoints=endpoints)
            # warm-up: first-use loads (the KB, the matcher) are not a turn's cost
            from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
            await agent.handle_message(UserMessage(messages.OURS_ANCHOR, CollectingOutputChannel(), "warm-up"))
            for run in range(args.runs):
                script = messages.long_scripts("ours", 1, args.length)[0]
                result = await conversation(agent, f"long-{run}", script, actions.pid,
                                            args.profile if run == 0 else None)
                result["load"] = harness.loadavg()[0]
                print(json.dumps({k: v for k, v in result.items() if k != "per_message"}), flush=True)
                (tmp / f"run-{run}.json").write_text(json.dumps(result))
            if args.profile:
                growth(args.profile, args.top)

        asyncio.run(go())
    finally:
        actions.stop()
    print(f"per-message figures in {tmp}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
