"""Formatting of knowledge-base lists for responses: lists, bullets, capitals. No sentences.

The sentences people read are in domain.yml; these helpers only lay out the KB's own facts
and names so a response can drop them into its variables.
"""

from typing import Iterable

BULLET = "• "


def words(items: Iterable[str], conjunction: str = "and") -> str:
    """"bone, brain and liver"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def bullets(lines: Iterable[str]) -> str:
    """One bullet per line, for facts and lists."""
    return "\n".join(BULLET + line for line in lines if line)


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]
