"""What to say, decided from the knowledge base alone: one pure function per kind of question.

Each function takes the knowledge base and the question's Context and returns an Answer: which
case of the topic's response applies (domain.yml, `utter_answer_<topic>`) and the KB-derived
values it renders. No Rasa here, so every decision is unit-tested without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, FrozenSet, List, Optional, Sequence, Tuple

from ..context import Context
from ..knowledge import KnowledgeBase
from ..knowledge.retrieval import numbered_lists_joined
from ..knowledge.schema import Fact


@dataclass(frozen=True)
class Answer:
    """The case of a response and the values it renders."""

    topic: Optional[str]
    case: str
    subject: str = ""
    cancer: str = ""
    site: str = ""
    body: str = ""
    note: str = ""
    sources: str = ""
    image: str = ""  # relative URL of a picture for the web widget (see actions/bodymap.py)
    image_alt: str = ""
    more: bool = False  # facts of the topic left out; the quick replies offer "More about this"


Answerer = Callable[[KnowledgeBase, Context], Answer]


LEAD_FACTS = 3   # an answer leads with at most this many facts; the rest wait for "More"
LEAD_WORDS = 70  # and with at most about this many words of them (the first fact always)


def _word_set(text: str) -> FrozenSet[str]:
    return frozenset(re.findall(r"[a-z0-9%]+", text.lower()))


def restates(fact: Fact, others: Sequence[Fact]) -> bool:
    """Whether a fact says nothing one of the others does not: the KB keeps an article sentence
    under each thing it is about, sometimes shortened ("can spread (become metastatic)" and
    "can spread", a sentence and the paragraph holding it), and an answer says it once. Only
    a fact whose words all appear in the other's counts: "A PET scan is one of the imaging
    tests ..." says something "A CT scan is one of the imaging tests ..." does not."""
    words = _word_set(fact.text)
    return any(words <= _word_set(other.text) for other in others)


def within_budget(facts: Sequence[Fact]) -> List[Fact]:
    """At most LEAD_FACTS facts and about LEAD_WORDS words, best first, so an answer stays short
    enough to read on a phone. The first fact is kept whatever its length; a later one too long
    for what is left gives way to the next that fits ("may include chemotherapy, radiotherapy,
    immunotherapy or surgery" after two longer facts). A fact that restates one kept is left out."""
    kept: List[Fact] = []
    used = 0
    for fact in facts:
        size = len(fact.text.split())
        if kept and (used + size > LEAD_WORDS or restates(fact, kept)):
            continue
        kept.append(fact)
        used += size
        if len(kept) == LEAD_FACTS:
            break
    return kept


def lead(kb: KnowledgeBase, facts: Sequence[Fact], ctx: Context) -> Tuple[List[Fact], bool]:
    """The facts that answer the question best, at most LEAD_FACTS and about LEAD_WORDS, and
    whether any were left out. "More about this" (ctx.full) gets them all, in knowledge-base
    order. A numbered list stays whole, with its introduction, as one fact ("3 different
    moments: 1. ... 2. ..."), unless the question asks about one of its items (the item
    alone: FactIndex.the_item_asked)."""
    units = numbered_lists_joined(facts)
    if ctx.full:
        return units, False
    ranked = kb.fact_index.rank(ctx.text, units) if len(units) > LEAD_FACTS else units
    focused = [kb.fact_index.the_item_asked(ctx.text, unit) for unit in ranked]
    shown = within_budget(focused)
    return shown, len(shown) < len(units) or any(fact not in units for fact in shown)
