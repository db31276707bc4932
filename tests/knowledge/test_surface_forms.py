"""Every surface form of every entity names that entity, alone and inside a sentence.

For each (kind, id, form) of the real KB: `kb.resolve(form)` is that entity, and in
"i read about {form} yesterday" `kb.mentions` finds exactly one mention, that entity, spanning
exactly the form. Forms whose last word is a countable noun are also tried in their simple plural
("bone scans", "biopsies").
"""

import re
from typing import List, Optional

import pytest

from actions.knowledge import load
from actions.knowledge.loader import DEFAULT_DIR

KB = load(DEFAULT_DIR)
SENTENCE = "i read about {} yesterday"

# Last words that are countable nouns: a form ending in one of them has a simple plural.
COUNTABLE = {
    "cancer", "carcinoma", "adenocarcinoma", "tumor", "tumour", "melanoma", "lymphoma", "leukemia",
    "leukaemia", "glioma", "bone", "brain", "lung", "liver", "kidney", "node", "gland", "muscle",
    "scan", "test", "marker", "exam", "examination", "ultrasound", "sonogram", "radiograph", "ray",
    "xray", "mri", "ct", "pet", "biopsy", "scintigram", "checkup", "therapy", "treatment", "surgery",
    "radiosurgery", "operation", "injection", "resection", "drain", "tap", "steroid", "medication",
    "cementoplasty", "vertebroplasty", "chemotherapy", "immunotherapy", "radiotherapy", "headache",
    "seizure", "convulsion", "fracture", "lump", "bump", "swelling", "cough", "ache", "pain", "fever",
    "lesion", "cigarette", "smoker", "drink", "beer", "wine", "sunburn", "transplant", "secondary",
}

def plural(form: str) -> Optional[str]:
    """The simple plural of a form whose last word is a countable noun, else None."""
    words = re.findall(r"[A-Za-z0-9]+", form)
    last = words[-1].lower() if words else ""
    if last not in COUNTABLE or not form[-1].isalnum():
        return None
    if re.search(r"[^aeiou]y$", last):
        return form[:-1] + "ies"
    return form + "s"


def spoken(form: str) -> str:
    """The part of a form a mention spans: from its first to its last letter or digit."""
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", form)


def _cases() -> List:
    cases = []
    for kind, entity_id, form, misspelt in KB.lexicon.forms:
        cases.append(pytest.param(kind, entity_id, form, id=f"{kind}:{entity_id}:{form}"))
    return cases


def _plural_cases() -> List:
    cases = []
    for kind, entity_id, form, _ in KB.lexicon.forms:
        many = plural(form)
        if many is None:
            continue
        cases.append(pytest.param(kind, entity_id, many, id=f"{kind}:{entity_id}:{many}"))
    return cases


def _check(kb, kind, entity_id, surface):
    found = kb.resolve(surface)
    assert found is not None and (found.kind, found.id) == (kind, entity_id), (
        f"{surface!r} resolves to {found and (found.kind, found.id)}"
    )
    text = SENTENCE.format(surface)
    mentions = kb.mentions(text, kinds=None)
    assert [(m.kind, m.id, m.text) for m in mentions] == [(kind, entity_id, spoken(surface))]
    assert text[mentions[0].start : mentions[0].end] == mentions[0].text


@pytest.mark.parametrize("kind, entity_id, form", _cases())
def test_surface_form_names_its_entity(kb, kind, entity_id, form):
    _check(kb, kind, entity_id, form)


@pytest.mark.parametrize("kind, entity_id, form", _plural_cases())
def test_plural_of_surface_form_names_its_entity(kb, kind, entity_id, form):
    _check(kb, kind, entity_id, form)


def test_lexicon_holds_exactly_the_entities_surface_forms(kb):
    from_entities = [
        (e.kind, e.id, form, form in e.misspellings) for e in kb.entities() for form in e.surface_forms
    ]
    assert list(kb.lexicon.forms) == from_entities
    assert len(from_entities) > 500


@pytest.mark.parametrize(
    "form, many",
    [("bone scan", "bone scans"), ("biopsy", "biopsies"), ("surgery", "surgeries"), ("CT scan", "CT scans"),
     ("fatigue", None), ("metastasis", None), ("lymph nodes", None), ("m.r.i.", None), ("x-ray", "x-rays")],
)
def test_plural_helper(form, many):
    assert plural(form) == many
