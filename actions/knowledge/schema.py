"""Typed records of the knowledge base, and the parsing that checks each YAML file against them.

A knowledge base edited by hand will one day hold a typo: parsing fails at load time with an
error that names the file, the entry and the field, instead of an answer going wrong later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import AbstractSet, Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple, TypeVar

T = TypeVar("T")

ENTITY_KINDS = ("cancer_type", "body_site", "symptom", "diagnostic_test", "treatment")
"""The entity kinds the NLU extracts (the concept and risk-factor kinds are KB-only)."""


class KnowledgeBaseError(ValueError):
    """A knowledge-base file does not match the schema."""

    def __init__(self, file: str, entry: str, field: str, problem: str) -> None:
        self.file, self.entry, self.field, self.problem = file, entry, field, problem
        super().__init__(f"{file}: entry '{entry}': field '{field}': {problem}")


@dataclass(frozen=True)
class Source:
    article: str
    section: str


@dataclass(frozen=True)
class Fact:
    """One statement of an article, with where it says it.

    `asks` holds questions this fact answers, in the words people use ("can it come back
    years later?"). Retrieval finds the fact by them, and the NLU trains on them
    (components/kb_importer.py), so they are the one source of both. They are not part of
    the fact's identity."""

    text: str
    source: Source
    asks: Tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Entity:
    """Anything people name in their own words: it carries its name and synonyms."""

    kind: str
    id: str
    name: str
    synonyms: Tuple[str, ...]
    misspellings: Tuple[str, ...]

    @property
    def surface_forms(self) -> Tuple[str, ...]:
        """Every way of writing it: name, synonyms, then the listed misspellings."""
        return (self.name,) + self.synonyms + self.misspellings


# Small records of what one article says, each tied to its source.
SpreadStatement = NamedTuple(  # where a cancer spreads, in an article's wording ("most often")
    "SpreadStatement", [("sites", Tuple[str, ...]), ("wording", str), ("source", Source)]
)
SiteSymptom = NamedTuple("SiteSymptom", [("symptom", str), ("source", Source)])


class SiteTreatment(NamedTuple):
    """What an article says about treating metastases in a site, and the questions it answers."""

    text: str
    treatments: Tuple[str, ...]
    source: Source
    asks: Tuple[str, ...] = ()


SignList = NamedTuple("SignList", [("intro", Fact), ("symptoms", Tuple[str, ...])])


@dataclass(frozen=True)
class Described(Entity):
    """An entity with what the articles say about it."""

    facts: Tuple[Fact, ...]


@dataclass(frozen=True)
class CancerType(Described):
    spreads_to: Tuple[SpreadStatement, ...]


@dataclass(frozen=True)
class Site(Described):
    symptoms: Tuple[SiteSymptom, ...]
    treatments: Tuple[SiteTreatment, ...]


@dataclass(frozen=True)
class Symptom(Entity):
    """`policy`: a safety-policy sign, not an article fact. `near`: for a policy sign, the article
    signs whose facts are the closest thing the articles say about it (spinal cord signs ->
    vertebral compression). They are offered as the closest thing ("The articles don't describe
    X itself. The closest signs they name: ..."), never as a claim that the two are the same."""

    policy: bool
    near: Tuple[str, ...] = ()


@dataclass(frozen=True)
class DiagnosticTest(Described):
    sites: Tuple[str, ...]


class Treatment(Described):
    """A treatment the articles name."""


class Concept(Described):
    """An idea people ask about (metastasis, naming, timing, ...)."""


@dataclass(frozen=True)
class RiskFactor(Entity):
    cancers: Tuple[str, ...]
    fact: Fact


@dataclass(frozen=True)
class Uncovered(Entity):
    """A subject people ask about that neither article covers (diet, a drug's name, costs).

    Scope, not a medical fact: it lets an answer say honestly "the articles don't say anything
    about diet" before the closest facts they do give (safety rule 6). `near` names the places
    in the KB (KnowledgeBase.all_facts keys, or their prefix) that hold the closest thing the
    articles do say: pain medicines -> palliative care, talking to children -> coping."""

    near: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Statistic:
    """A figure and its scope; `cancers`/`sites` say what it is about (a cancer is not a site)."""

    id: str
    cancers: Tuple[str, ...]
    sites: Tuple[str, ...]
    scope: str
    fact: Fact


@dataclass(frozen=True)
class RedFlag:
    """A sign that needs urgent care. `basis` is "article" or "policy" (the project's own).

    It is raised by any of `any_of` (at least `min` of them), or by all of `all_of`; with
    `with_treatment`, only when one of those treatments is mentioned too ("fever" alone is not
    an emergency, a fever during chemotherapy is).
    """

    id: str
    basis: str
    any_of: Tuple[str, ...]
    all_of: Tuple[str, ...]
    site: Optional[str]
    signs: Optional[str]
    min: int = 1
    with_treatment: Tuple[str, ...] = ()

    @property
    def symptoms(self) -> Tuple[str, ...]:
        return self.any_of + self.all_of

    def raised_by(self, symptoms: AbstractSet[str], treatments: AbstractSet[str] = frozenset()) -> bool:
        """Whether these mentioned symptoms (and treatments) raise this flag."""
        if self.with_treatment and not treatments & set(self.with_treatment):
            return False
        if self.any_of:
            return len(symptoms & set(self.any_of)) >= self.min
        return set(self.all_of) <= symptoms


@dataclass(frozen=True)
class CrisisCue:
    """Words that say someone thinks of suicide or self-harm (safety policy, not article fact).

    `phrases` may hold `<GROUP>` placeholders (any word of that group) and are written as
    matched: lower case, contractions joined ("dont"). See data/knowledge/crisis.yml.
    """

    id: str
    phrases: Tuple[str, ...]
    unless_followed_by: Tuple[str, ...]
    unless_preceded_by: Tuple[str, ...]


@dataclass(frozen=True)
class CrisisPolicy:
    basis: str
    fillers: Tuple[str, ...]
    groups: Mapping[str, Tuple[str, ...]]
    cues: Tuple[CrisisCue, ...]


Article = NamedTuple(  # a source article and its section headings (see sources.yml)
    "Article",
    [("key", str), ("title", str), ("publisher", str), ("sections", Tuple[str, ...]),
     ("sections_named_by_topic", Tuple[str, ...])],
)


class Reader:
    """Reads fields of one YAML entry, raising KnowledgeBaseError with file/entry/field."""

    def __init__(self, file: str, entry: str, data: Any) -> None:
        self.file, self.entry = file, entry
        if not isinstance(data, Mapping):
            self.fail("(entry)", f"expected a mapping, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data

    def fail(self, field: str, problem: str) -> None:
        raise KnowledgeBaseError(self.file, self.entry, field, problem)

    def only(self, *fields: str) -> "Reader":
        """Refuse fields the schema does not know: a typo, or a flow mapping cut short by an
        unquoted comma, must not pass silently."""
        for key in self.data:
            if key not in fields:
                self.fail(str(key), "unknown field (a typo, or an unquoted comma in a {...} entry?)")
        return self

    def text(self, field: str, optional: bool = False) -> Optional[str]:
        value = self.data.get(field)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "missing or not a non-empty string")
        return value.strip()

    def flag(self, field: str) -> bool:
        value = self.data.get(field, False)
        if not isinstance(value, bool):
            self.fail(field, "must be true or false")
        return value

    def items(self, field: str, optional: bool = False) -> List[Any]:
        value = self.data.get(field)
        if value is None and optional:
            return []
        if not isinstance(value, list):
            self.fail(field, "missing or not a list")
        return value

    def strings(self, field: str, optional: bool = False) -> Tuple[str, ...]:
        values = self.items(field, optional)
        if not all(isinstance(v, str) and v.strip() for v in values):
            self.fail(field, "every item must be a non-empty string")
        return tuple(v.strip() for v in values)

    def each(self, field: str, parse: Callable[["Reader"], T], optional: bool = False) -> Tuple[T, ...]:
        return tuple(
            parse(Reader(self.file, f"{self.entry}.{field}[{i}]", item))
            for i, item in enumerate(self.items(field, optional))
        )

    def child(self, field: str) -> "Reader":
        return Reader(self.file, f"{self.entry}.{field}", self.data.get(field))

    def source(self, field: str = "source") -> Source:
        raw = self.data.get(field)
        if not isinstance(raw, Mapping):
            self.fail(field, "missing or not a mapping with 'article' and 'section'")
        inner = Reader(self.file, self.entry, raw)
        return Source(inner.text("article"), inner.text("section"))

    def fact(self) -> Fact:
        return Fact(self.text("text"), self.source(), self.strings("asks", optional=True))

    def plain_fact(self) -> Fact:
        """An entry that is nothing but a fact (text, source, and the questions it answers)."""
        return self.only(*FACT_FIELDS).fact()


ENTITY_FIELDS = ("id", "name", "synonyms", "misspellings")
FACT_FIELDS = ("text", "source", "asks")


def read_entity(reader: Reader, kind: str) -> Dict[str, Any]:
    """The common Entity fields, as keyword arguments for an Entity subclass."""
    return {
        "kind": kind,
        "id": reader.text("id"),
        "name": reader.text("name"),
        "synonyms": reader.strings("synonyms", optional=True),
        "misspellings": reader.strings("misspellings", optional=True),
    }


def read_described(reader: Reader, kind: str, *fields: str) -> Dict[str, Any]:
    """Entity fields plus facts, refusing any field but these and `fields`."""
    reader.only(*ENTITY_FIELDS, "facts", *fields)
    return {**read_entity(reader, kind), "facts": reader.each("facts", Reader.plain_fact)}


def parse_spread(r: Reader) -> SpreadStatement:
    r.only("sites", "wording", "source")
    return SpreadStatement(r.strings("sites"), r.text("wording"), r.source())


def parse_site_symptom(r: Reader) -> SiteSymptom:
    r.only("symptom", "source")
    return SiteSymptom(r.text("symptom"), r.source())


def parse_site_treatment(r: Reader) -> SiteTreatment:
    r.only("treatments", *FACT_FIELDS)
    return SiteTreatment(r.text("text"), r.strings("treatments"), r.source(), r.strings("asks", optional=True))


def parse_cancer_type(r: Reader) -> CancerType:
    return CancerType(**read_described(r, "cancer_type", "spreads_to"), spreads_to=r.each("spreads_to", parse_spread))


def parse_site(r: Reader) -> Site:
    return Site(
        **read_described(r, "body_site", "symptoms", "treatments"),
        symptoms=r.each("symptoms", parse_site_symptom),
        treatments=r.each("treatments", parse_site_treatment),
    )


def parse_symptom(r: Reader) -> Symptom:
    r.only(*ENTITY_FIELDS, "policy", "near")
    return Symptom(**read_entity(r, "symptom"), policy=r.flag("policy"), near=r.strings("near", optional=True))


def parse_test(r: Reader) -> DiagnosticTest:
    return DiagnosticTest(**read_described(r, "diagnostic_test", "sites"), sites=r.strings("sites"))


def parse_treatment(r: Reader) -> Treatment:
    return Treatment(**read_described(r, "treatment"))


def parse_concept(r: Reader) -> Concept:
    return Concept(**read_described(r, "concept"))


def parse_risk_factor(r: Reader) -> RiskFactor:
    r.only(*ENTITY_FIELDS, "cancers", *FACT_FIELDS)
    return RiskFactor(**read_entity(r, "risk_factor"), cancers=r.strings("cancers"), fact=r.fact())


def parse_uncovered(r: Reader) -> Uncovered:
    r.only(*ENTITY_FIELDS, "near")
    return Uncovered(**read_entity(r, "uncovered"), near=r.strings("near", optional=True))


def parse_statistic(r: Reader) -> Statistic:
    r.only("id", "cancers", "sites", "scope", *FACT_FIELDS)
    return Statistic(r.text("id"), r.strings("cancers"), r.strings("sites"), r.text("scope"), r.fact())


def parse_thesaurus(r: Reader) -> Tuple[Tuple[str, ...], ...]:
    """thesaurus.yml: groups of single words that mean the same to retrieval, none in two."""
    r.only("words")
    groups = tuple(Reader(r.file, f"words[{i}]", {"words": g}).strings("words") for i, g in enumerate(r.items("words")))
    seen: Dict[str, int] = {}
    for i, group in enumerate(groups):
        for word in group:
            if " " in word or word.lower() != word:
                r.fail(f"words[{i}]", f"'{word}' must be one lower-case word")
            if word in seen:
                r.fail(f"words[{i}]", f"'{word}' is already in words[{seen[word]}]")
            seen[word] = i
    return groups


def parse_sign_list(r: Reader) -> SignList:
    r.only("intro", "symptoms", "source", "asks")
    return SignList(Fact(r.text("intro"), r.source(), r.strings("asks", optional=True)), r.strings("symptoms"))


def parse_red_flag(r: Reader) -> RedFlag:
    r.only("id", "basis", "any_of", "all_of", "site", "signs", "min", "with_treatment")
    basis = r.text("basis")
    if basis not in ("article", "policy"):
        r.fail("basis", "must be 'article' or 'policy'")
    minimum = r.data.get("min", 1)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 1:
        r.fail("min", "must be a whole number of at least 1")
    flag = RedFlag(
        id=r.text("id"),
        basis=basis,
        any_of=r.strings("any_of", optional=True),
        all_of=r.strings("all_of", optional=True),
        site=r.text("site", optional=True),
        signs=r.text("signs", optional=True),
        min=minimum,
        with_treatment=r.strings("with_treatment", optional=True),
    )
    if bool(flag.any_of) == bool(flag.all_of):
        r.fail("any_of", "give exactly one of 'any_of' and 'all_of'")
    if flag.min > max(1, len(flag.any_of)):
        r.fail("min", "is more than the symptoms listed in 'any_of'")
    if basis == "article" and (flag.site is None) == (flag.signs is None):
        r.fail("site", "an article red flag names exactly one of 'site' or 'signs' it comes from")
    return flag


def parse_article(key: str, r: Reader) -> Article:
    return Article(
        key=key,
        title=r.text("title"),
        publisher=r.text("publisher"),
        sections=r.strings("sections"),
        sections_named_by_topic=r.strings("sections_named_by_topic", optional=True),
    )


GROUP_NAME = re.compile(r"<([A-Z]+)>")


def parse_crisis(r: Reader) -> CrisisPolicy:
    r.only("basis", "fillers", "groups", "cues")
    basis = r.text("basis")
    if basis != "policy":
        r.fail("basis", "crisis cues are safety policy: 'policy'")
    raw_groups = r.child("groups")
    groups = {name: raw_groups.strings(name) for name in raw_groups.data}
    cues = []
    for i, raw in enumerate(r.items("cues")):
        cue = Reader(r.file, f"cues[{raw.get('id', i) if isinstance(raw, Mapping) else i}]", raw)
        cue.only("id", "phrases", "unless_followed_by", "unless_preceded_by")
        phrases = cue.strings("phrases")
        for phrase in phrases:
            for name in GROUP_NAME.findall(phrase):
                if name not in groups:
                    cue.fail("phrases", f"'{phrase}' uses an unknown group <{name}>")
        cues.append(CrisisCue(
            cue.text("id"), phrases,
            cue.strings("unless_followed_by", optional=True),
            cue.strings("unless_preceded_by", optional=True),
        ))
    return CrisisPolicy(basis, r.strings("fillers"), groups, tuple(cues))
