"""Safety rule 3 and plain language, over every rule and a wide spread of questions.

Each turn is played offline (tests/support/turns.py): the rule's real actions run, and every
response is rendered by Rasa's NLG with its conditional variations. Every health turn must end
with the healthcare-provider guidance; no placeholder may leak; facts carry their source; and
the median reading grade of everything the assistant says stays at 8 or below. Answers to the
bot's own questions (yes/no to "delete this conversation?") are played too.
"""

import statistics
from functools import lru_cache
from typing import List

import pytest
import textstat

from actions.knowledge import default
from actions.answer_actions import TOPICS, VALUES
from actions.names import SLOT_FORGET
from tests.support.turns import answers_to_questions, guidance_text, play, rules

CHIT_CHAT = {"goodbye"}  # may skip the guidance (thank and greet include it anyway)
# Turns about the conversation itself, not about health: the "delete it?" question (its yes/no
# buttons must stay last) and the deletion's confirmation. They may skip the guidance, and
# test_privacy_turns_say_nothing_about_health holds them to that. Keyed (intent, question).
ASK_FORGET = "utter_ask_forget_conversation"
PRIVACY = {("forget_me", None), ("affirm", ASK_FORGET)}
# The crisis reply and what follows it end with crisis lines and the care team instead of the
# generic guidance (data/rules/safety.yml); test_crisis_turns_give_the_lines holds them to that.
ASK_CRISIS = "utter_crisis"
CRISIS_LINES = ("988", "116 123", "emergency number")


def is_crisis_turn(intent, topic) -> bool:
    return intent == "crisis" or topic == ASK_CRISIS


def contexts():
    """Messages naming nothing, and each cancer type, site, test and treatment, and symptoms."""
    kb = default()
    yield [], ""
    for kind, collection in (("cancer_type", kb.cancer_types), ("body_site", kb.sites),
                             ("diagnostic_test", kb.diagnostic_tests), ("treatment", kb.treatments)):
        for entity_id in collection:
            yield [{"entity": kind, "value": entity_id}], ""
    for symptoms in (["headache"], ["jaundice", "fever"], ["fatigue", "weight_loss"], ["back_pain"],
                     ["bone_pain", "persistent_cough"], ["coughing_blood"], ["chest_pain"]):
        yield [{"entity": "symptom", "value": s} for s in symptoms], ""
    yield [{"entity": "cancer_type", "value": "breast"}, {"entity": "body_site", "value": "bone"}], ""
    yield [{"entity": "cancer_type", "value": "lung"}, {"entity": "symptom", "value": "headache"}], ""
    yield [], "does smoking or drinking alcohol cause it"
    yield [], "what are dormant cells and circulating tumour cells"


def intents():
    return sorted({r["steps"][0]["intent"] for r in rules() if "intent" in r["steps"][0]} - {"follow_up"})


@lru_cache(maxsize=None)
def all_turns() -> List[tuple]:
    """(intent, last topic or the bot question answered, turn)."""
    turns = []
    for intent in intents():
        for entities, text in contexts():
            turns.append((intent, None, play(intent, entities, text=text)))
    for topic in TOPICS + (None,):
        for entities, text in contexts():
            turns.append(("follow_up", topic, play("follow_up", entities, {"last_topic": topic}, text)))
    for question, intent in answers_to_questions():
        for entities, text in contexts():
            turns.append((intent, question, play(intent, entities, text=text, after=question)))
    return turns


def test_enough_turns_are_played():
    assert len(all_turns()) > 1000
    assert {intent for intent, _, _ in all_turns()} == set(intents()) | {"follow_up"}


@pytest.mark.parametrize("intent", intents() + ["follow_up"])
def test_every_health_turn_ends_with_the_guidance(intent):
    for _, topic, turn in (t for t in all_turns() if t[0] == intent):
        assert turn.messages, (intent, topic)
        if intent in CHIT_CHAT or (intent, topic) in PRIVACY or is_crisis_turn(intent, topic):
            continue
        assert turn.texts[-1] == guidance_text(), (intent, topic, turn.texts)


def test_a_turn_calls_the_action_server_at_most_once():
    """One custom action per turn: an answer is one call (action_answer), a domain response is
    followed by at most one (action_close_answer)."""
    for intent, topic, turn in all_turns():
        custom = [name for name in turn.actions if not name.startswith("utter_")]
        assert len(custom) <= 1, (intent, topic, turn.actions)


def test_crisis_turns_give_the_lines():
    """Safety rule 1: the crisis reply, and every reply after it, gives the crisis lines, never
    the fallback, a diagnosis answer, coping tips or starter quick replies."""
    crisis = [(i, t, turn) for i, t, turn in all_turns() if is_crisis_turn(i, t)]
    assert {i for i, _, _ in crisis} >= {"crisis", "affirm", "deny", "nlu_fallback", "out_of_scope"}
    for intent, topic, turn in crisis:
        said = "\n".join(turn.texts)
        assert all(line in said for line in CRISIS_LINES), (intent, topic, said)
        assert not any(m.get("buttons") for m in turn.messages), (intent, topic)
        assert "Sorry, I didn't understand" not in said and "Source:" not in said
        if intent == "crisis":
            assert turn.actions == ["utter_crisis"], turn.actions  # no custom action: never waits
            assert "care team" in said


def test_answers_to_the_forget_question_are_played():
    assert (ASK_FORGET, "affirm") in answers_to_questions()
    assert (ASK_FORGET, "deny") in answers_to_questions()
    played = {(intent, topic) for intent, topic, _ in all_turns()}
    assert PRIVACY | {("deny", ASK_FORGET), ("affirm", None), ("deny", None)} <= played


def test_privacy_turns_say_nothing_about_health():
    """The turns exempt from the guidance give no answer, no source, no health quick reply."""
    for intent, topic, turn in all_turns():
        if (intent, topic) not in PRIVACY:
            continue
        assert not any(m.get(f"answer_{value}") for m in turn.messages for value in VALUES), (intent, topic)
        assert not any("Source:" in text or guidance_text() in text for text in turn.texts), turn.texts
        buttons = [b["payload"] for m in turn.messages for b in m.get("buttons") or []]
        assert buttons == (["/affirm", "/deny"] if intent == "forget_me" else []), (intent, buttons)


def test_only_a_yes_to_the_forget_question_deletes():
    """Only that turn sets the slot on which the tracker store deletes the conversation."""
    for intent, topic, turn in all_turns():
        forgets = turn.slots.get(SLOT_FORGET) is True
        assert forgets == ((intent, topic) == ("affirm", ASK_FORGET)), (intent, topic, turn.actions)
        if forgets:
            assert len(turn.texts) == 1 and turn.texts[0].startswith("Done. I have deleted"), turn.texts


@pytest.mark.parametrize("intent", intents() + ["follow_up"])
def test_nothing_unfilled_or_empty_is_said(intent):
    for _, topic, turn in (t for t in all_turns() if t[0] == intent):
        for text in turn.texts:
            assert text.strip(), (intent, topic, turn.texts)
            assert "{" not in text and "}" not in text, text
            assert "None" not in text, text
            assert "\n\n\n" not in text, text


def test_every_answer_with_facts_names_its_sources():
    kb = default()
    publishers = [a.publisher for a in kb.articles.values()]
    for intent, topic, turn in all_turns():
        if any(m.get("answer_body") for m in turn.messages):
            said = "\n".join(turn.texts)
            assert "Source: " in said, (intent, topic, said)
            assert any(p in said.split("Source: ", 1)[1] for p in publishers)


def test_emergencies_come_first():
    """The urgent-care message is a domain response said before any custom action runs."""
    for intent, _, turn in all_turns():
        if intent == "emergency":
            assert turn.actions[0] == "utter_urgent", turn.actions
            assert turn.texts[0].startswith("⚠️"), turn.texts
            assert "emergency" in turn.texts[0]


def _grades() -> List[float]:
    texts = {text for _, _, turn in all_turns() for text in turn.texts}
    return [textstat.flesch_kincaid_grade(text) for text in sorted(texts)]


def test_median_reading_grade_is_at_most_8():
    grades = _grades()
    assert len(grades) > 100
    assert statistics.median(grades) <= 8, statistics.median(grades)
