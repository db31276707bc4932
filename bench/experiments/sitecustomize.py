"""EXPERIMENT ONLY -- never part of the assistant: `python -m bench.run --experiment` puts this
folder on the PYTHONPATH of one extra `rasa run` to measure two fixes the profile points at.
Python imports `sitecustomize` at start-up, before Rasa.

1. `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)` for every
   custom action's answer; with jsonschema 4.17 that first checks the (large, constant) schema
   against the draft 2020-12 meta-schema (`check_schema`, `$dynamicRef`, URL resolution),
   which was about half of `rasa run`'s CPU at 20 senders. Here the validator is built and
   the schema checked once; each answer is still fully validated, with Rasa's error message.
2. `Event.resolve_by_type` walks every subclass of `Event` (`all_subclasses`, with
   `inspect.isabstract`) for every event it deserialises, i.e. for every event of the
   conversation each time a tracker is loaded from the store; here found classes are cached.
"""

import sys


def _install() -> None:
    import jsonschema
    import rasa.shared.utils.common
    from rasa.core.actions import action as rasa_action
    from rasa.shared.constants import DOCS_BASE_URL
    from rasa.shared.core import events

    schema = rasa_action.RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self, result):
        error = jsonschema.exceptions.best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response "
                f"from the Action endpoint is valid. For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    rasa_action.RemoteAction._validate_action_result = _validate_action_result

    found = {}
    original = events.Event.resolve_by_type

    def resolve_by_type(type_name, default=None):
        cls = found.get(type_name)
        if cls is None:
            for candidate in rasa.shared.utils.common.all_subclasses(events.Event):
                if candidate.type_name == type_name:
                    found[type_name] = cls = candidate
                    break
        return cls if cls is not None else original(type_name, default)

    events.Event.resolve_by_type = staticmethod(resolve_by_type)
    print("bench experiment patches installed (cached action-response validator, cached "
          "event classes)", file=sys.stderr, flush=True)


_install()
