"""Replies that reach the person only once their turn is safely stored.

Rasa hands each bot message to the output channel as soon as the action that produced it has
run, and saves the conversation only at the end of the message. A channel that sends at once
(socketio, the REST channel's ``stream`` mode) can therefore confirm something the tracker store
then fails to keep: "Done. I have deleted this conversation." when the deletion did not reach
the database, or an answer given from an empty conversation because the database was away. The
plain REST channel does not have this problem: it returns what it collected after the save, and
replaces it with the apology when storage failed.

``HeldReplies`` gives the streaming channels the same rule without delaying answers: replies are
held, and released

* when Rasa is about to call the action server (``hold`` registers that with
  ``addons.action_guard``), so that a message said before a slow custom action, such as the
  urgent-care response before a red-flag answer, goes out at once, unless storage has already
  failed for this message;
* when the channel has handled the message (``finish``): released if the turn was stored,
  dropped if it was not, in which case the channel sends the apology instead.

So what is still held at the end is only what followed the last custom action: the closing
answer, and the "done" of "forget me".

The crisis and urgent-care responses (``SAFETY_RESPONSES``, safety rules 1 to 3) are never held:
they go out the moment Rasa utters them, before any custom action, and are never dropped, not
even when storage fails. A person in danger must get the emergency numbers whatever the
database does.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from addons import action_guard

# Domain responses that are sent at once and never held, dropped or replaced (data/rules/safety.yml).
SAFETY_RESPONSES = frozenset({"utter_crisis", "utter_urgent", "utter_urgent_tell"})


def is_safety_reply(message: Dict[Text, Any]) -> bool:
    """Whether Rasa produced this bot message from a crisis or urgent-care response."""
    return message.get("utter_action") in SAFETY_RESPONSES


class HeldReplies:
    """Mixin for an ``OutputChannel``: ``send_response`` holds, ``release`` sends.

    Rasa's processor hands every bot message to ``send_response``; direct ``send_text_message``
    calls (the input guard's notes) are not held.

    ``sent`` counts every reply Rasa produced for the message, held or not, so that the channel
    can tell silence from an answer.
    """

    sent = 0
    _held: Optional[List[Tuple[Text, Dict[Text, Any]]]] = None

    def hold(self) -> None:
        """Starts holding the replies to the message this task handles, until ``finish``."""
        self._held = []
        action_guard.before_action_server(self._release_if_stored)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        if is_safety_reply(message):
            action_guard.safety_reply_sent()
            await self.release()  # what came before it stays before it
            await super().send_response(recipient_id, message)  # type: ignore[misc]
        elif self._held is None:
            await super().send_response(recipient_id, message)  # type: ignore[misc]
        else:
            self._held.append((recipient_id, message))

    async def release(self) -> None:
        """Sends what is held so far; holding goes on until ``finish``."""
        if not self._held:
            return
        held, self._held = self._held, []
        for recipient_id, message in held:
            await super().send_response(recipient_id, message)  # type: ignore[misc]

    async def _release_if_stored(self) -> None:
        if not action_guard.storage_failed():
            await self.release()

    async def finish(self) -> bool:
        """Ends holding: sends the held replies if the turn was stored, else drops them.

        Returns whether they were sent.
        """
        action_guard.before_action_server(None)
        stored = not action_guard.storage_failed()
        if stored:
            await self.release()
        self._held = None
        return stored
