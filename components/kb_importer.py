"""Training data that includes the knowledge base's own questions.

Each KB fact may carry `asks`: questions it answers, in the words people use
(actions/knowledge/schema.py `Fact`). Retrieval finds facts by them; this importer makes them
NLU examples too, so the questions live in one place and the classifier learns the same
wording the retrieval does. It is Rasa's supported extension point for training data
(`importers:` in config.yml), so `rasa train`, `rasa data validate` and `rasa test` all read it.

A fact's kind of question comes from where it sits in the KB (retrieval.TOPIC_OF_PLACE, which
retrieval uses too). Facts whose place holds answers to different kinds of question (a cancer
type's facts, a site's own facts) train no intent: retrieval alone finds them.
"""

from __future__ import annotations

from typing import AbstractSet, Iterator, Optional, Text, Tuple

from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.knowledge import KnowledgeBase, default
from actions.knowledge.retrieval import topic_of_place
from components.kb_entity_extractor import KnowledgeBaseEntityExtractor


def intent_of(where: str) -> Optional[str]:
    """The intent a fact's questions train: the kind of question its place answers."""
    topic = topic_of_place(where)
    return f"ask_{topic}" if topic else None


def fact_questions(kb: KnowledgeBase) -> Iterator[Tuple[str, str]]:
    """(question, intent) for every `asks` question of a fact that trains an intent, once each."""
    seen = set()
    for where, fact in kb.all_facts():
        intent = intent_of(where)
        for question in fact.asks if intent else ():
            if question.lower() not in seen:
                seen.add(question.lower())
                yield question, intent


class KnowledgeBaseImporter(RasaFileImporter):
    """Rasa's file importer, plus the KB's fact questions as NLU examples.

    Entities are annotated by the same extractor the pipeline runs, so an example's
    annotations always agree with the vocabulary (tests/components/test_nlu_annotations.py)."""

    def get_nlu_data(self, language: Optional[Text] = "en") -> TrainingData:
        files = super().get_nlu_data(language)
        return files.merge(kb_training_data(default(), {e.get("text", "").lower() for e in files.training_examples}))


def kb_training_data(kb: KnowledgeBase, already: AbstractSet[str] = frozenset()) -> TrainingData:
    """The fact questions as training examples, leaving out any the NLU files already hold
    (compared in lower case)."""
    extractor = KnowledgeBaseEntityExtractor({}, None, None)
    examples = []
    for question, intent in fact_questions(kb):
        if question.lower() in already:
            continue
        data = {"text": question, "intent": intent}
        entities = extractor.extract(question)
        if entities:
            data["entities"] = entities
        examples.append(Message(data=data))
    return TrainingData(training_examples=examples)
