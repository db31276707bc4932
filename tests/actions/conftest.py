"""Fresh trackers and dispatchers per test (never a shared, mutated Tracker)."""

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker():
    def make(
        intent: str = "ask_spread",
        entities: Optional[List[Dict[str, Any]]] = None,
        slots: Optional[Dict[str, Any]] = None,
        text: str = "",
        events: Optional[List[Dict[str, Any]]] = None,
    ) -> Tracker:
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
        history = events if events is not None else [{"event": "user", "text": text, "parse_data": latest}]
        return Tracker("test-user", dict(slots or {}), latest, history, False, None, {}, "action_listen")

    return make
