"""No message text or entity values in logs at INFO and above (addons.log_privacy).

The end-to-end tests run a real `rasa run` with the tiny test bot at the production log level
(INFO) and capture its whole output, stdout and stderr: no secret may appear anywhere in it,
while the secrets are in the tracker store (so they were processed) and the payload warnings
and the tracker-store error were logged (so the leaky paths ran). Run the same requests
against Rasa's own REST channel without the hooks and the payload secrets appear in
``UserWarning`` lines (see docs/production.md). The unit tests exercise the redaction
functions without installing the process-wide hooks in the pytest process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import requests

from addons import log_privacy
from tests.support.fixtures import shared_server
from tests.support.servers import REPO, RasaServer, RasaShell, rasa_env

SECRETS = {
    "text": "Qzx7plain",
    "entity": "Zanzibarton",
    "payload": "Qzx7payload",
    "typed_payload": "Qzx7typed",
    "unknown_intent": "Qzx7intent",
    "emoji": "Qzx7emoji",
    "failure": "Qzx7failure",
    "socket_text": "Qzx7socket",
    "socket_typed": "Qzx7socktyped",
}
SOCKET_SECRETS = ("socket_text", "socket_typed")

RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL)\s", re.M
)


VARIANTS = {
    # the hardened channel installs the hooks when Rasa loads it
    "hardened_channel": {
        "credentials": "addons.rest_channel.HardenedRestInput:\n"
        "  allowed_payload_intents: [greet]\n"
        "addons.socketio_channel.SocketIOInput:\n"
        "  session_persistence: true\n",
        "args": [],
        "socketio": True,
    },
    # Rasa's own REST channel, with the hooks installed by the logging config file
    "stock_channel_logging_config": {
        "credentials": "rest:\n",
        "args": ["--logging-config-file", str(REPO / "addons" / "logging.yml")],
    },
}


def _privacy_server(shared, variant: str):
    """`rasa run` of the tiny bot with a variant's channels, on a SQLite store of its own."""
    config = VARIANTS[variant]
    workdir = shared.workdir(f"privacy_{variant}")
    (workdir / "credentials.yml").write_text(config["credentials"])
    (workdir / "endpoints.yml").write_text("tracker_store:\n  type: SQL\n  url: ${TRACKER_DB_URL}\n")
    db = workdir / "conversations.db"
    server = RasaServer(
        shared.get("tiny_model"),
        workdir,
        args=["--credentials", "credentials.yml", "--endpoints", "endpoints.yml", *config["args"]],
        env=rasa_env(TRACKER_DB_URL=f"sqlite:///{db}"),
    )
    return server, db


@shared_server(scope="module")
def privacy_hardened_channel(shared):
    return _privacy_server(shared, "hardened_channel")


@shared_server(scope="module")
def privacy_stock_channel_logging_config(shared):
    return _privacy_server(shared, "stock_channel_logging_config")


@pytest.mark.shared_servers("privacy_hardened_channel", "privacy_stock_channel_logging_config")
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rasa_run_keeps_user_text_out_of_info_logs(request, variant):
    """Each variant's fresh server starts early (in the background); its whole output is read."""
    config = VARIANTS[variant]
    server, db = request.getfixturevalue(f"privacy_{variant}")
    url = server.url + "/webhooks/rest/webhook"
    try:
        def say(message, sender="privacy-user"):
            resp = requests.post(url, json={"sender": sender, "message": message}, timeout=60)
            assert resp.status_code < 500
            return resp

        assert say(f"hello {SECRETS['text']}").json()[0]["text"] == "Hello!"
        assert say(f"I live in {SECRETS['entity']}").json()[0]["text"] == "Noted."
        # payloads that reach Rasa's payload parser and make it warn, quoting the line
        say('/greet{"unknown_entity": "%s"}' % SECRETS["payload"])
        say(f"/greet@8 {SECRETS['typed_payload']}")
        say(f"/{SECRETS['unknown_intent']}")
        say(f"😀 مرحبا <script>{SECRETS['emoji']}</script>")
        if config.get("socketio"):
            asyncio.run(say_over_socketio(server.url, [
                f"hello {SECRETS['socket_text']}", f"/greet@8 {SECRETS['socket_typed']}",
                None, 42, "  ", "x" * 3000]))
        requests.post(url, data=b'{"sender": "x", "message": ', timeout=30)
        requests.post(url, json=[{"message": SECRETS["text"]}], timeout=30)
        # the tracker store starts failing: Rasa logs an ERROR with the failed SQL
        with sqlite3.connect(db) as conn:
            conn.execute(
                "CREATE TRIGGER no_insert BEFORE INSERT ON events "
                "BEGIN SELECT RAISE(ABORT, 'tracker store is read-only'); END;"
            )
        say(f"hi {SECRETS['failure']}", sender="privacy-user-2")
    finally:
        server.stop()

    output = server.output()
    assert RECORD.search(output), "no log records captured"
    assert not re.search(r" DEBUG ", output), "ran at DEBUG level; the test needs INFO"
    leaks = sorted(name for name, secret in SECRETS.items() if secret in output)
    assert not leaks, [line[:300] for line in output.splitlines()
                       if any(SECRETS[n] in line for n in leaks)]

    with sqlite3.connect(db) as conn:
        stored = "\n".join(row[0] for row in conn.execute("SELECT data FROM events"))
    for name in ("text", "entity", "emoji") + (SOCKET_SECRETS if config.get("socketio") else ()):
        assert SECRETS[name] in stored, f"control: the {name} message was not processed"
    assert re.search(r"WARNING .*\[redacted\]", output), "no payload warning was logged"
    assert re.search(r"ERROR .*tracker", output, re.I), "no tracker-store error was logged"


@shared_server(scope="module")
def privacy_shell(shared):
    """`rasa shell` of the tiny bot on a SQLite store, its whole terminal output kept from the
    start (started early, in the background)."""
    workdir = shared.workdir("privacy_shell")
    db = workdir / "conversations.db"
    (workdir / "endpoints.yml").write_text("tracker_store:\n  type: SQL\n  url: ${TRACKER_DB_URL}\n")
    shell = RasaShell(shared.get("tiny_model"), Path("endpoints.yml"), cwd=workdir,
                      env={"TRACKER_DB_URL": f"sqlite:///{db}"}, log=True, echo=False)
    return shell, db


def test_rasa_shell_keeps_user_text_out_of_info_logs(privacy_shell):
    """`rasa shell` runs Rasa's stock console channel: the hooks come from the model
    (config.yml's addons.install.RasaAddons), not from a channel. The console shows what the
    person typed, on their own terminal; no log record may carry it."""
    import pexpect

    shell, db = privacy_shell
    terminal, captured = shell.terminal, shell.log
    secrets = [SECRETS[name] for name in ("text", "entity", "payload", "typed_payload", "unknown_intent")]
    try:
        for message in (f"hello {SECRETS['text']}", f"I live in {SECRETS['entity']}",
                        '/greet{"unknown_entity": "%s"}' % SECRETS["payload"],
                        f"/greet@8 {SECRETS['typed_payload']}", f"/{SECRETS['unknown_intent']}"):
            terminal.expect("Your input ->", timeout=120)
            terminal.sendline(message)
        terminal.expect("Your input ->", timeout=120)
        terminal.sendline("/stop")
        terminal.expect(pexpect.EOF, timeout=120)
    finally:
        terminal.close(force=True)
    output = captured.getvalue()
    records = [line for line in output.splitlines() if RECORD.search(line) or "Warning" in line]
    assert records, "no log records captured"
    assert [line[:300] for line in records if any(secret in line for secret in secrets)] == []
    assert any("[redacted]" in line for line in records), "no payload warning was logged"
    with sqlite3.connect(db) as conn:
        stored = "\n".join(row[0] for row in conn.execute("SELECT data FROM events"))
    assert SECRETS["text"] in stored and SECRETS["entity"] in stored, "control: not processed"


async def say_over_socketio(url, messages):
    """Sends `messages` over the project's socketio channel, each after the previous reply."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    replies: "asyncio.Queue" = asyncio.Queue()
    confirmed: "asyncio.Queue" = asyncio.Queue()
    client.on("bot_uttered", replies.put_nowait)
    client.on("session_confirm", confirmed.put_nowait)
    await client.connect(url, transports=["polling"], wait_timeout=10)
    try:
        await client.emit("session_request", {"session_id": "privacy-socket"})
        session = await asyncio.wait_for(confirmed.get(), 30)
        for message in messages:
            await client.emit("user_uttered", {"message": message, "session_id": session})
            await asyncio.wait_for(replies.get(), 60)
    finally:
        await client.eio.disconnect(abort=True)


# --- unit tests (no process-wide hooks) --------------------------------------------------


def test_templates_redact_rasa_payload_warnings():
    line = (
        "UserWarning: Failed to parse arguments in line '/greet@8 my cancer spread'. "
        "Could not extract confidence value from `8'."
    )
    assert "cancer" not in log_privacy.redact_text(line)
    assert log_privacy.redact_text("Parsed an intent 'my_pain' which is not defined in the "
                                   "domain.") == ("Parsed an intent [redacted] which is not "
                                                  "defined in the domain.")
    rendered = '{"user_text": "it hurts \\"here\\"", "event": "message.parsing.failed"}'
    assert "hurts" not in log_privacy.redact_text(rendered)
    assert "message.parsing.failed" in log_privacy.redact_text(rendered)


def test_structured_fields_are_redacted_in_every_form():
    """Where Rasa quotes an event, a parse result or a request: keyword, JSON, repr, escaped."""
    lines = [
        'INSERT failed [parameters: (\'{"event": "user", "text": "I\\\'m scared of the scan", '
        '"parse_data": {"entities": [{"entity": "place", "value": "Springfield"}]}}\',)]',
        "{'text': 'I am scared', 'value': 'Springfield'}",
        'payload "{\\"text\\": \\"I am scared\\", \\"value\\": \\"Springfield\\"}"',
        "rest.message.received.failure text=scared",
    ]
    for line in lines:
        redacted = log_privacy.redact_text(line)
        assert "scared" not in redacted and "Springfield" not in redacted, redacted
        assert "[redacted]" in redacted


def test_words_people_typed_stay_in_unrelated_lines():
    """Redaction is by position, never by value: a user who typed "error" or "timeout" does
    not erase those words from the server's own lines (issue: the old redaction did)."""
    for line in ("Connection timeout after 10 s while loading the model",
                 "error: the action server returned 500 for action_close_answer",
                 "Starting Rasa server on http://127.0.0.1:5005"):
        assert log_privacy.redact_text(line) == line


def _raise_chain(user_text):
    # source lines are printed (they are code); values, as here, must not be
    try:
        json.loads("{bad: " + user_text)
    except ValueError as e:
        raise RuntimeError(f"could not handle {user_text!r}") from e


def test_safe_traceback_keeps_frames_and_types_not_messages():
    try:
        _raise_chain("my " + "onco" + "logist said")
    except RuntimeError:
        info = sys.exc_info()
    text = log_privacy.safe_traceback(info)
    assert "oncologist" not in text
    assert "json.decoder.JSONDecodeError: [redacted]" in text
    assert "RuntimeError: [redacted]" in text
    assert "direct cause" in text and "_raise_chain" in text
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except OSError:
        info = sys.exc_info()
    assert "Connection refused" in log_privacy.safe_traceback(info)


def test_redact_record_at_info_and_above_only():
    words = "my " + "secret words"

    def record(level, msg, args=(), exc_info=None):
        return logging.LogRecord("rasa.x", level, __file__, 1, msg, args, exc_info)

    parsed = ({"text": words, "intent": "ask_spread"},)
    info = log_privacy.redact_record(record(logging.INFO, "parsed %s", parsed))
    assert info.getMessage() == "parsed {'text': [redacted], 'intent': 'ask_spread'}"
    debug = log_privacy.redact_record(record(logging.DEBUG, "parsed %s", parsed))
    assert "secret words" in debug.getMessage()
    try:
        raise KeyError(words)
    except KeyError:
        err = log_privacy.redact_record(record(logging.ERROR, "failed", exc_info=sys.exc_info()))
    formatted = logging.Formatter().format(err)
    assert "secret" not in formatted and "KeyError: [redacted]" in formatted


def test_structlog_processor():
    event = {"event": "rest.message.received.failure", "text": "my scan results",
             "parse_data_entities": [{"value": "liver"}], "count": 3}
    out = log_privacy.structlog_processor(None, "error", dict(event))
    assert out == {"event": "rest.message.received.failure", "text": "[redacted]",
                   "parse_data_entities": "[redacted]", "count": 3}
    assert log_privacy.structlog_processor(None, "debug", dict(event)) == event
    try:
        raise ValueError("my scan results")
    except ValueError:
        out = log_privacy.structlog_processor(None, "exception", {"event": "x", "exc_info": True})
    assert "exc_info" not in out and "ValueError: [redacted]" in out["exception"]
