"""The red-flag override: a red flag anywhere makes the message an emergency, nothing else does."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.red_flag_intent import RedFlagIntentOverride


def message(intent, symptoms):
    msg = Message.build("text")
    msg.set("intent", {"name": intent, "confidence": 0.9})
    msg.set("intent_ranking", [{"name": intent, "confidence": 0.9}, {"name": "emergency", "confidence": 0.05}])
    msg.set("entities", [{"entity": "symptom", "value": s} for s in symptoms])
    return msg


@pytest.mark.parametrize(
    "intent, symptoms, expected",
    [
        ("ask_spread", ["coughing_blood"], "emergency"),
        ("ask_treatment", ["jaundice", "fever"], "emergency"),   # a combination flag
        ("nlu_fallback", ["seizure"], "emergency"),              # even over the fallback
        ("ask_symptom_sites", ["jaundice"], "ask_symptom_sites"),
        ("ask_symptom_sites", ["headache", "fatigue"], "ask_symptom_sites"),
        ("greet", [], "greet"),
    ],
)
def test_override(intent, symptoms, expected):
    (msg,) = RedFlagIntentOverride({}).process([message(intent, symptoms)])
    assert msg.get("intent")["name"] == expected
    ranking = [r["name"] for r in msg.get("intent_ranking")]
    assert ranking[0] == expected and ranking.count("emergency") <= 1
