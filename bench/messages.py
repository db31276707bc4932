"""What the benchmark says to each bot.

The assistant gets the questions people ask (spread, symptoms, tests, treatment, living with
it, emergencies, out of scope) and short follow-ups that lean on the previous answer; the
`rasa init` bot gets what its intents understand (greet, mood, affirm/deny, bot challenge,
goodbye). Scripts are built from a seeded random generator, so every run sends the same text.
"""

from __future__ import annotations

import random
from typing import List

OURS_QUESTIONS = [
    "what is metastasis?",
    "where does breast cancer spread?",
    "wher does brest cancer go",
    "where does lung cancer spread to",
    "my dad has bowel cancer, where can it spread",
    "can melanoma spread to the muscles?",
    "what are the symptoms of bone mets",
    "what signs do liver metastases cause",
    "my mum has breast cancer and she has headaches and dizziness lately, what could it be",
    "how are metastases diagnosed",
    "what does a bone scan show",
    "is a cat scan good for finding mets",
    "what are tumour markers",
    "how is metastatic cancer treated",
    "how do they treat brain mets?",
    "what is a cementoplasty",
    "can you live a long time with metastases",
    "how many breast cancer patients have metastatic disease at diagnosis",
    "what are the risk factors for cancer",
    "what is cancer of unknown primary",
    "is breast cancer in the bone called bone cancer?",
    "what are synchronous and metachronous metastases",
    "why do some cancers spread and others don't",
    "how can I cope with all this, I'm scared",
    "what is palliative care",
    "do I have cancer?",
    "what's the weather tomorrow in london",
    "my husband is coughing up blood",
    "my mum has prostate cancer",
    "where does pancreatic cancer spread",
    "how does cancer spread through the blood",
    "what tests show if cancer has spread to the liver",
]

# Said right after a question: they only make sense with its context.
OURS_FOLLOW_UPS = [
    "where can it spread?",
    "what about the liver?",
    "and the brain?",
    "and stomach cancer?",
    "how is that treated?",
    "thanks",
]

OURS_OPENERS = ["hi", "hello, my mum has lung cancer", "good morning"]

INIT_MESSAGES = [
    "hello",
    "hi there",
    "good morning",
    "I am feeling great",
    "amazing",
    "I am sad",
    "my day was horrible",
    "yes",
    "of course",
    "no",
    "not really",
    "are you a bot?",
    "am I talking to a human?",
    "bye",
    "see you later",
]

# The long conversation's first and last message are the same text, so that message 1 and
# message 150 differ only by the length of the conversation behind them.
OURS_ANCHOR = "where does breast cancer spread?"
INIT_ANCHOR = "hello"


def _script(rng: random.Random, length: int, bot: str) -> List[str]:
    out: List[str] = []
    if bot == "init":
        while len(out) < length:
            out.append(rng.choice(INIT_MESSAGES))
        return out
    out.append(rng.choice(OURS_OPENERS))
    while len(out) < length:
        out.append(rng.choice(OURS_QUESTIONS))
        if rng.random() < 0.35 and len(out) < length:
            out.append(rng.choice(OURS_FOLLOW_UPS))
    return out[:length]


def scripts(bot: str, senders: int, per_sender: int, seed: int = 5,
            conversation_length: int = 0) -> List[List[str]]:
    """One script of `per_sender` messages for each of `senders` senders; with
    `conversation_length`, made of conversations of that many messages (each opens anew)."""
    rng = random.Random(f"{bot}-{senders}-{per_sender}-{seed}")
    step = conversation_length if conversation_length > 0 else per_sender
    result = []
    for _ in range(senders):
        script: List[str] = []
        while len(script) < per_sender:
            script.extend(_script(rng, min(step, per_sender - len(script)), bot))
        result.append(script)
    return result


def long_scripts(bot: str, conversations: int, length: int = 150, seed: int = 5) -> List[List[str]]:
    """Conversations of `length` messages whose first and last message are the same anchor."""
    anchor = INIT_ANCHOR if bot == "init" else OURS_ANCHOR
    rng = random.Random(f"long-{bot}-{length}-{seed}")
    result = []
    for _ in range(conversations):
        middle = _script(rng, length - 2, bot)
        result.append([anchor, *middle, anchor])
    return result
