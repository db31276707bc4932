"""Questions answered from one part of the KB: concepts, outlook, figures, risk, coping."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, List, Optional, Sequence

from ..context import Context
from ..knowledge import KnowledgeBase
from ..knowledge.retrieval import LISTS_OF_SITES, question_part
from ..knowledge.schema import CancerType, Fact, RiskFactor
from ..render import bullets, capital
from . import Answer, lead, within_budget
from .facts import attributed

MECHANISM_CONCEPTS = ("spread_steps", "why_spread", "dormant_cells", "circulating_tumour_cells")
CARE_TREATMENTS = ("palliative_care", "end_of_life_care")


def _facts(
    kb: KnowledgeBase, ctx: Context, topic: str, facts: Sequence[Fact], case: str = "answer", **values: str,
) -> Answer:
    """The topic's facts that answer the question best (actions.answers.lead), as bullets."""
    shown, more = lead(kb, facts, ctx)
    return Answer(
        topic, case, body=bullets(f.text for f in shown),
        sources=kb.citation(f.source for f in shown), more=more, **values,
    )


def _concepts(kb: KnowledgeBase, ids: Iterable[str]) -> Sequence[Fact]:
    return [fact for concept_id in ids for fact in kb.concepts[concept_id].facts]


DEFINED = ("metastasis", "where_cancer_spreads", "stage_4")
# A question about something its post told before: "what does that mean?"
_REFERS_BACK = re.compile(r"\b(that|this|it)\b", re.I)


def definition(kb: KnowledgeBase, ctx: Context) -> Answer:
    """What metastasis is; or, where the question (or the story of a long post before "what
    does that mean?") names another concept, what the articles say that one is ("carcinoma of
    unknown primary", "stage 4")."""
    asked = question_part(ctx.text)
    named = _named_concepts(kb, asked)
    if not named and asked is not ctx.text and _REFERS_BACK.search(asked):
        named = _named_concepts(kb, ctx.text)
    if named and not set(named) <= set(DEFINED):
        shown, more = lead(kb, _concepts(kb, named), ctx)
        body, sources = attributed(kb, shown)
        return Answer("definition", "facts", body=body, sources=sources, more=more)
    return _facts(kb, ctx, "definition", _concepts(kb, DEFINED))


def _named_concepts(kb: KnowledgeBase, text: str) -> List[str]:
    """The concepts with facts of their own a text names, metastasis itself aside."""
    found = (m.id for m in kb.mentions(text, kinds=("concept",)))
    return list(dict.fromkeys(c for c in found if c != "metastasis" and kb.concepts[c].facts))


def naming(kb: KnowledgeBase, ctx: Context) -> Answer:
    """How spread cancer is named; with a cancer and a site, the example of them. "Is it brain
    cancer now?" names the site's own cancer: that one is what it does not become, so the
    example takes another cancer named, or none."""
    facts = _concepts(kb, ["naming"])
    site = kb.site(ctx.site) if ctx.site else None

    def names_site(cancer: CancerType) -> bool:
        found = kb.lexicon.find(cancer.name, ("body_site",), overlapping=True)
        return site is not None and any(m.id == site.id for m in found)

    named = [kb.cancer_type(c) for c in (*ctx.cancers, ctx.cancer) if c]
    cancer = next((c for c in named if c is not None and not names_site(c)), None)
    if cancer is not None and site is not None:
        return _facts(kb, ctx, "naming", facts, "example", cancer=cancer.name, site=site.name)
    return _facts(kb, ctx, "naming", facts)


def _concepts_and_about(kb: KnowledgeBase, ids: Iterable[str]) -> Sequence[Fact]:
    """The concepts' own facts, then the facts elsewhere in the KB about them, for the question
    to rank (a question about one point gets the fact that makes it, wherever it sits)."""
    ids = list(ids)
    return list(dict.fromkeys([*_concepts(kb, ids), *(f for c in ids for f in kb.fact_index.about("concept", c))]))


def timing(kb: KnowledgeBase, ctx: Context) -> Answer:
    """When metastases are found; for a question naming a cancer and a place ("could bowel
    cancer turn up in the liver many years on?"), also the cancer's list of sites naming it (a
    post's story naming them is not its question)."""
    shown, more = lead(kb, _concepts_and_about(kb, ["timing"]), ctx)
    asked = {(m.kind, m.id) for m in kb.mentions(question_part(ctx.text))}
    if {("cancer_type", ctx.cancer), ("body_site", ctx.site)} <= asked:  # the cancer's list of sites, naming the place
        listed = [p.fact for p in kb.fact_index.passages if p.where == f"cancer_type:{ctx.cancer}{LISTS_OF_SITES}"
                  and ("body_site", ctx.site) in p.entities]
        shown = within_budget([shown[0], *listed[:1], *shown[1:]])
    return Answer("timing", "answer", body=bullets(f.text for f in shown),
                  sources=kb.citation(f.source for f in shown), more=more)


def mechanism(kb: KnowledgeBase, ctx: Context) -> Answer:
    asked = [m.id for m in kb.mentions(ctx.text, kinds=("concept",)) if m.id in MECHANISM_CONCEPTS]
    return _facts(kb, ctx, "mechanism", _concepts(kb, dict.fromkeys(asked or MECHANISM_CONCEPTS)))


def unknown_primary(kb: KnowledgeBase, ctx: Context) -> Answer:
    return _facts(kb, ctx, "unknown_primary", _concepts(kb, ["unknown_primary"]))


def prognosis(kb: KnowledgeBase, ctx: Context) -> Answer:
    return _facts(kb, ctx, "prognosis", kb.prognosis)


def statistics(kb: KnowledgeBase, ctx: Context) -> Answer:
    cancer = kb.cancer_type(ctx.cancer) if ctx.cancer else None
    site = kb.site(ctx.site) if ctx.site and not cancer else None
    general = [s for s in kb.statistics() if not s.cancers and not s.sites]
    stats = list(kb.statistics(cancer.id if cancer else site.id)) if cancer or site else []
    if (cancer or site) and not stats and _only_in_the_story(kb, ctx, (cancer or site).id):
        # a post's story names a cancer the articles give no figures for, its question asks
        # something else ("... what share of people never learn where their cancer began?")
        cancer = site = None
    if not cancer and not site:  # the general figures, those that answer the question first
        ranked = kb.fact_index.rank(ctx.text, [s.fact for s in general])
        general = sorted(general, key=lambda s: ranked.index(s.fact))
    if not cancer and not site:
        case = "general"
    elif not stats:
        case = "none_for_topic"
    else:
        case = "answer" if cancer else "site"
    subject = (cancer or site).name if cancer or site else ""
    if case == "none_for_topic" and cancer:  # no figure: what they say about the cancer, best first
        about = [r.passage.fact for r in kb.facts_for(ctx.text).ranked if ("cancer_type", cancer.id) in r.passage.entities]
        facts = lead(kb, cancer.facts, ctx)[0] if cancer.facts else about  # "prostate cancer spreads to: bone, ..."
        if facts:
            return Answer("statistics", case, subject=subject, body=bullets(f.text for f in facts),
                          sources=kb.citation(f.source for f in facts))
    shown = stats or general
    return Answer(
        "statistics", case, subject=subject, site=site.name if site else "",
        body=bullets(f"{s.fact.text} ({s.scope})" for s in shown),
        sources=kb.citation(s.fact.source for s in shown),
    )


def _only_in_the_story(kb: KnowledgeBase, ctx: Context, entity_id: str) -> bool:
    """Whether a long post names the entity in its story but not in its question (one named
    in an earlier turn is the conversation's subject)."""
    asked = question_part(ctx.text)
    return asked is not ctx.text and any(m.id == entity_id for m in kb.mentions(ctx.text)) \
        and not any(m.id == entity_id for m in kb.mentions(asked))


def risk_factors(kb: KnowledgeBase, ctx: Context) -> Answer:
    named = [kb.risk_factors[m.id] for m in kb.mentions(ctx.text, kinds=("risk_factor",))]
    cancer = kb.cancer_type(ctx.cancer) if ctx.cancer else None
    everyone = list(kb.risk_factors.values())
    if named:
        return _risks(kb, list(dict.fromkeys(named)), "one", intro=kb.risk_intro)
    if cancer is not None:
        linked = list(kb.risk_factors_for(cancer.id))
        if linked:
            return _risks(kb, linked, "cancer", cancer=cancer.name)
        return _risks(kb, everyone, "cancer_none", intro=kb.risk_intro, cancer=cancer.name)
    return _risks(kb, everyone, "general", intro=kb.risk_intro, outro=kb.preventable)


def _risks(
    kb: KnowledgeBase, factors: Sequence[RiskFactor], case: str,
    intro: Optional[Fact] = None, outro: Optional[Fact] = None, **values: str,
) -> Answer:
    """Each factor as the article lists it ("Tobacco: Smoking causes about 20% ...")."""
    lines = [f"{capital(r.name)}: {r.fact.text}" for r in factors]
    framing = [f for f in (intro, outro) if f]
    body = "\n".join(([intro.text] if intro else []) + [bullets(lines)] + ([outro.text] if outro else []))
    return Answer(
        "risk_factors", case, body=body,
        sources=kb.citation([r.fact.source for r in factors] + [f.source for f in framing]), **values,
    )


def coping(kb: KnowledgeBase, ctx: Context) -> Answer:
    if ctx.treatment in CARE_TREATMENTS:
        care = kb.treatments[ctx.treatment]
        return _facts(kb, ctx, "coping", care.facts, "care", subject=care.name)
    # The ways answer "what helps?", the introduction does not: it waits for "More about this".
    # The articles' advice on working with the care team (guidance: ask about the goals of
    # treatment, side effects can be managed) answers "what should I ask?" and "is there help?".
    advice = kb.care_team_advice
    if ctx.full:
        return _facts(kb, ctx, "coping", [kb.coping_intro, *kb.coping_ways, *advice])
    return replace(_facts(kb, ctx, "coping", [*kb.coping_ways, *advice]), more=True)
