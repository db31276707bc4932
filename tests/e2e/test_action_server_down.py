"""With the action server down, people still get an apology that carries the guidance.

Stock Rasa 3.6 answers HTTP 200 and drops a failed custom action's reply; the rule then goes on
to the answer response, which must not render an earlier answer's slots.
"""

import uuid

import pytest
import requests

from tests.support.servers import RasaServer, free_port, model_path

pytestmark = pytest.mark.model


def test_apology_with_guidance_when_actions_are_unreachable(tmp_path):
    rasa = RasaServer(model_path(), tmp_path, action_url=f"http://127.0.0.1:{free_port()}/webhook")
    try:
        sender = f"down-{uuid.uuid4().hex[:8]}"
        for message in ("where does breast cancer spread?", "what are the symptoms of bone mets"):
            replies = requests.post(
                f"{rasa.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=120
            ).json()
            texts = [r.get("text", "") for r in replies]
            assert texts, "silence"
            assert "not responding" in texts[-1] and "healthcare provider" in texts[-1], texts
            assert not any("Source:" in t for t in texts), "no stale answer"
    finally:
        rasa.stop()
