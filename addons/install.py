"""Every change this project makes to Rasa's own behaviour, installed from this one place.

Most add-ons use Rasa's supported extension points and are named where Rasa looks for them:
the channels in ``credentials.yml`` (``addons.rest_channel``, ``addons.socketio_channel``), the
tracker and lock stores in ``endpoints.yml``, the NLU components in ``config.yml``. What is left
replaces Rasa (or structlog) functions, because 3.6 offers no hook for it. Each such patch is
listed in ``PATCHES`` with what it replaces, why, and the source it was checked against;
``tests/patches/test_install.py`` fails when an upgrade changes a patched function's signature
or source, so the patch is looked at again before it silently fits no more.

Importing an add-on patches nothing. ``install()`` does it, and is called from:

* ``config.yml``: the first pipeline component, ``addons.install.RasaAddons``, whose only job
  is to call it when the model is loaded, so ``rasa run``, ``rasa shell``, ``rasa test`` and
  ``make chat``/``serve``/``test`` all run the same assistant;
* ``addons/logging.yml`` (``--logging-config-file``): only the log privacy hooks, for a
  process that should have them before any model is loaded.

The action server (``rasa_sdk``) needs none of these: it runs the project's own actions.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

CHECKED_AGAINST = "rasa 3.6.21, structlog 23.3.0"


@dataclass(frozen=True)
class Patch:
    """One replaced function: where it lives, why, and the original it was checked against."""

    target: Text          # "module:Class.attribute"
    installed_by: Text    # the add-on function that replaces it
    why: Text
    source_sha256: Text   # first 16 hex digits of the original's source, as checked
    signature: Text

    def original(self) -> Callable:
        """The function as Rasa (or structlog) defines it, under any wrapper of ours."""
        module, _, path = self.target.partition(":")
        value: Any = importlib.import_module(module)
        for name in path.split("."):
            value = getattr(value, name)
        return inspect.unwrap(value)

    def fingerprint(self) -> Dict[Text, Text]:
        function = self.original()
        return {
            "source_sha256": hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16],
            "signature": str(inspect.signature(function)),
        }


PATCHES: List[Patch] = [
    Patch(
        "rasa.core.actions.action:RemoteAction.run", "addons.action_guard.install",
        "a failing or hanging action server must not leave the user in silence: the call is cut "
        "after ACTION_TIMEOUT_SECONDS and the channel sends an apology with the guidance",
        "ccabf6f1160d527a",
        "(self, output_channel: 'OutputChannel', nlg: 'NaturalLanguageGenerator', "
        "tracker: 'DialogueStateTracker', domain: 'Domain') -> List[rasa.shared.core.events.Event]",
    ),
    Patch(
        "rasa.core.actions.action:RemoteAction._validate_action_result", "addons.fast_paths.install",
        "jsonschema re-checked the constant response schema on every action call (~29 ms of CPU "
        "each); the validator is built once per action class, every answer still validated",
        "f8cdb4be68123961", "(self, result: Dict[str, Any]) -> bool",
    ),
    Patch(
        "rasa.shared.core.events:Event.resolve_by_type", "addons.fast_paths.install",
        "every event read from the store walked all Event subclasses; a found class is kept by "
        "its type name, names not found still go through Rasa's code",
        "b5cf570fa7f286c7",
        "(type_name: str, default: Optional[Type[ForwardRef('Event')]] = None) -> "
        "Optional[Type[ForwardRef('Event')]]",
    ),
    Patch(
        "structlog:configure", "addons.log_privacy.install",
        "Rasa reconfigures structlog after start-up, replacing the processor chain: the privacy "
        "processor is kept first in any chain configured later",
        "64a7d6aa261bfd01",
        "(processors: 'Iterable[Processor] | None' = None, wrapper_class: "
        "'type[BindableLogger] | None' = None, context_class: 'type[Context] | None' = None, "
        "logger_factory: 'Callable[..., WrappedLogger] | None' = None, "
        "cache_logger_on_first_use: 'bool | None' = None) -> 'None'",
    ),
    # -- issue 13, turn cost: what a turn costs must not grow with the conversation
    # (addons/turn_cost.py; tests/patches/test_turn_cost.py checks predictions and actions)
    Patch(
        "rasa.core.policies.policy:Policy._prediction_states", "addons.turn_cost.install",
        "MemoizationPolicy and RulePolicy built the state of every past action (five times per "
        "turn) to look at the last few; the states are built for the last actions only, the same "
        "ones, and Rasa's code runs where the window cannot tell",
        "ed9b82bed2f26ad7",
        "(self, tracker: 'DialogueStateTracker', domain: 'Domain', use_text_for_last_user_input: "
        "'bool' = False, rule_only_data: 'Optional[Dict[Text, Any]]' = None) -> 'List[State]'",
    ),
    Patch(
        "rasa.core.actions.action:RemoteAction._action_call_format", "addons.turn_cost.install",
        "every action call posted the whole session's events (850 kB at message 200) while the "
        "actions read the latest message and the slots; those are sent whole, events of the last "
        "two user turns only",
        "428795b944f22edb", "(self, tracker: 'DialogueStateTracker', domain: 'Domain') -> Dict[str, Any]",
    ),
    # Start-up (issue 13).
    Patch(
        "rasa.utils.tensorflow.models:RasaModel.load", "addons.fast_start.install",
        "building DIET's variables by fitting it on one example traced a whole training step, "
        "the largest cost of start-up; an eager pass of the same loss creates the same "
        "variables, Rasa's weights are loaded, and the prediction function _rasa_predict would "
        "make is traced without autograph",
        "84fd81c0fdd01a80",
        "(model_file_name: str, model_data_example: rasa.utils.tensorflow.model_data.RasaModelData, "
        "predict_data_example: Optional[rasa.utils.tensorflow.model_data.RasaModelData] = None, "
        "finetune_mode: bool = False, *args: Any, **kwargs: Any) -> 'RasaModel'",
    ),
]


def install() -> None:
    """Installs every add-on that changes Rasa's behaviour (idempotent): the log privacy hooks
    (a record factory and warnings capture, both stdlib APIs, and the structlog patch), the
    action guard, the fast paths, the bounded turn cost and the fast start (DIET loaded for
    prediction only)."""
    from addons import action_guard, fast_paths, fast_start, log_privacy, turn_cost

    log_privacy.install()
    fast_paths.install()
    action_guard.install()
    turn_cost.install()
    fast_start.install()  # before the DIETClassifier is loaded (RasaAddons is the first component)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RasaAddons(GraphComponent):
    """Calls ``install()`` when the model is loaded; passes messages on untouched."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RasaAddons":
        install()
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        return messages
