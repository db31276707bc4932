"""The training data, rules and domain pass Rasa's own validator with warnings as errors."""

import re
import subprocess

from actions.answer_actions import responses_sent
from tests.support.fixtures import shared_server
from tests.support.servers import RASA, REPO, rasa_env

# Rasa's validator looks for responses in rules and stories only, so it cannot see the ones
# action_answer sends (one per case of an answer); it warns about each, and does not fail for
# it. tests/actions/test_answer_actions.py checks those against the domain instead.
SENT_BY_AN_ACTION = re.compile(r"UserWarning: The utterance '(\w+)' is not used in any story or rule\.")


def sent_by_an_action(line: str) -> bool:
    found = SENT_BY_AN_ACTION.search(line)
    return bool(found) and found.group(1) in responses_sent()


@shared_server
def data_validate_run(shared):
    """`rasa data validate --fail-on-warnings`, started early (in the background)."""
    return subprocess.run(
        [str(RASA), "data", "validate", "--fail-on-warnings"],
        cwd=REPO, env=rasa_env(), capture_output=True, text=True, timeout=600,
    )


def test_rasa_data_validate_is_clean(data_validate_run):
    result = data_validate_run
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    warnings = [line for line in result.stderr.splitlines() if "UserWarning" in line and not sent_by_an_action(line)]
    assert not warnings, "\n".join(warnings)[-4000:]
