"""Fixtures for the knowledge-base tests: the real KB, and a writable copy for breaking."""

import shutil
from pathlib import Path

import pytest

from actions.knowledge import KnowledgeBase, load
from actions.knowledge.loader import DEFAULT_DIR


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load(DEFAULT_DIR)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A copy of the real knowledge base in tmp_path, for tests that corrupt one file."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target
