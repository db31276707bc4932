"""Every test folder shares one server harness: tests/support/servers.py (the processes) and
tests/support/fixtures.py (the servers shared per session, started early and in parallel)."""

pytest_plugins = ["tests.support.fixtures"]
