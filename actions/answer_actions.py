"""The custom actions: thin rasa_sdk wrappers around the pure answerers in actions.answers.

An answer turn is one rule, `intent → action_answer`, and one call to the action server.
`action_answer` looks the message's intent up in KINDS (a follow-up repeats the last answer's
topic), asks that kind's answerer, sends the answer as the domain response of its case, filled
with the answer's values (`dispatcher.utter_message(response=..., answer_body=...)`), and ends
the turn with the healthcare-provider guidance (safety rule 3) and quick replies.

Why a response per case and values as keyword arguments: Rasa fills the responses an action
sends with the slots as they were *before* that action (RemoteAction._utter_responses renders
against the tracker it posted), so a slot set by the same action can neither fill a response
nor select a conditional variation. Channel variations (`channel: socketio`, the body map)
still apply, since Rasa picks them by the channel the turn came in on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from . import knowledge, names
from .answers import Answer, Answerer, care, compare, facts, safety, spread, topics
from .context import Context
from .knowledge.retrieval import asks_something, is_forum_post, question_part, question_spans, sets_story_aside
from .knowledge.schema import ENTITY_KINDS
from .knowledge.triage import asks_for_verdict, asks_what_to_watch_for
from .quick_replies import more_button, quick_replies, topic_intent

DomainDict = Dict[Text, Any]
Events = List[EventType]

ANSWER_ACTION = "action_answer"
GUIDANCE = "utter_guidance"
NOT_UNDERSTOOD = "utter_not_understood"
# Cases every kind may end in (actions/answers/facts.py, compare.py), each with one response
# of its own, `utter_answer_<case>`, unless the kind lists the case among its own cases.
SHARED_CASES = ("facts", "closest", "uncovered", "uncovered_only", "compared")
# The values an answer's responses render, by the names they use ({answer_body}). The prefix
# keeps them clear of utter_message's own parameters (`image`, `text`, ...).
VALUES = ("subject", "cancer", "site", "body", "note", "sources", "image", "image_alt")


def _never(context: Context) -> bool:
    return False


def _always(context: Context) -> bool:
    return True


def _asks_for_a_verdict(context: Context) -> bool:
    """The classifier's request_diagnosis for a general question ("is cancer hereditary?") gets
    the facts that fit; a real verdict request keeps the referral (safety rule 4)."""
    return asks_for_verdict(question_part(context.text))


@dataclass(frozen=True)
class Kind:
    """A kind of question: who answers it and which responses say the answer."""

    answerer: Answerer
    response: str  # says the answer in any case without a response of its own
    cases: FrozenSet[str] = frozenset()  # cases said by `<response>_<case>`
    topic: Optional[str] = None  # remembered for follow-ups; picks the quick replies
    # Whether the answer stands as chosen, never swapped for the facts that fit best
    # (facts.better_answer): the safety answers and the facts answer itself.
    kept: Callable[[Context], bool] = field(default=_never)

    def response_for(self, case: str) -> str:
        if case in self.cases:
            return f"{self.response}_{case}"
        if case in SHARED_CASES:
            return f"utter_answer_{case}"
        return self.response


def _topic(topic: str, answerer: Answerer, *cases: str, kept: Callable[[Context], bool] = _never) -> Kind:
    return Kind(answerer, f"utter_answer_{topic}", frozenset(cases), topic=topic, kept=kept)


def _sure_and_short(context: Context) -> bool:
    """A short question the classifier is sure asks how spread cancer is named: "is it brain
    cancer now?" names a cancer the naming facts don't, but they are its answer."""
    return context.confidence >= facts.UNSURE and not is_forum_post(context.text)


# The topics, each asked by its intent `ask_<topic>` (quick_replies.topic_intent) and remembered
# in the slot last_topic, so that a follow-up ("and the liver?") asks it again.
TOPIC_KINDS = (
    _topic("definition", topics.definition),
    _topic("spread", spread.spread, "need_cancer", "general", "by_site", "not_covered", "site_listed",
           "site_not_listed"),
    _topic("site_symptoms", spread.site_symptoms, "need_site", "general", "no_symptoms", "cancer_overview"),
    _topic("symptom_sites", spread.symptom_sites, "need_symptoms", "no_match", "near", "with_cancer"),
    _topic("tests", care.tests, "test", "site"),
    _topic("treatment", care.treatment, "named", "site", "site_none"),
    _topic("prognosis", topics.prognosis),
    _topic("statistics", topics.statistics, "answer", "site", "none_for_topic"),
    _topic("risk_factors", topics.risk_factors, "one", "cancer", "cancer_none"),
    _topic("unknown_primary", topics.unknown_primary),
    _topic("naming", topics.naming, "example", kept=_sure_and_short),
    _topic("timing", topics.timing),
    _topic("mechanism", topics.mechanism),
    _topic("coping", topics.coping, "care"),
)
TOPICS = tuple(kind.topic for kind in TOPIC_KINDS)
# Intent -> kind of question.
KINDS: Dict[str, Kind] = {
    **{topic_intent(kind.topic): kind for kind in TOPIC_KINDS},
    # after utter_urgent and utter_urgent_tell (data/rules/safety.yml): what the articles link
    # the sign to, never a diagnosis
    names.EMERGENCY_INTENT: Kind(safety.emergency, "utter_answer_emergency", frozenset({"flags", "flags_only"}),
                                 kept=_always),
    names.REQUEST_DIAGNOSIS_INTENT: Kind(safety.request_diagnosis, "utter_answer_request_diagnosis",
                                         kept=_asks_for_a_verdict),
    "inform": Kind(safety.inform, "utter_acknowledge", frozenset({"cancer", "site"})),
    # never "fits your question": the classifier found it outside the articles
    "out_of_scope": Kind(facts.fallback, "utter_out_of_scope", frozenset({"facts"}), kept=_always),
    "nlu_fallback": Kind(facts.fallback, NOT_UNDERSTOOD, kept=_always),
}
# A follow-up ("and the liver?") repeats the last answer's topic; with none, it is taken as
# telling us something.
FOLLOW_UP_INTENT = "follow_up"
NOTHING_TO_FOLLOW = "inform"


# Below this confidence a question intent is no evidence of what a message asks.
RUNNER_UP = 0.05
# The NLU's fallback: no intent reached its threshold. For a question that names something the
# articles are about ("is there really no way to get rid of
# secondaries for good, or is that wishful thinking"), the best-ranked
# question intent is still its likeliest kind, and facts.better_answer weighs that topic's answer
# against the facts the question's words find, the classifier being unsure. A question naming
# nothing of theirs ("what do you think about politics?") stays unplaced.
UNPLACED = "nlu_fallback"


def _asked_instead(message: Dict[Text, Any]) -> Optional[Text]:
    """The question intent next in the ranking, for a message classified as telling us
    something (`inform`) that asks a question as well ("my uncle has prostate cancer, what signs
    do bone secondaries give?"): the story told is context, the question is what it asks. Also
    for a question the NLU left unplaced (UNPLACED)."""
    if not asks_something(question_part(message.get("text") or "")):
        return None
    for ranked in message.get("intent_ranking") or []:
        name = ranked.get("name")
        if name in KINDS and KINDS[name].topic and float(ranked.get("confidence") or 0.0) >= RUNNER_UP:
            return name
    return None


def _names_what_the_articles_discuss(message: Dict[Text, Any]) -> bool:
    kinds = (*ENTITY_KINDS, "concept", "risk_factor")
    return bool(knowledge.default().mentions(question_part(message.get("text") or ""), kinds))


def kind_of(tracker: Tracker) -> Kind:
    """The kind of question of the latest message (nlu_fallback's for an unknown intent)."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    if intent == NOTHING_TO_FOLLOW or (intent == UNPLACED and _names_what_the_articles_discuss(message)):
        intent = _asked_instead(message) or intent
    if intent == FOLLOW_UP_INTENT:
        topic = tracker.get_slot(names.SLOT_LAST_TOPIC)
        intent = topic_intent(topic) if topic in TOPICS else NOTHING_TO_FOLLOW
    return KINDS.get(intent) or KINDS["nlu_fallback"]


def responses_sent() -> FrozenSet[str]:
    """Every response the custom actions may send (tests check each is in the domain, and
    tests/test_data_validate.py knows that Rasa's validator cannot see them used)."""
    said = {GUIDANCE, NOT_UNDERSTOOD} | {f"utter_answer_{case}" for case in SHARED_CASES}
    for kind in KINDS.values():
        said |= {kind.response} | {f"{kind.response}_{case}" for case in kind.cases}
    return frozenset(said)


# What a post's story names of these is what was done ("after the chemo ..."), not what its
# question asks about: "after all that chemo, can it still be cured?" asks no chemotherapy facts.
STORY_ONLY = frozenset({names.SLOT_TEST, names.SLOT_TREATMENT})


def asked_first(entities: List[Dict[Text, Any]], text: Text) -> List[Dict[Text, Any]]:
    """A long post's entities, those its questions name first: "Mum has breast cancer ... which
    symptoms do lung secondaries cause?" is about the lung. The story's cancers, sites and signs
    stay as context after them, unless the question asks "in general"; its tests and
    treatments do not (STORY_ONLY)."""
    spans = question_spans(text)
    if spans == [(0, len(text))]:
        return entities

    def asked(entity: Dict[Text, Any]) -> bool:
        start = entity.get("start")
        return isinstance(start, int) and any(a <= start < b for a, b in spans)

    named = [e for e in entities if asked(e)]
    if any(sets_story_aside(text[a:b]) for a, b in spans):
        return named
    return named + [e for e in entities if not asked(e) and e.get("entity") not in STORY_ONLY]


def context_of(tracker: Tracker) -> Context:
    message = tracker.latest_message or {}
    return Context.build(
        asked_first(message.get("entities") or [], message.get("text") or ""),
        tracker.current_slot_values(),
        text=message.get("text") or "",
        confidence=float((message.get("intent") or {}).get("confidence") or 0.0),
    )


def decide(kb: knowledge.KnowledgeBase, kind: Kind, context: Context) -> Answer:
    """The answer to a question of this kind, from the knowledge base alone."""
    answer = None
    term = kb.unexplained_term(question_part(context.text))
    if term and (kind.topic or kind.answerer is facts.fallback):
        return facts.unexplained(kb, kind.topic, term, context.text)
    if kind.topic:
        answer = compare.for_each(kb, kind.topic, kind.answerer, context)
    answer = answer or kind.answerer(kb, context)
    if not kind.kept(context):
        answer = facts.better_answer(kb, answer, context)
    return answer


def values_of(answer: Answer) -> Dict[str, str]:
    """What the answer's response renders, as keyword arguments of utter_message."""
    return {f"answer_{name}": getattr(answer, name) for name in VALUES}


class ActionAnswer(Action):
    """Answers any kind of question and ends the turn: the whole answer turn in one call."""

    def name(self) -> Text:
        return ANSWER_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        kb, context, kind = knowledge.default(), context_of(tracker), kind_of(tracker)
        answer = decide(kb, kind, context)
        dispatcher.utter_message(response=kind.response_for(answer.case), **values_of(answer))
        buttons = quick_replies(kb, context, kind.topic, answer.case)
        if kind.topic and answer.case not in facts.NOT_THE_TOPIC and answer.more:
            buttons = [more_button(context, kind.topic)] + buttons
        close(dispatcher, tracker, kb, buttons)
        return [SlotSet(names.SLOT_LAST_TOPIC, answer.topic)] if answer.topic else []


class ActionCloseAnswer(Action):
    """Ends a turn whose reply is a domain response (greet, bot challenge, yes or no with no
    question pending): the guidance as the last message, with starter quick replies."""

    def name(self) -> Text:
        return "action_close_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        kb = knowledge.default()
        close(dispatcher, tracker, kb, quick_replies(kb, context_of(tracker), None, None))
        return []


def close(dispatcher: CollectingDispatcher, tracker: Tracker, kb: knowledge.KnowledgeBase, buttons: List) -> None:
    """Every health turn ends so: how a spread is confirmed where a verdict was asked about a
    sign, the line on urgent help where a red flag was only asked about, then the guidance."""
    _not_a_verdict(dispatcher, tracker, kb)
    _urgent_line(dispatcher, tracker, kb)
    dispatcher.utter_message(response=GUIDANCE, buttons=buttons)


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


class ActionDefaultFallback(Action):
    """Rasa's core fallback, with the guidance and starter questions instead of silence."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        kb = knowledge.default()
        dispatcher.utter_message(response=NOT_UNDERSTOOD)
        _urgent_line(dispatcher, tracker, kb)
        dispatcher.utter_message(
            response=GUIDANCE, buttons=quick_replies(kb, context_of(tracker), None, None),
        )
        return [UserUtteranceReverted()]
