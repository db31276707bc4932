"""docker-compose.yml and deploy/: checked without a Docker engine.

The compose file is parsed with PyYAML and its ${VAR}s filled in from .env.example, as docker
compose would; the Rasa settings are read by Rasa itself from the repository's endpoints.yml;
nginx runs the real deploy/nginx.conf on a free local port in front of the widget that
`web/serve.py --build` writes and a stand-in for Rasa. What cannot be checked here: that the
images build and the containers start (no Docker engine on this machine or in CI).
"""

from __future__ import annotations

import ast
import asyncio
import fnmatch
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import yaml

from tests.support.servers import PYTHON, REPO, Server, free_port, require_binary, unavailable, wait_until

COMPOSE = REPO / "docker-compose.yml"
DEPLOY = REPO / "deploy"
NGINX_CONF = DEPLOY / "nginx.conf"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILES = {"rasa": DEPLOY / "rasa.Dockerfile", "actions": DEPLOY / "actions.Dockerfile"}
SERVICES = {"rasa", "actions", "postgres", "redis", "nginx"}
# Values for the secrets that .env.example leaves empty (URL-safe, like the ones it asks for).
PLACEHOLDERS = {"POSTGRES_PASSWORD": "pg-secret-0123abcd", "REDIS_PASSWORD": "redis-secret-4567ef"}
SITE_DIR = "deploy/site"  # where the README builds the widget for nginx

spec = importlib.util.spec_from_file_location("web_serve_for_deploy", REPO / "web" / "serve.py")
serve = importlib.util.module_from_spec(spec)
spec.loader.exec_module(serve)  # type: ignore[union-attr]


# ------------------------------------------------------------------ compose, as compose reads it
VAR = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)")


def interpolate(value: str, env: Dict[str, str]) -> str:
    """Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $VAR."""

    def one(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        present = name in env
        empty = not env.get(name)
        if op in (":?", "?") and (not present or (op == ":?" and empty)):
            raise KeyError(f"{name}: {arg}")
        if op in (":-", "-") and (not present or (op == ":-" and empty)):
            return arg
        return env.get(name, "")

    return VAR.sub(one, value)


def resolve(node, env: Dict[str, str]):
    if isinstance(node, dict):
        return {k: resolve(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, env) for v in node]
    return interpolate(node, env) if isinstance(node, str) else node


def variables(text: str) -> List[Tuple[str, str]]:
    """(name, operator) of every ${VAR...} / $VAR in a compose file's text."""
    return [(m.group(1) or m.group(4), m.group(2) or "") for m in VAR.finditer(text)
            if m.group(0) != "$$"]


def dotenv(path: Path) -> Dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def example_env() -> Dict[str, str]:
    env = dotenv(ENV_EXAMPLE)
    env.update({k: v for k, v in PLACEHOLDERS.items() if not env.get(k)})
    return env


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    """docker-compose.yml with the ${VAR}s of .env.example (secrets: placeholders)."""
    return resolve(yaml.safe_load(COMPOSE.read_text()), example_env())


def environment(service: dict) -> Dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def command(service: dict) -> List[str]:
    cmd = service["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def option(args: List[str], name: str) -> List[str]:
    """The values that follow `name` up to the next option."""
    assert name in args, f"{name} missing from {args}"
    values = []
    for arg in args[args.index(name) + 1:]:
        if arg.startswith("--"):
            break
        values.append(arg)
    return values


def strings(node, path: str = "") -> Iterator[Tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from strings(v, f"{path}[{i}]")
    elif node is not None:
        yield path, str(node)


# ------------------------------------------------------------------ the services
def test_the_five_services(raw):
    assert set(raw["services"]) == SERVICES


def test_images_are_pinned_to_exact_versions(raw):
    pins = dict(line.split("==") for line in (REPO / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    froms = {name: re.findall(r"^FROM\s+(\S+)", path.read_text(), re.M)
             for name, path in DOCKERFILES.items()}
    assert froms["rasa"] == [f"rasa/rasa:{pins['rasa']}-full"] == ["rasa/rasa:3.6.21-full"]
    assert froms["actions"] == [f"rasa/rasa-sdk:{pins['rasa-sdk']}"] == ["rasa/rasa-sdk:3.6.2"]
    for name, service in raw["services"].items():
        if name in DOCKERFILES:
            assert "image" not in service
            assert service["build"] == {"context": ".", "dockerfile": f"deploy/{name}.Dockerfile"}
        else:
            image, _, tag = service["image"].partition(":")
            assert re.match(r"^\d+(\.\d+)*(-alpine)?$", tag), f"{name}: pin a version, not {tag!r}"
    assert "latest" not in COMPOSE.read_text()
    # The versions the tests' own servers run (Debian bookworm: PostgreSQL 15, Redis 7.0).
    assert raw["services"]["postgres"]["image"].startswith("postgres:15")
    assert raw["services"]["redis"]["image"].startswith("redis:7.0")


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies(raw):
    for name, service in raw["services"].items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        for dependency, how in (service.get("depends_on") or {}).items():
            assert dependency in SERVICES
            assert how == {"condition": "service_healthy"}, f"{name} -> {dependency}"
    needs = {name: set(s.get("depends_on") or {}) for name, s in raw["services"].items()}
    assert needs["rasa"] == {"postgres", "redis", "actions"}
    assert needs["nginx"] == {"rasa"}
    # Checked against what each service answers: the tests' own readiness checks.
    assert "http://127.0.0.1:5005/" in " ".join(raw["services"]["rasa"]["healthcheck"]["test"])
    assert "http://127.0.0.1:5055/health" in " ".join(raw["services"]["actions"]["healthcheck"]["test"])


def test_only_nginx_publishes_a_port_on_the_loopback_by_default(raw):
    for name, service in raw["services"].items():
        assert "network_mode" not in service, name
        if name != "nginx":
            assert "ports" not in service, f"{name} must be reachable through nginx only"
    defaults = {k: v for k, v in example_env().items() if not k.startswith("HTTP_")}
    ports = resolve(raw["services"]["nginx"]["ports"], defaults)
    assert ports == ["127.0.0.1:8080:80"]
    # Rasa, the actions and the stores have no way out (telemetry off, no downloads).
    assert raw["networks"]["backend"] == {"internal": True}
    for name in SERVICES - {"nginx"}:
        assert raw["services"][name]["networks"] == ["backend"], name
    assert set(raw["services"]["nginx"]["networks"]) == {"frontend", "backend"}


def test_no_literal_secrets(raw):
    for path, value in strings(raw):
        key = path.rsplit(".", 1)[-1].upper()
        if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN", "AUTH")):
            assert re.fullmatch(r"\$\{\w+(:?\?[^}]*)?\}", value), f"{path}: a literal secret"
        for secret in re.findall(r"://[^/@\s]*:([^@/\s]+)@", value):
            assert re.fullmatch(r"\$\{\w+(:?\?[^}]*)?\}", secret), f"{path}: a password in a URL"
    command = raw["services"]["redis"]["command"]
    assert re.fullmatch(r"\$\{REDIS_PASSWORD:\?[^}]*\}", command[command.index("--requirepass") + 1])
    for name, value in dotenv(ENV_EXAMPLE).items():
        if any(word in name for word in ("PASSWORD", "SECRET", "TOKEN")):
            assert value == "", f".env.example must not hold a value for {name}"


def test_required_variables_are_required_and_listed_in_env_example(raw):
    example = dotenv(ENV_EXAMPLE)
    used = variables(" ".join(value for _, value in strings(raw)))
    assert {name for name, _ in used} == set(example), "docker-compose.yml and .env.example differ"
    for name in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "CORS_ORIGINS", "PUBLIC_URL",
                 "WEB_FRAME_ANCESTORS"):
        assert {op for n, op in used if n == name} == {":?"}, f"{name} must be required (:?)"
    # Every value .env.example gives is usable as it is.
    assert re.fullmatch(r"https?://[^/\s]+", example["PUBLIC_URL"]), "PUBLIC_URL is an origin"
    origins = example["CORS_ORIGINS"].split()
    assert example["PUBLIC_URL"] in origins and "*" not in example["CORS_ORIGINS"]
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        resolve(raw, dotenv(ENV_EXAMPLE))


# ------------------------------------------------------------------ rasa: the tests' settings
def test_rasa_gets_every_variable_that_endpoints_and_credentials_read(compose):
    env = environment(compose["services"]["rasa"])
    for name in ("endpoints.yml", "credentials.yml"):
        text = "\n".join(line.split("#", 1)[0] for line in (REPO / name).read_text().splitlines())
        for var in re.findall(r"\$\{(\w+)\}", text):
            assert var in env, f"{name} reads ${{{var}}}: set it for the rasa service"
    # addons/socketio_channel.py reads its origin allow-list from the environment.
    assert "SOCKETIO_CORS_ORIGINS" in env
    assert env["RASA_TELEMETRY_ENABLED"] == "false"


def test_rasa_reads_the_repositorys_endpoints_as_the_compose_services(compose, monkeypatch):
    """Rasa itself reads endpoints.yml with the compose environment: the same tracker store,
    lock store and key prefix as tests/production, pointed at the compose services."""
    from rasa.core.lock_store import LockStore
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.utils.common import class_from_module_path
    from sqlalchemy.engine.url import make_url

    from addons.lock_store import AtomicRedisLockStore
    from addons.tracker_store import ResilientSQLTrackerStore
    from tests.support.servers import TRACKER_STORE_ENDPOINT

    services = compose["services"]
    env = environment(services["rasa"])
    example = example_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(REPO / "endpoints.yml"))

    # The action server: the actions service, on the port its image starts rasa_sdk with.
    assert endpoints.action.url == "http://actions:5055/webhook"
    cmd = re.search(r"^CMD\s+(\[.*\])", DOCKERFILES["actions"].read_text(), re.M).group(1)
    assert option(json.loads(cmd), "--port") == ["5055"]
    assert environment(services["actions"])["SANIC_HOST"] == "0.0.0.0"

    # Conversations: the tests' ResilientSQLTrackerStore, on the postgres service.
    assert endpoints.tracker_store.type == "addons.tracker_store.ResilientSQLTrackerStore"
    assert f"type: {endpoints.tracker_store.type}" in TRACKER_STORE_ENDPOINT
    assert class_from_module_path(endpoints.tracker_store.type) is ResilientSQLTrackerStore
    url = make_url(endpoints.tracker_store.url)
    pg = environment(services["postgres"])
    assert (url.drivername, url.host, url.port) == ("postgresql", "postgres", 5432)
    assert (url.username, url.database) == (pg["POSTGRES_USER"], pg["POSTGRES_DB"])
    assert url.password == pg["POSTGRES_PASSWORD"] == example["POSTGRES_PASSWORD"]
    assert f'"-U", "{pg["POSTGRES_USER"]}", "-d", "{pg["POSTGRES_DB"]}"' in json.dumps(
        services["postgres"]["healthcheck"]["test"])

    # Locks: the atomic Redis lock store (safe with replicas), on the redis service.
    assert env["LOCK_STORE"] == "addons.lock_store.AtomicRedisLockStore"
    store = LockStore.create(endpoints.lock_store)
    assert type(store) is AtomicRedisLockStore
    conn = store.red.connection_pool.connection_kwargs
    assert (conn["host"], conn["port"], conn["db"]) == ("redis", 6379, 1)
    assert conn["password"] == example["REDIS_PASSWORD"]
    assert store.key_prefix == "metastasis:lock:"
    store.red.close()

    # Replicas: each one's SQL pool (SQL_POOL_SIZE + SQL_MAX_OVERFLOW, as in test_scale_out)
    # stays under PostgreSQL's default max_connections (100).
    replicas = compose["services"]["rasa"]["deploy"]["replicas"]
    assert replicas >= 2
    per_replica = int(env["SQL_POOL_SIZE"]) + int(env["SQL_MAX_OVERFLOW"])
    assert (env["SQL_POOL_SIZE"], env["SQL_MAX_OVERFLOW"]) == ("10", "10")
    assert replicas * per_replica < 100


def test_rasa_command_is_make_serves_in_a_container(compose):
    rasa = compose["services"]["rasa"]
    args = command(rasa)
    assert args[0] == "run"
    assert option(args, "--endpoints") == ["endpoints.yml"]
    assert option(args, "--credentials") == ["credentials.yml"]
    assert option(args, "--interface") == ["0.0.0.0"] and option(args, "--port") == ["5005"]
    assert option(args, "--model") == ["models"]
    assert "--enable-api" not in args and "--auth-token" not in args
    # Log privacy for every record (addons/logging.yml), importable through PYTHONPATH.
    assert option(args, "--logging-config-file") == ["addons/logging.yml"]
    assert (REPO / "addons" / "logging.yml").is_file()
    env = environment(rasa)
    assert env["PYTHONPATH"] == "/app"
    # CORS: one allow-list for REST (--cors) and the socket, never "*".
    origins = option(args, "--cors")
    assert origins == env["SOCKETIO_CORS_ORIGINS"].split() == example_env()["CORS_ORIGINS"].split()
    assert "*" not in origins


# ------------------------------------------------------------------ the images
def dockerfile_copies(path: Path) -> List[Tuple[List[str], str]]:
    copies = []
    for line in re.findall(r"^COPY\s+(.+)$", path.read_text(), re.M):
        parts = [p for p in line.split() if not p.startswith("--")]
        copies.append((parts[:-1], parts[-1]))
    return copies


def ignored(rel: str, patterns: List[str]) -> bool:
    """.dockerignore semantics (last match wins; a pattern matches a path or its parents)."""

    def matches(pattern: str) -> bool:
        parts = rel.split("/")
        if pattern.startswith("**/"):
            return any(fnmatch.fnmatchcase(p, pattern[3:]) for p in parts)
        pattern = pattern.rstrip("/")
        return any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts) + 1))

    result = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if matches(pattern.lstrip("!")):
            result = not negated
    return result


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_copies_exist_and_are_all_its_build_context_holds(name):
    dockerfile = DOCKERFILES[name]
    patterns = [line.strip() for line in
                Path(f"{dockerfile}.dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "an allow-list: nothing but what the image copies"
    for private in (".env", ".rasa/conversations.db", ".venv/bin/python", ".git/config",
                    "tests/production/servers.py", "web/node_modules/x.js"):
        assert ignored(private, patterns), f"{private} must stay out of the {name} image's context"
    copies = dockerfile_copies(dockerfile)
    assert copies
    for sources, _ in copies:
        for source in sources:
            if source == "models/":  # written by `make train`, the model `make test` tests
                assert re.search(r"^MODEL\s*=\s*models/metastasis-", (REPO / "Makefile").read_text(), re.M)
                assert not ignored("models/metastasis-0123456789abcdef.tar.gz", patterns)
                assert ignored("models/20260101-000000.tar.gz", patterns)
                continue
            path = REPO / source
            assert path.exists(), f"{name}: COPY {source}: not in the repository"
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                   and "__pycache__" not in p.parts]
            for file in files:
                rel = file.relative_to(REPO).as_posix()
                assert not ignored(rel, patterns), f"{name}: {rel} is copied but left out of the context"


def top_level_imports(paths: List[Path]) -> Dict[str, Path]:
    found = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for module in names:
                found.setdefault(module, path)
    return found


def test_rasa_image_holds_every_project_module_its_code_imports():
    """The model names components.*, which import actions.knowledge; the channels, addons.*."""
    copied = [s for sources, _ in dockerfile_copies(DOCKERFILES["rasa"]) for s in sources]

    def in_image(rel: str) -> bool:
        return any(rel == s or (s.endswith("/") and rel.startswith(s)) for s in copied)

    python = [p for s in copied if s.endswith("/") for p in (REPO / s).rglob("*.py")]
    python += [REPO / s for s in copied if s.endswith(".py")]
    assert python
    for module, where in top_level_imports(python).items():
        if module.split(".")[0] in ("actions", "components", "addons", "tests", "web"):
            rel = module.replace(".", "/")
            assert (in_image(f"{rel}.py") or in_image(f"{rel}/__init__.py")
                    or ((REPO / rel).is_dir() and in_image(f"{rel}/"))), \
                f"{where.relative_to(REPO)} imports {module}: not in the rasa image"
    # the knowledge base the components load, where actions/knowledge/loader.py looks for it
    assert "data/knowledge/" in copied and in_image("actions/knowledge/loader.py")


def test_actions_image_installs_exactly_what_actions_import_beyond_rasa_sdk():
    text = DOCKERFILES["actions"].read_text()
    installs = " ".join(re.findall(r"^RUN pip install (.+)$", text, re.M))
    pins = dict(re.findall(r"([A-Za-z0-9_.\-]+)==([\w.]+)", installs))
    assert pins, "no pinned pip install"
    imports = top_level_imports(list((REPO / "actions").rglob("*.py")))
    third_party = {module.split(".")[0] for module in imports}
    third_party -= set(sys.stdlib_module_names) | {"actions", "__future__"}
    provided = {"rasa_sdk"}  # the base image
    for dist, version in pins.items():
        assert importlib.metadata.version(dist) == version, f"{dist}: pin the version the tests run"
        top = set((importlib.metadata.distribution(dist).read_text("top_level.txt") or "").split())
        assert top & third_party, f"installs {dist}, which actions/ does not import"
        provided |= top
    assert third_party <= provided, f"actions/ imports {third_party - provided}: install them"


# ------------------------------------------------------------------ nginx
def nginx_locations(text: str) -> Dict[str, str]:
    return dict(re.findall(r"location\s+((?:=\s*)?\S+)\s*\{([^}]*)\}", text))


def test_nginx_routes_the_channels_to_rasa_and_serves_the_built_widget(raw):
    text = NGINX_CONF.read_text()
    locations = nginx_locations(text)
    socket = locations["/socket.io/"]
    for directive in ("proxy_pass http://rasa_servers;", "proxy_http_version 1.1;",
                      "proxy_set_header Upgrade $http_upgrade;",
                      "proxy_set_header Connection $connection_upgrade;"):
        assert directive in socket
    assert "proxy_pass http://rasa_servers;" in locations["/webhooks/"]
    # Nothing else reaches Rasa (its HTTP API: /conversations, /model, /status).
    assert text.count("proxy_pass") == 2
    # The upstream is every replica of the rasa service, on the port rasa listens on.
    assert re.findall(r"^\s*server\s+(\S+);", text, re.M) == ["rasa:5005"]
    assert option(command(resolve(raw["services"]["rasa"], example_env())), "--port") == ["5005"]
    # root = where compose mounts the build; the template is where the image substitutes it.
    nginx = raw["services"]["nginx"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in nginx["volumes"])
    assert mounts["./deploy/nginx.conf"] == "/etc/nginx/templates/default.conf.template"
    assert re.findall(r"^\s*root\s+(\S+);", text, re.M) == [mounts[f"./{SITE_DIR}"]]
    assert all(v.endswith(":ro") for v in nginx["volumes"])
    assert f"--build {SITE_DIR}" in (REPO / "README.md").read_text()
    assert "site/" in (DEPLOY / ".gitignore").read_text().split()
    # Every ${VAR} in the template is in nginx's environment (envsubst leaves others as they are).
    names = set(re.findall(r"\$\{(\w+)\}", text))
    assert names == set(environment(nginx)) == {"PUBLIC_URL", "WEB_FRAME_ANCESTORS"}


def envsubst(text: str, env: Dict[str, str]) -> str:
    """What the nginx image does to /etc/nginx/templates/*.template: defined variables only."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)",
                  lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)


def nginx_config(tmp: Path, port: int, upstream_port: int, site: Path, env: Dict[str, str]) -> Path:
    """deploy/nginx.conf as the nginx image would load it, on 127.0.0.1 and a temp prefix."""
    text = envsubst(NGINX_CONF.read_text(), env)
    for old, new in (("listen 80;", f"listen 127.0.0.1:{port};"),
                     ("server rasa:5005;", f"server 127.0.0.1:{upstream_port};"),
                     ("root /usr/share/nginx/html;", f"root {site};")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp / "default.conf").write_text(text)
    mime = Path("/etc/nginx/mime.types")
    types = f"include {mime};" if mime.is_file() else (
        "types { text/html html; text/css css; application/javascript js; "
        "image/svg+xml svg; application/json map; }")
    user = "user root;" if os.geteuid() == 0 else ""  # pytest's temp dirs are private
    temp = "\n".join(f"    {kind}_temp_path {tmp / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # The rest of the official image's /etc/nginx/nginx.conf.
    main = tmp / "nginx.conf"
    main.write_text(f"""{user}
worker_processes 1;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'error.log'} warn;
events {{ worker_connections 256; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_timeout 65;
{temp}
    include {tmp / 'default.conf'};
}}
""")
    return main


def nginx_args(nginx: str, tmp: Path, main: Path) -> List[str]:
    return [nginx, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(main)]


PUBLIC_ENV = {"WEB_FRAME_ANCESTORS": "https://forum.example.org"}


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = require_binary("nginx")
    env = dict(example_env())
    main = nginx_config(tmp_path, free_port(), free_port(), tmp_path, env)
    result = subprocess.run([*nginx_args(nginx, tmp_path, main), "-t"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


class FakeRasa:
    """Stands in for the rasa replicas behind nginx: records requests, echoes WebSockets."""

    def __init__(self) -> None:
        from aiohttp import web  # a Rasa dependency

        self.port = free_port()
        self.seen: List[dict] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def handle(request):
            self.seen.append({"method": request.method, "path": request.path,
                              "headers": {k.lower(): v for k, v in request.headers.items()}})
            if request.headers.get("Upgrade", "").lower() == "websocket":
                ws = web.WebSocketResponse()
                await ws.prepare(request)
                async for message in ws:
                    await ws.send_str("echo " + message.data)
                return ws
            return web.json_response({"fake": "rasa", "path": request.path})

        async def start():
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            self.runner = web.AppRunner(app)
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def fetch(url: str, method: str = "GET", data: Optional[bytes] = None,
          headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """nginx with deploy/nginx.conf in front of the built widget and a fake Rasa."""
    nginx = require_binary("nginx")
    missing = serve.missing_vendor()
    if missing:
        unavailable(f"the widget's npm files are missing ({', '.join(missing)}): run `make web`")
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    site = tmp / "site"
    build = subprocess.run([str(PYTHON), str(REPO / "web" / "serve.py"), "--build", str(site),
                            "--rasa-url", public], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    fake = FakeRasa()
    env = {"PUBLIC_URL": public, **PUBLIC_ENV}
    main = nginx_config(tmp, port, fake.port, site, env)
    server = Server([*nginx_args(nginx, tmp, main), "-g", "daemon off;"], cwd=tmp, log=tmp / "nginx.out")
    try:
        wait_until(lambda: fetch(public + "/index.html")[0] == 200, 30, "nginx", server.proc)
        yield {"url": public, "site": site, "fake": fake, "env": env}
    finally:
        server.stop()
        fake.stop()


def assert_common_headers(headers: Dict[str, str], path: str) -> None:
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") == "no-referrer", path


def test_nginx_sends_the_widget_with_serve_pys_headers(stack):
    url, env = stack["url"], stack["env"]
    site = serve.Site(url, False, env["WEB_FRAME_ANCESTORS"])
    host = url.split("://", 1)[1]
    for path, name in (("/", "index.html"), ("/index.html", "index.html"), ("/embed.html", "embed.html")):
        status, headers, body = fetch(url + path)
        assert status == 200 and body.startswith(b"<!"), path
        assert headers["content-security-policy"] == site.csp(name, host), path
        assert headers["cache-control"] == "no-cache"
        assert_common_headers(headers, path)
    status, headers, body = fetch(url + "/config.js")
    assert status == 200 and body == site.config
    assert headers["cache-control"] == "no-cache"
    status, headers, body = fetch(url + "/widget.js", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    for name in serve.REQUIRED_VENDOR:
        status, headers, _ = fetch(f"{url}/vendor/{name}")
        assert status == 200, name
        assert headers["cache-control"] == "public, max-age=86400"
        assert_common_headers(headers, name)


def test_nginx_serves_every_body_map_the_knowledge_base_has(stack):
    url = stack["url"]
    expected = sorted(serve.bodymaps())
    assert expected and sorted(p.stem for p in (stack["site"] / "bodymap").glob("*.svg")) == expected
    for cancer_id in expected:
        status, headers, body = fetch(f"{url}/bodymap/{cancer_id}.svg")
        assert status == 200 and body.lstrip().startswith(b"<svg"), cancer_id
        assert headers["content-type"] == "image/svg+xml"
        assert headers["content-security-policy"] == serve.SVG_CSP
        assert_common_headers(headers, cancer_id)
    assert fetch(f"{url}/bodymap/no_such_cancer.svg")[0] == 404


def test_nginx_passes_rest_and_socketio_to_rasa_and_nothing_else(stack):
    url, fake = stack["url"], stack["fake"]
    fake.seen.clear()
    body = json.dumps({"sender": "s", "message": "hi"}).encode()
    status, headers, answer = fetch(url + "/webhooks/rest/webhook", "POST", body,
                                    {"Content-Type": "application/json"})
    assert status == 200 and json.loads(answer)["path"] == "/webhooks/rest/webhook"
    assert_common_headers(headers, "/webhooks/rest/webhook")
    status, _, answer = fetch(url + "/socket.io/?EIO=4&transport=polling")
    assert status == 200 and json.loads(answer)["path"] == "/socket.io/"
    # Rasa's HTTP API is not routed: nginx answers 404 from the static site.
    for path in ("/conversations/s/tracker", "/model", "/status", "/webhooks-not"):
        assert fetch(url + path)[0] == 404, path
    assert [r["path"] for r in fake.seen] == ["/webhooks/rest/webhook", "/socket.io/"]
    assert all(r["headers"]["host"] == url.split("://", 1)[1] for r in fake.seen)  # with the port
    assert all(r["headers"]["x-forwarded-for"] == "127.0.0.1" for r in fake.seen)


def test_nginx_upgrades_the_socket_to_a_websocket(stack):
    import aiohttp

    url, fake = stack["url"], stack["fake"]
    fake.seen.clear()

    async def talk() -> str:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url.replace("http", "ws", 1)
                                          + "/socket.io/?EIO=4&transport=websocket") as ws:
                await ws.send_str("hello")
                message = await ws.receive(timeout=10)
                return message.data

    assert asyncio.run(talk()) == "echo hello"
    headers = fake.seen[-1]["headers"]
    assert headers["upgrade"].lower() == "websocket" and headers["connection"].lower() == "upgrade"


# ------------------------------------------------------------------ docker compose, if present
def test_docker_compose_accepts_the_file(tmp_path):
    """Only where a Docker CLI with the compose plugin exists (not required, not in CI)."""
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True,
                                     timeout=30).returncode != 0:
        pytest.skip("no `docker compose` here: the file is checked by parsing it (above)")
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in example_env().items()))
    result = subprocess.run([docker, "compose", "-f", str(COMPOSE), "--env-file", str(env_file),
                             "config", "--quiet"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
