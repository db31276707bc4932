"""Two per-turn costs of Rasa 3.6 that do the same constant work again on every call.

Found by profiling ``rasa run`` under load with py-spy (``make bench``, BENCHMARKS.md): at 20
concurrent senders, about half of the CPU went to checking a constant JSON schema and a fifth to
looking up event classes.

* ``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, schema)`` for
  every answer of the action server. With jsonschema 4.17 that call first checks the (large,
  constant) schema against the draft 2020-12 meta-schema, resolving ``$dynamicRef`` through URL
  lookups: about 29 ms of CPU per call, twice per turn here. Here the schema is checked once per
  action class and the validator kept; every answer is still validated in full, and an invalid
  one raises the same ``ValidationError``, with the same message Rasa adds.
* ``Event.resolve_by_type`` walks every subclass of ``Event`` (``all_subclasses``, which calls
  ``inspect.isabstract`` on each) for every event it deserialises, i.e. for every event of the
  conversation each time a tracker is read from the store. Here a class, once found, is kept by
  its type name; names not found (``topic``, unknown ones) still go through Rasa's own code, so
  its defaults and errors are unchanged.

``install()`` is idempotent and called by ``addons.install`` (named in ``config.yml``), so
``rasa run``, ``rasa shell`` and ``rasa test`` all get it; the action server does not need it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text, Type

_installed = False


def install() -> None:
    """Replaces the two methods in this process (once)."""
    global _installed
    if not _installed:
        _cache_action_result_validator()
        _cache_event_classes()
        _installed = True


def _cache_action_result_validator() -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    validators: Dict[type, Any] = {}

    def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
        # Keyed by class: a subclass may override ``action_response_format_spec``.
        validator = validators.get(type(self))
        if validator is None:
            schema = self.action_response_format_spec()
            validator_class = jsonschema.validators.validator_for(schema)
            validator_class.check_schema(schema)
            validator = validators[type(self)] = validator_class(schema)
        # What ``jsonschema.validate`` raises once the schema is known to be valid.
        error = jsonschema.exceptions.best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    _validate_action_result.__wrapped__ = RemoteAction._validate_action_result  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]


def _cache_event_classes() -> None:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    found: Dict[Text, Type[Event]] = {}

    def resolve_by_type(
        type_name: Text, default: Optional[Type[Event]] = None
    ) -> Optional[Type[Event]]:
        cls = found.get(type_name)
        if cls is not None:
            return cls
        for candidate in rasa.shared.utils.common.all_subclasses(Event):
            if candidate.type_name == type_name:
                found[type_name] = candidate
                return candidate
        return original(type_name, default)

    resolve_by_type.__wrapped__ = original  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]
