"""Answers made of the facts that fit the question best (actions/knowledge/retrieval.py).

Used where a topic answer would fail the person (better_answer says when), where the NLU could
not place the message at all (fallback), and, honestly, where the question is about a subject
the articles don't cover (not_covered). Each fact keeps its article's name, so where the two
articles differ both are shown, attributed.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from ..context import Context
from ..knowledge import KnowledgeBase
from ..knowledge.retrieval import (GENERIC, LISTS_OF_SITES, Retrieval, asks_something, compares, is_forum_post,
                                   question_part, questions)
from ..knowledge.schema import Fact, Uncovered
from ..render import bullets, words
from . import Answer, within_budget

# How much better than the topic answer's best line the best fact must score to replace it.
ARBITRATION = 1.5
CLEARLY_BEST = 1.25  # a comparison naming nothing: how far ahead of the next fact its best must be
NEAR_FACTS = 2  # of the closest facts to a subject the articles don't cover, at most this many from its `near`
UNSURE = 0.6  # below this intent confidence, the best facts may overrule a short question's topic
# What a question names whose best fact leads the closest facts to an uncovered subject.
THINGS_DONE_OR_FELT = frozenset({"diagnostic_test", "treatment", "symptom"})
# Topic cases that ask the person for a detail instead of answering, or answer in general for
# want of one: facts that answer the question as asked come first.
CLARIFYING = frozenset({"need_cancer", "need_site", "need_symptoms", "general"})
# Topic cases that say honestly the articles give nothing for what was named ("no figures for
# prostate cancer"): only a fact naming all the question names replaces them.
SAYS_NONE = frozenset({"none_for_topic", "cancer_none", "site_none", "no_symptoms"})
# Cases of an answer that is not the topic's own facts: no "More about this" after them.
NOT_THE_TOPIC = frozenset({"facts", "closest", "uncovered", "uncovered_only", "compared"})


def attributed(kb: KnowledgeBase, facts: Sequence[Fact]) -> Tuple[str, str]:
    """The facts as bullets, each naming its article, and their citation: (body, sources)."""
    lines = [f"{fact.text} ({kb.articles[fact.source.article].publisher})" for fact in facts]
    return bullets(lines), kb.citation(fact.source for fact in facts)


def from_facts(kb: KnowledgeBase, topic: Optional[str], found: Retrieval, text: str = "") -> Answer:
    """The facts, best first: case `facts` when they answer well, `closest` when they don't; of
    a numbered list, the item the question (`text`) asks about, if one."""
    body, sources = attributed(kb, within_budget([kb.fact_index.the_item_asked(text, f) for f in found.facts]))
    return Answer(topic, "facts" if found.confident else "closest", body=body, sources=sources)


def _named(kb: KnowledgeBase, text: str) -> set:
    kinds = ("cancer_type", "body_site", "symptom", "diagnostic_test", "treatment", "concept", "risk_factor")
    return {(m.kind, m.id) for m in kb.lexicon.find(text, kinds, overlapping=True)}


def fallback(kb: KnowledgeBase, ctx: Context) -> Answer:
    """A message the NLU could not place or found outside the articles: the facts that answer
    it anyway, else honestly the closest ones, else case `none` (say it another way)."""
    uncovered = kb.uncovered_in(ctx.text)
    found = kb.facts_for(ctx.text)
    if uncovered:
        return not_covered(kb, None, uncovered, found, ctx.text)
    return from_facts(kb, None, found, ctx.text) if found.ranked else Answer(None, "none")


def not_covered(kb: KnowledgeBase, topic: Optional[str], subjects: Sequence[Uncovered], found: Retrieval,
                text: str) -> Answer:
    """"The articles don't say anything about diet or food", then the closest facts they do
    give (case `uncovered`), or nothing more when none comes close (`uncovered_only`).

    The closest facts are the best fact found for the question about a test, a treatment or a
    sign the question names ("what does a PET scan cost?" -> the PET scan), then those the KB places
    nearest the subject (not_covered.yml `near`: pain medicines -> palliative care), best for
    the question first, then the other facts found; within the answer's budget."""
    about = words([s.name for s in subjects], "or")
    near = kb.fact_index.rank(text, kb.facts_near(subjects))[:NEAR_FACTS]
    done_or_felt = kb.lexicon.find(question_part(text), THINGS_DONE_OR_FELT, overlapping=True)[:1]
    named = [fact for m in done_or_felt for fact in kb.fact_index.rank(text, kb.fact_index.about(m.kind, m.id))[:1]]
    facts = within_budget(list(dict.fromkeys([*named, *near, *found.facts])))
    if not facts:
        return Answer(topic, "uncovered_only", subject=about)
    body, sources = attributed(kb, facts)
    return Answer(topic, "uncovered", subject=about, body=body, sources=sources)


def unexplained(kb: KnowledgeBase, topic: Optional[str], term: str, text: str) -> Answer:
    """"What is oligometastatic disease?": the articles never use the word, so they don't say
    (safety rule 6); then the closest facts they do give for the rest of the question, if any."""
    found = kb.facts_for(text)
    facts = within_budget([r.passage.fact for r in found.ranked if r.shared])
    if not facts:
        return Answer(topic, "uncovered_only", subject=term)
    body, sources = attributed(kb, facts)
    return Answer(topic, "uncovered", subject=term, body=body, sources=sources)


def _comparison(kb: KnowledgeBase, text: str) -> Optional[Retrieval]:
    """For a question that compares, the best fact that makes a comparison too, whatever the
    kind of question, when it is among the best found (CLEARLY_BEST) and names two of the
    things the question does ("much more common than cancer that starts in the bone"), or,
    naming none, matches the question's words clearly better than any other fact that compares
    ("do secondaries grow quicker than the first tumour?" meets "grow faster than the primary
    cancer", not the fact on how fast a primary grows). The kind's own facts may hold one of
    the things compared only. Returns the facts found, that one first."""
    if not compares(question_part(text)):
        return None
    found = kb.facts_for(text)
    comparing = [r for r in found.ranked if compares(r.passage.fact.text)] if found.confident else []
    if not comparing or comparing[0].score * CLEARLY_BEST < found.ranked[0].score:
        return None
    best = comparing[0]
    runner_up = comparing[1].score if len(comparing) > 1 else 0.0
    things = {entity_id for _, entity_id in best.shared}  # the lung as a site and as a cancer is one thing
    if len(things) >= 2 or (not best.shared and best.score >= CLEARLY_BEST * runner_up):
        return Retrieval((best, *(r for r in found.ranked if r is not best)), True)
    return None


def better_answer(kb: KnowledgeBase, answer: Answer, ctx: Context) -> Answer:
    """The facts that fit the question, where they answer it clearly better than the topic
    answer the intent chose:

    * a topic answer that would ask for a detail, when facts answer the question as asked
      ("is confusion a sign of high calcium?" needs no body part), or, for a long post, when
      any facts come close (a forum post is not answered with a question back);
    * a question inside what the NLU took for a statement about the person's situation;
    * a topic answer that names none of the things the best fact and the question share
      ("can we inherit it?" answered with how cancer spreads), unless that fact is a list of
      where a cancer spreads and the classifier is sure the question is of another kind ("can
      you survive metastatic colon cancer?" is not asking where colon cancer spreads);
    * a fact that shares more of what the question names than the topic answer names ("which
      goes to the adrenal gland, breast or lung cancer?", a question about spine pain answered
      with the outlook);
    * a fact that makes the comparison a question asks, naming both things compared ("are
      liver secondaries commoner than liver cancer itself?");
    * a topic answer whose best line scores well under the best fact (ARBITRATION), where the
      intent may be a near miss: the classifier was unsure (UNSURE), or the message is a long
      post that tells a story before it asks.

    Never replaced: an honest "no figures for kidney cancer" by a fact about part of what was
    named (SAYS_NONE), an answer for each thing compared by a fact naming none of them, a topic
    answer that names what the question asks about by a fact about a thing it only guessed,
    the answer of a sure kind to a post's one question that names all the question names
    ("... which kinds of cancer tend to end up in the liver?" keeps the cancers that do).
    """
    if answer.topic is None and not asks_something(ctx.text):
        return answer
    found = kb.facts_for(ctx.text, topic=answer.topic if ctx.confidence >= UNSURE else None)
    uncovered = kb.uncovered_in(ctx.text)
    if uncovered:
        return not_covered(kb, answer.topic, uncovered, found, ctx.text)
    if not found.confident:
        long_post = is_forum_post(ctx.text)
        if long_post and answer.case in CLARIFYING - {"general"} and found.ranked:
            return from_facts(kb, answer.topic, found, ctx.text)  # a forum post is not answered with a question back
        return answer
    best = found.ranked[0]
    if answer.case in SAYS_NONE and not _named(kb, question_part(ctx.text)) - GENERIC <= best.shared:
        return answer  # "no figures for prostate cancer": a fact about part of the question is no answer
    comparison = _comparison(kb, ctx.text)
    if comparison is not None and comparison.ranked[0].passage.fact.text not in answer.body:
        return from_facts(kb, answer.topic, comparison, ctx.text)
    if kb.fact_index.the_item_asked(ctx.text, best.passage.fact).text in answer.body:
        return answer  # the topic answer leads with the fact that fits best already
    if answer.case == "compared" and not best.shared:
        return answer  # each thing compared, answered: a fact naming none of them is no better
    if answer.case in CLARIFYING:
        return from_facts(kb, answer.topic, found, ctx.text)
    if answer.topic is None:  # a question inside a statement about the person's situation
        return from_facts(kb, answer.topic, found, ctx.text)
    about = " ".join(v for v in (answer.subject, answer.cancer, answer.site, answer.note) if v)
    # A list of where a cancer spreads answers that only: not a question the classifier is sure
    # is of another kind, though it names the same cancer.
    only_where = best.passage.where.endswith(LISTS_OF_SITES) and answer.topic != "spread" \
        and ctx.confidence >= UNSURE
    in_answer = _named(kb, f"{about} {answer.body}")
    named = best.shared & in_answer
    # about something else: it names neither what the best fact shares with the question nor
    # anything else a question that compares nothing names ("which tests check for bone mets,
    # only X-rays?" is answered by the tests for bone, which do not name the X-ray guessed)
    asked = question_part(ctx.text)
    elsewhere = not named and (compares(asked) or not (_named(kb, asked) - GENERIC) & in_answer)
    if best.shared and elsewhere and not only_where:
        return from_facts(kb, answer.topic, found, ctx.text)  # the topic answer is about something else
    if len(best.shared) >= 2 and len(named) < len(best.shared) and not only_where:
        return from_facts(kb, answer.topic, found, ctx.text)  # one fact holds more of what was asked
    if ctx.confidence >= UNSURE and not is_forum_post(ctx.text):
        return answer  # a short question the classifier is sure of: its topic stands
    asked_about = _named(kb, asked) - GENERIC
    if ctx.confidence >= UNSURE and asked_about and asked_about <= in_answer and len(questions(ctx.text)) == 1:
        return answer  # a post's one question, of a sure kind, answered about all it names
    if ctx.confidence < UNSURE and is_forum_post(ctx.text) and not asked_about:
        # a post whose question names nothing ("is there help?"), of a kind the classifier is
        # unsure of: a topic answer about what the story names is a guess, the question's words
        # are what it asks
        return from_facts(kb, answer.topic, found, ctx.text)
    lines = [f"{about} {line}" for line in answer.body.splitlines() if line.strip()]
    if best.score >= ARBITRATION * kb.fact_index.best_score(ctx.text, lines):
        return from_facts(kb, answer.topic, found, ctx.text)
    return answer
