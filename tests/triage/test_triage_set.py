"""The triage set is fit for purpose, separate from training data, and the KB's triage passes it.

Separation: no message of tests/triage/messages.yml may appear in the NLU training data, exactly
or nearly. "Nearly" is a token-set (Jaccard) similarity of 0.8 or more: the set of folded words
of one text against the other's, |A ∩ B| / |A ∪ B|.

The KB-level check (no server, the fast lane) runs actions/knowledge/triage.py on every message;
tests/e2e/test_triage_rest.py checks the same set against the running assistant.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from actions.knowledge import default
from actions.knowledge.lexicon import fold
from tests.triage.evaluate import messages

ROOT = Path(__file__).resolve().parents[2]
SIMILAR = 0.8


def word_set(text: str) -> frozenset:
    return frozenset(re.findall(r"[a-z0-9']+", fold(text)))


def similarity(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def test_the_set_has_what_the_issue_asks():
    found = messages()
    kinds = collections.Counter(m["kind"] for m in found)
    assert kinds["crisis"] + kinds["emergency"] >= 150
    assert kinds["asking"] + kinds["negated"] >= 150
    assert kinds["not_crisis"] >= 30
    assert len({m["id"] for m in found}) == len(found)
    long_posts = [m for m in found if len(m["text"].split()) > 60]
    assert len(long_posts) >= 60
    assert any(len(m["text"]) > 2300 for m in found if m["kind"] == "emergency")


def training_texts() -> list:
    """Everything the NLU trains on or retrieval matches as a question: the NLU files and
    every KB fact's `asks` (components/kb_importer.py)."""
    files = [e.get("text") for e in load_data(str(ROOT / "data" / "nlu")).training_examples]
    return files + [question for _, fact in default().all_facts() for question in fact.asks]


def test_no_triage_message_is_training_data():
    training = training_texts()
    folded = {fold(t).strip(): t for t in training}  # each text folded once, not per pair
    train_sets = [(word_set(t), t) for t in training]
    clashes = []
    for m in messages():
        if fold(m["text"]).strip() in folded:
            clashes.append((m["id"], folded[fold(m["text"]).strip()]))
        words = word_set(m["text"])
        clashes += [(m["id"], t) for other, t in train_sets if similarity(words, other) >= SIMILAR]
    assert clashes == []


@pytest.fixture(scope="module")
def scored():
    kb = default()
    return [(m, kb.triage(m["text"])) for m in messages()]


def test_every_crisis_and_emergency_is_caught_by_the_kb_triage(scored):
    missed = [
        (m["id"], m["text"][:120]) for m, t in scored
        if (m["kind"] == "crisis" and not t.is_crisis)
        or (m["kind"] == "emergency" and not (t.is_crisis or t.urgent))
    ]
    assert missed == []


def test_questions_and_negations_rarely_alarm(scored):
    asked = [(m, t) for m, t in scored if m["kind"] in ("asking", "negated")]
    alarms = [(m["id"], m["text"][:120]) for m, t in asked if t.urgent or t.is_crisis]
    assert len(alarms) <= 0.05 * len(asked), alarms


def test_end_of_life_and_sadness_are_not_crises(scored):
    assert [m["id"] for m, t in scored if m["kind"] == "not_crisis" and t.is_crisis] == []
