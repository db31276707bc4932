"""Rasa's socketio channel with fixes for this project's web widget, and the REST channel's guards.

Select it in ``credentials.yml`` by module path instead of the built-in ``socketio:`` key::

    addons.socketio_channel.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
      cors_allowed_origins: ${SOCKETIO_CORS_ORIGINS}   # optional allow-list, see below
      max_message_chars: 2000        # as addons.rest_channel; also max_sender_chars,
      allowed_payload_intents: []    # max_metadata_bytes, max_body_bytes

Why this exists
---------------
1. ``session_persistence: true`` never delivers a bot reply with python-socketio >= 5.10:
   ``AsyncServer.enter_room`` became a coroutine there and Rasa 3.6 calls it without
   ``await`` (RuntimeWarning "coroutine 'AsyncServer.enter_room' was never awaited", upstream
   RasaHQ/rasa#13027). The client never joins the room named after its session id, and the
   replies, which Rasa emits to that room, go nowhere. Here the session request awaits the call
   when it returns an awaitable, so it works with both the old (sync) and new (async) API.
2. ``send_custom_json`` passed the custom payload as keyword arguments to ``sio.emit``, so a
   ``custom:`` response such as ``{"attachment": {...}}`` raised ``TypeError``. Rasa's documented
   ``{"data": {...}}`` form still works as before; any other dict is now sent as the message.

3. Optional ``cors_allowed_origins`` (a list, or origins separated by commas or spaces; when the
   key is absent, the environment variable ``SOCKETIO_CORS_ORIGINS``) is an allow-list that Engine.IO enforces for polling *and* WebSocket connections (browsers do not
   apply CORS to WebSockets; Rasa's ``--cors`` alone leaves them open to any site). With it set,
   ``rasa run --cors`` no longer adds its own copy of the CORS headers on the socket.io route
   (a doubled Access-Control-Allow-Origin makes browsers reject the response). Left out,
   Rasa's behaviour is kept: no origin check on the socket, CORS headers from ``--cors``.
4. Odd input is handled as over REST (``addons.input_guard``): text cleaned, cut with a note,
   ``/intent`` typed by a user read as text, empty text answered with a note and never sent
   to the model; a message with no usable session id, or an event that is not an object, is
   ignored (stock Rasa raised on both). Engine.IO's 1 MB packet limit becomes
   ``max_body_bytes``, so a long message gets the note rather than a dropped connection.
5. A failure while handling, a failed custom action (``addons.action_guard``) or a turn with
   no reply ends with ``input_guard.apology`` (it carries the healthcare-provider guidance),
   never silence. Message text is kept out of the logs (``addons.log_privacy``, installed with
   the action guard by ``addons.install``, named in ``config.yml``).
"""

import inspect
import json
import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from addons import action_guard, input_guard
from addons.held_replies import HeldReplies

logger = logging.getLogger(__name__)

# Keyword arguments that python-socketio's AsyncServer.emit accepts besides the event name.
_EMIT_KWARGS = {"data", "to", "room", "skip_sid", "namespace", "callback", "ignore_queue"}


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    """Output channel whose custom JSON payloads reach the client whatever their keys.

    It counts what it sends, so that the channel can tell silence from an answer.
    """

    sent = 0

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        """Sends a custom payload: Rasa's ``{"data": ...}`` form, or the dict itself."""
        if json_message and set(json_message) <= _EMIT_KWARGS and "data" in json_message:
            self.sent += 1
            json_message = dict(json_message)
            json_message.setdefault("room", recipient_id)
            await self.sio.emit(self.bot_message_evt, **json_message)
        else:
            await self._send_message(recipient_id, json_message)


class _TurnOutput(HeldReplies, SocketIOOutput):
    """The replies to one message: held until the turn is stored (``addons.held_replies``).

    Both classes count: ``HeldReplies`` what Rasa's processor hands over (``send_response``),
    ``SocketIOOutput`` what is emitted, including direct ``send_*`` calls.
    """


def _origins(value: Union[None, Text, List[Text]]) -> Optional[List[Text]]:
    if value is None:
        return None
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    origins = [str(origin).strip().rstrip("/") for origin in value if str(origin).strip()]
    if "*" in origins:
        # python-socketio's spelling of "any origin"; kept explicit so that it is a choice.
        return "*"  # type: ignore[return-value]
    return origins


async def _enter_room(sio: Any, sid: Text, room: Text, namespace: Optional[Text]) -> None:
    """Joins a room with python-socketio's sync (< 5.10) or async (>= 5.10) ``enter_room``."""
    entered = sio.enter_room(sid, room, namespace=namespace)
    if inspect.isawaitable(entered):
        await entered


def _leave_socketio_cors_to_engineio(blueprint: Blueprint, socketio_path: Text) -> None:
    """Keep `rasa run --cors` (Sanic-CORS) off the socket.io route when Engine.IO does CORS.

    Both would add Access-Control-Allow-Origin, and browsers reject a response that carries
    it twice. Engine.IO's check is the one to keep: it also refuses WebSocket connections from
    other origins, which browsers never check themselves.
    """
    try:
        from sanic_cors.core import SANIC_CORS_EVALUATED
    except ImportError:  # Sanic-CORS absent: nothing to keep off
        return

    def mark_socketio_requests(app: Any) -> None:
        @app.middleware("request")
        async def socketio_cors_by_engineio(request: Any) -> None:
            if request.path.startswith(socketio_path):
                setattr(request.ctx, SANIC_CORS_EVALUATED, "1")

    # Rasa's SocketBlueprint attaches `ctx.sio` to the app when it is registered; Sanic forbids
    # new attributes on a blueprint, so the hook rides on that attach call.
    blueprint.ctx.sio = _AttachHook(blueprint.ctx.sio, mark_socketio_requests)


class _AttachHook:
    """Stands in for the AsyncServer in a blueprint's ctx: attaches it, then calls a hook."""

    def __init__(self, sio: Any, after_attach: Callable[[Any], None]) -> None:
        self._sio = sio
        self._after_attach = after_attach

    def attach(self, app: Any, *args: Any, **kwargs: Any) -> None:
        self._sio.attach(app, *args, **kwargs)
        self._after_attach(app)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sio, name)


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socketio input channel, with session persistence that works."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        origins = credentials.get("cors_allowed_origins")
        if origins is None:
            # Unlike ${SOCKETIO_CORS_ORIGINS} in credentials.yml, an unset variable here is no
            # error: Rasa's default (no origin check) applies.
            origins = os.environ.get("SOCKETIO_CORS_ORIGINS", "").strip() or None
        channel.cors_allowed_origins = _origins(origins)
        for key in ("max_message_chars", "max_sender_chars", "max_metadata_bytes", "max_body_bytes"):
            if credentials.get(key) not in (None, ""):
                setattr(channel, key, int(credentials[key]))
        channel.allowed_payload_intents = frozenset(
            input_guard.as_list(credentials.get("allowed_payload_intents"))
        )
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.cors_allowed_origins: Optional[List[Text]] = kwargs.pop(
            "cors_allowed_origins", None
        )
        self.max_message_chars = int(
            kwargs.pop("max_message_chars", input_guard.DEFAULT_MAX_MESSAGE_CHARS)
        )
        self.max_sender_chars = int(
            kwargs.pop("max_sender_chars", input_guard.DEFAULT_MAX_SENDER_CHARS)
        )
        self.max_metadata_bytes = int(
            kwargs.pop("max_metadata_bytes", input_guard.DEFAULT_MAX_METADATA_BYTES)
        )
        self.max_body_bytes = int(kwargs.pop("max_body_bytes", input_guard.DEFAULT_MAX_BODY_BYTES))
        self.allowed_payload_intents = frozenset(kwargs.pop("allowed_payload_intents", ()))
        super().__init__(*args, **kwargs)
        self._app: Any = None
        self._button_payloads = input_guard.PayloadCache()

    async def _handle_text(
        self,
        sio: Any,
        sender_id: Text,
        data: Dict[Text, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """Guards the text like the REST channel does, hands it to Rasa, never stays silent."""
        output_channel = _TurnOutput(sio, self.bot_message_evt)
        domain = self._domain()
        text = data.get("message")
        if not isinstance(text, str):
            # None, a number, a list: nothing a person typed
            text = ""
        prepared = input_guard.prepare(
            text,
            domain,
            max_chars=self.max_message_chars,
            allowed_payloads=self._button_payloads(domain),
            allowed_intents=self.allowed_payload_intents,
        )
        if prepared.empty:
            for note in prepared.notes:
                await output_channel.send_text_message(sender_id, note)
            return

        metadata = self._metadata(data.get(self.metadata_key))
        if prepared.flags:
            metadata = dict(metadata, input_guard=prepared.flags)
        action_guard.reset()
        output_channel.hold()
        try:
            await on_new_message(
                UserMessage(
                    prepared.text,
                    output_channel,
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
            failed = action_guard.message_failed() or not output_channel.sent
        except Exception as e:
            logger.error(
                "Handling a message from the socketio channel failed with %s.",
                type(e).__name__,
                exc_info=e,
            )
            failed = True
        # What Rasa said goes out only if the turn was stored (a "done" of "forget me" that
        # did not reach the database is never sent); then the apology, if anything failed.
        await output_channel.finish()
        if failed:
            await output_channel.send_text_message(sender_id, input_guard.apology(domain))
        # after the answer: the crisis or urgent-care reply to a long post comes first
        for note in prepared.notes:
            await output_channel.send_text_message(sender_id, note)

    def _metadata(self, metadata: Any) -> Dict[Text, Any]:
        """The client's metadata if it is a small JSON object (or its JSON text), else {}."""
        if isinstance(metadata, str):
            if len(metadata) > self.max_metadata_bytes:
                return {}
            try:
                metadata = json.loads(input_guard.clean_text(metadata))
            except (ValueError, RecursionError):
                return {}
        if not isinstance(metadata, dict):
            return {}
        try:
            encoded = json.dumps(metadata, ensure_ascii=False, default=str)
        except (ValueError, RecursionError):
            return {}
        if len(encoded.encode("utf-8", "surrogatepass")) > self.max_metadata_bytes:
            return {}
        return json.loads(input_guard.clean_text(encoded))

    def _domain(self) -> Any:
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        return getattr(agent, "domain", None)

    def get_output_channel(self) -> Optional[rasa_socketio.SocketIOOutput]:
        """Creates the output channel (used for events pushed outside a conversation)."""
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's blueprint, with the session-request and message handlers replaced."""
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        # Engine.IO drops the connection on a packet over 1 MB (its default); a long message
        # should get the polite "too long" note instead, as over REST.
        sio.eio.max_http_buffer_size = self.max_body_bytes
        if self.cors_allowed_origins is not None:
            # The server reads this per request, so setting it after creation is enough.
            sio.eio.cors_allowed_origins = self.cors_allowed_origins
            _leave_socketio_cors_to_engineio(socketio_webhook, self.socketio_path or "/socket.io")

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any = None, *_extra: Any) -> None:
            if not isinstance(data, dict):
                data = {}
            session_id = data.get("session_id")
            if input_guard.sender_problem(session_id, self.max_sender_chars):
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await _enter_room(sio, sid, session_id, self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.debug(f"User {sid} joined session {session_id}.")

        @socketio_webhook.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            self._app = app

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None, *_extra: Any) -> None:
            # An event may come with no argument, or several: neither may crash the handler.
            if not isinstance(data, dict):
                logger.warning("Ignoring a socketio message that is not an object.")
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                problem = input_guard.sender_problem(sender_id, self.max_sender_chars)
                if problem:
                    logger.warning(
                        "A socketio message was ignored (%s): send `session_request` first.",
                        problem,
                    )
                    return
                # Replies go to the room named after the session. A socket that reconnected
                # (new sid) and speaks before its new session request is answered would
                # otherwise get no reply: join it here too.
                if sender_id not in sio.rooms(sid, namespace=self.namespace):
                    await _enter_room(sio, sid, sender_id, self.namespace)
            else:
                sender_id = sid
            await self._handle_text(sio, sender_id, data, on_new_message)

        return socketio_webhook
