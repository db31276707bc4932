"""The classifier reads what a long post asks, not the story around it.

A forum post tells a story ("diagnosed in March, the onc said ...") and then asks ("how can
cells leave the tumour so early?"). Featurised whole, the story's words decide the kind of
question: measured on the answer evaluation (tests/eval), long posts about timing or mechanism
became coping, prognosis or tests. This featurizer-stage component keeps, for a message over
LONG_POST_WORDS words or a short question followed by an aside ("what is a bone scan for? my
aunt has one on Friday"), only the tokens of its question sentences (retrieval.question_spans,
the same reading the fact retrieval uses), so the featurizers and DIET see the question. It
changes tokens only: the text, the entities (the cancer and sites named in the story are the
answer's context) and the safety triage (which reads the whole message) are untouched. It
runs on the training examples too, so training and prediction read posts the same way.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.knowledge.retrieval import question_spans


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class QuestionFocus(GraphComponent):
    """Keeps a long post's question tokens for the featurizers that follow."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "QuestionFocus":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            _focus(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            _focus(message)
        return training_data


def _focus(message: Message) -> None:
    text = message.get(TEXT) or ""
    tokens = message.get(TOKENS_NAMES[TEXT])
    if not tokens or text.startswith("/"):
        return
    spans = question_spans(text)
    if spans == [(0, len(text))]:
        return
    kept = [t for t in tokens if any(start <= t.start < end for start, end in spans)]
    if kept:
        message.set(TOKENS_NAMES[TEXT], kept)
