"""A real Rasa HTTP app (rasa.core.run.configure_app) with the hardened REST channel and a
stub agent, for the channel tests. Run: python channel_app.py PORT RECEIVED.jsonl [CREDS.json]

The stub agent records what reached it (one JSON line per message), echoes the text back, and
raises on the text "boom" (to test failure handling). Its domain has a button payload.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa.core import run  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402

from addons.rest_channel import HardenedRestInput  # noqa: E402

DOMAIN = Domain.from_dict(
    {
        "intents": ["affirm", "deny", "choose"],
        "responses": {
            "utter_ask": [
                {"text": "Shall I go on?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}
            ],
            "utter_empty_message": [{"text": "DOMAIN NOTE: say something"}],
        },
    }
)


class StubAgent:
    domain = DOMAIN

    def __init__(self, received: Path) -> None:
        self.received = received

    def is_ready(self) -> bool:
        return True

    async def handle_message(self, message):
        with self.received.open("a", encoding="utf-8") as f:
            f.write(
                json.dumps(
                    {
                        "text": message.text,
                        "sender": message.sender_id,
                        "channel": message.input_channel,
                        "metadata": message.metadata,
                    }
                )
                + "\n"
            )
        if message.text == "boom":
            raise RuntimeError("failure while handling: boom")
        await message.output_channel.send_text_message(message.sender_id, "echo:" + message.text)


def main() -> None:
    port, received = int(sys.argv[1]), Path(sys.argv[2])
    credentials = json.loads(Path(sys.argv[3]).read_text()) if len(sys.argv) > 3 else {}
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    channel = HardenedRestInput.from_credentials(credentials)
    app = run.configure_app(input_channels=[channel], port=port)
    app.ctx.agent = StubAgent(received)
    app.run(host="127.0.0.1", port=port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
