"""addons.held_replies: what a streaming channel sends, and when, around the tracker store.

The end-to-end cases (a refused deletion over socketio and REST) are in test_forget_me.py; here
the rules themselves, with a recording output channel and Rasa's own RemoteAction calling an
action server that is not there (a closed port on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Text

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import OutputChannel
from rasa.utils.endpoints import EndpointConfig

from addons import action_guard, tracker_store
from addons.held_replies import HeldReplies
from tests.support.servers import free_port


class Recorder(OutputChannel):
    def __init__(self) -> None:
        self.delivered: List[Text] = []

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.delivered.append(text)


class Turn(HeldReplies, Recorder):
    pass


def text(value: str) -> Dict[str, Any]:
    return {"text": value}


@pytest.fixture(autouse=True)
def fresh_flags():
    action_guard.install()
    action_guard.reset()
    tracker_store.reset_storage_failed()
    yield
    action_guard.reset()
    tracker_store.reset_storage_failed()


async def test_replies_wait_for_the_end_of_a_stored_turn():
    out = Turn()
    out.hold()
    await out.send_response("me", text("answer"))
    await out.send_response("me", text("guidance"))
    assert out.delivered == [] and out.sent == 2
    assert await out.finish() is True
    assert out.delivered == ["answer", "guidance"]


async def test_replies_of_a_turn_that_was_not_stored_are_dropped():
    out = Turn()
    out.hold()
    await out.send_response("me", text("Done. I have deleted this conversation."))
    tracker_store._storage_failed.set(True)  # what the store does when the save fails
    assert await out.finish() is False
    assert out.delivered == [] and out.sent == 1, "counted: the channel knows it was not silent"


async def test_after_finish_replies_go_out_at_once():
    out = Turn()
    out.hold()
    await out.finish()
    await out.send_response("me", text("pushed later"))
    assert out.delivered == ["pushed later"]


async def test_without_hold_nothing_is_held():
    """The output channel Rasa uses outside a conversation turn (get_output_channel)."""
    out = Turn()
    await out.send_response("me", text("reminder"))
    assert out.delivered == ["reminder"]


def unreachable_action() -> RemoteAction:
    return RemoteAction("action_answer",
                        EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook"))


async def run_unreachable(action: RemoteAction) -> List:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    domain = Domain.empty()
    return await action.run(Recorder(), TemplatedNaturalLanguageGenerator({}),
                            DialogueStateTracker("me", []), domain)


async def test_what_was_said_goes_out_before_the_action_server_is_called():
    """The urgent-care response must not wait for a slow or dead action server."""
    out = Turn()
    action_guard.reset()
    out.hold()
    await out.send_response("me", text("urgent care first"))
    assert await run_unreachable(unreachable_action()) == []
    assert out.delivered == ["urgent care first"]
    assert action_guard.action_failed()
    await out.send_response("me", text("after"))
    await out.finish()
    assert out.delivered == ["urgent care first", "after"]


async def test_nothing_goes_out_before_the_action_server_once_storage_failed():
    """The conversation could not be read: what Rasa says comes from an empty one."""
    out = Turn()
    out.hold()
    await out.send_response("me", text("answer without context"))
    tracker_store._storage_failed.set(True)
    await run_unreachable(unreachable_action())
    assert out.delivered == []
    assert await out.finish() is False and out.delivered == []


async def test_concurrent_turns_keep_their_own_replies():
    """Each message is handled in its own task: one turn's release never sends another's."""
    first, second = Turn(), Turn()

    async def turn(out: Turn, label: str, fail: bool) -> None:
        action_guard.reset()
        out.hold()
        await out.send_response(label, text(label))
        await asyncio.sleep(0.01)
        if fail:
            tracker_store._storage_failed.set(True)
        await out.finish()

    await asyncio.gather(asyncio.create_task(turn(first, "one", False)),
                         asyncio.create_task(turn(second, "two", True)))
    assert first.delivered == ["one"] and second.delivered == []
