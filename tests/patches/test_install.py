"""addons/install.py: the one place that changes Rasa's behaviour, and still fits this Rasa.

A patch that no longer matches the function it replaces fails here, before it silently stops
working after an upgrade: each patched function's source hash and signature are compared with
the ones it was checked against (addons.install.PATCHES).
"""

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from addons.install import CHECKED_AGAINST, PATCHES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("patch", PATCHES, ids=[p.target for p in PATCHES])
def test_each_patched_function_is_the_one_it_was_checked_against(patch):
    assert patch.fingerprint() == {"source_sha256": patch.source_sha256, "signature": patch.signature}, (
        f"{patch.target} changed since {CHECKED_AGAINST}: read it again, adapt "
        f"{patch.installed_by}, then record the new fingerprint in addons/install.py"
    )


def test_every_patch_names_its_installer_and_why():
    for patch in PATCHES:
        module, _, function = patch.installed_by.rpartition(".")
        assert callable(getattr(importlib.import_module(module), function))
        assert len(patch.why.split()) >= 8


IMPORT_THEN_INSTALL = """
import inspect, logging, structlog
default_factory = logging.getLogRecordFactory()
import addons.rest_channel, addons.socketio_channel, addons.tracker_store, addons.lock_store
import addons.action_guard, addons.fast_paths, addons.log_privacy, addons.turn_cost, addons.install
from addons.install import PATCHES, install

def patched():
    out = []
    for patch in PATCHES:
        module, _, path = patch.target.partition(":")
        value = __import__(module, fromlist=["x"])
        for name in path.split("."):
            value = getattr(value, name)
        out.append(inspect.unwrap(value) is not value)
    return out

print(patched(), logging.getLogRecordFactory() is default_factory)
install()
install()  # idempotent
print(patched(), logging.getLogRecordFactory() is default_factory)
"""


def test_importing_an_addon_patches_nothing_and_install_patches_everything():
    out = subprocess.run([sys.executable, "-c", IMPORT_THEN_INSTALL], cwd=REPO, capture_output=True,
                         text=True, timeout=300, check=True).stdout.splitlines()
    n = len(PATCHES)
    assert out[-2:] == [f"{[False] * n} True", f"{[True] * n} False"]


@pytest.mark.parametrize("config", ["config.yml", "tests/production/tiny_bot/config.yml"])
def test_the_model_installs_them_first_thing(config):
    """rasa run, shell and test load the model, so all three run the same assistant."""
    pipeline = yaml.safe_load((REPO / config).read_text())["pipeline"]
    assert pipeline[0]["name"] == "addons.install.RasaAddons"


def test_no_addon_installs_at_import_or_in_a_constructor():
    """The only call to an add-on's install() outside addons/install.py is the logging
    config's filter (addons/logging.yml), an entry point of its own."""
    callers = []
    for path in sorted((REPO / "addons").glob("*.py")):
        if path.name == "install.py":
            continue
        for line in path.read_text().splitlines():
            code = line.split("#")[0].strip()
            if code.endswith("install()") and not code.startswith(("def ", "``", "*")):
                callers.append(f"{path.name}: {code}")
    assert callers == ["log_privacy.py: install()"]
    assert "install()" in inspect.getsource(importlib.import_module("addons.log_privacy").PrivacyFilter.__init__)
