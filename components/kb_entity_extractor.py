"""Entity extraction from the knowledge base's own vocabulary, on a spaCy PhraseMatcher.

Names, synonyms and misspellings live once, in data/knowledge/. This component turns them into
spaCy phrase patterns over the lexicon's keys (folded, plural-free, typo-corrected tokens), so
"Brest cancer", "livers" and "CAT scans" all come out as canonical ids, and where mentions
overlap the longest wins ("bone scan" is a test, not a site; "UV radiation" is a risk factor,
not radiotherapy), by the same rule as the KB's own `find`.

Training only learns which everyday words of the NLU data must never be "corrected" into
vocabulary (so "lover" stays "lover"); the vocabulary itself is read from the KB at load time.
"""

from __future__ import annotations

import json
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Text

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.knowledge import ENTITY_KINDS, KnowledgeBase
from actions.knowledge.lexicon import tokens
from components.knowledge_component import KnowledgeBaseComponent

PROTECTED_FILE = "protected_words.json"


def everyday_words(examples: Iterable[Message], kb: KnowledgeBase) -> FrozenSet[str]:
    """Words of the training examples outside entity annotations that are not vocabulary."""
    words = set()
    for example in examples:
        text = example.get(TEXT) or ""
        spans = [(e["start"], e["end"]) for e in example.get(ENTITIES) or [] if "start" in e]
        for token, start, end in tokens(text):
            inside = any(s <= start and end <= e for s, e in spans)
            if not inside and not kb.lexicon.known(token):
                words.add(token)
    return frozenset(words)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class KnowledgeBaseEntityExtractor(KnowledgeBaseComponent, EntityExtractorMixin):
    """Finds cancer types, sites, symptoms, tests and treatments named in a message."""

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, *, protected: FrozenSet[str] = frozenset()) -> None:
        super().__init__(config, model_storage, resource)
        self._protected = protected
        self._nlp: Optional[spacy.language.Language] = None
        self._matcher: Optional[PhraseMatcher] = None

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "KnowledgeBaseEntityExtractor":
        protected: FrozenSet[str] = frozenset()
        try:
            with model_storage.read_from(resource) as path:
                protected = frozenset(json.loads((path / PROTECTED_FILE).read_text("utf-8")))
        except (ValueError, FileNotFoundError):
            pass  # an untrained extractor still matches; it just corrects more eagerly
        return cls(config, model_storage, resource, protected=protected)

    def train(self, training_data: TrainingData) -> Resource:
        self._protected = everyday_words(training_data.training_examples, self.kb)
        with self._model_storage.write_to(self._resource) as path:
            (path / PROTECTED_FILE).write_text(json.dumps(sorted(self._protected)), "utf-8")
        return self._resource

    def _build(self) -> PhraseMatcher:
        """spaCy patterns from every KB surface form of the extracted kinds (built once)."""
        self._nlp = spacy.blank("en")
        matcher = PhraseMatcher(self._nlp.vocab, attr="ORTH")
        lexicon = self.kb.lexicon
        for kind, entity_id, surface, _ in lexicon.forms:
            keys = [lexicon.key(token) for token, _, _ in tokens(surface)]
            matcher.add(f"{kind}\t{entity_id}", [Doc(self._nlp.vocab, words=keys)])
        return matcher

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        """Entities in `text`, as Rasa entity dicts with canonical ids as values."""
        if self._matcher is None:
            self._matcher = self._build()
        found = list(tokens(text))
        if not found:
            return []
        keys = [self.kb.lexicon.key(token, self._protected) for token, _, _ in found]
        doc = Doc(self._nlp.vocab, words=keys)
        spans = [Span(doc, start, end, label=match) for match, start, end in self._matcher(doc)]
        entities = []
        for span in filter_spans(spans):
            kind, entity_id = span.label_.split("\t")
            if kind not in ENTITY_KINDS:
                continue  # a concept or risk factor still wins its overlap ("uv radiation")
            start, end = found[span.start][1], found[span.end - 1][2]
            entities.append(
                {"entity": kind, "value": entity_id, "start": start, "end": end,
                 "confidence_entity": 1.0}
            )
        return sorted(entities, key=lambda e: e["start"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = self.add_extractor_name(self.extract(message.get(TEXT) or ""))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
