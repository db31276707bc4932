"""The NLU's safety triage: crisis first, then a red flag happening now; no unfounded alarms."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.safety_triage import SafetyTriage


def message(text, intent, confidence=0.9):
    msg = Message.build(text)
    msg.set("intent", {"name": intent, "confidence": confidence})
    msg.set("intent_ranking", [{"name": intent, "confidence": confidence},
                               {"name": "ask_site_symptoms", "confidence": 0.05}])
    return msg


@pytest.mark.parametrize("text, classified, confidence, expected", [
    ("i want to kill myself", "ask_coping", 0.9, "crisis"),
    ("no, i just want to end it all", "deny", 0.9, "crisis"),               # never read as a "no"
    ("delete myself from this world", "forget_me", 0.9, "crisis"),         # nor as "forget me"
    ("my dad is coughing up blood right now", "ask_spread", 0.9, "emergency"),
    ("he had a seizure, where does lung cancer spread?", "nlu_fallback", 1.0, "emergency"),
    ("can lung mets make you cough up blood?", "emergency", 0.9, "ask_site_symptoms"),  # asked
    ("no seizures so far", "emergency", 0.9, "ask_site_symptoms"),         # negated
    ("is it normal to feel so tired on chemo?", "emergency", 0.9, "ask_site_symptoms"),  # a question
    ("my mum is dying", "crisis", 0.6, "ask_site_symptoms"),               # an unsure crisis guess
    ("he has gone grey and clammy and we are scared", "emergency", 0.9, "emergency"),  # safety net
    ("where does breast cancer spread?", "ask_spread", 0.9, "ask_spread"),
    # safety rule 4: asked for a verdict on their own case, with no symptom named
    ("if i tell you what is going on can you say whether my cancer has spread?", "ask_site_symptoms", 0.9,
     "request_diagnosis"),
    ("could this be cancer, my gp wants a scan", "ask_tests", 0.9, "request_diagnosis"),
    ("how do doctors know if it has spread?", "ask_tests", 0.9, "ask_tests"),
    ("could the cancer have come back? how would anyone know", "ask_coping", 0.9, "request_diagnosis"),
    ("am i stage 4? they saw something on my xray", "ask_prognosis", 0.9, "request_diagnosis"),
    ("why did it spread even though it was caught early", "ask_mechanism", 0.9, "ask_mechanism"),
    ("is it bone cancer or breast cancer, the report says both", "ask_naming", 0.9, "ask_naming"),
])
def test_intent(text, classified, confidence, expected):
    (msg,) = SafetyTriage({}).process([message(text, classified, confidence)])
    assert msg.get("intent")["name"] == expected
    ranking = [r["name"] for r in msg.get("intent_ranking")]
    assert ranking[0] == expected and ranking.count(expected) == 1


def test_a_verdict_question_that_names_a_symptom_keeps_its_intent():
    """"Could that be the liver?" about yellow eyes: the articles' link, never a verdict."""
    msg = message("his eyes have gone yellow, could it be cancer in the liver?", "ask_symptom_sites")
    msg.set("entities", [{"entity": "symptom", "value": "jaundice", "start": 9, "end": 24}])
    (msg,) = SafetyTriage({}).process([msg])
    assert msg.get("intent")["name"] == "ask_symptom_sites"
