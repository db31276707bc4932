"""The NLU entity extractor: every KB surface form (one test listing every form that fails),
longest mentions, canonical values."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.knowledge import ENTITY_KINDS, default
from components.kb_entity_extractor import KnowledgeBaseEntityExtractor


def forms():
    """Every surface form of an entity kind the NLU extracts: (kind, id, form, misspelt)."""
    return [f for f in default().lexicon.forms if f[0] in ENTITY_KINDS]


@pytest.fixture(scope="module")
def extractor(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    return KnowledgeBaseEntityExtractor.create(
        {}, storage, Resource("kb_entities"), ExecutionContext(GraphSchema({}), "test")
    )


def values(entities):
    return [(e["entity"], e["value"], e["start"], e["end"]) for e in entities]


def test_every_kind_has_surface_forms():
    assert {f[0] for f in forms()} == set(ENTITY_KINDS)
    assert len(forms()) > 700


def test_every_surface_form_is_extracted_as_its_entity(extractor):
    """One test over every form, listing every form that fails."""
    failures = []
    for kind, entity_id, form, _ in forms():
        text = f"Question: {form}?"
        got = extractor.extract(text)
        if not (len(got) == 1 and got[0]["entity"] == kind and got[0]["value"] == entity_id
                and text[got[0]["start"]:got[0]["end"]].strip(" -.'") == form.strip(" -.'")):
            failures.append(f"{text!r}: {values(got)}, not {kind}:{entity_id}")
    assert failures == [], f"{len(failures)} forms:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Is breast cancer in the bone bone cancer?",
         [("cancer_type", "breast"), ("body_site", "bone"), ("cancer_type", "bone_primary")]),
        ("she had a bone scan", [("diagnostic_test", "bone_scan")]),
        ("lung cancer that went to the lungs", [("cancer_type", "lung"), ("body_site", "lung")]),
        ("MY MUM HAS BREST CANCER and LIVERS mets", [("cancer_type", "breast"), ("body_site", "liver")]),
        ("muscle weakness and muscles", [("symptom", "muscle_weakness"), ("body_site", "muscle")]),
        ("coughing up blood and a cough", [("symptom", "coughing_blood"), ("symptom", "persistent_cough")]),
        ("prostrate cancer, CAT scans and kemo", [("cancer_type", "prostate"), ("diagnostic_test", "ct"),
                                                 ("treatment", "chemotherapy")]),
        ("we never lived there, how long will she live", []),
        ("", []),
    ],
)
def test_mentions_in_messages(extractor, text, expected):
    assert [(e["entity"], e["value"]) for e in extractor.extract(text)] == expected


def test_offsets_point_into_the_original_text(extractor):
    text = "Mon père a un cancer du poumon — lung cancer — et des métastases osseuses: bone mets"
    got = extractor.extract(text)
    assert [text[e["start"]:e["end"]] for e in got] == ["lung cancer", "bone mets"]


def test_training_learns_everyday_words_and_they_survive_loading(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("kb_entities")
    context = ExecutionContext(GraphSchema({}), "test")
    extractor = KnowledgeBaseEntityExtractor.create({}, storage, resource, context)
    untrained = extractor.extract("my friend brian")
    assert ("body_site", "brain") in [(e["entity"], e["value"]) for e in untrained]
    extractor.train(TrainingData([Message.build("she went out with brian", intent="inform")]))
    loaded = KnowledgeBaseEntityExtractor.load({}, storage, resource, context)
    assert loaded.extract("my friend brian") == []
    assert [e["value"] for e in loaded.extract("my livers")] == ["liver"]


def test_process_adds_entities_with_the_extractor_name(extractor):
    message = Message.build("where does colon cancer spread")
    extractor.process([message])
    (entity,) = message.get("entities")
    assert entity["value"] == "colon" and entity["extractor"] == "KnowledgeBaseEntityExtractor"
