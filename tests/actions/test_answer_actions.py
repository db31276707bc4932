"""Every custom action, table-driven: message and slots in, messages and events out.

An answer turn is one call of action_answer: the answer's response (by the case the answerer
chose), filled with the answer's values as keyword arguments, then the closing lines and the
guidance with quick replies, and the topic remembered for follow-ups.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import names
from actions.answer_actions import (
    KINDS, TOPICS, VALUES, ActionAnswer, ActionCloseAnswer, ActionDefaultFallback, responses_sent,
)

ROOT = Path(__file__).resolve().parents[2]


def entity(kind: str, value: str) -> Dict[str, Any]:
    return {"entity": kind, "value": value}


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@dataclass
class Said:
    """What one call of action_answer sent and returned."""

    messages: List[Dict[str, Any]]
    events: List[Dict[str, Any]]

    @property
    def answer(self) -> Dict[str, Any]:
        """The answer's message: its response and the values that fill it."""
        return self.messages[0]

    @property
    def response(self) -> str:
        return self.answer["response"]

    @property
    def body(self) -> str:
        return self.answer["answer_body"]

    @property
    def slots(self) -> Dict[str, Any]:
        return slot_events(self.events)

    @property
    def buttons(self) -> List[Dict[str, str]]:
        return self.messages[-1]["buttons"]


@pytest.fixture
def ask(make_tracker):
    """Run action_answer on a message of `intent` (a fresh tracker and dispatcher each time)."""
    async def ask(intent: str, entities=(), slots=None, text: str = "") -> Said:
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(intent=intent, entities=list(entities), slots=slots, text=text)
        events = await ActionAnswer().run(dispatcher, tracker, {})
        return Said(dispatcher.messages, events)

    return ask


CASES = [
    # (intent, entities in the message, remembered slots, text, expected: the response that says
    # the answer, the values it is filled with, and the topic remembered for follow-ups)
    ("ask_definition", [], {}, "what is metastasis",
     {"response": "utter_answer_definition", "last_topic": "definition"}),
    ("ask_spread", [entity("cancer_type", "breast")], {}, "",
     {"response": "utter_answer_spread", "answer_subject": "breast cancer", "last_topic": "spread"}),
    ("ask_spread", [], {"cancer_type": "lung"}, "where can it spread",
     {"response": "utter_answer_spread", "answer_subject": "lung cancer"}),
    ("ask_spread", [], {}, "where does it spread",
     {"response": "utter_answer_spread_need_cancer", "last_topic": "spread"}),
    ("ask_spread", [entity("cancer_type", "pancreatic")], {}, "",
     {"response": "utter_answer_spread_not_covered", "answer_subject": "pancreatic cancer"}),
    ("ask_spread", [entity("cancer_type", "breast"), entity("body_site", "liver")], {}, "",
     {"response": "utter_answer_spread_site_listed", "answer_site": "liver", "answer_note": "Verywell Health"}),
    ("ask_spread", [entity("cancer_type", "colon"), entity("body_site", "brain")], {}, "",
     {"response": "utter_answer_spread_site_not_listed", "answer_site": "brain"}),
    ("ask_site_symptoms", [entity("body_site", "bone")], {}, "",
     {"response": "utter_answer_site_symptoms", "answer_site": "bone", "last_topic": "site_symptoms"}),
    ("ask_site_symptoms", [], {}, "what are the symptoms",
     {"response": "utter_answer_site_symptoms_general"}),  # the articles' general signs, with the sites as quick replies
    ("ask_site_symptoms", [], {}, "what symptoms does it cause there",
     {"response": "utter_answer_site_symptoms_need_site"}),
    ("ask_site_symptoms", [], {"cancer_type": "breast"}, "what symptoms would i get",
     {"response": "utter_answer_site_symptoms_cancer_overview", "answer_cancer": "breast cancer"}),
    ("ask_site_symptoms", [entity("body_site", "adrenal_gland")], {}, "",
     {"response": "utter_answer_site_symptoms_no_symptoms", "answer_note": "lung cancer and prostate cancer"}),
    # an old site is not reused by an unrelated topic, only by a follow-up of a site topic
    ("ask_site_symptoms", [], {"body_site": "liver", "last_topic": "site_symptoms"}, "",
     {"response": "utter_answer_site_symptoms", "answer_site": "liver"}),
    ("ask_site_symptoms", [], {"body_site": "liver", "last_topic": "spread"}, "",
     {"response": "utter_answer_site_symptoms_general"}),
    ("ask_symptom_sites", [entity("symptom", "headache"), entity("symptom", "jaundice")],
     {"cancer_type": "breast"}, "", {"response": "utter_answer_symptom_sites_with_cancer", "answer_note": "brain and liver"}),
    ("ask_symptom_sites", [entity("symptom", "fatigue")], {}, "",
     {"response": "utter_answer_symptom_sites"}),
    # a policy sign: the sites of its closest article signs, said to be only that
    ("ask_symptom_sites", [entity("symptom", "back_pain")], {}, "",
     {"response": "utter_answer_symptom_sites_near", "answer_subject": "back pain"}),
    ("ask_symptom_sites", [entity("symptom", "chest_pain")], {}, "",
     {"response": "utter_answer_symptom_sites_no_match", "answer_subject": "chest pain"}),
    ("ask_symptom_sites", [], {}, "what could my symptoms mean",
     {"response": "utter_answer_symptom_sites_need_symptoms"}),
    ("ask_tests", [], {}, "how are metastases diagnosed",
     {"response": "utter_answer_tests", "last_topic": "tests"}),
    ("ask_tests", [entity("diagnostic_test", "pet")], {}, "",
     {"response": "utter_answer_tests_test", "answer_subject": "PET scan"}),
    ("ask_tests", [entity("body_site", "bone")], {}, "",
     {"response": "utter_answer_tests_site", "answer_note": "MRI and bone scan"}),
    ("ask_treatment", [], {}, "", {"response": "utter_answer_treatment", "last_topic": "treatment"}),
    ("ask_treatment", [entity("body_site", "brain")], {}, "", {"response": "utter_answer_treatment_site"}),
    ("ask_treatment", [entity("body_site", "skin")], {}, "", {"response": "utter_answer_treatment_site_none"}),
    ("ask_treatment", [entity("treatment", "cementoplasty")], {}, "",
     {"response": "utter_answer_treatment_named", "answer_subject": "cementoplasty"}),
    ("ask_prognosis", [], {}, "", {"response": "utter_answer_prognosis", "last_topic": "prognosis"}),
    ("ask_statistics", [entity("cancer_type", "lung")], {}, "",
     {"response": "utter_answer_statistics_answer", "answer_subject": "lung cancer"}),
    ("ask_statistics", [entity("cancer_type", "colon")], {}, "",
     {"response": "utter_answer_statistics_none_for_topic"}),
    ("ask_statistics", [], {}, "", {"response": "utter_answer_statistics"}),
    ("ask_risk_factors", [], {}, "does smoking cause cancer", {"response": "utter_answer_risk_factors_one"}),
    ("ask_risk_factors", [entity("cancer_type", "pancreatic")], {}, "",
     {"response": "utter_answer_risk_factors_cancer", "answer_cancer": "pancreatic cancer"}),
    ("ask_risk_factors", [entity("cancer_type", "prostate")], {}, "",
     {"response": "utter_answer_risk_factors_cancer_none"}),
    ("ask_risk_factors", [], {}, "what are the risk factors", {"response": "utter_answer_risk_factors"}),
    ("ask_unknown_primary", [], {}, "", {"response": "utter_answer_unknown_primary", "last_topic": "unknown_primary"}),
    ("ask_naming", [entity("cancer_type", "breast"), entity("body_site", "bone")], {}, "",
     {"response": "utter_answer_naming_example", "answer_cancer": "breast cancer", "answer_site": "bone"}),
    ("ask_naming", [], {}, "", {"response": "utter_answer_naming"}),
    ("ask_timing", [], {}, "", {"response": "utter_answer_timing", "last_topic": "timing"}),
    ("ask_mechanism", [], {}, "what are dormant cells", {"response": "utter_answer_mechanism"}),
    ("ask_coping", [], {}, "", {"response": "utter_answer_coping", "last_topic": "coping"}),
    ("ask_coping", [entity("treatment", "end_of_life_care")], {}, "",
     {"response": "utter_answer_coping_care", "answer_subject": "end-of-life care"}),
    ("emergency", [entity("symptom", "seizure")], {}, "",
     {"response": "utter_answer_emergency_flags", "answer_subject": "Seizures", "answer_note": "brain"}),
    ("emergency", [entity("symptom", "chest_pain")], {}, "",
     {"response": "utter_answer_emergency_flags_only", "answer_subject": "Chest pain"}),
    ("emergency", [], {}, "please help he is not breathing well",
     {"response": "utter_answer_emergency_flags", "answer_note": "lung"}),
    ("emergency", [], {}, "please help something is very wrong with my dad",
     {"response": "utter_answer_emergency"}),
    ("request_diagnosis", [], {}, "do i have cancer", {"response": "utter_answer_request_diagnosis"}),
    ("inform", [entity("cancer_type", "prostate")], {}, "",
     {"response": "utter_acknowledge_cancer", "answer_cancer": "prostate cancer"}),
    ("inform", [], {}, "", {"response": "utter_acknowledge"}),
]


@pytest.mark.parametrize(
    "intent, entities, slots, text, expected", CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
async def test_the_answer_is_said_by_the_response_of_its_case(ask, intent, entities, slots, text, expected):
    said = await ask(intent, entities, slots, text)
    assert said.response == expected["response"]
    assert set(f"answer_{v}" for v in VALUES) <= set(said.answer), "every value is passed, so no placeholder stays"
    for key, value in expected.items():
        if key.startswith("answer_"):
            assert said.answer[key] == value, key
    if "last_topic" in expected:
        assert said.slots == {"last_topic": expected["last_topic"]}


@pytest.mark.parametrize("intent", sorted(KINDS))
async def test_one_call_answers_and_ends_the_turn_with_the_guidance(ask, intent):
    said = await ask(intent, text="what is metastasis")
    assert said.response in responses_sent()
    assert said.messages[-1]["response"] == "utter_guidance"
    assert set(said.slots) <= {names.SLOT_LAST_TOPIC}, "no answer slots: the values go with the response"


def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def rules() -> List[Dict[str, Any]]:
    found = []
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        found += yaml.safe_load(path.read_text())["rules"]
    return found


def test_every_domain_action_is_implemented():
    implemented = {"action_answer", "action_close_answer", "action_default_fallback", "action_forget_conversation"}
    assert set(domain()["actions"]) == implemented


def test_every_response_the_answers_use_is_in_the_domain_and_none_is_left_over():
    """The responses action_answer may send exist; none of the answer responses is dead."""
    responses = set(domain()["responses"])
    assert responses_sent() <= responses, sorted(responses_sent() - responses)
    in_rules = {step["action"] for rule in rules() for step in rule["steps"] if "action" in step}
    answer_like = {r for r in responses if r.startswith(("utter_answer_", "utter_acknowledge", "utter_out_of_scope"))}
    assert answer_like <= responses_sent() | in_rules, sorted(answer_like - responses_sent() - in_rules)


def test_every_kind_of_question_has_its_rule_and_every_answer_rule_its_kind():
    answered = {rule["steps"][0]["intent"] for rule in rules()
                if "intent" in rule["steps"][0] and "action_answer" in [s.get("action") for s in rule["steps"]]}
    assert answered == set(KINDS) | {"follow_up"}


def test_each_topic_is_asked_by_its_own_intent():
    assert len(set(TOPICS)) == len(TOPICS)
    assert all(KINDS[f"ask_{topic}"].topic == topic for topic in TOPICS)
    assert {kind.topic for kind in KINDS.values() if kind.topic} == set(TOPICS)
    assert {f"ask_{topic}" for topic in TOPICS} <= set(domain()["intents"])


async def test_a_follow_up_repeats_the_last_topic_about_what_it_names(ask):
    said = await ask("follow_up", [entity("body_site", "liver")], {"cancer_type": "breast", "last_topic": "spread"},
                     "and the liver?")
    assert said.response == "utter_answer_spread_site_listed" and said.answer["answer_site"] == "liver"
    assert said.slots == {"last_topic": "spread"}


async def test_a_follow_up_with_nothing_to_follow_is_acknowledged(ask):
    said = await ask("follow_up", [entity("cancer_type", "breast")], {}, "")
    assert said.response == "utter_acknowledge_cancer" and said.slots == {}


@pytest.mark.parametrize(
    "intent, entities, text, expected_first_payload",
    [
        ("ask_spread", [], "where does it spread", '/ask_spread{"cancer_type":"breast"}'),  # which cancer?
        ("ask_site_symptoms", [], "what symptoms does it cause there", '/ask_site_symptoms{"body_site":"bone"}'),
        ("ask_spread", [entity("cancer_type", "breast")], "", '/ask_site_symptoms{"body_site":"bone"}'),
        ("emergency", [entity("symptom", "seizure")], "", None),
    ],
)
async def test_the_answer_ends_with_guidance_and_fitting_quick_replies(ask, intent, entities, text, expected_first_payload):
    said = await ask(intent, entities, text=text)
    assert [m.get("response") for m in said.messages] == [said.response, "utter_guidance"]
    assert (said.buttons[0]["payload"] if said.buttons else None) == expected_first_payload


@pytest.mark.parametrize("slots, expected_first_payload", [
    ({"cancer_type": "breast"}, '/ask_spread{"cancer_type":"breast"}'),
    ({}, "/ask_definition"),  # starter questions
])
async def test_close_answer_after_a_domain_response_gives_guidance_and_quick_replies(
    make_tracker, dispatcher, slots, expected_first_payload
):
    events = await ActionCloseAnswer().run(dispatcher, make_tracker(intent="greet", slots=slots), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_guidance"]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == expected_first_payload
    assert events == []


async def test_fallback_apologises_then_gives_guidance_and_reverts(make_tracker, dispatcher):
    events = await ActionDefaultFallback().run(dispatcher, make_tracker(intent="nlu_fallback"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_not_understood", "utter_guidance"]
    assert dispatcher.messages[-1]["buttons"], "offers questions it can answer"
    assert [e["event"] for e in events] == ["rewind"]


@pytest.mark.parametrize("text, response, expected", [
    ("could the yellow colour of his eyes come from his liver mets", "utter_answer_facts", "jaundice"),
    ("how do cancer cells get into the blood stream and go elsewhere", "utter_answer_facts", "blood"),
    ("can cancer cells swim in the blood stream", "utter_answer_closest", "blood"),
    ("qwzx plok vrrmm", "utter_not_understood", None),
])
async def test_a_message_not_understood_gets_the_facts_that_fit_or_the_closest(ask, text, response, expected):
    said = await ask("nlu_fallback", text=text)
    assert said.response == response
    if expected:
        assert expected in said.body.lower() and said.answer["answer_sources"]


async def test_out_of_scope_never_says_the_facts_fit(ask):
    said = await ask("out_of_scope", text="how do cancer cells get into the blood stream and go elsewhere")
    assert said.response == "utter_out_of_scope_facts"
    assert domain()["responses"]["utter_out_of_scope_facts"] == domain()["responses"]["utter_answer_closest"]


@pytest.mark.parametrize("text, expected", [
    ("is confusion a sign of high calcium", "hypercalcaemia"),
    ("what is hemiplegia, i read it in a leaflet about metastases", "hemiplegia"),
])
async def test_a_question_naming_what_the_facts_are_about_is_answered_not_asked_back(ask, text, expected):
    """site_symptoms would ask "which part of the body?"; the sign named already says it."""
    said = await ask("ask_site_symptoms", text=text)
    assert said.response == "utter_answer_facts"
    assert expected in said.body.lower()


async def test_a_question_that_names_nothing_still_gets_the_clarifying_question(ask):
    said = await ask("ask_spread", text="where does it usually spread to?")
    assert said.response == "utter_answer_spread_need_cancer"


@pytest.mark.parametrize("intent, text, subject", [
    ("ask_mechanism", "does eating sugar make cancer spread faster?", "diet or food"),
    ("ask_treatment", "is keytruda better than chemo for lung mets?", "individual drugs"),
    ("nlu_fallback", "which vitamins should i take to stop it spreading", "vitamins or supplements"),
])
async def test_a_subject_the_articles_do_not_cover_is_said_so_honestly(ask, intent, text, subject):
    """Safety rule 6: "the articles don't say anything about ...", then the closest facts."""
    said = await ask(intent, text=text)
    assert said.response in ("utter_answer_uncovered", "utter_answer_uncovered_only")
    assert said.answer["answer_subject"] == subject


async def test_a_question_in_a_statement_about_the_situation_is_answered(ask):
    said = await ask("inform", text="my dad has prostate cancer. does it usually go to the bones?")
    assert said.response == "utter_answer_facts" and "bone" in said.body


async def test_a_plain_statement_is_still_acknowledged(ask):
    said = await ask("inform", [entity("cancer_type", "prostate")], text="my dad has prostate cancer")
    assert said.response == "utter_acknowledge_cancer"


@pytest.mark.parametrize("intent, entities, text, each", [
    ("ask_spread", [entity("cancer_type", "breast"), entity("cancer_type", "prostate")],
     "breast vs prostate cancer, where does each spread?", ("Breast cancer:", "Prostate cancer:")),
    ("ask_tests", [entity("diagnostic_test", "ct"), entity("diagnostic_test", "mri")],
     "CT or MRI, which one finds brain mets?", ("CT scan:", "MRI:")),
    ("ask_site_symptoms", [entity("body_site", "bone"), entity("body_site", "liver")],
     "what symptoms do bone and liver mets cause?", ("Bone:", "Liver:")),
])
async def test_a_comparison_is_answered_for_each_thing_named(ask, intent, entities, text, each):
    said = await ask(intent, entities, text=text)
    assert said.response == "utter_answer_compared"
    assert all(label in said.body for label in each)


LONG_POST = (
    "My grandad was treated for prostate cancer years ago and everyone in the family thought that was "
    "the end of it. He has been very quiet lately and my mum is worried sick, she keeps phoning me at "
    "night and I don't know what to say to her. I am trying to understand it all before the next "
    "appointment. Where does prostate cancer usually spread to?"
)


async def test_a_long_post_whose_topic_missed_gets_the_facts_that_answer_its_question(ask):
    said = await ask("ask_coping", [entity("cancer_type", "prostate")], text=LONG_POST)
    assert said.response == "utter_answer_facts" and "bone" in said.body


async def test_a_short_question_the_classifier_is_sure_of_keeps_its_topic(ask):
    said = await ask("ask_site_symptoms", [entity("body_site", "bone"), entity("cancer_type", "breast")],
                     text="what symptoms do bone mets from breast cancer cause?")
    assert said.response == "utter_answer_site_symptoms" and "fractures" in said.body


@pytest.mark.parametrize("text, site, response", [
    ("which cancers most often spread to the bones?", "bone", "utter_answer_spread_by_site"),
    ("where does cancer usually spread to in the body?", None, "utter_answer_spread_general"),
])
async def test_spread_without_a_cancer(ask, text, site, response):
    said = await ask("ask_spread", [entity("body_site", site)] if site else [], text=text)
    assert said.response == response
    assert ("breast cancer" in said.body) if site else ("liver" in said.body)


async def test_a_topic_answer_about_something_else_gives_way_to_the_fact_asked_for(ask):
    said = await ask("ask_mechanism", text="can my brothers and me inherit it from him?")
    assert said.response == "utter_answer_facts" and "inherited" in said.body.lower()


async def test_a_general_question_taken_for_a_diagnosis_request_gets_its_facts(ask):
    said = await ask("request_diagnosis", text="is cancer hereditary or is that a myth?")
    assert said.response == "utter_answer_facts" and "inherited" in said.body.lower()


async def test_a_verdict_question_keeps_the_referral(ask):
    said = await ask("request_diagnosis", text="could this be cancer? my gp wants a scan")
    assert said.response == "utter_answer_request_diagnosis" and "biopsy" in said.body.lower()


@pytest.mark.parametrize("text, noted", [
    ("what are the warning signs i should watch for with bone mets?", True),
    ("when is it an emergency with brain secondaries?", True),
    ("what symptoms do bone mets cause?", False),
])
async def test_a_question_about_what_to_watch_for_ends_with_the_line_on_urgent_help(ask, text, noted):
    from actions.knowledge import default

    said = await ask("ask_site_symptoms", text=text)
    assert any(m.get("text") == default().if_happening for m in said.messages) == noted
    assert said.messages[-1]["response"] == "utter_guidance"


@pytest.mark.parametrize("intent, text, added", [
    ("ask_symptom_sites", "could my swollen belly be liver mets? had ovarian ca", True),
    ("ask_symptom_sites", "been a bit dizzy lately, does that mean its in my brain now?", True),
    ("request_diagnosis", "has my cancer spread?", False),  # its answer holds these facts already
    ("ask_symptom_sites", "can liver mets make your belly swell?", False),  # no verdict asked
])
async def test_a_verdict_asked_about_a_sign_gets_how_spread_is_confirmed_never_a_yes(ask, intent, text, added):
    """Safety rule 4: the articles' link between sign and site, then how a spread is confirmed."""
    said = await ask(intent, text=text)
    lines = [m.get("text") or "" for m in said.messages]
    verdict = [line for line in lines if line.startswith("This is not a diagnosis")]
    assert bool(verdict) == added
    if added:
        assert "biopsy" in verdict[0] and "no one test" in verdict[0]
        assert lines.index(verdict[0]) > 0, "after the answer"
        assert said.messages[-1].get("response") == "utter_guidance"


async def test_an_answer_that_left_facts_out_offers_more_and_more_shows_them_all(ask):
    short = await ask("ask_definition", text="what is metastasis")
    more = short.buttons[0]
    assert more == {"title": "More about this", "payload": '/ask_definition{"detail":"all"}'}
    full = await ask("ask_definition", [entity("detail", "all")], text=more["payload"])
    assert 1 <= short.body.count("•") <= 3 < full.body.count("•")
    assert full.buttons[0]["title"] != "More about this"
