"""The tracker that ``addons.tracker_store`` hands to Rasa: two walks of the session per turn
made independent of its length.

Profiled over a 150-message conversation (BENCHMARKS.md, "Turn cost in long conversations"),
Rasa 3.6's processor walks every event of the session several times per turn, whatever the
turn does:

* ``DialogueStateTracker.applied_events()`` twice at the start of each message
  (``MessageProcessor._update_tracker_session`` asks whether there are any, then
  ``_has_session_expired`` looks for the last user message through ``get_last_event_for``);
  each call rebuilds the list of events not undone by reverts and restarts from the first
  event;
* ``DialogueStateTracker.copy()`` once per action run (``MessageProcessor._run_action`` runs the
  action on a copy): Rasa makes it with ``travel_back_in_time(inf)``, a new tracker on which
  every event is replayed.

At 1,130 events that was about 6 ms of a 40 ms turn. ``FlatTracker`` is a
``DialogueStateTracker`` (the class Rasa's own ``from_dict`` builds, through ``cls``) that
answers both with the same result at the cost of the new events only:

* ``applied_events()`` keeps its last answer (``_AppliedMemo``: how many events it covered, the
  first and the last of them, the list, and the names of the loops seen). When the tracker has
  the same events plus new ones, the new ones are folded onto a copy of that list by the very
  loop of Rasa's method (``_fold``, a copy of its body, fingerprinted in ``MIRRORS``). Rasa's
  loop treats the executions of every loop named *anywhere* in the events specially, so a new
  event naming a loop not seen before makes it start over from the first event, as does a
  tracker whose events are not the remembered ones followed by new ones (a different first
  or last remembered event, fewer events, a history limit). Rasa never changes events already
  logged in the middle of a tracker's list (it appends; ``_reset`` keeps them), which is what
  makes the first and the last remembered event enough to recognise the prefix. The memo is
  immutable, so the copies of a tracker (``addons.tracker_store.copy_tracker``) share it
  safely;
* ``copy()`` builds what Rasa's replay builds, without replaying: ``init_copy()`` (Rasa's own:
  sender, slots, history limit, rule flag; no model or assistant id, no sender source), the
  same event objects, and the state that the replay of those events recreates (the slots'
  values, the pause, the latest action, message and bot utterance, the follow-up, the loop).
  That state is the tracker's own: Rasa's ``DialogueStateTracker.__init__`` says the state
  "MUST be re-creatable by processing all the events", and its processor only changes the
  state by logging events. Where the history is limited (``max_event_history``), the replay of
  the kept events might not give the state, so Rasa's code runs.

Nothing outlives the tracker object and its copies: the store's cache holds the tracker (and
with it the memo) under the same check against the database as before. ``tests/patches/
test_flat_tracker.py`` replays long conversations (reverts, restarts, session starts, loops,
follow-ups, pauses) and checks both methods against Rasa's after every event.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any, FrozenSet, List, Optional, Tuple

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

# Rasa's code that this module copies or relies on: the first 16 hex digits of each one's
# source sha256 as read (tests/patches/test_flat_tracker.py), so an upgrade is read again.
MIRRORS = {
    "rasa.shared.core.trackers:DialogueStateTracker.applied_events": "764d5065ea9997d6",
    "rasa.shared.core.trackers:DialogueStateTracker.copy": "dfa48dca9f355ad1",
    "rasa.shared.core.trackers:DialogueStateTracker.travel_back_in_time": "09d16f28f007492f",
    "rasa.shared.core.trackers:DialogueStateTracker.init_copy": "429fcd2243b9e0e1",
    "rasa.shared.core.trackers:DialogueStateTracker._reset": "190858eaf560a0c0",
    "rasa.shared.core.trackers:DialogueStateTracker.__init__": "8f39eb22462aa62b",
}


@dataclass(frozen=True)
class _AppliedMemo:
    """``applied_events()`` of a tracker whose first ``count`` events began with ``first`` and
    ended with ``last``. Never changed once made."""

    count: int
    first: Event
    last: Event
    applied: Tuple[Event, ...]
    loop_names: FrozenSet[str]


def _loop_names(events: Any) -> List[str]:
    # Rasa's list comprehension at the top of applied_events()
    return [event.name for event in events if isinstance(event, ActiveLoop) and event.name]


class FlatTracker(DialogueStateTracker):
    """``DialogueStateTracker`` whose ``applied_events()`` and ``copy()`` cost the new events
    only (see the module's docstring); every other method is Rasa's."""

    _applied_memo: Optional[_AppliedMemo] = None

    def _reset(self) -> None:
        super()._reset()
        # the empty messages that are not events, told apart from events by identity in copy()
        self._empty_message = self.latest_message
        self._empty_utterance = self.latest_bot_utterance

    def applied_events(self) -> List[Event]:
        events = self.events
        count = len(events)
        if count == 0:
            return []
        memo = self._applied_memo
        if (
            memo is not None
            and memo.count <= count
            and self._max_event_history is None
            and events[0] is memo.first
            and events[memo.count - 1] is memo.last
        ):
            new = list(itertools.islice(events, memo.count, count))
            new_names = _loop_names(new)
            if not set(new_names) - memo.loop_names:
                if not new:
                    return list(memo.applied)
                applied = self._fold(new, memo.loop_names, list(memo.applied))
                self._remember_applied(count, events, applied, memo.loop_names)
                return list(applied)
        loop_names = frozenset(_loop_names(events))
        applied = self._fold(events, loop_names, [])
        self._remember_applied(count, events, applied, loop_names)
        return list(applied)

    def _remember_applied(
        self, count: int, events: Any, applied: List[Event], loop_names: FrozenSet[str]
    ) -> None:
        if self._max_event_history is None:
            self._applied_memo = _AppliedMemo(
                count, events[0], events[count - 1], tuple(applied), loop_names
            )

    def _fold(self, events: Any, loop_names: FrozenSet[str], applied_events: List[Event]) -> List[Event]:
        """The loop of Rasa 3.6's ``applied_events()``, from ``applied_events`` on."""
        for event in events:
            if isinstance(event, (Restarted, SessionStarted)):
                applied_events = []
            elif isinstance(event, ActionReverted):
                self._undo_till_previous(ActionExecuted, applied_events)
            elif isinstance(event, UserUtteranceReverted):
                # Seeing a user uttered event automatically implies there was
                # a listen event right before it, so we'll first rewind the
                # user utterance, then get the action right before it (also removes
                # the `action_listen` action right before it).
                self._undo_till_previous(UserUttered, applied_events)
                self._undo_till_previous(ActionExecuted, applied_events)
            elif (
                isinstance(event, ActionExecuted)
                and event.action_name in loop_names
                and not self._first_loop_execution_or_unhappy_path(
                    event.action_name, applied_events
                )
            ):
                self._undo_till_previous_loop_execution(
                    event.action_name, applied_events
                )
            else:
                applied_events.append(event)
        return applied_events

    def copy(self) -> DialogueStateTracker:
        if self._max_event_history is not None:
            return super().copy()
        twin = self.init_copy()  # Rasa's: slots at their initial values, no events
        twin.events.extend(self.events)
        for name, slot in self.slots.items():
            twin.slots[name] = copy.copy(slot)
        twin._paused = self._paused
        twin.followup_action = self.followup_action
        twin.latest_action = copy.copy(self.latest_action)
        # The replay sets these to the events themselves, or leaves the empty ones that its
        # own _reset() made (then the twin keeps those). Events can still change an empty
        # message: EntitiesAdded adds to its entities, DefinePrevUserUtteredFeaturization sets
        # its flag; the twin's gets the same.
        if self.latest_message is not self._empty_message:
            twin.latest_message = self.latest_message
        elif self.latest_message is not None:
            twin.latest_message.entities = list(self.latest_message.entities)
            twin.latest_message.use_text_for_featurization = (
                self.latest_message.use_text_for_featurization
            )
        if self.latest_bot_utterance is not self._empty_utterance:
            twin.latest_bot_utterance = self.latest_bot_utterance
        twin.active_loop = copy.copy(self.active_loop)
        return twin
