"""addons/fast_start.py: the model loaded without a training step predicts what Rasa's does.

The trained model is loaded twice, in two processes: once as Rasa loads it (a one-example fit,
then the weights) and once with the patch (an eager loss pass, then the weights). Both must
hold the same weights, bit for bit, and parse the same messages (the user-side eval set and a
spread of the NLU examples) into the same intents, rankings, confidences and entities.
"""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml

from tests.support.servers import REPO, model_path, rasa_env

pytestmark = pytest.mark.model

LOAD_AND_PARSE = """
import asyncio, inspect, json, sys
import numpy as np
import addons.fast_start
mode, model, messages, out = sys.argv[1:5]
if mode == "stock":
    addons.fast_start._installed = True  # addons.install.install() then leaves RasaModel.load alone
import tensorflow as tf
fits = []
fit = tf.keras.Model.fit
tf.keras.Model.fit = lambda *args, **kwargs: fits.append(1) or fit(*args, **kwargs)
from rasa.core.agent import Agent
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.utils.tensorflow.models import RasaModel

agent = Agent.load(model)
nodes = agent.processor.graph_runner._instantiated_nodes.values()
diet = next(n._component for n in nodes if isinstance(n._component, DIETClassifier))
np.savez(out + ".npz", **{v.name.replace("/", "|"): v.numpy() for v in diet.model.variables})

async def parse_all(texts):
    return [await agent.parse_message(text) for text in texts]

parsed = asyncio.run(parse_all(json.load(open(messages))))
load = RasaModel.load  # one bound method: each attribute access makes a new one
patched = inspect.unwrap(load) is not load
json.dump({"patched": patched, "fits": len(fits), "parsed": [
    {"intent": p["intent"], "ranking": p["intent_ranking"], "entities": p["entities"]} for p in parsed
]}, open(out + ".json", "w"))
"""


def messages() -> list:
    """The eval set's messages and every fifth NLU example (entity markup removed)."""
    texts = []
    for path in sorted((REPO / "tests" / "eval").glob("messages_*.yml")):
        texts += [" ".join(m["text"].split()) for m in yaml.safe_load(path.read_text())["messages"]]
    examples = []
    for path in sorted((REPO / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text()).get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    examples.append(re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line.strip()[2:]))
    return texts + examples[::5]


@pytest.fixture(scope="module")
def loads(tmp_path_factory):
    model = model_path()
    tmp = tmp_path_factory.mktemp("fast_start")
    texts = messages()
    (tmp / "messages.json").write_text(json.dumps(texts))
    procs = {
        mode: subprocess.Popen(
            [sys.executable, "-c", LOAD_AND_PARSE, mode, str(model), str(tmp / "messages.json"), str(tmp / mode)],
            cwd=REPO, env=rasa_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for mode in ("stock", "patched")
    }
    for mode, proc in procs.items():
        output, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"{mode}: {output[-3000:]}"
    results = {mode: json.loads((tmp / f"{mode}.json").read_text()) for mode in procs}
    weights = {mode: dict(np.load(tmp / f"{mode}.npz")) for mode in procs}
    return texts, results, weights


def test_only_the_patched_process_loads_without_a_training_step(loads):
    _, results, _ = loads
    assert (results["stock"]["patched"], results["stock"]["fits"]) == (False, 1)
    assert (results["patched"]["patched"], results["patched"]["fits"]) == (True, 0)


def test_the_same_weights_bit_for_bit(loads):
    _, _, weights = loads
    assert weights["stock"] and sorted(weights["stock"]) == sorted(weights["patched"])
    for name, value in weights["stock"].items():
        assert np.array_equal(value, weights["patched"][name]), name


def test_the_same_parse_for_every_message(loads):
    texts, results, _ = loads
    stock, patched = results["stock"]["parsed"], results["patched"]["parsed"]
    assert len(stock) == len(patched) == len(texts) > 400
    for text, a, b in zip(texts, stock, patched):
        assert a["intent"]["name"] == b["intent"]["name"], text
        assert a["intent"]["confidence"] == pytest.approx(b["intent"]["confidence"], abs=1e-5), text
        assert [r["name"] for r in a["ranking"]] == [r["name"] for r in b["ranking"]], text
        for x, y in zip(a["ranking"], b["ranking"]):
            assert x["confidence"] == pytest.approx(y["confidence"], abs=1e-5), text
        assert a["entities"] == b["entities"], text
