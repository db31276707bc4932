"""Safety triage of one message: a crisis, an emergency happening now, or a sign only asked about.

Pure Python over the knowledge base, so the NLU component (which decides the intent on every
channel, `rasa shell` included), the answer actions (which add the one-line note to a question
about a red-flag sign) and the channels (which keep a late emergency in a long post) agree.

Crisis (suicide, self-harm; data/knowledge/crisis.yml) is safety policy. A red flag
(red_flags.yml) is raised by the symptoms mentioned, and each mention is read in its sentence:

* **negated** ("no seizures so far", "she hasn't coughed up blood"): a negation word shortly
  before it, in the same clause. A negation inside the phrase ("he's not breathing", "she won't
  wake up", "I can't feel my legs") is part of the sign, not a negation of it;
* **asking** ("can lung mets make you cough up blood?", "what should we do if he has a fit?"):
  a hypothetical or a worry ("if", "in case", "worried about"), or a general question about the
  sign ("does/can/is/why ... cause/sign/mets"), with nothing saying it is happening;
* **happening**, otherwise, and always when the sentence says now ("today", "since this
  morning", "right now"): a statement about me, him or her ("my dad is coughing up blood"), or
  a bare mention with no question around it. A false alarm is the safe mistake.

The rules are word lists, not a model, so that they are fast, never wait for anything and can be
read; tests/knowledge/test_triage.py pins the rules, and tests/triage (`make triage`) measures
them on messages written for that and never trained on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .lexicon import Lexicon, fold, tokens
from .schema import GROUP_NAME, CrisisPolicy, RedFlag

HAPPENING, ASKING, NEGATED = "happening", "asking", "negated"

_SENTENCE_END = re.compile(r"[.!?\n;]+|\s[-–—]+\s")
_CLAUSE_BREAK = re.compile(r"[,:()\"]|\b(?:but|though|although|however|whereas|yet)\b")

# Two-word negations and contractions written apart ("do not") read as one word ("dont").
_JOINED = {
    ("do", "not"): "dont", ("does", "not"): "doesnt", ("did", "not"): "didnt",
    ("can", "not"): "cant", ("will", "not"): "wont", ("would", "not"): "wouldnt",
    ("is", "not"): "isnt", ("are", "not"): "arent", ("was", "not"): "wasnt",
    ("has", "not"): "hasnt", ("have", "not"): "havent", ("had", "not"): "hadnt",
    ("i", "am"): "im", ("could", "not"): "couldnt", ("should", "not"): "shouldnt",
}
NEGATORS = frozenset("""
    no not never dont doesnt didnt isnt wasnt arent werent wont wouldnt hasnt havent hadnt
    cant cannot couldnt shouldnt without nor none neither denies denied nope nothing
""".split())
# "not sure it was a seizure", "don't know if he's confused": the negation is of the knowing.
_NOT_NEGATING_NEXT = frozenset("sure know knowing certain think thinking even just only stop stopped".split())
NOW = frozenset("""
    today tonight currently presently atm since yesterday overnight tonite todays
""".split())
# Weaker: they say now unless a hypothetical comes first ("if he suddenly gets ..."), and
# "now", "still", "again" only next to the sign ("coughing blood now", not "now I wonder").
WEAK_NOW = frozenset("keeps kept started starting began begun suddenly".split())
NEAR_NOW = frozenset("now still again anymore keep".split())
_RECENTLY = re.compile(
    r"\b(?:\d+|a|an|one|two|three|few|couple of|half an|twenty|thirty|forty|ten|five)\s+"
    r"(?:min|mins|minute|minutes|hour|hours|hr|hrs|day|days)\s+ago\b"
)
NOW_PHRASES = (
    "this morning", "this afternoon", "this evening", "last night", "at the moment",
    "right now", "for the last", "for the past", "all day", "all night", "just now",
    "woke up", "for hours", "for an hour", "few hours", "few minutes", "this week",
    "past few days", "last few days", "couple of days", "couple of hours",
)
# "if he has a fit", "what if", "will she get", "the nurse mentioned": not (yet) happening.
HYPOTHETICAL = frozenset("""
    if whether ever unless incase future eventually hypothetically suppose will hell shell itll
    theyll youll gonna wont mentioned mentions warned read heard leaflet leaflets googled google list
    lists listed described describes article wondering wonder explained explain talks talked
    card information info words word term called general generally
""".split())
HYPOTHETICAL_PHRASES = (
    "in case", "what if", "watch for", "watch out for", "look out for", "looking out for",
    "warning signs", "prepare for", "be prepared", "what to do", "signs of", "sign of",
    "symptoms of", "symptom of", "should we expect", "can expect", "might happen",
    "will happen", "going to happen", "going to get", "going to have", "told us to", "told me to",
    "said to watch", "said to call", "said to look", "we were told", "i was told", "they told us",
    "prevent", "avoid", "to stop", "stop him", "stop her", "difference between",
    "tell the difference", "how do i tell", "how would i know", "how will i know",
    "how can i tell", "how do you tell", "how would you know", "how would we know",
)
# Long past: a history, not an emergency ("had a stroke five years ago").
LONG_AGO = re.compile(r"\b(?:years?|months?|weeks?)\s+ago\b|\blast (?:year|month|spring|summer|autumn|winter)\b|\bin (?:19|20)\d\d\b")
# Right before the sign, a word of possibility or of any: "can bleed", "any bleeding"; right
# after it, a modal or a word that makes it a topic: "chest pain should never be ignored",
# "the stroke history".
POSSIBLE_BEFORE = frozenset("can could may might would should any u you".split())
GENERAL_AFTER = frozenset("should can could may might would history risk awareness".split())
# A subject that is nobody in particular: "everyone gets a temperature on chemo".
NOBODY_IN_PARTICULAR = frozenset("everyone everybody people someone somebody anyone anybody most".split())
# "worried about seizures": a fear, unless a sentence also says it is happening to someone.
WORRY_PHRASES = (
    "worried about", "worry about", "worried that", "scared of", "afraid of", "scared that",
    "afraid that", "frightened of", "fear of", "risk of", "chance of", "chances of",
    "terrified of", "dread", "dreading", "anxious about", "nervous about", "paranoid about",
)
# A person then a verb of having right before the sign: "my dad is coughing up blood".
PRESENCE = frozenset("""
    is are am was were has have had been keeps kept got gets having hes shes im ive theyre
    theyve weve its seems seemed looks looked feels felt
""".split())
LEAD_IN = frozenset("""
    hi hello hey so and but ok okay um umm also please quick question sorry well then oh yes
    yeah hiya morning evening all everyone guys
""".split())
QUESTION_START = frozenset("""
    can could does do did is are will would what whats why how which when should might may
    shall hows whys isnt arent doesnt any anyone has have where who whom
""".split())
MODAL_START = frozenset("can could will would might may should does do did shall".split())
# What makes a statement or question general rather than about someone now. Naming a cancer,
# a site or metastasis does too ("can lung mets cause ...?"); those words are the KB's own
# (`topics` below: its mentions of cancer types, sites and the concept of metastasis).
GENERIC = frozenset("""
    cause causes caused causing sign signs symptom symptoms mean means meaning normal common
    usual usually typical typically possible possibly likely risk related linked link associated
    happen happens lead leads result results make makes give gives trigger triggers often
    people patients someone somebody someones anyone person expect why how explain dangerous
    serious emergency worry worrying
""".split())
TOPIC_KINDS = ("cancer_type", "body_site")
TOPIC_CONCEPTS = ("metastasis",)
PERSONAL = frozenset("""
    i im ive id me my mine myself he hes hed him his himself she shes shed her hers herself we
    were weve our us they theyre their them mum mom mummy mommy mother dad daddy father
    husband wife partner son daughter brother sister friend grandma grandad grandpa granny
    nan nana gran aunt auntie uncle cousin boyfriend girlfriend fiance fiancee child baby
    hubby missus stepdad stepmum stepmom niece nephew neighbour neighbor patient
""".split())


@dataclass(frozen=True)
class CrisisMatch:
    cue: str
    start: int
    end: int


@dataclass(frozen=True)
class FlagMention:
    """A red flag as this message raises it, and how: happening, asking or negated."""

    flag: RedFlag
    mode: str
    symptoms: Tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Triage:
    """What a message says that needs the crisis or the urgent-care message.

    `signs` are the signs of a red flag (or red_flags.yml's `note_signs`, their everyday
    forms) mentioned, with their mode: asked about or negated, they get the one-line note
    ("is back pain from bone mets serious?", "why do brain mets cause headaches?").
    """

    crisis: Tuple[CrisisMatch, ...]
    flags: Tuple[FlagMention, ...]
    signs: Tuple[Tuple[str, str], ...] = ()

    @property
    def is_crisis(self) -> bool:
        return bool(self.crisis)

    @property
    def urgent(self) -> Tuple[FlagMention, ...]:
        """The flags happening now: the urgent-care message comes first."""
        return tuple(f for f in self.flags if f.mode == HAPPENING)

    @property
    def only_mentioned(self) -> bool:
        """A red-flag sign asked about or negated, nothing happening: answer, plus one line."""
        return bool(self.flags or self.signs) and not self.urgent and not self.crisis

    @property
    def spans(self) -> Tuple[Tuple[int, int], ...]:
        """Where the crisis cues and the flags that are not negated stand in the text."""
        found = [(c.start, c.end) for c in self.crisis]
        found += [(f.start, f.end) for f in self.flags if f.mode != NEGATED]
        return tuple(sorted(found))


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int


def words(text: str) -> List[_Word]:
    """The lexicon's tokens, with a negation written apart joined too ("do not" -> "dont")."""
    out: List[_Word] = []
    for word in (_Word(*token) for token in tokens(text)):
        if out and (out[-1].text, word.text) in _JOINED:
            out[-1] = _Word(_JOINED[(out[-1].text, word.text)], out[-1].start, word.end)
        else:
            out.append(word)
    return out


class CrisisMatcher:
    """Finds crisis cues: phrases over words, typos forgiven, fillers skipped (crisis.yml).

    Every text, phrase or message, is read the same way: words (contractions joined), fillers
    dropped, typos snapped to the cue vocabulary, then any member of a group replaced by the
    group's name ("sleeping tablets" -> <PILLS>). A cue is an exact run of those tokens.
    """

    def __init__(self, policy: CrisisPolicy) -> None:
        self.policy = policy
        fillers = [tuple(f.split()) for f in policy.fillers]
        self._single_fillers = frozenset(f[0] for f in fillers if len(f) == 1)
        self._multi_fillers = [f for f in fillers if len(f) > 1]
        plain = lambda phrase: GROUP_NAME.sub(" ", phrase)  # noqa: E731
        vocabulary = [m for members in policy.groups.values() for m in members]
        vocabulary += [plain(p) for cue in policy.cues for p in cue.phrases]
        self._lexicon = Lexicon(
            ("crisis", "vocabulary", " ".join(w.text for w in words(v)), False)
            for v in vocabulary if words(v)
        )
        self._members: Dict[Tuple[str, ...], str] = {}
        for name, members in policy.groups.items():
            for member in members:
                key = tuple(t for t, _, _ in self._tokens(member, classes=False))
                if self._members.setdefault(key, name) != name:
                    raise ValueError(f"'{member}' is in two crisis groups")
        self._longest_member = max((len(k) for k in self._members), default=0)
        self._phrases: Dict[Tuple[str, ...], str] = {}
        for cue in policy.cues:
            for phrase in cue.phrases:
                key = tuple(t for t, _, _ in self._tokens(GROUP_NAME.sub(r" <\1> ", phrase)))
                if not key:
                    raise ValueError(f"crisis phrase {phrase!r} of cue '{cue.id}' is only fillers")
                self._phrases.setdefault(key, cue.id)
        self._longest = max(len(k) for k in self._phrases)
        self._cues = {cue.id: cue for cue in policy.cues}

    def _tokens(self, text: str, classes: bool = True) -> List[Tuple[str, int, int]]:
        """(token, start, end): keyed words without fillers, group members as <NAME>."""
        found = words(text)
        texts = [w.text for w in found]
        skip = set()
        for filler in self._multi_fillers:
            for i in range(len(texts) - len(filler) + 1):
                if tuple(texts[i : i + len(filler)]) == filler:
                    skip.update(range(i, i + len(filler)))
        out: List[Tuple[str, int, int]] = []
        for i, w in enumerate(found):
            if i in skip or w.text in self._single_fillers:
                continue
            if classes and re.fullmatch(r"[a-z]+", w.text) and text[w.start - 1 : w.start] == "<":
                out.append((f"<{w.text.upper()}>", w.start, w.end))  # a placeholder in a phrase
            else:
                out.append((self._lexicon.key(w.text), w.start, w.end))
        if not classes:
            return out
        merged: List[Tuple[str, int, int]] = []
        i = 0
        while i < len(out):
            for size in range(min(self._longest_member, len(out) - i), 0, -1):
                name = self._members.get(tuple(t for t, _, _ in out[i : i + size]))
                if name:
                    merged.append((f"<{name}>", out[i][1], out[i + size - 1][2]))
                    i += size
                    break
            else:
                merged.append(out[i])
                i += 1
        return merged

    def find(self, text: str) -> Tuple[CrisisMatch, ...]:
        found = self._tokens(text)
        keys = [t for t, _, _ in found]
        plain = [_Word(t.strip("<>").lower(), s, e) for t, s, e in found]
        matches = []
        for i in range(len(found)):
            for size in range(min(self._longest, len(found) - i), 0, -1):
                owner = self._phrases.get(tuple(keys[i : i + size]))
                if owner is None:
                    continue
                cue = self._cues[owner]
                if not self._excluded(text, plain, i, i + size, cue.unless_followed_by, cue.unless_preceded_by):
                    matches.append(CrisisMatch(cue.id, found[i][1], found[i + size - 1][2]))
                break
        return tuple(matches)

    @staticmethod
    def _excluded(text: str, found: Sequence[_Word], first: int, end: int,
                  followed: Iterable[str], preceded: Iterable[str]) -> bool:
        if _negated(text, found, first):
            return True
        after = " ".join(w.text for w in found[end : end + 4])
        if any(after == f or after.startswith(f + " ") for f in followed):
            return True
        before = " ".join(w.text for w in found[max(0, first - 4) : first])
        return any(before == p or before.endswith(" " + p) for p in preceded)


def _negated(text: str, found: Sequence[_Word], first: int) -> bool:
    """A negation among the three words before word `first` in the same clause, or further back
    over a list joined by "or" ("hasn't passed out or collapsed")."""
    listed = False
    for back in range(1, 7):
        i = first - back
        if i < 0:
            return False
        between = text[found[i].end : found[i + 1].start]
        if _SENTENCE_END.search(between) or _CLAUSE_BREAK.search(between):
            return False
        word = found[i].text
        if word in ("but", "though", "although", "however", "and"):
            return False
        listed = listed or word in ("or", "nor")
        if word in NEGATORS and (back <= 3 or listed):
            following = found[i + 1].text if i + 1 < len(found) else ""
            return following not in _NOT_NEGATING_NEXT or i + 1 == first
    return False


def _sentence(text: str, start: int, end: int) -> Tuple[int, int]:
    """The bounds of the sentence holding text[start:end]."""
    left = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        left = m.end()
    m = _SENTENCE_END.search(text, end)
    right = m.end() if m else len(text)
    return left, right


def _has_phrase(joined: str, phrases: Iterable[str]) -> bool:
    padded = f" {joined} "
    return any(f" {p} " in padded for p in phrases)


def mode_of(text: str, start: int, end: int, topics: Sequence[Tuple[int, int]] = ()) -> str:
    """Whether the sign at text[start:end] is happening, only asked about, or negated.

    `topics` are where the text names a cancer, a site or metastasis (KB mentions).
    """
    left, right = _sentence(text, start, end)
    sentence = [_Word(w.text, w.start + left, w.end + left) for w in words(text[left:right])]
    # A joined negation that overlaps the sign belongs to it ("is not breathing": "isnt" spans
    # "is not", the sign "not breathing")
    inside = [i for i, w in enumerate(sentence) if w.end > start and w.start < end]
    if not inside:
        return HAPPENING
    first, last = inside[0], inside[-1]
    after = sentence[last + 1].text if last + 1 < len(sentence) else ""
    if _negated(text, sentence, first) or after == "free":
        return NEGATED
    texts = [w.text for w in sentence]
    others = [t for i, t in enumerate(texts) if i not in inside]
    before = texts[:first]
    near = set(texts[max(0, first - 4) : first] + texts[last + 1 : last + 5])
    if NOW & set(others) or _has_phrase(" ".join(texts), NOW_PHRASES) or _RECENTLY.search(fold(text[left:right])):
        return HAPPENING
    if HYPOTHETICAL & set(before) or _has_phrase(" ".join(before), HYPOTHETICAL_PHRASES):
        return ASKING
    clause = _clause_start(text, sentence, first)
    clause_end = _clause_end(text, sentence, last)
    while clause < first and texts[clause] in LEAD_IN:
        clause += 1
    lead = texts[clause] if clause < len(texts) else ""
    in_clause = set(t for i, t in enumerate(texts) if i >= clause and i not in inside)
    general = bool(GENERIC & in_clause) or any(
        sentence[clause].start <= s and e <= clause_end for s, e in topics
    )
    if (
        LONG_AGO.search(fold(text[sentence[clause].start : clause_end]))
        or POSSIBLE_BEFORE & set(texts[max(0, first - 3) : first])
        or after in GENERAL_AFTER
        or " ".join(texts[last + 1 : last + 3]) in ("first aid", "action plan")
        or first > 0 and texts[first - 1] in ("what", "which")  # "what temperature should I worry about"
        or lead in MODAL_START and general
        or NOBODY_IN_PARTICULAR & set(texts[clause:first])
    ):
        return ASKING
    if WEAK_NOW & set(others) or NEAR_NOW & near:
        return HAPPENING
    if _presence(texts, first):
        return HAPPENING
    if _has_phrase(" ".join(before), WORRY_PHRASES):
        return ASKING
    personal = bool(PERSONAL & (set(others) | {texts[i] for i in inside}))
    if lead in QUESTION_START:
        if general or not PERSONAL & in_clause or lead in MODAL_START and not _possessed(texts, first):
            return ASKING
        return HAPPENING
    question = text[left:right].rstrip().endswith("?")
    if question and general and not PERSONAL & in_clause:
        return ASKING
    if personal:
        return HAPPENING
    return ASKING if GENERIC & set(others) else HAPPENING


def looks_like_question(text: str) -> bool:
    """Whether a message asks rather than tells: a "?" or a question word opening a sentence."""
    if "?" in text:
        return True
    for match in re.finditer(r"[^.!\n]+", text):
        found = [w.text for w in words(match.group())]
        while found and found[0] in LEAD_IN:
            found.pop(0)
        if found and found[0] in QUESTION_START:
            return True
    return False


def _presence(texts: Sequence[str], first: int) -> bool:
    window = texts[max(0, first - 4) : first]
    return bool(PRESENCE & set(window)) and bool(PERSONAL & set(window))


def _clause_end(text: str, sentence: Sequence[_Word], last: int) -> int:
    """Where the clause that holds word `last` ends in the text."""
    for i in range(last + 1, len(sentence)):
        if _CLAUSE_BREAK.search(text[sentence[i - 1].end : sentence[i].start]):
            return sentence[i - 1].end
    return sentence[-1].end


def _clause_start(text: str, sentence: Sequence[_Word], first: int) -> int:
    """The index of the first word of the clause that holds word `first`."""
    for i in range(first, 0, -1):
        between = text[sentence[i - 1].end : sentence[i].start]
        if _CLAUSE_BREAK.search(between) or sentence[i - 1].text in ("but", "though", "although"):
            return i
    return 0


def _possessed(texts: Sequence[str], first: int) -> bool:
    """"his confusion", "her yellow eyes": the sign is already someone's, so it exists."""
    return any(t in {"my", "his", "her", "their", "our"} for t in texts[max(0, first - 2) : first])


def red_flags(
    kb_flags: Sequence[RedFlag], text: str, lexicon: Lexicon, note_signs: Iterable[str] = ()
) -> Tuple[Tuple[FlagMention, ...], Tuple[Tuple[str, str], ...]]:
    """Every red flag the text raises, each with the strongest mode it is raised in; and every
    sign of a flag mentioned, with its own mode."""
    mentions = lexicon.find(text, ("symptom", "treatment", "concept") + TOPIC_KINDS, overlapping=True)
    treatments = frozenset(m.id for m in mentions if m.kind == "treatment")
    topics = [
        (m.start, m.end) for m in mentions
        if m.kind in TOPIC_KINDS or (m.kind == "concept" and m.id in TOPIC_CONCEPTS)
    ]
    members = {s for flag in kb_flags for s in flag.symptoms} | set(note_signs)
    by_mode: Dict[str, Dict[str, Tuple[int, int]]] = {HAPPENING: {}, ASKING: {}, NEGATED: {}}
    signs: Dict[str, str] = {}
    for m in mentions:
        if m.kind == "symptom":
            mode = mode_of(text, m.start, m.end, topics)
            by_mode[mode].setdefault(m.id, (m.start, m.end))
            if m.id in members:
                signs.setdefault(m.id, mode)
    for sign in _named_apart_by_negation(text, lexicon, members, {m.id for m in mentions}):
        signs.setdefault(sign, NEGATED)
    raised: List[FlagMention] = []
    pools = [
        (HAPPENING, by_mode[HAPPENING]),
        (ASKING, {**by_mode[ASKING], **by_mode[HAPPENING]}),
        (NEGATED, {**by_mode[NEGATED], **by_mode[ASKING], **by_mode[HAPPENING]}),
    ]
    for flag in kb_flags:
        for mode, present in pools:
            if flag.raised_by(frozenset(present), treatments):
                spans = [present[s] for s in flag.symptoms if s in present]
                raised.append(FlagMention(
                    flag, mode, tuple(s for s in flag.symptoms if s in present),
                    min(s for s, _ in spans), max(e for _, e in spans),
                ))
                break
    return tuple(raised), tuple(signs.items())


# A negation written inside a sign's words splits it ("his lips aren't blue", "he isn't
# confused"): read again with the negation taken out ("lips are blue", "is confused"), such a
# sign counts as mentioned and negated. It gets the one line on urgent help, never the alarm.
_UNSPLIT = {"arent": "are", "isnt": "is", "wasnt": "was", "werent": "were", "havent": "have",
            "hasnt": "has", "hadnt": "had", "doesnt": "does", "didnt": "did", "dont": "do"}
_DROPPED = frozenset({"not", "no", "never", "any"})


def _named_apart_by_negation(text: str, lexicon: Lexicon, members: Iterable[str], found: Iterable[str]) -> List[str]:
    found_words = words(text)
    if not NEGATORS & {w.text for w in found_words}:
        return []
    unsplit = " ".join(_UNSPLIT.get(w.text, w.text) for w in found_words if w.text not in _DROPPED)
    known, wanted = set(found), set(members)
    return [m.id for m in lexicon.find(unsplit, ("symptom",), overlapping=True) if m.id in wanted and m.id not in known]


def triage(
    text: str, crisis: CrisisMatcher, flags: Sequence[RedFlag], lexicon: Lexicon, note_signs: Iterable[str] = ()
) -> Triage:
    raised, signs = red_flags(flags, text, lexicon, note_signs)
    return Triage(crisis.find(text), raised, signs)


def safety_excerpt(text: str, result: Triage, keep: int, limit: int) -> Optional[str]:
    """The sentences after `keep` characters that hold a crisis cue or a sign not negated.

    A channel that must cut a long post keeps these, so an emergency in its last lines is read.
    At most `limit` characters; None when there is nothing past the cut.
    """
    parts: List[str] = []
    size = 0
    seen = set()
    for start, end in result.spans:
        if end <= keep:
            continue
        bounds = _sentence(text, start, end)
        if bounds in seen:
            continue
        seen.add(bounds)
        sentence = text[bounds[0] : bounds[1]].strip()
        if size + len(sentence) + 1 > limit:
            break
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts) if parts else None


# Safety rule 4: a question asking for a verdict on the person's own case ("has it spread?",
# "could this be cancer?", "do I have mets?"). Phrasing, not medical vocabulary, so it lives here.
_WHO = r"(i|we|he|she|they|my \w+|his \w+|her \w+|mum|mom|dad|mine)"
_WHAT = r"(cancer|mets?|metastas\w*|metastatic|secondar\w*|tumou?rs?|spread\w*|malignant)"
# "has it gone to his bones?" asks about a spread; "is it too small to see, or has it gone?" asks
# whether a tumour has disappeared.
_GONE_ON = r"gone(?=\s+(to|into|in|on|further|elsewhere|somewhere|anywhere))"
_VERDICT = re.compile(
    r"\b(do|could|might|may|would)\s+" + _WHO + r"\s+(have|has|got)\b.{0,40}\b" + _WHAT
    + r"|(?<!why )\b(has|did|could|is|might|have)\s+(it|the cancer|my cancer|his cancer|her cancer|mine|the tumou?r)\s+"
    r"(already\s+)?(spread|come back|came back|returned|" + _GONE_ON + r"|moved|travell?ed|metastasi[sz]ed)"
    + r"|\b(could|can|might|would)\s+(it|this|that|these|they|the lump|this lump)\s+be\s+(a\s+)?" + _WHAT
    + r"|\bis\s+(it|this|that|the lump|this lump)\s+(a\s+)?" + _WHAT
    + r"|\b(tell|know|say)\s+(me\s+)?(if|whether)\s+" + _WHO + r"\b.{0,40}\b" + _WHAT
    # "can you tell from what I've described whether it has spread", "... if it's in his liver"
    + r"|\b(can|could) you (tell|say)\b.{0,40}\b(if|whether)\s+(it|its|it's|i|he|she|this|that|the cancer|"
    r"my \w+|his \w+|her \w+)\b.{0,40}\b(" + _WHAT[1:-1] + r"|in (my|his|her) \w+)"
    # "are these likely to be melanoma mets?", "could my swollen belly be liver mets?"
    + r"|\b(are|is)\s+(these|those|they|the (lesions?|spots?|shadows?|lumps?|nodules?))\s+(likely|probably|definitely)?\s*"
    r"(to be\s+)?(a\s+)?(\w+\s+)?" + _WHAT
    + r"|\b(could|can|might|would)\s+(my|his|her|this|that|the)\s+\w+(\s+\w+)?\s+be\s+(a\s+)?(\w+\s+)?" + _WHAT
    # "could the cancer have come back?", "do you think it's gone into his bones?"
    + r"|\b(do you think|could|might|may|would)\s+(it|it's|its|the cancer|my cancer|his cancer|her cancer)\s+"
    r"(have\s+|has\s+|is\s+)?(already\s+)?(spread|come back|came back|returned|" + _GONE_ON + r"|moved|travell?ed|metastasi[sz]ed)"
    # "does that mean it's in my brain now?", "does X mean my cancer has spread?"
    + r"|\bdoes\s+[\w\s]{1,40}?\s+mean\s+(that\s+)?(it's|its|it is|it has|my cancer|his cancer|her cancer|the cancer)"
    r"\s+(has\s+|is\s+)?(already\s+)?(spread|come back|returned|in (my|his|her) \w+)"
    # "am i stage 4?"
    + r"|\b(am i|is (he|she|mum|mom|dad|my \w+|his \w+|her \w+)|are (we|they))\s+(at\s+)?stage\s+(4|iv|four)\b",
    re.I,
)


def asks_for_verdict(text: str) -> bool:
    """Whether a message asks whether the writer, or someone they write about, has cancer or a
    spread ("has it come back and spread?"). The answer is never a verdict (safety rule 4)."""
    return bool(_VERDICT.search(text))


# A question about which signs to watch for ("what are the red flags?", "when is it an
# emergency?") ends with the line on urgent help even when it names no sign (safety rule 2).
_WATCH_FOR = re.compile(
    r"\b(red flags?|warning signs?|danger signs?|watch (out )?for|look(ing)? out for|keep an eye (out )?(on|for)|"
    r"emergenc(y|ies)|urgent|go to (a&e|the er|hospital)|call an ambulance|when (should|do|to) (i|we|you) (call|ring|go))\b",
    re.I,
)


def asks_what_to_watch_for(text: str) -> bool:
    """Whether a message asks which signs need urgent help (it may name none of them)."""
    return looks_like_question(text) and bool(_WATCH_FOR.search(text))


# A question about which changes to tell the care team about, or which show a cancer getting
# worse ("what should we let the nurses know about?", "how would we know it is progressing?"):
# the articles answer it with their general lists of signs, whatever cancer the person has.
_TO_REPORT = re.compile(
    r"\b(report|reporting|mention|flag up|let (the|my|his|her|our) \w+ know|"
    r"(tell|ring|phone|call|contact) (the|my|his|her|our|your) (team|doctors?|docs?|nurses?|onc\w*|gp|specialists?|consultant)|"
    r"worth (ringing|calling|phoning|telling)|"
    r"(getting|gets|got|get|going) worse|worsening|progress(ing|es|ed|ion)?|spreading (further|more)|on the move|"
    r"watch (out )?for|look(ing)? out for|keep an eye (out )?(on|for))\b",
    re.I,
)


def asks_what_to_report(text: str) -> bool:
    """Whether a question asks which signs to tell the care team about or watch for."""
    return looks_like_question(text) and bool(_TO_REPORT.search(text))
