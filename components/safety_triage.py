"""Safety rules 1 and 2 in the NLU, so that every channel gets them (`rasa shell` included).

Runs last in the pipeline, after the classifier, the cue guard and the FallbackClassifier, and
reads the whole message with the knowledge base's triage (actions/knowledge/triage.py):

* a crisis cue (suicide, self-harm; data/knowledge/crisis.yml) makes the intent `crisis`;
* a red flag happening now makes it `emergency`;
* a red flag only asked about, or negated, never does: the classifier's own `emergency` or
  `crisis` guess gives way to its next intent, and the answer gets a one-line note instead;
* with no cue and no flag, the classifier's `emergency` stays for a statement or a long post (a
  safety net for wording the KB lacks) but not for a short question, and its `crisis` stays only
  when it is confident (`crisis_min_confidence`), so that
  "my mum is dying" gets the kind answer, not the crisis lines;
* safety rule 4: a question asking for a verdict on the person's own case ("has it come back
  and spread?", "could this be cancer?") that names no symptom makes it `request_diagnosis`,
  which answers how spread is found and refers, never a verdict. One that names a symptom keeps
  its intent: the articles' link between sign and site, with "this is not a diagnosis".

Either safety intent is set with full confidence, so the rules send the crisis or urgent-care
response (a domain response: no action server, no database) before anything else.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.knowledge.retrieval import question_part
from actions.knowledge.triage import asks_for_verdict, looks_like_question
from actions.names import CRISIS_INTENT, EMERGENCY_INTENT, REQUEST_DIAGNOSIS_INTENT, SAFETY_INTENTS
from components.knowledge_component import KnowledgeBaseComponent

FALLBACK_INTENT = "nlu_fallback"
SHORT_QUESTION_WORDS = 60


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyTriage(KnowledgeBaseComponent):
    """Sets `crisis` or `emergency` from what the message says; takes back unfounded guesses."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**KnowledgeBaseComponent.get_default_config(), "crisis_min_confidence": 0.8}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            result = self.kb.triage(message.get(TEXT) or "")
            current = (message.get(INTENT) or {}).get("name")
            if result.is_crisis:
                _set(message, CRISIS_INTENT)
            elif result.urgent:
                _set(message, EMERGENCY_INTENT)
            elif current in SAFETY_INTENTS and (result.flags or result.signs or not self._trusted(message)):
                _demote(message)
            if (message.get(INTENT) or {}).get("name") not in SAFETY_INTENTS and _asks_for_verdict(message):
                _set(message, REQUEST_DIAGNOSIS_INTENT)
        return messages

    def _trusted(self, message: Message) -> bool:
        """The classifier's own safety guess, with no cue or flag to back it: an emergency told
        as a statement or in a long post, not a short question ("is it normal to feel faint
        on chemo?" is answered, with the one line on urgent help when it names a sign)."""
        intent = message.get(INTENT) or {}
        if intent.get("name") == EMERGENCY_INTENT:
            text = message.get(TEXT) or ""
            return len(text.split()) > SHORT_QUESTION_WORDS or not looks_like_question(text)
        return (intent.get("confidence") or 0.0) >= self._config["crisis_min_confidence"]


def _asks_for_verdict(message: Message) -> bool:
    text = message.get(TEXT) or ""
    named_symptom = any(e.get("entity") == "symptom" for e in message.get(ENTITIES) or [])
    return not text.startswith("/") and not named_symptom and asks_for_verdict(question_part(text))


def _set(message: Message, name: Text) -> None:
    intent = {"name": name, "confidence": 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)


def _demote(message: Message) -> None:
    """The next intent of the ranking that is not a safety one (else the fallback)."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in SAFETY_INTENTS]
    intent = dict(ranking[0]) if ranking else {"name": FALLBACK_INTENT, "confidence": 1.0}
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking or [intent], add_to_output=True)
