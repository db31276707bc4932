"""Quick-reply buttons offered with the closing guidance: next questions, or choices to pick.

Titles are short UI labels; every choice (cancer types, sites) comes from the knowledge base.
"""

from __future__ import annotations

import json
from typing import Dict, List, Optional

from . import names
from .context import Context
from .knowledge import KnowledgeBase
from .render import capital

Button = Dict[str, str]

MAX_CHOICES = 10


def topic_intent(topic: str) -> str:
    """The intent that asks a topic's question (actions/answer_actions.py KINDS)."""
    return f"ask_{topic}"


def button(title: str, intent: str, **entities: str) -> Button:
    payload = f"/{intent}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{intent}"
    return {"title": title, "payload": payload}


def more_button(ctx: Context, topic: str) -> Button:
    """"More about this": the same topic and context, with every fact (names.DETAIL_ALL)."""
    about = {
        names.SLOT_CANCER: ctx.cancer, names.SLOT_SITE: ctx.site, names.SLOT_TEST: ctx.test,
        names.SLOT_TREATMENT: ctx.treatment,
    }
    entities = {kind: value for kind, value in about.items() if value}
    return button("More about this", topic_intent(topic), **entities, **{names.ENTITY_DETAIL: names.DETAIL_ALL})


def starters() -> List[Button]:
    return [
        button("What is metastasis?", "ask_definition"),
        button("Where does cancer spread?", "ask_spread"),
        button("Symptoms of metastases", "ask_site_symptoms"),
        button("How is it found?", "ask_tests"),
        button("How is it treated?", "ask_treatment"),
    ]


def quick_replies(kb: KnowledgeBase, ctx: Context, topic: Optional[str], case: Optional[str]) -> List[Button]:
    """The buttons that fit what was just answered (or asked back)."""
    intent = topic_intent(topic) if topic else "ask_spread"
    if case == "need_cancer" or (case == "general" and topic == "spread"):
        covered = [c for c in kb.cancer_types.values() if c.spreads_to]
        return [button(capital(c.name), intent, cancer_type=c.id) for c in covered][:MAX_CHOICES]
    if case == "need_site" or (case == "general" and topic == "site_symptoms"):
        sites = [s for s in kb.sites.values() if s.symptoms or s.treatments]
        return [button(capital(s.name), intent, body_site=s.id) for s in sites][:MAX_CHOICES]
    if case in ("flags", "flags_only", "urgent"):
        return []
    if topic == "spread" and ctx.cancer in kb.cancer_types:
        sites = [s for s in kb.common_sites(ctx.cancer) if kb.sites[s].symptoms]
        return [button(f"{capital(kb.sites[s].name)} symptoms", "ask_site_symptoms", body_site=s) for s in sites] + [
            button("How is it found?", "ask_tests"), button("How is it treated?", "ask_treatment"),
        ]
    if topic == "site_symptoms" and ctx.site in kb.sites:
        return [
            button("How is it found?", "ask_tests", body_site=ctx.site),
            button("How is it treated?", "ask_treatment", body_site=ctx.site),
        ]
    if topic == "tests":
        return [button("What is a biopsy?", "ask_tests", diagnostic_test="biopsy"), button("How is it treated?", "ask_treatment")]
    if topic == "treatment":
        return [button("Living with metastases", "ask_prognosis"), button("Palliative care", "ask_coping", treatment="palliative_care")]
    if topic in ("prognosis", "statistics"):
        return [button("Coping", "ask_coping"), button("Palliative care", "ask_coping", treatment="palliative_care")]
    if topic is None and ctx.cancer in kb.cancer_types:
        return [
            button(f"Where {kb.cancer_types[ctx.cancer].name} spreads", "ask_spread", cancer_type=ctx.cancer),
            button("Symptoms of metastases", "ask_site_symptoms", cancer_type=ctx.cancer),
            button("How is it treated?", "ask_treatment"),
        ]
    return starters()
