"""A socket.io client speaking Rasa's socketio protocol, and the bare channel app to talk to."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Optional

import socketio

from tests.support.servers import REPO, PythonApp

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


def start_channel(servers: list, logs, channel: str, *extra: str, env=None) -> str:
    """tests/web/channel_app.py with the built-in or the project's socketio channel; its URL."""
    app = PythonApp(REPO / "tests" / "web" / "channel_app.py", ["--channel", channel, "--port", "{port}", *extra],
                    logs, "/webhooks/socketio/", name=f"channel_{channel}{'_'.join(extra)}", env=env)
    servers.append(app)
    return app.url
