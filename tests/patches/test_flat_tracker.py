"""addons.flat_tracker.FlatTracker must answer ``applied_events()`` and ``copy()`` exactly as
Rasa's ``DialogueStateTracker`` does, only cheaper.

Seeded random conversations of every kind of event Rasa's processor logs (user messages with
entities, actions, loops that start, run, get interrupted and end, reverts of both kinds,
restarts, new sessions, follow-ups, pauses, slot resets, rejections) are logged one event at
a time. The tracker is passed on as the store passes it on each turn (``copy_tracker``, which
carries the memo), and at random points (so that the memo is extended by one or by many
events) ``applied_events()`` is compared with Rasa's method run on the same tracker, event for
event (the same objects, in order), and ``copy()`` with Rasa's ``travel_back_in_time`` copy,
attribute for attribute. No model, no servers.

Longer: ``FLAT_TRACKER_EVENTS=20000 .venv/bin/python -m pytest tests/patches/test_flat_tracker.py``.
"""

from __future__ import annotations

import dataclasses
import os
import random
from typing import Any, Dict

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop, AllSlotsReset, BotUttered,
    ConversationPaused, ConversationResumed, DefinePrevUserUtteredFeaturization, EntitiesAdded, Event,
    FollowupAction, LoopInterrupted, Restarted, SessionStarted, SlotSet, UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

from addons import flat_tracker
from addons.flat_tracker import FlatTracker
from addons.tracker_store import copy_tracker
from addons.turn_cost import source_sha256

EVENTS = int(os.environ.get("FLAT_TRACKER_EVENTS", "800"))

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [ask, affirm, deny, stop]
entities: [cancer_type]
slots:
  cancer_type: {type: text, mappings: [{type: from_entity, entity: cancer_type}]}
  last_topic: {type: categorical, values: [spread, tests], mappings: [{type: custom}]}
  asked: {type: bool, initial_value: false, mappings: [{type: custom}]}
  requested_slot: {type: any, influence_conversation: false, mappings: [{type: custom}]}
forms:
  details_form: {required_slots: [cancer_type]}
  other_form: {required_slots: [asked]}
responses:
  utter_answer: [{text: "an answer"}]
""")
LOOPS = ["details_form", "other_form"]
ACTIONS = [ACTION_LISTEN_NAME, "utter_answer", "action_answer", *LOOPS]


def random_event(rng: random.Random) -> Event:
    kind = rng.choices(
        ["user", "action", "bot", "slot", "loop", "loop_end", "revert_user", "revert_action", "restart",
         "session", "followup", "pause", "resume", "entities", "featurization", "interrupted", "rejected",
         "reset_slots"],
        weights=[14, 20, 10, 10, 2, 2, 2, 1, 0.3, 0.3, 1, 0.3, 0.3, 1, 3, 1, 0.5, 0.3],
    )[0]
    if kind == "user":
        entities = [{"entity": "cancer_type", "value": rng.choice(["breast", "lung"]), "start": 0, "end": 1}][
            : rng.choice([0, 1])]
        intent = rng.choice(["ask", "affirm", "deny", "stop"])
        return UserUttered(rng.choice(["where does it spread", "yes", None]), {"name": intent, "confidence": 0.9},
                           entities)
    if kind == "action":
        return ActionExecuted(rng.choice(ACTIONS), hide_rule_turn=rng.random() < 0.3)
    if kind == "bot":
        return BotUttered(rng.choice(["an answer", None]), rng.choice([{}, {"image": "x.png"}]))
    if kind == "slot":
        return SlotSet(rng.choice(["cancer_type", "last_topic", "asked"]), rng.choice(["lung", "spread", True, None]))
    if kind == "loop":
        return ActiveLoop(rng.choice(LOOPS))
    if kind == "loop_end":
        return ActiveLoop(None)
    if kind == "revert_user":
        return UserUtteranceReverted()
    if kind == "revert_action":
        return ActionReverted()
    if kind == "restart":
        return Restarted()
    if kind == "session":
        return SessionStarted()
    if kind == "followup":
        return FollowupAction("utter_answer")
    if kind == "pause":
        return ConversationPaused()
    if kind == "resume":
        return ConversationResumed()
    if kind == "entities":
        return EntitiesAdded([{"entity": "cancer_type", "value": "bone"}])
    if kind == "featurization":
        return DefinePrevUserUtteredFeaturization(rng.random() < 0.5)
    if kind == "interrupted":
        return LoopInterrupted(rng.random() < 0.5)
    if kind == "rejected":
        return ActionExecutionRejected(rng.choice(LOOPS))
    return AllSlotsReset()


def state(tracker: DialogueStateTracker) -> Dict[str, Any]:
    """Everything a tracker holds, events by identity, empty messages by content."""
    found = {}
    for name, value in vars(tracker).items():
        if name == "events":
            value = ([id(event) for event in value], type(value).__name__, value.maxlen)
        elif name == "slots":
            value = {slot_name: vars(slot) for slot_name, slot in value.items()}
        elif name in ("latest_message", "latest_bot_utterance"):
            value = (id(value) if any(value is event for event in tracker.events) else None, value)
        elif name == "active_loop":
            value = dataclasses.asdict(value) if value else value
        elif name == "_applied_memo":
            continue
        found[name] = value
    return found


def conversation(seed: int, events: int, check_every: float) -> Dict[str, int]:
    rng = random.Random(seed)
    tracker: DialogueStateTracker = FlatTracker("flat", DOMAIN.slots)
    for event in (ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)):
        tracker.update(event)
    counts = {"applied checks": 0, "copy checks": 0, "reverted or restarted": 0}
    for _ in range(events):
        event = random_event(rng)
        tracker.update(event, DOMAIN)
        if isinstance(event, (UserUtteranceReverted, ActionReverted, Restarted, SessionStarted)):
            counts["reverted or restarted"] += 1
        if rng.random() < 0.05:
            tracker = copy_tracker(tracker)  # a turn ends: the store hands out a copy
            assert type(tracker) is FlatTracker
        if rng.random() < check_every:
            counts["applied checks"] += 1
            expected = DialogueStateTracker.applied_events(tracker)
            got = tracker.applied_events()
            assert [id(e) for e in got] == [id(e) for e in expected], len(tracker.events)
            got.append(None)  # the caller's list is the caller's
            assert [id(e) for e in tracker.applied_events()] == [id(e) for e in expected]
        if rng.random() < check_every / 4:
            counts["copy checks"] += 1
            ours, rasas = tracker.copy(), DialogueStateTracker.copy(tracker)
            assert type(ours) is type(rasas) is DialogueStateTracker
            assert state(ours) == state(rasas), len(tracker.events)
            assert ours.current_state() == rasas.current_state()
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_applied_events_and_copy_are_rasas(seed):
    counts = conversation(seed, EVENTS, check_every=0.3)
    print(counts)
    assert counts["applied checks"] > EVENTS // 5 and counts["copy checks"] > EVENTS // 20
    assert counts["reverted or restarted"] > 10


def test_every_event_checked_in_a_short_conversation():
    conversation(4, 400, check_every=1.0)


def test_a_limited_history_uses_rasas_code():
    tracker = FlatTracker("flat", DOMAIN.slots, max_event_history=5)
    for event in [ActionExecuted(ACTION_LISTEN_NAME), UserUttered("hi"), SlotSet("asked", True)] * 4:
        tracker.update(event)
        assert [id(e) for e in tracker.applied_events()] == [
            id(e) for e in DialogueStateTracker.applied_events(tracker)]
    assert state(tracker.copy()) == state(DialogueStateTracker.copy(tracker))


def test_a_tracker_with_other_events_starts_over():
    """The same number of events but not the same ones (a tracker rebuilt, a memo carried over
    by hand) is not taken for an extension."""
    tracker = FlatTracker("flat", DOMAIN.slots)
    for event in [ActionExecuted(ACTION_LISTEN_NAME), UserUttered("hi"), ActionExecuted("utter_answer")]:
        tracker.update(event)
    tracker.applied_events()
    other = FlatTracker("flat", DOMAIN.slots)
    for event in [ActionExecuted(ACTION_LISTEN_NAME), UserUttered("bye"), ActionExecuted("utter_answer"),
                  UserUtteranceReverted()]:
        other.update(event)
    other._applied_memo = tracker._applied_memo
    assert [id(e) for e in other.applied_events()] == [id(e) for e in DialogueStateTracker.applied_events(other)]


@pytest.mark.parametrize("target, fingerprint", sorted(flat_tracker.MIRRORS.items()))
def test_the_rasa_code_read_is_unchanged(target, fingerprint):
    """An upgrade that changes what FlatTracker mirrors or relies on must be read again."""
    import importlib

    module, _, path = target.partition(":")
    value: Any = importlib.import_module(module)
    for name in path.split("."):
        value = getattr(value, name)
    assert source_sha256(value) == fingerprint, f"{target} changed: re-read addons/flat_tracker.py"


def test_rasas_from_dict_builds_flat_trackers():
    """The store builds its trackers with Rasa's own classmethod."""
    assert type(FlatTracker.from_dict("x", [], DOMAIN.slots)) is FlatTracker
