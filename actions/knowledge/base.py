"""The query API over the knowledge base: what actions and NLU components ask of it.

Every answer it gives carries the sources of its facts; it never makes a fact up. Lookups take
either a canonical id or words a person would use ("brest", "bone mets"), resolved through the
lexicon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union

from .lexicon import Lexicon, Mention, tokens
from .retrieval import FactIndex, Retrieval, asking_sentences
from .triage import CrisisMatcher, Triage, triage
from .schema import (
    ENTITY_KINDS,
    Article,
    CancerType,
    Concept,
    CrisisPolicy,
    DiagnosticTest,
    Entity,
    Fact,
    RedFlag,
    RiskFactor,
    SignList,
    Site,
    SiteTreatment,
    Source,
    SpreadStatement,
    Statistic,
    Symptom,
    Treatment,
    Uncovered,
)

E = TypeVar("E", bound=Entity)
# A question that asks only what a term is: "what is X?", "what does X mean?"
_WHAT_IS = re.compile(
    r"(?:so\s+|and\s+)?what(?:'s|s| is| are| does| do)\s+(?:an?\s+|the\s+)?(?P<term>[\w\- ]+?)"
    r"(?:\s+means?)?\s*[?.!]*$",
    re.I,
)


@dataclass(frozen=True)
class SiteMatch:
    """A site the articles link to some of the described symptoms."""

    site: Site
    symptoms: Tuple[str, ...]
    sources: Tuple[Source, ...]
    usual_for_cancer: Optional[bool]


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the two articles say, typed and cross-checked (see loader.load)."""

    articles: Dict[str, Article]
    cancer_types: Dict[str, CancerType]
    sites: Dict[str, Site]
    symptoms: Dict[str, Symptom]
    diagnostic_tests: Dict[str, DiagnosticTest]
    treatments: Dict[str, Treatment]
    concepts: Dict[str, Concept]
    risk_factors: Dict[str, RiskFactor]
    uncovered: Dict[str, Uncovered]
    statistics_: Tuple[Statistic, ...]
    progression_signs: SignList
    tell_your_provider: SignList
    no_symptoms: Tuple[Fact, ...]
    diagnosis_overview: Tuple[Fact, ...]
    treatment_goal: Tuple[Fact, ...]
    treatment_general: Tuple[Fact, ...]
    risk_intro: Fact
    preventable: Fact
    prognosis: Tuple[Fact, ...]
    coping_intro: Fact
    coping_ways: Tuple[Fact, ...]
    guidance: Tuple[Fact, ...]
    red_flags: Tuple[RedFlag, ...]
    note_signs: Tuple[str, ...]
    if_happening: str
    crisis: CrisisPolicy
    thesaurus: Tuple[Tuple[str, ...], ...]  # retrieval's everyday words (thesaurus.yml)
    lexicon: Lexicon = field(repr=False, compare=False)
    crisis_matcher: CrisisMatcher = field(repr=False, compare=False)

    # -- entities -----------------------------------------------------------------------------

    def entities(self, kind: Optional[str] = None) -> Iterator[Entity]:
        """Every named entity, optionally of one kind, in knowledge-base order."""
        for collection in (
            self.cancer_types, self.sites, self.symptoms, self.diagnostic_tests,
            self.treatments, self.concepts, self.risk_factors, self.uncovered,
        ):
            for entity in collection.values():
                if kind is None or entity.kind == kind:
                    yield entity

    def resolve(self, surface: str, kind: Optional[str] = None) -> Optional[Entity]:
        """The entity a phrase names ("brest" -> breast cancer, "livers" -> liver), or None."""
        found = self.lexicon.resolve(surface)
        if found is None or (kind is not None and found[0] != kind):
            return None
        return self._collection(found[0])[found[1]]

    def mentions(
        self, text: str, kinds: Iterable[str] = ENTITY_KINDS, protected: FrozenSet[str] = frozenset()
    ) -> List[Mention]:
        """Entity mentions in free text, longest first where they overlap."""
        return self.lexicon.find(text, kinds, protected)

    def _collection(self, kind: str) -> Dict[str, Entity]:
        return {
            "cancer_type": self.cancer_types, "body_site": self.sites, "symptom": self.symptoms,
            "diagnostic_test": self.diagnostic_tests, "treatment": self.treatments,
            "concept": self.concepts, "risk_factor": self.risk_factors, "uncovered": self.uncovered,
        }[kind]

    def _get(self, kind: str, name: Union[str, E]) -> Optional[E]:
        if isinstance(name, Entity):
            return name if name.kind == kind else None
        collection = self._collection(kind)
        if name in collection:
            return collection[name]
        return self.resolve(name, kind)

    def _require(self, kind: str, name: Union[str, E]) -> E:
        found = self._get(kind, name)
        if found is None:
            raise KeyError(f"unknown {kind} {name!r}")
        return found

    # -- where cancers spread -------------------------------------------------------------------

    def cancer_type(self, name: str) -> Optional[CancerType]:
        return self._get("cancer_type", name)

    def sites_for(self, cancer: str) -> Tuple[SpreadStatement, ...]:
        """Each article's statement of where a cancer spreads; empty when they say nothing."""
        return self._require("cancer_type", cancer).spreads_to

    def common_sites(self, cancer: str) -> Tuple[str, ...]:
        """Every site any article names for this cancer, without repeats, in article order."""
        seen: Dict[str, None] = {}
        for statement in self.sites_for(cancer):
            seen.update(dict.fromkeys(statement.sites))
        return tuple(seen)

    def cancers_spreading_to(self, site: str) -> Tuple[Tuple[CancerType, SpreadStatement], ...]:
        """Which cancers an article says spread to this site, with the statement saying so."""
        found = self._require("body_site", site)
        return tuple(
            (cancer, statement)
            for cancer in self.cancer_types.values()
            for statement in cancer.spreads_to
            if found.id in statement.sites
        )

    # -- symptoms -----------------------------------------------------------------------------

    def site(self, name: str) -> Optional[Site]:
        return self._get("body_site", name)

    def symptoms_of(self, site: str) -> Tuple[Tuple[Symptom, Tuple[Source, ...]], ...]:
        """The symptoms the articles link to metastases in a site, each with its sources."""
        found = self._require("body_site", site)
        grouped: Dict[str, List[Source]] = {}
        for link in found.symptoms:
            grouped.setdefault(link.symptom, []).append(link.source)
        return tuple((self.symptoms[s], tuple(sources)) for s, sources in grouped.items())

    def sites_matching(self, symptoms: Iterable[str], cancer: Optional[str] = None) -> List[SiteMatch]:
        """Sites the articles link to any of these symptoms, most symptoms matched first.

        With a cancer, each match says whether an article lists that site for it; sites usual for
        the cancer rank first among equals. This is what the articles link, never a diagnosis.
        """
        wanted = [s.id for s in (self.symptom(name) for name in symptoms) if s is not None]
        usual = set(self.common_sites(cancer)) if cancer and self.cancer_type(cancer) else None
        matches = []
        for order, site in enumerate(self.sites.values()):
            links = [link for link in site.symptoms if link.symptom in wanted]
            if not links:
                continue
            matched = tuple(dict.fromkeys(link.symptom for link in links))
            sources = tuple(dict.fromkeys(link.source for link in links))
            is_usual = None if usual is None else site.id in usual
            matches.append((-len(matched), not is_usual, order, SiteMatch(site, matched, sources, is_usual)))
        return [m[-1] for m in sorted(matches, key=lambda m: m[:3])]

    def how_spread_is_confirmed(self) -> Tuple[Fact, ...]:
        """What the articles say about finding out whether a cancer has spread, in short: no one
        test, and the biopsy confirms. The answer to a request for a verdict (safety rule 4)."""
        biopsy = self.diagnostic_tests["biopsy"].facts
        confirms = tuple(f for f in biopsy if "confirm" in f.text) or tuple(biopsy)
        return tuple(self.diagnosis_overview[:1]) + confirms

    def near_signs(self, symptoms: Iterable[str]) -> Tuple[str, ...]:
        """The article signs closest to these policy signs (symptoms.yml `near`), in order."""
        given = [s for s in (self.symptom(name) for name in symptoms) if s is not None]
        ids = {s.id for s in given}
        return tuple(dict.fromkeys(n for s in given for n in s.near if n not in ids))

    def general_signs_in(self, symptoms: Iterable[str]) -> Tuple[Tuple[SignList, Tuple[str, ...]], ...]:
        """The general sign lists (progression, tell-your-provider) these symptoms appear in."""
        wanted = {s.id for s in (self.symptom(name) for name in symptoms) if s is not None}
        return tuple(
            (signs, tuple(s for s in signs.symptoms if s in wanted))
            for signs in (self.progression_signs, self.tell_your_provider)
            if wanted & set(signs.symptoms)
        )

    def symptom(self, name: str) -> Optional[Symptom]:
        return self._get("symptom", name)

    def red_flags_in(self, text_or_symptoms: Union[str, Iterable[str]]) -> Tuple[RedFlag, ...]:
        """The red flags raised by a message (free text) or by a collection of symptom ids."""
        if isinstance(text_or_symptoms, str):
            found = self.lexicon.find(text_or_symptoms, ("symptom", "treatment"), overlapping=True)
            present = frozenset(m.id for m in found if m.kind == "symptom")
            treatments = frozenset(m.id for m in found if m.kind == "treatment")
        else:
            present = frozenset(s.id for s in (self.symptom(n) for n in text_or_symptoms) if s is not None)
            treatments = frozenset()
        return tuple(flag for flag in self.red_flags if flag.raised_by(present, treatments))

    def triage(self, text: str) -> Triage:
        """Crisis cues, and each red flag with whether it is happening, asked about or negated."""
        return triage(text, self.crisis_matcher, self.red_flags, self.lexicon, self.note_signs)

    # -- facts that answer a question ----------------------------------------------------------

    @cached_property
    def fact_index(self) -> FactIndex:
        """Every fact as a passage to rank, built on first use (about 0.2 s)."""
        return FactIndex(self)

    def facts_for(self, text: str, limit: int = 3, topic: Optional[str] = None) -> Retrieval:
        """The facts that best answer a message, best first, and whether they answer it well;
        with `topic`, the facts answering that kind of question are favoured."""
        return self.fact_index.search(text, limit, topic)

    def unexplained_term(self, question: str) -> Optional[str]:
        """The term a short "what is X?" / "what does X mean?" asks about, when the articles
        never use one of its words ("what is oligometastatic disease?"): they don't explain it."""
        match = _WHAT_IS.match(question.strip())
        if not match:
            return None
        term = match.group("term").strip()
        words = [w for w, _, _ in tokens(term) if w.isalpha()]
        if not words or len(words) > 3:
            return None
        return term if not all(self.fact_index.knows(w) for w in words) else None

    def facts_near(self, subjects: Sequence[Uncovered]) -> Tuple[Fact, ...]:
        """The facts at the places the subjects name as nearest to them (not_covered.yml `near`)."""
        places = [p for s in subjects for p in s.near]
        return tuple(dict.fromkeys(
            fact for where, fact in self.all_facts()
            if any(where == p or where.startswith(p + ":") for p in places)
        ))

    def uncovered_in(self, text: str) -> Tuple[Uncovered, ...]:
        """The subjects the articles don't cover that a message asks about (in its questions)."""
        found = self.lexicon.find(asking_sentences(text), ("uncovered",))
        return tuple(dict.fromkeys(self.uncovered[m.id] for m in found))

    # -- tests and treatments -----------------------------------------------------------------

    def test(self, name: str) -> Optional[DiagnosticTest]:
        """A diagnostic test by id or by the words people use ("CAT scan")."""
        return self._get("diagnostic_test", name)

    def tests(self) -> Tuple[DiagnosticTest, ...]:
        return tuple(self.diagnostic_tests.values())

    def tests_for(self, site: str) -> Tuple[DiagnosticTest, ...]:
        """The tests an article links to finding metastases in this site."""
        found = self.site(site)
        return tuple(t for t in self.diagnostic_tests.values() if found and found.id in t.sites)

    def treatment(self, name: str) -> Optional[Treatment]:
        return self._get("treatment", name)

    def treatments_for(self, site: str) -> Tuple[SiteTreatment, ...]:
        """What the articles say about treating metastases in a site (empty: they say nothing)."""
        return self._require("body_site", site).treatments

    # -- statistics, risk ---------------------------------------------------------------------

    def concept(self, name: str) -> Optional[Concept]:
        return self._get("concept", name)

    def statistics(self, topic: Optional[str] = None) -> Tuple[Statistic, ...]:
        """Figures about a cancer type or else a site (id or words), a statistic id, or all.

        A cancer is matched against what a figure says about cancers, a site against what it
        says about sites: "lung mets" never brings up figures about people with lung cancer.
        """
        if topic is None:
            return self.statistics_
        by_id = tuple(s for s in self.statistics_ if s.id == topic)
        if by_id:
            return by_id
        cancer = self.cancer_type(topic)
        if cancer is not None:
            return tuple(s for s in self.statistics_ if cancer.id in s.cancers)
        site = self.site(topic)
        return tuple(s for s in self.statistics_ if site is not None and site.id in s.sites)

    def risk_factor(self, name: str) -> Optional[RiskFactor]:
        return self._get("risk_factor", name)

    def risk_factors_for(self, cancer: str) -> Tuple[RiskFactor, ...]:
        """The risk factors whose article text names this cancer."""
        found = self.cancer_type(cancer)
        return tuple(r for r in self.risk_factors.values() if found and found.id in r.cancers)

    # -- sources ------------------------------------------------------------------------------

    def citation(self, sources: Iterable[Source]) -> str:
        """A short, deduplicated citation: "Verywell Health, Bone Scan; Carenity, ..."."""
        seen = dict.fromkeys((s.article, s.section) for s in sources)
        return "; ".join(f"{self.articles[a].publisher}, {section}" for a, section in seen)

    @property
    def care_team_advice(self) -> Tuple[Fact, ...]:
        """The articles' guidance besides the closing line every answer ends with (utter_guidance
        says guidance[0]): ask about the goals of treatment, side effects can be managed."""
        return self.guidance[1:]

    def all_facts(self) -> Iterator[Tuple[str, Fact]]:
        """Every fact with where it sits in the KB, for audits and the fact checklist."""
        for entity in self.entities():
            for fact in getattr(entity, "facts", ()):
                yield f"{entity.kind}:{entity.id}", fact
        for site in self.sites.values():
            for t in site.treatments:
                yield f"body_site:{site.id}:treatment", Fact(t.text, t.source, t.asks)
        for risk in self.risk_factors.values():
            yield f"risk_factor:{risk.id}", risk.fact
        for stat in self.statistics_:
            yield f"statistic:{stat.id}", stat.fact
        groups: Dict[str, Sequence[Fact]] = {
            "progression_signs": [self.progression_signs.intro],
            "tell_your_provider": [self.tell_your_provider.intro],
            "no_symptoms": self.no_symptoms, "diagnosis": self.diagnosis_overview,
            "treatment_goal": self.treatment_goal, "treatment_general": self.treatment_general,
            "risk_intro": [self.risk_intro, self.preventable], "prognosis": self.prognosis,
            "coping": [self.coping_intro, *self.coping_ways], "guidance": self.guidance,
        }
        for where, facts in groups.items():
            for fact in facts:
                yield where, fact
