"""The custom actions: thin rasa_sdk wrappers around the pure answerers in actions.answers.

An answer action reads the question's context from the tracker, asks its answerer, and leaves
the result in the answer slots; the rule that called it then utters `utter_answer_<topic>`,
whose conditional variations render those slots, and `action_close_answer` ends the turn with
the healthcare-provider guidance (safety rule 3) and quick replies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from . import knowledge, names
from .answers import Answer, Answerer, care, compare, facts, safety, spread, topics
from .context import Context
from .knowledge.retrieval import question_part
from .knowledge.triage import asks_for_verdict, asks_what_to_watch_for
from .quick_replies import more_button, quick_replies

DomainDict = Dict[Text, Any]
Events = List[EventType]


def context_of(tracker: Tracker) -> Context:
    message = tracker.latest_message or {}
    return Context.build(
        message.get("entities") or [],
        tracker.current_slot_values(),
        text=message.get("text") or "",
        confidence=float((message.get("intent") or {}).get("confidence") or 0.0),
    )


def answer_events(answer: Answer) -> Events:
    values = {
        names.SLOT_CASE: answer.case, names.SLOT_SUBJECT: answer.subject,
        names.SLOT_ANSWER_CANCER: answer.cancer, names.SLOT_ANSWER_SITE: answer.site,
        names.SLOT_BODY: answer.body, names.SLOT_NOTE: answer.note, names.SLOT_SOURCES: answer.sources,
        names.SLOT_IMAGE: answer.image, names.SLOT_IMAGE_ALT: answer.image_alt,
    }
    events = [SlotSet(slot, value) for slot, value in values.items()]
    if answer.topic:
        events.append(SlotSet(names.SLOT_LAST_TOPIC, answer.topic))
    return events


class AnswerAction(Action, ABC):
    """Base of the answer actions; abstract, so the action server does not register it."""

    action_name: Text = ""

    def name(self) -> Text:
        return self.action_name

    @abstractmethod
    def answer(self, kb: knowledge.KnowledgeBase, context: Context) -> Answer:
        """Decide the answer from the knowledge base alone."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        kb, context = knowledge.default(), context_of(tracker)
        answer = compare.for_each(kb, self.action_name, self.answer, context) or self.answer(kb, context)
        if self.action_name not in KEPT_AS_CHOSEN or (
            self.action_name == "action_answer_request_diagnosis" and not asks_for_verdict(question_part(context.text))
        ):  # the classifier's request_diagnosis for a general question ("is cancer hereditary?")
            answer = facts.better_answer(kb, answer, context)
        return answer_events(answer)


def _answer_action(action_name: str, answerer: Answerer) -> type:
    """A concrete AnswerAction named `action_name` that answers with `answerer`."""
    return type(
        "".join(part.capitalize() for part in action_name.split("_")),
        (AnswerAction,),
        {"action_name": action_name, "answer": staticmethod(answerer), "__module__": __name__},
    )


# Answers never swapped for the facts that fit best: safety (the urgent message's follow-up,
# never a diagnosis) and the fact answer itself.
KEPT_AS_CHOSEN = frozenset({"action_answer_emergency", "action_answer_request_diagnosis", "action_answer_facts"})
TOPIC_PREFIX = "action_answer_"
ANSWERERS: Dict[str, Answerer] = {
    "action_answer_definition": topics.definition,
    "action_answer_spread": spread.spread,
    "action_answer_site_symptoms": spread.site_symptoms,
    "action_answer_symptom_sites": spread.symptom_sites,
    "action_answer_tests": care.tests,
    "action_answer_treatment": care.treatment,
    "action_answer_prognosis": topics.prognosis,
    "action_answer_statistics": topics.statistics,
    "action_answer_risk_factors": topics.risk_factors,
    "action_answer_unknown_primary": topics.unknown_primary,
    "action_answer_naming": topics.naming,
    "action_answer_timing": topics.timing,
    "action_answer_mechanism": topics.mechanism,
    "action_answer_coping": topics.coping,
    "action_answer_emergency": safety.emergency,
    "action_answer_request_diagnosis": safety.request_diagnosis,
    "action_acknowledge": safety.inform,
    "action_answer_facts": facts.fallback,
}
ANSWER_ACTIONS = {name: _answer_action(name, answerer) for name, answerer in ANSWERERS.items()}


class ActionCloseAnswer(Action):
    """Ends every health turn: the guidance as the last message, with fitting quick replies."""

    def name(self) -> Text:
        return "action_close_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        topic = _turn_topic(tracker)
        kb, context = knowledge.default(), context_of(tracker)
        case = tracker.get_slot(names.SLOT_CASE)
        buttons = quick_replies(kb, context, topic, case)
        if topic and case not in facts.NOT_THE_TOPIC and ANSWERERS[TOPIC_PREFIX + topic](kb, context).more:
            buttons = [more_button(context, topic)] + buttons  # decided again: pure and fast
        _not_a_verdict(dispatcher, tracker, kb)
        _urgent_line(dispatcher, tracker, kb)
        dispatcher.utter_message(response="utter_guidance", buttons=buttons)
        return [SlotSet(names.SLOT_CASE, None)]


def _not_a_verdict(dispatcher: CollectingDispatcher, tracker: Tracker, kb: knowledge.KnowledgeBase) -> None:
    """Safety rule 4 where the answer was about a sign ("could my swollen belly be liver
    mets?"): the articles' link came first; this adds how a spread is confirmed, never a yes
    or no. `request_diagnosis` answers with these facts already."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    if intent in names.SAFETY_INTENTS or intent == names.REQUEST_DIAGNOSIS_INTENT:
        return
    if asks_for_verdict(question_part(message.get("text") or "")):
        dispatcher.utter_message(text=safety.not_a_verdict(kb))


def _urgent_line(dispatcher: CollectingDispatcher, tracker: Tracker, kb: knowledge.KnowledgeBase) -> None:
    """One line on urgent help when a red-flag sign was only asked about or negated, or the
    question asks which signs to watch for.

    The NLU read the same text with the same KB function; reading it again here (about 2 ms)
    keeps the action independent of what the NLU put in the tracker."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") in names.SAFETY_INTENTS:
        return
    text = message.get("text") or ""
    if kb.triage(text).only_mentioned or asks_what_to_watch_for(text):
        dispatcher.utter_message(text=kb.if_happening)  # safety policy wording, in the KB


def _turn_topic(tracker: Tracker) -> Optional[str]:
    """The topic answered in this turn, if an answer action for a topic ran since the message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return None
        name = event.get("name") or ""
        if event.get("event") == "action" and name.startswith(TOPIC_PREFIX):
            topic = name[len(TOPIC_PREFIX):]
            return topic if topic in names.TOPICS else None
    return None


class ActionDefaultFallback(Action):
    """Rasa's core fallback, with the guidance and starter questions instead of silence."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        kb = knowledge.default()
        dispatcher.utter_message(response="utter_answer_facts")  # its case is unset: "say it another way"
        _urgent_line(dispatcher, tracker, kb)
        dispatcher.utter_message(
            response="utter_guidance", buttons=quick_replies(kb, context_of(tracker), None, None),
        )
        return [UserUtteranceReverted()]
