"""How much of what the articles say an answer leads with (actions/answers `within_budget`)."""

from actions.answers import LEAD_FACTS, LEAD_WORDS, within_budget
from actions.knowledge.schema import Fact, Source

SOURCE = Source("verywell", "Bone Metastases")


def fact(text: str) -> Fact:
    return Fact(text, SOURCE, ())


def test_an_answer_says_a_fact_once_though_the_kb_words_it_twice():
    first = fact("If bone metastases are not causing pain, they may be watched (monitored) or treated.")
    again = fact("If bone metastases are not causing pain, they may be monitored or treated.")
    other = fact("Bone metastases can cause fractures.")
    assert within_budget([first, again, other]) == [first, other]
    paragraph = fact("Cancer is caused by changes in genes. Inherited gene changes cause only 5 to 10% of cancers.")
    sentence = fact("Inherited gene changes cause only 5 to 10% of cancers.")
    assert within_budget([paragraph, sentence]) == [paragraph]


def test_facts_that_say_different_things_in_the_same_words_are_all_kept():
    facts = [fact("A CT scan is one of the imaging tests used to look for metastases."),
             fact("A PET scan is one of the imaging tests used to look for metastases."),
             fact("Bone metastases can cause fractures.")]
    assert within_budget(facts) == facts


def test_a_fact_that_says_more_than_one_kept_is_kept():
    one = fact("People with some cancers, such as HER2 breast cancer, now live longer.")
    more = fact("People with some cancers, such as lung cancer, melanoma and HER2 breast cancer, now live longer.")
    assert within_budget([one, more]) == [one, more]
    assert within_budget([more, one]) == [more]


def test_an_answer_leads_with_few_facts_and_few_words_the_first_whatever_its_length():
    long_first = fact(" ".join(["word"] * (LEAD_WORDS + 5)))
    assert within_budget([long_first, fact("Bone metastases can cause pain.")]) == [long_first]
    many = [fact(text) for text in ("Pain.", "Fractures.", "High calcium.", "Broken bones.", "Weak legs.")]
    assert len(within_budget(many)) == LEAD_FACTS
