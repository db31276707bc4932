"""Fixtures for the production-readiness tests (issue 5). The shared servers (tiny_model,
postgres_server, redis_server) come from tests/support/fixtures.py."""

from __future__ import annotations

import pytest

from tests.support.servers import ChannelApp


@pytest.fixture
def redis_db(redis_server):
    """The run's Redis server, emptied before each test."""
    redis_server.client().flushall()
    return redis_server


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A real Rasa HTTP app with the hardened REST channel and a stub agent (per module)."""
    server = ChannelApp(tmp_path_factory.mktemp("channel"))
    yield server
    log = server.server.output()
    server.stop()
    # Nothing reached Sanic's own error handler (which would have answered 500).
    assert "Exception occurred while handling uri" not in log, log[-3000:]
