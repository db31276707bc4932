"""Typed records of the knowledge base, and the parsing that checks each YAML file against them.

A knowledge base edited by hand will one day hold a typo: parsing fails at load time with an
error that names the file, the entry and the field, instead of an answer going wrong later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, TypeVar

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
    text: str
    source: Source


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


@dataclass(frozen=True)
class SpreadStatement:
    """One article's statement of where a cancer spreads ("main sites", "most often")."""

    sites: Tuple[str, ...]
    wording: str
    source: Source


@dataclass(frozen=True)
class CancerType(Entity):
    spreads_to: Tuple[SpreadStatement, ...]
    facts: Tuple[Fact, ...]


@dataclass(frozen=True)
class SiteSymptom:
    symptom: str
    source: Source


@dataclass(frozen=True)
class SiteTreatment:
    treatments: Tuple[str, ...]
    text: str
    source: Source


@dataclass(frozen=True)
class Site(Entity):
    symptoms: Tuple[SiteSymptom, ...]
    treatments: Tuple[SiteTreatment, ...]
    facts: Tuple[Fact, ...]


@dataclass(frozen=True)
class Symptom(Entity):
    policy: bool


@dataclass(frozen=True)
class DiagnosticTest(Entity):
    sites: Tuple[str, ...]
    facts: Tuple[Fact, ...]


@dataclass(frozen=True)
class Treatment(Entity):
    facts: Tuple[Fact, ...]


@dataclass(frozen=True)
class Concept(Entity):
    facts: Tuple[Fact, ...]


@dataclass(frozen=True)
class RiskFactor(Entity):
    cancers: Tuple[str, ...]
    fact: Fact


@dataclass(frozen=True)
class Statistic:
    """A figure and its scope; `cancers`/`sites` say what it is about (a cancer is not a site)."""

    id: str
    cancers: Tuple[str, ...]
    sites: Tuple[str, ...]
    scope: str
    fact: Fact


@dataclass(frozen=True)
class SignList:
    intro: Fact
    symptoms: Tuple[str, ...]


@dataclass(frozen=True)
class RedFlag:
    """A sign that needs urgent care. `basis` is "article" or "policy" (the project's own)."""

    id: str
    basis: str
    any_of: Tuple[str, ...]
    all_of: Tuple[str, ...]
    site: Optional[str]
    signs: Optional[str]


@dataclass(frozen=True)
class Article:
    key: str
    title: str
    publisher: str
    sections: Tuple[str, ...]
    sections_named_by_topic: Tuple[str, ...]


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
        return Fact(self.text("text"), self.source())

    def plain_fact(self) -> Fact:
        """An entry that is nothing but a fact (text and source)."""
        return self.only("text", "source").fact()


ENTITY_FIELDS = ("id", "name", "synonyms", "misspellings")


def read_entity(reader: Reader, kind: str) -> Dict[str, Any]:
    """The common Entity fields, as keyword arguments for an Entity subclass."""
    return {
        "kind": kind,
        "id": reader.text("id"),
        "name": reader.text("name"),
        "synonyms": reader.strings("synonyms", optional=True),
        "misspellings": reader.strings("misspellings", optional=True),
    }


def parse_cancer_type(r: Reader) -> CancerType:
    r.only(*ENTITY_FIELDS, "spreads_to", "facts")
    return CancerType(
        **read_entity(r, "cancer_type"),
        spreads_to=r.each(
            "spreads_to",
            lambda s: SpreadStatement(
                s.only("sites", "wording", "source").strings("sites"), s.text("wording"), s.source()
            ),
        ),
        facts=r.each("facts", Reader.plain_fact),
    )


def parse_site(r: Reader) -> Site:
    r.only(*ENTITY_FIELDS, "symptoms", "treatments", "facts")
    return Site(
        **read_entity(r, "body_site"),
        symptoms=r.each(
            "symptoms", lambda s: SiteSymptom(s.only("symptom", "source").text("symptom"), s.source())
        ),
        treatments=r.each(
            "treatments",
            lambda s: SiteTreatment(
                s.only("treatments", "text", "source").strings("treatments"), s.text("text"), s.source()
            ),
        ),
        facts=r.each("facts", Reader.plain_fact),
    )


def parse_symptom(r: Reader) -> Symptom:
    r.only(*ENTITY_FIELDS, "policy")
    return Symptom(**read_entity(r, "symptom"), policy=r.flag("policy"))


def parse_test(r: Reader) -> DiagnosticTest:
    r.only(*ENTITY_FIELDS, "sites", "facts")
    return DiagnosticTest(
        **read_entity(r, "diagnostic_test"), sites=r.strings("sites"), facts=r.each("facts", Reader.plain_fact)
    )


def parse_treatment(r: Reader) -> Treatment:
    r.only(*ENTITY_FIELDS, "facts")
    return Treatment(**read_entity(r, "treatment"), facts=r.each("facts", Reader.plain_fact))


def parse_concept(r: Reader) -> Concept:
    r.only(*ENTITY_FIELDS, "facts")
    return Concept(**read_entity(r, "concept"), facts=r.each("facts", Reader.plain_fact))


def parse_risk_factor(r: Reader) -> RiskFactor:
    r.only(*ENTITY_FIELDS, "cancers", "text", "source")
    return RiskFactor(**read_entity(r, "risk_factor"), cancers=r.strings("cancers"), fact=r.fact())


def parse_statistic(r: Reader) -> Statistic:
    r.only("id", "cancers", "sites", "scope", "text", "source")
    return Statistic(r.text("id"), r.strings("cancers"), r.strings("sites"), r.text("scope"), r.fact())


def parse_sign_list(r: Reader) -> SignList:
    r.only("intro", "symptoms", "source")
    return SignList(Fact(r.text("intro"), r.source()), r.strings("symptoms"))


def parse_red_flag(r: Reader) -> RedFlag:
    r.only("id", "basis", "any_of", "all_of", "site", "signs")
    basis = r.text("basis")
    if basis not in ("article", "policy"):
        r.fail("basis", "must be 'article' or 'policy'")
    flag = RedFlag(
        id=r.text("id"),
        basis=basis,
        any_of=r.strings("any_of", optional=True),
        all_of=r.strings("all_of", optional=True),
        site=r.text("site", optional=True),
        signs=r.text("signs", optional=True),
    )
    if bool(flag.any_of) == bool(flag.all_of):
        r.fail("any_of", "give exactly one of 'any_of' and 'all_of'")
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
