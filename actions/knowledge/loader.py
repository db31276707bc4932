"""Loading the knowledge base from data/knowledge/*.yml, checked against the schema.

Loading is lazy and cached: nothing is read at import time, and each directory is read once per
process. Every problem is reported with the file, the entry and the field it is in.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Tuple, TypeVar

import yaml

from .base import KnowledgeBase
from .lexicon import Lexicon
from .triage import CrisisMatcher
from .schema import (
    Entity,
    KnowledgeBaseError,
    Reader,
    Source,
    parse_article,
    parse_cancer_type,
    parse_concept,
    parse_crisis,
    parse_red_flag,
    parse_risk_factor,
    parse_sign_list,
    parse_site,
    parse_statistic,
    parse_symptom,
    parse_test,
    parse_treatment,
    parse_thesaurus,
    parse_uncovered,
)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "knowledge"
# libyaml's safe loader when PyYAML has it: the same data as yaml.safe_load, ten times faster
# (0.47 -> 0.04 s for the whole KB, a cost of every start of rasa run and the action server).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
T = TypeVar("T")


def _read(directory: Path, name: str) -> Reader:
    path = directory / name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise KnowledgeBaseError(name, "(file)", "(file)", f"missing from {directory}") from None
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(name, "(file)", "(yaml)", f"not valid YAML: {error}") from None
    return Reader(name, "(top)", data)


def _keyed(top: Reader, field: str, parse: Callable[[Reader], T]) -> Dict[str, T]:
    """Parse a list of entries that each have an `id`, refusing duplicate ids."""
    result: Dict[str, T] = {}
    for i, raw in enumerate(top.items(field)):
        label = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        record = parse(Reader(top.file, f"{field}[{label}]", raw))
        if record.id in result:
            raise KnowledgeBaseError(top.file, f"{field}[{label}]", "id", "duplicate id")
        result[record.id] = record
    return result


def load(directory: Path = DEFAULT_DIR) -> KnowledgeBase:
    """Read, parse and cross-check every knowledge-base file in `directory`."""
    directory = Path(directory)
    sources = _read(directory, "sources.yml").child("articles")
    articles = {key: parse_article(key, sources.child(key)) for key in sources.data}
    cancers = _read(directory, "cancer_types.yml")
    sites = _read(directory, "sites.yml")
    symptoms = _read(directory, "symptoms.yml")
    tests = _read(directory, "diagnostic_tests.yml")
    treatments = _read(directory, "treatments.yml")
    concepts = _read(directory, "concepts.yml")
    risks = _read(directory, "risk_factors.yml")
    stats = _read(directory, "statistics.yml")
    signs = _read(directory, "signs.yml")
    living = _read(directory, "living.yml")
    flags = _read(directory, "red_flags.yml")
    crisis = parse_crisis(_read(directory, "crisis.yml"))
    scope = _read(directory, "not_covered.yml")
    thesaurus = parse_thesaurus(_read(directory, "thesaurus.yml"))
    coping = living.child("coping")

    collections = dict(
        cancer_types=_keyed(cancers, "cancer_types", parse_cancer_type),
        sites=_keyed(sites, "sites", parse_site),
        symptoms=_keyed(symptoms, "symptoms", parse_symptom),
        diagnostic_tests=_keyed(tests, "diagnostic_tests", parse_test),
        treatments=_keyed(treatments, "treatments", parse_treatment),
        concepts=_keyed(concepts, "concepts", parse_concept),
        risk_factors=_keyed(risks, "risk_factors", parse_risk_factor),
        uncovered=_keyed(scope, "not_covered", parse_uncovered),
    )
    forms = [
        (entity.kind, entity.id, surface, surface in entity.misspellings)
        for collection in collections.values()
        for entity in collection.values()
        for surface in entity.surface_forms
    ]
    try:
        lexicon = Lexicon(forms, symptoms.strings("everyday_senses", optional=True))
    except ValueError as error:
        raise KnowledgeBaseError("(all entity files)", "(synonyms)", "synonyms", str(error)) from None

    kb = KnowledgeBase(
        articles=articles,
        **collections,
        statistics_=tuple(_keyed(stats, "statistics", parse_statistic).values()),
        progression_signs=parse_sign_list(signs.child("progression_signs")),
        tell_your_provider=parse_sign_list(signs.child("tell_your_provider")),
        no_symptoms=signs.each("no_symptoms", Reader.plain_fact),
        diagnosis_overview=tests.each("overview", Reader.plain_fact),
        treatment_goal=treatments.each("goal", Reader.plain_fact),
        treatment_general=treatments.each("general", Reader.plain_fact),
        risk_intro=risks.child("intro").plain_fact(),
        preventable=risks.child("preventable").plain_fact(),
        prognosis=living.each("prognosis", Reader.plain_fact),
        coping_intro=coping.child("intro").plain_fact(),
        coping_ways=coping.each("ways", Reader.plain_fact),
        guidance=living.each("guidance", Reader.plain_fact),
        red_flags=tuple(_keyed(flags, "red_flags", parse_red_flag).values()),
        note_signs=flags.strings("note_signs", optional=True),
        if_happening=flags.text("if_happening"),
        crisis=crisis,
        thesaurus=thesaurus,
        lexicon=lexicon,
        crisis_matcher=_crisis_matcher(crisis),
    )
    _cross_check(kb)
    return kb


def _cross_check(kb: KnowledgeBase) -> None:
    """References between files point at entries that exist; sources name real sections."""

    def need(ids: Iterable[str], pool: Dict[str, Any], file: str, entry: str, field: str) -> None:
        for ref in ids:
            if ref not in pool:
                raise KnowledgeBaseError(file, entry, field, f"unknown id '{ref}'")

    def cited(source: Source, file: str, entry: str) -> None:
        article = kb.articles.get(source.article)
        if article is None:
            raise KnowledgeBaseError(file, entry, "source.article", f"unknown article '{source.article}'")
        if source.section not in article.sections:
            raise KnowledgeBaseError(
                file, entry, "source.section",
                f"'{source.section}' is not a section of {source.article} (see sources.yml)",
            )

    for cancer in kb.cancer_types.values():
        entry = f"cancer_types[{cancer.id}]"
        for statement in cancer.spreads_to:
            need(statement.sites, kb.sites, "cancer_types.yml", entry, "spreads_to.sites")
            cited(statement.source, "cancer_types.yml", entry)
    for site in kb.sites.values():
        entry = f"sites[{site.id}]"
        need((s.symptom for s in site.symptoms), kb.symptoms, "sites.yml", entry, "symptoms.symptom")
        for link in site.symptoms:
            cited(link.source, "sites.yml", entry)
        for treatment in site.treatments:
            need(treatment.treatments, kb.treatments, "sites.yml", entry, "treatments.treatments")
            cited(treatment.source, "sites.yml", entry)
    for symptom in kb.symptoms.values():
        entry = f"symptoms[{symptom.id}]"
        need(symptom.near, kb.symptoms, "symptoms.yml", entry, "near")
        if symptom.near and (not symptom.policy or any(kb.symptoms[n].policy for n in symptom.near)):
            raise KnowledgeBaseError("symptoms.yml", entry, "near", "only a policy sign has near, and only article signs")
    for test in kb.diagnostic_tests.values():
        need(test.sites, kb.sites, "diagnostic_tests.yml", f"diagnostic_tests[{test.id}]", "sites")
    for risk in kb.risk_factors.values():
        need(risk.cancers, kb.cancer_types, "risk_factors.yml", f"risk_factors[{risk.id}]", "cancers")
    for stat in kb.statistics_:
        need(stat.cancers, kb.cancer_types, "statistics.yml", f"statistics[{stat.id}]", "cancers")
        need(stat.sites, kb.sites, "statistics.yml", f"statistics[{stat.id}]", "sites")
    for name, signs in (("progression_signs", kb.progression_signs), ("tell_your_provider", kb.tell_your_provider)):
        need(signs.symptoms, kb.symptoms, "signs.yml", name, "symptoms")
    need(kb.note_signs, kb.symptoms, "red_flags.yml", "note_signs", "note_signs")
    for flag in kb.red_flags:
        entry = f"red_flags[{flag.id}]"
        need(flag.any_of + flag.all_of, kb.symptoms, "red_flags.yml", entry, "any_of/all_of")
        need(flag.with_treatment, kb.treatments, "red_flags.yml", entry, "with_treatment")
        if flag.site is not None:
            need([flag.site], kb.sites, "red_flags.yml", entry, "site")
            linked = {s.symptom for s in kb.sites[flag.site].symptoms}
            if not set(flag.any_of + flag.all_of) <= linked:
                raise KnowledgeBaseError("red_flags.yml", entry, "site", f"sites.yml does not link these symptoms to '{flag.site}'")
        if flag.signs is not None:
            lists = {"progression_signs": kb.progression_signs, "tell_your_provider": kb.tell_your_provider}
            if flag.signs not in lists or not set(flag.any_of + flag.all_of) <= set(lists[flag.signs].symptoms):
                raise KnowledgeBaseError("red_flags.yml", entry, "signs", f"signs.yml list '{flag.signs}' does not hold these symptoms")
    places = [where for where, _ in kb.all_facts()]
    for where, fact in kb.all_facts():
        cited(fact.source, "(knowledge base)", where)
    for subject in kb.uncovered.values():
        for place in subject.near:
            if not any(w == place or w.startswith(place + ":") for w in places):
                raise KnowledgeBaseError("not_covered.yml", f"not_covered[{subject.id}]", "near", f"no facts at '{place}'")


def _crisis_matcher(crisis) -> CrisisMatcher:
    try:
        return CrisisMatcher(crisis)
    except ValueError as error:
        raise KnowledgeBaseError("crisis.yml", "cues", "phrases", str(error)) from None


@lru_cache(maxsize=None)
def _load_cached(directory: str) -> KnowledgeBase:
    return load(Path(directory))


def default() -> KnowledgeBase:
    """The project's knowledge base (or $KNOWLEDGE_DIR's), loaded once per process."""
    return _load_cached(os.environ.get("KNOWLEDGE_DIR", str(DEFAULT_DIR)))


def entity_index(kb: KnowledgeBase) -> Dict[Tuple[str, str], Entity]:
    """(kind, id) -> entity, for components that receive mentions."""
    return {(e.kind, e.id): e for e in kb.entities()}
