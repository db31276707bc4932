"""The test stories in tests/stories pass on the model trained in this run."""

import subprocess

import pytest

from tests.support.fixtures import shared_server
from tests.support.servers import RASA, REPO, model_path, rasa_env

pytestmark = pytest.mark.model


@shared_server
def stories_run(shared):
    """`rasa test core` on tests/stories, started early (in the background) like a shared server."""
    model = model_path()
    out = shared.workdir("stories") / "results"
    result = subprocess.run(
        [str(RASA), "test", "core", "--model", str(model), "--stories", "tests/stories",
         "--fail-on-prediction-errors", "--out", str(out)],
        cwd=REPO, env=rasa_env(), capture_output=True, text=True, timeout=1200,
    )
    failed = out / "failed_test_stories.yml"
    return result, failed.read_text() if failed.exists() else ""


def test_stories_pass_without_prediction_errors(stories_run):
    result, report = stories_run
    assert result.returncode == 0, report[-6000:] or (result.stdout[-3000:] + result.stderr[-3000:])
