"""Play one turn of a rule offline: real custom actions, real domain responses, no servers.

The rules in data/rules say which actions follow an intent; this runs them in order against a
rasa_sdk Tracker, applies the slots they set, and renders every response with Rasa's own
templated NLG (conditional variations included), exactly as the assistant would say it.

A rule that starts with a bot action (a question) is the answer to that question: play it with
`after=` that action. A turn ends where the rule expects the next user message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_actions import ActionAnswer, ActionCloseAnswer, ActionDefaultFallback
from actions.privacy import ActionForgetConversation

ROOT = Path(__file__).resolve().parents[2]
CUSTOM = {"action_answer": ActionAnswer, "action_close_answer": ActionCloseAnswer,
          "action_default_fallback": ActionDefaultFallback,
          "action_forget_conversation": ActionForgetConversation}


@lru_cache(maxsize=None)
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def rules() -> List[Dict[str, Any]]:
    found = []
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        found += yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    return found


def _split(rule: Dict[str, Any]):
    """A rule's bot actions before its first user step, that step's intent, and the actions
    after it up to the next user step."""
    steps = rule["steps"]
    first = next(i for i, step in enumerate(steps) if "intent" in step)
    after: List[str] = []
    for step in steps[first + 1:]:
        if "intent" in step:
            break
        if "action" in step:
            after.append(step["action"])
    return [s["action"] for s in steps[:first] if "action" in s], steps[first]["intent"], after


def answers_to_questions() -> List[tuple]:
    """(bot question, intent) for every rule that starts with the bot's question."""
    return sorted({(before[-1], intent) for before, intent, _ in map(_split, rules()) if before})


def actions_after(intent: str, last_topic: Optional[str] = None, after: Optional[str] = None) -> List[str]:
    """The actions the rules run after `intent` (given the last topic, for follow-ups, and the
    bot's question it answers, if any)."""
    for rule in rules():
        before, rule_intent, actions = _split(rule)
        if rule_intent != intent or (before[-1] if before else None) != after:
            continue
        condition = {k: v for c in rule.get("condition", []) for k, v in c.get("slot_was_set", [{}])[0].items()}
        if "last_topic" in condition and condition["last_topic"] != last_topic:
            continue
        return actions
    raise KeyError(f"no rule for intent {intent!r} with last_topic {last_topic!r} after {after!r}")


@dataclass
class Turn:
    messages: List[Dict[str, Any]] = field(default_factory=list)
    slots: Dict[str, Any] = field(default_factory=dict)
    actions: List[str] = field(default_factory=list)

    @property
    def texts(self) -> List[str]:
        return [m.get("text") or "" for m in self.messages]


def _slots_with_entities(slots: Dict[str, Any], entities: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """What Rasa's from_entity slot mappings do before the first action of a turn."""
    slots = dict(slots)
    for name, spec in domain()["slots"].items():
        for mapping in spec.get("mappings", []):
            if mapping.get("type") != "from_entity":
                continue
            values = [e["value"] for e in entities if e["entity"] == mapping["entity"]]
            if values:
                slots[name] = values if spec["type"] == "list" else values[0]
    return slots


def play(
    intent: str,
    entities: Sequence[Dict[str, Any]] = (),
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    after: Optional[str] = None,
) -> Turn:
    """Run the rule for `intent` (answering the bot's question `after`, if given) and return
    every message it sends, rendered."""
    nlg = TemplatedNaturalLanguageGenerator(domain()["responses"])
    slots = _slots_with_entities(slots or {}, entities)
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    events: List[Dict[str, Any]] = []
    if after:
        events += [{"event": "action", "name": after}, {"event": "action", "name": "action_listen"}]
    events.append({"event": "user", "text": text, "parse_data": latest})
    turn = Turn(slots=slots)
    for name in actions_after(intent, slots.get("last_topic"), after):
        turn.actions.append(name)
        events.append({"event": "action", "name": name})
        if name.startswith("utter_"):
            turn.messages.append(nlg.generate_from_slots(name, slots, "rest"))
            continue
        tracker = Tracker("tester", slots, latest, events, False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        returned = asyncio.run(CUSTOM[name]().run(dispatcher, tracker, domain()))
        for sent in dispatcher.messages:
            # As Rasa's RemoteAction._utter_responses: the message's other keys fill the
            # response as keyword arguments, and those with a value are kept in the message.
            extra = {k: v for k, v in sent.items() if k not in ("response", "buttons")}
            rendered = nlg.generate_from_slots(sent["response"], slots, "rest", **extra) if sent.get("response") else {}
            kept = {k: v for k, v in extra.items() if v}
            turn.messages.append({**rendered, **kept, "buttons": sent.get("buttons") or rendered.get("buttons", [])})
        for event in returned:
            if event["event"] == "slot":
                slots[event["name"]] = event["value"]
        events += returned
    turn.slots = slots
    return turn


def guidance_text() -> str:
    return domain()["responses"]["utter_guidance"][0]["text"]
