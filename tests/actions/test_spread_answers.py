"""Where a cancer spreads when the articles list no sites for it (actions/answers/spread.py)."""

import pytest

from actions.answers import spread
from actions.context import Context
from actions.knowledge import default


def ask(text, cancer):
    return spread.spread(default(), Context.build([{"entity": "cancer_type", "value": cancer}], {}, text=text))


@pytest.mark.parametrize("text, cancer, expected", [
    ("does basal cell carcinoma spread?", "basal_cell", "hardly ever spreads"),
    ("can a brain tumour like a glioma spread to other organs?", "brain_tumour", "do not usually spread"),
])
def test_what_the_articles_say_about_whether_it_spreads_answers_it(text, cancer, expected):
    answer = ask(text, cancer)
    assert answer.case == "facts" and expected in answer.body
    assert "(Verywell Health)" in answer.body and answer.sources


def test_a_cancer_the_articles_say_nothing_about_is_said_so():
    answer = ask("where does pancreatic cancer spread", "pancreatic")
    assert answer.case == "not_covered" and answer.subject == "pancreatic cancer"


@pytest.mark.parametrize("question", [
    "can bone secondaries be there with no symptoms at all?",
    "my scan found lung mets but I feel fine, is that possible?",
])
def test_a_question_about_metastases_without_symptoms_is_told_they_need_not_cause_any(question):
    kb = default()
    answer = spread.site_symptoms(kb, Context(site="bone" if "bone" in question else "lung", text=question))
    assert answer.case == "answer" and "does not always cause symptoms" in answer.body


def test_a_question_about_a_sites_symptoms_gets_the_sites_own_fact_after_them():
    kb = default()
    answer = spread.site_symptoms(kb, Context(site="bone", text="what symptoms do bone mets cause?"))
    assert "does not always cause symptoms" not in answer.body


def test_signs_to_report_about_a_sign_of_one_place_come_with_that_places_symptoms():
    kb = default()
    text = "what changes in his breathing should we tell the nurses about?"
    answer = spread.site_symptoms(kb, Context(symptoms=("breathing_difficulty",), text=text))
    assert "Symptoms of lung metastases" in answer.body and "persistent, worsening cough" in answer.body


def test_a_question_whether_a_sign_warns_of_spread_gets_the_places_it_points_to_then_the_general_signs():
    kb = default()
    text = "could a headache that keeps coming back be a sign of secondaries?"
    answer = spread.site_symptoms(kb, Context(symptoms=("headache",), text=text))
    lines = answer.body.splitlines()
    assert lines[0] == "• Brain: headache" and "Other signs that may point" in answer.body and len(lines) <= 3
