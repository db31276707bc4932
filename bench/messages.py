"""What the benchmark says to each bot.

The assistant gets the questions people ask (spread, symptoms, tests, treatment, living with
it, emergencies, out of scope) and short follow-ups that lean on the previous answer; the
`rasa init` bot gets what its intents understand (greet, mood, affirm/deny, bot challenge,
goodbye). Scripts are built from a seeded random generator, so every run sends the same text.
"""

from __future__ import annotations

import random
from typing import Dict, List, Optional, Set

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
    # Written for the benchmark (issue 13: at least 200 distinct messages), in the words of a
    # patients' forum; none is taken from the training data, tests/eval or tests/triage.
    "where does kidney cancer usually travel to",
    "can ovarian cancer reach the lungs",
    "which organs does colon cancer go to first",
    "does thyroid cancer spread to the bones",
    "where does stomach cancer end up spreading",
    "can bladder cancer move to the liver",
    "my aunt has cervical cancer, where could it go next",
    "is it common for prostate cancer to reach the spine",
    "can skin cancer get into the brain",
    "where do sarcomas tend to spread",
    "can oesophageal cancer spread to the lymph nodes in the neck",
    "how often does lung cancer go to the adrenal glands",
    "does pancreatic cancer always end up in the liver",
    "which cancers like to spread to the bones",
    "which cancers most often spread to the brain",
    "what kind of cancer spreads to the skin",
    "can breast cancer come back in the liver years later",
    "can uterine cancer spread to the lungs",
    "what does it mean when cancer is in the lymph nodes",
    "where does head and neck cancer spread",
    "how does a tumour get into the bloodstream",
    "why does cancer pick certain organs",
    "how do the cells manage to live somewhere new in the body",
    "what is the lymphatic system's role in spread",
    "can a biopsy make cancer spread",
    "does surgery cause cancer to spread",
    "what is a micrometastasis",
    "are there tumour cells floating in the blood",
    "what is the seed and soil idea",
    "how fast do metastases grow",
    "how many months does it usually take to spread",
    "can metastases stay asleep for years",
    "what is dormancy in cancer",
    "what are the first signs that cancer has spread",
    "what does bone pain from metastases feel like",
    "can liver mets make your skin yellow",
    "what symptoms do lung metastases give",
    "is a constant cough a sign of spread to the lungs",
    "what happens when cancer reaches the brain",
    "can brain mets change someone's personality",
    "what are the signs of spinal cord compression",
    "why is my mum so tired all the time with secondary cancer",
    "can metastases cause high calcium",
    "what does high calcium from cancer feel like",
    "is weight loss a sign that cancer has spread",
    "can back pain be a sign of bone mets",
    "my dad keeps getting headaches, could his cancer have spread",
    "why would someone's belly swell with cancer",
    "what causes fluid around the lungs in cancer",
    "can cancer in the liver cause itching",
    "what are the signs of cancer in the lymph nodes",
    "does swelling in the legs mean the cancer has spread",
    "can bone metastases cause fractures",
    "what scan shows bone metastases best",
    "what is a PET CT and what does it show",
    "does a normal blood test rule out spread",
    "what is CEA and what does it measure",
    "what does a raised PSA mean after treatment",
    "is an MRI better than a CT for the brain",
    "what is a sentinel node biopsy",
    "how is a liver lesion checked to see if it is cancer",
    "why do doctors want a biopsy of a metastasis",
    "can an x-ray show cancer in the bones",
    "what does staging mean",
    "what does a CT with contrast involve",
    "how often are scans done with stage 4 cancer",
    "what is CA 125",
    "what does a bone scan hot spot mean",
    "can an ultrasound find liver metastases",
    "what is a lumbar puncture used for in cancer",
    "how do they know where the cancer started",
    "what treatments are there for liver metastases",
    "can brain metastases be operated on",
    "what is stereotactic radiotherapy",
    "what is SBRT used for",
    "how does hormone therapy work for metastatic breast cancer",
    "what is immunotherapy and does it work on spread cancer",
    "how do targeted drugs differ from chemo",
    "what is a bisphosphonate used for",
    "what is denosumab",
    "can radiotherapy help bone pain",
    "what is whole brain radiotherapy",
    "what is a liver resection",
    "what is radiofrequency ablation",
    "what is chemoembolisation",
    "can lung metastases be removed with surgery",
    "what is palliative chemotherapy for",
    "what is the point of treatment if it can't cure",
    "what is a clinical trial and how do I find one",
    "what does maintenance therapy mean",
    "what are the side effects of immunotherapy",
    "what is HER2 and why does it matter",
    "what is an oligometastatic cancer",
    "can metastatic cancer go into remission",
    "what is a partial response on a scan",
    "what does stable disease mean",
    "what happens when treatment stops working",
    "how is pain from bone mets controlled",
    "what is a pleural drain",
    "what is a stent for a blocked bile duct",
    "how do steroids help with brain metastases",
    "what is a spinal cord compression treated with",
    "how long can someone live with bone metastases",
    "what is the outlook for liver metastases from bowel cancer",
    "is stage 4 always terminal",
    "what does median survival mean",
    "can people live for years with metastatic breast cancer",
    "what is the survival rate for metastatic melanoma now",
    "does age change the outlook for stage 4 cancer",
    "how many people with lung cancer have spread when diagnosed",
    "what percentage of prostate cancers spread to the bones",
    "how common are brain metastases",
    "how many people get metastatic cancer each year",
    "does smoking make cancer more likely to spread",
    "does being overweight raise the risk of spread",
    "can stress make cancer spread",
    "does diet affect whether cancer spreads",
    "does alcohol make metastases more likely",
    "can my children inherit my secondary cancer",
    "what are BRCA genes and do they matter for spread",
    "does exercise lower the risk of cancer coming back",
    "why is it still called breast cancer if it's in the liver",
    "what is the difference between secondary and primary cancer",
    "is secondary cancer the same as metastatic cancer",
    "my consultant said advanced, what does that mean exactly",
    "what does a stage four label mean on the letter",
    "is a recurrence the same as a metastasis",
    "what is local spread versus distant spread",
    "what does de novo metastatic mean",
    "can cancer spread before the first diagnosis",
    "why do some metastases appear years after treatment",
    "what does synchronous mean in cancer",
    "what does it mean when the primary is not found",
    "how do I talk to my kids about my cancer spreading",
    "how do I cope with the fear of scans",
    "where can I find support for carers",
    "is it normal to feel angry about a stage 4 diagnosis",
    "how do I deal with scanxiety",
    "what is hospice care",
    "when should we think about palliative care",
    "can palliative care happen at home",
    "how can I help my dad who has metastatic cancer",
    "I feel so alone since my diagnosis",
    "how do I tell my family the cancer has spread",
    "what questions should I ask my oncologist",
    "is this lump on my neck cancer",
    "do I have bone metastases",
    "please tell me whether mine has spread",
    "is my back pain cancer",
    "does my scan mean it is terminal",
    "how tall is the eiffel tower",
    "can you book me a doctor's appointment",
    "what's a good recipe for dinner",
    "what was the score in the match yesterday",
    "can you recommend a good film",
    "my wife suddenly can't move her legs",
    "my brother is confused and can't speak properly since this morning",
    "my mother has sudden severe chest pain and can't breathe",
    "what is the lymph node station N2",
    "what are skip metastases",
    "can metastases bleed",
    "what is leptomeningeal disease",
    "what is carcinomatosis",
    "what is a Krukenberg tumour",
    "what is a bone marrow infiltration",
    "what is a malignant pleural effusion",
    "what is ascites",
    "what is a pathological fracture",
    "why would calcium be too high in the blood with cancer",
    "what is superior vena cava obstruction",
    "what is a paraneoplastic syndrome",
    "what happens at a multidisciplinary team meeting",
    "what does an oncologist do",
    "what does a palliative care nurse do",
    "what is a clinical nurse specialist",
    "how is metastatic cancer different in men and women",
    "does metastatic cancer hurt",
    "is there any cure once it has spread",
    "does everyone with cancer get metastases",
    "how do doctors decide on the best treatment",
    "what is second line treatment",
    "can metastases shrink on their own",
    "what is tumour heterogeneity",
    "can a blood sample replace a biopsy",
    "what does ctDNA show",
    "what is genomic testing of a tumour",
]

# Said right after a question: they only make sense with its context.
OURS_FOLLOW_UPS = [
    "where can it spread?",
    "what about the liver?",
    "and the brain?",
    "and stomach cancer?",
    "how is that treated?",
    "thanks",
    "and what about the bones?",
    "is that painful?",
    "how long does that take?",
    "what are the side effects?",
    "and for lung cancer?",
    "does that show on a scan?",
    "can it be cured?",
    "more about this",
    "and the lymph nodes?",
    "ok, thank you",
    "what does that mean?",
    "and melanoma?",
    "how is it found?",
    "is it common?",
]

OURS_OPENERS = ["hi", "hello, my mum has lung cancer", "good morning", "hi, my husband was just told it's stage 4",
               "hello", "hey, quick question"]

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


class _Deck:
    """Deals every message once, in a seeded order, before dealing any again: the load uses all
    of them, not a random few many times."""

    def __init__(self, rng: random.Random, items: List[str]):
        self._rng, self._items, self._left = rng, items, []  # type: ignore[var-annotated]

    def deal(self) -> str:
        if not self._left:
            self._left = list(self._items)
            self._rng.shuffle(self._left)
        return self._left.pop()


def _script(rng: random.Random, length: int, bot: str, decks: Optional[Dict[str, _Deck]] = None) -> List[str]:
    out: List[str] = []
    if bot == "init":
        while len(out) < length:
            out.append(rng.choice(INIT_MESSAGES))
        return out
    decks = decks or _decks(rng)
    out.append(decks["openers"].deal())
    while len(out) < length:
        out.append(decks["questions"].deal())
        if rng.random() < 0.35 and len(out) < length:
            out.append(decks["follow_ups"].deal())
    return out[:length]


def _decks(rng: random.Random) -> Dict[str, _Deck]:
    return {"openers": _Deck(rng, OURS_OPENERS), "questions": _Deck(rng, OURS_QUESTIONS),
            "follow_ups": _Deck(rng, OURS_FOLLOW_UPS)}


def scripts(bot: str, senders: int, per_sender: int, seed: int = 5,
            conversation_length: int = 0) -> List[List[str]]:
    """One script of `per_sender` messages for each of `senders` senders; with
    `conversation_length`, made of conversations of that many messages (each opens anew)."""
    rng = random.Random(f"{bot}-{senders}-{per_sender}-{seed}")
    step = conversation_length if conversation_length > 0 else per_sender
    decks = _decks(rng)
    result = []
    for _ in range(senders):
        script: List[str] = []
        while len(script) < per_sender:
            script.extend(_script(rng, min(step, per_sender - len(script)), bot, decks))
        result.append(script)
    return result


def long_scripts(bot: str, conversations: int, length: int = 150, seed: int = 5) -> List[List[str]]:
    """Conversations of `length` messages whose first and last message are the same anchor."""
    anchor = INIT_ANCHOR if bot == "init" else OURS_ANCHOR
    rng = random.Random(f"long-{bot}-{length}-{seed}")
    decks = _decks(rng)
    result = []
    for _ in range(conversations):
        middle = _script(rng, length - 2, bot, decks)
        result.append([anchor, *middle, anchor])
    return result


def distinct_in_load(bot: str, single: int, senders: int, per_sender: int, conversation_length: int,
                     long: int, long_length: int) -> Set[str]:
    """Every distinct message of a run's measured phases (1 sender, many senders, long)."""
    said: Set[str] = set()
    for group in (scripts(bot, 1, single, conversation_length=conversation_length),
                  scripts(bot, senders, per_sender, conversation_length=conversation_length),
                  long_scripts(bot, long, long_length)):
        for script in group:
            said.update(script)
    return said
