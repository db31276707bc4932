"""Fact retrieval (actions/knowledge/retrieval.py): the facts that answer a question, found by
the KB's own vocabulary, and an honest "not confident" where the articles don't say it."""

import pytest

from actions.knowledge.retrieval import STOPWORDS, compares, content_keys, question_part


@pytest.mark.parametrize("question, expected", [
    ("why would someone with breast cancer cough up blood", "coughing up blood"),
    ("is stage IV the same as metastatic?", "stage iv"),
    ("his skin has gone yellowish, is that to do with the liver", "jaundice"),
    ("what is hypercalcaemia and why do people with bone mets get it", "hypercalcaemia"),
])
def test_the_best_fact_holds_what_was_asked(kb, question, expected):
    found = kb.facts_for(question)
    assert found.confident
    assert expected in found.facts[0].text.lower()


def test_every_fact_found_carries_its_source(kb):
    found = kb.facts_for("what does radiotherapy do for brain metastases")
    assert found.facts and all(f.source.article in kb.articles for f in found.facts)
    assert len(found.facts) <= 3


@pytest.mark.parametrize("question", [
    "which vitamins stop cancer from spreading",
    "can cancer spread to the eye",
    "qwzx plorf",
])
def test_what_the_articles_do_not_say_is_not_answered_confidently(kb, question):
    assert not kb.facts_for(question).confident


def test_a_question_about_a_named_thing_shares_it_with_the_best_fact(kb):
    assert ("symptom", "hypercalcaemia") in kb.facts_for("is confusion a sign of high calcium").ranked[0].shared


@pytest.mark.parametrize("question, expected", [
    ("do secondaries grow quicker than the original tumour did", "grow faster than the primary"),
    ("can a cancer be passed down genetically", "inherited"),
])
def test_everyday_words_meet_the_articles_words_through_the_thesaurus(kb, question, expected):
    found = kb.facts_for(question)
    assert found.confident and expected in " ".join(f.text for f in found.facts).lower()


def test_the_thesaurus_is_one_word_per_group(kb):
    words = [w for group in kb.thesaurus for w in group]
    assert len(words) == len(set(words)) and all(" " not in w for w in words)


def test_function_words_never_match():
    assert content_keys(__import__("actions.knowledge", fromlist=["default"]).default().lexicon,
                        "what is it and how does it") == []
    assert "cancer" in STOPWORDS, "every fact is about cancer: the word tells them apart from nothing"


def test_a_fact_held_in_two_places_is_shown_once(kb):
    found = kb.facts_for("do chemotherapy and targeted therapies stop the tumor cells multiplying?")
    texts = [f.text for f in found.facts]
    assert len(texts) == len(set(texts))


def test_a_fact_is_found_by_the_questions_it_answers(kb_copy):
    """`asks` puts people's words on a fact whose text uses others ("dormant" vs "hibernate")."""
    import yaml

    from actions.knowledge import load

    question = "do cancer cells hibernate like a bear in winter"
    path = kb_copy / "concepts.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fact = next(c for c in data["concepts"] if c["id"] == "dormant_cells")["facts"][0]
    fact.pop("asks", None)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    before = load(kb_copy).facts_for(question)
    fact["asks"] = ["can cancer cells hibernate like bears in winter"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    after = load(kb_copy).facts_for(question)
    assert after.confident and after.facts[0].text == fact["text"]
    assert not (before.confident and before.facts[0].text == fact["text"])


def test_the_kind_of_question_asked_favours_its_facts(kb):
    """'can they operate on lung mets from bowel cancer?' classified as a treatment question
    leads with treatment facts, not with where bowel cancer spreads."""
    question = "lung mets from my bowel cancer, can they operate and remove them?"
    assert topic_of(kb, kb.facts_for(question, topic="treatment")) == "treatment"


def topic_of(kb, found):
    from actions.knowledge.retrieval import topic_of_place

    return topic_of_place(found.ranked[0].passage.where)


def test_a_word_the_articles_use_is_never_taken_for_a_typo(kb):
    found = kb.facts_for("is the 5 year survival any different for women than for men with lung cancer")
    assert found.facts and "23% for women" in found.facts[0].text


def test_a_cancers_list_of_sites_answers_only_a_question_that_names_them(kb):
    post = ("My grandad has had bowel cancer for a while now and it is in his liver and the lining of his "
            "belly as well. He is ninety and the team have been honest that he is too frail for more "
            "treatment, which he would not want anyway. We just want him at home and settled. "
            "What can still be done to keep him comfortable?")
    found = kb.facts_for(post)
    assert not any("main sites of metastasis" in f.text for f in found.facts)


def test_a_sentence_opening_with_a_clause_is_no_question():
    from actions.knowledge.retrieval import question_part
    post = ("I had a small operation on my arm two years ago and was told it was all gone. Since then "
            "I have had scans every year and they were fine until now. When friends at the gym ask "
            "how I am I never know what to say. Now there is a shadow on my liver scan and the "
            "doctors are talking about more tests. What would it be called if it has spread there?")
    assert question_part(post) == "What would it be called if it has spread there?"


def test_a_body_side_is_not_a_right_at_work(kb):
    assert not kb.uncovered_in("a dull ache under my right ribs, is that the liver?")


def test_a_fact_listing_many_cancers_is_about_none_of_them(kb):
    found = kb.facts_for("how long do people live with metastatic bowel cancer")
    assert not any("obese" in f.text for f in found.facts[:1])


@pytest.mark.parametrize("text, site", [
    ("is secondary liver cancer treatable", "liver"),
    ("what is secondary bone cancer", "bone"),
])
def test_secondary_cancer_of_an_organ_is_spread_to_that_organ(kb, text, site):
    assert ("body_site", site) in {(m.kind, m.id) for m in kb.mentions(text)}


def test_a_post_asking_two_things_gets_a_fact_for_each(kb):
    post = ("My partner finished treatment for bowel cancer a couple of years ago and we had started to "
            "relax. Now his bloods are off and the team have mentioned the liver, and he has also had "
            "some new aches in his back that worry me. We have a clinic appointment on Friday and I "
            "want to go in knowing a bit more. Which symptoms do liver secondaries cause? And what is "
            "a bone scan used for?")
    found = kb.facts_for(post)
    texts = " ".join(f.text for f in found.facts).lower()
    assert "jaundice" in texts and "bone scan" in texts


def test_a_subject_the_articles_skip_counts_only_in_what_is_asked(kb):
    assert not kb.uncovered_in("MRI or bone scan, which shows spread to the spine better? My insurance covers one.")
    assert kb.uncovered_in("does my insurance cover a PET scan?")


def test_a_thesaurus_word_is_never_taken_for_a_typo(kb):
    """"chances" (outlook) is a word of its own, not a misspelt "changes"."""
    index = kb.fact_index
    keys = content_keys(kb.lexicon, "which changes should I mention to the nurse", index._same, index._words)
    assert "outlook" not in keys
    assert "outlook" in content_keys(kb.lexicon, "what are his chances", index._same, index._words)


def test_a_posts_story_is_compared_with_what_facts_say_not_with_their_questions(kb):
    """A story word only the questions a fact answers use ("which symptoms should i mention to my
    doctor") adds nothing: people mention their team in every post. One the fact itself says
    ("notice an unusual lump") counts, for less than the question's own words."""
    index = kb.fact_index
    passage = next(p for p in index.passages if p.where == "tell_your_provider")
    assert "mention" in passage.keys and "mention" not in passage.said and "notic" in passage.said

    def score(verb: str) -> float:
        post = (f"Dad has had lung cancer for two years and at his last check the team {verb} a few things "
                "we had not thought about before. We are going back in a fortnight and I would like to "
                "understand more by then, because last time the whole appointment went by in a blur and "
                "we came out with nothing written down. Which signs are worth telling the doctor about?")
        return index._score(index._query(post), passage)[0]

    assert score("mentioned") == score("described")
    assert score("described") < score("noticed")


def test_facts_about_a_concept_are_found_wherever_they_sit(kb):
    about = [fact.text for fact in kb.fact_index.about("concept", "timing")]
    assert any("very soon after the first diagnosis" in text for text in about)  # in the symptoms section
    assert any("metachronous" in text for text in about)


@pytest.mark.parametrize("text, expected", [
    ("are liver mets more common than cancer that starts in the liver?", True),
    ("CT vs MRI for the brain", True),
    ("is a secondary the same thing as the first cancer", True),
    ("what is the difference between stage 3 and stage 4", True),
    ("how common are bone mets", False),
    ("what does a bone scan show", False),
])
def test_a_comparison_is_told_from_its_wording(text, expected):
    assert compares(text) is expected


def test_a_question_too_short_to_ask_anything_alone_brings_in_the_sentence_before():
    post = ("I have had a kidney transplant and take tablets every day so my body does not reject it. "
            "Last week someone at the clinic told me that people like me get cancer more often, and that "
            "has been going round and round my head ever since, because nobody ever mentioned it to me when I had the "
            "operation years ago. Does it?")
    asked = question_part(post)
    assert "people like me get cancer more often" in asked


def test_a_sign_in_everyday_words_names_the_articles_sign(kb):
    assert ("symptom", "liver_pain") in {(m.kind, m.id) for m in kb.mentions("a heavy ache under my right ribs")}


@pytest.mark.parametrize("message, asked", [
    ("how do doctors tell the stage? my sister keeps asking me and I never know what to say",
     "how do doctors tell the stage?"),
    ("is chemo the only option for liver spread? Just curious. Dad starts next month.",
     "is chemo the only option for liver spread?"),
])
def test_a_short_question_followed_by_an_aside_asks_only_the_question(message, asked):
    assert question_part(message) == asked


@pytest.mark.parametrize("message", [
    "Dad was told it is in his spine. Where else does it usually go?",  # the story is what is asked about
    "does it hurt? is it treatable?",  # all questions
    "what is a PET scan? asking for my aunt. is it safe?",  # a question after the aside
    "how do people cope with bone mets? pain, sleep, money",  # a fragment that says what is meant
])
def test_another_short_message_is_its_own_question(message):
    assert question_part(message) is message


@pytest.mark.parametrize("forms", [("plan", "planning", "planned"), ("stop", "stopped", "stopping"),
                                   ("swell", "swelling"), ("spread", "spreading")])
def test_a_verbs_forms_share_one_root_though_their_consonant_doubles(forms):
    from actions.knowledge.retrieval import root

    assert len({root(form) for form in forms}) == 1


@pytest.mark.parametrize("sentence, asks", [
    ("What I can't understand is that the scan was clear in May.", False),
    ("What my husband wants is to stay at home.", False),
    ("What should we ask at the next appointment?", True),
    ("What do they look for on a bone scan", True),
])
def test_a_sentence_opening_with_a_what_clause_as_its_subject_is_no_question(sentence, asks):
    from actions.knowledge.retrieval import asks_something

    assert asks_something(sentence) is asks


def _numbered_list(kb, opening):
    return next(p.fact for p in kb.fact_index.passages if p.fact.text.startswith(opening))


@pytest.mark.parametrize("question, shown", [
    ("she was treated years ago, can it still turn up in another organ now?", "Months or years later"),
    ("how do the cells get past the body's defences?", "They avoid attacks from the body's immune system."),
    ("what stages does a cancer cell go through to spread?", "Cancer cells must go through several steps"),
    ("at which moments can spread be diagnosed?", "A cancer can become metastatic and be diagnosed at 3"),
])
def test_a_question_about_one_item_of_a_numbered_list_gets_that_item_else_the_whole_list(kb, question, shown):
    opening = "A cancer can become metastatic" if "moment" in question or "years" in question else "Cancer cells must go"
    answered = kb.fact_index.the_item_asked(question, _numbered_list(kb, opening))
    assert answered.text.startswith(shown)
