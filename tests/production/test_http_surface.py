"""What the Makefile's servers expose: 127.0.0.1 only, no HTTP API unless asked (then with a
token), CORS from an allow-list, never `*`.

The commands are read from `make -n` (what `make serve` / `make chat` / `make actions` would
run); the live checks start the same command lines on free ports, read the listening address
from /proc/net/tcp, and stop what they started by its PID.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Dict, List

import requests

from tests.support.fixtures import shared_server
from tests.support.servers import REPO, RasaServer, free_port, http_ok, rasa_env, wait_until

TOKEN = "http-surface-test-token"


def dry_run(target: str, **variables: str) -> List[List[str]]:
    """The shell words of every command line `make -n target` prints (continuations joined)."""
    out = subprocess.run(
        ["make", "-n", target, *(f"{k}={v}" for k, v in variables.items())],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.replace("\\\n", " ")
    commands = []
    for line in out.splitlines():
        for part in line.replace("&", ";").split(";"):
            try:
                words = shlex.split(part)
            except ValueError:
                continue
            if words:
                commands.append(words)
    return commands


def command(commands: List[List[str]], *needles: str) -> List[str]:
    found = [c for c in commands if all(n in " ".join(c) for n in needles)]
    assert found, f"no command with {needles} in the Makefile's dry run"
    return found[-1]


def option(words: List[str], name: str) -> List[str]:
    """The values after `name` up to the next option."""
    if name not in words:
        return []
    values = []
    for word in words[words.index(name) + 1:]:
        if word.startswith("--"):
            break
        values.append(word)
    return values


def listening_addresses(port: int) -> List[str]:
    """Local addresses (IPv4 and IPv6) with a listening TCP socket on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.append(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.append("ipv6:" + address)
    return found


def test_make_serve_binds_loopback_without_the_api_and_with_a_cors_allow_list():
    commands = dry_run("serve", RASA_PORT="5999")
    rasa = command(commands, "rasa", " run ")
    assert option(rasa, "--interface") == ["127.0.0.1"]
    assert "--enable-api" not in rasa and "--auth-token" not in rasa
    origins = option(rasa, "--cors")
    assert origins and "*" not in origins and all(o.startswith("http") for o in origins)
    actions = command(commands, "rasa_sdk")
    assert "SANIC_HOST=127.0.0.1" in actions
    web = command(commands, "web/serve.py")
    assert option(web, "--host") == ["127.0.0.1"]


def test_cors_allow_list_comes_from_the_environment():
    rasa = command(dry_run("serve", CORS_ORIGINS="https://forum.example.org"), "rasa", " run ")
    assert option(rasa, "--cors") == ["https://forum.example.org"]


def test_make_chat_binds_loopback():
    shell = command(dry_run("chat"), "rasa", " shell ")
    assert option(shell, "--interface") == ["127.0.0.1"], "rasa shell defaults to 0.0.0.0"
    assert "SANIC_HOST=127.0.0.1" in command(dry_run("chat"), "rasa_sdk")


def test_action_server_as_make_actions_starts_it_listens_on_loopback_only(tmp_path):
    port = free_port()
    words = command(dry_run("actions", ACTION_PORT=str(port)), "rasa_sdk")
    env: Dict[str, str] = rasa_env()
    while "=" in words[0]:  # leading VAR=value assignments
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    log = open(tmp_path / "actions.log", "wb")
    proc = subprocess.Popen(words, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/health"), 120, "action server", proc)
        assert listening_addresses(port) == ["127.0.0.1"]
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
        log.close()


@shared_server(scope="module")
def rasa_as_served(shared):
    """`rasa run` with the interface and CORS options `make serve` uses (tiny bot, free port),
    started early (in the background)."""
    rasa = command(dry_run("serve"), "rasa", " run ")
    server = RasaServer(shared.get("tiny_model"), shared.workdir("surface"),
                        args=["--cors", *option(rasa, "--cors")])
    return server, option(rasa, "--cors")


@shared_server(scope="module")
def rasa_with_api(shared) -> RasaServer:
    """`rasa run --enable-api --auth-token` (tiny bot, free port), started early."""
    return RasaServer(shared.get("tiny_model"), shared.workdir("surface-api"),
                      args=["--enable-api", "--auth-token", TOKEN])


def test_rasa_run_listens_on_loopback_only(rasa_as_served):
    server, _ = rasa_as_served
    assert listening_addresses(server.port) == ["127.0.0.1"]


def test_http_api_is_off_by_default(rasa_as_served):
    server, _ = rasa_as_served
    for path in ("/status", "/version", "/conversations/someone/tracker", "/model/parse"):
        response = requests.get(server.url + path, timeout=10)
        assert response.status_code in (404, 405), path


def test_cors_answers_allowed_origins_only(rasa_as_served):
    server, origins = rasa_as_served
    url = server.url + "/webhooks/rest/webhook"
    allowed = requests.options(url, timeout=10, headers={
        "Origin": origins[0], "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == origins[0]
    other = requests.options(url, timeout=10, headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_http_api_when_turned_on_needs_the_token(rasa_with_api):
    server = rasa_with_api
    try:
        assert requests.get(server.url + "/status", timeout=10).status_code == 401
        wrong = requests.get(server.url + "/status", params={"token": "guess"}, timeout=10)
        assert wrong.status_code == 401
        tracker = requests.get(server.url + "/conversations/someone/tracker", timeout=10)
        assert tracker.status_code == 401
        right = requests.get(server.url + "/status", params={"token": TOKEN}, timeout=10)
        assert right.status_code == 200
    finally:
        server.stop()
