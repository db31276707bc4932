"""Safety rule 3 in `rasa shell`, as `make chat` runs it: the crisis and urgent-care replies
never wait for the action server or the database.

`rasa shell` uses Rasa's stock console channel, which prints a message only once the next one
arrives; the action guard comes from the model (config.yml's addons.install.RasaAddons), as in
`rasa run`. The crisis reply needs no custom action and the urgent one is uttered before any,
so both reach the terminal first. With a tracker store that
refuses to save the turn, the stream has already carried them to the terminal."""

import sqlite3

import pexpect
import pytest

from tests.production.servers import TRACKER_STORE_ENDPOINT
from tests.production.test_action_server_failure import CRISIS, CRISIS_START, Hanging
from tests.production.test_forget_me import URGENT, URGENT_START
from tests.support.servers import RASA, REPO, free_port, model_path, rasa_env

pytestmark = pytest.mark.model


def shell(endpoints, **env) -> pexpect.spawn:
    return pexpect.spawn(
        str(RASA), ["shell", "--model", str(model_path()), "--endpoints", str(endpoints),
                    "--interface", "127.0.0.1", "--port", str(free_port())],
        cwd=str(REPO), env=rasa_env(**env), encoding="utf-8", timeout=300,
    )


def first_reply(terminal: pexpect.spawn, text: str, start: str) -> str:
    """What the terminal shows after `text` up to and including `start`: nothing else first."""
    terminal.sendline(text)
    terminal.expect_exact(start, timeout=120)
    before = terminal.before.split(text, 1)[-1]
    return before


def test_crisis_and_urgent_replies_come_first_with_a_hanging_action_server(tmp_path):
    hanging = Hanging()
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{hanging.port}/webhook"\n')
    for text, start in ((CRISIS, CRISIS_START), (URGENT, URGENT_START)):
        terminal = shell(endpoints)  # a fresh shell each: the stock console waits on a hung action
        try:
            terminal.expect("Bot loaded")
            before = first_reply(terminal, text, start)
            assert "Sorry" not in before and "healthcare provider" not in before, before
            if start == CRISIS_START:
                terminal.expect("988", timeout=60)
                terminal.expect("Your input ->", timeout=60)  # no custom action ran: not held
        finally:
            terminal.close(force=True)
    hanging.close()


def test_crisis_and_urgent_replies_survive_a_tracker_store_that_refuses_to_save(assistant, tmp_path):
    db = tmp_path / "conversations.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{assistant.actions.url}"\n' + TRACKER_STORE_ENDPOINT)
    terminal = shell(endpoints, TRACKER_DB_URL=f"sqlite:///{db}")
    try:
        terminal.expect("Bot loaded")
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
    finally:
        terminal.close(force=True)
