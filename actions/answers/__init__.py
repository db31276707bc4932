"""What to say, decided from the knowledge base alone: one pure function per kind of question.

Each function takes the knowledge base and the question's Context and returns an Answer: which
case of the topic's response applies (domain.yml, `utter_answer_<topic>`) and the KB-derived
values it renders. No Rasa here, so every decision is unit-tested without a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional

from ..context import Context
from ..knowledge import KnowledgeBase


@dataclass(frozen=True)
class Answer:
    """The case of a response and the values it renders."""

    topic: Optional[str]
    case: str
    subject: str = ""
    cancer: str = ""
    site: str = ""
    body: str = ""
    note: str = ""
    sources: str = ""
    image: str = ""  # relative URL of a picture for the web widget (see actions/bodymap.py)
    image_alt: str = ""


Answerer = Callable[[KnowledgeBase, Context], Answer]
