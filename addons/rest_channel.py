"""Rasa's REST channel, hardened against hostile and odd input.

Select it in ``credentials.yml`` by module path *instead of* ``rest:`` (it answers on the same
URL, ``/webhooks/rest/webhook``, so clients do not change)::

    addons.rest_channel.HardenedRestInput:
      max_message_chars: 2000        # longer text is cut, with a polite note
      max_sender_chars: 128
      max_body_bytes: 8388608        # larger bodies: 413
      allowed_payload_intents: []    # intents whose "/intent{...}" payloads custom-action
                                     # buttons may send; domain button payloads always work

What stock Rasa 3.6 does and this does instead
----------------------------------------------
* A body without ``message``, or with a non-string one, raised inside Rasa and was answered
  with HTTP 500 and a traceback carrying the text; malformed JSON and a JSON list also
  failed. Here every malformed request gets **400** with a JSON body
  ``{"error": "bad_request", "reason": "<code>", "message": "<what to fix>"}``.
* A missing ``sender`` silently became the shared conversation ``"default"`` (every such
  client saw the others' conversation). Here a sender id is required: a non-empty string of at
  most 128 characters without control characters.
* The client could set ``input_channel`` in the body; here the channel's name is used.
* Text is cleaned and cut, empty text and ``/intent`` payloads are handled as described in
  ``addons.input_guard``.
* When handling fails (a dependency is down, a bug), when a custom action failed or timed
  out (``addons.action_guard``), or when nothing at all was said, the user gets the apology
  (``input_guard.apology``: ``utter_technical_problem`` and the healthcare-provider guidance),
  not an empty answer, and the log line names the exception type but not the text. The same when ``addons.tracker_store`` could not read or
  write the conversation (Rasa would otherwise answer from an empty conversation and keep
  the message only in memory).

The action guard and the log privacy hooks it relies on are installed by ``addons.install``
(named in ``config.yml``), not by importing this module.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from asyncio import CancelledError, Queue
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Optional, Text, Union

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from addons import action_guard, input_guard
from addons.held_replies import HeldReplies, is_safety_reply

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = input_guard.DEFAULT_MAX_BODY_BYTES

_REASONS = {
    "invalid_json": "The body must be a JSON object encoded as UTF-8.",
    "not_an_object": 'The body must be a JSON object such as {"sender": "id", "message": "hi"}.',
    "missing_message": 'The body needs a "message" string.',
    "message_not_a_string": '"message" must be a string.',
    "missing_sender": 'The body needs a non-empty "sender" string (the conversation id).',
    "sender_not_a_string": '"sender" must be a string.',
    "sender_too_long": '"sender" is too long.',
    "sender_invalid": '"sender" must not contain control characters.',
    "metadata_not_an_object": '"metadata" must be a JSON object.',
    "metadata_too_large": '"metadata" is too large.',
    "body_too_large": "The request body is too large.",
}


def _error(reason: Text, status: int = 400) -> HTTPResponse:
    return response.json(
        {"error": "bad_request", "reason": reason, "message": _REASONS[reason]},
        status=status,
    )


class BadRequest(Exception):
    def __init__(self, reason: Text, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class HardenedRestInput(RestInput):
    """REST input channel that answers malformed requests with 400, never 500."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}

        def number(key: Text, default: int) -> int:
            value = credentials.get(key)
            return int(value) if value not in (None, "") else default

        return cls(
            max_message_chars=number("max_message_chars", input_guard.DEFAULT_MAX_MESSAGE_CHARS),
            max_sender_chars=number("max_sender_chars", input_guard.DEFAULT_MAX_SENDER_CHARS),
            max_body_bytes=number("max_body_bytes", DEFAULT_MAX_BODY_BYTES),
            max_metadata_bytes=number(
                "max_metadata_bytes", input_guard.DEFAULT_MAX_METADATA_BYTES
            ),
            allowed_payload_intents=input_guard.as_list(credentials.get("allowed_payload_intents")),
        )

    def __init__(
        self,
        max_message_chars: int = input_guard.DEFAULT_MAX_MESSAGE_CHARS,
        max_sender_chars: int = input_guard.DEFAULT_MAX_SENDER_CHARS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_metadata_bytes: int = input_guard.DEFAULT_MAX_METADATA_BYTES,
        allowed_payload_intents: Optional[List[Text]] = None,
    ) -> None:
        if min(max_message_chars, max_sender_chars, max_body_bytes, max_metadata_bytes) <= 0:
            raise ValueError("HardenedRestInput limits must be positive.")
        self.max_message_chars = max_message_chars
        self.max_sender_chars = max_sender_chars
        self.max_body_bytes = max_body_bytes
        self.max_metadata_bytes = max_metadata_bytes
        self.allowed_payload_intents: FrozenSet[Text] = frozenset(allowed_payload_intents or [])
        self._button_payloads = input_guard.PayloadCache()

    # --- request parsing ---------------------------------------------------------------

    def parse_body(self, body: bytes) -> Dict[Text, Any]:
        """The request's JSON object, or ``BadRequest``."""
        if len(body) > self.max_body_bytes:
            raise BadRequest("body_too_large", 413)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # includes UnicodeDecodeError, huge ints
            raise BadRequest("invalid_json")
        if not isinstance(data, dict):
            raise BadRequest("not_an_object")
        return data

    def validate(self, data: Dict[Text, Any]) -> Dict[Text, Any]:
        """Checked sender, message and metadata of a parsed body, or ``BadRequest``."""
        problem = input_guard.sender_problem(data.get("sender"), self.max_sender_chars)
        if problem:
            raise BadRequest(problem)
        if "message" not in data or data["message"] is None:
            raise BadRequest("missing_message")
        if not isinstance(data["message"], str):
            raise BadRequest("message_not_a_string")
        metadata = data.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise BadRequest("metadata_not_an_object")
            encoded = json.dumps(metadata, ensure_ascii=False, default=str)
            if len(encoded.encode("utf-8", "surrogatepass")) > self.max_metadata_bytes:
                raise BadRequest("metadata_too_large")
            metadata = json.loads(input_guard.clean_text(encoded))
        return {"sender": data["sender"], "message": data["message"], "metadata": metadata}

    def prepare_text(self, text: Text, domain: Any) -> input_guard.Prepared:
        """Cleans, cuts and guards the text; returns it with the notes the user should get."""
        return input_guard.prepare(
            text,
            domain,
            max_chars=self.max_message_chars,
            allowed_payloads=self._button_payloads(domain),
            allowed_intents=self.allowed_payload_intents,
        )

    # --- Sanic blueprint ---------------------------------------------------------------

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[None]]
    ) -> Blueprint:
        """Health check at ``/`` and the message webhook at ``/webhook``."""
        module = inspect.getmodule(self)
        webhook = Blueprint(
            "custom_webhook_{}".format(type(self).__name__),
            module.__name__ if module else None,
        )

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                data = self.validate(self.parse_body(request.body or b""))
            except BadRequest as e:
                return _error(e.reason, e.status)

            domain = _domain_of(request)
            prepared = self.prepare_text(data["message"], domain)
            sender_id = data["sender"]
            # The notes ("your message was long") come after the answer: the crisis or
            # urgent-care reply to a long post is the first thing the person reads.
            notes = [{"recipient_id": sender_id, "text": t} for t in prepared.notes]
            if prepared.empty:
                return response.json(notes)

            metadata = data["metadata"]
            if prepared.flags:
                metadata = dict(metadata or {}, input_guard=prepared.flags)

            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self._stream(on_new_message, prepared.text, sender_id, metadata, notes,
                                 domain),
                    content_type="text/event-stream",
                )

            collector = _TurnCollector()
            action_guard.reset()
            try:
                await on_new_message(
                    UserMessage(
                        prepared.text,
                        collector,
                        sender_id,
                        input_channel=self.name(),
                        metadata=metadata,
                    )
                )
                if action_guard.storage_failed():
                    # answered from a conversation that could not be read, and not stored:
                    # only the crisis or urgent-care reply stands (safety rule 3)
                    collector.messages = collector.safety + [_apology(sender_id, domain)]
                elif action_guard.action_failed() or not collector.messages:
                    # what Rasa said without the action server (e.g. the urgent-care message)
                    # stays first
                    collector.messages.append(_apology(sender_id, domain))
            except (Exception, CancelledError) as e:
                _log_failure(e)
                collector.messages.append(_apology(sender_id, domain))
            return response.json(collector.messages + notes)

        return webhook

    def _stream(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: Text,
        sender_id: Text,
        metadata: Optional[Dict[Text, Any]],
        notes: List[Dict[Text, Any]],
        domain: Any,
    ) -> Callable[[Any], Awaitable[None]]:
        async def stream(resp: Any) -> None:
            queue: Queue = Queue()

            async def handle() -> None:
                output = _TurnQueueOutputChannel(queue)
                action_guard.reset()
                output.hold()
                try:
                    await on_new_message(
                        UserMessage(
                            text,
                            output,
                            sender_id,
                            input_channel=self.name(),
                            metadata=metadata,
                        )
                    )
                    failed = action_guard.message_failed() or not output.sent
                except (Exception, CancelledError) as e:
                    _log_failure(e)
                    failed = True
                try:
                    # as in the plain mode: nothing the tracker store did not keep is confirmed
                    await output.finish()
                    if failed:
                        await queue.put(_apology(sender_id, domain))
                finally:
                    await queue.put("DONE")

            task = asyncio.ensure_future(handle())
            while True:
                item = await queue.get()
                if item == "DONE":
                    break
                await resp.write(json.dumps(item) + "\n")
            await task
            for item in notes:
                await resp.write(json.dumps(item) + "\n")

        return stream


class _TurnCollector(CollectingOutputChannel):
    """Collects the replies to one message and remembers which are crisis or urgent-care ones,
    so that a storage failure replaces everything but them (addons.held_replies)."""

    def __init__(self) -> None:
        super().__init__()
        self.safety: List[Dict[Text, Any]] = []

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        before = len(self.messages)
        safety = is_safety_reply(message)
        if safety:
            action_guard.safety_reply_sent()
        await super().send_response(recipient_id, message)
        if safety:
            self.safety.extend(self.messages[before:])


class _TurnQueueOutputChannel(HeldReplies, QueueOutputChannel):
    """The streamed replies to one message: held until the turn is stored
    (``addons.held_replies``), counted so that silence can be replaced by the apology."""


def _apology(sender_id: Text, domain: Any) -> Dict[Text, Any]:
    return {"recipient_id": sender_id, "text": input_guard.apology(domain)}


def _domain_of(request: Request) -> Any:
    agent = getattr(request.app.ctx, "agent", None)
    return getattr(agent, "domain", None)


def _log_failure(error: BaseException) -> None:
    # The exception's message may carry the user's text (e.g. a parsing error); the type and
    # the traceback's frames are enough to find the cause. log_privacy redacts the rest.
    logger.error(
        "Handling a message from the REST channel failed with %s.",
        type(error).__name__,
        exc_info=error,
    )
