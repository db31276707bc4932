"""The cue guard: forget_me, affirm and deny need a word that says so; nothing else changes."""

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from actions.knowledge import ENTITY_KINDS
from components.cue_intent_guard import CUES, CueIntentGuard, has_cue
from tests.components.test_nlu_annotations import NLU


def test_every_training_example_of_a_guarded_intent_has_its_cue():
    examples = [e for e in load_data(str(NLU)).training_examples if e.get("intent") in CUES]
    assert len(examples) > 75
    health = lambda e: "?" in e.get("text") or any(x["entity"] in ENTITY_KINDS for x in e.get("entities") or [])  # noqa: E731
    assert [(e.get("intent"), e.get("text")) for e in examples
            if not has_cue(e.get("intent"), e.get("text"), health(e))] == []


def test_no_emergency_example_could_pass_as_a_yes_or_no():
    examples = [e for e in load_data(str(NLU)).training_examples if e.get("intent") == "emergency"]
    assert [e.get("text") for e in examples if has_cue("affirm", e.get("text")) or has_cue("deny", e.get("text"))] == []


def parse(text, ranking, entities=()):
    msg = Message.build(text)
    msg.set("entities", [{"entity": kind, "value": value} for kind, value in entities])
    msg.set("intent", dict(ranking[0]))
    msg.set("intent_ranking", [dict(r) for r in ranking])
    (msg,) = CueIntentGuard().process([msg])
    return msg.get("intent"), [r["name"] for r in msg.get("intent_ranking")]


@pytest.mark.parametrize("text, guessed, expected", [
    # measured misfires (tests/components docstring in the module)
    ("is this a chatbot", "forget_me", "bot_challenge"),
    ("My wife has secondary breast cancer and I feel completely lost. I want to be strong for her "
     "but I keep breaking down at night. How do other partners cope?", "forget_me", "ask_coping"),
    ("cancer with no known starting point, what does that mean", "deny", "bot_challenge"),
    ("am i in remission", "deny", "bot_challenge"),
    ("My dad has brain metastases. Half an hour ago his left arm and leg went weak and his speech "
     "is slurred. What do I do right now?", "affirm", "ask_coping"),
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
    ranking = [{"name": guessed, "confidence": 0.7}] + [{"name": n, "confidence": 0.1} for n in others] + [
        {"name": "ask_coping", "confidence": 0.05}]  # a question is no small talk without its word
    intent, names = parse(text, ranking)
    assert intent["name"] == expected
    assert names[0] == expected
    if expected != guessed:
        assert intent["confidence"] in (0.1, 0.05), "the next intent keeps its own confidence"
        assert guessed not in names


@pytest.mark.parametrize("text, guessed, entities", [
    # measured on the triage set: health questions read as small talk
    ("no blood when i cough thank god, but the cough keeps me awake half the night. anything that "
     "helps with lung mets cough", "goodbye", [("symptom", "persistent_cough"), ("body_site", "lung")]),
    ("is it worth me learning seizure first aid, my wife has brain mets from breast cancer", "greet",
     [("symptom", "seizure"), ("body_site", "brain"), ("cancer_type", "breast")]),
    ("are bots any good at explaining brain mets", "greet", [("body_site", "brain")]),
    # measured on the answer evaluation: a question naming a KB concept, no entity
    ("what is cancer of unknown primary? heard about it today and it scared me", "goodbye", []),
])
def test_small_talk_naming_a_kb_entity_needs_its_own_word(text, guessed, entities):
    ranking = [{"name": guessed, "confidence": 0.6}, {"name": "ask_symptoms", "confidence": 0.3}]
    intent, names = parse(text, ranking, entities)
    assert intent["name"] == "ask_symptoms" and guessed not in names


def test_a_cue_less_intent_leaves_the_ranking_even_below_the_top():
    """The safety triage sets an asked-about emergency aside and takes the next intent: it must
    not be small talk the message has no word for (measured: a seizure question became `greet`)."""
    ranking = [{"name": "emergency", "confidence": 0.9}, {"name": "greet", "confidence": 0.05},
               {"name": "ask_symptom_sites", "confidence": 0.03}]
    intent, names = parse("is it worth me learning seizure first aid, my wife has brain mets", ranking,
                          [("symptom", "seizure"), ("body_site", "brain")])
    assert intent["name"] == "emergency" and names == ["emergency", "ask_symptom_sites"]


@pytest.mark.parametrize("text, intent, entities", [
    ("thanks so much, i was really confused before", "thank", [("symptom", "confusion")]),
    ("hi, my mum has breast cancer", "greet", [("cancer_type", "breast")]),
    ("ok bye, off to my scan", "goodbye", [("diagnostic_test", "ct")]),
    ("are you a bot or a doctor who knows about liver mets", "bot_challenge", [("body_site", "liver")]),
    ("see you later", "goodbye", []),
])
def test_small_talk_keeps_its_own_word_or_no_health_word(text, intent, entities):
    ranking = [{"name": intent, "confidence": 0.6}, {"name": "ask_symptoms", "confidence": 0.3}]
    assert parse(text, ranking, entities)[0]["name"] == intent


def test_nothing_left_becomes_no_intent_for_the_fallback():
    intent, names = parse("what is this", [{"name": "forget_me", "confidence": 0.9}])
    assert intent == {"name": None, "confidence": 0.0} and names == []
