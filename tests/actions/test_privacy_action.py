"""'Forget me': the action only sets the marker the tracker store deletes on; the response
that follows says "done" only when the marker is set."""

import yaml

from actions import names
from actions.privacy import ActionForgetConversation
from addons import tracker_store
from tests.support.turns import ROOT


async def test_forget_action_marks_the_conversation(make_tracker, dispatcher):
    tracker = make_tracker(intent="affirm", slots={"cancer_type": "breast"}, text="yes")
    events = await ActionForgetConversation().run(dispatcher, tracker, {})
    assert dispatcher.messages == [], "its rule utters utter_conversation_forgotten"
    assert events == [{"event": "slot", "timestamp": None, "name": "forget_conversation", "value": True}]


def test_the_marker_is_one_name_in_actions_domain_and_store():
    assert names.SLOT_FORGET == tracker_store.FORGET_SLOT == "forget_conversation"
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    slot = domain["slots"][names.SLOT_FORGET]
    # Not a feature of the dialogue (nothing is ever predicted from it) and never filled from
    # what the person types: only the action sets it.
    assert slot["type"] == "bool" and slot["influence_conversation"] is False
    assert slot["mappings"] == [{"type": "custom"}]


def _said(slots, channel="rest"):
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    nlg = TemplatedNaturalLanguageGenerator(domain["responses"])
    return nlg.generate_from_slots("utter_conversation_forgotten", slots, channel)


def test_done_is_said_only_with_the_marker():
    assert _said({"forget_conversation": True})["text"].startswith("Done. I have deleted")
    # The action server failed: Rasa goes on with the rule, without the slot.
    for slots in ({}, {"forget_conversation": None}, {"forget_conversation": False}):
        for channel in ("rest", "cmdline", "socketio"):
            said = _said(slots, channel)
            assert "could not delete" in said["text"] and not said.get("custom"), (slots, channel)


def test_the_widget_marker_goes_to_the_widget_only():
    rest, shell, widget = (_said({"forget_conversation": True}, c) for c in ("rest", "cmdline", "socketio"))
    assert not rest.get("custom") and not shell.get("custom"), "REST and rasa shell get the text alone"
    assert widget["text"] == rest["text"] == shell["text"]
    assert widget["custom"] == {"conversation_forgotten": True}
