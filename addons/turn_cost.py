"""Two per-turn costs of Rasa 3.6 that grow with the conversation, made independent of its length.

Found by profiling a long conversation (BENCHMARKS.md, "Message 150 against message 1"): at
message 200 of one conversation (about 1,500 events) a turn built the dialogue state of every
past action five times over, and posted the whole event history to the action server.

* **Policy states.** ``Policy._prediction_states`` asks the featurizer for the states of the
  whole history (``Domain.states_for_tracker_history``: one state per past action, each with
  every slot), then MemoizationPolicy keeps the last ``max_history`` of them and RulePolicy only
  compares the last few with its rules (``_get_possible_keys`` stops caring beyond the longest
  rule). Here the states are built only for the last actions (``recent_states``), with the
  very same code and in the same order, so every state it returns is the state Rasa would have
  built. They are replayed from a recent ``action_listen`` (``_suffix``: a tracker with the
  slots as they were there), or, where the tail of the history has reverts, restarts or loops,
  from the start of the session as Rasa does. When the window is not enough to know them
  (MemoizationPolicy skips the turns that only rules know, and such turns could fill the
  window), it returns nothing and Rasa's own code runs. Only MemoizationPolicy and RulePolicy
  themselves (not subclasses) on their usual featurizer get it; any other policy, and the rule
  trackers of training, go through Rasa's code.

  RulePolicy gets the last ``K`` states, ``K`` = its longest rule: a rule is checked against
  the conversation's last states only, as far back as the rule is long (``_is_rule_applicable``
  returns True beyond that), so the rules that apply are the same. Where no rule applies,
  RulePolicy uses the states as a key (``_create_feature_key``) to decide ``hide_rule_turn``;
  that key is in its rule lookup only if a rule of that very length matches these very states,
  which would have applied, so the decision is the same (False) with either list. What differs
  is the debug log line that prints the states: the last ``K`` instead of all.
* **The action server's copy of the conversation.** ``RemoteAction._action_call_format``
  serialises every event of the session into each call (850 kB of JSON at message 200). The
  actions read the latest message and the slots (``actions/answer_actions.py``,
  ``actions/privacy.py``), which are still sent whole; of the events, only those of the last
  ``ACTION_EVENTS_USER_TURNS`` user turns are sent (from the ``action_listen`` before that user
  message), enough for rasa_sdk's helpers that look back within a turn (forms'
  ``slots_to_validate``, ``get_latest_entity_values``). ``latest_event_time`` is the last
  event's, as before.

Nothing is kept between turns: all of it is computed from the tracker the store returned, so
replicas need no care and "forget me" leaves nothing in memory. ``install()`` is idempotent and
called by ``addons.install`` (named in ``config.yml``); ``tests/patches/test_turn_cost.py``
self-plays long conversations and checks every prediction and every action's answer against
Rasa's.
"""

from __future__ import annotations

import hashlib
import inspect
import weakref
from typing import Any, Dict, Iterator, List, Optional, Text, Tuple

# Actions (points in the history) before the last ones a policy needs for which the state is
# built as well: the margin lets MemoizationPolicy skip rule-only turns and still find its
# last `max_history` states inside the window. RulePolicy skips no turn: its window needs no
# margin, a small one is kept (three of the five state builds per turn are RulePolicy's).
STATE_MARGIN = 40
RULE_STATE_MARGIN = 2
# MemoizationPolicy tries a short window first: most turns are found within a few actions,
# and the 40-action one costs as much as the rest of the prediction.
MEMO_STATE_MARGINS = (6, STATE_MARGIN)
# User turns of events sent to the action server (the current one and the one before).
ACTION_EVENTS_USER_TURNS = 2

# Rasa's code that ``recent_states`` copies step for step, or whose reading makes the bound safe
# (the last states decide; the feature key of no rule): the first 16 hex digits of each one's
# source sha256 as read (tests/patches/test_turn_cost.py), so an upgrade is read again.
MIRRORS = {
    "rasa.shared.core.domain:Domain.states_for_tracker_history": "035111ce73ac90ba",
    "rasa.shared.core.trackers:DialogueStateTracker.generate_all_prior_trackers": "a1f6954347b52649",
    "rasa.core.featurizers.tracker_featurizers:MaxHistoryTrackerFeaturizer.prediction_states": "451caf09a389e871",
    "rasa.core.policies.rule_policy:RulePolicy._is_rule_applicable": "64a108b016b46e57",
    "rasa.core.policies.rule_policy:RulePolicy._get_possible_keys": "2915fd81711e194c",
    "rasa.core.policies.rule_policy:RulePolicy._find_action_from_rules": "be6da6ee0f5429bd",
    "rasa.core.policies.rule_policy:RulePolicy._rule_prediction": "90316ddf7eb4b314",
}

_installed = False


def install() -> None:
    """Replaces ``Policy._prediction_states`` and ``RemoteAction._action_call_format`` (once)."""
    global _installed
    if not _installed:
        _bound_prediction_states()
        _trim_action_call()
        _installed = True


# -- policy states ---------------------------------------------------------------------------

# A state left out of the window (its place in the list counts, its content is not needed).
_NOT_BUILT = object()


def _prior_trackers(prior: Any, applied: List[Any]) -> Iterator[Tuple[Any, bool]]:
    """``DialogueStateTracker.generate_all_prior_trackers`` from ``prior`` over ``applied``."""
    from rasa.shared.core.events import ActionExecuted

    for event in applied:
        if isinstance(event, ActionExecuted):
            yield prior, event.hide_rule_turn
        prior.update(event)
    yield prior, False


def _suffix(tracker: Any, points: int) -> Optional[Tuple[Any, List[Any]]]:
    """A tracker as the conversation stood just before a recent ``action_listen`` (at least
    ``points`` actions back), and the events from there: or None where the tail of the history
    has events that rewrite it (reverts, restarts, loops), where the state there cannot be
    rebuilt from the slots alone.

    Rasa replays every applied event from the start of the session to build the states. From
    this cut on, the replay gives the same states as Rasa's, from the action after the user
    message that follows the cut: they depend on the slots (here the values they had at the
    cut), the latest user message and action (both after the cut), and, for MemoizationPolicy,
    on whether the ``action_listen`` at the cut was hidden (it is not, by choice of the cut) and
    had no follow-up action pending."""
    from rasa.shared.core import events as ev
    from rasa.shared.core.constants import ACTION_LISTEN_NAME

    plain = (ev.UserUttered, ev.DefinePrevUserUtteredFeaturization, ev.EntitiesAdded, ev.BotUttered,
             ev.SlotSet, ev.ActionExecuted, ev.FollowupAction, ev.ReminderScheduled, ev.ReminderCancelled,
             ev.ConversationPaused, ev.ConversationResumed, ev.AgentUttered)
    events = list(tracker.events)
    # isinstance(event, ActiveLoop) for any event, one type check per kind of event
    if any(issubclass(kind, ev.ActiveLoop) for kind in set(map(type, events))):
        return None  # applied_events() may undo loop executions anywhere
    seen, user_after, cut = 0, False, None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if type(event) not in plain:
            return None
        if type(event) is ev.ActionExecuted:
            if (seen >= points and user_after and event.action_name == ACTION_LISTEN_NAME
                    and not event.hide_rule_turn and not _follow_up_pending(events, index)):
                cut = index
                break
            seen += 1
            user_after = False
        elif type(event) is ev.UserUttered:
            user_after = True
    if cut is None:
        return None

    set_after = {event.key for event in events[cut:] if type(event) is ev.SlotSet}
    before: Dict[Text, Any] = {}
    pending = set(set_after)
    for index in range(cut - 1, -1, -1):
        if not pending:
            break
        event = events[index]
        kind = _scan_kind(type(event))  # a slot first set after the cut is looked for back to
        if kind is _SLOT and event.key in pending:  # the session start: a dict lookup each
            before[event.key] = event.value
            pending.discard(event.key)
        elif kind is _REVERT:
            return None
        elif kind is _RESET:
            break  # the slots still pending had their initial values at the cut

    prior = tracker.init_copy()
    for name, slot in tracker.slots.items():
        if name not in set_after:
            prior.slots[name].value = slot.value
        elif name in before:
            ev.SlotSet(name, before[name]).apply_to(prior)
    return prior, events[cut:]


_SLOT, _REVERT, _RESET = "slot", "revert", "reset"
_scan_kinds: Dict[type, Optional[str]] = {}


def _scan_kind(kind: type) -> Optional[str]:
    """What the backward scan of ``_suffix`` makes of an event of this class: the isinstance
    checks, made once per class (an abstract base class's isinstance is slow, per event)."""
    if kind not in _scan_kinds:
        from rasa.shared.core import events as ev

        _scan_kinds[kind] = (
            _SLOT if issubclass(kind, ev.SlotSet)
            else _REVERT if issubclass(kind, (ev.UserUtteranceReverted, ev.ActionReverted))
            else _RESET if issubclass(kind, (ev.Restarted, ev.SessionStarted, ev.AllSlotsReset))
            else None
        )
    return _scan_kinds[kind]


def _follow_up_pending(events: List[Any], index: int) -> bool:
    """Whether a follow-up action was pending just before ``events[index]``."""
    from rasa.shared.core import events as ev

    for earlier in range(index - 1, -1, -1):
        event = events[earlier]
        if isinstance(event, (ev.FollowupAction, ev.Restarted)):
            return True
        if isinstance(event, (ev.ActionExecuted, ev.UserUttered)):
            return False
    return False


def recent_states(
    domain: Any,
    tracker: Any,
    keep: int,
    *,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
    ignore_action_unlikely_intent: bool = False,
    margin: int = STATE_MARGIN,
    from_suffix: bool = True,
) -> Optional[List[Dict[Text, Any]]]:
    """The last ``keep`` states of ``domain.states_for_tracker_history(tracker, ...)`` (after
    removing ``action_unlikely_intent`` states, if asked), or None where they cannot be known
    without building older states: then the caller runs Rasa's code.

    The loop is ``Domain.states_for_tracker_history``'s, step for step; a state is only built
    for the last ``keep + margin`` actions of the history. Those are replayed from a recent
    cut (``_suffix``) where the history allows, else from the start of the session."""
    from rasa.shared.core.constants import ACTION_UNLIKELY_INTENT_NAME, PREVIOUS_ACTION
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import is_prev_action_listen_in_state

    found = _suffix(tracker, keep + margin) if from_suffix else None
    if found is not None:
        prior, applied = found
        first_built = 1  # the state at the cut's action_listen itself is not known
    else:
        prior, applied = tracker.init_copy(), tracker.applied_events()
        points = sum(1 for event in applied if isinstance(event, ActionExecuted)) + 1
        first_built = points - keep - margin

    states: List[Any] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for index, (tr, hide_rule_turn) in enumerate(_prior_trackers(prior, applied)):
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                continue

        if index < first_built:
            states.append(_NOT_BUILT)
            continue

        state = domain.get_active_state(tr)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                if states[-1] is _NOT_BUILT and not is_prev_action_listen_in_state(state):
                    # Rasa would copy the user input of a state not built here
                    states.append(_NOT_BUILT)
                    continue
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = last_ml_action_sub_state
        states.append(domain._clean_state(state))

    if ignore_action_unlikely_intent:
        # A state not built is never in the tail returned, whether Rasa would remove it or not.
        states = [
            state for state in states
            if state is _NOT_BUILT
            or state.get(PREVIOUS_ACTION, {}).get("action_name") != ACTION_UNLIKELY_INTENT_NAME
        ]
    last = states[-keep:]
    if any(state is _NOT_BUILT for state in last):
        return None
    return last


_longest_rule: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()


def states_needed(policy: Any) -> Optional[int]:
    """How many of the last states decide this policy's prediction, or None (all of them)."""
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy

    featurizer = getattr(policy, "featurizer", None)
    if type(featurizer) is not MaxHistoryTrackerFeaturizer:
        return None
    if type(policy) is MemoizationPolicy:
        return featurizer.max_history or None
    if type(policy) is RulePolicy:
        longest = _longest_rule.get(policy)
        if longest is None:
            keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
            longest = max((len(policy._rule_key_to_state(key)) for key in keys), default=0)
            _longest_rule[policy] = longest
        return max(longest, featurizer.max_history or 0, 1)
    return None


def _bound_prediction_states() -> None:
    from rasa.core.policies.policy import Policy, SupportedData

    original = Policy._prediction_states

    def _prediction_states(
        self: Any,
        tracker: Any,
        domain: Any,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[Dict[Text, Any]]:
        keep = None if tracker.is_rule_tracker else states_needed(self)
        if keep is not None:
            ml_only = self.supported_data() == SupportedData.ML_DATA
            states = None
            # A window that is too short gives None, never other states: the short one first.
            for margin in MEMO_STATE_MARGINS if ml_only else (RULE_STATE_MARGIN,):
                states = recent_states(
                    domain, tracker, keep, ignore_rule_only_turns=ml_only,
                    rule_only_data=rule_only_data, ignore_action_unlikely_intent=ml_only,
                    margin=margin,
                )
                if states is not None:
                    break
            if states is not None:
                # the rest of MaxHistoryTrackerFeaturizer.prediction_states
                states = self.featurizer.slice_state_history(states, self.featurizer.max_history)
                self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
                return states
        return original(self, tracker, domain, use_text_for_last_user_input, rule_only_data)

    _prediction_states.__wrapped__ = original  # type: ignore[attr-defined]
    Policy._prediction_states = _prediction_states  # type: ignore[assignment]


# -- the action server's copy ----------------------------------------------------------------

def recent_events(tracker: Any, user_turns: int = ACTION_EVENTS_USER_TURNS) -> List[Any]:
    """The events of the last ``user_turns`` user turns: from the ``action_listen`` before the
    earliest of those user messages (all events if the session has fewer)."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, UserUttered

    events = list(tracker.events)
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == user_turns:
                start = index
                while start > 0 and not (isinstance(events[start], ActionExecuted)
                                         and events[start].action_name == ACTION_LISTEN_NAME):
                    start -= 1
                return events[start:]
    return events


def _trim_action_call() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    original = RemoteAction._action_call_format

    def _action_call_format(self: Any, tracker: Any, domain: Any) -> Dict[Text, Any]:
        result = original(self, _Unserialised(tracker), domain)
        result["tracker"]["events"] = [event.as_dict() for event in recent_events(tracker)]
        return result

    class _Unserialised:
        """The tracker, whose ``current_state`` leaves the events to the caller."""

        def __init__(self, tracker: Any) -> None:
            self._tracker = tracker

        def __getattr__(self, name: Text) -> Any:
            return getattr(self._tracker, name)

        def current_state(self, event_verbosity: Any = EventVerbosity.NONE) -> Dict[Text, Any]:
            return self._tracker.current_state(EventVerbosity.NONE)

    _action_call_format.__wrapped__ = original  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format  # type: ignore[assignment]


def source_sha256(function: Any) -> Text:
    """The fingerprint addons.install records: first 16 hex digits of the source's sha256."""
    return hashlib.sha256(inspect.getsource(inspect.unwrap(function)).encode()).hexdigest()[:16]
