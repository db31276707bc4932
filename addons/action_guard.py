"""Custom actions that fail or hang must not leave the user in silence.

What Rasa 3.6 does when the action server is down, answers with an error, or is slow: the
processor logs the exception, drops the action's events and goes on predicting
(``MessageProcessor._run_action``). Every answer of this assistant comes from a custom action
(``action_answer``, one per answer turn); the core fallback is a custom action too and fails
the same way. The REST call still returns
HTTP 200 with an empty list: the user sees nothing. A slow action server is worse: Rasa waits
up to 300 seconds (``DEFAULT_REQUEST_TIMEOUT``) per action, twice, holding the sender's lock.

``install()`` wraps ``RemoteAction.run`` once per process so that

* a call to the action server is cut after ``ACTION_TIMEOUT_SECONDS`` (10 by default);
* any failure (other than ``ActionExecutionRejection``, which is how forms decline a turn and
  not a fault) is logged once, without the exception's message (it may quote the user), and
  the action returns no events, as Rasa does, so a rule that needs none goes on: the
  urgent-care message is a domain response and does not need the action server;
* the failure is remembered for the message being handled: ``action_failed()`` tells the input
  channel, which then sends the apology (``addons.input_guard.apology``: it carries the
  healthcare-provider guidance) after whatever Rasa itself said;
* after a failure, the next custom action of the same message is not called: it ends the turn
  (``FollowupAction(action_listen)``) instead of waiting again for a server that just failed,
  or letting Rasa predict the failing fallback until its circuit breaker trips.

The flag is a ``ContextVar``: each message is handled in its own asyncio task, so concurrent
conversations never see each other's failures. The channels call ``reset()`` before handing a
message to Rasa.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import sys
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.actions import action as rasa_action
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import FollowupAction


logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
TIMEOUT_ENV = "ACTION_TIMEOUT_SECONDS"

_failed: contextvars.ContextVar[bool] = contextvars.ContextVar("action_failed", default=False)
_before_call: contextvars.ContextVar[Optional[Callable[[], Awaitable[None]]]] = (
    contextvars.ContextVar("before_action_server", default=None)
)
_safety_sent: contextvars.ContextVar[bool] = contextvars.ContextVar("safety_sent", default=False)
# After a crisis or urgent-care reply, the custom actions of the same message (the facts that
# follow the urgent message) get this long at most: a client that receives the whole turn at
# once (plain REST) then has the urgent message within seconds even if the action server hangs.
SAFETY_FOLLOW_UP_SECONDS = 2.0


def action_failed() -> bool:
    """Whether a custom action failed while the current message was handled."""
    return _failed.get()


def storage_failed() -> bool:
    """Whether ``addons.tracker_store`` gave up on the database for the current message."""
    module = sys.modules.get("addons.tracker_store")
    return bool(module and module.storage_failed())


def message_failed() -> bool:
    """Whether the reply to the current message cannot be trusted to be complete."""
    return action_failed() or storage_failed()


def reset() -> None:
    _failed.set(False)
    _before_call.set(None)
    _safety_sent.set(False)


def safety_reply_sent() -> None:
    """Marks that the crisis or urgent-care reply of the current message has been sent."""
    _safety_sent.set(True)


def before_action_server(hook: Optional[Callable[[], Awaitable[None]]]) -> None:
    """Has ``hook`` awaited before each call to the action server for the current message.

    ``addons.held_replies`` sends the replies it holds there, so that a message said before a
    slow custom action (the urgent-care response) is not kept waiting for it.
    """
    _before_call.set(hook)


def timeout_seconds() -> float:
    """``$ACTION_TIMEOUT_SECONDS`` if it is a positive number, else the default."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV, ""))
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_TIMEOUT_SECONDS


def install() -> None:
    """Wraps ``RemoteAction.run`` (idempotent). Called by ``addons.install``."""
    remote = rasa_action.RemoteAction
    if getattr(remote.run, "_action_guard", False):
        return
    original = remote.run

    @functools.wraps(original)
    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List:
        if _failed.get():
            # Rasa would go on predicting the (custom) fallback until its circuit breaker
            # trips; listening ends the turn, and the channel sends the apology.
            logger.warning(
                "Skipped custom action '%s': an earlier custom action of this message failed.",
                self.name(),
            )
            return [FollowupAction(ACTION_LISTEN_NAME)]
        hook = _before_call.get()
        if hook is not None:
            await hook()
        seconds = timeout_seconds()
        if _safety_sent.get():
            seconds = min(seconds, SAFETY_FOLLOW_UP_SECONDS)
        try:
            return await asyncio.wait_for(
                original(self, output_channel, nlg, tracker, domain), seconds
            )
        except rasa_action.ActionExecutionRejection:
            raise
        except asyncio.TimeoutError:
            logger.error(
                "Custom action '%s' got no answer from the action server within %g s (%s).",
                self.name(), seconds, TIMEOUT_ENV,
            )
        except Exception as e:
            logger.error(
                "Custom action '%s' failed with %s.", self.name(), type(e).__name__,
                exc_info=e,
            )
        # No events, as Rasa does on an error, so that the rule can go on where it does not
        # need them: the urgent-care message is a domain response.
        _failed.set(True)
        return []

    run._action_guard = True  # type: ignore[attr-defined]
    remote.run = run  # type: ignore[assignment]
