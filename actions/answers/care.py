"""How metastases are found and how they are treated."""

from __future__ import annotations

from ..context import Context
from ..knowledge import KnowledgeBase
from ..render import bullets, words
from . import Answer


def tests(kb: KnowledgeBase, ctx: Context) -> Answer:
    test = kb.test(ctx.test) if ctx.test else None
    if test is not None:
        return Answer(
            "tests", "test", subject=test.name, body=bullets(f.text for f in test.facts),
            sources=kb.citation(f.source for f in test.facts),
        )
    site = kb.site(ctx.site) if ctx.site else None
    found = kb.tests_for(site.id) if site else ()
    if site is not None and found:
        confirm = () if any(t.id == "biopsy" for t in found) else kb.diagnostic_tests["biopsy"].facts
        facts = [f for t in found for f in t.facts if f.source.article == "verywell"] + list(confirm)
        return Answer(
            "tests", "site", site=site.name, note=words(t.name for t in found),
            body=bullets(f.text for f in facts), sources=kb.citation(f.source for f in facts),
        )
    facts = kb.diagnosis_overview
    return Answer(
        "tests", "overview", body=bullets(f.text for f in facts),
        note=words(t.name for t in kb.tests()), sources=kb.citation(f.source for f in facts),
    )


def treatment(kb: KnowledgeBase, ctx: Context) -> Answer:
    named = kb.treatment(ctx.treatment) if ctx.treatment else None
    if named is not None:
        facts = named.facts + kb.treatment_goal[:1]
        return Answer(
            "treatment", "named", subject=named.name, body=bullets(f.text for f in facts),
            sources=kb.citation(f.source for f in facts),
        )
    site = kb.site(ctx.site) if ctx.site else None
    if site is not None:
        specific = kb.treatments_for(site.id)
        if specific:
            return Answer(
                "treatment", "site", site=site.name, body=bullets(t.text for t in specific),
                sources=kb.citation(t.source for t in specific),
            )
        facts = kb.treatment_general[:2]
        return Answer(
            "treatment", "site_none", site=site.name, body=bullets(f.text for f in facts),
            sources=kb.citation(f.source for f in facts),
        )
    facts = kb.treatment_goal[:1] + kb.treatment_general
    return Answer(
        "treatment", "general", body=bullets(f.text for f in facts),
        sources=kb.citation(f.source for f in facts),
    )
