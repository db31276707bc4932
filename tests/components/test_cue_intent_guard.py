"""The cue guard: forget_me, affirm and deny need a word that says so; nothing else changes."""

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from components.cue_intent_guard import CUES, CueIntentGuard, has_cue
from tests.components.test_nlu_annotations import NLU


def test_every_training_example_of_a_guarded_intent_has_its_cue():
    examples = [e for e in load_data(str(NLU)).training_examples if e.get("intent") in CUES]
    assert len(examples) > 75
    assert [(e.get("intent"), e.get("text")) for e in examples if not has_cue(e.get("intent"), e.get("text"))] == []


def test_no_emergency_example_could_pass_as_a_yes_or_no():
    examples = [e for e in load_data(str(NLU)).training_examples if e.get("intent") == "emergency"]
    assert [e.get("text") for e in examples if has_cue("affirm", e.get("text")) or has_cue("deny", e.get("text"))] == []


def parse(text, ranking):
    msg = Message.build(text)
    msg.set("intent", dict(ranking[0]))
    msg.set("intent_ranking", [dict(r) for r in ranking])
    (msg,) = CueIntentGuard().process([msg])
    return msg.get("intent"), [r["name"] for r in msg.get("intent_ranking")]


@pytest.mark.parametrize("text, guessed, expected", [
    # measured misfires (tests/components docstring in the module)
    ("is this a chatbot", "forget_me", "bot_challenge"),
    ("My wife has secondary breast cancer and I feel completely lost. I want to be strong for her "
     "but I keep breaking down at night. How do other partners cope?", "forget_me", "bot_challenge"),
    ("cancer with no known starting point, what does that mean", "deny", "bot_challenge"),
    ("am i in remission", "deny", "bot_challenge"),
    ("My dad has brain metastases. Half an hour ago his left arm and leg went weak and his speech "
     "is slurred. What do I do right now?", "affirm", "bot_challenge"),
    # what they are for
    ("please delete this conversation", "forget_me", "forget_me"),
    ("pls delet evrything i told u", "forget_me", "forget_me"),
    ("forget me", "forget_me", "forget_me"),
    ("yes please", "affirm", "affirm"),
    ("yes, go ahead and delete it", "affirm", "affirm"),
    ("no, keep it", "deny", "deny"),
    ("nope", "deny", "deny"),
    # other intents are never touched
    ("is this a chatbot", "bot_challenge", "bot_challenge"),
])
def test_guard(text, guessed, expected):
    others = [n for n in ("bot_challenge", "forget_me", "affirm", "deny") if n != guessed]
    ranking = [{"name": guessed, "confidence": 0.7}] + [{"name": n, "confidence": 0.1} for n in others]
    intent, names = parse(text, ranking)
    assert intent["name"] == expected
    assert names[0] == expected
    if expected != guessed:
        assert intent["confidence"] == 0.1, "the next intent keeps its own confidence"
        assert guessed not in names


def test_nothing_left_becomes_no_intent_for_the_fallback():
    intent, names = parse("what is this", [{"name": "forget_me", "confidence": 0.9}])
    assert intent == {"name": None, "confidence": 0.0} and names == []
