"""addons.input_guard: the channel-independent checks, as plain functions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from addons import input_guard as guard

DOMAIN = SimpleNamespace(
    responses={
        "utter_ask": [{"text": "Go on?", "buttons": [{"title": "Yes", "payload": "/affirm"},
                                                     {"title": "Text", "payload": "yes"}]}],
        "utter_message_too_long": [{"text": "Only {max_chars} characters, sorry."}],
    }
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/affirm", ("/affirm", False)),
        ('/ask_spread{"cancer_type":"breast"}', ('/ask_spread{"cancer_type":"breast"}', False)),
        ("/ask_spread", ("/ask_spread", False)),
        ('/ask_spread{"cancer_type":{"nested":1}}', ('ask_spread{"cancer_type":{"nested":1}}', True)),
        ('/ask_spread{"cancer_type":"' + "x" * 101 + '"}', ('ask_spread{"cancer_type":"' + "x" * 101 + '"}', True)),
        ('/ask_spread{"cancer_type":["a"]}', ('ask_spread{"cancer_type":["a"]}', True)),
        ("/ask_spread@0.3", ("ask_spread@0.3", True)),
        ("/restart", ("restart", True)),
        ("hello /restart", ("hello /restart", False)),
    ],
)
def test_guard_payload(text, expected):
    allowed = guard.button_payloads(DOMAIN)
    assert guard.guard_payload(text, allowed, allowed_intents=["ask_spread"]) == expected


def test_button_payloads_only_slash_payloads():
    assert guard.button_payloads(DOMAIN) == frozenset({"/affirm"})
    assert guard.button_payloads(None) == frozenset()


def test_clean_text_and_truncate():
    assert guard.clean_text("a\x00b\x7f\u0085c\r\nd\ud800\u202e\u200d") == "abc\nd\ufffd\u202e\u200d"
    text, cut = guard.truncate("abc " * 10, 20)
    assert cut and text == "abc abc abc abc abc"
    assert guard.truncate("short", 20) == ("short", False)
    text, cut = guard.truncate("x" * 30, 20)  # no word boundary near: hard cut
    assert cut and text == "x" * 20


def test_notes_come_from_the_domain_when_it_has_them():
    assert guard.note("utter_message_too_long", DOMAIN, max_chars=2000) == (
        "Only 2,000 characters, sorry."
    )
    assert "2,000" in guard.note("utter_message_too_long", None, max_chars=2000)
    assert guard.note("utter_empty_message") == guard.NOTES["utter_empty_message"]


@pytest.mark.parametrize(
    "sender, problem",
    [(None, "missing_sender"), ("", "missing_sender"), (" ", "missing_sender"),
     (12, "sender_not_a_string"), ("x" * 129, "sender_too_long"), ("a\nb", "sender_invalid"),
     ("a\ud800", "sender_invalid"), ("user-1@example", None), ("x" * 128, None),
     ("مستخدم ١", None)],
)
def test_sender_problem(sender, problem):
    assert guard.sender_problem(sender) == problem
