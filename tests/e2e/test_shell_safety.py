"""Safety rule 3 in `rasa shell`, as `make chat` runs it: the crisis and urgent-care replies
never wait for the action server or the database.

`rasa shell` uses Rasa's stock console channel, which prints a message only once the next one
arrives; the action guard comes from the model (config.yml's addons.install.RasaAddons), as in
`rasa run`. The crisis reply needs no custom action and the urgent one is uttered before any,
so both reach the terminal first. With a tracker store that
refuses to save the turn, the stream has already carried them to the terminal."""

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pexpect
import pytest

from tests.production.test_action_server_failure import CRISIS, CRISIS_START, Hanging
from tests.production.test_forget_me import URGENT, URGENT_START
from tests.support.fixtures import shared_server, sqlite_shell, stop_server
from tests.support.servers import RasaShell, model_path

pytestmark = pytest.mark.model


def first_reply(terminal: pexpect.spawn, text: str, start: str) -> str:
    """What the terminal shows after `text` up to and including `start`: nothing else first."""
    terminal.sendline(text)
    terminal.expect_exact(start, timeout=120)
    before = terminal.before.split(text, 1)[-1]
    return before


@shared_server(scope="module")
def hanging_shells(shared):
    """Two fresh `rasa shell`s whose action endpoint hangs (the stock console waits on a hung
    action, so each message gets its own), started early, at once."""
    hanging = Hanging()
    endpoints = shared.workdir("hanging_shells") / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{hanging.port}/webhook"\n')
    with ThreadPoolExecutor(max_workers=2) as pool:
        starts = [pool.submit(RasaShell, model_path(), endpoints) for _ in range(2)]
    shells = [start.result() for start in starts if start.exception() is None]
    failed = [start.exception() for start in starts if start.exception() is not None]
    if failed:
        stop_server((*shells, hanging))
        raise failed[0]
    return (*shells, hanging)


@shared_server(scope="module")
def refusing_store_shell(shared):
    """A fresh `rasa shell` with the action server, on a SQLite store the test makes refuse."""
    return sqlite_shell(shared, "refusing_store_shell")


def test_crisis_and_urgent_replies_come_first_with_a_hanging_action_server(hanging_shells):
    *shells, _hanging = hanging_shells
    for shell, (text, start) in zip(shells, ((CRISIS, CRISIS_START), (URGENT, URGENT_START))):
        terminal = shell.terminal
        before = first_reply(terminal, text, start)
        assert "Sorry" not in before and "healthcare provider" not in before, before
        if start == CRISIS_START:
            terminal.expect("988", timeout=60)
            terminal.expect("Your input ->", timeout=60)  # no custom action ran: not held


def test_crisis_and_urgent_replies_survive_a_tracker_store_that_refuses_to_save(refusing_store_shell):
    shell, db = refusing_store_shell
    terminal = shell.terminal
    with sqlite3.connect(db) as conn:  # the store made its tables when the shell started
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON events "
                     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    for text, start in ((CRISIS, CRISIS_START), (URGENT, URGENT_START)):
        before = first_reply(terminal, text, start)
        assert "Sorry" not in before and "healthcare provider" not in before, before
        terminal.expect("Your input ->", timeout=120)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (0,), "nothing was saved"
    terminal.sendline("/stop")
