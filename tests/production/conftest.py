"""Fixtures for the production-readiness tests (issue 5): real servers on free local ports."""

from __future__ import annotations

import os

import pytest

from tests.production.servers import ChannelApp, PostgresServer, RedisServer

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_db(redis_server):
    """The session's Redis server, emptied before each test."""
    redis_server.client().flushall()
    return redis_server


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    server = PostgresServer(tmp_path_factory.mktemp("postgres"))
    yield server
    server.remove()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """The tiny test bot (tests/production/tiny_bot), trained once per test run."""
    from tests.production.servers import train_tiny_bot

    return train_tiny_bot(tmp_path_factory.mktemp("tiny_bot"))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A real Rasa HTTP app with the hardened REST channel and a stub agent (per module)."""
    server = ChannelApp(tmp_path_factory.mktemp("channel"))
    yield server
    log = server.server.output()
    server.stop()
    # Nothing reached Sanic's own error handler (which would have answered 500).
    assert "Exception occurred while handling uri" not in log, log[-3000:]
