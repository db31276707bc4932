"""The KB's fact questions (`asks`) become NLU examples (components/kb_importer.py)."""

from pathlib import Path

import yaml

from actions.knowledge import default
from components.kb_entity_extractor import KnowledgeBaseEntityExtractor
from actions.knowledge.retrieval import TOPIC_OF_PLACE
from components.kb_importer import KnowledgeBaseImporter, fact_questions, intent_of, kb_training_data

ROOT = Path(__file__).resolve().parents[2]


def test_every_mapped_intent_is_in_the_domain():
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))["intents"])
    assert {f"ask_{topic}" for topic in TOPIC_OF_PLACE.values()} <= intents


def test_a_fact_trains_the_intent_of_where_it_sits():
    assert intent_of("concept:timing") == "ask_timing"
    assert intent_of("diagnostic_test:pet") == "ask_tests"
    assert intent_of("body_site:liver:treatment") == "ask_treatment"
    assert intent_of("statistic:deaths") == "ask_statistics"
    assert intent_of("coping") == "ask_coping"
    # a cancer type's or a site's own facts answer different kinds of question: none trained
    assert intent_of("cancer_type:breast") is None
    assert intent_of("body_site:brain") is None


def test_the_kb_questions_are_examples_annotated_like_the_pipeline_would():
    kb = default()
    questions = list(fact_questions(kb))
    assert len(questions) >= 200, "the facts carry the questions they answer"
    assert len({q.lower() for q, _ in questions}) == len(questions)
    extractor = KnowledgeBaseEntityExtractor({}, None, None)
    examples = kb_training_data(kb).training_examples
    assert len(examples) == len(questions)
    for example in examples:
        assert example.get("intent").startswith("ask_")
        assert (example.get("entities") or []) == extractor.extract(example.get("text"))


def test_rasa_reads_the_nlu_files_and_the_kb_questions():
    importer = KnowledgeBaseImporter(str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    texts = {e.get("text") for e in importer.get_nlu_data().training_examples}
    assert "what is metastasis" in texts  # data/nlu/concepts.yml
    assert {q for q, _ in fact_questions(default())} <= texts


def test_a_question_the_nlu_files_hold_is_not_added_twice():
    kb = default()
    question, _ = next(fact_questions(kb))
    assert question not in {e.get("text") for e in kb_training_data(kb, {question.lower()}).training_examples}
