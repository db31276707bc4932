"""What every project NLU component shares: the knowledge base it reads, built lazily."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from actions.knowledge import KnowledgeBase, default, load


class KnowledgeBaseComponent(GraphComponent):
    """A graph component over the KB; `knowledge_dir` points at another KB (tests use this)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"knowledge_dir": None}

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._kb: Optional[KnowledgeBase] = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "KnowledgeBaseComponent":
        return cls(config, model_storage, resource)

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            directory = self._config["knowledge_dir"]
            self._kb = load(directory) if directory else default()
        return self._kb
