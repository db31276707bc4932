"""The training data, rules and domain pass Rasa's own validator with warnings as errors."""

import subprocess

from tests.support.fixtures import shared_server
from tests.support.servers import RASA, REPO, rasa_env


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
    assert "UserWarning" not in result.stderr, result.stderr[-4000:]
