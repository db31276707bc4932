"""The metastasis knowledge base: typed facts from the two source articles, and a query API.

No Rasa imports here: actions and NLU components both build on it.

    from actions.knowledge import default
    kb = default()
    kb.sites_for("brest cancer")
"""

from .base import KnowledgeBase, SiteMatch
from .lexicon import Lexicon, Mention
from .loader import default, load
from .schema import ENTITY_KINDS, KnowledgeBaseError

__all__ = [
    "ENTITY_KINDS", "KnowledgeBase", "KnowledgeBaseError", "Lexicon", "Mention", "SiteMatch",
    "default", "load",
]
