"""Every custom action, table-driven: message and slots in, events (and messages) out."""

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import names
from actions.answer_actions import ANSWER_ACTIONS, ActionCloseAnswer, ActionDefaultFallback


def entity(kind: str, value: str) -> Dict[str, Any]:
    return {"entity": kind, "value": value}


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


CASES = [
    # (action, entities in the message, remembered slots, text, expected slot values)
    ("action_answer_definition", [], {}, "what is metastasis",
     {"answer_case": "answer", "last_topic": "definition"}),
    ("action_answer_spread", [entity("cancer_type", "breast")], {}, "",
     {"answer_case": "answer", "answer_subject": "breast cancer", "last_topic": "spread"}),
    ("action_answer_spread", [], {"cancer_type": "lung"}, "where can it spread",
     {"answer_case": "answer", "answer_subject": "lung cancer"}),
    ("action_answer_spread", [], {}, "where does it spread",
     {"answer_case": "need_cancer", "last_topic": "spread"}),
    ("action_answer_spread", [entity("cancer_type", "pancreatic")], {}, "",
     {"answer_case": "not_covered", "answer_subject": "pancreatic cancer"}),
    ("action_answer_spread", [entity("cancer_type", "breast"), entity("body_site", "liver")], {}, "",
     {"answer_case": "site_listed", "answer_site": "liver", "answer_note": "Verywell Health"}),
    ("action_answer_spread", [entity("cancer_type", "colon"), entity("body_site", "brain")], {}, "",
     {"answer_case": "site_not_listed", "answer_site": "brain"}),
    ("action_answer_site_symptoms", [entity("body_site", "bone")], {}, "",
     {"answer_case": "answer", "answer_site": "bone", "last_topic": "site_symptoms"}),
    ("action_answer_site_symptoms", [], {}, "what are the symptoms",
     {"answer_case": "general"}),  # the articles' general signs, with the sites as quick replies
    ("action_answer_site_symptoms", [], {}, "what symptoms does it cause there",
     {"answer_case": "need_site"}),
    ("action_answer_site_symptoms", [], {"cancer_type": "breast"}, "what symptoms would i get",
     {"answer_case": "cancer_overview", "answer_cancer": "breast cancer"}),
    ("action_answer_site_symptoms", [entity("body_site", "adrenal_gland")], {}, "",
     {"answer_case": "no_symptoms", "answer_note": "lung cancer and prostate cancer"}),
    # an old site is not reused by an unrelated topic, only by a follow-up of a site topic
    ("action_answer_site_symptoms", [], {"body_site": "liver", "last_topic": "site_symptoms"}, "",
     {"answer_case": "answer", "answer_site": "liver"}),
    ("action_answer_site_symptoms", [], {"body_site": "liver", "last_topic": "spread"}, "",
     {"answer_case": "general"}),
    ("action_answer_symptom_sites", [entity("symptom", "headache"), entity("symptom", "jaundice")],
     {"cancer_type": "breast"}, "", {"answer_case": "with_cancer", "answer_note": "brain and liver"}),
    ("action_answer_symptom_sites", [entity("symptom", "fatigue")], {}, "",
     {"answer_case": "answer"}),
    # a policy sign: the sites of its closest article signs, said to be only that
    ("action_answer_symptom_sites", [entity("symptom", "back_pain")], {}, "",
     {"answer_case": "near", "answer_subject": "back pain"}),
    ("action_answer_symptom_sites", [entity("symptom", "chest_pain")], {}, "",
     {"answer_case": "no_match", "answer_subject": "chest pain"}),
    ("action_answer_symptom_sites", [], {}, "what could my symptoms mean",
     {"answer_case": "need_symptoms"}),
    ("action_answer_tests", [], {}, "how are metastases diagnosed",
     {"answer_case": "overview", "last_topic": "tests"}),
    ("action_answer_tests", [entity("diagnostic_test", "pet")], {}, "",
     {"answer_case": "test", "answer_subject": "PET scan"}),
    ("action_answer_tests", [entity("body_site", "bone")], {}, "",
     {"answer_case": "site", "answer_note": "MRI and bone scan"}),
    ("action_answer_treatment", [], {}, "", {"answer_case": "general", "last_topic": "treatment"}),
    ("action_answer_treatment", [entity("body_site", "brain")], {}, "", {"answer_case": "site"}),
    ("action_answer_treatment", [entity("body_site", "skin")], {}, "", {"answer_case": "site_none"}),
    ("action_answer_treatment", [entity("treatment", "cementoplasty")], {}, "",
     {"answer_case": "named", "answer_subject": "cementoplasty"}),
    ("action_answer_prognosis", [], {}, "", {"answer_case": "answer", "last_topic": "prognosis"}),
    ("action_answer_statistics", [entity("cancer_type", "lung")], {}, "",
     {"answer_case": "answer", "answer_subject": "lung cancer"}),
    ("action_answer_statistics", [entity("cancer_type", "colon")], {}, "",
     {"answer_case": "none_for_topic"}),
    ("action_answer_statistics", [], {}, "", {"answer_case": "general"}),
    ("action_answer_risk_factors", [], {}, "does smoking cause cancer", {"answer_case": "one"}),
    ("action_answer_risk_factors", [entity("cancer_type", "pancreatic")], {}, "",
     {"answer_case": "cancer", "answer_cancer": "pancreatic cancer"}),
    ("action_answer_risk_factors", [entity("cancer_type", "prostate")], {}, "",
     {"answer_case": "cancer_none"}),
    ("action_answer_risk_factors", [], {}, "what are the risk factors", {"answer_case": "general"}),
    ("action_answer_unknown_primary", [], {}, "", {"answer_case": "answer", "last_topic": "unknown_primary"}),
    ("action_answer_naming", [entity("cancer_type", "breast"), entity("body_site", "bone")], {}, "",
     {"answer_case": "example", "answer_cancer": "breast cancer", "answer_site": "bone"}),
    ("action_answer_naming", [], {}, "", {"answer_case": "answer"}),
    ("action_answer_timing", [], {}, "", {"answer_case": "answer", "last_topic": "timing"}),
    ("action_answer_mechanism", [], {}, "what are dormant cells", {"answer_case": "answer"}),
    ("action_answer_coping", [], {}, "", {"answer_case": "answer", "last_topic": "coping"}),
    ("action_answer_coping", [entity("treatment", "end_of_life_care")], {}, "",
     {"answer_case": "care", "answer_subject": "end-of-life care"}),
    ("action_answer_emergency", [entity("symptom", "seizure")], {}, "",
     {"answer_case": "flags", "answer_subject": "Seizures", "answer_note": "brain"}),
    ("action_answer_emergency", [entity("symptom", "chest_pain")], {}, "",
     {"answer_case": "flags_only", "answer_subject": "Chest pain"}),
    ("action_answer_emergency", [], {}, "please help he is not breathing well",
     {"answer_case": "flags", "answer_note": "lung"}),
    ("action_answer_emergency", [], {}, "please help something is very wrong with my dad",
     {"answer_case": "urgent"}),
    ("action_answer_request_diagnosis", [], {}, "do i have cancer", {"answer_case": "answer"}),
    ("action_acknowledge", [entity("cancer_type", "prostate")], {}, "",
     {"answer_case": "cancer", "answer_cancer": "prostate cancer"}),
    ("action_acknowledge", [], {}, "", {"answer_case": "generic"}),
]


@pytest.mark.parametrize(
    "action, entities, slots, text, expected", CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
async def test_answer_action_sets_the_answer_slots(make_tracker, dispatcher, action, entities, slots, text, expected):
    tracker = make_tracker(entities=entities, slots=slots, text=text)
    events = await ANSWER_ACTIONS[action]().run(dispatcher, tracker, {})
    got = slot_events(events)
    assert set(names.ANSWER_SLOTS) <= set(got), "every answer slot is reset, so nothing stale renders"
    for slot, value in expected.items():
        assert got[slot] == value, slot
    assert dispatcher.messages == [], "answer actions only set slots; their rule utters the response"


def test_every_domain_action_is_implemented():
    import yaml
    from pathlib import Path

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
    implemented = set(ANSWER_ACTIONS) | {"action_close_answer", "action_default_fallback",
                                         "action_forget_conversation"}
    assert set(domain["actions"]) == implemented


@pytest.mark.parametrize(
    "history, case, expected_first_payload",
    [
        ([{"event": "action", "name": "action_answer_spread"}], "need_cancer", '/ask_spread{"cancer_type":"breast"}'),
        ([{"event": "action", "name": "action_answer_site_symptoms"}], "need_site", '/ask_site_symptoms{"body_site":"bone"}'),
        ([{"event": "action", "name": "action_answer_spread"}], "answer", '/ask_site_symptoms{"body_site":"bone"}'),
        ([{"event": "action", "name": "action_answer_emergency"}], "flags", None),
        ([], None, '/ask_spread{"cancer_type":"breast"}'),
    ],
)
async def test_close_answer_ends_with_guidance_and_fitting_quick_replies(
    make_tracker, dispatcher, history, case, expected_first_payload
):
    slots = {"cancer_type": "breast", "answer_case": case, "last_topic": "spread"}
    user = {"event": "user", "text": "x", "parse_data": {}}
    tracker = make_tracker(slots=slots, events=[user] + history)
    events = await ActionCloseAnswer().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_guidance"]
    buttons = dispatcher.messages[0]["buttons"]
    assert (buttons[0]["payload"] if buttons else None) == expected_first_payload
    assert slot_events(events) == {"answer_case": None}


async def test_close_answer_without_context_offers_starter_questions(make_tracker, dispatcher):
    await ActionCloseAnswer().run(dispatcher, make_tracker(intent="greet"), {})
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/ask_definition"


async def test_fallback_apologises_then_gives_guidance_and_reverts(make_tracker, dispatcher):
    events = await ActionDefaultFallback().run(dispatcher, make_tracker(intent="nlu_fallback"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer_facts", "utter_guidance"]
    assert dispatcher.messages[-1]["buttons"], "offers questions it can answer"
    assert [e["event"] for e in events] == ["rewind"]


@pytest.mark.parametrize("text, case, expected", [
    ("could the yellow colour of his eyes come from his liver mets", "facts", "jaundice"),
    ("how do cancer cells get into the blood stream and go elsewhere", "facts", "blood"),  # spread_steps
    ("can cancer cells swim in the blood stream", "closest", "blood"),
    ("qwzx plok vrrmm", "none", None),
])
async def test_a_message_not_understood_gets_the_facts_that_fit_or_the_closest(
    make_tracker, dispatcher, text, case, expected
):
    tracker = make_tracker(intent="nlu_fallback", text=text)
    got = slot_events(await ANSWER_ACTIONS["action_answer_facts"]().run(dispatcher, tracker, {}))
    assert got["answer_case"] == case
    if expected:
        assert expected in got["answer_body"].lower() and got["answer_sources"]


@pytest.mark.parametrize("text, expected", [
    ("is confusion a sign of high calcium", "hypercalcaemia"),
    ("what is hemiplegia, i read it in a leaflet about metastases", "hemiplegia"),
])
async def test_a_question_naming_what_the_facts_are_about_is_answered_not_asked_back(
    make_tracker, dispatcher, text, expected
):
    """site_symptoms would ask "which part of the body?"; the sign named already says it."""
    tracker = make_tracker(intent="ask_site_symptoms", text=text)
    got = slot_events(await ANSWER_ACTIONS["action_answer_site_symptoms"]().run(dispatcher, tracker, {}))
    assert got["answer_case"] == "facts"
    assert expected in got["answer_body"].lower()


async def test_a_question_that_names_nothing_still_gets_the_clarifying_question(make_tracker, dispatcher):
    tracker = make_tracker(intent="ask_spread", text="where does it usually spread to?")
    got = slot_events(await ANSWER_ACTIONS["action_answer_spread"]().run(dispatcher, tracker, {}))
    assert got["answer_case"] == "need_cancer"


@pytest.mark.parametrize("action, text, subject", [
    ("action_answer_mechanism", "does eating sugar make cancer spread faster?", "diet or food"),
    ("action_answer_treatment", "is keytruda better than chemo for lung mets?", "individual drugs"),
    ("action_answer_facts", "which vitamins should i take to stop it spreading", "vitamins or supplements"),
])
async def test_a_subject_the_articles_do_not_cover_is_said_so_honestly(make_tracker, dispatcher, action, text, subject):
    """Safety rule 6: "the articles don't say anything about ...", then the closest facts."""
    got = slot_events(await ANSWER_ACTIONS[action]().run(dispatcher, make_tracker(text=text), {}))
    assert got["answer_case"] in ("uncovered", "uncovered_only")
    assert got["answer_subject"] == subject


async def test_a_question_in_a_statement_about_the_situation_is_answered(make_tracker, dispatcher):
    text = "my dad has prostate cancer. does it usually go to the bones?"
    got = slot_events(await ANSWER_ACTIONS["action_acknowledge"]().run(dispatcher, make_tracker(text=text), {}))
    assert got["answer_case"] == "facts" and "bone" in got["answer_body"]


async def test_a_plain_statement_is_still_acknowledged(make_tracker, dispatcher):
    text = "my dad has prostate cancer"
    got = slot_events(await ANSWER_ACTIONS["action_acknowledge"]().run(
        dispatcher, make_tracker(entities=[entity("cancer_type", "prostate")], text=text), {}))
    assert got["answer_case"] == "cancer"


@pytest.mark.parametrize("action, entities, text, each", [
    ("action_answer_spread", [entity("cancer_type", "breast"), entity("cancer_type", "prostate")],
     "breast vs prostate cancer, where does each spread?", ("Breast cancer:", "Prostate cancer:")),
    ("action_answer_tests", [entity("diagnostic_test", "ct"), entity("diagnostic_test", "mri")],
     "CT or MRI, which one finds brain mets?", ("CT scan:", "MRI:")),
    ("action_answer_site_symptoms", [entity("body_site", "bone"), entity("body_site", "liver")],
     "what symptoms do bone and liver mets cause?", ("Bone:", "Liver:")),
])
async def test_a_comparison_is_answered_for_each_thing_named(make_tracker, dispatcher, action, entities, text, each):
    got = slot_events(await ANSWER_ACTIONS[action]().run(dispatcher, make_tracker(entities=entities, text=text), {}))
    assert got["answer_case"] == "compared"
    assert all(label in got["answer_body"] for label in each)


LONG_POST = (
    "My grandad was treated for prostate cancer years ago and everyone in the family thought that was "
    "the end of it. He has been very quiet lately and my mum is worried sick, she keeps phoning me at "
    "night and I don't know what to say to her. I am trying to understand it all before the next "
    "appointment. Where does prostate cancer usually spread to?"
)


async def test_a_long_post_whose_topic_missed_gets_the_facts_that_answer_its_question(make_tracker, dispatcher):
    got = slot_events(await ANSWER_ACTIONS["action_answer_coping"]().run(
        dispatcher, make_tracker(entities=[entity("cancer_type", "prostate")], text=LONG_POST), {}))
    assert got["answer_case"] == "facts" and "bone" in got["answer_body"]


async def test_a_short_question_the_classifier_is_sure_of_keeps_its_topic(make_tracker, dispatcher):
    text = "what symptoms do bone mets from breast cancer cause?"
    tracker = make_tracker(entities=[entity("body_site", "bone"), entity("cancer_type", "breast")], text=text)
    got = slot_events(await ANSWER_ACTIONS["action_answer_site_symptoms"]().run(dispatcher, tracker, {}))
    assert got["answer_case"] == "answer" and "fractures" in got["answer_body"]


@pytest.mark.parametrize("text, site, case", [
    ("which cancers most often spread to the bones?", "bone", "by_site"),
    ("where does cancer usually spread to in the body?", None, "general"),
])
async def test_spread_without_a_cancer(make_tracker, dispatcher, text, site, case):
    entities = [entity("body_site", site)] if site else []
    got = slot_events(await ANSWER_ACTIONS["action_answer_spread"]().run(
        dispatcher, make_tracker(entities=entities, text=text), {}))
    assert got["answer_case"] == case
    assert ("breast cancer" in got["answer_body"]) if site else ("liver" in got["answer_body"])


async def test_a_topic_answer_about_something_else_gives_way_to_the_fact_asked_for(make_tracker, dispatcher):
    text = "can my brothers and me inherit it from him?"
    got = slot_events(await ANSWER_ACTIONS["action_answer_mechanism"]().run(dispatcher, make_tracker(text=text), {}))
    assert got["answer_case"] == "facts" and "inherited" in got["answer_body"].lower()


async def test_a_general_question_taken_for_a_diagnosis_request_gets_its_facts(make_tracker, dispatcher):
    text = "is cancer hereditary or is that a myth?"
    got = slot_events(await ANSWER_ACTIONS["action_answer_request_diagnosis"]().run(
        dispatcher, make_tracker(intent="request_diagnosis", text=text), {}))
    assert got["answer_case"] == "facts" and "inherited" in got["answer_body"].lower()


async def test_a_verdict_question_keeps_the_referral(make_tracker, dispatcher):
    text = "could this be cancer? my gp wants a scan"
    got = slot_events(await ANSWER_ACTIONS["action_answer_request_diagnosis"]().run(
        dispatcher, make_tracker(intent="request_diagnosis", text=text), {}))
    assert got["answer_case"] == "answer" and "biopsy" in got["answer_body"].lower()


@pytest.mark.parametrize("text, noted", [
    ("what are the warning signs i should watch for with bone mets?", True),
    ("when is it an emergency with brain secondaries?", True),
    ("what symptoms do bone mets cause?", False),
])
async def test_a_question_about_what_to_watch_for_ends_with_the_line_on_urgent_help(make_tracker, dispatcher, text, noted):
    from actions.knowledge import default

    await ActionCloseAnswer().run(dispatcher, make_tracker(intent="ask_site_symptoms", text=text), {})
    assert any(m.get("text") == default().if_happening for m in dispatcher.messages) == noted


@pytest.mark.parametrize("intent, text, added", [
    ("ask_symptom_sites", "could my swollen belly be liver mets? had ovarian ca", True),
    ("ask_symptom_sites", "been a bit dizzy lately, does that mean its in my brain now?", True),
    ("request_diagnosis", "has my cancer spread?", False),  # its answer holds these facts already
    ("ask_symptom_sites", "can liver mets make your belly swell?", False),  # no verdict asked
])
async def test_a_verdict_asked_about_a_sign_gets_how_spread_is_confirmed_never_a_yes(
        make_tracker, dispatcher, intent, text, added):
    """Safety rule 4: the articles' link between sign and site, then how a spread is confirmed."""
    await ActionCloseAnswer().run(dispatcher, make_tracker(intent=intent, text=text), {})
    lines = [m.get("text") or "" for m in dispatcher.messages]
    verdict = [line for line in lines if line.startswith("This is not a diagnosis")]
    assert bool(verdict) == added
    if added:
        assert "biopsy" in verdict[0] and "no one test" in verdict[0]
        assert dispatcher.messages[-1].get("response") == "utter_guidance"


async def test_an_answer_that_left_facts_out_offers_more_and_more_shows_them_all(make_tracker, dispatcher):
    user = {"event": "user", "text": "what is metastasis", "parse_data": {}}
    history = [user, {"event": "action", "name": "action_answer_definition"}]
    tracker = make_tracker(intent="ask_definition", text="what is metastasis",
                           slots={"answer_case": "answer"}, events=history)
    await ActionCloseAnswer().run(dispatcher, tracker, {})
    more = dispatcher.messages[-1]["buttons"][0]
    assert more == {"title": "More about this", "payload": '/ask_definition{"detail":"all"}'}
    short = slot_events(await ANSWER_ACTIONS["action_answer_definition"]().run(
        CollectingDispatcher(), make_tracker(text="what is metastasis"), {}))
    full = slot_events(await ANSWER_ACTIONS["action_answer_definition"]().run(
        CollectingDispatcher(), make_tracker(entities=[entity("detail", "all")], text=more["payload"]), {}))
    assert 1 <= short["answer_body"].count("•") <= 3 < full["answer_body"].count("•")
