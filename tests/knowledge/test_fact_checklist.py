"""The articles' facts, one by one: each is in the knowledge base, cites the right article, and
says what the cited section of that article says.

Every item is (key phrase, ..., article key). An item holds when

1. one statement of the KB holds every key phrase (case-insensitive) and cites that article, and
2. every statement it matches cites a section of that article whose text (the copy in
   ../shared/seeds/, or $SEEDS_DIR) holds every key phrase too, once the article is read in the
   KB's plain words (REWORDED below: each rewording with its reason).

Statements are the facts of `kb.all_facts()` plus the structured parts rendered as text: where a
cancer spreads ("breast cancer: most often: bone, lung"), which symptom an article links to a site
("brain: seizures"), the general sign lists ("signs that may indicate the progression: fatigue"),
statistics with their scope and risk factors with their name. A rendered statement's parts ("brain", "seizures")
are looked up in the section one by one.

Every statement must be matched by an item (so every fact has a key phrase), and every figure a
statement gives must be in its cited section. Each check is one test that lists every row that
fails, not one test per row.

Key phrases use the words the KB and the article share; where the KB says it in plainer words
(reading grade 8), REWORDED maps the article's wording to the KB's. The items follow the
articles' order, section by section.
"""

import os
import re
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pytest
import yaml

from actions.knowledge import KnowledgeBase, load
from actions.knowledge.loader import DEFAULT_DIR
from actions.knowledge.schema import Source
from tests.support.servers import REPO, unavailable

CR, VW = "carenity", "verywell"

CHECKLIST: List[Tuple[str, ...]] = [
    # -- Carenity: opening figures --------------------------------------------------------------
    ("second leading cause of death", "European Union", "cardiovascular disease", CR),
    ("1.9 million", "new cancer cases", "2022", CR),
    ("40%", "preventable", CR),
    # -- What metastasis is ---------------------------------------------------------------------
    ("spread from the part of the body where it started", "primary site", VW),
    ("Almost all types of cancer", "individual factors", VW),
    ("90%", "cancer deaths", VW),
    ("area of cancer research", VW),
    ("mutation", "malignant tumor", CR),
    ("grow into the tissues around it", "spread to other organs", CR),
    ("lymph vessels or blood vessels", "metastasis, or secondary tumor", CR),
    ("blood vessels", "another part of the body", CR),
    ("most often develop in the lungs, liver, bones and brain", CR),
    # -- Naming ---------------------------------------------------------------------------------
    ("keeps the name of the original cancer", VW),
    ("breast cancer that spreads to the liver", "metastatic breast cancer, not liver cancer", VW),
    ("started in the breast", "treated as breast cancer", VW),
    ("always defined by the tissue it started in", CR),
    ("does not become bone cancer", "still lung cancer", CR),
    ("locations of the same tumor", CR),
    # -- Why some cancers spread (Carenity) ------------------------------------------------------
    ("the risk of", "type of cancer", "size and place of the tumor", "how fast it grows",
     "how likely it is to spread", "how long it has been in the body", CR),
    ("Almost all cancers can", "except", "some skin cancers", CR),
    ('"preferred"', CR),
    ("Some cancers never spread", "spread a lot", CR),
    # -- Where each cancer spreads: Verywell's table, row by row; Carenity's two statements --------
    ("breast cancer", "main sites of metastasis", "bone, brain, liver, lung", VW),
    ("colon cancer", "main sites of metastasis", "liver, lung, peritoneum", VW),
    ("lung cancer", "main sites of metastasis", "adrenal gland, bone, brain, liver", "other lung", VW),
    ("melanoma", "main sites of metastasis", "bone, brain, liver, lung, skin, muscle", VW),
    ("prostate cancer", "main sites of metastasis", "adrenal gland, bone, liver, lung", VW),
    ("stomach cancer", "main sites of metastasis", "liver, lung, peritoneum", VW),
    ("lung cancer", "most often", "lymph nodes", CR),
    ("breast cancer", "most often", "bone, lung", CR),
    # -- Skin cancers ---------------------------------------------------------------------------
    ("basal cell", "hardly ever spreads", VW),
    ("basal cell skin carcinoma", "most common skin cancer", VW),
    ("melanoma", "rarer skin cancer", "often spreads", "treated in time", VW),
    # -- Types of metastatic cancer (Verywell) ---------------------------------------------------
    ("Metastatic breast cancer", "stage IV breast cancer", VW),
    ("tumor in the breast", "to other parts of the body", VW),
    ("6%", "breast cancer", "metastatic disease", VW),
    ("150,000", "breast cancer survivors", "living with metastatic disease", VW),
    ("75%", "stage I-III", VW),
    ("Nearly 40%", "newly diagnosed with lung cancer", "metastatic disease", VW),
    ("5-year relative survival", "lung cancer", "19% overall", VW),
    ("16% for men", "23% for women", VW),
    ("Most primary brain tumors", "central nervous system", VW),
    ("nearly 1 in 4", "150,000 people a year", VW),
    ("Up to 40%", "lung cancer", "brain", VW),
    ("Primary bone cancer is rare", VW),
    ("less than 1%", "new cancers", VW),
    ("3,450", "2018", "primary bone cancer", "United States", VW),
    ("spread to the bone", "much more common than", VW),
    ("280,000", "18-64", "end of 2008", "United States", VW),
    # -- Cancer of unknown primary ---------------------------------------------------------------
    ("unknown primary origin (CUP)", "rare disease", VW),
    ("place the cancer began is not known", VW),
    ("cannot find where", "first began to grow", VW),
    ("3%", "never found", VW),
    # -- Site symptoms: Carenity -----------------------------------------------------------------
    ("bone: bone pain", CR),
    ("bone: fractures", CR),
    ("bone: vertebral compression", CR),
    ("bone: hypercalcaemia", CR),
    ("wide variety of symptoms", "area of the brain", CR),
    ("brain: nausea", CR),
    ("brain: vomiting", CR),
    ("brain: dizziness", CR),
    ("brain: poor concentration", CR),
    ("brain: muscle weakness", CR),
    ("brain: hemiplegia", CR),
    ("lung: pain", CR),
    ("lung: persistent cough", CR),
    ("lung: shortness of breath", CR),
    ("lung: breathing difficulties", CR),
    ("lung: coughing up blood", CR),
    ("liver: heaviness and pain in the liver", CR),
    ("liver: fever", CR),
    ("liver: jaundice", CR),
    ("symptoms of metastases vary", "the organ affected", CR),
    ("very soon after the first diagnosis", "several years", CR),
    # -- Site symptoms: Verywell -----------------------------------------------------------------
    ("does not always cause symptoms", VW),
    ("bone: pain", VW),
    ("bone: fractures", VW),
    ("brain: headache", VW),
    ("brain: seizures", VW),
    ("brain: dizziness", VW),
    ("lung: shortness of breath", VW),
    ("liver: jaundice", VW),
    ("liver: swelling in the belly", VW),
    # -- General signs of progression (Carenity) -------------------------------------------------
    ("signs that may indicate the progression: fatigue", CR),
    ("signs that may indicate the progression: pain", CR),
    ("signs that may indicate the progression: loss of appetite", CR),
    ("signs that may indicate the progression: headache", CR),
    ("signs that may indicate the progression: mood swings", CR),
    ("signs that may indicate the progression: abnormal bleeding", CR),
    ("other signs", "fatigue, pain, loss of appetite, headaches, mood swings and abnormal bleeding", CR),
    # -- Tell your healthcare provider if... (Verywell) ------------------------------------------
    ("tell your healthcare provider: unexplained aches and pains", VW),
    ("tell your healthcare provider: unusual lump or swelling", VW),
    ("tell your healthcare provider: persistent", "cough", VW),
    ("persistent, worsening cough", VW),
    ("tell your healthcare provider: unintentional weight loss", VW),
    ("Not every person with cancer has symptoms", VW),
    ("spotting cancer early saves lives", VW),
    ("anything that isn't normal for you", VW),
    # -- When metastases are found (Carenity) ----------------------------------------------------
    ("3 different moments", CR),
    ("when the primary tumor", "synchronous metastases", CR),
    ("Months or years later", "affect another organ", "metachronous metastases", CR),
    ("the cause of symptoms", CR),
    # -- Diagnosis: Carenity ---------------------------------------------------------------------
    ("clinical exam", "blood and urine", "medical imaging", "tumor markers", CR),
    ("ultrasound, CT scan, X-ray, scintigraphy, PET scan", CR),
    ("clinical exam", CR),
    ("blood and urine", CR),
    ("search for tumor markers", CR),
    ("ultrasound", "imaging", CR),
    ("CT scan", "imaging", CR),
    ("X-ray", "imaging", CR),
    ("scintigraphy", "imaging", CR),
    ("PET scan", "imaging", CR),
    ("biopsy that", "confirms", "tumor cells", CR),
    ("hard to find early", "in remission", "no routine exam", "dormant", CR),
    ("in remission", "no routine exam", CR),
    # -- Diagnosis: Verywell, test by test -------------------------------------------------------
    ("no one test", "different things", VW),
    ("type of primary cancer", "symptoms that need to be", VW),
    ("liver enzymes", "routine blood tests", VW),
    ("often normal", "advanced disease", VW),
    ("tumor markers", "after it has been diagnosed", "levels rise", VW),
    ("ultrasound", "fluid in the belly", "fluid-filled", "pelvis", VW),
    ("CT scan", "head, neck, chest", VW),
    ("with contrast", "lymph nodes, lungs, liver", VW),
    ("MRI", "spinal cord", "vertebra", "brain metastases", VW),
    ("bone scan", "nuclear imaging", "radioactive material", "whole body", VW),
    ("PET scan", "mildly radioactive drug", "more active than normal", VW),
    ("whether", "cancer has spread", VW),
    ("biopsy", "main way", "microscope", VW),
    ("type of biopsy", "depends on where the possible tumor is", VW),
    # -- Treatment in general ----------------------------------------------------------------------
    ("the treatment of metastatic cancer depends on", CR),
    ("adjuvant treatment", "safety measure", "recurrence", CR),
    ("keep the features of the primary tumor", "strategies", CR),
    ("resection surgery", "remove all or part of an organ or tissue", CR),
    ("Chemotherapy, hormone therapy and targeted therapies", "tumor cells", CR),
    ("Immunotherapy", "immune system", CR),
    ("control it by stopping or slowing its growth", "rather than", VW),
    ("how fast the cancer grows", "how far it has spread", "how it responds to treatment", VW),
    ("chemotherapy, radiotherapy, immunotherapy or surgery", VW),
    ("treated in specific ways", VW),
    # -- Treatment per site ----------------------------------------------------------------------
    ("brain metastases", "only options are radiotherapy and surgery", CR),
    ("number of tumors", "surgery (in very specific cases)", "radiation therapy", "gamma knife surgery",
     "chemotherapy", "steroids", VW),
    ("gamma knife surgery", VW),
    ("steroids", VW),
    ("bone metastases", "danger of breaking", "monitored", "drug therapy", VW),
    ("pain or the bone is fragile", "radiation", VW),
    ("cementoplasty", "cement into the bone or vertebrae", "pain", CR),
    ("treatment of lung metastases depends on", "primary cancer", VW),
    ("thoracentesis", "fluid", "breathing easier", VW),
    ("liver metastases", "number and size", VW),
    ("same drugs", "primary cancer", VW),
    # -- How and why cancer spreads ----------------------------------------------------------------
    ("several steps to spread", VW),
    ("break away from the", "bloodstream or lymph system", VW),
    ("attach to the wall of a blood or lymph vessel", VW),
    ("grow and thrive", VW),
    ("avoid attacks from the body's immune system", VW),
    ("describe how it spreads, but not why", VW),
    ("genes that control", "grow and divide", VW),
    ("Inherited", "5 to 10%", VW),
    ("still poorly understood", "very early", CR),
    ("dormant", "knowing why", CR),
    ("finding early the cells linked to a poor outlook", CR),
    ("circulating", "targeted treatment", CR),
    # -- Stage 4 / generalised cancer --------------------------------------------------------------
    ("generalised cancer", "stage 4 cancer", "life-threatening", CR),
    # -- Risk factors (Verywell) -----------------------------------------------------------------
    ("Limiting your exposure to avoidable risk factors", VW),
    ("age", "One-quarter", "65 to 74", VW),
    ("alcohol", "mouth, throat, esophagus, larynx, liver and breast", "The more you drink", VW),
    ("weakened immune system", "Transplant recipients", "HIV/AIDS", VW),
    ("obese", "breast, colon, rectum, endometrium, esophagus, kidney, pancreas and gallbladder", VW),
    ("90%", "non-melanoma skin cancers", "ultraviolet (UV)", VW),
    ("20% of all cancers", "30% of all cancer deaths", "United States", VW),
    # -- Prognosis and living with metastases ------------------------------------------------------
    ("grow faster than the primary cancer", "resist", CR),
    ("lung cancer, melanoma and HER2 breast cancer", "new technologies", CR),
    ("new technologies", "HER2 breast cancer", CR),
    ("new technologies", "lung cancer", CR),
    ("new technologies", "melanoma", CR),
    ("rare to cure metastases", "not curable", "it is treatable", CR),
    ("live a long time with metastases", CR),
    ("shrink metastases", "limit their", CR),
    ("ongoing", "quality of life", CR),
    ("Pain management and supportive care", "quality of life", CR),
    ("can be cured", "treatment does not cure", "months or years", VW),
    ("well enough", "palliative care", "treat the disease itself", VW),
    ("can no longer be controlled", "end-of-life care", VW),
    ("at home and", "nursing facilities", VW),
    ("Hospice care is one model of end-of-life care", VW),
    # -- Coping (Verywell) -----------------------------------------------------------------------
    ("Coping with emotions and lifestyle challenges", VW),
    ("Learning about metastasis", "basic information", VW),
    ("Speaking with someone", "mental health professional", VW),
    ("Managing stress", "meditation and yoga", VW),
    ("Finding meaning", "hospital chaplain", "religious leader", VW),
    # -- A Word From Verywell: guidance ----------------------------------------------------------
    ("slow its growth and reduce symptoms", VW),
    ("ask your healthcare provider about the goals of treatment", VW),
    ("goals may change", VW),
    ("Side effects", "managed", "healthcare team", VW),
]


# How the KB words what the article says, applied to the article's text before the key phrases
# are looked for in it: (article's wording, the KB's plain wording, why). Plain language is the
# KB's rule (tests/actions/test_every_turn.py: reading grade 8); each entry is one such choice.
REWORDED: List[Tuple[str, str, str]] = [
    ("metastasized", "spread", "the KB says 'spread' for the verb throughout (plain language)"),
    ("metastasize", "spread", "the same"),
    ("metastasise", "spread", "the same, in Carenity's British spelling"),
    ("one in four", "1 in 4", "figures are written as digits"),
    ("breast bone, brain", "breast cancer bone, brain",
     "Verywell's table names the cancer by its organ ('Breast'); the KB names the cancer"),
    ("colon liver, lung", "colon cancer liver, lung", "the same table"),
    ("lung adrenal gland", "lung cancer adrenal gland", "the same table"),
    ("prostate adrenal gland", "prostate cancer adrenal gland", "the same table"),
    ("stomach liver, lung", "stomach cancer liver, lung", "the same table"),
    ("to the bones or lungs", "to the bone, lung",
     "the KB lists sites by their singular names, as Verywell's table does"),
    ("lymphatic vessels", "lymph vessels", "plain word"),
    ("spread into the tissues or structures around it", "grow into the tissues around it",
     "the KB keeps 'spread' for spreading to other organs, the article's next sentence"),
    ("given the same name as", "keeps the name of", "plain verb"),
    ("the treatment used is for breast cancer", "is treated as breast cancer", "plain verb"),
    ("defined by its tissue of origin", "defined by the tissue it started in", "plain words for 'origin'"),
    ("the size of the tumor and its location", "the size and place of the tumor", "shorter"),
    ("very quickly after the initial diagnosis", "very soon after the first diagnosis",
     "'initial' is 'first'; 'very soon', since the article means time, not speed"),
    ("3 different stages", "3 different moments", "'stages' would be read as cancer stages"),
    ("difficult to diagnose metastases at an early stage", "hard to find early", "plain words"),
    ("no systematic examination", "no routine exam", "plain words"),
    ("fluid in the abdomen", "fluid in the belly", "'belly' for 'abdomen' (the KB adds '(abdomen)')"),
    ("retain the characteristics", "keep the features", "plain words"),
    ("describe the process of cancer metastasis but do not explain why",
     "describe how it spreads, but not why", "plain words"),
    ("early detection of cells associated with poor prognosis",
     "finding early the cells linked to a poor outlook", "plain words for 'detection', 'prognosis'"),
    ("progress more rapidly", "grow faster", "plain words"),
    ("regress metastases", "shrink metastases", "plain word for 'regress'"),
    ("rate of growth", "how fast the cancer grows", "plain words"),
    ("the extent of cancer spread", "how far it has spread", "plain words for 'extent'"),
]

# Sections whose heading the copy in ../shared/seeds lost (sources.yml `sections_named_by_topic`):
# the words each one starts with.
UNTITLED_STARTS = {
    ("verywell", "Causes"): "For decades, scientists",
    ("verywell", "Diagnosis"): "There is no one test",
    ("verywell", "Ultrasound"): "An ultrasound scan",
    ("verywell", "Biopsy"): "A biopsy is the main way",
    ("verywell", "Treatment"): "Often, the goal of treating",
    ("verywell", "Brain Metastases"): "Depending on the number of tumors",
    ("verywell", "Bone Metastases"): "If the bone metastases",
    ("verywell", "Lung Metastases"): "The treatment of lung metastases",
    ("verywell", "Liver Metastases"): "There are a variety of ways to treat liver",
    ("verywell", "Prognosis"): "In some situations, metastatic cancer can be cured",
    ("verywell", "Coping"): "Coping with emotions",
}
# Where each article's own text ends (the page's chrome follows).
ARTICLE_ENDS = {"carenity": "Was this article helpful", "verywell": "Was this page helpful"}


def plain(text: str) -> str:
    """Lower case, straight quotes and hyphens, single spaces, no serial comma."""
    for fancy, simple in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'),
                          ("\u2013", "-"), ("\u2014", " - ")):
        text = text.replace(fancy, simple)
    text = re.sub(r"\s+", " ", text).lower()
    return re.sub(r", (and|or) ", r" \1 ", text)


def seeds_dir() -> Path:
    """../shared/seeds beside the repository, or $SEEDS_DIR; skip (fail under CI=true) without."""
    candidates = [Path(os.environ["SEEDS_DIR"])] if os.environ.get("SEEDS_DIR") else []
    candidates.append(REPO.parent / "shared" / "seeds")
    for folder in candidates:
        if folder.is_dir():
            return folder
    unavailable(f"the articles' text is not in {' or '.join(map(str, candidates))} "
                "(set SEEDS_DIR to the folder holding the seed files)")


def article_sections(seeds: Path, key: str, sections: Sequence[str]) -> Dict[str, str]:
    """The text of each section of an article, in the KB's plain words (REWORDED)."""
    seed = yaml.safe_load((DEFAULT_DIR / "sources.yml").read_text("utf-8"))["articles"][key]["seed"]
    text = (seeds / seed).read_text("utf-8")
    starts, at = [], 0
    for section in sections:
        if (key, section) in UNTITLED_STARTS:
            found = text.find(UNTITLED_STARTS[key, section], at)
        else:  # the heading on a line of its own
            match = re.compile(r"^[^\S\n]*" + re.escape(section) + r"[^\S\n]*$", re.M).search(text, at)
            found = match.start() if match else -1
        assert found >= 0, f"{seed}: no section {section!r} after character {at}"
        starts.append(found)
        at = found + 1
    end = text.find(ARTICLE_ENDS[key], at)
    assert end > 0, f"{seed}: no end marker {ARTICLE_ENDS[key]!r}"
    out = {}
    for section, start, stop in zip(sections, starts, starts[1:] + [end]):
        body = plain(text[start:stop])
        for article_words, kb_words, _ in REWORDED:
            body = body.replace(plain(article_words), plain(kb_words))
        out[section] = body
    return out


@pytest.fixture(scope="module")
def articles(kb) -> Dict[str, Dict[str, str]]:
    seeds = seeds_dir()
    return {key: article_sections(seeds, key, article.sections) for key, article in kb.articles.items()}


def statements(kb: KnowledgeBase) -> List[Tuple[str, Source]]:
    """Every (text, source) the KB holds: its facts, and its structured parts rendered as text."""
    found = [(fact.text, fact.source) for _, fact in kb.all_facts()]
    for cancer in kb.cancer_types.values():
        for statement in cancer.spreads_to:
            sites = ", ".join(kb.sites[s].name for s in statement.sites)
            found.append((f"{cancer.name}: {statement.wording}: {sites}", statement.source))
    for site in kb.sites.values():
        for link in site.symptoms:
            found.append((f"{site.name}: {kb.symptoms[link.symptom].name}", link.source))
    for label, signs in (
        ("signs that may indicate the progression", kb.progression_signs),
        ("tell your healthcare provider", kb.tell_your_provider),
    ):
        for symptom in signs.symptoms:
            found.append((f"{label}: {kb.symptoms[symptom].name}", signs.intro.source))
    for stat in kb.statistics_:
        found.append((f"{stat.scope}: {stat.fact.text}", stat.fact.source))
    for risk in kb.risk_factors.values():
        found.append((f"{risk.name}: {risk.fact.text}", risk.fact.source))
    return found


def matches(kb: KnowledgeBase, item: Tuple[str, ...]) -> List[Tuple[str, Source]]:
    *phrases, article = item
    wanted = [plain(p) for p in phrases]
    return [
        (text, source)
        for text, source in statements(kb)
        if source.article == article and all(p in plain(text) for p in wanted)
    ]


def not_in_section(kb: KnowledgeBase, articles: Dict[str, Dict[str, str]],
                   items: Sequence[Tuple[str, ...]] = CHECKLIST) -> List[str]:
    """Every (item, statement) whose key phrases are not all in the statement's cited section."""
    failures = []
    for item in items:
        *phrases, _ = item
        parts = [part for phrase in phrases for part in plain(phrase).split(": ")]
        for text, source in matches(kb, item):
            body = articles[source.article][source.section]
            missing = [part for part in parts if part not in body]
            if missing:
                failures.append(f"{source.article} / {source.section!r} lacks {missing}: {text[:100]!r}")
    return failures


FIGURE = re.compile(r"\d[\d,.]*\d%?|\d%?")
ENUMERATION = re.compile(r"^\d\. ")  # "1. When the primary tumor is found": a list's number


def figures_not_in_section(kb: KnowledgeBase, articles: Dict[str, Dict[str, str]]) -> List[str]:
    failures = []
    for text, source in statements(kb):
        body = articles[source.article][source.section]
        missing = [f for f in FIGURE.findall(ENUMERATION.sub("", text)) if f not in body]
        if missing:
            failures.append(f"{source.article} / {source.section!r} lacks {missing}: {text[:100]!r}")
    return failures


def test_every_item_is_in_the_knowledge_base_with_its_source(kb):
    failures = []
    for item in CHECKLIST:
        *phrases, article = item
        if not matches(kb, item):
            near = [text[:80] for text, _ in statements(kb) if plain(phrases[0]) in plain(text)]
            failures.append(f"no statement citing {article!r} holds all of {phrases}; "
                            f"statements holding {phrases[0]!r}: {near}")
    assert failures == [], f"{len(failures)} of {len(CHECKLIST)} items:\n" + "\n".join(failures)


# Facts whose key phrase is in the article, but not in the section they cite: known, reported to
# the KB's owner, and kept here until data/knowledge is fixed (then the test asks to remove them).
# (item, where the article says it)
KNOWN_MISCITED = {
    ("Some cancers never spread", "spread a lot", CR):
        "concepts.yml joins two Carenity sentences under 'What is a metastasis?'; this one is in "
        "'What symptoms do metastases cause? How are they diagnosed?'",
}


def test_every_key_phrase_is_in_the_cited_section_of_the_article(kb, articles):
    failures = not_in_section(kb, articles, [i for i in CHECKLIST if i not in KNOWN_MISCITED])
    assert failures == [], f"{len(failures)} statements:\n" + "\n".join(failures)
    fixed = [item for item in KNOWN_MISCITED if not not_in_section(kb, articles, [item])]
    assert fixed == [], "cited right now: remove them from KNOWN_MISCITED"


def test_every_figure_is_in_the_cited_section_of_the_article(kb, articles):
    failures = figures_not_in_section(kb, articles)
    assert failures == [], f"{len(failures)} statements:\n" + "\n".join(failures)


def test_every_statement_of_the_knowledge_base_has_a_key_phrase(kb):
    covered = {match for item in CHECKLIST for match in matches(kb, item)}
    missing = [f"{source.article} / {source.section!r}: {text[:100]!r}"
               for text, source in statements(kb) if (text, source) not in covered]
    assert missing == [], f"{len(missing)} statements no item checks:\n" + "\n".join(missing)


def test_every_rewording_is_used_and_has_a_reason():
    seeds = seeds_dir()
    sources = yaml.safe_load((DEFAULT_DIR / "sources.yml").read_text("utf-8"))["articles"]
    raw = "\n".join(plain((seeds / article["seed"]).read_text("utf-8")) for article in sources.values())
    unused = [article for article, _, why in REWORDED if plain(article) not in raw or not why.strip()]
    assert unused == []


def test_every_section_is_found_in_the_article_text(kb, articles):
    empty = [(key, section) for key, sections in articles.items()
             for section, body in sections.items() if len(body) < 2 * len(section) + 20]
    assert empty == []
    assert set(articles) == set(kb.articles)


def test_checklist_has_at_least_80_items():
    assert len(CHECKLIST) >= 80


def test_checklist_items_are_well_formed_and_unique():
    bad = [item for item in CHECKLIST
           if not (len(item) >= 2 and item[-1] in (CR, VW)
                   and all(isinstance(p, str) and p.strip() for p in item[:-1]))]
    assert bad == []
    assert len(set(CHECKLIST)) == len(CHECKLIST)


def test_checklist_covers_every_section_of_both_articles(kb):
    """Each section of each article holds at least one checked fact."""
    covered = {(source.article, source.section) for item in CHECKLIST for _, source in matches(kb, item)}
    every = {(key, section) for key, article in kb.articles.items() for section in article.sections}
    assert every - covered == set()


def test_checklist_notices_a_changed_figure_and_a_wrong_source(kb_copy, articles):
    """The checker itself: a figure typed wrong, a fact credited to the other article, or to
    another section of the right one, fails."""
    def replace(name: str, old: str, new: str) -> None:
        path = kb_copy / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")

    replace("statistics.yml", "3,450", "3,540")
    moved = ('easier.\n        source: {article: verywell, section: "Lung Metastases"}',
             'easier.\n        source: {article: carenity, section: "How can metastases be treated?"}')
    replace("treatments.yml", *moved)
    replace("sites.yml", *moved)
    replace("cancer_types.yml", 'section: "Common Sites Where Cancer Spreads"',
            'section: "Types of Metastatic Cancer"')
    broken = load(kb_copy)
    assert not matches(broken, ("3,450", "2018", "primary bone cancer", "United States", VW))
    assert not matches(broken, ("thoracentesis", "fluid", "breathing easier", VW))
    assert matches(broken, ("thoracentesis", "fluid", "breathing easier", CR))
    assert any("3,540" in failure for failure in figures_not_in_section(broken, articles))
    assert any("main sites of metastasis" in failure for failure in not_in_section(broken, articles))
