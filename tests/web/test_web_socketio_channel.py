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
import functools
import inspect
import json
import urllib.error
import urllib.request
import uuid
from typing import Any, List, Optional

import pytest
import socketio
from concurrent.futures import ThreadPoolExecutor

from web_helpers import HERE, PYTHON, Processes, free_port, wait_http

# The websocket transport would need a newer aiohttp than Rasa 3.6 pins; polling is what
# every browser starts with anyway.
TRANSPORTS = ["polling"]


def own_loop(test):
    """Run an async test in a fresh event loop on its own thread.

    Playwright's sync API runs an event loop on the main thread while its browser is open,
    so a test cannot rely on pytest-asyncio's loop there; a thread of its own always works.
    """
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, test(*args, **kwargs)).result()

    return run


class Conversation:
    """One socket.io connection speaking Rasa's socketio protocol."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.confirmed: "asyncio.Queue[str]" = asyncio.Queue()
        self.replies: "asyncio.Queue[Any]" = asyncio.Queue()
        self.client.on("session_confirm", self.confirmed.put_nowait)
        self.client.on("bot_uttered", self.replies.put_nowait)

    async def __aenter__(self) -> "Conversation":
        await self.client.connect(self.url, transports=TRANSPORTS, socketio_path="/socket.io",
                                  wait_timeout=10)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        # client.disconnect() waits for the pending long-poll, which the server only answers
        # at its next ping (25 s): close the Engine.IO session without waiting instead.
        await self.client.eio.disconnect(abort=True)

    async def start(self, session_id: Optional[str] = None) -> str:
        await self.client.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, text: str, session_id: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id})

    async def replies_within(self, seconds: float, at_least: int = 1) -> List[Any]:
        """Replies arriving within `seconds` (returns early once `at_least` have come)."""
        got: List[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while len(got) < at_least:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                got.append(await asyncio.wait_for(self.replies.get(), remaining))
            except asyncio.TimeoutError:
                break
        return got


def start_channel(processes: Processes, channel: str, *extra: str) -> str:
    port = free_port()
    proc = processes.start(f"channel_{channel}{'_'.join(extra)}",
                           [PYTHON, str(HERE / "channel_app.py"), "--channel", channel,
                            "--port", str(port), *extra])
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/webhooks/socketio/", 60, proc, proc.log_path)  # type: ignore[attr-defined]
    return url


@pytest.fixture(scope="module")
def addon_channel(processes: Processes) -> str:
    return start_channel(processes, "addon")


@pytest.fixture(scope="module")
def builtin_channel(processes: Processes) -> str:
    return start_channel(processes, "builtin")


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
async def test_addon_without_persistence_uses_the_socket_id(processes: Processes) -> None:
    url = start_channel(processes, "addon", "--no-persistence")
    async with Conversation(url) as chat:
        await chat.start()
        await chat.say("hi", "ignored")
        [reply] = await chat.replies_within(10)
        assert reply["text"].startswith("echo ") and "ignored" not in reply["text"]


def test_addon_cors_allow_list(processes: Processes) -> None:
    """cors_allowed_origins answers allowed origins only (no `*` needed in production)."""
    url = start_channel(processes, "addon", "--cors-allowed-origins",
                        "https://forum.example.org, http://127.0.0.1:8080")

    def allow_origin(origin: str) -> Optional[str]:
        request = urllib.request.Request(f"{url}/socket.io/?EIO=4&transport=polling",
                                         headers={"Origin": origin})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.headers.get("Access-Control-Allow-Origin")
        except urllib.error.HTTPError as error:
            return error.headers.get("Access-Control-Allow-Origin") or f"HTTP {error.code}"

    assert allow_origin("https://forum.example.org") == "https://forum.example.org"
    assert allow_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert allow_origin("https://evil.example.com") in (None, "HTTP 400")


@pytest.mark.model
@own_loop
async def test_real_assistant_over_socketio_with_session_persistence(rasa_stack) -> None:
    """`rasa run` with the model and the project's channel: answers, and one tracker per session."""
    async with Conversation(rasa_stack.rasa_url) as chat:
        session = await chat.start()
        await chat.say("hello", session)
        first = await chat.replies_within(30)
        assert first, "no reply from the assistant"
    async with Conversation(rasa_stack.rasa_url) as chat:
        assert await chat.start(session) == session
        await chat.say("where does breast cancer spread?", session)
        assert await chat.replies_within(30)
    # The tracker is saved when the turn ends, a little after its first reply: poll for it.
    said: List[str] = []
    for _ in range(40):
        with urllib.request.urlopen(f"{rasa_stack.rasa_url}/conversations/{session}/tracker",
                                    timeout=10) as response:
            tracker = json.loads(response.read())
        said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        if len(said) >= 2:
            break
        await asyncio.sleep(0.25)
    assert said == ["hello", "where does breast cancer spread?"]
