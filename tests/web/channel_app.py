"""Rasa's socketio channel (built-in or this project's) on a bare Sanic app, with no model.

Each user message is answered through the channel's own output channel, the way Rasa's agent
answers: "echo <sender_id>: <text>"; a message "custom" is answered with a custom payload
through send_custom_json, "custom data" with Rasa's documented {"data": ...} form; "boom"
raises (a failure while handling) and "silent" says nothing.

    python tests/web/channel_app.py --channel addon|builtin --port 5005 [--no-persistence]
"""

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa.core.channels.channel import UserMessage, register  # noqa: E402
from sanic import Sanic  # noqa: E402


async def on_new_message(message: UserMessage) -> None:
    out = message.output_channel
    if message.text == "boom":
        raise RuntimeError("failure while handling: boom")
    if message.text == "silent":
        return
    if message.text == "custom":
        await out.send_custom_json(message.sender_id, {
            "text": "custom payload",
            "attachment": {"type": "image", "payload": {"src": "data:image/png;base64,AA==",
                                                        "alt": "a picture"}}})
    elif message.text == "custom data":
        await out.send_custom_json(message.sender_id, {"data": {"text": "data form"}})
    else:
        await out.send_text_message(message.sender_id, f"echo {message.sender_id}: {message.text}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channel", choices=["addon", "builtin"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-persistence", action="store_true")
    parser.add_argument("--cors-allowed-origins")
    parser.add_argument("--rasa-cors", nargs="*", help="as `rasa run --cors` (Sanic-CORS)")
    args = parser.parse_args()

    if args.channel == "addon":
        from addons.socketio_channel import SocketIOInput
    else:
        from rasa.core.channels.socketio import SocketIOInput
    credentials = {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
                   "session_persistence": not args.no_persistence}
    if args.cors_allowed_origins:
        credentials["cors_allowed_origins"] = args.cors_allowed_origins
    channel = SocketIOInput.from_credentials(credentials)

    app = Sanic(f"channel_{args.channel}")
    if args.rasa_cors is not None:
        from rasa.server import configure_cors

        configure_cors(app, args.rasa_cors)
    # rasa.core.channels.channel.register hands messages to app.ctx.agent, as `rasa run` does.
    app.ctx.agent = SimpleNamespace(handle_message=on_new_message)
    register([channel], app, route="/webhooks/")
    app.run(host="127.0.0.1", port=args.port, workers=1, access_log=False, debug=False,
            motd=False)


if __name__ == "__main__":
    main()
