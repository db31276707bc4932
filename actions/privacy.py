"""'Forget me' (issue 5): the action that marks a conversation for deletion.

The action server cannot reach the tracker store, and must not: the action only sets the
`forget_conversation` slot, and its rule (data/rules/privacy.yml, after a yes to
`utter_ask_forget_conversation`) then says it is done with `utter_conversation_forgotten`,
whose "done" variation needs that slot. If the action server fails, Rasa drops the action's
events and goes on with the rule: the slot is unset and the response says the deletion did not
happen, never that it did. Rasa saves the turn under the sender's lock right after, and
`addons.tracker_store.ResilientSQLTrackerStore` deletes every stored event of a conversation
that carries the slot instead of saving it, the confirmation included.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from . import names


class ActionForgetConversation(Action):
    """Leaves the marker the tracker store deletes on; the rule's response speaks."""

    def name(self) -> Text:
        return "action_forget_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return [SlotSet(names.SLOT_FORGET, True)]
