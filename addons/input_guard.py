"""Channel-independent checks and clean-up of what a user sends, and the notes they get back.

Used by ``addons.rest_channel`` and ``addons.socketio_channel``, so that both treat text alike:
plain values in, plain values out, nothing raised.

Decisions (see docs/production.md):

* Text is cleaned, never rejected: lone UTF-16 surrogates (valid in JSON ``\\ud800`` escapes,
  but not encodable as UTF-8, so they break logs, the tracker store and PostgreSQL) become
  U+FFFD, and control characters other than newline and tab are dropped (PostgreSQL rejects
  NUL).
* Over ``max_message_chars`` (2,000 by default) the text is cut, at a word boundary when one is
  near, and the user is told so by the ``utter_message_too_long`` note, *after* the answer.
  Safety triage still reads the whole message (up to ``TRIAGE_MAX_CHARS``): the sentences past
  the cut that speak of a crisis or an emergency are kept in place of the end of the kept
  part, so a red flag in the last lines of a long post is still caught (safety rule 2).
* Empty or whitespace-only text is not sent to the model; the user gets ``utter_empty_message``.
* ``/intent{...}`` text: Rasa treats text starting with ``/`` as an already-classified intent
  with entities, bypassing NLU, so a user who types ``/some_intent{"slot": "x"}`` can trigger
  any intent (``/restart``, ``/session_start``) and fill slots with values that no extractor
  checked. Buttons need the mechanism, so a payload is passed on only when it is exactly the
  payload of a button in the domain's responses, or its intent is listed in
  ``allowed_payload_intents`` (for buttons that custom actions build) and its entities are a
  flat JSON object of short strings or numbers. Any other leading ``/``
  is removed and the rest goes through NLU like ordinary text: nobody types ``/greet`` meaning
  something that a classifier cannot read from ``greet``, so nothing a person says is lost.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Set, Text, Tuple

DEFAULT_MAX_MESSAGE_CHARS = 2000
DEFAULT_MAX_SENDER_CHARS = 128
DEFAULT_MAX_METADATA_BYTES = 16 * 1024
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024  # a 1,000,000-character message fits, JSON-escaped
# How much of a long message the safety triage reads: ten times the cut, past any forum post
# (the longest of the triage set is 2,700 characters), and bounded so a pasted megabyte costs
# a fraction of a second.
TRIAGE_MAX_CHARS = 20_000

# The wording of every note lives here, once. A response of the same name in the domain
# overrides it (its first text variation), so the domain can own the wording later.
# "{max_chars}" is replaced by the limit.
NOTES: Dict[Text, Text] = {
    "utter_message_too_long": (
        "Your message was long, so I only read its first {max_chars} characters. "
        "If something important came later, please send it as a separate, shorter message."
    ),
    "utter_empty_message": (
        "I didn't get any text there. What would you like to ask?"
    ),
    "utter_technical_problem": (
        "Sorry, something went wrong on my side and I couldn't answer that. "
        "Please try again in a moment."
    ),
    # Only for a domain without utter_guidance (the project's domain has it, and it wins).
    "utter_guidance": "Please talk to your healthcare provider about your own situation.",
}

# "/intent" or "/intent{...}": what buttons send (no "@confidence", which only a person
# trying to steer the classifier would type).
_INTENT_PAYLOAD = re.compile(r"^/(?P<intent>[^{@\s]+)(?P<entities>\{.*\})?$", re.S)
_SURROGATES = re.compile("[\ud800-\udfff]")
# Unicode category Cc (C0, DEL, C1) except tab and newline. Format characters (Cf: RTL marks,
# zero-width joiners) stay: right-to-left text and emoji sequences need them.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: Text) -> Text:
    """Makes text safe to store and log: no lone surrogates, no control characters."""
    if not text:
        return ""
    # Pairs of surrogates (from JSON "\\ud83d\\ude00") are already joined by json.loads;
    # what is left is lone, and becomes U+FFFD.
    text = _SURROGATES.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def as_list(value: Any) -> List[Text]:
    """A credentials value given as a YAML list or as one comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def sender_problem(sender: Any, max_chars: int = DEFAULT_MAX_SENDER_CHARS) -> Optional[Text]:
    """Why ``sender`` cannot be a conversation id, or ``None`` when it can.

    Ids are used as they are (they name the conversation), so they are checked, not cleaned.
    """
    if sender is None:
        return "missing_sender"
    if not isinstance(sender, str):
        return "sender_not_a_string"
    if not sender.strip():
        return "missing_sender"
    if len(sender) > max_chars:
        return "sender_too_long"
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in sender):
        return "sender_invalid"
    return None


def truncate(text: Text, max_chars: int) -> Tuple[Text, bool]:
    """Cuts ``text`` to at most ``max_chars`` characters, at a word boundary if one is near."""
    if len(text) <= max_chars:
        return text, False
    cut = text[:max_chars]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary >= max_chars * 0.8:
        cut = cut[:boundary]
    return cut.rstrip(), True


def button_payloads(domain: Any) -> FrozenSet[Text]:
    """Payloads starting with ``/`` of every button in the domain's responses."""
    payloads: Set[Text] = set()
    responses = getattr(domain, "responses", None) or {}
    for variations in responses.values():
        for variation in variations or []:
            if not isinstance(variation, dict):
                continue
            for button in variation.get("buttons") or []:
                payload = button.get("payload") if isinstance(button, dict) else None
                if isinstance(payload, str) and payload.strip().startswith("/"):
                    payloads.add(payload.strip())
    return frozenset(payloads)


def guard_payload(
    text: Text,
    allowed_payloads: Iterable[Text] = (),
    allowed_intents: Iterable[Text] = (),
    allow_all: bool = False,
) -> Tuple[Text, bool]:
    """Returns the text to process and whether a ``/`` payload was neutralised.

    Allowed: a payload equal to a known button payload, or one whose intent is in
    ``allowed_intents`` and whose entities (if any) are a JSON object. Anything else that
    starts with ``/`` loses its leading slashes and is processed as ordinary text.
    """
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text, False
    if allow_all or stripped in set(allowed_payloads):
        return stripped, False
    match = _INTENT_PAYLOAD.match(stripped)
    if match and match.group("intent") in set(allowed_intents):
        entities = match.group("entities")
        if entities is None or _plain_entities(entities):
            return stripped, False
    return stripped.lstrip("/").strip(), True


MAX_PAYLOAD_ENTITY_CHARS = 100


def _plain_entities(text: Text) -> bool:
    """A JSON object of entity names to short strings or numbers (what buttons send)."""
    try:
        entities = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(entities, dict):
        return False
    for key, value in entities.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return False
        if len(key) > MAX_PAYLOAD_ENTITY_CHARS or len(str(value)) > MAX_PAYLOAD_ENTITY_CHARS:
            return False
    return True


def note(name: Text, domain: Any = None, **values: Any) -> Text:
    """The wording of a note: the domain's response of that name if it has one, else NOTES."""
    text = None
    responses = getattr(domain, "responses", None) or {}
    for variation in responses.get(name) or []:
        if isinstance(variation, dict) and isinstance(variation.get("text"), str):
            text = variation["text"]
            break
    if text is None:
        text = NOTES[name]
    for key, value in values.items():
        text = text.replace("{" + key + "}", f"{value:,}" if isinstance(value, int) else str(value))
    return text


def apology(domain: Any = None) -> Text:
    """What the user gets when their message could not be answered: never silence.

    It is about their health conversation, so it ends with the healthcare-provider guidance
    (safety rule 3), in the domain's wording.
    """
    return note("utter_technical_problem", domain) + "\n\n" + note("utter_guidance", domain)


class Prepared(NamedTuple):
    """A user's text made ready for Rasa, and what the user should be told about it."""

    text: Text
    notes: List[Text]
    empty: bool  # nothing left to send to the model
    flags: Dict[Text, Any]  # goes into the message metadata ("input_guard")


def prepare(
    text: Text,
    domain: Any = None,
    max_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
    allowed_payloads: Iterable[Text] = (),
    allowed_intents: Iterable[Text] = (),
) -> Prepared:
    """Cleans, cuts and guards a message's text (the steps above, in that order)."""
    original_length = len(text)
    full = text
    # bound the work on huge texts before the character-level clean-up
    text = clean_text(text[: max_chars * 2 + 16])
    text, cut = truncate(text, max_chars)
    cut = cut or original_length > max_chars * 2 + 16
    if cut:
        text = keep_safety_sentences(full, text, max_chars)
    text, neutralised = guard_payload(text, allowed_payloads, allowed_intents)
    notes = []
    if cut:
        notes.append(note("utter_message_too_long", domain, max_chars=max_chars))
    empty = not text.strip()
    if empty:
        notes.append(note("utter_empty_message", domain))
    flags: Dict[Text, Any] = {}
    if cut:
        flags["truncated_from"] = original_length
    if neutralised:
        flags["payload_neutralised"] = True
    return Prepared(text, notes, empty, flags)


class PayloadCache:
    """The domain's button payloads, computed once per domain (a new model, a new domain)."""

    def __init__(self) -> None:
        self._domain: Any = None
        self._payloads: FrozenSet[Text] = frozenset()

    def __call__(self, domain: Any) -> FrozenSet[Text]:
        if domain is not self._domain:
            self._domain, self._payloads = domain, button_payloads(domain)
        return self._payloads


def keep_safety_sentences(full: Text, kept: Text, max_chars: int) -> Text:
    """The cut text, with the sentences past the cut that hold a crisis cue or a red flag.

    They replace the end of the kept part, so the text stays within ``max_chars`` and the NLU
    (where the safety triage decides, on every channel) reads them.
    """
    from actions.knowledge import default  # the KB loads once, on the first long message
    from actions.knowledge.triage import safety_excerpt

    whole = clean_text(full[:TRIAGE_MAX_CHARS])
    result = default().triage(whole)
    excerpt = safety_excerpt(whole, result, keep=len(kept), limit=max_chars // 2)
    if not excerpt:
        return kept
    head, _ = truncate(kept, max_chars - len(excerpt) - 2)
    return head + "\n\n" + excerpt
