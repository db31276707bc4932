"""`make bench`: this assistant against a fresh `rasa init` bot, on this machine, side by side.

    .venv/bin/python -m bench.run --model models/metastasis-<hash>.tar.gz

What it does, in order (every server on a free 127.0.0.1 port, stopped by its PID):

1. trains the plain `rasa init --no-prompt` bot in a temporary directory (never in the repo);
2. for each configuration -- ours as production runs it locally (action server + `rasa run`
   with the repo's endpoints.yml: SQLite tracker store in the temp dir, in-memory lock store,
   the repo's credentials.yml), ours with the in-memory tracker store, and the init bot --
   measures start-up, 1 and 20 concurrent senders, message 1 vs message 150 of long
   conversations, CPU time per message and peak RSS;
3. records a py-spy profile of our `rasa run` (and of the action server) during a second,
   unmeasured 20-sender run;
4. writes everything to results/bench/ and the generated part of BENCHMARKS.md.

Every phase sends a fixed number of messages under a hard time cap (bench.load). The sizes
can be changed with the options below (e.g. for a quick try: --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from bench import load, messages, profile, report

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
RASA = VENV_BIN / "rasa"
PY_SPY = VENV_BIN / "py-spy"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rasa_env(extra: Optional[Dict[str, str]] = None, repo_on_path: bool = True) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    if repo_on_path:
        env["PYTHONPATH"] = str(REPO)
    else:
        env.pop("PYTHONPATH", None)
    env.update(extra or {})
    return env


class Proc:
    """A process this run started; `stop` ends it by its PID (TERM, then KILL)."""

    def __init__(self, name: str, args: Sequence[object], cwd: Path, log_path: Path, env: Dict[str, str]):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(a) for a in args], cwd=str(cwd), stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, start_new_session=True,
        )
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        if not self._log.closed:
            self._log.close()


def wait_for(check, timeout: float, what: str, proc: Optional[Proc] = None, interval: float = 0.05) -> float:
    """Poll `check` until it returns True; returns the time (perf_counter) it did."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what}: exited early with code {proc.proc.returncode} (see {proc.log_path})")
        try:
            if check():
                return time.perf_counter()
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def http_get_ok(url: str) -> bool:
    load.check_local(url)
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


def http_answer(base_url: str, sender: str, text: str) -> bool:
    url = load.check_local(base_url + load.WEBHOOK)
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status == 200 and bool(json.loads(response.read() or b"[]"))


def proc_status(pid: int) -> Dict[str, float]:
    """VmRSS / VmHWM (peak) of one process, in MB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def descendants(pid: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def loadavg() -> List[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --------------------------------------------------------------------------- configurations


class Target:
    """One bot under test: its servers, its base URL and what it is."""

    def __init__(self, key: str, title: str, bot: str, description: str):
        self.key, self.title, self.bot, self.description = key, title, bot, description
        self.rasa: Optional[Proc] = None
        self.actions: Optional[Proc] = None
        self.url = ""
        self.result: Dict[str, object] = {"key": key, "title": title, "bot": bot, "description": description}

    @property
    def silent_ok(self) -> bool:
        """An empty answer is the init bot's choice (its policies predicted listening); ours
        never stays silent, so for ours it is an error."""
        return self.bot == "init"

    @property
    def pids(self) -> List[int]:
        return [p.pid for p in (self.rasa, self.actions) if p is not None]

    def stop(self) -> None:
        for proc in (self.rasa, self.actions):
            if proc is not None:
                proc.stop()


def our_endpoints(tmp: Path, sql: bool) -> Path:
    """The repo's endpoints.yml as it is (the action server's URL comes from
    $ACTION_SERVER_URL, set to the free port); for the in-memory variant a copy without the
    tracker_store section (Rasa's default InMemoryTrackerStore)."""
    import yaml

    repo_file = REPO / "endpoints.yml"
    text = repo_file.read_text()
    if sql and "${ACTION_SERVER_URL}" in text:
        return repo_file
    endpoints = yaml.safe_load(text)
    endpoints["action_endpoint"]["url"] = "${ACTION_SERVER_URL}"
    if not sql:
        endpoints.pop("tracker_store", None)
    path = tmp / f"endpoints-{'sql' if sql else 'memory'}.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


def start_ours(target: Target, model: Path, tmp: Path, out: Path, sql: bool) -> None:
    port = free_port()
    env = rasa_env({"SANIC_HOST": "127.0.0.1"})
    target.actions = Proc("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", port],
                          REPO, out / f"{target.key}-actions.log", env)
    ready = wait_for(lambda: http_get_ok(f"http://127.0.0.1:{port}/health"), 120, "action server", target.actions)
    target.result["actions_startup_s"] = round(ready - target.actions.started, 2)
    endpoints = our_endpoints(tmp, sql)
    db = tmp / f"{target.key}-conversations.db"
    env = rasa_env({"ACTION_SERVER_URL": f"http://127.0.0.1:{port}/webhook", "TRACKER_DB_URL": f"sqlite:///{db}",
                    "LOCK_STORE": "in_memory", "LOCK_STORE_URL": ""})
    start_rasa(target, model, REPO, endpoints, REPO / "credentials.yml", out, env)


def start_init(target: Target, init_dir: Path, out: Path) -> None:
    model = next((init_dir / "models").glob("*.tar.gz"))
    credentials = init_dir / "credentials-rest.yml"
    credentials.write_text("rest:\n")
    start_rasa(target, model, init_dir, init_dir / "endpoints.yml", credentials, out,
               rasa_env(repo_on_path=False))


def start_rasa(target: Target, model: Path, cwd: Path, endpoints: Path, credentials: Path,
               out: Path, env: Dict[str, str]) -> None:
    port = free_port()
    target.url = f"http://127.0.0.1:{port}"
    target.rasa = Proc("rasa", [RASA, "run", "--model", model, "--interface", "127.0.0.1", "--port", port,
                                "--endpoints", endpoints, "--credentials", credentials],
                       cwd, out / f"{target.key}-rasa.log", env)
    up = wait_for(lambda: http_get_ok(target.url + "/webhooks/rest/"), 300, "rasa run", target.rasa)
    first = target.bot == "init" and messages.INIT_ANCHOR or messages.OURS_ANCHOR
    answered = wait_for(lambda: http_answer(target.url, "startup", first), 120, "first answer", target.rasa)
    target.result["startup_http_s"] = round(up - target.rasa.started, 2)
    target.result["startup_s"] = round(answered - target.rasa.started, 2)


# --------------------------------------------------------------------------- phases


def measure_load(target: Target, scripts: List[List[str]], cap: float, prefix: str,
                 conversation_length: int) -> Dict[str, object]:
    procs = {p.name: p.pid for p in (target.rasa, target.actions) if p is not None}
    cpu_before = {name: cpu_seconds([pid]) for name, pid in procs.items()}
    own_before = time.process_time()
    result = asyncio.run(load.run_load(target.url, scripts, cap, sender_prefix=prefix,
                                       conversation_length=conversation_length,
                                       silent_ok=target.silent_ok))
    summary = result.summary()
    answered = max(1, int(summary["answered"]))
    # CPU time per answered message: steadier than wall time on a shared machine.
    for name, pid in procs.items():
        summary[f"{name}_cpu_ms_per_msg"] = round(1000 * (cpu_seconds([pid]) - cpu_before[name]) / answered, 1)
    summary["generator_cpu_ms_per_msg"] = round(1000 * (time.process_time() - own_before) / answered, 2)
    return summary


def run_target(target: Target, args, tmp: Path, out: Path) -> None:
    t = target.result
    log(f"{target.title}: warm-up")
    asyncio.run(load.run_load(target.url, messages.scripts(target.bot, 2, args.warmup, seed=99), 120,
                              sender_prefix="warmup", silent_ok=target.silent_ok))
    n = args.conversation_length

    log(f"{target.title}: 1 sender x {args.single} messages")
    t["single"] = measure_load(target, messages.scripts(target.bot, 1, args.single, conversation_length=n),
                               args.phase_cap, "one", n)
    log(f"  {t['single']}")

    log(f"{target.title}: {args.senders} senders x {args.per_sender} messages")
    t["concurrent"] = measure_load(
        target, messages.scripts(target.bot, args.senders, args.per_sender, conversation_length=n),
        args.phase_cap, "many", n)
    log(f"  {t['concurrent']}")

    if args.long > 0 and (target.key != "ours_memory" or args.long_memory):
        log(f"{target.title}: {args.long} conversations x {args.long_length} messages, one at a time")
        pids = [p.pid for p in (target.rasa, target.actions) if p is not None]
        cpu: List[List[Optional[float]]] = []
        runs = asyncio.run(load.long_conversations(
            target.url, messages.long_scripts(target.bot, args.long, args.long_length), args.long_cap,
            silent_ok=target.silent_ok, cpu_probe=lambda: cpu_seconds(pids), cpu_out=cpu))
        n = args.long_length
        t["long"] = {
            "conversations": args.long,
            "length": n,
            "complete": sum(1 for r in runs if all(x is not None for x in r)),
            "first_ms": load.position_medians(runs, [1])[1],
            "last_ms": load.position_medians(runs, [n])[n],
            # the long-conversation target: messages 141-150 against 1-10 (medians)
            "first10_ms": load.window_median(runs, 1, min(10, n)),
            "last10_ms": load.window_median(runs, max(1, n - 9), n),
            # CPU of rasa (+ the action server) per message: steadier than latency under load
            "first10_cpu_ms": load.window_median(cpu, 1, min(10, n)),
            "last10_cpu_ms": load.window_median(cpu, max(1, n - 9), n),
            "per_position_ms": [
                [None if x is None else round(1000 * x, 1) for x in r] for r in runs
            ],
        }
        log(f"  message 1: {t['long']['first_ms']} ms, message {n}: {t['long']['last_ms']} ms")

    t["rss"] = {"rasa": proc_status(target.rasa.pid)}
    if target.actions is not None:
        t["rss"]["actions"] = proc_status(target.actions.pid)
    extra = [p for pid in target.pids for p in descendants(pid)]
    t["rss"]["child_processes"] = len(extra)
    log(f"  RSS {t['rss']}")


def run_profile(target: Target, args, out: Path) -> Dict[str, object]:
    """py-spy on `rasa run` and on the action server during an unmeasured 20-sender run."""
    if not PY_SPY.exists():
        return {"error": f"{PY_SPY} not found (requirements-bench.txt installs it)"}
    recorders = []
    for proc in (target.rasa, target.actions):
        if proc is None:
            continue
        raw = out / f"profile-{target.key}-{proc.name}.txt"
        raw.unlink(missing_ok=True)
        recorders.append((proc.name, raw, Proc(
            f"py-spy-{proc.name}",
            [PY_SPY, "record", "--pid", proc.pid, "--rate", args.profile_rate, "--format", "raw",
             "--output", raw],
            REPO, out / f"py-spy-{proc.name}.log", dict(os.environ))))
    time.sleep(1.0)  # py-spy attaches
    log(f"{target.title}: profiling a {args.senders}-sender run with py-spy")
    summary = asyncio.run(load.run_load(
        target.url, messages.scripts(target.bot, args.senders, args.profile_per_sender, seed=7,
                                     conversation_length=args.conversation_length),
        args.phase_cap, sender_prefix="profile", conversation_length=args.conversation_length)).summary()
    result: Dict[str, object] = {"load": summary, "rate_hz": args.profile_rate, "processes": {}}
    for name, raw, recorder in recorders:
        if recorder.alive():
            os.kill(recorder.pid, signal.SIGINT)  # py-spy writes its output on Ctrl-C
            try:
                recorder.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        recorder.stop()
        if raw.exists() and raw.stat().st_size:
            stats = profile.analyse(raw.read_text())
            stats["file"] = str(raw.relative_to(REPO)) if raw.is_relative_to(REPO) else str(raw)
            result["processes"][name] = stats
        else:
            text = recorder.log_path.read_text(errors="replace")[-2000:]
            result["processes"][name] = {"error": f"py-spy wrote no profile: {text.strip()}"}
    return result


# --------------------------------------------------------------------------- machine


def machine() -> Dict[str, object]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                  if l.startswith("MemTotal"))
    os_name = platform.platform()
    try:
        release = dict(
            l.split("=", 1) for l in Path("/etc/os-release").read_text().splitlines() if "=" in l)
        os_name = f"{release.get('PRETTY_NAME', '').strip(chr(34))}, Linux {platform.release()}"
    except OSError:
        pass
    from importlib.metadata import version

    def ver(name: str) -> str:
        try:
            return version(name)
        except Exception:  # noqa: BLE001
            return "?"

    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001
            return "?"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": os_name,
        "python": platform.python_version(),
        "rasa": ver("rasa"),
        "rasa_sdk": ver("rasa-sdk"),
        "spacy": ver("spacy"),
        "tensorflow": ver("tensorflow"),
        "sqlalchemy": ver("SQLAlchemy"),
        "py_spy": ver("py-spy"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "commit_subject": git("log", "-1", "--format=%s"),
        "tree_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --------------------------------------------------------------------------- main


def parse_args(argv: Optional[Sequence[str]] = None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="our trained model (make model)")
    p.add_argument("--out", default=str(REPO / "results" / "bench"), help="raw results and logs")
    p.add_argument("--report", default=str(REPO / "BENCHMARKS.md"), help="the file whose generated part is rewritten")
    p.add_argument("--warmup", type=int, default=8, help="unmeasured messages per warm-up sender (2 senders)")
    p.add_argument("--single", type=int, default=100, help="messages sent by the single sender")
    p.add_argument("--senders", type=int, default=20, help="concurrent senders")
    p.add_argument("--per-sender", type=int, default=15, help="messages per concurrent sender")
    p.add_argument("--conversation-length", type=int, default=10,
                   help="in the 1- and 20-sender runs a sender starts a new conversation every N messages")
    p.add_argument("--long", type=int, default=2, help="long conversations per bot")
    p.add_argument("--long-length", type=int, default=150, help="messages in each long conversation")
    p.add_argument("--long-memory", action="store_true",
                   help="long conversations for the in-memory variant too")
    p.add_argument("--phase-cap", type=float, default=120, help="hard time cap of one load phase, s")
    p.add_argument("--long-cap", type=float, default=200, help="hard time cap of the long conversations, s")
    p.add_argument("--profile-rate", type=int, default=50, help="py-spy samples per second")
    p.add_argument("--profile-per-sender", type=int, default=10, help="messages per sender in the profiled run")
    p.add_argument("--no-profile", action="store_true", help="skip the py-spy run")
    p.add_argument("--no-memory-variant", action="store_true", help="skip ours with the in-memory tracker store")
    p.add_argument("--reuse-init", metavar="DIR", help="use this already trained `rasa init` project instead of "
                   "training one (to try the harness; BENCHMARKS.md figures always train in the run)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, to try the harness (not for BENCHMARKS.md)")
    args = p.parse_args(argv)
    if args.quick:
        args.single, args.per_sender, args.long, args.long_length, args.warmup = 10, 3, 1, 12, 2
        args.profile_per_sender, args.conversation_length = 2, 5
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    model = Path(args.model).resolve()
    if not model.is_file():
        sys.exit(f"model not found: {model} (run `make train`)")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results: Dict[str, object] = {
        "machine": machine(),
        "loadavg_start": loadavg(),
        "model": model.name,
        "settings": {k: v for k, v in vars(args).items() if k not in ("model", "out", "report")},
        "distinct_messages": {bot: len(messages.distinct_in_load(
            bot, args.single, args.senders, args.per_sender, args.conversation_length, args.long, args.long_length))
            for bot in ("ours", "init")},
        "targets": [],
    }
    log(f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, load {results['loadavg_start']}")

    tmp = Path(tempfile.mkdtemp(prefix="metastasis-bench-"))
    targets: List[Target] = []
    try:
        # A private copy: a `make train` elsewhere deletes models of other hashes.
        model = Path(shutil.copy2(model, tmp / model.name))
        # 1. the rasa init bot, trained here and now
        if args.reuse_init:
            init_dir = Path(args.reuse_init).resolve()
            results["init_train_s"] = None
        else:
            init_dir = tmp / "init"
            init_dir.mkdir()
            log(f"training the `rasa init` bot in {init_dir}")
            t0 = time.perf_counter()
            init_log = out / "init-train.log"
            with open(init_log, "wb") as fh:
                done = subprocess.run([str(RASA), "init", "--no-prompt", "--init-dir", str(init_dir)],
                                      cwd=str(tmp), stdout=fh, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=rasa_env(repo_on_path=False), timeout=900)
            if done.returncode != 0 or not list((init_dir / "models").glob("*.tar.gz")):
                sys.exit(f"rasa init failed (see {init_log})")
            results["init_train_s"] = round(time.perf_counter() - t0, 1)
            log(f"  trained in {results['init_train_s']} s")

        plan = [
            Target("ours_sql", "ours (production-like)", "ours",
                   "action server (rasa_sdk) + `rasa run`, the repo's endpoints.yml (ResilientSQLTrackerStore on "
                   "SQLite in a temp dir, in-memory lock store, ACTION_SERVER_URL on a free port) and "
                   "credentials.yml (hardened REST channel, log privacy, addons.fast_paths); an answer turn runs one custom action "
                   "over HTTP (`action_answer`: the answer's response and the guidance)"),
        ]
        if not args.no_memory_variant:
            plan.append(Target("ours_memory", "ours, in-memory tracker", "ours",
                               "the same without the tracker_store section (Rasa's InMemoryTrackerStore; "
                               "1 and 20 senders only)"))
        plan.append(Target("init", "rasa init bot", "init",
                           "`rasa init --no-prompt` as generated (default pipeline and policies incl. "
                           "TEDPolicy), InMemoryTrackerStore, stock `rest:` channel, no action server"))

        for target in plan:
            targets.append(target)
            log(f"starting {target.title}")
            if target.bot == "init":
                start_init(target, init_dir, out)
            else:
                start_ours(target, model, tmp, out, sql=target.key != "ours_memory")
            log(f"  up in {target.result['startup_s']} s (HTTP {target.result['startup_http_s']} s)")
            run_target(target, args, tmp, out)
            if target.key == "ours_sql" and not args.no_profile:
                target.result["profile"] = run_profile(target, args, out)
            target.stop()
            results["targets"].append(target.result)
    finally:
        for target in targets:
            target.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    results["loadavg_end"] = loadavg()
    results["total_s"] = round(time.perf_counter() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if args.quick or args.reuse_init:
        log(f"--quick/--reuse-init: results in {out / 'results.json'}; {args.report} left alone")
    else:
        report.write(Path(args.report), results)
        log(f"wrote {args.report}")
    log(f"done in {results['total_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
