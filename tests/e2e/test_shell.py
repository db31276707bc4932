"""`rasa shell`, as `make chat` starts it, answers one question in the terminal.

`rasa shell` serves its conversation over HTTP on 0.0.0.0 unless told otherwise: `make chat`
binds it to 127.0.0.1 (tests/production/test_http_surface.py)."""

import pytest

from tests.support.fixtures import shared_server
from tests.support.servers import RasaShell, model_path

pytestmark = pytest.mark.model


@shared_server(scope="module")
def chat_shell(shared) -> RasaShell:
    """A fresh `rasa shell` with the action server, started early (in the background)."""
    endpoints = shared.workdir("chat_shell") / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{shared.get("action_server").url}"\n')
    return RasaShell(model_path(), endpoints)


def test_rasa_shell_answers_a_question(chat_shell):
    shell = chat_shell.terminal
    shell.sendline("where does breast cancer spread?")
    shell.expect("healthcare provider", timeout=120)
    said = shell.before
    assert "bone" in said and "brain" in said
    shell.sendline("/stop")
