"""Safety rule 2 in the NLU: a red-flag symptom anywhere in a message makes it an emergency.

Runs after the intent classifier and the FallbackClassifier. However the classifier read a long
post about something else, a red flag named in it (knowledge base, red_flags.yml) sets the
intent to `emergency` with full confidence, so the urgent-care message comes first.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from components.knowledge_component import KnowledgeBaseComponent

EMERGENCY_INTENT = "emergency"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagIntentOverride(KnowledgeBaseComponent):
    """Overrides the intent with `emergency` when extracted symptoms raise a red flag."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            symptoms = [e["value"] for e in message.get(ENTITIES) or [] if e.get("entity") == "symptom"]
            if not symptoms or not self.kb.red_flags_in(symptoms):
                continue
            intent = {"name": EMERGENCY_INTENT, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != EMERGENCY_INTENT]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)
        return messages
