"""Start-up of `rasa run`, from process start to the first answered REST message.

Starts the action server, then `rasa run` exactly as bench/run.py does (the repo's endpoints
and credentials, SQLite tracker store, in-memory lock store), and prints one JSON line per run:
wall seconds to "HTTP up" and to the first answer, CPU seconds of the rasa process at both
points (the figure to compare on a busy machine), its peak RSS (VmHWM) and the load average.

    .venv/bin/python tools/startup.py --model models/<model>.tar.gz --runs 3
    .venv/bin/python tools/startup.py --repo /tmp/before --model ...   # another checkout

With `--repo`, the servers run that checkout's code (a `git archive` copy with a `.venv`
link), so before/after pairs can be interleaved on the same machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import messages  # noqa: E402
from bench import run as harness  # noqa: E402


def start_once(repo: Path, model: Path) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="startup-"))
    port = harness.free_port()
    env = harness.rasa_env({"SANIC_HOST": "127.0.0.1", "PYTHONPATH": str(repo)})
    actions = harness.Proc("actions", [repo / ".venv/bin/python", "-m", "rasa_sdk", "--actions", "actions",
                                       "--port", port], repo, tmp / "actions.log", env)
    rasa = None
    try:
        harness.wait_for(lambda: harness.http_get_ok(f"http://127.0.0.1:{port}/health"), 120, "action server",
                         actions)
        env = harness.rasa_env({"ACTION_SERVER_URL": f"http://127.0.0.1:{port}/webhook",
                                "TRACKER_DB_URL": f"sqlite:///{tmp / 'conversations.db'}",
                                "LOCK_STORE": "in_memory", "LOCK_STORE_URL": "", "PYTHONPATH": str(repo)})
        rasa_port = harness.free_port()
        url = f"http://127.0.0.1:{rasa_port}"
        rasa = harness.Proc("rasa", [repo / ".venv/bin/rasa", "run", "--model", model, "--interface", "127.0.0.1",
                                     "--port", rasa_port, "--endpoints", repo / "endpoints.yml",
                                     "--credentials", repo / "credentials.yml"], repo, tmp / "rasa.log", env)
        up = harness.wait_for(lambda: harness.http_get_ok(url + "/webhooks/rest/"), 300, "rasa run", rasa)
        cpu_up = harness.cpu_seconds([rasa.pid])
        answered = harness.wait_for(lambda: harness.http_answer(url, "startup", messages.OURS_ANCHOR), 120,
                                    "first answer", rasa)
        return {"repo": str(repo), "http_up_s": round(up - rasa.started, 2),
                "first_answer_s": round(answered - rasa.started, 2), "cpu_http_up_s": round(cpu_up, 2),
                "cpu_first_answer_s": round(harness.cpu_seconds([rasa.pid]), 2),
                "peak_rss_mb": harness.proc_status(rasa.pid).get("VmHWM"), "load": harness.loadavg()[0]}
    finally:
        if rasa is not None:
            rasa.stop()
        actions.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose code runs (default: this one)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    results = []
    for _ in range(args.runs):
        results.append(start_once(args.repo.resolve(), args.model.resolve()))
        print(json.dumps(results[-1]), flush=True)
    if len(results) > 1:
        print(json.dumps({key: statistics.median(r[key] for r in results)
                          for key in ("first_answer_s", "cpu_first_answer_s", "peak_rss_mb")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
