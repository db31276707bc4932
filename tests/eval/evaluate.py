"""The answer evaluation: the user-side set in messages_*.yml, scored against a running assistant.

`make eval` starts a fresh action server and `rasa run`, sends every message over REST (the
earlier `turns` of a follow-up first, in the same conversation) and prints the pass rate by kind
of question and by style. The set was written from the users' side for this purpose and is never
training data (tests/eval/test_eval_set.py checks that).

How a reply is scored:
* answerable: every `expect` group has one of its words in the reply (the fact asked for), and
  the reply neither falls back ("Sorry, I didn't understand") nor says the articles don't cover it;
* not answerable: the reply says the articles don't say it, and carries every `expect` group (the
  closest thing they do say), never the fallback;
* every reply ends with the healthcare-provider guidance (or is a crisis / urgent reply).
Besides the pass rate it reports how lean the health answers are: the share with at most three
bullets and at most 90 words before the source line.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LONG_WORDS = 60  # a message over 60 words is a long, forum-style post
HONEST = re.compile(r"\b(articles?|they|sources?)\b[^.]{0,40}\b(don't|do not|doesn't|does not)\s+(say|cover|mention|tell)", re.I)
FALLBACK = "sorry, i didn't understand"


def messages() -> List[Dict]:
    found: List[Dict] = []
    for path in sorted(HERE.glob("messages_*.yml")):
        found.extend(yaml.safe_load(path.read_text("utf-8"))["messages"])
    return found


def style_of(message: Dict) -> str:
    return "long" if len(message["text"].split()) > LONG_WORDS else "short"


def _guidance() -> str:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))["responses"]
    return domain["utter_guidance"][0]["text"]


def lean(texts: List[str]) -> Optional[bool]:
    """At most 3 bullets and 90 words before the source line; None when no sourced answer.

    The source line may close the answer's message or arrive as a message of its own (the
    channels send a response's paragraphs as separate bubbles): the body is what precedes it
    in the same message, or else the message before it."""
    for i, text in enumerate(texts):
        if "\nSource:" not in text and not text.startswith("Source:"):
            continue
        body = text.split("Source:")[0]
        if not body.strip() and i:
            body = texts[i - 1]
        bullets = sum(1 for line in body.splitlines() if line.lstrip().startswith(("•", "-", "*")))
        return bullets <= 3 and len(body.split()) <= 90
    return None


def score(message: Dict, texts: List[str], guidance: str) -> Dict:
    whole = "\n".join(texts).lower()
    facts = all(any(word.lower() in whole for word in group) for group in message.get("expect") or [])
    honest = bool(HONEST.search(whole))
    fallback = FALLBACK in whole
    closed = bool(texts) and any(t.strip() == guidance for t in texts)
    if message.get("answerable", True):
        ok = facts and not honest and not fallback
    else:
        ok = honest and facts and not fallback
    return {"ok": ok and closed, "facts": facts, "honest": honest, "fallback": fallback,
            "closed": closed, "lean": lean(texts)}


def run(send: Callable[[str, str], List[str]]) -> List[Dict]:
    guidance = _guidance()
    results = []
    for message in messages():
        sender = f"eval-{message['id']}-{uuid.uuid4().hex[:8]}"
        for earlier in message.get("turns") or []:
            send(sender, earlier)
        texts = send(sender, message["text"])
        results.append({**message, "style": style_of(message), **score(message, texts, guidance), "reply": texts})
    return results


def _rate(rows: List[Dict], key: str = "ok") -> str:
    return f"{sum(bool(r[key]) for r in rows) / len(rows):.1%}" if rows else ""


def report(results: List[Dict], misses: bool) -> float:
    kinds = sorted({r["kind"] for r in results})
    print("| kind | messages | passed | short | long |\n|---|---:|---:|---:|---:|")
    for kind in kinds:
        rows = [r for r in results if r["kind"] == kind]
        print(f"| {kind} | {len(rows)} | {_rate(rows)} | {_rate([r for r in rows if r['style'] == 'short'])} "
              f"| {_rate([r for r in rows if r['style'] == 'long'])} |")
    long_rows = [r for r in results if r["style"] == "long"]
    short_rows = [r for r in results if r["style"] == "short"]
    print(f"| **all** | {len(results)} | {_rate(results)} | {_rate(short_rows)} | {_rate(long_rows)} |")
    follow = [r for r in results if r.get("turns")]
    other = [r for r in results if r.get("who") == "other"]
    unanswerable = [r for r in results if not r.get("answerable", True)]
    print()
    print(f"- follow-ups: {len(follow)}, passed {_rate(follow)}; caregivers: {len(other)}, passed {_rate(other)}; "
          f"not answerable: {len(unanswerable)}, passed {_rate(unanswerable)}")
    sourced = [r for r in results if r["lean"] is not None]
    print(f"- lean answers (<= 3 bullets, <= 90 words before the source): {_rate(sourced, 'lean')} of {len(sourced)}")
    print(f"- replies closed by the guidance: {_rate(results, 'closed')}")
    if misses:
        print()
        for r in results:
            if not r["ok"]:
                why = [k for k in ("facts", "closed") if not r[k]] + [k for k in ("honest", "fallback") if r[k]]
                print(f"- {r['id']} ({r['kind']}, {r['style']}) {why}: {' '.join(r['text'].split())[:140]!r}")
                print(f"    -> {' | '.join(' '.join(t.split())[:160] for t in r['reply'][:2])}")
    return sum(r["ok"] for r in results) / len(results)


def main() -> int:
    parser = argparse.ArgumentParser(description="Score the answer evaluation against a fresh assistant.")
    parser.add_argument("--model", help="start `rasa run` on this model (else --url)")
    parser.add_argument("--url", help="an assistant already running")
    parser.add_argument("--misses", action="store_true", help="list every message scored wrong")
    args = parser.parse_args()
    import tempfile

    sys.path.insert(0, str(ROOT))
    from tests.support.servers import ActionServer, RasaServer, stop_all
    from tests.triage.evaluate import rest_sender

    if args.url:
        report(run(rest_sender(args.url)), args.misses)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="eval-"))
    servers = [ActionServer(workdir)]
    try:
        servers.append(RasaServer(Path(args.model), workdir, action_url=servers[0].url))
        report(run(rest_sender(servers[1].url)), args.misses)
    finally:
        stop_all(servers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
