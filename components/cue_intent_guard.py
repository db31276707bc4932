"""Intents about the conversation itself need a word that says so, and never a long post.

`forget_me` ("delete this conversation?") and the yes/no answers `affirm` and `deny` are small
intents of short, plain examples, and a classifier of words and character n-grams pulls some
health messages into them. Measured on a held-out fifth of the health examples (README,
"Understanding"): "is this a chatbot" and a long post ending "I keep breaking down at night.
How do other partners cope?" became `forget_me`, "cancer with no known starting point, what
does that mean" and "am i in remission" became `deny`, and before the examples were pruned
"... his speech is slurred. What do I do right now?" became `affirm`.

So this runs after the classifier and before the FallbackClassifier: when the top intent is
one of these and the message lacks its cue (for `forget_me`, a word for deleting or for the
conversation; for a yes or no, a yes or no word in a short message), that intent leaves the
ranking and the next one takes its place, with its own confidence, so that the fallback
threshold then applies to it. Cue-less intents leave the rest of the ranking too, since the
safety triage may set the top aside and take the next one. Small talk (greet, goodbye, thanks,
"are you a bot") has no cue of its own but is never a long post, nor a message naming a KB
entity without its own word. A cue proves nothing on its own: the classifier still decides
among the messages that have one. tests/components/test_cue_intent_guard.py keeps every
training example of these intents passing its own guard.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.knowledge import ENTITY_KINDS
from actions.knowledge.retrieval import LONG_POST_WORDS

# Beginnings of words for deleting (typos included: "delet", "earse", "forgett").
FORGET_VERBS = ("delet", "eras", "earse", "forget", "forgot", "remov", "wipe", "wiping", "clear", "gdpr",
                "sav", "stor")
# What would be deleted, as whole words.
FORGET_OBJECTS = frozenset({
    "chat", "chats", "chatt", "conversation", "conversations", "convo", "message", "messages",
    "msgs", "data", "history", "histroy", "record", "records", "info", "information",
})
YES = frozenset({"yes", "yess", "yeah", "yea", "yep", "yup", "ya", "sure", "ok", "okay", "confirm", "ahead"})
# ("never mind" and "changed my mind" by "mind"; "keep it" by "keep")
NO = frozenset({"no", "noo", "nooo", "nope", "nah", "don't", "dont", "keep", "cancel", "nevermind",
                "mind"})
MAX_ANSWER_WORDS = 8  # "no, leave my conversation as it is" is 7
# A forum post over LONG_POST_WORDS (the answers' own measure of a long post) is never only a
# greeting, thanks, goodbye, a question about the bot or a request to delete the chat: it tells
# a story and asks something. Measured on the answer evaluation (tests/eval): long posts had
# become `goodbye`, `bot_challenge` and `forget_me`.
# Nor is a message that names a symptom, a body site, a cancer, a test or a treatment (a KB
# entity) small talk, unless it also has the small talk's own word ("thanks, I was so confused").
# Measured on the triage set: "no blood when i cough thank god, ... anything that helps with lung
# mets cough" had become `goodbye`, "is it worth me learning seizure first aid, my wife has
# brain mets" `greet`.
SMALL_TALK_WORDS = {
    "greet": frozenset({"hi", "hii", "hiii", "hiya", "heya", "hey", "hello", "helo", "hellooo", "hallo",
                        "hullo", "howdy", "yo", "greetings", "morning", "afternoon", "evening"}),
    "goodbye": frozenset({"bye", "byee", "goodbye", "cya", "ttyl", "farewell", "goodnight"}),
    "thank": frozenset({"thanks", "thank", "thx", "ty", "tysm", "cheers", "ta", "appreciate",
                        "appreciated", "grateful", "helpful"}),
    "bot_challenge": frozenset({"bot", "robot", "human", "ai", "chatbot", "computer", "machine",
                                "program", "automated", "automatic", "chatgpt", "artificial", "person", "real"}),
}


def words(text: Text) -> List[Text]:
    return re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))


def _forget_cue(tokens: List[Text]) -> bool:
    return len(tokens) <= LONG_POST_WORDS and any(t.startswith(FORGET_VERBS) or t in FORGET_OBJECTS for t in tokens)


def _small_talk(own_words: frozenset) -> Callable[[List[Text], bool], bool]:
    return lambda tokens, health=False: len(tokens) <= LONG_POST_WORDS and (
        not health or any(t in own_words for t in tokens))


def _answer_cue(cue_words: frozenset) -> Callable[[List[Text], bool], bool]:
    return lambda tokens, health=False: len(tokens) <= MAX_ANSWER_WORDS and any(t in cue_words for t in tokens)


CUES: Dict[Text, Callable[[List[Text], bool], bool]] = {
    "forget_me": lambda tokens, health=False: _forget_cue(tokens),
    "affirm": _answer_cue(YES),
    "deny": _answer_cue(NO),
    **{intent: _small_talk(own) for intent, own in SMALL_TALK_WORDS.items()},
}


def has_cue(intent: Optional[Text], text: Text, health: bool = False) -> bool:
    """Whether `text` may carry `intent` (always true for intents without a cue); `health`: the
    message names a KB entity."""
    check = CUES.get(intent or "")
    return check is None or check(words(text), health)


def names_health(message: Message) -> bool:
    """Whether the message names a KB entity or asks a question: then small talk needs its own
    word ("what is cancer of unknown primary? ... it scared me a bit" had become `goodbye`)."""
    return "?" in (message.get(TEXT) or "") or any(e.get("entity") in ENTITY_KINDS for e in message.get(ENTITIES) or [])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CueIntentGuard(GraphComponent):
    """Drops `forget_me`, `affirm`, `deny` or small talk from the top when the message lacks its cue."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CueIntentGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            text, health = message.get(TEXT) or "", names_health(message)
            if text.startswith("/"):
                continue  # typed /intent payloads (buttons) are not the classifier's guess
            # The whole ranking, not only the top: a later step that sets the top intent aside
            # (the safety triage) takes the next one from it.
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if has_cue(r.get("name"), text, health)]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            if not has_cue(intent.get("name"), text, health):
                top = dict(ranking[0]) if ranking else {"name": None, "confidence": 0.0}
                message.set(INTENT, top, add_to_output=True)
        return messages
