"""addons.fast_paths must change what Rasa's two hot spots cost, never what they decide.

Each test compares the installed versions with Rasa 3.6's own behaviour, written out here as
Rasa does it (``jsonschema.validate`` against ``action_response_format_spec``; the walk over
``Event`` subclasses), because another test may already have installed the fast paths in this
process.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import jsonschema
import pytest
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event, SlotSet, UserUttered, deserialise_events
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

from addons import fast_paths
from tests.support.turns import domain

fast_paths.install()

RASA_SUFFIX = (
    ". Failed to validate Action server response from API, make sure your response from the "
    f"Action endpoint is valid. For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)


def remote(name: str = "action_answer") -> RemoteAction:
    return RemoteAction(name, EndpointConfig("http://127.0.0.1:1/webhook"))


def stock_error(result: Any) -> jsonschema.ValidationError | None:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error
    return None


def action_server_answer(
    action: str, intent: str, entities: List[Dict[str, Any]], slots: Dict[str, Any]
) -> Dict:
    """What this project's action server really sends back for one action."""
    executor = ActionExecutor()
    # The module, not the package: rasa_sdk walks subpackages by their bare names ("knowledge"),
    # which in a full pytest run resolve to tests/knowledge (tests/ is on sys.path there).
    executor.register_package("actions.answer_actions")
    latest = {"text": "", "intent": {"name": intent, "confidence": 1.0}, "entities": entities}
    call = {
        "next_action": action,
        "sender_id": "fast-paths",
        "version": "3.6.21",
        "domain": domain(),
        "tracker": {
            "sender_id": "fast-paths",
            "slots": slots,
            "latest_message": latest,
            "events": [{"event": "user", "text": "", "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
    return asyncio.run(executor.run(call))


def test_real_answers_of_the_action_server_pass():
    """An answer turn is one call: action_answer sends the answer and the guidance, and
    remembers the topic."""
    entities = [{"entity": "cancer_type", "value": "breast"}]
    answer = action_server_answer("action_answer", "ask_spread", entities, {})
    slots = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
    assert slots["last_topic"] == "spread"
    assert [r["response"] for r in answer["responses"]] == ["utter_answer_spread", "utter_guidance"]
    assert stock_error(answer) is None
    assert remote()._validate_action_result(answer) is True


@pytest.mark.parametrize(
    "result",
    [
        {},
        {"events": [], "responses": []},
        {"events": [{"event": "slot", "name": "last_topic", "value": "spread"}]},
        {"responses": [{"text": "x", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]},
        {"events": [{"event": "followup", "name": "action_listen"}], "responses": [{}]},
    ],
)
def test_valid_answers_pass_as_with_rasa(result):
    assert stock_error(result) is None
    assert remote()._validate_action_result(result) is True


@pytest.mark.parametrize(
    "result",
    [
        {"events": "not a list"},
        {"events": [{"name": "no event key"}]},
        {"events": [{"event": "slot", "name": 3}]},
        {"events": [{"event": "no such event"}]},
        {"responses": "hello"},
        {"events": [None]},
    ],
)
def test_invalid_answers_raise_rasas_error(result):
    expected = stock_error(result)
    assert expected is not None, "Rasa's own schema must reject this case"
    with pytest.raises(jsonschema.ValidationError) as raised:
        remote()._validate_action_result(result)
    assert raised.value.message == expected.message + RASA_SUFFIX
    assert list(raised.value.absolute_path) == list(expected.absolute_path)
    assert raised.value.validator == expected.validator


def test_the_schema_is_checked_once_per_action_class(monkeypatch):
    class OwnSchemaAction(RemoteAction):
        """A new class: its validator is not cached yet."""

    validator_class = jsonschema.validators.validator_for(
        RemoteAction.action_response_format_spec()
    )
    checks = []
    original = validator_class.check_schema.__func__
    monkeypatch.setattr(
        validator_class,
        "check_schema",
        classmethod(lambda cls, schema, **kw: checks.append(1) or original(cls, schema, **kw)),
    )
    action = OwnSchemaAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))
    for _ in range(5):
        assert action._validate_action_result({"events": [], "responses": []})
    assert len(checks) == 1


def test_a_subclass_with_its_own_schema_is_validated_against_it():
    class StrictAction(RemoteAction):
        @staticmethod
        def action_response_format_spec() -> Dict[str, Any]:
            return {"type": "object", "required": ["events"]}

    action = StrictAction("action_strict", EndpointConfig("http://127.0.0.1:1/webhook"))
    assert remote()._validate_action_result({}) is True
    with pytest.raises(jsonschema.ValidationError, match="'events' is a required property"):
        action._validate_action_result({})


def stock_resolve(type_name: str):
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    return "not found"


def test_every_event_type_resolves_to_rasas_class():
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert {"user", "bot", "action", "slot", "session_started"} <= names
    for _ in range(2):  # the second round comes from the cache
        for name in sorted(names):
            assert Event.resolve_by_type(name) is stock_resolve(name), name


def test_unknown_types_keep_rasas_answers():
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_stored_events_deserialise_as_before():
    stored = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "user", "text": "where does breast cancer spread",
         "parse_data": {"intent": {"name": "ask_spread", "confidence": 0.9}, "entities": []}},
        {"event": "slot", "name": "cancer_type", "value": "breast"},
        {"event": "bot", "text": "Bones, liver, lungs, brain."},
    ]
    events = deserialise_events(stored)
    assert [type(e).__name__ for e in events] == [
        "ActionExecuted", "SessionStarted", "UserUttered", "SlotSet", "BotUttered",
    ]
    assert isinstance(events[2], UserUttered) and events[2].intent_name == "ask_spread"
    assert [e.as_dict()["event"] for e in events] == [e["event"] for e in stored]


def test_install_is_idempotent():
    validate, resolve = RemoteAction._validate_action_result, Event.resolve_by_type
    fast_paths.install()
    assert RemoteAction._validate_action_result is validate
    assert Event.resolve_by_type is resolve
