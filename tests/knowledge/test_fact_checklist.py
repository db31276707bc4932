"""The articles' facts, one by one: each is in the knowledge base and cites the right article.

Every item is (key phrase, ..., article key). An item passes when one statement of the KB holds
every key phrase (case-insensitive) and cites that article. Statements are the facts of
`kb.all_facts()` plus the structured parts rendered as text: where a cancer spreads
("breast cancer: most often: bone, lung"), which symptom an article links to a site
("brain: seizures"), the general sign lists ("sign of progression: fatigue"), statistics with
their scope and risk factors with their name.

Key phrases use the KB's plain-language wording where it paraphrases an article; figures and
technical terms are the articles' own. The items follow the articles' order, section by section.
"""

import re
from typing import List, Tuple

import pytest

from actions.knowledge import KnowledgeBase, load
from actions.knowledge.schema import Source

CR, VW = "carenity", "verywell"

CHECKLIST: List[Tuple[str, ...]] = [
    # -- Carenity: opening figures --------------------------------------------------------------
    ("second leading cause of death", "European Union", "cardiovascular disease", CR),
    ("1.9 million", "new cancer cases", "2022", CR),
    ("40%", "preventable", CR),
    # -- What metastasis is ---------------------------------------------------------------------
    ("spread from the part of the body where it started", "primary site", VW),
    ("Almost all types of cancer can spread", "individual factors", VW),
    ("90%", "cancer deaths", VW),
    ("key area of cancer research", VW),
    ("mutations", "malignant tumor", CR),
    ("grow into the tissues around it", "spread to other organs", CR),
    ("lymph vessels or blood vessels", "metastasis, or secondary tumor", CR),
    ("most often develop in the lungs, liver, bones and brain", CR),
    # -- Naming ---------------------------------------------------------------------------------
    ("keeps the name of the original cancer", VW),
    ("breast cancer that spreads to the liver", "metastatic breast cancer, not liver cancer", VW),
    ("started in the breast", "treated as breast cancer", VW),
    ("always defined by the tissue it started in", CR),
    ("does not become bone cancer", "still lung cancer", CR),
    ("other locations of the same tumor", CR),
    # -- Why some cancers spread (Carenity) ------------------------------------------------------
    ("risk of metastases", "type of cancer", "size and place of the tumor", "how fast it grows",
     "how likely it is to spread", "how long it has been in the body", CR),
    ("Almost all cancers can spread", "except some skin cancers", CR),
    ('"preferred" places to spread', CR),
    ("Some cancers never spread", "some spread a lot", CR),
    # -- Where each cancer spreads: Verywell's table, row by row; Carenity's two statements --------
    ("breast cancer", "main sites of metastasis", "bone, brain, liver, lung", VW),
    ("colon cancer", "main sites of metastasis", "liver, lung, peritoneum", VW),
    ("lung cancer", "main sites of metastasis", "adrenal gland, bone, brain, liver, the other lung", VW),
    ("melanoma", "main sites of metastasis", "bone, brain, liver, lung, skin, muscle", VW),
    ("prostate cancer", "main sites of metastasis", "adrenal gland, bone, liver, lung", VW),
    ("stomach cancer", "main sites of metastasis", "liver, lung, peritoneum", VW),
    ("lung cancer", "most often", "lymph nodes", CR),
    ("breast cancer", "most often", "bone, lung", CR),
    # -- Skin cancers ---------------------------------------------------------------------------
    ("basal cell", "hardly ever spreads", VW),
    ("basal cell skin carcinoma is the most common skin cancer", VW),
    ("melanoma", "rarer skin cancer", "often spreads", "treated in time", VW),
    # -- Types of metastatic cancer (Verywell) ---------------------------------------------------
    ("Metastatic breast cancer", "stage IV breast cancer", VW),
    ("cells from a tumor in the breast move to other parts of the body", VW),
    ("6%", "breast cancer", "already have metastatic disease", VW),
    ("150,000", "breast cancer survivors", "living with metastatic disease", VW),
    ("75%", "stage I-III", VW),
    ("Nearly 40%", "newly diagnosed with lung cancer", "metastatic disease", VW),
    ("5-year relative survival", "lung cancer", "19% overall", VW),
    ("16% for men", "23% for women", VW),
    ("Most primary brain tumors", "central nervous system", VW),
    ("nearly 1 in 4", "150,000 people a year", VW),
    ("Up to 40%", "lung cancer", "spread to the brain", VW),
    ("Primary bone cancer is rare", VW),
    ("less than 1%", "new cancers", VW),
    ("3,450", "2018", "primary bone cancer", "United States", VW),
    ("spread to the bone is much more common than cancer that starts in the bone", VW),
    ("280,000", "18-64", "end of 2008", "United States", VW),
    # -- Cancer of unknown primary ---------------------------------------------------------------
    ("unknown primary origin (CUP)", "rare disease", VW),
    ("place the cancer began is not known", VW),
    ("cannot find where it first began to grow", VW),
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
    ("symptoms of metastases vary with the organ affected", CR),
    ("very soon after the first diagnosis", "several years later", CR),
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
    ("sign of progression: fatigue", CR),
    ("sign of progression: pain", CR),
    ("sign of progression: loss of appetite", CR),
    ("sign of progression: headache", CR),
    ("sign of progression: mood swings", CR),
    ("sign of progression: abnormal bleeding", CR),
    ("cancer that is spreading", "fatigue, pain, loss of appetite, headaches, mood swings and abnormal bleeding", CR),
    # -- Tell your healthcare provider if... (Verywell) ------------------------------------------
    ("tell your healthcare provider: unexplained aches and pains", VW),
    ("tell your healthcare provider: unusual lump or swelling", VW),
    ("tell your healthcare provider: persistent cough", VW),
    ("persistent, worsening cough", VW),
    ("tell your healthcare provider: unintentional weight loss", VW),
    ("Not every person with cancer has symptoms", VW),
    ("spotting cancer early saves lives", VW),
    ("anything that isn't normal for you", VW),
    # -- When metastases are found (Carenity) ----------------------------------------------------
    ("3 different moments", CR),
    ("primary tumor is found", "synchronous metastases", CR),
    ("Months or years later", "even though the first tumor was treated", "metachronous metastases", CR),
    ("cause of symptoms that the metastases cause", CR),
    # -- Diagnosis: Carenity ---------------------------------------------------------------------
    ("clinical exam", "blood and urine tests", "medical imaging", "tumor markers", CR),
    ("ultrasound, CT scan, X-ray, scintigraphy, PET scan", CR),
    ("biopsy that confirms", "tumor cells", CR),
    ("hard to find early", "in remission", "no routine exam", "dormant", CR),
    # -- Diagnosis: Verywell, test by test -------------------------------------------------------
    ("no one test", "different tests show different things", VW),
    ("type of primary cancer", "symptoms that need to be checked", VW),
    ("liver enzymes", "spread to the liver", VW),
    ("often normal", "advanced disease", VW),
    ("tumor markers", "follow the disease", "levels rise", VW),
    ("ultrasound", "fluid in the belly", "fluid-filled cysts in the liver", "pelvis", VW),
    ("CT scan", "head, neck, chest, belly (abdomen) and pelvis", VW),
    ("with contrast", "lymph nodes, lungs, liver", VW),
    ("MRI", "spinal cord", "vertebrae", "brain metastases", VW),
    ("bone scan", "nuclear imaging", "radioactive material", "whole body", VW),
    ("PET scan", "mildly radioactive drug", "more active than normal", VW),
    ("whether and where cancer has spread", VW),
    ("biopsy", "main way", "microscope", VW),
    ("type of biopsy depends on where the possible tumor is", VW),
    # -- Treatment in general ----------------------------------------------------------------------
    ("depends on where the new tumors are and what they are like", CR),
    ("adjuvant treatment", "safety measure", "recurrence", CR),
    ("keep the features of the primary tumor", "same strategies", CR),
    ("resection surgery", "remove all or part of an organ or tissue", CR),
    ("Chemotherapy, hormone therapy and targeted therapies", "multiplying", CR),
    ("Immunotherapy", "immune system", CR),
    ("control it by stopping or slowing its growth", "rather than to cure it", VW),
    ("how fast the cancer grows", "how far it has spread", "how it responds to treatment", VW),
    ("chemotherapy, radiotherapy, immunotherapy or surgery", VW),
    ("treated in specific ways", VW),
    # -- Treatment per site ----------------------------------------------------------------------
    ("brain metastases", "only options are radiotherapy and surgery", CR),
    ("number of tumors", "surgery (in very specific cases)", "radiation therapy", "gamma knife surgery",
     "chemotherapy", "steroids", VW),
    ("bone metastases", "danger of breaking", "monitored", "drug therapy", VW),
    ("pain or the bone is fragile", "radiation", VW),
    ("cementoplasty", "cement into the bone or vertebrae", "pain", CR),
    ("lung metastases depends on how far they have spread", "primary cancer", VW),
    ("thoracentesis", "fluid", "breathing easier", VW),
    ("liver metastases", "number and size", VW),
    ("same drugs as the primary cancer", VW),
    # -- How and why cancer spreads ----------------------------------------------------------------
    ("several steps to spread", VW),
    ("break away from the first tumor", "bloodstream or lymph system", VW),
    ("attach to the wall of a blood or lymph vessel", VW),
    ("grow and thrive in the new place", VW),
    ("avoid attacks from the body's immune system", VW),
    ("describe how it spreads, but not why", VW),
    ("changes in the genes", "grow and divide", VW),
    ("Inherited", "5 to 10%", VW),
    ("still poorly understood", "very early", CR),
    ("dormant", "without anyone knowing why", CR),
    ("finding early the cells linked to a poor outlook", CR),
    ("circulating in the blood", "targeted treatment", CR),
    # -- Stage 4 / generalised cancer --------------------------------------------------------------
    ("generalised cancer", "stage 4 cancer", "life-threatening", CR),
    # -- Risk factors (Verywell) -----------------------------------------------------------------
    ("Limiting your exposure to avoidable risk factors", VW),
    ("age", "One-quarter", "65 to 74", VW),
    ("alcohol", "mouth, throat, esophagus, larynx, liver and breast", "The more you drink", VW),
    ("weakened immune system", "Transplant recipients", "HIV/AIDS", VW),
    ("obesity", "breast, colon, rectum, endometrium, esophagus, kidney, pancreas and gallbladder", VW),
    ("sunlight", "90%", "non-melanoma skin cancers", "ultraviolet (UV)", VW),
    ("tobacco", "20% of all cancers", "30% of all cancer deaths", "United States", VW),
    # -- Prognosis and living with metastases ------------------------------------------------------
    ("grow faster than the primary cancer", "resist treatment", CR),
    ("lung cancer, melanoma and HER2 breast cancer", "live longer", CR),
    ("rare to cure metastases", "not curable, but it is treatable", CR),
    ("live a long time with metastases", CR),
    ("shrink metastases", "limit their problems", CR),
    ("ongoing treatment", CR),
    ("Pain management and supportive care", "quality of life", CR),
    ("can be cured", "most often treatment does not cure it", "months or years", VW),
    ("not well enough for treatment", "palliative care", "does not treat the disease itself", VW),
    ("can no longer be controlled", "end-of-life care", VW),
    ("at home and in nursing facilities", VW),
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


def _id(item: Tuple[str, ...]) -> str:
    *phrases, article = item
    return re.sub(r"\s+", " ", f"{article}: " + " + ".join(phrases))[:90]


def _param(item: Tuple[str, ...]):
    return pytest.param(item, id=_id(item))


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
        ("sign of progression", kb.progression_signs),
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
    wanted = [p.lower() for p in phrases]
    return [
        (text, source)
        for text, source in statements(kb)
        if source.article == article and all(p in text.lower() for p in wanted)
    ]


@pytest.mark.parametrize("item", [_param(i) for i in CHECKLIST])
def test_fact_is_in_the_knowledge_base_with_its_source(kb, item):
    *phrases, article = item
    assert article in kb.articles
    found = matches(kb, item)
    near = [text for text, source in statements(kb) if phrases[0].lower() in text.lower()]
    assert found, (
        f"no statement citing {article!r} holds all of {phrases}; "
        f"statements holding {phrases[0]!r}: {near}"
    )


def test_checklist_has_at_least_80_items():
    assert len(CHECKLIST) >= 80


def test_checklist_items_are_well_formed_and_unique():
    for item in CHECKLIST:
        assert len(item) >= 2 and item[-1] in (CR, VW), item
        assert all(isinstance(p, str) and p.strip() for p in item[:-1]), item
    assert len(set(CHECKLIST)) == len(CHECKLIST)


def test_checklist_covers_every_section_of_both_articles(kb):
    """Each section of each article holds at least one checked fact."""
    covered = {(source.article, source.section) for item in CHECKLIST for _, source in matches(kb, item)}
    every = {(key, section) for key, article in kb.articles.items() for section in article.sections}
    assert every - covered == set()


def test_checklist_notices_a_changed_figure_and_a_wrong_source(kb_copy):
    """The checker itself: a figure typed wrong, or a fact credited to the other article, fails."""
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
    broken = load(kb_copy)
    assert not matches(broken, ("3,450", "2018", "primary bone cancer", "United States", VW))
    assert not matches(broken, ("thoracentesis", "fluid", "breathing easier", VW))
    assert matches(broken, ("thoracentesis", "fluid", "breathing easier", CR))
