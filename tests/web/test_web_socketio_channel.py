"""The socketio channel without a browser: python-socketio's AsyncClient over polling.

Why addons/socketio_channel.py exists (issue 4, RasaHQ/rasa#13027): with python-socketio >= 5.10
`AsyncServer.enter_room` is a coroutine and Rasa 3.6 calls it without `await`, so with
`session_persistence: true` the client never joins its session's room and no reply arrives.
`test_builtin_channel_with_this_python_socketio` shows that on whatever python-socketio is
installed; the other tests show the project's channel working.

The channel tests run Rasa's channel code on a bare Sanic app (tests/web/channel_app.py, no
model). The last test talks to the real `rasa run` with the trained model ($MODEL_PATH).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import urllib.error
import urllib.request
import uuid
from typing import List

import pytest
import socketio
import yaml

from socketio_client import Conversation, own_loop, start_channel
from tests.support.servers import REPO as ROOT

@pytest.fixture(scope="module")
def addon_channel(servers, logs) -> str:
    return start_channel(servers, logs, "addon")


@pytest.fixture(scope="module")
def builtin_channel(servers, logs) -> str:
    return start_channel(servers, logs, "builtin")


@own_loop
async def test_builtin_channel_with_this_python_socketio(builtin_channel: str) -> None:
    """Rasa's own channel with session persistence: replies iff enter_room is synchronous."""
    enter_room_is_async = inspect.iscoroutinefunction(socketio.AsyncServer.enter_room)
    async with Conversation(builtin_channel) as chat:
        session = await chat.start()
        await chat.say("hello", session)
        replies = await chat.replies_within(3)
    if enter_room_is_async:
        assert replies == [], "Rasa's channel now delivers: the addon may no longer be needed"
    else:
        assert replies == [{"text": f"echo {session}: hello"}]


@own_loop
async def test_addon_delivers_replies_with_session_persistence(addon_channel: str) -> None:
    async with Conversation(addon_channel) as chat:
        session = await chat.start()
        assert len(session) == 32  # uuid4 hex, made by the server
        await chat.say("hello", session)
        assert await chat.replies_within(10) == [{"text": f"echo {session}: hello"}]


@own_loop
async def test_addon_keeps_the_session_across_reconnects(addon_channel: str) -> None:
    """A page reload is a new socket: the stored session id keeps the same conversation."""
    async with Conversation(addon_channel) as chat:
        session = await chat.start()
        await chat.say("first", session)
        assert await chat.replies_within(10) == [{"text": f"echo {session}: first"}]
    async with Conversation(addon_channel) as chat:
        assert await chat.start(session) == session
        await chat.say("second", session)
        assert await chat.replies_within(10) == [{"text": f"echo {session}: second"}]


@own_loop
async def test_addon_keeps_sessions_apart(addon_channel: str) -> None:
    async with Conversation(addon_channel) as alice, Conversation(addon_channel) as bob:
        a, b = await alice.start(), await bob.start()
        assert a != b
        await alice.say("from alice", a)
        await bob.say("from bob", b)
        assert await alice.replies_within(10) == [{"text": f"echo {a}: from alice"}]
        assert await bob.replies_within(10) == [{"text": f"echo {b}: from bob"}]
        assert await alice.replies_within(0.5) == []


@own_loop
async def test_addon_answers_a_message_sent_before_the_session_request(addon_channel: str) -> None:
    """After a reconnect the client may speak before its new session request is answered."""
    session = uuid.uuid4().hex
    async with Conversation(addon_channel) as chat:
        await chat.say("early", session)
        assert await chat.replies_within(10) == [{"text": f"echo {session}: early"}]


@own_loop
async def test_addon_ignores_messages_without_session_id(addon_channel: str) -> None:
    async with Conversation(addon_channel) as chat:
        await chat.start()
        await chat.client.emit("user_uttered", {"message": "no session"})
        assert await chat.replies_within(1) == []


@own_loop
async def test_addon_sends_custom_json_payloads(addon_channel: str) -> None:
    async with Conversation(addon_channel) as chat:
        session = await chat.start()
        await chat.say("custom", session)
        [reply] = await chat.replies_within(10)
        assert reply["attachment"]["payload"]["alt"] == "a picture"
        await chat.say("custom data", session)
        assert await chat.replies_within(10) == [{"text": "data form"}]


@own_loop
async def test_addon_without_persistence_uses_the_socket_id(servers, logs) -> None:
    url = start_channel(servers, logs, "addon", "--no-persistence")
    async with Conversation(url) as chat:
        await chat.start()
        await chat.say("hi", "ignored")
        [reply] = await chat.replies_within(10)
        assert reply["text"].startswith("echo ") and "ignored" not in reply["text"]


def allow_origin_headers(url: str, origin: str) -> List[str]:
    """Access-Control-Allow-Origin values on a polling handshake from `origin` (or the status)."""
    request = urllib.request.Request(f"{url}/socket.io/?EIO=4&transport=polling",
                                     headers={"Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.headers.get_all("Access-Control-Allow-Origin") or []
    except urllib.error.HTTPError as error:
        return [f"HTTP {error.code}"] + (error.headers.get_all("Access-Control-Allow-Origin") or [])


@pytest.mark.parametrize("with_rasa_cors", [False, True], ids=["channel-only", "with-rasa-cors"])
def test_addon_cors_allow_list(servers, logs, with_rasa_cors: bool) -> None:
    """cors_allowed_origins admits the listed origins only, each answer with one CORS header.

    With `rasa run --cors` as well (Sanic-CORS), the socket.io route must not get a second
    Access-Control-Allow-Origin: browsers reject a response that has two.
    """
    extra = ["--rasa-cors", "https://forum.example.org"] if with_rasa_cors else []
    url = start_channel(servers, logs, "addon", "--cors-allowed-origins",
                        "https://forum.example.org, http://127.0.0.1:8080", *extra)
    assert allow_origin_headers(url, "https://forum.example.org") == ["https://forum.example.org"]
    assert allow_origin_headers(url, "http://127.0.0.1:8080") == ["http://127.0.0.1:8080"]
    assert allow_origin_headers(url, "https://evil.example.com") == ["HTTP 400"]


def test_addon_takes_the_allow_list_from_the_environment(servers, logs) -> None:
    url = start_channel(servers, logs, "addon", env={"SOCKETIO_CORS_ORIGINS": "http://127.0.0.1:8080"})
    assert allow_origin_headers(url, "http://127.0.0.1:8080") == ["http://127.0.0.1:8080"]
    assert allow_origin_headers(url, "https://evil.example.com") == ["HTTP 400"]


def test_builtin_channel_leaves_socket_origins_open(builtin_channel: str) -> None:
    """Without an allow-list (Rasa's default) the socket accepts any origin: WebSockets are not
    covered by the browser's CORS checks, so production sets cors_allowed_origins."""
    assert allow_origin_headers(builtin_channel, "https://evil.example.com") == []


@pytest.mark.model
@own_loop
async def test_real_assistant_over_socketio_with_session_persistence(web_stack) -> None:
    """`rasa run` with the model and the project's channel: answers, and one tracker per session."""
    async with Conversation(web_stack.rasa_url) as chat:
        session = await chat.start()
        await chat.say("hello", session)
        first = await chat.replies_within(30)
        assert first, "no reply from the assistant"
    async with Conversation(web_stack.rasa_url) as chat:
        assert await chat.start(session) == session
        await chat.say("where does breast cancer spread?", session)
        assert await chat.replies_within(30)
    # The tracker is saved when the turn ends, a little after its first reply: poll for it.
    said: List[str] = []
    for _ in range(40):
        with urllib.request.urlopen(f"{web_stack.rasa_url}/conversations/{session}/tracker",
                                    timeout=10) as response:
            tracker = json.loads(response.read())
        said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        if len(said) >= 2:
            break
        await asyncio.sleep(0.25)
    assert said == ["hello", "where does breast cancer spread?"]


def test_project_credentials_use_the_fixed_channel() -> None:
    """credentials.yml must not select Rasa's own socketio channel with session persistence
    while python-socketio's enter_room is a coroutine: the widget would get no replies."""
    path = ROOT / "credentials.yml"
    if not path.exists():
        pytest.skip("no credentials.yml")
    credentials = yaml.safe_load(path.read_text()) or {}
    builtin = credentials.get("socketio") or {}
    if builtin.get("session_persistence") and inspect.iscoroutinefunction(
            socketio.AsyncServer.enter_room):
        pytest.fail("credentials.yml: the built-in `socketio:` channel with session_persistence "
                    "gets no replies with this python-socketio; use "
                    "`addons.socketio_channel.SocketIOInput:` instead", pytrace=False)
    channel = credentials.get("addons.socketio_channel.SocketIOInput")
    assert channel is not None, "credentials.yml has no addons.socketio_channel.SocketIOInput"
    assert channel.get("session_persistence") is True
    assert channel.get("user_message_evt", "user_uttered") == "user_uttered"
    assert channel.get("bot_message_evt", "bot_uttered") == "bot_uttered"
