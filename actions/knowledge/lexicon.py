"""Vocabulary matching that forgives case, plurals and typos.

People write "brest cancer", "livers", "metastisized". Every surface form in the knowledge base
is reduced to a tuple of *keys* (folded, plural-stripped tokens); a message is reduced the same
way, with each unknown token snapped to the nearest vocabulary key when it is one or two edits
away. Matching is then exact on keys. The NLU component (spaCy) and the pure-Python
`Lexicon.find` share these functions, so both agree on what a mention is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar

# A word, with a contraction kept whole ("can't" -> "cant", "mum's" -> "mums"), so that "can't
# breathe" and "cant breathe" are one phrase.
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]{1,2}\b)?")
T = TypeVar("T")
# Typos are corrected only in words long enough for an edit to be unlikely to land on another
# real word, and never in the first letter (the most reliable letter people type).
MIN_CORRECTABLE = 5
MAX_CORRECTABLE = 30
LONG_WORD = 8
# Everyday words one edit from a vocabulary word. They are never "corrected" ("never" is not
# "fever", "lived" is not "liver"); the NLU component adds every word of its training data.
EVERYDAY_WORDS = frozenset("""
    beast being bran brand brandy brawn cancel canceled cancelled cause causes chemist chemical
    color colour colony colonies crane diet diets dining doing drain drains drone fetus fewer
    fiver grain grains lever meditation linen liner lingo litter liven lived lives lover lovers lunch lunge
    market markets mussel never paint paints plain plane river rivers scanned shine shrine
    sister skins skinny spice spin spinach spiral spite spline spoke spoken stage stages
    stem stoma stove temper tempo tested tester testing train trains treat treats tried trust tumble
    child children thirty strike strikes stroked stoke sceptic skeptic grasping conclusion
    conclusions contusion confession parked patched perched
""".split())


def fold(text: str) -> str:
    """Lower-case and strip accents, one output character per input character.

    Keeping the length lets mentions found in the folded text point back into the original.
    Plain ASCII, nearly every message and every KB form, takes the short way (the same result).
    """
    if text.isascii():
        return text.lower().replace("`", "'")
    return "".join(_fold_char(char) for char in text)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in "’‘`´":
        return "'"
    decomposed = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    ).lower()
    return decomposed if len(decomposed) == 1 else char.lower()[:1] or char


def stem(token: str) -> str:
    """Map singular and plural to one key ("metastases"/"metastasis" -> "metastase").

    Only ever compared with other stems, so it need not be a real word.
    """
    if len(token) <= 2 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("is") and len(token) > 5:
        return token[:-2] + "e"
    if token.endswith(("ss", "us")):
        return token
    if token.endswith("s"):
        return token[:-1]
    return token


def tokens(text: str) -> Iterator[Tuple[str, int, int]]:
    """Yield (folded token, start, end) for each word of `text` (contractions joined)."""
    for match in _TOKEN.finditer(fold(text)):
        yield match.group().replace("'", ""), match.start(), match.end()


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (transpositions count as one), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletes(word: str, depth: int) -> set:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def allowed_edits(token: str) -> int:
    """How many edits a token of this length may be away from the word it is taken for.

    None past MAX_CORRECTABLE letters: no word is that long, and the candidates of a long
    "word" (a pasted run of letters) grow with the square of its length.
    """
    if not MIN_CORRECTABLE <= len(token) <= MAX_CORRECTABLE or not token.isalpha():
        return 0
    return 2 if len(token) >= LONG_WORD else 1


def longest_first(spans: Iterable[Tuple[int, int, T]]) -> List[Tuple[int, int, T]]:
    """Non-overlapping spans, longer ones first, then earlier ones; returned in text order.

    The same rule as spaCy's `filter_spans`, so the NLU component and the KB agree.
    """
    chosen: List[Tuple[int, int, T]] = []
    taken: set = set()
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if not taken & set(range(span[0], span[1])):
            chosen.append(span)
            taken.update(range(span[0], span[1]))
    return sorted(chosen, key=lambda s: s[0])


# The owner of an everyday phrase that holds a sign's word in another sense ("otherwise fit"):
# no mention is found inside one, for the NLU and the safety triage alike.
EVERYDAY = ("everyday", "")


@dataclass(frozen=True)
class Mention:
    """A stretch of text that names a knowledge-base entity."""

    kind: str
    id: str
    start: int
    end: int
    text: str


class Lexicon:
    """All surface forms of the knowledge base, keyed for forgiving lookup.

    Args:
        forms: (kind, id, surface form, is a listed misspelling). Two entities may not share a
            surface form.
        everyday: phrases in which a vocabulary word means something else ("otherwise fit",
            "keep fit"): nothing inside them is a mention.
    """

    def __init__(self, forms: Iterable[Tuple[str, str, str, bool]], everyday: Iterable[str] = ()) -> None:
        self._forms: List[Tuple[str, str, str, bool]] = list(forms)
        raw = [tuple(stem(t) for t, _, _ in tokens(form[2])) for form in self._forms]
        proper = frozenset(k for form, key in zip(self._forms, raw) if not form[3] for k in key)
        self._alias = self._aliases(self._forms, raw, proper)
        everyday_keys = [tuple(stem(t) for t, _, _ in tokens(phrase)) for phrase in everyday]
        self.vocabulary: FrozenSet[str] = frozenset(
            self._alias.get(k, k) for key in raw + everyday_keys for k in key
        )
        self._index: Dict[str, set] = {}
        for word in proper:
            if word.isalpha() and len(word) >= MIN_CORRECTABLE - 1:
                for deleted in _deletes(word, 2 if len(word) >= LONG_WORD - 2 else 1):
                    self._index.setdefault(deleted, set()).add(word)
        self.key = lru_cache(maxsize=65536)(self._key)
        self._phrases: Dict[Tuple[str, ...], Tuple[str, str]] = {}
        for (kind, entity_id, surface, _), key in zip(self._forms, raw):
            key = tuple(self._alias.get(k, k) for k in key)
            if not key:
                raise ValueError(f"surface form {surface!r} of {kind} '{entity_id}' has no words")
            owner = self._phrases.setdefault(key, (kind, entity_id))
            if owner != (kind, entity_id):
                raise ValueError(
                    f"surface form {surface!r} names both {owner[0]} '{owner[1]}' "
                    f"and {kind} '{entity_id}'"
                )
        for key in everyday_keys:
            self._phrases.setdefault(key, EVERYDAY)
        self.longest = max((len(key) for key in self._phrases), default=0)

    @staticmethod
    def _aliases(
        forms: Sequence[Tuple[str, str, str, bool]],
        keys: Sequence[Tuple[str, ...]],
        proper: FrozenSet[str],
    ) -> Dict[str, str]:
        """Snap each word of a listed misspelling ("brest") onto the word it misspells.

        The target is the nearest word (at most two edits, same first letter) of the same
        entity's correctly spelt forms, so "brest" alone resolves as "brest cancer" does.
        """
        own: Dict[Tuple[str, str], set] = {}
        for (kind, entity_id, _, misspelt), key in zip(forms, keys):
            if not misspelt:
                own.setdefault((kind, entity_id), set()).update(key)
        alias: Dict[str, str] = {}
        for (kind, entity_id, _, misspelt), key in zip(forms, keys):
            for word in key if misspelt else ():
                if word in proper or word in alias:
                    continue
                ranked = sorted(
                    (_edit_distance(word, target, 2), target)
                    for target in own.get((kind, entity_id), ())
                    if target[:1] == word[:1]
                )
                if ranked and ranked[0][0] <= 2:
                    alias[word] = ranked[0][1]
        return alias

    @property
    def forms(self) -> Sequence[Tuple[str, str, str, bool]]:
        """Every (kind, id, surface form, is a misspelling) the lexicon holds, in KB order."""
        return tuple(self._forms)

    def known(self, token: str) -> bool:
        """Whether a token is vocabulary as written (plural and listed misspellings allowed)."""
        key = stem(token)
        return self._alias.get(key, key) in self.vocabulary

    def _key(self, token: str, protected: FrozenSet[str] = frozenset()) -> str:
        """The vocabulary key a message token stands for (itself when it is not vocabulary)."""
        key = stem(token)
        key = self._alias.get(key, key)
        if key in self.vocabulary or token in EVERYDAY_WORDS or token in protected or key in protected:
            return key
        limit = allowed_edits(key)
        if not limit:
            return key
        best: Optional[Tuple[int, int, str]] = None
        for deleted in _deletes(key, limit):
            for candidate in self._index.get(deleted, ()):
                if candidate[0] != key[0]:
                    continue
                distance = _edit_distance(key, candidate, limit)
                if distance <= limit:
                    rank = (distance, abs(len(candidate) - len(key)), candidate)
                    best = rank if best is None or rank < best else best
        return best[2] if best else key

    def lookup(self, keys: Tuple[str, ...]) -> Optional[Tuple[str, str]]:
        """The (kind, id) whose surface form has exactly these keys, if any."""
        return self._phrases.get(keys)

    def resolve(self, surface: str, protected: FrozenSet[str] = frozenset()) -> Optional[Tuple[str, str]]:
        """The (kind, id) a whole phrase names, forgiving case, plurals and typos."""
        keys = tuple(self.key(token, protected) for token, _, _ in tokens(surface))
        return self._phrases.get(keys)

    def _candidates(
        self, text: str, protected: FrozenSet[str]
    ) -> Tuple[List[Tuple[str, int, int]], List[Tuple[int, int, Tuple[str, str]]]]:
        """The text's tokens, and every (first token, end token, owner) phrase match."""
        found = list(tokens(text))
        keys = [self.key(token, protected) for token, _, _ in found]
        matches = []
        for i in range(len(found)):
            for size in range(1, min(self.longest, len(found) - i) + 1):
                owner = self._phrases.get(tuple(keys[i : i + size]))
                if owner:
                    matches.append((i, i + size, owner))
        return found, matches

    def find(
        self,
        text: str,
        kinds: Optional[Iterable[str]] = None,
        protected: FrozenSet[str] = frozenset(),
        overlapping: bool = False,
    ) -> List[Mention]:
        """Every mention in `text` in text order; where mentions overlap the longest wins.

        Overlaps are settled before `kinds` filters, so "bone scan" never yields a site "bone".
        With `overlapping`, every mention at every word is kept ("muscle weakness on one side"
        names muscle weakness and weakness on one side): for safety checks, where a longer
        mention must never hide a red flag inside it.
        """
        found, matches = self._candidates(text, protected)
        everyday = [(first, end) for first, end, owner in matches if owner == EVERYDAY]
        matches = [
            m for m in matches
            if m[2] != EVERYDAY and not any(first <= m[0] and m[1] <= end for first, end in everyday)
        ]
        return self._mentions(text, found, matches if overlapping else longest_first(matches), kinds)

    @staticmethod
    def _mentions(text, found, matches, kinds) -> List[Mention]:
        wanted = set(kinds) if kinds is not None else None
        mentions = []
        for first, end, (kind, entity_id) in matches:
            if wanted is None or kind in wanted:
                start, stop = found[first][1], found[end - 1][2]
                mentions.append(Mention(kind, entity_id, start, stop, text[start:stop]))
        return mentions
