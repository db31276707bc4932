"""A scripted stand-in for Rasa's socketio channel, for widget tests that need no model.

It speaks the same protocol as Rasa's channel with session persistence (session_request ->
session_confirm, user_uttered -> bot_uttered to the session's room) and answers with the payload
shapes that Rasa's socketio output channel sends:

    "markdown"      -> text with markdown, a link and raw HTML that must be shown as text
    "buttons"       -> text with quick_replies (payloads "/pick_a", "/pick_b")
    "/pick_a"       -> "You picked A."
    "custom buttons"-> a custom payload with `buttons` instead of `quick_replies`
    "image"         -> attachment image (data: SVG) with alt text
    "image url"     -> a custom payload {"image": url, "alt": ...}
    "forget"        -> the "deleted" text, then the custom marker {"conversation_forgotten": true}
    anything else   -> "Echo: <the text, verbatim>"

GET /received lists what it got ({"sid", "session_id", "message"}), for assertions.

    python tests/web/fake_bot.py --port 5005
"""

import argparse
import uuid

import socketio
from aiohttp import web

SVG = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='160' height='240' "
    "viewBox='0 0 160 240'%3E%3Crect width='160' height='240' fill='%23f4f4f4'/%3E"
    "%3Ccircle cx='80' cy='40' r='28' fill='%230b4f8a'/%3E%3Crect x='50' y='75' width='60' "
    "height='110' rx='20' fill='%230b4f8a'/%3E%3C/svg%3E"
)
HOSTILE = "<img src=x onerror=alert(1)> and <script>alert(2)</script>"

sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
app = web.Application()
sio.attach(app)
received = []


async def list_received(request: web.Request) -> web.Response:
    return web.json_response(received)


app.router.add_get("/received", list_received)


def replies(text: str):
    low = text.strip().lower()
    if low == "markdown":
        return [{"text": "Here is **bold**, *italic* and [a source](https://example.org/article).\n"
                         "- one\n- two\n\n" + HOSTILE + "\n\n# A heading"}]
    if low == "buttons":
        return [{"text": "Pick one:", "quick_replies": [
            {"content_type": "text", "title": "Option A", "payload": "/pick_a"},
            {"content_type": "text", "title": "Option B <b>bold</b>", "payload": "/pick_b"},
        ]}]
    if low == "/pick_a":
        return [{"text": "You picked A."}]
    if low == "/pick_b":
        return [{"text": "You picked B."}]
    if low == "custom buttons":
        return [{"text": "Custom:", "buttons": [{"title": "Go", "payload": "/pick_a"}]}]
    if low == "image":
        return [{"text": "A picture:"},
                {"attachment": {"type": "image", "payload": {
                    "src": SVG, "alt": "Body map marking bone, brain, liver and lung"}}}]
    if low == "image url":
        return [{"image": "/widget-test-image.svg", "alt": "Test picture"}]
    if low == "bad image":
        return [{"attachment": {"type": "image", "payload": {"src": "javascript:alert(3)"}}}]
    if low == "forget":
        return [{"text": "Done. I have deleted this conversation. If you write again, we start a new one."},
                {"conversation_forgotten": True}]
    if low == "html reply":
        return [{"text": HOSTILE}]
    return [{"text": "Echo: " + text}]


@sio.on("session_request")
async def session_request(sid, data):
    session_id = (data or {}).get("session_id") or uuid.uuid4().hex
    await sio.enter_room(sid, session_id)
    await sio.emit("session_confirm", session_id, room=sid)


@sio.on("user_uttered")
async def user_uttered(sid, data):
    data = data or {}
    session_id = data.get("session_id")
    message = data.get("message", "")
    received.append({"sid": sid, "session_id": session_id, "message": message})
    for reply in replies(message):
        await sio.emit("bot_uttered", reply, room=session_id or sid)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, shutdown_timeout=1)
