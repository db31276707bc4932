"""Emergencies, requests for a diagnosis, and what the person tells us about themselves."""

from __future__ import annotations

from ..context import Context
from ..knowledge import KnowledgeBase
from ..render import bullets, capital, words
from . import Answer


def emergency(kb: KnowledgeBase, ctx: Context) -> Answer:
    """After the urgent-care message (a domain response, sent first): the sites the articles
    link the signs happening now to, if any (safety rule 2)."""
    raised = [(f.flag, f.symptoms) for f in kb.triage(ctx.text).urgent] or [
        (flag, tuple(s for s in flag.symptoms if s in ctx.symptoms)) for flag in kb.red_flags_in(ctx.symptoms)
    ]
    if not raised:
        return Answer(None, "urgent")
    signs = [kb.symptoms[s].name for _, symptoms in raised for s in symptoms]
    sites = [kb.sites[flag.site].name for flag, _ in raised if flag.site]
    return Answer(
        None, "flags" if sites else "flags_only", subject=capital(words(dict.fromkeys(signs))),
        note=words(dict.fromkeys(sites)),
        sources=kb.citation(
            link.source for flag, _ in raised if flag.site for link in kb.sites[flag.site].symptoms
            if link.symptom in flag.symptoms
        ),
    )


def request_diagnosis(kb: KnowledgeBase, ctx: Context) -> Answer:
    """Never a verdict (safety rule 1): how metastases are found, and who can tell."""
    facts = list(kb.how_spread_is_confirmed()) + [kb.tell_your_provider.intro]
    return Answer(
        None, "answer", body=bullets(f.text for f in facts), sources=kb.citation(f.source for f in facts),
    )


def not_a_verdict(kb: KnowledgeBase) -> str:
    """The line after an answer about a sign to a question asking for a verdict ("could my
    swollen belly be liver mets?"): how a spread is confirmed, never a yes or no."""
    confirmed = kb.how_spread_is_confirmed()
    return (
        "This is not a diagnosis: I can't say whether it is cancer or whether it has spread. "
        + " ".join(f.text for f in confirmed) + f" (Source: {kb.citation(f.source for f in confirmed)})"
    )


def inform(kb: KnowledgeBase, ctx: Context) -> Answer:
    cancer = kb.cancer_type(ctx.cancer) if ctx.cancer else None
    site = kb.site(ctx.site) if ctx.site else None
    if cancer is not None:
        return Answer(None, "cancer", cancer=cancer.name, site=site.name if site else "")
    if site is not None:
        return Answer(None, "site", site=site.name)
    return Answer(None, "generic")
