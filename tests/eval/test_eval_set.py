"""The answer evaluation set is what issue 11 asks for, and separate from the training data.

Separation: no message of tests/eval/messages_*.yml (nor an earlier turn of a follow-up) may
appear in the NLU training data or a KB fact's `asks`, exactly or nearly. "Nearly" is a token-set (Jaccard) similarity
of 0.8 or more between the sets of folded words of the two texts, |A ∩ B| / |A ∪ B|, the
measure tests/triage/test_triage_set.py uses. The set is scored against the running assistant
by `make eval` (tests/eval/evaluate.py).
"""

from __future__ import annotations

import collections
from pathlib import Path

import yaml

from actions.knowledge.lexicon import fold
from tests.eval.evaluate import messages, style_of
from tests.triage.test_triage_set import SIMILAR, similarity, training_texts, word_set

ROOT = Path(__file__).resolve().parents[2]
KB_TEXT = "\n".join(p.read_text("utf-8") for p in sorted((ROOT / "data" / "knowledge").glob("*.yml"))).lower()


def test_the_set_has_what_the_issue_asks():
    found = messages()
    assert len(found) >= 400
    assert len({m["id"] for m in found}) == len(found)
    assert sum(style_of(m) == "long" for m in found) >= 0.4 * len(found)
    assert sum(m.get("who") == "other" for m in found) >= 60, "caregivers writing about someone else"
    assert sum(bool(m.get("turns")) for m in found) >= 20, "follow-ups in a conversation"
    assert sum(not m.get("answerable", True) for m in found) >= 20, "questions the articles don't answer"
    assert collections.Counter(m["kind"] for m in found)["comparison"] >= 20


def test_every_message_is_well_formed_and_expects_kb_words():
    for m in messages():
        assert {"id", "kind", "who", "text", "expect"} <= set(m), m.get("id")
        assert m["who"] in ("self", "other"), m["id"]
        if m.get("answerable", True):
            assert m["expect"], f"{m['id']}: an answerable message names the facts a right answer holds"
        for group in m["expect"]:
            assert any(word.lower() in KB_TEXT for word in group), (m["id"], group)


def test_no_eval_message_is_training_data():
    training = training_texts()
    folded = {fold(t).strip(): t for t in training}
    train_sets = [(word_set(t), t) for t in training]
    clashes = []
    for m in messages():
        for text in [m["text"], *(m.get("turns") or [])]:
            if fold(text).strip() in folded:
                clashes.append((m["id"], folded[fold(text).strip()]))
            words = word_set(text)
            clashes += [(m["id"], t) for other, t in train_sets if similarity(words, other) >= SIMILAR]
    assert clashes == []


def test_the_files_are_plain_yaml_lists():
    for path in sorted((ROOT / "tests" / "eval").glob("messages_*.yml")):
        assert isinstance(yaml.safe_load(path.read_text("utf-8"))["messages"], list), path.name
