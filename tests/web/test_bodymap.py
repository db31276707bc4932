"""Body maps (issue 4, "Pictures"): the SVG, its alt text, web/serve.py serving it, and the
spread answer sending it to the web widget (socketio) only."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET

import pytest

from actions import bodymap
from actions.answers import spread
from actions.context import Context
from actions.knowledge import default
from tests.support.servers import REPO as ROOT
from tests.support.servers import WebServer
from tests.support.servers import http_get as get

SVG_NS = "{http://www.w3.org/2000/svg}"


def covered_cancers():
    kb = default()
    return [c for c in kb.cancer_types if kb.cancer_types[c].spreads_to]


def markers(svg: str):
    root = ET.fromstring(svg)
    return [g.get("data-site") for g in root.iter(SVG_NS + "g") if g.get("class") == "site"], root


def test_every_kb_site_has_a_position():
    assert set(default().sites) <= set(bodymap.POSITIONS)
    assert set(bodymap.POSITIONS) <= set(default().sites), "no positions for sites the KB dropped"


@pytest.mark.parametrize("cancer_id", covered_cancers())
def test_svg_marks_exactly_the_common_sites(cancer_id):
    kb = default()
    svg = bodymap.svg(kb, cancer_id)
    sites, root = markers(svg)  # well-formed XML, or ET raises
    assert sites == list(kb.common_sites(cancer_id))
    assert len(list(root.iter(SVG_NS + "circle"))) == len(sites) + 1  # the markers and the head
    labels = [t.text for t in root.iter(SVG_NS + "text")]
    assert labels == [kb.sites[s].name for s in sites]
    alt = bodymap.alt_text(kb, cancer_id)
    assert root.get("role") == "img" and root.get("aria-label") == alt
    assert root.find(SVG_NS + "title").text == alt
    assert svg == bodymap.svg(kb, cancer_id), "deterministic"


def test_alt_text_lists_exactly_the_sites():
    kb = default()
    assert bodymap.alt_text(kb, "breast") == "Body map: where breast cancer spreads — bone, brain, liver and lung"
    for cancer_id in covered_cancers():
        listed = bodymap.alt_text(kb, cancer_id).split(" — ", 1)[1].replace(" and ", ", ").split(", ")
        assert listed == [kb.sites[s].name for s in kb.common_sites(cancer_id)]


def test_no_map_for_uncovered_or_unknown_cancers():
    kb = default()
    uncovered = next(c for c in kb.cancer_types if not kb.cancer_types[c].spreads_to)
    for cancer_id in (uncovered, "no_such_cancer"):
        assert not bodymap.covered(kb, cancer_id)
        with pytest.raises(LookupError):
            bodymap.svg(kb, cancer_id)


# ---------------------------------------------------------------- the spread answer
def test_spread_answers_carry_the_map_and_others_do_not():
    kb = default()
    for ctx in (Context(cancer="breast"), Context(cancer="breast", site="bone"), Context(cancer="breast", site="skin")):
        answer = spread.spread(kb, ctx)
        assert answer.case in ("answer", "site_listed", "site_not_listed")
        assert answer.image == "/bodymap/breast.svg"
        assert answer.image_alt == bodymap.alt_text(kb, "breast")
    uncovered = next(c for c in kb.cancer_types if not kb.cancer_types[c].spreads_to)
    for ctx in (Context(), Context(cancer=uncovered)):
        assert spread.spread(kb, ctx).image == ""


@pytest.fixture(scope="module")
def nlg():
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain

    return TemplatedNaturalLanguageGenerator(Domain.load(str(ROOT / "domain.yml")).responses)


VALUES = {
    "answer_subject": "breast cancer", "answer_site": "bone", "answer_note": "ACS", "answer_body": "• x",
    "answer_sources": "ACS", "answer_image": "/bodymap/breast.svg",
    "answer_image_alt": "Body map: where breast cancer spreads",
}


@pytest.mark.parametrize("response", ["utter_answer_spread", "utter_answer_spread_site_listed",
                                      "utter_answer_spread_site_not_listed"])
def test_only_the_widget_gets_the_picture(nlg, response):
    """action_answer passes the answer's values as keyword arguments; the slots (here none)
    are those from before the action, and the channel picks the variation."""
    web = nlg.generate_from_slots(response, {}, "socketio", **VALUES)
    rest = nlg.generate_from_slots(response, {}, "rest", **VALUES)
    assert web["custom"] == {"attachment": {"type": "image", "payload": {
        "src": "/bodymap/breast.svg", "alt": "Body map: where breast cancer spreads"}}}
    assert "custom" not in rest
    assert web["text"] == rest["text"], "same words on every channel"


@pytest.mark.parametrize("response", ["utter_answer_spread_need_cancer", "utter_answer_spread_not_covered"])
def test_other_spread_cases_keep_their_own_text_on_the_widget(nlg, response):
    web = nlg.generate_from_slots(response, {}, "socketio", **VALUES)
    rest = nlg.generate_from_slots(response, {}, "rest", **VALUES)
    assert "custom" not in web and web["text"] == rest["text"]


def test_the_answers_with_a_map_are_said_by_responses_that_show_it(nlg):
    """Every spread answer that carries a map is said by a response with a widget variation,
    and no answer without one is (an empty picture)."""
    from actions.answer_actions import KINDS

    kind, kb = KINDS["ask_spread"], default()
    for cancer in [None, *kb.cancer_types]:
        for site in [None, *kb.sites]:
            answer = spread.spread(kb, Context(cancer=cancer, site=site, text="where does it spread"))
            has_map = "custom" in nlg.generate_from_slots(kind.response_for(answer.case), {}, "socketio", **VALUES)
            assert has_map == bool(answer.image), (cancer, site, answer.case)


# ---------------------------------------------------------------- web/serve.py
@pytest.fixture(scope="module")
def web(logs):
    server = WebServer(logs, "http://127.0.0.1:5999", name="web_bodymap_test")
    yield server
    server.stop()


def test_serve_generates_the_map(web):
    status, headers, body = get(web.at("bodymap/breast.svg"))
    assert status == 200
    assert headers["Content-Type"] == "image/svg+xml"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert body.decode() == bodymap.svg(default(), "breast")
    status, headers, zipped = get(web.at("bodymap/breast.svg"), {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped) == body


def test_serve_404s_unknown_and_uncovered_cancers(web):
    kb = default()
    uncovered = next(c for c in kb.cancer_types if not kb.cancer_types[c].spreads_to)
    for path in (f"bodymap/{uncovered}.svg", "bodymap/no_such_cancer.svg", "bodymap/breast.png",
                 "bodymap/..%2Fserve.py", "bodymap/"):
        assert get(web.at(path))[0] == 404, path


def test_the_widget_pages_may_show_it(web):
    _, headers, _ = get(web.at("index.html"))
    img_src = next(d for d in headers["Content-Security-Policy"].split(";") if d.strip().startswith("img-src"))
    assert "'self'" in img_src.split()
