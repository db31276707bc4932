"""The KB's safety triage, rule by rule (actions/knowledge/triage.py).

These pin the reading rules with the project's own examples; how well they carry to messages
nobody here wrote is measured by tests/triage (the triage set) and `make triage`.
"""

import pytest

from actions.knowledge.triage import ASKING, HAPPENING, NEGATED, asks_for_verdict, looks_like_question, safety_excerpt


def modes(kb, text):
    return {f.flag.id: f.mode for f in kb.triage(text).flags}


@pytest.mark.parametrize("text, flag, mode", [
    ("my dad is coughing up blood", "coughing_blood", HAPPENING),
    ("coughing up blood since this morning", "coughing_blood", HAPPENING),
    ("can lung mets make you cough up blood?", "coughing_blood", ASKING),
    ("what should we do if he ever has a seizure", "seizure", ASKING),
    ("the nurse mentioned that seizures are possible", "seizure", ASKING),
    ("no seizures so far, touch wood", "seizure", NEGATED),
    ("she hasn't coughed up any blood", "coughing_blood", NEGATED),
    ("dad hasnt passed out or collapsed", "fainting", NEGATED),
    # a negation inside the sign is part of it
    ("he's not breathing", "breathing_difficulty", HAPPENING),
    ("she won't wake up", "unrousable", HAPPENING),
    ("my dad is not breathing", "breathing_difficulty", HAPPENING),  # "is not" joined overlaps it
    ("he is not breathing properly", "breathing_difficulty", HAPPENING),
    ("i cant feel my legs", "leg_numbness", HAPPENING),
    # happening, even inside a question
    ("is it normal that my dad is coughing up blood?", "coughing_blood", HAPPENING),
    # the sign asked about by "what" or "which": a threshold, not a happening
    ("i'd like to know what temperature i should be worried about on chemo", "fever_during_chemotherapy", ASKING),
    # long past is history, not an emergency
    ("he had a stroke five years ago", "stroke", ASKING),
])
def test_each_mention_is_read_in_its_sentence(kb, text, flag, mode):
    assert modes(kb, text).get(flag) == mode


@pytest.mark.parametrize("text, flag", [
    ("she has a fever after chemo", "fever_during_chemotherapy"),        # with_treatment
    ("mum has bone mets and is very drowsy and really thirsty", "high_calcium_signs"),  # min: 2
    ("his eyes have gone a yellowish colour and he has a temperature", "jaundice_with_fever"),
    ("coughing up blood and urine tests", "coughing_blood"),            # inside a longer mention
])
def test_flags_in_everyday_words(kb, text, flag):
    assert flag in [f.flag.id for f in kb.triage(text).urgent]


@pytest.mark.parametrize("text, sign", [
    ("my lips arent blue and i can breathe fine sitting down", "blue_lips"),
    ("he isn't confused at all, but his calcium came back high", "confusion"),
])
def test_a_sign_split_by_its_negation_is_negated_and_noted(kb, text, sign):
    result = kb.triage(text)
    assert dict(result.signs).get(sign) == NEGATED
    assert result.urgent == () and result.only_mentioned


@pytest.mark.parametrize("text", [
    "he's 59 and otherwise fit, so we're hoping he can have the operation",
    "she was fit and well until the diagnosis",
    "is keeping fit during chemo a good idea?",
])
def test_an_everyday_sense_of_a_sign_word_is_no_sign(kb, text):
    """symptoms.yml everyday_senses: "fit" in "otherwise fit" is not a fit."""
    assert kb.triage(text).flags == () and kb.mentions(text, ("symptom",)) == []


def test_a_sign_in_a_list_of_things_to_report_is_asked_about(kb):
    text = "the nurse gave me a list of things to report and unusual bleeding was on it"
    assert kb.triage(text).urgent == () and kb.triage(text).only_mentioned


def test_a_fever_alone_is_no_emergency(kb):
    assert kb.triage("he has had a fever").urgent == ()


@pytest.mark.parametrize("text", [
    "i just want to die, i'm so tired of all of this",
    "my brother has been stockpiling his sleeping tablets and wrote goodbye letters",
    "im thinking of ending things",
    "i keep cutting myself again",
    "everyone would be better off without me",
])
def test_crisis_cues(kb, text):
    assert kb.triage(text).is_crisis


@pytest.mark.parametrize("text", [
    "I don't want to die, is there any treatment left?",
    "she wants to die at home, not in hospital",
    "my mum is dying",
    "i want to stop treatment",
    "how long does my dad have left?",
    "she fell and hurt herself",
    "i would never hurt myself",
])
def test_not_crises(kb, text):
    assert not kb.triage(text).is_crisis


def test_a_sign_only_asked_about_gets_the_note(kb):
    assert kb.triage("why do brain mets cause headaches?").only_mentioned  # a note sign
    assert kb.triage("no fever since chemo").only_mentioned
    assert not kb.triage("he is coughing up blood").only_mentioned  # happening: urgent instead
    assert not kb.triage("where does breast cancer spread?").only_mentioned


def test_a_late_emergency_in_a_long_post_is_kept(kb):
    text = "We are coping well with everything. " * 80 + "Tonight he suddenly can't move his legs."
    result = kb.triage(text)
    assert result.urgent
    assert safety_excerpt(text, result, keep=2000, limit=1000) == "Tonight he suddenly can't move his legs."
    assert safety_excerpt(text[:2000], kb.triage(text[:2000]), keep=2000, limit=1000) is None


@pytest.mark.parametrize("text, expected", [
    ("is it normal to feel faint on chemo", True),
    ("hi, can bone mets cause this", True),
    ("my dad has gone grey and clammy", False),
])
def test_looks_like_question(text, expected):
    assert looks_like_question(text) is expected


@pytest.mark.parametrize("question, verdict", [
    ("has it gone to his bones?", True),
    ("could the cancer have gone into her liver by now?", True),
    ("they never found the first tumour. is it too small to see, or has it gone?", False),
])
def test_gone_asks_for_a_verdict_only_when_it_went_somewhere(question, verdict):
    assert asks_for_verdict(question) is verdict
