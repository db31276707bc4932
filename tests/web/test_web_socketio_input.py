"""Hostile and odd input through the project's socketio channel: a polite reply or nothing, never
a crash, and the conversation goes on. The same rules as the REST channel (addons.input_guard),
on the bare channel app (tests/web/channel_app.py: it echoes what reached "Rasa").
"""

from __future__ import annotations

import random
import string
from typing import Any, Dict, List

import pytest

from addons import input_guard
from socketio_client import Conversation, own_loop, start_channel

EMPTY_NOTE = input_guard.note("utter_empty_message")
LONG_NOTE = input_guard.note("utter_message_too_long", max_chars=input_guard.DEFAULT_MAX_MESSAGE_CHARS)
SOCKET_FUZZ_EXAMPLES = 2000


@pytest.fixture(scope="module")
def channel(servers, logs) -> str:
    return start_channel(servers, logs, "addon")


def texts(replies: List[Dict[str, Any]]) -> List[str]:
    return [r.get("text") for r in replies]


async def still_answers(chat: Conversation, session: str) -> None:
    await chat.say("still there?", session)
    assert texts(await chat.replies_within(10)) == [f"echo {session}: still there?"]


@pytest.mark.parametrize("message", ["", "   ", "\n\t ", None, 42, ["hi"], {"text": "hi"}, b"\xff\xfe"],
                         ids=["empty", "spaces", "whitespace", "null", "number", "list", "object",
                              "binary"])
@own_loop
async def test_no_text_gets_the_empty_note_without_reaching_the_model(channel, message) -> None:
    async with Conversation(channel) as chat:
        session = await chat.start()
        await chat.client.emit("user_uttered", {"message": message, "session_id": session})
        assert texts(await chat.replies_within(10)) == [EMPTY_NOTE]
        await still_answers(chat, session)


@own_loop
async def test_a_missing_message_key_is_like_an_empty_one(channel) -> None:
    async with Conversation(channel) as chat:
        session = await chat.start()
        await chat.client.emit("user_uttered", {"session_id": session})
        assert texts(await chat.replies_within(10)) == [EMPTY_NOTE]


@own_loop
async def test_one_megabyte_message_is_cut_with_a_note(channel) -> None:
    async with Conversation(channel) as chat:
        session = await chat.start()
        await chat.say("word " * 200_000, session)
        echo, note = await chat.replies_within(30, at_least=2)  # the answer first, the note last
        assert note["text"] == LONG_NOTE
        echoed = echo["text"][len(f"echo {session}: "):]
        assert 0 < len(echoed) <= input_guard.DEFAULT_MAX_MESSAGE_CHARS
        assert echoed.startswith("word word")


@pytest.mark.parametrize(
    "typed, processed",
    [("/restart", "restart"), ('/ask_spread{"cancer_type": "lung"}', 'ask_spread{"cancer_type": "lung"}'),
     ("/greet@0.99", "greet@0.99"), ("<script>alert(1)</script>", "<script>alert(1)</script>"),
     ("مرحبا، هل ينتشر السرطان؟ 🎗️", "مرحبا، هل ينتشر السرطان؟ 🎗️"),
     ("a\ud800b\x00c\r\nd", "a\ufffdbc\nd")],
    ids=["restart", "intent-with-entities", "intent-with-confidence", "html", "rtl-emoji",
         "surrogate-and-controls"],
)
@own_loop
async def test_typed_payloads_and_odd_text(channel, typed, processed) -> None:
    """A typed /intent is read as text (no forced intents or slots); other text arrives clean."""
    async with Conversation(channel) as chat:
        session = await chat.start()
        await chat.say(typed, session)
        assert texts(await chat.replies_within(10)) == [f"echo {session}: {processed}"]


@pytest.mark.parametrize("data", ["just a string", ["a", "list"], 7, None, ("two", "args")],
                         ids=["string", "list", "number", "no-argument", "two-arguments"])
@own_loop
async def test_an_event_that_is_not_an_object_is_ignored(channel, data) -> None:
    async with Conversation(channel) as chat:
        session = await chat.start()
        await chat.client.emit("user_uttered", data)
        assert await chat.replies_within(1) == []
        await still_answers(chat, session)


@pytest.mark.parametrize("session_id", ["x" * 129, "a\nb", 12, "", "  "],
                         ids=["too-long", "control-char", "number", "empty", "blank"])
@own_loop
async def test_odd_session_ids(channel, session_id) -> None:
    """Asked for, an odd session id is replaced by a fresh one; in a message, it is ignored."""
    async with Conversation(channel) as chat:
        given = await chat.start(session_id)
        assert given != session_id and len(given) == 32
        await chat.client.emit("user_uttered", {"message": "hi", "session_id": session_id})
        assert await chat.replies_within(1) == []
        await still_answers(chat, given)


@pytest.mark.parametrize("metadata", ['{"broken json', "x" * 20000, ["a"], {"k": "x" * 20000}],
                         ids=["broken-json", "huge-string", "list", "huge-object"])
@own_loop
async def test_odd_metadata_is_dropped_and_the_message_answered(channel, metadata) -> None:
    async with Conversation(channel) as chat:
        session = await chat.start()
        await chat.client.emit("user_uttered",
                               {"message": "hi", "session_id": session, "metadata": metadata})
        assert texts(await chat.replies_within(10)) == [f"echo {session}: hi"]


@pytest.mark.parametrize("text", ["boom", "silent"], ids=["failure", "silence"])
@own_loop
async def test_failure_or_silence_gets_the_apology(channel, text) -> None:
    async with Conversation(channel) as chat:
        session = await chat.start()
        await chat.say(text, session)
        replies = texts(await chat.replies_within(10, at_least=2))
        # Rasa's socketio output sends each paragraph of a text as its own message
        assert "\n\n".join(replies) == input_guard.apology()
        await still_answers(chat, session)


def _random_event(rng: random.Random, session: str) -> Any:
    """One generated `user_uttered` payload: mostly plausible, often broken."""
    alphabet = string.printable + "éü中文مرحبا🎗️\u202e\u200d\ud800\x00"
    text = "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 5, 40, 300, 2500])))
    leaves = [None, True, 0, -1, 1e308, text, "/restart", '/ask_spread{"a": 1}', b"\x00\xff", [], {}]
    kind = rng.randrange(10)
    if kind == 0:
        return rng.choice(leaves)
    event: Dict[str, Any] = {}
    if rng.randrange(8):
        event["session_id"] = session if rng.randrange(4) else rng.choice(leaves)
    if rng.randrange(8):
        event["message"] = text if rng.randrange(3) else rng.choice(leaves)
    if not rng.randrange(4):
        event["metadata"] = rng.choice(leaves + [{"k": text}, text])
    return event


@own_loop
async def test_fuzz_the_socket_keeps_answering(channel) -> None:
    """2,000 generated events (seeded): the channel survives them all and still answers."""
    rng = random.Random(20261122)
    async with Conversation(channel) as chat:
        session = await chat.start()
        for _ in range(SOCKET_FUZZ_EXAMPLES):
            # call() waits for the server's acknowledgement, i.e. until the event was handled:
            # a flood of emits would be batched past Engine.IO's 16 packets per request.
            await chat.client.call("user_uttered", _random_event(rng, session), timeout=30)
        await chat.say("fuzz done", session)
        # Events are handled in order of arrival: the last echo closes the run.
        replies: List[Dict[str, Any]] = []
        while not replies or replies[-1].get("text") != f"echo {session}: fuzz done":
            got = await chat.replies_within(120)
            assert got, f"no reply after {len(replies)} replies: the channel stopped answering"
            replies += got
        echoes = [r["text"] for r in replies if r["text"].startswith(f"echo {session}: ")]
        notes = [r["text"] for r in replies if r["text"] in (EMPTY_NOTE, LONG_NOTE)]
        assert len(echoes) > SOCKET_FUZZ_EXAMPLES // 10, "the fuzz hardly produced valid messages"
        assert notes, "the fuzz produced no empty or long message"
        # (an echo with a blank line in it arrives as several messages: Rasa's socketio output
        # sends one per paragraph)
        assert all(isinstance(r.get("text"), str) for r in replies)
        assert not any(input_guard.NOTES["utter_technical_problem"] in r["text"] for r in replies)
        # everything that reached the bot was within the limit
        assert all(len(e) <= len(f"echo {session}: ") + input_guard.DEFAULT_MAX_MESSAGE_CHARS
                   for e in echoes)
