"""Which question a message asks, when its wording or its story points elsewhere
(actions/answer_actions.py `kind_of`, `asked_first`; actions/answers/topics.py `definition`;
actions/answers/care.py `tests`). Messages written for these tests, never taken from the eval."""

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker

from actions.answer_actions import asked_first, context_of, decide, kind_of, KINDS
from actions.answers import care, topics
from actions.answers.spread import site_symptoms as topics_site_symptoms
from actions.context import Context
from actions.knowledge import default
from actions.knowledge.retrieval import content_keys

STORY = ("My brother was treated for bowel cancer three years ago and has had scans every six months "
         "since then, which were all clear until the last one in the spring. Now the doctors have "
         "found something on his liver and want to do more tests before they say anything. We are all "
         "trying to stay calm for his sake, but the waiting is hard on everyone. ")


def tracker(text: str, intent: str, ranking: List[Dict[str, Any]] = (), entities=(), confidence=0.8) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "intent_ranking": list(ranking), "entities": list(entities)}
    return Tracker("t", {}, latest, [], False, None, {}, "action_listen")


def found(text: str, kind: str, value: str) -> Dict[str, Any]:
    start = text.lower().index(value)
    return {"entity": kind, "value": value, "start": start, "end": start + len(value)}


def answered(kb, text: str, intent: str, *named):
    """The answer `decide` gives a message of this intent naming (kind, words, value) entities."""
    entities = []
    for kind, words, value in named:
        entities.append({**found(text, kind, words), "value": value})
    return decide(kb, KINDS[intent], context_of(tracker(text, intent, entities=entities)))


def test_a_question_the_classifier_took_for_a_statement_gets_the_question_intent_next_in_line():
    text = "what signs go with bone secondaries? I am asking for my aunt who has prostate cancer"
    ranking = [{"name": "inform", "confidence": 0.8}, {"name": "ask_site_symptoms", "confidence": 0.15}]
    assert kind_of(tracker(text, "inform", ranking)) is KINDS["ask_site_symptoms"]


def test_a_statement_without_a_question_stays_a_statement():
    text = "my aunt has prostate cancer and it is in her bones now"
    ranking = [{"name": "inform", "confidence": 0.8}, {"name": "ask_site_symptoms", "confidence": 0.15}]
    assert kind_of(tracker(text, "inform", ranking)) is KINDS["inform"]


@pytest.mark.parametrize("text, kind", [
    ("is there really no way to get rid of secondaries for good, or is that wishful thinking", "ask_prognosis"),
    ("what is your view on the election?", "nlu_fallback"),  # names nothing the articles discuss
])
def test_a_question_below_the_fallback_threshold_is_of_its_likeliest_kind_when_it_names_their_subject(text, kind):
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "ask_prognosis", "confidence": 0.3},
               {"name": "ask_treatment", "confidence": 0.2}]
    assert kind_of(tracker(text, "nlu_fallback", ranking)) is KINDS[kind]


def test_a_long_post_is_about_what_its_question_names_before_what_its_story_names():
    text = STORY + "What symptoms do secondaries in the lungs cause?"
    entities = [found(text, "body_site", "liver"), found(text, "body_site", "lungs")]
    assert [e["value"] for e in asked_first(entities, text)] == ["lungs", "liver"]


def test_a_question_in_general_sets_the_story_aside():
    text = STORY + "In general, which treatments are used when cancer has spread?"
    entities = [found(text, "body_site", "liver"), found(text, "cancer_type", "bowel")]
    ctx = context_of(tracker(text, "ask_treatment", entities=entities))
    assert ctx.site is None and ctx.cancer is None
    answer = decide(default(), KINDS["ask_treatment"], ctx)
    assert "chemotherapy" in answer.body.lower()


def test_what_does_that_mean_after_a_story_defines_the_concept_the_story_named():
    text = ("They have done a CT and a PET and a scope and still nobody can say where it started. The "
            "consultant wrote carcinoma of unknown primary in the letter and my wife has been googling "
            "all night, which has not helped either of us. What does that mean?")
    answer = topics.definition(default(), Context(text=text))
    assert "not known" in answer.body and "(Verywell Health)" in answer.body


def test_what_metastasis_means_is_still_the_definition():
    answer = topics.definition(default(), Context(text="what is metastatic cancer"))
    assert "where it started" in answer.body and answer.case == "answer"


def test_which_tests_find_spread_to_a_site_names_the_sites_tests_even_when_one_test_is_guessed():
    ctx = Context(site="bone", test="xray", text="which scans show bone secondaries, only an x-ray?")
    answer = care.tests(default(), ctx)
    assert answer.case == "site" and "bone scan" in answer.note.lower()


def test_a_question_about_one_named_test_is_about_that_test():
    answer = care.tests(default(), Context(site="bone", test="xray", text="can an x-ray show bone mets?"))
    assert answer.case == "test"


@pytest.mark.parametrize("filler", ["actually", "literally", "basically", "plain", "english", "explain", "thru"])
def test_the_filler_of_questions_is_no_key(filler):
    assert not content_keys(default().lexicon, f"{filler} spread")[:-1]


def test_a_treatment_in_a_posts_story_is_no_question_about_that_treatment():
    text = STORY + "He has had six rounds of chemo since. Is there any chance at all it can be cured?"
    entities = [found(text, "treatment", "chemo"), found(text, "body_site", "liver")]
    ctx = context_of(tracker(text, "ask_prognosis", entities=entities))
    assert ctx.treatment is None and ctx.site == "liver"



def test_a_question_pointing_back_brings_the_sentence_it_points_at():
    from actions.knowledge.retrieval import question_part
    text = STORY + "The leaflet said most people live for years with it. Is that true for everyone?"
    assert question_part(text).startswith("The leaflet said")


@pytest.mark.parametrize("question, term", [
    ("what is oligometastatic disease?", "oligometastatic disease"),
    ("whats a PICC line", "PICC line"),
    ("what does NED mean?", "NED"),
])
def test_a_term_the_articles_never_use_is_said_to_be_beyond_them(question, term):
    answer = decide(default(), KINDS["ask_definition"], Context(text=question))
    assert answer.case in ("uncovered", "uncovered_only") and answer.subject == term


@pytest.mark.parametrize("question", [
    "what is hypercalcemia?", "what is metastsis", "what are mets", "what does palliative mean",
    "what is stage 4", "what is going on with my mum and her scans",
])
def test_a_term_the_articles_use_or_its_typo_is_answered(question):
    assert default().unexplained_term(question) is None


def test_a_comparison_held_by_one_fact_gets_that_fact():
    ctx = Context(cancers=("lung", "breast"), cancer="lung", site="adrenal_gland", sites=("adrenal_gland",),
                  text="breast versus lung cancer: which of them goes to the adrenal glands?")
    answer = decide(default(), KINDS["ask_spread"], ctx)
    assert "adrenal" in answer.body.lower() and "lung" in answer.body.lower()


def test_a_sure_question_of_another_kind_is_not_answered_with_where_its_cancer_spreads():
    ctx = Context(cancer="colon", cancers=("colon",), site="liver", sites=("liver",),
                  text="how long can someone live with bowel cancer that went to the liver")
    answer = decide(default(), KINDS["ask_prognosis"], ctx)
    assert "main sites of metastasis" not in answer.body


def test_a_fact_sharing_more_of_the_question_than_the_topic_answer_leads():
    ctx = Context(site="bone", sites=("bone",), symptoms=("back_pain",),
                  text="does back ache from spine secondaries always mean something serious")
    answer = decide(default(), KINDS["ask_prognosis"], ctx)
    assert "vertebral" in answer.body or "fracture" in answer.body


@pytest.mark.parametrize("text", [
    "which changes should we let the nurses know about?",
    "how would we know it is getting worse",
    "what is worth ringing the cancer team about between visits?",
])
def test_a_question_about_what_to_report_gets_the_articles_lists_of_signs(text):
    kb = default()
    context = Context.build([], {"cancer_type": "colon"}, text=text)
    answer = topics_site_symptoms(kb, context)
    assert answer.case == "general"
    assert kb.tell_your_provider.intro.text in answer.body or kb.progression_signs.intro.text in answer.body


def test_what_to_report_about_a_site_in_question_starts_with_that_sites_symptoms():
    kb = default()
    context = Context.build([{"entity": "body_site", "value": "lung"}], {}, text="which breathing changes should i report to the team?")
    answer = topics_site_symptoms(kb, context)
    assert answer.body.splitlines()[0].startswith("• Symptoms of lung metastases: ")
    assert kb.tell_your_provider.intro.text in answer.body


def test_a_symptom_question_that_asks_nothing_about_reporting_is_unchanged():
    kb = default()
    context = Context.build([], {"cancer_type": "colon"}, text="what symptoms will the spread give him?")
    assert topics_site_symptoms(kb, context).case == "cancer_overview"


def test_how_soon_metastases_appear_is_answered_from_wherever_the_articles_say_it():
    kb = default()
    answer = topics.timing(kb, Context.build([], {}, text="how soon after diagnosis can secondaries turn up?"))
    assert "very soon after the first diagnosis" in answer.body.splitlines()[0]


def test_a_comparison_gets_the_fact_that_makes_it_over_the_kinds_own_facts():
    kb = default()
    text = "are secondary bone tumours more common than cancer that begins in the bone?"
    context = Context.build([{"entity": "cancer_type", "value": "bone_primary"}], {}, text=text, confidence=0.95)
    answer = decide(kb, KINDS["ask_statistics"], context)
    assert "much more common than cancer that starts in the bone" in answer.body.splitlines()[0]


def test_each_thing_compared_answered_stands_against_a_fact_naming_neither():
    kb = default()
    text = ("Her breast cancer is in her bones and the doctors have said the brain is another place it can go. "
            "I have been reading far too much online since then, and every ache she has frightens me at the moment, even the ones that turn out to be nothing. How do "
            "the symptoms of brain mets differ from those of bone mets? What would she notice with each one?")
    entities = [found(text, "body_site", value) for value in ("brain", "bone")]
    context = context_of(tracker(text, "ask_site_symptoms", entities=entities))
    answer = decide(kb, KINDS["ask_site_symptoms"], context)
    assert answer.case == "compared"


def test_a_cancer_only_a_posts_story_names_does_not_stop_the_figures_asked_for():
    kb = default()
    text = ("My neighbour has just been told she has cancer in her liver and nobody can say where it began. "
            "She is on her own so I have been going to the appointments with her and taking notes for her. "
            "The doctors seem to be running every test going, and each one comes back with nothing new to "
            "tell us. How often do doctors never find the place where a cancer started?")
    entities = [found(text, "body_site", "liver")]
    answer = decide(kb, KINDS["ask_statistics"], context_of(tracker(text, "ask_statistics", entities=entities)))
    assert answer.case == "general"
    assert "3%" in answer.body.splitlines()[0]


def test_no_figures_for_what_was_named_stays_honest_against_a_figure_about_part_of_it():
    kb = default()
    # the articles give lung cancer's figures only
    answer = answered(kb, "how many kidney cancers spread to the lungs?", "ask_statistics",
                      ("cancer_type", "kidney", "kidney"), ("body_site", "lungs", "lung"))
    assert answer.case == "none_for_topic"


def test_no_figures_for_a_cancer_is_followed_by_what_the_articles_say_about_it():
    kb = default()
    answer = answered(kb, "roughly how many prostate cancers go on to reach the bones?", "ask_statistics",
                      ("cancer_type", "prostate", "prostate"), ("body_site", "bones", "bone"))
    assert answer.case == "none_for_topic"
    assert answer.body.startswith("• Prostate cancer") and "bone" in answer.body.splitlines()[0]


def test_a_test_the_question_only_guesses_does_not_replace_the_tests_for_the_site_asked_about():
    kb = default()
    answer = answered(kb, "which tests look for bone secondaries? is it only x-rays?", "ask_tests",
                      ("body_site", "bone", "bone"), ("diagnostic_test", "x-rays", "xray"))
    assert answer.case == "site" and "bone scan" in answer.note


def test_whether_it_can_ever_be_cured_is_answered_by_the_goal_facts_on_cure():
    kb = default()
    answer = care.treatment(kb, Context.build([], {}, text="could stage 4 ever be cured, or never?"))
    assert "can be cured" in answer.body or "rare to cure" in answer.body


@pytest.mark.parametrize("text", [
    "do secondary tumours grow quicker than the first one did?",
    # a fact on how fast a primary grows matches as many words, but makes no comparison
    "do mets grow quicker than the original primary tumour",
])
def test_a_comparison_naming_nothing_gets_the_fact_that_makes_it_when_it_clearly_fits_best(text):
    kb = default()
    answer = decide(kb, KINDS["ask_definition"], Context.build([], {}, text=text, confidence=0.9))
    assert "grow faster than the primary cancer" in answer.body.splitlines()[0]


def test_a_question_about_other_tests_than_the_one_named_gets_the_tests_in_general():
    kb = default()
    text = "my mum had an ultrasound that showed nothing. what other scans can look for spread?"
    entities = [found(text, "diagnostic_test", "ultrasound")]
    answer = care.tests(kb, context_of(tracker(text, "ask_tests", entities=entities)))
    assert answer.case == "overview"


def test_a_long_post_is_never_answered_with_a_question_back():
    kb = default()
    text = ("We had a long talk with the consultant on Monday and I was trying so hard to take it all in "
            "that most of it went straight over my head. My husband has been quiet ever since and I do not "
            "want to keep asking him to go over it again, so I am trying to read up on my own in the "
            "evenings. What symptoms will it give him, now that it is there?")
    answer = decide(kb, KINDS["ask_site_symptoms"], context_of(tracker(text, "ask_site_symptoms")))
    assert answer.case not in ("need_site", "need_cancer", "need_symptoms")


def test_is_it_the_sites_own_cancer_now_is_answered_by_how_spread_cancer_is_named():
    kb = default()
    text = "so does that mean she has brain cancer too now?"
    entities = [found(text, "cancer_type", "brain cancer")]
    entities[0]["value"] = "brain_tumour"
    for also in ([], [found(text, "body_site", "brain")]):
        answer = decide(kb, KINDS["ask_naming"], Context.build(entities + also, {}, text=text, confidence=0.8))
        assert answer.topic == "naming" and "keeps the name of the original cancer" in answer.body
        assert "brain" not in answer.cancer


def test_the_naming_example_never_says_a_sites_own_cancer_stays_itself():
    kb = default()
    text = "his lung cancer has reached the brain, so is it brain cancer now?"
    entities = [found(text, "cancer_type", "lung cancer"), found(text, "body_site", "brain"),
                found(text, "cancer_type", "brain cancer")]
    entities[0]["value"], entities[2]["value"] = "lung", "brain_tumour"
    answer = topics.naming(kb, Context.build(entities, {}, text=text, confidence=0.8))
    assert answer.case == "example" and answer.cancer == "lung cancer" and answer.site == "brain"


def test_a_post_whose_question_names_nothing_and_whose_kind_is_unsure_is_answered_by_its_words():
    kb = default()
    post = ("I am on my sixth round of chemo for bowel cancer that has spread. The side effects are getting "
            "to me: my mouth is sore, I am sick after every session and my fingers tingle all the time. "
            "I have not said much to the nurses because I do not want them to stop the treatment. "
            "Do people just have to put up with this, or can anything help?")
    entities = [{**found(post, "cancer_type", "bowel cancer"), "value": "colon"}]
    unsure = decide(kb, KINDS["ask_site_symptoms"], context_of(
        tracker(post, "ask_site_symptoms", entities=entities, confidence=0.5)))
    assert "Side effects of cancer and its treatment can be managed" in unsure.body
    sure = decide(kb, KINDS["ask_site_symptoms"], context_of(
        tracker(post, "ask_site_symptoms", entities=entities, confidence=0.9)))
    assert "Side effects of cancer and its treatment can be managed" not in sure.body


def test_a_fact_naming_one_thing_compared_twice_does_not_replace_the_answer_for_each():
    """"Lung" is a site and a cancer: "Lung cancer that spreads to the bones does not become bone
    cancer" makes a comparison and names it twice, but it is one of the two things compared."""
    kb = default()
    text = "breast cancer versus lung cancer: where does each of them go?"
    entities = [{**found(text, "cancer_type", "breast cancer"), "value": "breast"},
                {**found(text, "cancer_type", "lung cancer"), "value": "lung"}]
    answer = decide(kb, KINDS["ask_spread"], context_of(tracker(text, "ask_spread", entities=entities)))
    assert answer.case == "compared"


def test_a_posts_one_question_of_a_sure_kind_keeps_the_topic_answer_that_names_all_it_asks_about():
    kb = default()
    post = ("My father went for a scan after weeks of feeling off and they told us there are several spots on "
            "his liver. Nobody has said yet where they came from and more tests are booked for next month, which "
            "feels like forever when you are waiting. I would like to go in knowing a bit more. "
            "Which kinds of cancer tend to end up in the liver?")
    entities = [{**found(post, "body_site", "liver"), "value": "liver"}]
    answer = decide(kb, KINDS["ask_spread"], context_of(tracker(post, "ask_spread", entities=entities, confidence=0.95)))
    assert answer.case == "by_site" and "colon cancer" in answer.body


def test_when_a_cancer_comes_back_in_a_place_the_question_names_its_list_of_sites_follows():
    kb = default()
    text = "could bowel cancer turn up in the liver many years after the operation?"
    named = [("cancer_type", "bowel cancer", "colon"), ("body_site", "liver", "liver")]
    answer = answered(kb, text, "ask_timing", *named)
    lines = answer.body.splitlines()
    assert lines[0].startswith("• Months or years later") and "Colon cancer main sites of metastasis" in lines[1]
    story = ("My dad had bowel cancer and now it is in his liver, found on a scan last week after he felt tired for "
             "months. We were told it was gone after the operation four years ago and we all believed it. "
             "The nurse was kind but rushed and we did not like to ask much more at the time. "
             "Is it usual for it to show up so many years later?")
    named_in_story = [("cancer_type", "bowel cancer", "colon"), ("body_site", "liver", "liver")]
    assert "main sites of metastasis" not in answered(kb, story, "ask_timing", *named_in_story).body
