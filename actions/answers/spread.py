"""Where a cancer spreads, and which symptoms point to which sites."""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

from .. import bodymap
from ..context import Context
from ..knowledge import KnowledgeBase
from ..knowledge.retrieval import question_part
from ..knowledge.schema import Site, Source
from ..knowledge.triage import asks_what_to_report
from ..render import bullets, capital, words
from . import LEAD_FACTS, Answer, lead
from .facts import attributed


REFERS_BACK = re.compile(r"\b(it|its|it's|this one|that one|hers|his)\b", re.I)
SAYS_SPREAD = re.compile(r"\b(spread|spreads|metasta\w*)\b", re.I)


def spread(kb: KnowledgeBase, ctx: Context) -> Answer:
    cancer = kb.cancer_type(ctx.cancer) if ctx.cancer else None
    site = kb.site(ctx.site) if ctx.site else None
    if cancer is None and site is not None:
        return _cancers_spreading_to(kb, site)
    if cancer is None and not REFERS_BACK.search(ctx.text):
        # "where does cancer usually spread?": the general facts; "where can it spread?" asks back
        shown, more = lead(kb, kb.concepts["where_cancer_spreads"].facts, ctx)
        return Answer("spread", "general", body=bullets(f.text for f in shown),
                      sources=kb.citation(f.source for f in shown), more=more)
    if cancer is None:
        return Answer("spread", "need_cancer")
    if not cancer.spreads_to and any(SAYS_SPREAD.search(f.text) for f in cancer.facts):
        # no sites listed, but what the articles say about whether it spreads answers the
        # question ("does basal cell carcinoma spread?" -> "it hardly ever spreads")
        shown, _ = lead(kb, cancer.facts, ctx)
        body, sources = attributed(kb, shown)
        return Answer("spread", "facts", subject=cancer.name, body=body, sources=sources)
    if not cancer.spreads_to:
        general = kb.concepts["where_cancer_spreads"].facts
        facts = cancer.facts + general
        return Answer(
            "spread", "not_covered", subject=cancer.name,
            body=bullets(f.text for f in facts), sources=kb.citation(f.source for f in facts),
        )
    lines = [
        f"{kb.articles[s.source.article].publisher} ({s.wording}): "
        f"{words(kb.sites[site].name for site in s.sites)}"
        for s in cancer.spreads_to
    ]
    body = bullets(lines + [f.text for f in cancer.facts])
    sources = kb.citation([s.source for s in cancer.spreads_to] + [f.source for f in cancer.facts])
    picture = dict(image=bodymap.url(cancer.id), image_alt=bodymap.alt_text(kb, cancer.id))
    site = kb.site(ctx.site) if ctx.site else None
    if site is None:
        return Answer("spread", "answer", subject=cancer.name, body=body, sources=sources, **picture)
    listing = [kb.articles[s.source.article].publisher for s in cancer.spreads_to if site.id in s.sites]
    return Answer(
        "spread", "site_listed" if listing else "site_not_listed", subject=cancer.name,
        site=site.name, note=words(listing), body=body, sources=sources, **picture,
    )


def _cancers_spreading_to(kb: KnowledgeBase, site: Site) -> Answer:
    """"Which cancers spread to the bones?": each article's list of cancers naming the site."""
    by_article: dict = {}
    for cancer, statement in kb.cancers_spreading_to(site.id):
        by_article.setdefault(statement.source.article, (statement.source, []))[1].append(cancer.name)
    lines = [f"{kb.articles[a].publisher}: {words(dict.fromkeys(names))}" for a, (_, names) in by_article.items()]
    return Answer(
        "spread", "by_site", site=site.name, body=bullets(lines),
        sources=kb.citation(source for source, _ in by_article.values()),
    )


# A question about metastases that give no symptoms, or a person who feels well with them.
_ASKS_ABOUT_NO_SYMPTOMS = re.compile(
    r"\b(no|without|zero|never any|never had any|not any)\s+(symptoms?|signs?|pain)\b|\bsymptom[- ]?(free|less)\b|"
    r"\basymptomatic\b|\b(feel|feels|feeling|felt)\s+(fine|well|normal|ok|okay|great|perfectly)\b|"
    r"\balways\s+(cause|causes|give|gives|have|has|come with)\s+(symptoms?|pain)\b",
    re.I,
)


def site_symptoms(kb: KnowledgeBase, ctx: Context) -> Answer:
    site = kb.site(ctx.site) if ctx.site else None
    cancer = kb.cancer_type(ctx.cancer) if ctx.cancer else None
    asked = question_part(ctx.text)
    if asks_what_to_report(asked) and not kb.mentions(asked, kinds=("body_site",)):
        return _signs_to_report(kb, ctx, site or _only_site_of(kb, ctx.symptoms))
    if site is None and cancer is not None and cancer.spreads_to:
        lines, sources = [], []
        for site_id in kb.common_sites(cancer.id):
            links = kb.symptoms_of(site_id)
            if links:
                lines.append(f"{capital(kb.sites[site_id].name)}: {words(s.name for s, _ in links)}")
                sources += [src for _, srcs in links for src in srcs]
        return Answer(
            "site_symptoms", "cancer_overview", cancer=cancer.name,
            body=bullets(lines), sources=kb.citation(sources),
        )
    if site is None and not REFERS_BACK.search(ctx.text):
        # "what are the signs it is spreading?" names no site: the articles' general signs, after
        # the places they link a sign the question names to ("is a lasting headache a warning?")
        linked = kb.sites_matching(ctx.symptoms) if ctx.symptoms else []
        before = [f"{capital(m.site.name)}: {words(kb.symptoms[s].name for s in m.symptoms)}" for m in linked]
        return _general_signs(kb, ctx, before, [source for m in linked for source in m.sources])
    if site is None:
        return Answer("site_symptoms", "need_site")
    links = kb.symptoms_of(site.id)
    if not links:
        spreading = kb.cancers_spreading_to(site.id)
        facts = kb.no_symptoms[:1]
        return Answer(
            "site_symptoms", "no_symptoms", site=site.name,
            note=words(dict.fromkeys(c.name for c, _ in spreading)),
            body=bullets(f.text for f in facts),
            sources=kb.citation([s.source for _, s in spreading] + [f.source for f in facts]),
        )
    by_article: dict = {}
    for link in site.symptoms:  # one line per article: "Carenity: bone pain, fractures, ..."
        by_article.setdefault(link.source.article, []).append(kb.symptoms[link.symptom].name)
    lines = [f"{kb.articles[a].publisher}: {words(dict.fromkeys(named))}" for a, named in by_article.items()]
    # "can bone secondaries be there with no symptoms?": that they need not, before the site's own fact
    extra = kb.no_symptoms[:1] if _ASKS_ABOUT_NO_SYMPTOMS.search(asked) else site.facts[:1]
    return Answer(
        "site_symptoms", "answer", site=site.name, body=bullets(lines + [f.text for f in extra]),
        sources=kb.citation([s for _, srcs in links for s in srcs] + [f.source for f in extra]),
    )


def _general_signs(kb: KnowledgeBase, ctx: Context, before: Sequence[str] = (),
                   cited: Sequence[Source] = ()) -> Answer:
    """The articles' general signs, best for the question first, after any `before` lines; at
    most LEAD_FACTS bullets in all, one general sign at least."""
    general = [kb.progression_signs.intro, kb.tell_your_provider.intro, *kb.no_symptoms]
    shown, more = lead(kb, general, ctx)
    room = max(1, LEAD_FACTS - len(before))
    shown, more = shown[:room], more or len(shown) > room
    return Answer("site_symptoms", "general", body=bullets([*before, *(f.text for f in shown)]),
                  sources=kb.citation([*cited, *(f.source for f in shown)]), more=more)


def _only_site_of(kb: KnowledgeBase, symptoms: Sequence[str]) -> Optional[Site]:
    """The one place the articles link these signs to, if only one ("what changes in his
    breathing should we tell the nurses about?" is about the lungs)."""
    matches = kb.sites_matching(symptoms) if symptoms else []
    return matches[0].site if len(matches) == 1 else None


def _signs_to_report(kb: KnowledgeBase, ctx: Context, site: Optional[Site]) -> Answer:
    """"What should we tell the team about?", "how would we know it is getting worse?": the
    articles' lists of signs to report and of signs of progression, whatever the cancer; after
    the symptoms of the site the conversation is about, when there is one (lung metastases:
    their symptoms, then what to tell the healthcare provider)."""
    links = kb.symptoms_of(site.id) if site else ()
    if not links:
        return _general_signs(kb, ctx)
    named = words(dict.fromkeys(symptom.name for symptom, _ in links))
    return _general_signs(kb, ctx, [f"Symptoms of {site.name} metastases: {named}"],
                          [source for _, sources in links for source in sources])


def symptom_sites(kb: KnowledgeBase, ctx: Context) -> Answer:
    if not ctx.symptoms:
        return Answer("symptom_sites", "need_symptoms")
    described = [kb.symptoms[s].name for s in ctx.symptoms if s in kb.symptoms]
    matches = kb.sites_matching(ctx.symptoms, ctx.cancer)
    general = kb.general_signs_in(ctx.symptoms)
    lines: List[str] = [
        f"{capital(m.site.name)}: {words(kb.symptoms[s].name for s in m.symptoms)}" for m in matches
    ]
    lines += [signs.intro.text for signs, _ in general]
    sources = [s for m in matches for s in m.sources] + [signs.intro.source for signs, _ in general]
    if not lines:
        return _closest_signs(kb, ctx, described)
    cancer = kb.cancer_type(ctx.cancer) if ctx.cancer else None
    usual = [m.site.name for m in matches if m.usual_for_cancer]
    if cancer is not None and usual:
        sources += [s.source for s in cancer.spreads_to]
        return Answer(
            "symptom_sites", "with_cancer", subject=words(described), cancer=cancer.name,
            note=words(usual), body=bullets(lines), sources=kb.citation(sources),
        )
    return Answer("symptom_sites", "answer", subject=words(described), body=bullets(lines), sources=kb.citation(sources))


def _closest_signs(kb: KnowledgeBase, ctx: Context, described: List[str]) -> Answer:
    """A safety-policy sign the articles don't describe ("the worst headache of his life"): the
    sites they link to its closest article signs (symptoms.yml `near`), said to be only that."""
    near = kb.near_signs(ctx.symptoms)
    matches = kb.sites_matching(near, ctx.cancer) if near else []
    if not matches:
        return Answer("symptom_sites", "no_match", subject=words(described))
    lines = [f"{capital(m.site.name)}: {words(kb.symptoms[s].name for s in m.symptoms)}" for m in matches]
    return Answer(
        "symptom_sites", "near", subject=words(described), body=bullets(lines),
        sources=kb.citation(s for m in matches for s in m.sources),
    )
