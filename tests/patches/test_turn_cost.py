"""addons.turn_cost must change what a long conversation costs, never what the assistant does.

* The policies: a seeded self-play of long conversations with the trained model's own policies
  (no NLU, no servers): random intents and entities, the actions the policies predict, the
  events our actions return (a topic, the fallback's revert, the forget-me marker). Before
  every prediction, the ensemble's prediction with Rasa's ``_prediction_states`` and with the
  bounded one must be equal (action probabilities, policy, events, ``hide_rule_turn``), and
  the states ``recent_states`` returns must be the tail of Rasa's, or None.
* The action server: at every custom action of the self-play, the project's actions (run by
  rasa_sdk's executor in this process) answer the trimmed call exactly as the full one.

The long run: ``TURN_COST_TURNS=300 .venv/bin/python -m pytest tests/patches/test_turn_cost.py``.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import os
import random
from typing import Any, Dict, List, Tuple

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.policy import Policy
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, BotUttered, DefinePrevUserUtteredFeaturization, SessionStarted, SlotSet,
    UserUttered, UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from addons import turn_cost
from tests.support.servers import REPO

turn_cost.install()
STOCK_STATES = inspect.unwrap(Policy._prediction_states)
STOCK_CALL = inspect.unwrap(RemoteAction._action_call_format)
TURNS = int(os.environ.get("TURN_COST_TURNS", "120"))

# Written for this test (not from the eval, triage or training data).
TEXTS = [
    "what happens when it reaches the spine", "is the pain in my hip from that", "and for the kidneys?",
    "ok thanks", "can you forget what I told you", "yes please", "no", "what does stage 4 mean",
    "she feels breathless at night, should we worry", "tell me more about scans", "hello there",
]
ENTITY_VALUES = {
    "cancer_type": ["breast", "lung", "prostate", "bowel", "melanoma"],
    "body_site": ["bone", "liver", "brain", "lung"],
    "symptom": ["bone_pain", "headache", "coughing_blood"],
    "diagnostic_test": ["ct", "mri", "bone_scan"],
    "treatment": ["radiotherapy", "cementoplasty"],
    "detail": ["all"],
}
TOPICS = ["spread", "treatment", "tests", "symptom_sites", "statistics", "coping"]


def user_turn(rng: random.Random, domain: Domain) -> List[Any]:
    intent = rng.choice(domain.intents)
    entities = []
    for entity in rng.sample(sorted(ENTITY_VALUES), k=rng.choice([0, 0, 1, 2])):
        entities.append({"entity": entity, "value": rng.choice(ENTITY_VALUES[entity]), "start": 0, "end": 1})
    confidence = rng.choice([0.99, 0.9, 0.6, 0.35])
    text = rng.choice(TEXTS)
    message = UserUttered(text, {"name": intent, "confidence": confidence}, entities,
                          parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": entities,
                                      "text": text})
    return [message, *domain.slots_for_entities(entities), DefinePrevUserUtteredFeaturization(False)]


def action_result(rng: random.Random, action: str) -> List[Any]:
    """What our actions add to the tracker (as the processor logs it)."""
    if action == "action_answer":
        events = [BotUttered("answer"), BotUttered("guidance")]
        return events + ([SlotSet("last_topic", rng.choice(TOPICS))] if rng.random() < 0.8 else [])
    if action == "action_default_fallback":
        return [BotUttered("not understood"), BotUttered("guidance"), UserUtteranceReverted()]
    if action == "action_forget_conversation":
        return [SlotSet("forget_conversation", True)]
    return [BotUttered(action)] if action != ACTION_LISTEN_NAME else []


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    from tests.support.servers import model_path

    return Agent.load(str(model_path()))


def policies(agent) -> Dict[str, Any]:
    found = {}
    for node in agent.processor.graph_runner._instantiated_nodes.values():
        component = getattr(node, "_component", None)
        if isinstance(component, Policy):
            found[type(component).__name__] = component
    return found


def predict(agent, tracker: DialogueStateTracker, bounded: bool):
    saved = Policy._prediction_states
    Policy._prediction_states = saved if bounded else STOCK_STATES
    try:
        return agent.processor._predict_next_with_tracker(tracker)
    finally:
        Policy._prediction_states = saved


def stock_states(domain, tracker, keep, ml_only, rule_only_data):
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer

    states = domain.states_for_tracker_history(tracker, ignore_rule_only_turns=ml_only, rule_only_data=rule_only_data)
    if ml_only:
        states = MaxHistoryTrackerFeaturizer._remove_action_unlikely_intent_from_states(states)
    return states[-keep:]


def check_states(agent, domain, tracker, counts: Dict[str, int]) -> None:
    found = policies(agent)
    rule_only_data = found["RulePolicy"]._get_rule_only_data()
    for name, ml_only in (("MemoizationPolicy", True), ("RulePolicy", False)):
        keep = turn_cost.states_needed(found[name])
        expected = stock_states(domain, tracker, keep, ml_only, rule_only_data)
        for margin in sorted({0, 2, turn_cost.RULE_STATE_MARGIN, *turn_cost.MEMO_STATE_MARGINS}):
            for from_suffix in (True, False):
                got = turn_cost.recent_states(domain, tracker, keep, ignore_rule_only_turns=ml_only,
                                              rule_only_data=rule_only_data, ignore_action_unlikely_intent=ml_only,
                                              margin=margin, from_suffix=from_suffix)
                if got is None:
                    counts[f"{name} margin {margin}{'' if from_suffix else ' (replay)'}: Rasa's code"] += 1
                else:
                    assert got == expected, (name, margin, from_suffix, len(tracker.events))
        if turn_cost._suffix(tracker, turn_cost.STATE_MARGIN) is None:
            counts["no cut in the history"] += 1


async def run_action(executor, payload: Dict[str, Any]) -> Any:
    return await executor.run(copy.deepcopy(payload))


def self_play(agent, turns: int, seed: int) -> Tuple[Dict[str, int], DialogueStateTracker]:
    from collections import Counter

    from rasa_sdk.executor import ActionExecutor

    domain = agent.domain
    from tests.support.turns import CUSTOM

    executor = ActionExecutor()
    for action_class in CUSTOM.values():
        executor.register_action(action_class)
    custom = set(domain.user_actions) - set(domain.responses)
    rng = random.Random(seed)
    counts: Counter = Counter()
    tracker = DialogueStateTracker(f"self-play-{seed}", domain.slots)
    for event in (ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)):
        tracker.update(event)
    for _ in range(turns):
        for event in user_turn(rng, domain):
            tracker.update(event)
        for _ in range(10):
            if len(tracker.events) % 3 == 0:
                check_states(agent, domain, tracker, counts)
            stock, bounded = predict(agent, tracker, False), predict(agent, tracker, True)
            assert bounded == stock and bounded.action_metadata == stock.action_metadata, len(tracker.events)
            action = domain.action_names_or_texts[bounded.max_confidence_index]
            counts[f"predicted by {bounded.policy_name}"] += 1
            if action in custom:
                counts["custom action calls"] += 1
                remote = RemoteAction(action, EndpointConfig("http://127.0.0.1:1/webhook"))
                full, trimmed = STOCK_CALL(remote, tracker, domain), remote._action_call_format(tracker, domain)
                assert {**trimmed["tracker"], "events": None} == {**full["tracker"], "events": None}
                assert trimmed["tracker"]["events"] == full["tracker"]["events"][-len(trimmed["tracker"]["events"]):]
                assert {k: v for k, v in trimmed.items() if k != "tracker"} == {
                    k: v for k, v in full.items() if k != "tracker"}
                random.seed(0)
                answer_full = asyncio.run(run_action(executor, full))
                random.seed(0)
                assert asyncio.run(run_action(executor, trimmed)) == answer_full
            tracker.update(ActionExecuted(action, policy=bounded.policy_name, confidence=bounded.max_confidence,
                                          hide_rule_turn=bounded.hide_rule_turn))
            for event in bounded.events + action_result(rng, action):
                tracker.update(event)
            if action == ACTION_LISTEN_NAME:
                break
    return counts, tracker


@pytest.mark.model
@pytest.mark.parametrize("seed", [1, 2])
def test_long_self_play_predicts_as_rasa_does(agent, seed):
    counts, tracker = self_play(agent, TURNS, seed)
    print(dict(counts), len(tracker.events), "events")
    assert counts["custom action calls"] > TURNS // 4
    # the bounded states are the ones used, not a fallback to Rasa's code, in a long conversation
    assert counts[f"RulePolicy margin {turn_cost.RULE_STATE_MARGIN}: Rasa's code"] == 0
    assert counts[f"RulePolicy margin {turn_cost.STATE_MARGIN}: Rasa's code"] == 0


def test_recent_events_are_the_last_user_turns():
    domain = Domain.load(str(REPO / "domain.yml"))
    tracker = DialogueStateTracker("t", domain.slots)
    tracker.update(ActionExecuted(ACTION_SESSION_START_NAME))
    tracker.update(SessionStarted())
    assert list(turn_cost.recent_events(tracker)) == list(tracker.events)  # fewer turns: everything
    for i in range(5):
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        tracker.update(UserUttered(f"q{i}", {"name": "ask_spread", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_answer"))
        tracker.update(BotUttered(f"a{i}"))
    tail = turn_cost.recent_events(tracker)
    assert [type(e).__name__ for e in tail][:2] == ["ActionExecuted", "UserUttered"]
    assert [e.text for e in tail if isinstance(e, UserUttered)] == ["q3", "q4"]
    assert tail == list(tracker.events)[-8:]


def test_the_action_call_differs_only_by_the_older_events():
    domain = Domain.load(str(REPO / "domain.yml"))
    tracker = DialogueStateTracker("t", domain.slots)
    for i in range(30):
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        tracker.update(UserUttered(f"q{i}", {"name": "ask_spread", "confidence": 1.0},
                                   [{"entity": "cancer_type", "value": "lung"}]))
        tracker.update(SlotSet("cancer_type", "lung" if i % 2 else "breast"))
        tracker.update(ActionExecuted("action_answer"))
        tracker.update(BotUttered(f"a{i}"))
    for selective in (False, True):
        remote = RemoteAction("action_answer", EndpointConfig("http://x/webhook", enable_selective_domain=selective))
        full, trimmed = STOCK_CALL(remote, tracker, domain), remote._action_call_format(tracker, domain)
        assert len(trimmed["tracker"]["events"]) == 10 < len(full["tracker"]["events"]) == 150
        trimmed["tracker"]["events"] = full["tracker"]["events"]
        assert trimmed == full


@pytest.mark.parametrize("target", sorted(turn_cost.MIRRORS))
def test_the_code_the_bound_relies_on_is_the_one_read(target):
    import importlib

    module, _, path = target.partition(":")
    value: Any = importlib.import_module(module)
    for name in path.split("."):
        value = getattr(value, name)
    assert turn_cost.source_sha256(value) == turn_cost.MIRRORS[target], (
        f"{target} changed: read it again against addons/turn_cost.py, then record its fingerprint")
