"""What a question is about, from the latest message first and the conversation second.

The message wins: "where does lung cancer spread?" is about lung cancer whatever came before.
Otherwise the cancer type carries over (it is the person's situation), while a site, test,
treatment or symptom list carries over only into a follow-up of the answer that used it, so an
old site never leaks into an unrelated question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from . import names


@dataclass(frozen=True)
class Context:
    cancer: Optional[str] = None
    site: Optional[str] = None
    symptoms: Tuple[str, ...] = ()
    test: Optional[str] = None
    treatment: Optional[str] = None
    text: str = ""
    last_topic: Optional[str] = None
    full: bool = False  # "More about this": every fact of the topic, not only the leading ones
    # Everything of a kind the message names, for comparisons and lists ("CT or MRI")
    cancers: Tuple[str, ...] = ()
    sites: Tuple[str, ...] = ()
    tests: Tuple[str, ...] = ()
    treatments: Tuple[str, ...] = ()
    confidence: float = 1.0  # the classifier's confidence in the message's intent

    @classmethod
    def build(
        cls,
        entities: Iterable[Mapping[str, Any]],
        slots: Mapping[str, Any],
        text: str = "",
        confidence: float = 1.0,
    ) -> "Context":
        """Combine the latest message's entities with the remembered slots."""
        said: Dict[str, List[str]] = {}
        for entity in entities:
            said.setdefault(entity.get("entity"), []).append(entity.get("value"))
        last_topic = slots.get(names.SLOT_LAST_TOPIC)

        def pick(kind: str, topics: Iterable[str]) -> Optional[str]:
            if said.get(kind):
                return said[kind][0]
            remembered = slots.get(kind)
            return remembered if last_topic in topics and isinstance(remembered, str) else None

        symptoms = said.get(names.SLOT_SYMPTOMS) or (
            slots.get(names.SLOT_SYMPTOMS) or [] if last_topic == "symptom_sites" else []
        )
        cancer = (said.get(names.SLOT_CANCER) or [slots.get(names.SLOT_CANCER)])[0]
        return cls(
            cancer=cancer if isinstance(cancer, str) else None,
            site=pick(names.SLOT_SITE, names.SITE_TOPICS),
            symptoms=tuple(dict.fromkeys(s for s in symptoms if isinstance(s, str))),
            test=pick(names.SLOT_TEST, {"tests"}),
            treatment=pick(names.SLOT_TREATMENT, {"treatment", "coping"}),
            text=text or "",
            last_topic=last_topic,
            full=names.DETAIL_ALL in (said.get(names.ENTITY_DETAIL) or []),
            cancers=_all(said, names.SLOT_CANCER), sites=_all(said, names.SLOT_SITE),
            tests=_all(said, names.SLOT_TEST), treatments=_all(said, names.SLOT_TREATMENT),
            confidence=confidence,
        )


def _all(said: Mapping[str, List[Any]], kind: str) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in said.get(kind) or [] if isinstance(v, str)))
