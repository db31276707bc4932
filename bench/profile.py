"""Summaries of a py-spy profile in its `--format raw` (collapsed stacks) output.

Each line of the file is ``frame;frame;...;leaf COUNT`` from the outermost frame to the one
running, each frame ``function (path:line)``. The file itself opens in speedscope or
flamegraph.pl; here we only count: where the CPU was (the leaf, "self") and which calls it was
under ("inclusive", each function counted once per stack), grouped by function and by package.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Dict, List, Tuple

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>[^()]*?)(?::(?P<line>\d+))?\)$")

# Folder names that tell where a file belongs; the first match from the right wins.
_ROOTS = ("site-packages/", "dist-packages/")


def short_path(path: str) -> str:
    """py-spy already writes most paths relative to their sys.path entry (site-packages, the
    standard library, the repo); absolute ones are shortened the same way here."""
    if not path.startswith("/"):
        return path
    for root in _ROOTS:
        if root in path:
            return path.rsplit(root, 1)[1]
    match = re.search(r"/lib/python3\.\d+/(.*)$", path)
    if match:
        return "stdlib/" + match.group(1)
    for marker in ("/actions/", "/addons/", "/components/", "/bench/"):
        if marker in path:
            return marker.strip("/") + "/" + path.rsplit(marker, 1)[1]
    return path


def package_of(path: str) -> str:
    """rasa.core, rasa.nlu, ..., tensorflow, sqlalchemy, stdlib.asyncio, ours.actions, ..."""
    short = short_path(path)
    parts = short.split("/")
    if parts[0] == "stdlib":
        name = parts[1] if len(parts) > 1 else "?"
        return "stdlib." + name.removesuffix(".py")
    if parts[0] in ("actions", "addons", "components", "bench"):
        return "ours." + parts[0]
    if parts[0] in ("rasa", "rasa_sdk") and len(parts) > 2:
        return f"{parts[0]}.{parts[1]}"
    return parts[0].removesuffix(".py")


def parse_frame(frame: str) -> Tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip(), ""
    return match.group("func"), match.group("path")


def parse(text: str) -> List[Tuple[List[Tuple[str, str]], int]]:
    stacks = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        stacks.append(([parse_frame(f) for f in stack.split(";") if f], n))
    return stacks


# Leaves where an event loop waits for I/O: py-spy does not always see these threads as idle
# (epoll is entered from the loop's C code), so they are counted apart as "waiting".
IDLE_LEAVES = {
    ("serve", "sanic/server/runners.py"),
    ("run_forever", "stdlib/asyncio/base_events.py"),
    ("select", "stdlib/selectors.py"),
}


def analyse(text: str, top: int = 25) -> Dict[str, object]:
    """Percentages are of the busy samples (all samples but the event loop waiting)."""
    stacks = parse(text)
    idle = sum(n for frames, n in stacks
               if frames and (frames[-1][0], short_path(frames[-1][1])) in IDLE_LEAVES)
    stacks = [(frames, n) for frames, n in stacks
              if frames and (frames[-1][0], short_path(frames[-1][1])) not in IDLE_LEAVES]
    total = sum(n for _, n in stacks)
    self_fn: Counter = Counter()
    incl_fn: Counter = Counter()
    self_pkg: Counter = Counter()
    for frames, n in stacks:
        if not frames:
            continue
        func, path = frames[-1]
        self_fn[f"{func} ({short_path(path)})"] += n
        self_pkg[package_of(path)] += n
        seen = set()
        for func, path in frames:
            key = f"{func} ({short_path(path)})"
            if key not in seen:
                seen.add(key)
                incl_fn[key] += n

    def pct(counter: Counter, k: int) -> List[Tuple[str, float]]:
        return [(name, round(100.0 * n / total, 1)) for name, n in counter.most_common(k)] if total else []

    return {
        "samples": total,
        "waiting_samples": idle,
        "self_by_package": pct(self_pkg, 15),
        "self_by_function": pct(self_fn, top),
        "inclusive_by_function": pct(incl_fn, top * 3),
    }
