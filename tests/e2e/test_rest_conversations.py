"""Real-style messages through the REST channel of the running assistant.

Each conversation is sent turn by turn; the last turn's replies must hold the knowledge-base
facts named here and end with the healthcare-provider guidance (safety rule 3).
"""

import uuid

import pytest

from actions.knowledge import default

pytestmark = pytest.mark.model

GUIDANCE = "talk to your healthcare provider"

CONVERSATIONS = [
    # (messages, phrases the last turn must contain)
    (["what is metastasis?"], ["spread", "Source:"]),
    (["where does breast cancer spread?"], ["bone", "brain", "liver", "lung", "Verywell Health", "Carenity"]),
    (["wher does brest cancer go"], ["bone", "brain", "liver"]),
    (["where does lung cancer spread to"], ["adrenal gland", "lymph nodes", "other lung"]),
    (["my dad has bowel cancer, where can it spread"], ["liver", "peritoneum"]),
    (["where does pancreatic cancer spread"], ["don't say where pancreatic cancer spreads"]),
    (["can melanoma spread to the muscles?"], ["Yes", "muscle"]),
    (["what are the symptoms of bone mets"], ["fractures", "vertebral compression", "hypercalcaemia"]),
    (["what signs do liver metastases cause"], ["jaundice", "fever"]),
    (["my mum has breast cancer and she has headaches and dizziness lately, what could it be"],
     ["brain", "not a diagnosis", "care team"]),
    (["how are metastases diagnosed"], ["biopsy", "no one test"]),
    (["what does a bone scan show"], ["radioactive", "bone damage"]),
    (["is a cat scan good for finding mets"], ["lymph nodes", "contrast"]),
    (["what are tumour markers"], ["blood tests"]),
    (["how is metastatic cancer treated"], ["control", "chemotherapy"]),
    (["how do they treat brain mets?"], ["radiotherapy", "gamma knife"]),
    (["what is a cementoplasty"], ["cement", "vertebrae"]),
    (["can you live a long time with metastases"], ["treatable", "live a long time"]),  # the fact asked for leads
    (["how many breast cancer patients have metastatic disease at diagnosis"], ["6%"]),
    (["what are the risk factors for cancer"], ["Tobacco", "20%"]),
    (["what is cancer of unknown primary"], ["3%"]),
    (["is breast cancer in the bone called bone cancer?"], ["still breast cancer"]),
    (["what are synchronous and metachronous metastases"], ["synchronous", "metachronous"]),
    (["why do some cancers spread and others don't"], ["basal cell"]),
    (["how can I cope with all this, I'm scared"], ["mental health professional"]),
    (["what is palliative care"], ["feel better"]),
    (["do I have cancer?"], ["can't tell you", "biopsy"]),
    (["what's the weather tomorrow in london"], ["only answer questions about metastatic cancer"]),
    # emergencies: the urgent message comes first
    (["my husband is coughing up blood"], ["emergency"]),
    (["Long story short: dad has prostate cancer, we saw the oncologist last month and talked about "
      "hormone therapy and scans, but tonight he suddenly can't feel his legs and wet himself"], ["emergency"]),
    # context across turns
    (["my mum has breast cancer", "where can it spread?"], ["bone", "brain"]),
    (["what are the symptoms of lung metastases", "what about the liver?"], ["jaundice"]),
    (["where does melanoma spread", "and stomach cancer?"], ["peritoneum"]),
    (["where does it spread"], ["Which cancer do you mean?"]),
]


def _texts(replies):
    return [r.get("text", "") for r in replies]


@pytest.mark.parametrize("messages, expected", CONVERSATIONS, ids=[c[0][-1][:50] for c in CONVERSATIONS])
def test_conversation(assistant, messages, expected):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for message in messages:
        replies = assistant.say(sender, message)
    texts = _texts(replies)
    said = "\n".join(texts)
    for phrase in expected:
        assert phrase.lower() in said.lower(), (phrase, texts)
    assert GUIDANCE in texts[-1].lower(), texts
    if any("emergency" in p for p in expected):
        assert texts[0].startswith("⚠️"), texts


def test_at_least_30_messages_are_sent():
    assert sum(len(m) for m, _ in CONVERSATIONS) >= 30


def test_quick_replies_are_offered_and_work(assistant):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    replies = assistant.say(sender, "where does prostate cancer spread")
    buttons = replies[-1].get("buttons") or []
    assert buttons, replies
    follow = assistant.say(sender, buttons[0]["payload"])
    kb = default()
    assert any(s.name in "\n".join(_texts(follow)).lower() for s in kb.symptoms.values())
    assert GUIDANCE in _texts(follow)[-1].lower()


def test_more_about_this_shows_the_facts_the_answer_left_out(assistant):
    """An answer leads with the (at most 3, about 70 words) facts that fit; its quick reply
    shows the rest, through the REST channel's payload guard."""
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    first = _texts(assistant.say(sender, "what is metastasis?"))
    replies = assistant.say(sender, "what is metastasis?")
    more = (replies[-1].get("buttons") or [{}])[0]
    assert more.get("title") == "More about this", replies
    rest = "\n".join(_texts(assistant.say(sender, more["payload"])))
    assert rest.count("•") > "\n".join(first).count("•") and 1 <= "\n".join(first).count("•") <= 3
    assert "stage 4" in rest.lower() or "stage iv" in rest.lower(), rest
