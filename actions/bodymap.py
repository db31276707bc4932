"""Body maps: a simple SVG figure marking where a cancer most often spreads. No Rasa here.

The sites come from the knowledge base (`kb.common_sites`); only where each site is drawn is
kept here, as presentation data (POSITIONS, one entry per KB site id). web/serve.py serves the
map at `/bodymap/<cancer_id>.svg` and the spread answer links it for the web widget.
"""

from __future__ import annotations

from typing import Dict, Tuple
from xml.sax.saxutils import escape, quoteattr

from .knowledge import KnowledgeBase
from .render import words

WIDTH, HEIGHT = 300, 400

# KB site id -> (x, y, side of the dot its label goes on). The figure faces the viewer, so its
# right side (liver) is on the viewer's left.
POSITIONS: Dict[str, Tuple[int, int, str]] = {
    "brain": (150, 38, "right"),
    "lymph_nodes": (174, 84, "right"),
    "lung": (133, 112, "left"),
    "other_lung": (167, 112, "right"),
    "liver": (135, 152, "left"),
    "adrenal_gland": (166, 168, "right"),
    "peritoneum": (150, 200, "right"),
    "skin": (102, 165, "left"),
    "bone": (135, 300, "left"),
    "muscle": (165, 300, "right"),
}

# A simple human outline from basic shapes: head, neck, torso, arms, legs.
FIGURE = (
    '<circle cx="150" cy="38" r="24"/>',
    '<rect x="142" y="60" width="16" height="14"/>',
    '<rect x="115" y="72" width="70" height="150" rx="18"/>',
    '<rect x="92" y="78" width="20" height="130" rx="10"/>',
    '<rect x="188" y="78" width="20" height="130" rx="10"/>',
    '<rect x="122" y="218" width="26" height="165" rx="12"/>',
    '<rect x="152" y="218" width="26" height="165" rx="12"/>',
)


def covered(kb: KnowledgeBase, cancer_id: str) -> bool:
    """Whether the articles say where this cancer spreads, so there is a map to draw."""
    cancer = kb.cancer_types.get(cancer_id)
    return cancer is not None and bool(cancer.spreads_to)


def _sites(kb: KnowledgeBase, cancer_id: str) -> Tuple[str, ...]:
    if not covered(kb, cancer_id):
        raise LookupError(f"no body map for cancer {cancer_id!r}: the articles don't say where it spreads")
    return kb.common_sites(cancer_id)


def alt_text(kb: KnowledgeBase, cancer_id: str) -> str:
    """"Body map: where breast cancer spreads — bone, brain, liver and lung"."""
    names = [kb.sites[site].name for site in _sites(kb, cancer_id)]
    return f"Body map: where {kb.cancer_types[cancer_id].name} spreads — {words(names)}"


def url(cancer_id: str) -> str:
    """Where web/serve.py serves the map (relative to the widget's page)."""
    return f"/bodymap/{cancer_id}.svg"


def svg(kb: KnowledgeBase, cancer_id: str) -> str:
    """The body map of one cancer as a standalone, accessible SVG document (deterministic)."""
    sites = _sites(kb, cancer_id)
    alt = alt_text(kb, cancer_id)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label={quoteattr(alt)}>',
        f"<title>{escape(alt)}</title>",
        '<rect class="background" width="100%" height="100%" fill="#ffffff"/>',
        '<g class="figure" fill="#e6edf3" stroke="#5b6b7a" stroke-width="2">',
        *FIGURE,
        "</g>",
        '<g class="sites" font-family="sans-serif" font-size="12" fill="#1f2933">',
    ]
    for site in sites:
        x, y, side = POSITIONS[site]
        label_x, anchor = (x - 10, "end") if side == "left" else (x + 10, "start")
        lines += [
            f'<g class="site" data-site={quoteattr(site)}>',
            f'<circle class="marker" cx="{x}" cy="{y}" r="6" fill="#c0392b" stroke="#ffffff" '
            'stroke-width="2"/>',
            f'<text x="{label_x}" y="{y + 4}" text-anchor="{anchor}" stroke="#ffffff" '
            f'stroke-width="3" paint-order="stroke">{escape(kb.sites[site].name)}</text>',
            "</g>",
        ]
    lines += ["</g>", "</svg>"]
    return "\n".join(lines) + "\n"
