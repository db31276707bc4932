"""The test harness itself (tests/support/servers.py): what it starts, it stops by PID."""

import pexpect

from tests.support.servers import RasaShell


def test_a_shell_that_outlives_pexpects_close_is_killed_and_waited_for(monkeypatch):
    """pexpect gives a killed child a fraction of a second; a loaded machine can take longer to
    reap a large rasa process, and the test then failed in its teardown (seen in CI)."""
    shell = RasaShell.__new__(RasaShell)
    shell.terminal = pexpect.spawn("sleep", ["600"])

    def slow_to_go(force=True):
        raise pexpect.ExceptionPexpect("Could not terminate the child.")

    monkeypatch.setattr(shell.terminal, "close", slow_to_go)
    shell.stop(patience=10)
    assert not shell.terminal.isalive()
