"""Subjects the articles don't cover (data/knowledge/not_covered.yml): said so honestly, then
the closest things the articles do say, led by the KB places the subject names as `near`."""

import dataclasses

import pytest

from actions.answers import facts
from actions.knowledge import default


@pytest.fixture(scope="module")
def kb():
    return default()


@pytest.mark.parametrize("text, subject, closest", [
    ("does cbd oil help with the pain from bone mets", "alternative_medicine", "pain management"),
    ("how do we explain to young kids that grandad's cancer has spread", "talking_to_children", "mental health professional"),
    ("how long has she got left now it's in her liver", "life_expectancy", "live"),
    ("can having a biopsy make the cancer spread", "procedures_causing_spread", "biopsy"),
    ("which cream helps the hair loss and sore scalp after brain radiotherapy", "side_effects", "side effects"),
    ("can my grandchildren get it from me, is it contagious", "contagious", "spread"),
    ("would sbrt work on the spots in his lungs", "radiotherapy_kinds", "radi"),
    ("how do i talk to kids about mum's scan results", "talking_to_children", "mental health professional"),
    ("how many stages are there in total", "other_stages", "stage 4"),
])
def test_the_closest_facts_are_the_ones_the_kb_places_near_the_subject(kb, text, subject, closest):
    subjects = kb.uncovered_in(text)
    assert [s.id for s in subjects] == [subject]
    answer = facts.not_covered(kb, None, subjects, kb.facts_for(text), text)
    assert answer.case == "uncovered"
    assert closest in answer.body.lower()
    assert answer.body.count("•") <= 3 and answer.sources


@pytest.mark.parametrize("text", [
    "what drives cancer to spread to the bones",  # "drive" only as driving a car
    "can cancer be passed on to children",        # heredity, not talking to children
    "i just need to let it out, it's been a rough week",
    "can a scan catch cancer early before it spreads",  # finding it, not catching it from someone
])
def test_everyday_words_near_a_subject_do_not_name_it(kb, text):
    assert kb.uncovered_in(text) == ()


def test_a_subject_without_near_facts_still_gets_the_closest_found(kb):
    subject = dataclasses.replace(kb.uncovered["clinical_trials"], near=())
    text = "trials for liver mets"
    answer = facts.not_covered(kb, None, [subject], kb.facts_for(text), text)
    assert answer.case == "uncovered" and "liver" in answer.body.lower()


def test_a_treatment_named_inside_an_uncovered_subject_brings_its_own_fact(kb):
    """"steroid side effects" names the side effects the articles skip, and the steroids they
    mention: the closest facts lead with what they say about steroids."""
    text = ("I was put on tablets for the swelling around my brain secondaries a month ago, after the lung cancer "
            "spread. Since then my face has gone round, I eat everything in sight and I lie awake most of the night. "
            "My daughter says I look like a different person and, to be honest, I feel like one too. "
            "How long do steroid side effects like these hang around after the course ends?")
    answer = facts.not_covered(kb, None, kb.uncovered_in(text), kb.facts_for(text), text)
    assert answer.case == "uncovered" and "steroids" in answer.body.splitlines()[0]
