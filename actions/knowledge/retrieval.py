"""Fact retrieval: the knowledge-base facts that best answer a message.

Intent classification picks a topic; this picks facts. Each fact becomes a passage keyed by its
content words and the entities it is about (its owner, and every entity its text names), and by
the same of the questions it answers (`asks`, in people's words). A question is matched in the
KB's own vocabulary: "his eyes went yellow" names jaundice through the lexicon's synonyms and
meets the facts about jaundice, and "quicker" meets "faster" through the KB's thesaurus
(thesaurus.yml). Scores are idf-weighted word matches plus a larger weight per shared entity,
times TOPIC_BOOST for facts of the kind of question asked; nothing is matched by a message's
whole text.

Used to order a topic's facts so an answer leads with the ones asked for (actions/answers
`lead`), and to find the facts that answer a message across topics (actions/answers/facts.py).
`confident` says whether the best facts answer the question well enough to lead with them; when
not, callers say honestly that the articles don't say it and offer the closest facts (safety
rule 6).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from .lexicon import Lexicon, tokens
from .schema import Fact, Source
from .triage import looks_like_question

if TYPE_CHECKING:  # the KB builds the index; no import cycle at run time
    from .base import KnowledgeBase

# Function words, question words, the words every fact shares and the filler of people's
# questions ("could you basically explain what ... actually means"): they say nothing
# about which fact answers. Kept small on purpose; idf weighs the rest.
STOPWORDS = frozenset("""
    a about above after again all also am an and any are as at be because been before being
    below between both but by can cant could did didnt do does doesnt doing dont down during
    each few for from further get gets getting got had has have having he her here hers him his
    how i if im in into is isnt it its itself ive just know let like me more most my myself no
    nor not now of off on once only or other our out over own please really same she should so
    some such tell than thank thanks that thats the their them then there these they this those
    through to too under until up us very was wasnt we were what whats when where which while who
    why will with wont would you your youre yours hi hello hey anyone anybody someone thing things
    mean means much many one ones say said ask asking question questions wondering wonder want right
    told tells bit lot lots still even ever yet well ok okay sure maybe probably ill id
    cancer cancers
    actually exactly literally basically honestly genuinely properly simply plain english explain
    explained understand understanding anyway though kind sort idea hoping worried scared guys
    everyone somebody something anything thru
""".split())
# Named in nearly every question, so naming it tells no fact apart: counted as a word only.
GENERIC = frozenset({("concept", "metastasis")})
ENTITY_WEIGHT = 2.5   # an entity named in the question and linked to the fact, times its idf
CONFIDENT_SCORE = 6.0  # the best fact's score at or above which it leads the answer
CLOSE_SCORE = 2.5      # below this a fact is not even "the closest thing the articles say"
RELATIVE_CUT = 0.6     # further facts shown only when they score this share of the best
WORDS_ONLY = 1.5       # without an entity in common, the best fact must score this much more
TOPIC_BOOST = 2.0      # how much more a fact of the kind of question asked counts
STORY_WORDS = 0.25     # how much a word of a long post's story counts, against one of its question
ITEM_STANDS_OUT = 1.5  # how much better than the others one item of a numbered list must match to stand alone
_NUMBER = re.compile(r"^\d+\.\s*")

# A fact that names this many cancers lists them ("obesity raises the risk of cancers of the
# breast, colon, rectum, ..."): it is about none of them in particular, so they count as words.
LISTED = 3

# What a fact's `asks` add to the entities it is about: the signs, tests, treatments, concepts
# and risks they name in people's words. The cancer or site a question names is often only its
# example ("how does breast cancer get into the bones?" asks how any cancer travels), so it
# counts as a word there, not as an entity of the fact.
ASKED_KINDS = ("symptom", "diagnostic_test", "treatment", "concept", "risk_factor")

# The places that list where a cancer spreads ("Colon cancer main sites of metastasis: liver,
# lung, peritoneum"). A post's story names its cancer and sites, so these lists would share them
# with nearly every post; they answer only where the question itself names them.
LISTS_OF_SITES = ":spread"

# The kind of question each place of the KB answers (KnowledgeBase.all_facts keys, most
# specific first; "*" is any id). Retrieval favours facts of the kind the question was
# classified as (TOPIC_BOOST); the NLU trains each fact's `asks` as that kind
# (components/kb_importer.py). Places holding answers to several kinds (a cancer's or a
# site's own facts) have none.
TOPIC_OF_PLACE = {
    "concept:metastasis": "definition",
    "concept:stage_4": "definition",
    "concept:where_cancer_spreads": "spread",
    "concept:naming": "naming",
    "concept:timing": "timing",
    "concept:spread_steps": "mechanism",
    "concept:why_spread": "mechanism",
    "concept:dormant_cells": "mechanism",
    "concept:unknown_primary": "unknown_primary",
    "concept:inherited_genes": "risk_factors",
    "diagnostic_test": "tests",
    "diagnosis": "tests",
    "treatment": "treatment",
    "treatment_general": "treatment",
    "treatment_goal": "treatment",
    "body_site:*:treatment": "treatment",
    "body_site:*:symptoms": "site_symptoms",
    "progression_signs": "site_symptoms",  # the general signs answer "what are the signs?"
    "tell_your_provider": "site_symptoms",
    "cancer_type:*:spread": "spread",
    "risk_factor": "risk_factors",
    "risk_intro": "risk_factors",
    "statistic": "statistics",
    "prognosis": "prognosis",
    "coping": "coping",
    "guidance": "coping",  # the articles' advice on working with the care team
}


def topic_of_place(where: str) -> Optional[str]:
    """The kind of question the facts at a KB place answer, or None for several."""
    parts = where.split(":")
    wild = f"{parts[0]}:*:{parts[2]}" if len(parts) == 3 else parts[0]
    return TOPIC_OF_PLACE.get(where) or TOPIC_OF_PLACE.get(wild)


LONG_POST_WORDS = 60  # over this, a message is a forum post: its questions are what it asks
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
# Besides a "?" or a question word (triage.looks_like_question), what makes a sentence a question.
_WONDERS = re.compile(
    r"\b(wondering|want to know|wanted to know|like to know|does anyone know|can someone|could someone|"
    r"please explain|tell me|i dont understand|i don't understand|confused about)\b",
    re.I,
)


# A question that opens by pointing back at the sentence before it: "Is that true for everyone?"
_REFERS_BACK = re.compile(r"\W*(?:\w+\s+)?(?:that|this|these|those)\b", re.I)


# A sentence that opens with a clause, not a question: "When people at work ask, I say ..."
_OPENING_CLAUSE = re.compile(
    r"\W*(when|while|if|where|as|since|because|once|after|before)\s+"
    r"(?!(do|does|did|is|are|was|were|can|could|will|would|should|has|have|had|might|may)\b)",
    re.I,
)


# A sentence that opens with a "what" clause as its subject, not a question: "What I can't
# understand is that the scan was clear", "What we need is a plan".
_CLEFT = re.compile(
    r"\W*what\s+(i|we|you|he|she|they|my \w+|mum|dad)\s+"
    r"(?!(do|does|did|can|could|should|would|will|am|are|is|was|were|have|has|had|must|need to|might)(?![\w'’]))",
    re.I,
)


def _asks(sentence: str) -> bool:
    if sentence.rstrip().endswith("?") or _WONDERS.search(sentence):
        return True
    return looks_like_question(sentence) and not _OPENING_CLAUSE.match(sentence) and not _CLEFT.match(sentence)


def numbered_lists(facts: Sequence[Fact]) -> List[List[Fact]]:
    """Facts grouped so that each "intro:" fact and the "1. ...", "2. ..." facts after it are one
    group; every other fact is a group of its own."""
    groups: List[List[Fact]] = []
    for fact in facts:
        item = fact.text[:1].isdigit() and fact.text[1:3].startswith(".")
        so_far = " ".join(f.text for f in groups[-1]) if groups else ""
        continues = so_far.endswith(":") or ("1." in so_far and so_far[-1:] in ".)")
        if item and continues:
            groups[-1].append(fact)
        else:
            groups.append([fact])
    return groups


def joined(group: Sequence[Fact]) -> Fact:
    """A numbered list's facts as one fact."""
    if len(group) == 1:
        return group[0]
    return Fact(" ".join(f.text for f in group), group[0].source, tuple(q for f in group for q in f.asks))


def numbered_lists_joined(facts: Sequence[Fact]) -> List[Fact]:
    """Facts with each "intro:" fact and the "1. ...", "2. ..." facts after it joined into one."""
    return [joined(group) for group in numbered_lists(facts)]


def asking_sentences(text: str) -> str:
    """What a message asks, sentence by sentence: its question sentences when it has any
    ("PET or CT, which is better? Insurance pays for one." asks about the scans), else all of
    it. Finer than question_part, which keeps a short message whole."""
    asked = [s for s in _SENTENCE.findall(question_part(text)) if _asks(s)]
    return " ".join(asked) if asked else text


def asks_something(text: str) -> bool:
    """Whether a message holds a question at all ("my mum has breast cancer" does not)."""
    return any(_asks(s) for s in _SENTENCE.findall(text))


ELLIPTICAL_WORDS = 3  # "Does it?", "Is that so?": a question this short asks about the sentence before


def _points_back(sentence: str) -> bool:
    return bool(_REFERS_BACK.match(sentence)) or len(sentence.split()) <= ELLIPTICAL_WORDS


def _asked_before_an_aside(sentences: Sequence[re.Match]) -> List[Tuple[int, int]]:
    """A short message that asks first and then only tells ("what is a bone scan for? my aunt
    has one on Friday"): the aside says why it is asked, not what, so the questions are what it
    asks. A short message that tells first ("Mum has breast cancer. Where does it go?") is kept
    whole: its story is what the question is about; so is one whose tail is a fragment of a few
    words ("... with bone mets? sleep, pain, money"), which says what the question means."""
    asking = [_asks(s.group()) for s in sentences]
    if not asking or not asking[0] or all(asking):
        return []
    first_aside = asking.index(False)
    asides = sentences[first_aside:]
    if any(asking[first_aside:]) or sum(len(s.group().split()) for s in asides) <= ELLIPTICAL_WORDS:
        return []
    return [(sentences[0].start(), sentences[first_aside - 1].end())]


def questions(text: str) -> List[Tuple[int, int]]:
    """Each question a long post asks, as the (start, end) of its sentence, or of the sentence
    before and itself where it points back ("The leaflet says most live for years. Is that true?")
    or is too short to ask anything by itself ("... whether it raises the risk. Does it?");
    for a short message, its questions only when an aside follows them (_asked_before_an_aside);
    none for another short message or a post with no question sentence."""
    sentences = list(_SENTENCE.finditer(text))
    if len(text.split()) <= LONG_POST_WORDS:
        return _asked_before_an_aside(sentences)
    asked: List[Tuple[int, int]] = []
    for i, sentence in enumerate(sentences):
        if _asks(sentence.group()):
            start = sentences[i - 1].start() if i and _points_back(sentence.group()) else sentence.start()
            if asked and start < asked[-1][1]:  # the sentence before was a question already
                start = asked.pop()[0]
            asked.append((start, sentence.end()))
    return asked


def question_spans(text: str) -> List[Tuple[int, int]]:
    """Where a long post asks something (questions); the whole text for a short message or a
    post with no question sentence (see question_part)."""
    return questions(text) or [(0, len(text))]


# A long post's question that sets its story aside: "in general, what treatments are used?"
_IN_GENERAL = re.compile(r"\b(in general|generally|general overview|basic overview|overview of)\b", re.I)


def sets_story_aside(question: str) -> bool:
    """Whether a post's question asks in general, so its story is no context for the answer."""
    return bool(_IN_GENERAL.search(question))


# A comparison, in a question ("X vs Y, which is more common?") or in a fact ("much more common
# than cancer that starts in the bone", "does not become bone cancer").
_COMPARES = re.compile(
    r"\b(more|less|fewer|better|worse|bigger|faster|slower|rarer|commoner|quicker)\b.{0,60}\bthan\b|"
    r"\b(vs|versus|compared (to|with)|difference between|differ from|same (thing )?as|not the same|"
    r"does not become|doesn't become)\b|\bwhich is (more|less|better|worse|rarer)\b",
    re.I,
)


def compares(text: str) -> bool:
    """Whether a text compares two things."""
    return bool(_COMPARES.search(text))


def question_part(text: str) -> str:
    """What a long post asks: its questions, without the story around them.

    A short message is its own question. In a post over LONG_POST_WORDS words, the sentences
    that end with "?" or read as a question ("wondering whether ...") are kept, with the
    sentence before one that points back at it ("Is that ..."); a post with no such sentence
    is kept whole."""
    spans = question_spans(text)
    if spans == [(0, len(text))]:
        return text
    return " ".join(text[start:end].strip() for start, end in spans)


def is_forum_post(text: str) -> bool:
    """Whether a message is a long post that tells a story around its questions: answered as a
    post (never with a question back), not as a short question the classifier may be sure of.
    A short question with an aside after it is still a short question."""
    return len(text.split()) > LONG_POST_WORDS and question_part(text) is not text


_NO_SOURCE = Source("", "")


@dataclass(frozen=True)
class Passage:
    """One fact, with what it can be found by."""

    where: str
    fact: Fact
    entities: FrozenSet[Tuple[str, str]]
    keys: FrozenSet[str]
    # the words of the fact itself, without those of the questions it answers: all a long
    # post's story is compared with ("the team mentioned ..." is no question about the team)
    said: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class Ranked:
    passage: Passage
    score: float
    shared: FrozenSet[Tuple[str, str]]  # the entities both the message and the fact name


@dataclass(frozen=True)
class Retrieval:
    """The facts that best answer a message, best first, and whether they answer it well."""

    ranked: Tuple[Ranked, ...]
    confident: bool

    @property
    def facts(self) -> Tuple[Fact, ...]:
        return tuple(r.passage.fact for r in self.ranked)


_SUFFIXES = ("ments", "ment", "ings", "ing", "ied", "ed", "es", "s", "e")
_VERB_SUFFIXES = frozenset({"ings", "ing", "ed"})
_DOUBLED = re.compile(r"([b-df-hj-kmnp-rtv-y])\1$")  # a doubled consonant, but l, s or z


def root(key: str) -> str:
    """One key for a word's forms ("treated", "treating", "treatment" -> "treat"), so a question
    meets a fact worded another way. Only compared with other roots."""
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 4:
            key = key[: -len(suffix)]
            if suffix in _VERB_SUFFIXES and _DOUBLED.search(key):
                key = key[:-1]  # "planning" -> "plan", "stopped" -> "stop"; "swelling" stays "swell"
            break
    return key[:-1] if key.endswith("e") and len(key) > 4 else key


def content_keys(
    lexicon: Lexicon, text: str, same: Mapping[str, str] = {}, words: FrozenSet[str] = frozenset(),
) -> List[str]:
    """The roots of a text's content words (typos corrected, stop words dropped), each as the
    root of the articles' word where the thesaurus groups it with one (`same`). A word the
    articles themselves use (`words`) is never taken for a typo ("women" is not "woken")."""
    keys = (
        root(lexicon.key(token, words)) for token, _, _ in tokens(text)
        if token not in STOPWORDS and len(token) > 2 and not token.isdigit()
    )
    return [same.get(key, key) for key in keys]


class FactIndex:
    """Every fact of the knowledge base as a passage, ready to rank against a message."""

    def __init__(self, kb: "KnowledgeBase") -> None:
        self._lexicon = kb.lexicon
        self._words = frozenset(  # the articles' and the thesaurus's own words: never corrected as typos
            [token for where, fact in kb.all_facts() for token, _, _ in tokens(fact.text) if token.isalpha()]
            + [token for group in kb.thesaurus for word in group for token, _, _ in tokens(word)]
        )
        self._same = {  # thesaurus.yml: every word of a group keyed as its first, the articles' word
            # ("chances" is a word of its own, not a typo of "changes")
            root(kb.lexicon.key(word, self._words)): root(kb.lexicon.key(group[0], self._words))
            for group in kb.thesaurus for word in group
        }
        self._near = {s.id: s.near for s in kb.symptoms.values() if s.near}
        self.passages: Tuple[Passage, ...] = tuple(self._passages(kb))
        documents = len(self.passages)
        counts: Dict[object, int] = {}
        for passage in self.passages:
            for feature in passage.keys | passage.entities:
                counts[feature] = counts.get(feature, 0) + 1
        self._idf = {f: math.log(1 + documents / n) for f, n in counts.items()}
        self._known = frozenset(key for passage in self.passages for key in passage.keys)
        self._by_fact: Dict[Fact, Passage] = {}
        for passage in self.passages:
            self._by_fact.setdefault(passage.fact, passage)
        # each numbered list's introduction and items, by the list's text, each a passage of its own
        self._items: Dict[str, Tuple[Passage, ...]] = {}
        grouped: Dict[str, List[Fact]] = {}
        for where, fact in kb.all_facts():
            grouped.setdefault(where, []).append(fact)
        for where, facts in grouped.items():
            for group in numbered_lists(facts):
                if len(group) > 2:
                    self._items[joined(group).text] = tuple(self._own_passage(where, item) for item in group)

    def _passage(self, kb: "KnowledgeBase", where: str, fact: Fact) -> Passage:
        owner = tuple(where.split(":")[:2])
        entities = {(m.kind, m.id) for m in self._lexicon.find(fact.text, overlapping=True)}
        cancers = {e for e in entities if e[0] == "cancer_type"}
        if len(cancers) >= LISTED:  # "cancers of the breast, colon, rectum, ...": none is its subject
            entities -= cancers
        names: List[str] = []
        if len(owner) == 2 and owner[0] in ("cancer_type", "body_site", "symptom", "diagnostic_test",
                                              "treatment", "concept", "risk_factor"):
            entities.add(owner)  # type: ignore[arg-type]
            entity = kb._collection(owner[0])[owner[1]]
            names = list(entity.surface_forms[:1 + len(entity.synonyms)])
        keys = set(content_keys(self._lexicon, fact.text, self._same, self._words))
        said = frozenset(keys)
        for name in names:
            keys.update(content_keys(self._lexicon, name, self._same, self._words))
        for question in fact.asks:  # the questions it answers, in people's words (schema.Fact)
            keys.update(content_keys(self._lexicon, question, self._same, self._words))
            entities.update((m.kind, m.id) for m in self._lexicon.find(question, ASKED_KINDS, overlapping=True))
        return Passage(where, fact, frozenset(entities), frozenset(keys), said)

    def _passages(self, kb: "KnowledgeBase") -> Iterable[Passage]:
        grouped: Dict[str, List[Fact]] = {}
        for where, fact in kb.all_facts():  # the closing guidance every answer ends with is no answer
            if where != "guidance" or fact in kb.care_team_advice:
                grouped.setdefault(where, []).append(fact)
        for where, facts in grouped.items():
            for fact in numbered_lists_joined(facts):
                yield self._passage(kb, where, fact)
        for site in kb.sites.values():  # the symptoms each article links to a site, as one list
            by_article: Dict[str, List[str]] = {}
            for link in site.symptoms:
                by_article.setdefault(link.source.article, []).append(kb.symptoms[link.symptom].name)
            for article, symptoms in by_article.items():
                source = next(link.source for link in site.symptoms if link.source.article == article)
                text = f"Symptoms of {site.name} metastases: {', '.join(dict.fromkeys(symptoms))}"
                yield self._passage(kb, f"body_site:{site.id}:symptoms", Fact(text, source))
        for cancer in kb.cancer_types.values():  # where each article says a cancer spreads
            for statement in cancer.spreads_to:
                sites = ", ".join(kb.sites[s].name for s in statement.sites)
                text = f"{cancer.name.capitalize()} {statement.wording}: {sites}"
                yield self._passage(kb, f"cancer_type:{cancer.id}:spread", Fact(text, statement.source))

    def knows(self, word: str) -> bool:
        """Whether a word (typos forgiven) is one the knowledge base's facts, their names or the
        questions they answer use; a term it does not know is one the articles don't explain."""
        if self._lexicon.known(word) or self._lexicon.key(word) in self._lexicon.vocabulary:
            return True  # a word of an entity's name or synonyms
        keys = content_keys(self._lexicon, word, self._same, self._words)
        return all(key in self._known for key in keys)

    def about(self, kind: str, entity_id: str) -> Tuple[Fact, ...]:
        """Every fact that names an entity, or answers a question naming it, wherever it sits in
        the KB: the symptoms section's "they can appear very soon after the first diagnosis, or
        several years later" is about when metastases are found too."""
        return tuple(dict.fromkeys(p.fact for p in self.passages if (kind, entity_id) in p.entities))

    def _own_passage(self, where: str, fact: Fact) -> Passage:
        """A fact keyed by its own words and questions only, not by the place it sits or what
        that place is about: every item of a list sits in the same place, so that would tell
        none apart."""
        entities = {(m.kind, m.id) for m in self._lexicon.find(fact.text, overlapping=True)}
        keys = set(content_keys(self._lexicon, fact.text, self._same, self._words))
        for question in fact.asks:
            keys.update(content_keys(self._lexicon, question, self._same, self._words))
            entities.update((m.kind, m.id) for m in self._lexicon.find(question, ASKED_KINDS, overlapping=True))
        entities -= GENERIC | {tuple(where.split(":")[:2])}
        return Passage("", fact, frozenset(entities), frozenset(keys), frozenset(keys))

    def the_item_asked(self, text: str, fact: Fact) -> Fact:
        """For a numbered list, the one item a question asks about, when it matches clearly
        better than the others (ITEM_STANDS_OUT), without its number: "can it turn up in
        another organ years after treatment?" is answered by "Months or years later, when cancer cells
        affect another organ ...", not by all three moments. Any other fact as it is."""
        items = self._items.get(fact.text)  # the introduction first: "what are the steps?" asks for all
        if not items:
            return fact
        query = self._query(text)
        scores = sorted(((self._score(query, item)[0], order) for order, item in enumerate(items)), reverse=True)
        (best, order), runner_up = scores[0], scores[1][0]
        if order == 0 or best < CLOSE_SCORE or best < ITEM_STANDS_OUT * runner_up:
            return fact
        item = items[order].fact
        return Fact(_NUMBER.sub("", item.text, count=1), item.source, item.asks)

    def rank(self, text: str, facts: Sequence[Fact]) -> List[Fact]:
        """`facts` ordered by how well each answers `text`; ties keep the knowledge-base order,
        so a question that names nothing in particular gets the topic's leading facts first."""
        query = self._query(text)
        scored = [(-round(self._score(query, self._passage_of(f))[0], 6), order, f) for order, f in enumerate(facts)]
        return [fact for _, _, fact in sorted(scored, key=lambda s: s[:2])]

    def best_score(self, text: str, lines: Iterable[str]) -> float:
        """How well the best of these lines (an answer's bullets) answers `text`."""
        query = self._query(text)
        return max((self._score(query, self._passage_of(Fact(line, _NO_SOURCE)))[0] for line in lines), default=0.0)

    def _passage_of(self, fact: Fact) -> Passage:
        known = self._by_fact.get(fact)
        if known is not None:
            return known
        entities = {(m.kind, m.id) for m in self._lexicon.find(fact.text, overlapping=True)}
        keys = frozenset(content_keys(self._lexicon, fact.text, self._same, self._words))
        return Passage("", fact, frozenset(entities), keys, keys)

    def _query(self, text: str, asked: Optional[str] = None) -> Tuple[set, set, set, set]:
        """A message's words and entities, from what it asks (question_part). Weighed half, as
        context: the cancers, sites, signs and concepts named elsewhere in a long post ("are these
        signs it is progressing?" asks about the signs its story told), and the article signs
        closest to a policy sign it names (symptoms.yml `near`: "numb legs" meets the facts
        on vertebral compression). Weighed STORY_WORDS, the words of that story: "the side
        effects are wearing me down ... is there help?" asks for help with side effects."""
        asked = question_part(text) if asked is None else asked
        keys = set(content_keys(self._lexicon, asked, self._same, self._words))
        entities = {(m.kind, m.id) for m in self._lexicon.find(asked, overlapping=True)} - GENERIC
        for kind, entity_id in entities:  # "gone yellow" also asks about the word "jaundice"
            keys.update(content_keys(self._lexicon, entity_id.replace("_", " "), self._same, self._words))
        context = {("symptom", n) for kind, sign in entities if kind == "symptom" for n in self._near.get(sign, ())}
        story_keys: set = set()
        if asked is not text and not sets_story_aside(asked):  # "... unknown primary. What does that mean?"
            story = ("cancer_type", "body_site", "symptom", "concept")
            context |= {(m.kind, m.id) for m in self._lexicon.find(text, story)} - GENERIC
            story_keys = set(content_keys(self._lexicon, text, self._same, self._words)) - keys
        return keys, entities, context - entities, story_keys

    def _score(self, query: Tuple[set, set, set, set], passage: Passage) -> Tuple[float, FrozenSet[Tuple[str, str]]]:
        keys, entities, context, story_keys = query
        shared = frozenset(entities & passage.entities)
        score = sum(self._idf.get(k, 0.0) for k in keys & passage.keys)
        score += STORY_WORDS * sum(self._idf.get(k, 0.0) for k in story_keys & passage.said)
        score += sum(ENTITY_WEIGHT * self._idf.get(e, 0.0) for e in shared)
        if not passage.where.endswith(LISTS_OF_SITES):
            score += sum(ENTITY_WEIGHT / 2 * self._idf.get(e, 0.0) for e in context & passage.entities)
        return score, shared

    def search(self, text: str, limit: int = 3, topic: Optional[str] = None) -> Retrieval:
        """The (at most `limit`) facts that best answer `text`, best first; facts of the kind of
        question `topic` names (TOPIC_OF_PLACE) count TOPIC_BOOST times.

        A post that asks several questions, each naming something a fact is about, gets the
        best fact of each first, then the best for the whole post:
        "Which symptoms do liver secondaries cause? And what is a bone scan for?" is answered on
        both counts."""
        whole = self._search(text, limit, topic)
        asked = questions(text)
        if len(asked) < 2:
            return whole
        each = [self._search(text, limit, topic, text[a:b]) for a, b in asked]
        answered = [found.ranked[0] for found in each if found.confident and found.ranked[0].shared]
        if len(answered) < 2:
            return whole  # one question the articles answer: the post read as one
        merged: Dict[str, Ranked] = {}
        for r in sorted(answered, key=lambda r: -r.score) + list(whole.ranked):
            merged.setdefault(r.passage.fact.text, r)
        return Retrieval(tuple(merged.values())[:limit], True)

    def _search(self, text: str, limit: int, topic: Optional[str], asked: Optional[str] = None) -> Retrieval:
        query = self._query(text, asked)
        scored = []
        for order, passage in enumerate(self.passages):
            score, shared = self._score(query, passage)
            if topic is not None and topic_of_place(passage.where) == topic:
                score *= TOPIC_BOOST
            if score >= CLOSE_SCORE:
                scored.append((-score, order, Ranked(passage, score, shared)))
        ranked = [r for _, _, r in sorted(scored)]
        if not ranked:
            return Retrieval((), False)
        best = ranked[0]
        texts = {}  # a fact the KB holds in two places (a treatment's and the general) shows once
        for r in ranked:
            if r.score >= RELATIVE_CUT * best.score:
                texts.setdefault(r.passage.fact.text, r)
        kept = tuple(texts.values())[:limit]
        # Words alone ("stop", "spread") are weaker evidence: without an entity in common the
        # best fact must match more strongly (WORDS_ONLY) to be taken as the answer.
        needed = CONFIDENT_SCORE if best.shared else WORDS_ONLY * CONFIDENT_SCORE
        return Retrieval(kept, best.score >= needed)
