"""Rewrite the entity annotations of data/nlu/*.yml from the knowledge base's vocabulary.

Entities come only from the KB (components/kb_entity_extractor.py), and
tests/components/test_nlu_annotations.py checks that every annotation equals what the extractor
finds. After the vocabulary grows, run this instead of editing hundreds of brackets by hand:

    .venv/bin/python tools/annotate_nlu.py          # rewrite in place, print what changed
    .venv/bin/python tools/annotate_nlu.py --check  # exit 1 if anything would change

Only the example lines change; comments and layout stay as they are.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.kb_entity_extractor import KnowledgeBaseEntityExtractor  # noqa: E402

_ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}")
_EXAMPLE = re.compile(r"^(\s+- )(.*)$")


def plain(text: str) -> str:
    return _ANNOTATION.sub(lambda m: m.group(1), text)


def annotate(text: str, extractor: KnowledgeBaseEntityExtractor) -> str:
    out, last = [], 0
    for entity in extractor.extract(text):
        value = json.dumps({"entity": entity["entity"], "value": entity["value"]})
        out.append(text[last : entity["start"]])
        out.append(f"[{text[entity['start']:entity['end']]}]{value}")
        last = entity["end"]
    out.append(text[last:])
    return "".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 on a change")
    args = parser.parse_args()
    extractor = KnowledgeBaseEntityExtractor({}, None, None)
    changed = 0
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        lines = path.read_text("utf-8").splitlines(keepends=True)
        in_examples = False
        for i, line in enumerate(lines):
            if line.strip().startswith("examples:"):
                in_examples = True
                continue
            if in_examples and line.strip() and not line.startswith("      "):
                in_examples = False
            match = _EXAMPLE.match(line.rstrip("\n"))
            if not (in_examples and match):
                continue
            new = match.group(1) + annotate(plain(match.group(2)), extractor) + "\n"
            if new != line:
                changed += 1
                print(f"{path.relative_to(ROOT)}:{i + 1}: {plain(match.group(2))[:90]}")
                lines[i] = new
        if not args.check:
            path.write_text("".join(lines), "utf-8")
    print(f"{changed} example(s) {'would change' if args.check else 'rewritten'}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
