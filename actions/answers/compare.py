"""Comparisons and lists: "CT or MRI", "bone and liver", "breast vs prostate cancer".

A question that names two or more things of the kind its topic is about gets the topic's answer
for each, one after the other, each line labelled with what it is about. Only the lines that
answer (the first two of each) are kept, so a comparison stays as short as two answers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, Optional, Tuple

from ..context import Context
from ..knowledge import KnowledgeBase
from ..knowledge.retrieval import question_part
from ..render import BULLET, capital, words
from . import Answer, Answerer

# For each topic: the Context fields, in order of preference, whose several values make a
# comparison (field of one value, field of all the values, the KB collection).
COMPARED: Dict[str, Tuple[Tuple[str, str, str], ...]] = {
    "spread": (("cancer", "cancers", "cancer_types"),),
    "statistics": (("cancer", "cancers", "cancer_types"),),
    "site_symptoms": (("site", "sites", "sites"),),
    "tests": (("test", "tests", "diagnostic_tests"), ("site", "sites", "sites")),
    "treatment": (("treatment", "treatments", "treatments"), ("site", "sites", "sites")),
}
LINES_EACH = 2


def for_each(kb: KnowledgeBase, topic: str, answerer: Answerer, ctx: Context) -> Optional[Answer]:
    """The answer for each of several named things, merged; None when fewer than two are named."""
    asked = {m.id for m in kb.mentions(question_part(ctx.text))}  # not the story of a long post
    for one, many, collection in COMPARED.get(topic, ()):
        values = [v for v in getattr(ctx, many) if v in getattr(kb, collection) and v in asked]
        if len(values) < 2:
            continue
        lines, sources, names, answered = [], [], [], None
        for value in values:
            part = answerer(kb, replace(ctx, **{one: value}))
            answered = answered or part.topic
            name = getattr(kb, collection)[value].name
            names.append(name)
            bullets = [line[len(BULLET):] for line in part.body.splitlines() if line.startswith(BULLET)]
            lines += [f"{BULLET}{capital(name)}: {line}" for line in (bullets or [part.body])[:LINES_EACH] if line]
            sources += [s.strip() for s in part.sources.split(";") if s.strip()]
        return Answer(
            answered, "compared", subject=words(names), body="\n".join(lines),
            sources="; ".join(dict.fromkeys(sources)),
        )
    return None
