"""How metastases are found and how they are treated."""

from __future__ import annotations

import re

from ..context import Context
from ..knowledge import KnowledgeBase
from ..knowledge.retrieval import question_part
from ..knowledge.schema import Fact
from ..render import bullets, words
from . import Answer, lead


# "Which scans show bone secondaries, only an X-ray?": the tests in general are asked for, the
# named one is a guess; the site's tests answer (and name it where the articles do).
_ANY_TEST = re.compile(r"\b(tests|scans|(what|which) (kind of |sort of |type of )?(test|scan))\b", re.I)
# "Can an X-ray miss it? What other imaging is there?": the other tests are asked for.
_OTHER_TESTS = re.compile(
    r"\b(other|else|another|alternative|different)\b\W+(\w+\W+){0,2}(tests?|scans?|imaging|exams?|ways?)\b|"
    r"\b(tests?|scans?|imaging|exams?)\b\W+(\w+\W+){0,3}(else|instead)\b",
    re.I,
)


def tests(kb: KnowledgeBase, ctx: Context) -> Answer:
    test = kb.test(ctx.test) if ctx.test else None
    if test is not None and ctx.site and kb.tests_for(ctx.site) and _ANY_TEST.search(ctx.text):
        test = None
    if test is not None and _OTHER_TESTS.search(question_part(ctx.text)):
        test = None
    if test is not None:
        shown, more = lead(kb, test.facts, ctx)
        return Answer(
            "tests", "test", subject=test.name, body=bullets(f.text for f in shown),
            sources=kb.citation(f.source for f in shown), more=more,
        )
    site = kb.site(ctx.site) if ctx.site else None
    found = kb.tests_for(site.id) if site else ()
    if site is not None and found:
        confirm = () if any(t.id == "biopsy" for t in found) else kb.diagnostic_tests["biopsy"].facts
        facts = [f for t in found for f in t.facts if f.source.article == "verywell"] + list(confirm)
        shown, more = lead(kb, facts, ctx)
        return Answer(
            "tests", "site", site=site.name, note=words(t.name for t in found),
            body=bullets(f.text for f in shown), sources=kb.citation(f.source for f in shown), more=more,
        )
    shown, more = lead(kb, kb.diagnosis_overview, ctx)
    return Answer(
        "tests", "overview", body=bullets(f.text for f in shown),
        note=words(t.name for t in kb.tests()), sources=kb.citation(f.source for f in shown), more=more,
    )


def treatment(kb: KnowledgeBase, ctx: Context) -> Answer:
    named = kb.treatment(ctx.treatment) if ctx.treatment else None
    if named is not None:
        shown, more = lead(kb, named.facts + kb.treatment_goal[:1], ctx)
        return Answer(
            "treatment", "named", subject=named.name, body=bullets(f.text for f in shown),
            sources=kb.citation(f.source for f in shown), more=more,
        )
    site = kb.site(ctx.site) if ctx.site else None
    if site is not None:
        specific = kb.treatments_for(site.id)
        if specific:
            shown, more = lead(kb, [Fact(t.text, t.source) for t in specific], ctx)
            return Answer(
                "treatment", "site", site=site.name, body=bullets(f.text for f in shown),
                sources=kb.citation(f.source for f in shown), more=more,
            )
        facts = kb.treatment_general[:2]
        return Answer(
            "treatment", "site_none", site=site.name, body=bullets(f.text for f in facts),
            sources=kb.citation(f.source for f in facts),
        )
    # "can it ever be cured?" is answered by the goal facts on cure, "how is it treated?" by the first
    shown, more = lead(kb, kb.treatment_goal + kb.treatment_general, ctx)
    return Answer(
        "treatment", "general", body=bullets(f.text for f in shown),
        sources=kb.citation(f.source for f in shown), more=more,
    )
