"""Loading: the real KB is complete and consistent; a broken file fails with a precise error."""

from pathlib import Path

import pytest
import yaml

from actions.knowledge import KnowledgeBaseError, default, load


def test_real_knowledge_base_holds_every_kind(kb):
    assert set(kb.articles) == {"carenity", "verywell"}
    assert {"breast", "colon", "lung", "melanoma", "prostate", "stomach", "basal_cell"} <= set(kb.cancer_types)
    assert set(kb.sites) == {
        "bone", "brain", "lung", "liver", "lymph_nodes", "adrenal_gland",
        "peritoneum", "skin", "muscle", "other_lung",
    }
    assert {"ct", "mri", "pet", "bone_scan", "biopsy", "tumour_markers", "ultrasound", "xray",
            "blood_urine_tests", "clinical_exam"} == set(kb.diagnostic_tests)
    assert {"chemotherapy", "hormone_therapy", "targeted_therapy", "immunotherapy", "radiotherapy",
            "surgery", "adjuvant", "palliative_care", "end_of_life_care"} <= set(kb.treatments)
    assert {"metastasis", "naming", "timing", "spread_steps", "why_spread", "dormant_cells",
            "circulating_tumour_cells", "stage_4", "unknown_primary", "where_cancer_spreads", "inherited_genes"} == set(kb.concepts)
    assert set(kb.risk_factors) == {"age", "alcohol", "immunosuppression", "obesity", "sunlight", "tobacco"}


def test_every_fact_cites_a_real_section(kb):
    facts = list(kb.all_facts())
    assert len(facts) > 100
    for where, fact in facts:
        assert fact.text.strip(), where
        assert fact.source.section in kb.articles[fact.source.article].sections, where


def test_default_is_loaded_once():
    assert default() is default()


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        # a required field removed
        ("cancer_types.yml", "    name: breast cancer\n", "", ("cancer_types.yml", "cancer_types[breast]", "name")),
        # a site id that does not exist
        ("cancer_types.yml", "sites: [liver, lung, peritoneum]", "sites: [liver, lung, pancreas]",
         ("cancer_types.yml", "cancer_types[colon]", "spreads_to.sites")),
        # a section the article does not have
        ("treatments.yml", "section: \"Bone Metastases\"", "section: \"Bone Mets\"",
         ("(knowledge base)", "treatment:monitoring", "source.section")),
        # an unknown article
        ("statistics.yml", "    text: Metastatic disease causes roughly 90% of cancer deaths.\n    source: {article: verywell",
         "    text: Metastatic disease causes roughly 90% of cancer deaths.\n    source: {article: wikipedia",
         ("(knowledge base)", "statistic:deaths", "source.article")),
        # a symptom id that does not exist
        ("sites.yml", "{symptom: hypercalcaemia,", "{symptom: hypercalcemia,", ("sites.yml", "sites[bone]", "symptoms.symptom")),
        # a list where a string is expected
        ("symptoms.yml", "{id: fever, name: fever,", "{id: fever, name: [fever],", ("symptoms.yml", "symptoms[fever]", "name")),
        # an article red flag whose symptom the site does not list
        ("red_flags.yml", "{id: seizure, basis: article, site: brain,", "{id: seizure, basis: article, site: liver,",
         ("red_flags.yml", "red_flags[seizure]", "site")),
        # an unknown field, e.g. from an unquoted comma in a flow mapping
        ("symptoms.yml", "{id: fever, name: fever,", "{id: fever, name: fever, spelled: wrong,", ("symptoms.yml", "symptoms[fever]", "spelled")),
        # a place near an uncovered subject that holds no facts
        ("not_covered.yml", "near: [coping]\n", "near: [copeing]\n",
         ("not_covered.yml", "not_covered[talking_to_children]", "near")),
        # a duplicate id
        ("diagnostic_tests.yml", "  - id: xray\n", "  - id: mri\n", ("diagnostic_tests.yml", "diagnostic_tests[mri]", "id")),
    ],
)
def test_malformed_file_names_file_entry_and_field(kb_copy, file, old, new, expected):
    _replace(kb_copy / file, old, new)
    with pytest.raises(KnowledgeBaseError) as error:
        load(kb_copy)
    assert (error.value.file, error.value.entry, error.value.field) == expected
    assert expected[0] in str(error.value) and expected[2] in str(error.value)


def test_surface_form_shared_by_two_entities_is_refused(kb_copy):
    _replace(kb_copy / "sites.yml", "synonyms: [lungs,", "synonyms: [lungs, liver mets,")
    with pytest.raises(KnowledgeBaseError, match="liver mets.*names both") as error:
        load(kb_copy)
    assert error.value.field == "synonyms"


def test_invalid_yaml_names_the_file(kb_copy):
    (kb_copy / "concepts.yml").write_text("concepts: [unclosed", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="concepts.yml.*not valid YAML"):
        load(kb_copy)


def test_the_fast_yaml_loader_reads_what_safe_load_reads(monkeypatch):
    """loader.py reads with libyaml's safe loader (start-up time): the same knowledge base."""
    import actions.knowledge.loader as loader

    fast = load()
    monkeypatch.setattr(loader, "_SAFE_LOADER", yaml.SafeLoader)
    assert load() == fast


def test_missing_file_names_the_file(kb_copy):
    (kb_copy / "living.yml").unlink()
    with pytest.raises(KnowledgeBaseError, match="living.yml.*missing"):
        load(kb_copy)


def _set_asks(kb_copy: Path, asks) -> None:
    """Give the statistic `deaths` these `asks` (whatever it had), through YAML, not text."""
    path = kb_copy / "statistics.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(s for s in data["statistics"] if s["id"] == "deaths")["asks"] = asks
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_asks_are_read_and_not_part_of_a_facts_identity(kb_copy):
    _set_asks(kb_copy, ["how many cancer deaths come from spread"])
    fact = next(f for where, f in load(kb_copy).all_facts() if where == "statistic:deaths")
    assert fact.asks == ("how many cancer deaths come from spread",)
    assert fact == type(fact)(fact.text, fact.source)  # same statement, whatever it is asked by


def test_asks_must_be_a_list_of_questions(kb_copy):
    _set_asks(kb_copy, "how many cancer deaths come from spread")
    with pytest.raises(KnowledgeBaseError) as error:
        load(kb_copy)
    assert (error.value.file, error.value.field) == ("statistics.yml", "asks")


def test_a_thesaurus_word_in_two_groups_is_refused(kb_copy):
    path = kb_copy / "thesaurus.yml"
    path.write_text(path.read_text(encoding="utf-8") + "  - [faster, speedier]\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="'faster' is already in") as error:
        load(kb_copy)
    assert error.value.file == "thesaurus.yml"
