"""The lexicon on its own: folding, stemming, typo limits, protected words, misspelling aliases.

Most tests use a tiny hand-made Lexicon so each rule is seen in isolation; the common-word tests
also run against the real knowledge base, where a false correction would do harm.
"""

import pytest

from actions.knowledge import Lexicon
from actions.knowledge.lexicon import LONG_WORD, MIN_CORRECTABLE, allowed_edits, fold, stem, tokens

FORMS = [
    ("cancer_type", "breast", "breast cancer", False),
    ("cancer_type", "breast", "breast", False),
    ("cancer_type", "breast", "breast carcinoma", False),
    ("cancer_type", "breast", "brest cancer", True),
    ("cancer_type", "breast", "brst cancer", True),
    ("cancer_type", "lung_cancer", "lung cancer", False),
    ("cancer_type", "lung_cancer", "lung cancr", True),
    ("cancer_type", "melanoma", "melanoma", False),
    ("body_site", "lung", "lung", False),
    ("body_site", "liver", "liver", False),
    ("body_site", "bone", "bone", False),
    ("symptom", "fever", "fever", False),
    ("symptom", "breathing", "can't walk", False),
    ("diagnostic_test", "bone_scan", "bone scan", False),
    ("concept", "metastasis", "metastasis", False),
    ("treatment", "chemotherapy", "chemotherapy", False),
]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(FORMS)


def found(lexicon, text, **kwargs):
    return [(m.kind, m.id, m.text) for m in lexicon.find(text, **kwargs)]


# -- folding and tokens -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, folded",
    [
        ("MÉLANOMA", "melanoma"),
        ("Naïve Café", "naive cafe"),
        ("Mum’s", "mum's"),
        ("can‘t `x´", "can't 'x'"),
        ("Ärger über Öl", "arger uber ol"),
        ("plain text", "plain text"),
    ],
)
def test_fold_lowercases_strips_accents_and_straightens_apostrophes(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("text", ["MÉLANOMA à l’hôpital", "ﬁ ½ ß İ 🙂 Œ", "ÅNGSTRÖM e\u0301", "Ⅻ ㎏ ｆｕｌｌ"])
def test_fold_keeps_one_character_per_character(text):
    assert len(fold(text)) == len(text)


def test_tokens_point_into_the_original_text():
    text = "Mum’s MÉLANOMA, in 2022!"
    got = list(tokens(text))
    # a contraction stays one word ("mum's" -> "mums", "can't" -> "cant"), so that "can't
    # breathe" and "cant breathe" are one phrase
    assert [t for t, _, _ in got] == ["mums", "melanoma", "in", "2022"]
    assert [text[start:end] for _, start, end in got] == ["Mum’s", "MÉLANOMA", "in", "2022"]


def test_mentions_point_into_the_original_text_with_accents_and_curly_apostrophes(lexicon):
    text = "Ma mère’s MÉLANOMA — and she can’t walk"
    mentions = lexicon.find(text)
    assert [(m.id, m.text) for m in mentions] == [("melanoma", "MÉLANOMA"), ("breathing", "can’t walk")]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text


# -- stems --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "singular, plural",
    [
        ("metastasis", "metastases"),
        ("liver", "livers"),
        ("lung", "lungs"),
        ("biopsy", "biopsies"),
        ("bone", "bones"),
        ("therapy", "therapies"),
        ("tumour", "tumours"),
    ],
)
def test_stem_maps_singular_and_plural_to_one_key(singular, plural):
    assert stem(singular) == stem(plural)


@pytest.mark.parametrize(
    "token, key",
    [
        ("metastases", "metastase"),
        ("metastasis", "metastase"),
        ("biopsies", "biopsy"),
        ("livers", "liver"),
        ("mass", "mass"),  # -ss is not a plural
        ("virus", "virus"),  # nor is -us
        ("ct", "ct"),  # two letters are left alone
        ("us", "us"),
        ("her2s", "her2s"),  # tokens with digits are left alone
    ],
)
def test_stem(token, key):
    assert stem(token) == key


# -- how far a typo may be ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "token, edits",
    [
        ("lung", 0),
        ("bone", 0),
        ("liver", 1),
        ("cancers", 1),
        ("melanoma", 2),
        ("chemotherapy", 2),
        ("her2pos", 0),
    ],
)
def test_allowed_edits_grow_with_word_length(token, edits):
    assert allowed_edits(token) == edits
    assert (MIN_CORRECTABLE, LONG_WORD) == (5, 8)


@pytest.mark.parametrize(
    "surface, expected",
    [
        # exact, case and plural
        ("Breast Cancer", ("cancer_type", "breast")),
        ("BREAST", ("cancer_type", "breast")),
        ("livers", ("body_site", "liver")),
        ("metastases", ("concept", "metastasis")),
        ("melanomas", ("cancer_type", "melanoma")),
        ("Mélanoma", ("cancer_type", "melanoma")),
        # 5 to 7 letters: one edit (a transposition counts as one)
        ("liverr", ("body_site", "liver")),
        ("lievr", ("body_site", "liver")),
        ("fevre", ("symptom", "fever")),
        ("fuvar", None),  # two edits in a five-letter word
        ("feverxx", None),  # two edits in a seven-letter word
        # 8 letters or more: two edits
        ("melenomma", ("cancer_type", "melanoma")),
        ("chemotharapi", ("treatment", "chemotherapy")),
        ("melenommma", None),  # three edits
        ("chemotharapii", None),
        # the first letter is never corrected
        ("bever", None),
        ("kiver", None),
        ("hemotherapy", None),
        # words under five letters must be exact
        ("lugn", None),
        ("bome", None),
        ("fevr", None),
        # unknown words and empty text
        ("xyzzy", None),
        ("", None),
        ("the", None),
    ],
)
def test_resolve_forgives_case_plurals_and_small_typos_only(lexicon, surface, expected):
    assert lexicon.resolve(surface) == expected


def test_typos_are_corrected_inside_phrases(lexicon):
    assert lexicon.resolve("breast cancre") == ("cancer_type", "breast")
    assert lexicon.resolve("bone scann") == ("diagnostic_test", "bone_scan")
    assert lexicon.resolve("bone scna") is None  # "scna" has four letters: no correction
    assert found(lexicon, "a bone scann of the liverr") == [
        ("diagnostic_test", "bone_scan", "bone scann"),
        ("body_site", "liver", "liverr"),
    ]


# -- common words -------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["never", "long", "lives", "Never", "LIVES"])
def test_common_words_are_not_corrected_into_vocabulary(lexicon, kb, word):
    assert lexicon.resolve(word) is None
    assert kb.resolve(word) is None
    assert kb.mentions(f"I {word} think so", kinds=None) == []


def test_common_words_next_to_real_mentions(lexicon, kb):
    text = "I never had a fever, but how long will she live with lung and liver mets? She lives alone."
    assert found(lexicon, text) == [
        ("symptom", "fever", "fever"),
        ("body_site", "lung", "lung"),
        ("body_site", "liver", "liver"),
    ]
    assert [(m.id, m.text) for m in kb.mentions(text)] == [
        ("fever", "fever"), ("lung", "lung"), ("liver", "liver mets"),
    ]


# Common English words that the real KB's typo correction turns into vocabulary today when no
# `protected` words are given, as in kb.mentions, kb.resolve and kb.red_flags_in(text). The NLU
# extractor protects only the words its training data happens to contain. Reported, with a fix (a
# list of common words `_key` never corrects). Strict: when fixed they pass and the marks must go.
COMMON_WORD_FALSE_MENTIONS = [
    ("How is she doing after chemo?", "doing", "end-of-life care ('dying')"),
    ("She lived with it for years", "lived", "liver"),
    ("fewer side effects now", "fewer", "fever"),
    ("we had to paint the room", "paint", "pain"),
    ("what color is the scan", "color", "colon cancer"),
    ("she was scanned yesterday", "scanned", "CT ('scanner')"),
    ("the doctor spoke to us", "spoke", "tobacco ('smoke')"),
    ("the stock market", "market", "tumor markers ('marker')"),
]


@pytest.mark.parametrize(
    "text, word, taken_for",
    [pytest.param(*case, id=case[1]) for case in COMMON_WORD_FALSE_MENTIONS],
)
def test_real_kb_does_not_correct_common_words(kb, text, word, taken_for):
    assert [m.text for m in kb.mentions(text, kinds=None) if m.text == word] == []


# -- protected words ----------------------------------------------------------------------------


def test_protected_words_are_not_corrected(lexicon):
    assert lexicon.resolve("fevre") == ("symptom", "fever")
    assert lexicon.resolve("fevre", protected=frozenset({"fevre"})) is None
    assert found(lexicon, "fevre and liverr", protected=frozenset({"fevre"})) == [("body_site", "liver", "liverr")]


def test_protection_is_matched_on_the_plural_stem_too(lexicon):
    assert lexicon.resolve("fevres", protected=frozenset({"fevre"})) is None


def test_protecting_a_vocabulary_word_does_not_hide_it(lexicon):
    assert lexicon.resolve("fever", protected=frozenset({"fever"})) == ("symptom", "fever")


def test_protected_words_on_the_real_kb(kb):
    """A caller that knows "fewer" is an English word protects it, and no fever is mentioned."""
    assert kb.mentions("fewer side effects", protected=frozenset({"fewer"})) == []
    assert [m.id for m in kb.mentions("fever and fewer", protected=frozenset({"fewer"}))] == ["fever"]


# -- misspelling aliases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "surface",
    ["brest", "brest cancer", "brest carcinoma", "brst", "brst cancer", "brst carcinoma", "BRST Cancers"],
)
def test_listed_misspelling_works_alone_and_in_phrases(lexicon, surface):
    assert lexicon.resolve(surface) == ("cancer_type", "breast")


def test_listed_misspelling_is_found_in_text(lexicon):
    assert found(lexicon, "my mum has brst carcinoma and brest cancer") == [
        ("cancer_type", "breast", "brst carcinoma"),
        ("cancer_type", "breast", "brest cancer"),
    ]


def test_misspelling_alias_is_not_in_the_vocabulary(lexicon):
    assert "breast" in lexicon.vocabulary
    assert "brst" not in lexicon.vocabulary and "brest" not in lexicon.vocabulary


def test_misspelling_alias_maps_only_the_misspelt_word(lexicon):
    """"lung cancr" aliases "cancr" to "cancer"; the real word "lung" keeps its own meaning."""
    assert lexicon.resolve("lung") == ("body_site", "lung")
    assert lexicon.resolve("lung cancr") == ("cancer_type", "lung_cancer")
    assert lexicon.resolve("breast cancr") == ("cancer_type", "breast")
    assert lexicon.resolve("cancr") is None


def test_misspelling_without_a_same_letter_target_stays_its_own_word():
    lexicon = Lexicon([("treatment", "chemo", "chemotherapy", False), ("treatment", "chemo", "kemo", True)])
    assert lexicon.resolve("kemo") == ("treatment", "chemo")
    assert lexicon.resolve("kemo therapy") is None


# -- longest mention wins, kinds filter after overlaps --------------------------------------------


def test_longest_mention_wins_before_kinds_filter(lexicon):
    assert found(lexicon, "a bone scan") == [("diagnostic_test", "bone_scan", "bone scan")]
    assert found(lexicon, "a bone scan", kinds=["body_site"]) == []
    assert found(lexicon, "lung cancer", kinds=["body_site"]) == []
    assert found(lexicon, "breast cancer in the bone", kinds=["body_site"]) == [("body_site", "bone", "bone")]
    assert lexicon.longest == 2  # "can't walk" is two words: the contraction is one


def test_lookup_and_forms(lexicon):
    assert lexicon.lookup(("breast", "cancer")) == ("cancer_type", "breast")
    assert lexicon.lookup(("brest", "cancer")) is None  # keys are post-alias
    assert lexicon.forms == tuple(FORMS)


# -- construction errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ("body_site", "breast_site", "breast", False),
        ("body_site", "bones", "Bones", False),  # same key as "bone" once folded and stemmed
        ("cancer_type", "liver_primary", "LIVERS", False),
        ("symptom", "pain", "brest cancer", True),  # a misspelling another entity already lists
    ],
)
def test_surface_form_shared_by_two_entities_raises(extra):
    with pytest.raises(ValueError, match="names both"):
        Lexicon(FORMS + [extra])


def test_same_entity_may_list_a_form_twice():
    Lexicon(FORMS + [("body_site", "liver", "Livers", False)])


@pytest.mark.parametrize("surface", ["", "---", "’’"])
def test_surface_form_without_words_raises(surface):
    with pytest.raises(ValueError, match="has no words"):
        Lexicon(FORMS + [("body_site", "nowhere", surface, False)])


def test_empty_lexicon_finds_nothing():
    empty = Lexicon([])
    assert empty.resolve("liver") is None
    assert empty.find("liver") == []
    assert empty.longest == 0


def test_folding_plain_ascii_the_short_way_gives_what_the_long_way_gives():
    from actions.knowledge.lexicon import _fold_char, fold
    for text in ["Where does Breast Cancer spread?", "don`t", "MRI/CT & x-ray: 100% (ok)"]:
        assert fold(text) == "".join(_fold_char(c) for c in text)
    assert fold("Crème brûlée’s") == "creme brulee's"
