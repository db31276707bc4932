"""addons.rest_channel.HardenedRestInput inside a real Rasa HTTP app (stub agent), over HTTP.

The channel module is imported only by the server process, which is where Rasa loads it."""

from __future__ import annotations

import json

import pytest

from addons import input_guard
from tests.support.servers import ChannelApp

def reasons(resp):
    return resp.status_code, resp.json().get("reason")


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b"\xff\xfe\x00garbage\x80", "invalid_json"),
        (b'{"sender": "a", "message": "\xff\xfe"}', "invalid_json"),  # invalid UTF-8
        (b"[" * 100000 + b"]" * 100000, "invalid_json"),  # recursion
        (b'{"sender": "a", "message": ' + b"9" * 10000 + b"}", "invalid_json"),  # huge int
        (b'[{"sender": "a", "message": "hi"}]', "not_an_object"),
        (b'"hi"', "not_an_object"),
        (b"null", "not_an_object"),
        (b'{"sender": "a"}', "missing_message"),
        (b'{"sender": "a", "message": null}', "missing_message"),
        (b'{"sender": "a", "message": 42}', "message_not_a_string"),
        (b'{"sender": "a", "message": ["hi"]}', "message_not_a_string"),
        (b'{"sender": "a", "message": {"text": "hi"}}', "message_not_a_string"),
        (b'{"message": "hi"}', "missing_sender"),
        (b'{"sender": null, "message": "hi"}', "missing_sender"),
        (b'{"sender": "   ", "message": "hi"}', "missing_sender"),
        (b'{"sender": 7, "message": "hi"}', "sender_not_a_string"),
        (b'{"sender": "' + b"x" * 129 + b'", "message": "hi"}', "sender_too_long"),
        (b'{"sender": "a\\u0000b", "message": "hi"}', "sender_invalid"),
        (b'{"sender": "a\\ud800", "message": "hi"}', "sender_invalid"),
        (b'{"sender": "a", "message": "hi", "metadata": "x"}', "metadata_not_an_object"),
        (b'{"sender": "a", "message": "hi", "metadata": [1]}', "metadata_not_an_object"),
    ],
)
def test_malformed_requests_get_400_with_a_json_reason(app, body, reason):
    before = len(app.messages())
    resp = app.post(body, raw=True, headers={"Content-Type": "application/json"})
    assert reasons(resp) == (400, reason)
    assert resp.json()["error"] == "bad_request" and resp.json()["message"]
    assert len(app.messages()) == before, "a malformed request reached the agent"


def test_oversized_metadata_and_body(app):
    resp = app.post({"sender": "a", "message": "hi", "metadata": {"k": "x" * 20000}})
    assert reasons(resp) == (400, "metadata_too_large")
    resp = app.post({"sender": "a", "message": "x" * (9 * 1024 * 1024)})
    assert reasons(resp) == (413, "body_too_large")


def test_a_normal_message_reaches_the_agent(app):
    resp = app.post({"sender": "user-1", "message": "Hello  there", "metadata": {"page": "faq"}})
    assert resp.status_code == 200
    assert resp.json() == [{"recipient_id": "user-1", "text": "echo:Hello  there"}]
    last = app.messages()[-1]
    assert last == {
        "text": "Hello  there",
        "sender": "user-1",
        "channel": "rest",
        "metadata": {"page": "faq"},
    }


def test_client_cannot_choose_the_input_channel(app):
    app.post({"sender": "user-1", "message": "hi", "input_channel": "facebook"})
    assert app.messages()[-1]["channel"] == "rest"


def test_long_message_is_cut_with_a_polite_note(app):
    text = ("word " * 1000).strip()  # 4,999 characters
    resp = app.post({"sender": "long", "message": text})
    assert resp.status_code == 200
    body = resp.json()
    # the answer first (a crisis or urgent reply to a long post must be read first), the note last
    assert body[-1]["text"] == input_guard.note("utter_message_too_long", max_chars=2000)
    assert "2,000" in body[-1]["text"]
    received = app.messages()[-1]
    assert 1600 <= len(received["text"]) <= 2000
    assert text.startswith(received["text"]) and not received["text"].endswith(" ")
    assert received["metadata"] == {"input_guard": {"truncated_from": 4999}}
    assert body[0]["text"] == "echo:" + received["text"]


def test_one_megabyte_message(app):
    resp = app.post({"sender": "huge", "message": "é" * 1_000_000})
    assert resp.status_code == 200
    assert len(app.messages()[-1]["text"]) == 2000
    assert "first 2,000 characters" in resp.json()[-1]["text"]  # the note comes last


@pytest.mark.parametrize("text", ["", " ", "\n\t  \n", "\u0000\u0001", "/", "///"])
def test_empty_messages_get_a_polite_reply_without_reaching_the_model(app, text):
    before = len(app.messages())
    resp = app.post({"sender": "empty", "message": text})
    assert resp.status_code == 200
    # the stub domain overrides the wording: the domain owns it when it has the response
    assert resp.json() == [{"recipient_id": "empty", "text": "DOMAIN NOTE: say something"}]
    assert len(app.messages()) == before


@pytest.mark.parametrize(
    "typed, processed",
    [
        ("/affirm", "/affirm"),  # exactly a button payload of the domain
        ("  /affirm ", "/affirm"),
        ("/greet@8", "greet@8"),
        ("/affirm@0.1", "affirm@0.1"),  # not the button's exact payload
        ('/restart{"name": "x"}', 'restart{"name": "x"}'),
        ("/session_start", "session_start"),
        ("//deny", "deny"),
        ("what does /affirm mean", "what does /affirm mean"),
    ],
)
def test_typed_intent_payloads_are_processed_as_text(app, typed, processed):
    resp = app.post({"sender": "payload", "message": typed})
    assert resp.status_code == 200
    assert app.messages()[-1]["text"] == processed


def test_odd_but_valid_text_round_trips(app):
    for text in [
        "مرحبا، هل انتشر السرطان إلى العظام؟",
        "שלום \u202eabc",
        "😀👩‍👩‍👧 emoji",
        "<script>alert(1)</script><img src=x onerror=alert(1)>",
        "line1\nline2\ttab",
        "' OR 1=1; DROP TABLE events; --",
    ]:
        resp = app.post({"sender": "odd", "message": text})
        assert resp.status_code == 200
        assert resp.json()[-1]["text"] == "echo:" + text
        assert app.messages()[-1]["text"] == text


def test_lone_surrogates_and_control_characters_are_cleaned(app):
    body = b'{"sender": "clean", "message": "a\\ud800b\\u0000c\\r\\nd\\ud83d\\ude00"}'
    resp = app.post(body, raw=True)
    assert resp.status_code == 200
    assert app.messages()[-1]["text"] == "a\ufffdbc\nd\U0001F600"


def test_failure_in_the_agent_gets_an_apology_not_a_500(app):
    resp = app.post({"sender": "fails", "message": "boom"})
    assert resp.status_code == 200
    assert resp.json() == [
        {"recipient_id": "fails", "text": input_guard.apology()}
    ]


def test_stream_mode(app):
    resp = app.session.post(
        app.url + "?stream=true",
        data=json.dumps({"sender": "s", "message": "x" * 2500}),
        timeout=30,
    )
    assert resp.status_code == 200
    lines = [json.loads(line) for line in resp.text.splitlines() if line]
    assert "first 2,000 characters" in lines[-1]["text"]  # the note comes last
    assert lines[0]["text"] == "echo:" + "x" * 2000
    resp = app.session.post(
        app.url + "?stream=true", data=json.dumps({"sender": "s", "message": "boom"}), timeout=30
    )
    assert [json.loads(line) for line in resp.text.splitlines() if line] == [
        {"recipient_id": "s", "text": input_guard.apology()}
    ]


def test_health(app):
    resp = app.session.get(f"http://127.0.0.1:{app.port}/webhooks/rest/")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def test_settings_from_credentials(tmp_path):
    server = ChannelApp(
        tmp_path,
        credentials={
            "max_message_chars": "30",
            "max_sender_chars": "4",
            "allowed_payload_intents": "choose",
        },
    )
    try:
        assert reasons(server.post({"sender": "12345", "message": "hi"})) == (
            400,
            "sender_too_long",
        )
        resp = server.post({"sender": "1234", "message": "a" * 40})
        assert "first 30 characters" in resp.json()[-1]["text"]
        server.post({"sender": "1234", "message": '/choose{"topic": "bone"}'})
        assert server.messages()[-1]["text"] == '/choose{"topic": "bone"}'
        server.post({"sender": "1234", "message": "/choose{not json"})
        assert server.messages()[-1]["text"] == "choose{not json"
    finally:
        server.stop()
