"""The running assistant: the action server and `rasa run` with the trained model."""

from typing import Dict, Iterator, List

import pytest
import requests

from tests.support.servers import ActionServer, RasaServer, model_path, stop_all


class Assistant:
    def __init__(self, actions: ActionServer, rasa: RasaServer):
        self.actions = actions
        self.rasa = rasa

    def say(self, sender: str, text: str) -> List[Dict]:
        response = requests.post(
            f"{self.rasa.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Assistant]:
    model = model_path()
    workdir = tmp_path_factory.mktemp("assistant")
    servers = []
    try:
        servers.append(ActionServer(workdir))
        servers.append(RasaServer(model, workdir, action_url=servers[0].url))
        yield Assistant(servers[0], servers[1])
    finally:
        stop_all(servers)
