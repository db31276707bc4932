"""The NLU examples' entity annotations agree with what the extractor finds in them.

Annotations are written by hand; the vocabulary lives in the KB. When either changes, this
names every example where they no longer agree (span, kind or value).
"""

from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from components.kb_entity_extractor import KnowledgeBaseEntityExtractor

NLU = Path(__file__).resolve().parents[2] / "data" / "nlu"


def spans(entities):
    return sorted((e["entity"], e["value"], e["start"], e["end"]) for e in entities or [])


def test_annotations_match_the_extractor():
    extractor = KnowledgeBaseEntityExtractor({}, None, None)
    examples = load_data(str(NLU)).training_examples
    assert len(examples) > 1000
    wrong = [
        (example.get("text"), spans(example.get("entities")), spans(extractor.extract(example.get("text"))))
        for example in examples
        if spans(example.get("entities")) != spans(extractor.extract(example.get("text")))
    ]
    assert wrong == []
