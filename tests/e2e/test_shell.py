"""`rasa shell`, as `make chat` starts it, answers one question in the terminal.

`rasa shell` serves its conversation over HTTP on 0.0.0.0 unless told otherwise: `make chat`
binds it to 127.0.0.1 (tests/production/test_http_surface.py)."""

import pexpect
import pytest

from tests.support.servers import RASA, REPO, free_port, model_path, rasa_env

pytestmark = pytest.mark.model


def test_rasa_shell_answers_a_question(assistant, tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{assistant.actions.url}"\n')
    shell = pexpect.spawn(
        str(RASA), ["shell", "--model", str(model_path()), "--endpoints", str(endpoints),
                    "--interface", "127.0.0.1", "--port", str(free_port())],
        cwd=str(REPO), env=rasa_env(), encoding="utf-8", timeout=300,
    )
    try:
        shell.expect("Bot loaded")
        shell.sendline("where does breast cancer spread?")
        shell.expect("healthcare provider", timeout=120)
        said = shell.before
        assert "bone" in said and "brain" in said
        shell.sendline("/stop")
    finally:
        shell.close(force=True)

