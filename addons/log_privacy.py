"""Keeps what users write (message text, entity values) out of logs at INFO and above.

People tell this assistant about their illness, and logs are copied, shipped and kept far
longer and more widely than the tracker store. Stock Rasa 3.6 writes user text at WARNING and
ERROR: the ``/greet@8``-style payload warnings quote the whole line, the REST channel's
``rest.message.received.failure`` error carries ``text=...``, exception messages quote what
failed to parse, and structlog's JSON/rich tracebacks include the frames' local variables.

``install()`` (idempotent) sets up three hooks, all in this process:

1. a ``logging`` record factory: every record at INFO or above, from any logger and whatever
   its handlers, has its message redacted where Rasa puts user input into it (the known
   templates below, and the structured fields that carry it: ``text``, ``value``,
   ``message``, ... in ``key=value``, JSON and Python-repr form), and its exception rendered
   as a traceback of frames and exception *types*: messages are dropped, except for
   OS/connection errors, and never any local variables;
2. a structlog processor, first in Rasa's chain (and in any chain configured later): at INFO
   and above only an allow-list of keys (``event``, ``event_info``, ...) keeps its value, and
   ``exc_info`` becomes the same safe traceback, so JSON and rich renderers cannot print
   locals;
3. ``logging.captureWarnings(True)``: Rasa's ``raise_warning`` (the payload warnings) goes
   through logging, and so through hook 1, instead of straight to stderr.

Nothing erases what people typed from *other* lines: an earlier version remembered recent
messages and erased them from every log line, so a user typing "error" or "timeout" erased
that word from unrelated lines. Redaction is by position (template, field), never by value.

DEBUG records are left alone: debug logging shows conversations by design and must not be on
in production (``rasa run`` without ``--debug``, ``LOG_LEVEL=INFO``).

Where it is installed:

* ``addons.install.install()``, called by the ``addons.install.RasaAddons`` component that
  ``config.yml`` names first, when the model loads (``rasa run``, ``shell``, ``test``);
* ``rasa run --logging-config-file addons/logging.yml`` (the file's filter installs it before
  anything else runs, before any model is loaded). The project root
  must be importable then (``PYTHONPATH=.``): Rasa applies the file before it adds the
  working directory to ``sys.path``, and it ignores a file whose filter fails to import;
* explicitly, ``from addons import log_privacy; log_privacy.install()`` (e.g. the action server).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType
from typing import Any, Dict, List, Optional, Text, Tuple, Type

REDACTED = "[redacted]"
MIN_LEVEL = logging.INFO

# structlog keys whose values are kept at INFO and above (values of other keys are redacted).
SAFE_STRUCTLOG_KEYS = frozenset(
    {
        "event",
        "event_info",
        "event_key",
        "level",
        "log_level",
        "timestamp",
        "logger",
        "logger_name",
        "host",
        "port",
        "filename",
        "placeholder_key",
        "status",
        "exception",
    }
)

# Exception types whose messages describe the system, not the conversation.
_SAFE_EXCEPTION_TYPES: Tuple[Type[BaseException], ...] = (OSError, TimeoutError)

# The fields of Rasa's events, parse results and requests that hold what a person wrote.
_FIELDS = "|".join(("user_text", "parse_data_text", "text", "message", "value", "raw_text", "query"))

# Rasa 3.6 messages that quote user input. (pattern, replacement), applied in order.
_TEMPLATES: List[Tuple["re.Pattern[str]", Text]] = [
    (
        re.compile(r"Failed to parse arguments in line .*", re.S),
        "Failed to parse an intent payload sent by a user " + REDACTED + ".",
    ),
    (
        re.compile(r"Parsed an (intent|entity) '.*?' which is not defined", re.S),
        r"Parsed an \1 " + REDACTED + " which is not defined",
    ),
    # structured fields that carry user input, wherever a line quotes an event, a parse result
    # or a request: text=..., "text": "...", 'value': '...' (events stored as JSON inside a
    # failed SQL statement's parameters, payload dicts, keyword-style log lines)
    (
        re.compile(
            r"((?:\\)?[\"']?)\b(" + _FIELDS + r")\1(=|\s*:\s*)"
            r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\\\"(?:[^\\]|\\[^\"])*\\\"|[^\s,}\]]+)",
            re.S,
        ),
        r"\1\2\1\3" + REDACTED,
    ),
]

_installed = False
_original_factory = logging.getLogRecordFactory()


def redact_text(message: Text) -> Text:
    """Redacts the places in a log message where Rasa puts user input (templates, fields)."""
    if not message:
        return message
    for pattern, replacement in _TEMPLATES:
        message = pattern.sub(replacement, message)
    return message


# --- exceptions --------------------------------------------------------------------------


ExcInfo = Tuple[Type[BaseException], BaseException, Optional[TracebackType]]


def _exc_info(value: Any) -> Optional[ExcInfo]:
    if value is None or value is False:
        return None
    if value is True:
        info = sys.exc_info()
        return info if info[0] is not None else None  # type: ignore[return-value]
    if isinstance(value, BaseException):
        return type(value), value, value.__traceback__
    if isinstance(value, tuple) and len(value) == 3 and value[0] is not None:
        return value  # type: ignore[return-value]
    return None


def _exception_message(error: BaseException) -> Text:
    if isinstance(error, _SAFE_EXCEPTION_TYPES):
        return redact_text(str(error))
    return REDACTED if str(error) else ""


def safe_traceback(exc_info: ExcInfo) -> Text:
    """A traceback with frames and exception types; messages redacted, no locals."""
    _, error, tb = exc_info
    parts: List[Text] = []
    seen = set()

    def render(exc: BaseException, tb_: Optional[TracebackType]) -> None:
        seen.add(id(exc))
        cause = exc.__cause__
        context = exc.__context__
        if cause is not None and id(cause) not in seen:
            render(cause, cause.__traceback__)
            parts.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
            )
        elif (
            context is not None
            and not exc.__suppress_context__
            and id(context) not in seen
        ):
            render(context, context.__traceback__)
            parts.append(
                "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        if tb_ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(tb_))
        name = type(exc).__qualname__
        module = type(exc).__module__
        if module not in ("builtins", "__main__"):
            name = f"{module}.{name}"
        message = _exception_message(exc)
        parts.append(f"{name}: {message}\n" if message else f"{name}\n")

    render(error, tb)
    return "".join(parts).rstrip("\n")


# --- logging records ---------------------------------------------------------------------


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redacts a record in place (once); records below INFO are left alone."""
    if record.levelno < MIN_LEVEL or getattr(record, "_privacy_redacted", False):
        return record
    record._privacy_redacted = True  # type: ignore[attr-defined]
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    record.msg = redact_text(message)
    record.args = ()
    info = _exc_info(record.exc_info)
    if info is not None:
        record.exc_text = safe_traceback(info)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    return record


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _original_factory(*args, **kwargs)
    try:
        return redact_record(record)
    except Exception:  # logging must never fail because of this
        record.msg, record.args, record.exc_info = "[log record redacted]", (), None
        return record


class PrivacyFilter(logging.Filter):
    """Logging filter for ``dictConfig``; constructing it installs every hook."""

    def __init__(self, name: Text = "") -> None:
        super().__init__(name)
        install()

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


# --- structlog ---------------------------------------------------------------------------

_STRUCTLOG_LEVELS = {
    "info": logging.INFO,
    "msg": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "err": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


def structlog_processor(_: Any, method_name: Text, event_dict: Dict[Text, Any]) -> Dict:
    """structlog processor: INFO+ events keep only allow-listed keys and safe tracebacks."""
    if _STRUCTLOG_LEVELS.get(method_name, logging.DEBUG) < MIN_LEVEL:
        return event_dict
    if "exc_info" in event_dict:
        info = _exc_info(event_dict.pop("exc_info"))
        if info is not None:
            event_dict["exception"] = safe_traceback(info)
    for key in list(event_dict):
        value = event_dict[key]
        if key in SAFE_STRUCTLOG_KEYS:
            if isinstance(value, str) and key != "exception":
                event_dict[key] = redact_text(value)
        elif not isinstance(value, (bool, int, float)):
            event_dict[key] = REDACTED
    return event_dict


def _install_structlog() -> None:
    try:
        import structlog
    except ImportError:
        return
    processors = structlog.get_config()["processors"]
    if structlog_processor not in processors:
        # in place: loggers already bound (cache_logger_on_first_use) share this list
        processors.insert(0, structlog_processor)
    if not getattr(structlog.configure, "_privacy_hook", False):
        # Rasa configures structlog after --logging-config-file is applied, replacing the
        # chain: keep this processor first in any chain configured later.
        original_configure = structlog.configure

        def configure(*args: Any, **kwargs: Any) -> None:
            if kwargs.get("processors") is not None:
                chain = [p for p in kwargs["processors"] if p is not structlog_processor]
                kwargs["processors"] = [structlog_processor] + chain
            original_configure(*args, **kwargs)

        configure._privacy_hook = True  # type: ignore[attr-defined]
        configure.__wrapped__ = original_configure  # type: ignore[attr-defined]
        structlog.configure = configure


def install() -> None:
    """Installs the hooks (idempotent; the structlog one is re-checked on every call)."""
    global _installed
    _install_structlog()
    if _installed:
        return
    _installed = True
    global _original_factory
    current = logging.getLogRecordFactory()
    if current is not _factory:
        _original_factory = current
        logging.setLogRecordFactory(_factory)
    logging.captureWarnings(True)
