"""The generated part of BENCHMARKS.md, from results/bench/results.json.

Only the text between the two marker comments is rewritten; everything else in the file (the
hand-written notes) is kept. A missing file gets a skeleton with a Notes heading.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Dict, List, Optional

BEGIN = "<!-- bench:generated:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:generated:end -->"

# The targets (issue 13) for ours as production runs it: this step and the long-term goal.
# Throughput and p95 are ratios to the init bot in the same run; the long conversation compares
# the median of its last 10 messages (141-150) with that of its first 10.
STEP, GOAL = "this step", "long-term goal"
TARGETS = {
    "msg_ratio": {STEP: 1.5, GOAL: 2.0},      # ours' msg/s at 20 senders >= N x the init bot's
    "p95_ratio": {STEP: 0.75, GOAL: 0.5},     # ours' p95 at 20 senders <= N x the init bot's
    "long_ratio": {STEP: 1.5, GOAL: 1.2},     # messages 141-150 <= N x messages 1-10
    "startup_s": {STEP: 10.0, GOAL: 10.0},
    "rss_mb": {STEP: 1024.0, GOAL: 1024.0},
}

SKELETON = f"""# Benchmarks

`make bench` measures this assistant against the plain `rasa init` bot, trained in a temporary
directory in the same run, on the same machine. Only 127.0.0.1 is ever contacted; every phase
sends a fixed number of messages under a hard time cap. Raw figures, server logs and py-spy
profiles are written to `results/bench/` (git-ignored). This is a benchmark, not a test: no
test asserts a wall-clock figure.

{BEGIN}
{END}

## Notes
"""


def _num(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _verdict(ok: Optional[bool]) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def _get(target: Optional[Dict], *keys):
    value = target
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def evaluate(results: Dict) -> List[Dict]:
    """The issue's targets, judged on ours as production runs it against the init bot: for each,
    the measured value and, for this step and the long-term goal, the bound and whether it is met
    (``ok``: a dict by STEP / GOAL, None where nothing was measured)."""
    by_key = {t["key"]: t for t in results.get("targets", [])}
    ours, init = by_key.get("ours_sql"), by_key.get("init")
    rows = []

    def ratio(a, b):
        return None if a is None or b in (None, 0) else a / b

    def add(target: str, key: str, value, shown: Optional[str], bound: str, at_most: bool) -> None:
        ok = {level: None if value is None else (value <= TARGETS[key][level] if at_most
                                                 else value >= TARGETS[key][level]) for level in (STEP, GOAL)}
        rows.append({"target": target, "value": shown, "ok": ok,
                     "bound": {level: bound.format(TARGETS[key][level]) for level in (STEP, GOAL)}})

    r = ratio(_get(ours, "concurrent", "msg_per_s"), _get(init, "concurrent", "msg_per_s"))
    add("msg/s at 20 senders, against the init bot's", "msg_ratio", r, r and f"{r:.2f}×", "≥ {:g}×", False)
    r = ratio(_get(ours, "concurrent", "p95_ms"), _get(init, "concurrent", "p95_ms"))
    add("p95 at 20 senders, against the init bot's", "p95_ratio", r, r and f"{r:.2f}×", "≤ {:g}×", True)
    length = _get(ours, "long", "length") or 150
    r = ratio(_get(ours, "long", "last10_ms"), _get(ours, "long", "first10_ms"))
    add(f"long conversation: messages {length - 9}–{length} against 1–10 (medians)", "long_ratio", r,
        r and f"{r:.2f}×", "≤ {:g}×", True)
    s = _get(ours, "startup_s")
    add("start-up (process start to first answer)", "startup_s", s, s and f"{s:.1f} s", "≤ {:g} s", True)
    m = _get(ours, "rss", "rasa", "VmHWM")
    a = _get(ours, "rss", "actions", "VmHWM")
    add("peak RSS, `rasa run`", "rss_mb", m, m and f"{m:,.0f} MB" + (f" (+ action server {a:,.0f} MB)" if a else ""),
        "≤ {:,.0f} MB", True)
    return rows


def _table(results: Dict) -> List[str]:
    targets = results.get("targets", [])
    init = next((t for t in targets if t["key"] == "init"), None)
    head = "| | " + " | ".join(t["title"] for t in targets) + " | target (for ours, production-like) |"
    lines = [head, "|---|" + "---:|" * len(targets) + "---|"]

    def row(label: str, cells: List[str], target: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    def pcts(t, phase):
        return " / ".join(_num(_get(t, phase, k), 0) for k in ("p50_ms", "p95_ms", "p99_ms"))

    settings = results.get("settings", {})
    n1 = settings.get("single")
    nc, per = settings.get("senders"), settings.get("per_sender")
    row(f"1 sender ({n1} msgs): msg/s", [_num(_get(t, "single", "msg_per_s")) for t in targets])
    row("1 sender: p50 / p95 / p99 ms", [pcts(t, "single") for t in targets])
    init_rate = _get(init, "concurrent", "msg_per_s")
    init_p95 = _get(init, "concurrent", "p95_ms")
    row(f"**{nc} senders** ({nc}×{per} msgs): **msg/s**", [_num(_get(t, "concurrent", "msg_per_s")) for t in targets],
        f"≥ {TARGETS['msg_ratio'][STEP]:g}× init = {_num(init_rate and TARGETS['msg_ratio'][STEP] * init_rate)} "
        f"(goal {TARGETS['msg_ratio'][GOAL]:g}× = {_num(init_rate and TARGETS['msg_ratio'][GOAL] * init_rate)})")
    row(f"{nc} senders: p50 / **p95** / p99 ms", [pcts(t, "concurrent") for t in targets],
        f"p95 ≤ {TARGETS['p95_ratio'][STEP]:g}× init = {_num(init_p95 and TARGETS['p95_ratio'][STEP] * init_p95, 0)} ms "
        f"(goal {TARGETS['p95_ratio'][GOAL]:g}× = {_num(init_p95 and TARGETS['p95_ratio'][GOAL] * init_p95, 0)} ms)")
    row("errors / capped (all load phases)", [
        f"{sum(_get(t, p, 'errors') or 0 for p in ('single', 'concurrent'))} / "
        f"{'yes' if any(_get(t, p, 'capped') for p in ('single', 'concurrent')) else 'no'}"
        for t in targets])
    row("answered with no message (the init bot's own choice; never ours)", [
        str(sum(_get(t, p, 'silent') or 0 for p in ('single', 'concurrent'))) for t in targets])

    def cpu(t, phase):
        r, a = _get(t, phase, "rasa_cpu_ms_per_msg"), _get(t, phase, "actions_cpu_ms_per_msg")
        return _num(r, 0) + (f" + {_num(a, 0)}" if a is not None else "")

    row(f"CPU ms per message at {nc} senders (rasa + action server)", [cpu(t, "concurrent") for t in targets])
    length = _get(targets[0], "long", "length") if targets else None
    convs = _get(targets[0], "long", "conversations") if targets else None
    row(f"long conversation: message 1 → {length}, ms (median of {convs})",
        [f"{_num(_get(t, 'long', 'first_ms'), 0)} → {_num(_get(t, 'long', 'last_ms'), 0)}" for t in targets])
    row(f"**messages 1–10 → {(length or 0) - 9}–{length}**, ms (median)",
        [f"{_num(_get(t, 'long', 'first10_ms'), 0)} → {_num(_get(t, 'long', 'last10_ms'), 0)}" for t in targets],
        f"≤ {TARGETS['long_ratio'][STEP]:g}× (goal {TARGETS['long_ratio'][GOAL]:g}×)")
    row(f"messages 1–10 → {(length or 0) - 9}–{length}, CPU ms per message (rasa + action server, median)",
        [f"{_num(_get(t, 'long', 'first10_cpu_ms'), 0)} → {_num(_get(t, 'long', 'last10_cpu_ms'), 0)}"
         for t in targets])
    row("start-up to first answer, s (HTTP up)",
        [f"{_num(_get(t, 'startup_s'))} ({_num(_get(t, 'startup_http_s'))})" for t in targets], "≤ 10 s")
    row("action server start-up, s", [_num(_get(t, "actions_startup_s")) if _get(t, "actions_startup_s") else "–"
                                      for t in targets])

    def rss(t):
        r, a = _get(t, "rss", "rasa", "VmHWM"), _get(t, "rss", "actions", "VmHWM")
        return _num(r, 0) + (f" (+ {_num(a, 0)})" if a is not None else "")

    row("peak RSS MB, `rasa run` (+ action server)", [rss(t) for t in targets], "≤ 1,024 MB")
    return lines


def _profile(results: Dict) -> List[str]:
    lines: List[str] = []
    for target in results.get("targets", []):
        prof = target.get("profile")
        if prof:
            lines += _profile_of(results, target, prof)
    return lines


# Frames every request passes through (entry point, event loop, Sanic, channel, graph runner).
_PLUMBING = ("<module> ", "main (", "run (rasa/cli/", "run (rasa/api.py)", "serve_application ", "run (sanic/",
             "serve_single ", "serve (", "connection_task ", "http1 ", "handle_request ", "receive (",
             "handler (rasa/core/channels/", "handle_message (", "__call__ (rasa/engine/graph.py)",
             "run (rasa/engine/runner/dask.py)", "<listcomp> (", "<dictcomp> (")
# Library frames worth naming: where Rasa hands work to a library.
_LIBRARY_ENTRIES = ("validate (jsonschema/validators.py)", "check_schema (jsonschema/validators.py)",
                    "all (sqlalchemy/orm/query.py)", "commit (sqlalchemy/orm/session.py)",
                    "iterencode (json/encoder.py)", "loads (json/__init__.py)",
                    "__call__ (tensorflow/python/eager/polymorphic_function/polymorphic_function.py)")


def _worth_showing(fn: str) -> bool:
    if fn.startswith(_PLUMBING):
        return False
    path = fn.rsplit("(", 1)[-1]
    ours_or_rasa = path.startswith(("rasa/", "rasa_sdk/", "actions/", "addons/", "components/")) or "/" not in path
    return ours_or_rasa or fn in _LIBRARY_ENTRIES


def _profile_of(results: Dict, target: Dict, prof: Dict) -> List[str]:
    lines = ["", f"### Profile: {target['title']} (py-spy, a separate {results['settings'].get('senders')}-sender run)", ""]
    load = prof.get("load", {})
    lines.append(f"py-spy {results['machine'].get('py_spy', '?')} attached to the running processes "
                 f"(`py-spy record --pid … --rate {prof.get('rate_hz')} --format raw`). Percentages are of the "
                 f"busy samples: idle threads are not sampled, and samples of the event loop waiting in "
                 f"`epoll` are left out. The profiled run ({load.get('answered')} messages) is not in the table "
                 f"above, since sampling slows the process: {_num(load.get('msg_per_s'))} msg/s, p95 "
                 f"{_num(load.get('p95_ms'), 0)} ms.")
    for name, stats in prof.get("processes", {}).items():
        lines.append("")
        if "error" in stats:
            lines.append(f"**{name}**: {stats['error']}")
            continue
        lines.append(f"**{name}** ({stats['samples']:,} busy samples, {stats.get('waiting_samples', 0):,} waiting; "
                     f"`{stats.get('file', '')}`): self time by package: "
                     + ", ".join(f"{k} {v}%" for k, v in stats["self_by_package"][:8]) + ".")
        if name != "rasa":
            continue
        lines.append("")
        lines.append("| inclusive % | function (file) |")
        lines.append("|---:|---|")
        shown = 0
        for fn, p in stats["inclusive_by_function"]:
            if not _worth_showing(fn):
                continue
            lines.append(f"| {p} | `{fn}` |")
            shown += 1
            if shown >= 16:
                break
        lines.append("")
        lines.append("Top self time: " + "; ".join(f"`{fn}` {p}%" for fn, p in stats["self_by_function"][:8]) + ".")
    return lines


def render(results: Dict) -> str:
    m = results["machine"]
    settings = results.get("settings", {})
    targets = results.get("targets", [])
    minutes = results.get("total_s", 0) / 60
    lines = [
        f"Generated by `make bench` on **{m['date']}**, commit `{m['commit']}` ({m['commit_subject']}"
        + ("; the working tree had uncommitted changes by others" if m.get("tree_dirty") else "")
        + f"), model `{results.get('model')}`; the run took {minutes:.1f} min "
        f"(the init bot's training {_num(results.get('init_train_s'), 0)} s of it).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
        f"Rasa {m['rasa']}, rasa-sdk {m['rasa_sdk']}, spaCy {m['spacy']}, TensorFlow {m['tensorflow']}, "
        f"SQLAlchemy {m['sqlalchemy']}. Load average at start / end: "
        f"{' '.join(map(str, results.get('loadavg_start', [])))} / {' '.join(map(str, results.get('loadavg_end', [])))} "
        "(other jobs shared the machine: wall-clock figures are noisy; CPU ms per message is steadier).",
        "",
        "| configuration | what runs |",
        "|---|---|",
        *[f"| {t['title']} | {t['description']} |" for t in targets],
        "",
        f"Load: every sender waits for each answer before its next message (a person typing, not a flood); "
        f"a few unmeasured warm-up messages first. 1 sender × {settings.get('single')} messages; "
        f"{settings.get('senders')} senders × {settings.get('per_sender')} messages each, all at once; in both a sender "
        f"starts a new conversation every {settings.get('conversation_length')} messages, so that these rows are not "
        f"mixed up with the cost of long conversations, measured apart: "
        f"{settings.get('long')} long conversations × {settings.get('long_length')} messages one at a time, whose "
        f"first and last message are the same question (ours: \"where does breast cancer spread?\", init: "
        f"\"hello\"). Our messages are real questions with follow-ups (`bench/messages.py`; "
        f"{_get(results, 'distinct_messages', 'ours') or '–'} distinct ones in the measured phases, each dealt once "
        f"before any is repeated); the init bot gets "
        f"what its intents know (greet, mood, affirm/deny, bot challenge, goodbye). Start-up: from process start "
        f"until the first answer (\"HTTP up\": `GET /webhooks/rest/` answers). RSS: `VmHWM` of the process "
        f"from /proc after all phases.",
        "",
        *_table(results),
        "",
        "Targets of issue 13 (ours as production runs it; throughput and p95 against the init bot in this run):",
        "",
        f"| target | measured | {STEP} | | {GOAL} | |",
        "|---|---:|---|---|---|---|",
        *[f"| {r['target']} | {r['value'] or '–'} | {r['bound'][STEP]} | {_verdict(r['ok'][STEP])} "
          f"| {r['bound'][GOAL]} | {_verdict(r['ok'][GOAL])} |" for r in evaluate(results)],
        *_profile(results),
    ]
    return "\n".join(lines)


def write(path: Path, results: Dict) -> None:
    text = path.read_text() if path.exists() else SKELETON
    if BEGIN not in text or END not in text:
        text = text.rstrip() + "\n\n" + BEGIN + "\n" + END + "\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + BEGIN + "\n" + render(results) + "\n" + END + tail)


if __name__ == "__main__":
    # Re-render from saved results: python -m bench.report results/bench/results.json BENCHMARKS.md
    write(Path(sys.argv[2] if len(sys.argv) > 2 else "BENCHMARKS.md"), json.loads(Path(sys.argv[1]).read_text()))
