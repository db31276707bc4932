"""'Forget me' in `rasa shell` (as `make chat` runs it) with the SQLite tracker store: the
buttons are a terminal menu, the deletion is the same, and the shell's next message starts a
new conversation."""

import sqlite3

import pytest

from tests.support.fixtures import shared_server, sqlite_shell

pytestmark = pytest.mark.model


@shared_server(scope="module")
def forget_me_shell(shared):
    """A fresh `rasa shell` on its own SQLite store, started early (in the background)."""
    return sqlite_shell(shared, "forget_me_shell")


def test_rasa_shell_forgets_the_conversation(forget_me_shell):
    terminal, db = forget_me_shell
    shell = terminal.terminal

    def rows():
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT sender_id, type_name FROM events").fetchall()

    try:
        shell.sendline("my mum has breast cancer")
        shell.expect("healthcare provider", timeout=120)
        # The guidance's quick replies are a menu; its last choice types a message instead.
        shell.expect("Type out your own message")
        shell.send("\x1b[A\r")  # up from the first choice wraps to the last
        shell.expect("Your input ->")
        shell.sendline("please delete this conversation")
        shell.expect("Do you want me to delete this conversation", timeout=120)
        shell.expect("Yes, delete it")
        assert len({sender for sender, _ in rows()}) == 1 and len(rows()) > 10
        shell.send("\r")  # the menu's first choice: "Yes, delete it"
        shell.expect("I have deleted this conversation", timeout=120)
        shell.expect("Your input ->", timeout=60)
        assert rows() == [], "nothing of the conversation remains"
        shell.sendline("where can it spread?")
        shell.expect("Which cancer do you mean", timeout=120)  # the cancer type is forgotten
        assert {kind for _, kind in rows()} >= {"session_started", "user"}
        shell.sendline("/stop")
    finally:
        terminal.stop()
