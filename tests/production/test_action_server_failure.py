"""The action server down, hanging, then back: the user gets an apology with the guidance.

Stock Rasa 3.6 answers HTTP 200 with an empty list when the action server is down (the custom
action's error is logged and its reply dropped), and waits 300 s per action when it hangs.
addons.action_guard cuts the wait (ACTION_TIMEOUT_SECONDS) and marks the failure; the channels
then end the reply with input_guard.apology. Real `rasa run` with the trained model.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Dict, List

import pytest
import requests

from tests.support.fixtures import shared_server
from tests.support.servers import ActionServer, RasaServer, free_port, model_path, stop_all
from tests.support.turns import guidance_text

QUESTION = "where does breast cancer spread?"
RED_FLAG = "I'm coughing up blood"
APOLOGY_START = "Sorry, something went wrong on my side"


class Hanging:
    """A port that accepts connections (the kernel's backlog) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def say(server: RasaServer, sender: str, text: str) -> List[Dict]:
    response = requests.post(
        f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120
    )
    assert response.status_code == 200
    return response.json()


def texts(messages: List[Dict]) -> List[str]:
    return [m.get("text", "") for m in messages]


def assert_apology_last(messages: List[Dict]) -> None:
    assert messages, "silence: the user got no reply at all"
    last = messages[-1]["text"]
    assert last.startswith(APOLOGY_START)
    assert last.endswith(guidance_text()), "the apology must carry the healthcare-provider guidance"


class HangingStack:
    """`rasa run` whose action endpoint first hangs; the test brings the action server up later."""

    def __init__(self, workdir) -> None:
        self.workdir = workdir
        self.hanging = Hanging()
        self.servers = []
        try:
            self.rasa = RasaServer(model_path(), workdir,
                                   action_url=f"http://127.0.0.1:{self.hanging.port}/webhook",
                                   env={"ACTION_TIMEOUT_SECONDS": "2"})
        except BaseException:
            self.hanging.close()
            raise
        self.servers.append(self.rasa)

    def stop(self) -> None:
        self.hanging.close()
        stop_all(self.servers)


@shared_server
def action_hanging(shared) -> HangingStack:
    """Started early, in the background; used by this module only."""
    return HangingStack(shared.workdir("action-failure"))


@shared_server
def action_down(shared) -> RasaServer:
    """`rasa run` whose action endpoint is a port nobody listens on (started early)."""
    return RasaServer(model_path(), shared.workdir("action-down"),
                      action_url=f"http://127.0.0.1:{free_port()}/webhook")


@pytest.fixture
def down(action_down) -> RasaServer:
    return action_down


@pytest.fixture
def stack(action_hanging) -> Dict:
    return {"rasa": action_hanging.rasa, "hanging": action_hanging.hanging,
            "workdir": action_hanging.workdir, "servers": action_hanging.servers}


def test_action_server_down_gets_an_apology_with_the_guidance(down):
    messages = say(down, "down-1", QUESTION)
    assert texts(messages) == [texts(messages)[-1]], "only the apology: no half answer"
    assert_apology_last(messages)


def test_red_flag_keeps_the_urgent_care_message_first_when_the_action_server_is_down(down):
    messages = say(down, "down-2", RED_FLAG)
    assert len(messages) >= 2
    assert "emergency" in messages[0]["text"], "the urgent-care message comes from the domain"
    assert_apology_last(messages)


def test_action_server_down_over_socketio(down):
    socketio = pytest.importorskip("socketio")

    async def talk() -> List[Dict]:
        client = socketio.AsyncClient(reconnection=False)
        replies: "asyncio.Queue[Dict]" = asyncio.Queue()
        confirmed: "asyncio.Queue[str]" = asyncio.Queue()
        client.on("bot_uttered", replies.put_nowait)
        client.on("session_confirm", confirmed.put_nowait)
        await client.connect(down.url, transports=["polling"], socketio_path="/socket.io",
                             headers={"Origin": "http://127.0.0.1:8080"}, wait_timeout=10)
        try:
            await client.emit("session_request", {"session_id": "socket-down"})
            session = await asyncio.wait_for(confirmed.get(), 30)
            await client.emit("user_uttered", {"message": QUESTION, "session_id": session})
            # Rasa's socketio output sends each paragraph as its own message
            got = [await asyncio.wait_for(replies.get(), 60)]
            while not got[-1].get("text", "").endswith(guidance_text()):
                got.append(await asyncio.wait_for(replies.get(), 10))
            return got
        finally:
            await client.eio.disconnect(abort=True)

    messages = asyncio.run(talk())
    assert texts(messages)[0].startswith(APOLOGY_START)
    assert texts(messages)[-1] == guidance_text()


CRISIS = "i just want to die, i'm so tired of all of this"
CRISIS_START = "I'm so sorry things feel this hard."


def test_crisis_and_emergency_come_first_with_a_hanging_action_server(stack):
    """Safety rule 3: the crisis reply needs no custom action at all, and the urgent-care reply
    comes before one; after it, the hanging action gets SAFETY_FOLLOW_UP_SECONDS, not more."""
    crisis = say(stack["rasa"], "hang-crisis", CRISIS)
    assert texts(crisis)[0].startswith(CRISIS_START)
    assert not any(t.startswith(APOLOGY_START) for t in texts(crisis)), "no custom action ran"
    urgent = say(stack["rasa"], "hang-urgent", "my dad is coughing up blood right now")
    assert texts(urgent)[0].startswith("⚠️ What you describe may need urgent care")
    assert_apology_last(urgent)
    assert "got no answer from the action server within 2 s" in stack["rasa"].output()


def test_hanging_action_server_is_cut_by_the_timeout_then_recovers(stack):
    rasa, hanging = stack["rasa"], stack["hanging"]
    messages = say(rasa, "slow-1", QUESTION)
    assert_apology_last(messages)
    log = rasa.output()
    assert "got no answer from the action server within 2 s (ACTION_TIMEOUT_SECONDS)" in log
    # one wait per message: an answer turn is one custom action (action_answer), and after it
    # failed the rule ends the turn; no fallback is predicted, so nothing is left to skip
    assert log.count("got no answer from the action server") == 2  # this message and the urgent one
    assert "Skipped custom action" not in log
    assert "Circuit breaker tripped" not in log

    # The action server comes back on the same address: the same conversation goes on.
    port = hanging.port
    hanging.close()
    stack["servers"].insert(0, ActionServer(stack["workdir"], port=port))
    messages = say(rasa, "slow-1", QUESTION)
    assert not any(t.startswith(APOLOGY_START) for t in texts(messages))
    assert messages[0]["text"].startswith("Where breast cancer most often spreads")
    assert messages[-1]["text"] == guidance_text()
