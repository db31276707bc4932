"""Every surface form of every entity names that entity, alone and inside a sentence.

For each (kind, id, form) of the real KB: `kb.resolve(form)` is that entity, and in
"i read about {form} yesterday" `kb.mentions` finds exactly one mention, that entity, spanning
exactly the form. Forms whose last word is a countable noun are also tried in their simple plural
("bone scans", "biopsies"). Each check is one test that lists every form that fails.
"""

import re
from typing import List, Optional

import pytest

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


def problem(kb, kind, entity_id, surface) -> Optional[str]:
    """What is wrong with one surface form (None when it names its entity, alone and in a
    sentence, spanning exactly the form)."""
    found = kb.resolve(surface)
    if found is None or (found.kind, found.id) != (kind, entity_id):
        return f"{surface!r} resolves to {found and (found.kind, found.id)}, not {(kind, entity_id)}"
    text = SENTENCE.format(surface)
    mentions = [(m.kind, m.id, m.text) for m in kb.mentions(text, kinds=None)]
    if mentions != [(kind, entity_id, spoken(surface))]:
        return f"{text!r} mentions {mentions}, not {[(kind, entity_id, spoken(surface))]}"
    mention = kb.mentions(text, kinds=None)[0]
    if text[mention.start : mention.end] != mention.text:
        return f"{text!r}: the mention's span {mention.start}-{mention.end} is not {mention.text!r}"
    return None


def report(failures: List[str], checked: int) -> str:
    return f"{len(failures)} of {checked} forms:\n" + "\n".join(failures)


def test_every_surface_form_names_its_entity(kb):
    forms = list(kb.lexicon.forms)
    failures = [p for kind, entity_id, form, _ in forms if (p := problem(kb, kind, entity_id, form))]
    assert failures == [], report(failures, len(forms))


def test_every_plural_of_a_surface_form_names_its_entity(kb):
    plurals = [(kind, entity_id, plural(form)) for kind, entity_id, form, _ in kb.lexicon.forms if plural(form)]
    failures = [p for kind, entity_id, many in plurals if (p := problem(kb, kind, entity_id, many))]
    assert failures == [], report(failures, len(plurals))
    assert len(plurals) > 100


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
