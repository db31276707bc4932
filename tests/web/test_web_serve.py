"""web/serve.py: what it serves, what it refuses, the config it writes, its headers."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path

import pytest

from tests.support.servers import WEB, PythonApp, WebServer
from tests.support.servers import http_get as get

spec = importlib.util.spec_from_file_location("web_serve", WEB / "serve.py")
serve = importlib.util.module_from_spec(spec)
spec.loader.exec_module(serve)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def web(logs):
    server = WebServer(logs, "http://127.0.0.1:5999", name="web_serve_test")
    yield server
    server.stop()


def test_pages_widget_and_vendored_libraries_are_served(web):
    for path in ("", "index.html", "embed.html", "widget.js", "widget.css",
                 "vendor/socket.io.min.js", "vendor/marked.umd.js", "vendor/purify.min.js"):
        status, _, body = get(web.at(path))
        assert status == 200 and body, path


@pytest.mark.parametrize("path", [
    "serve.py", "package.json", "package-lock.json", "node_modules/marked/package.json",
    "vendor/../serve.py", "%2e%2e/Makefile", "..%2fMakefile", ".gitignore",
    "vendor/not-listed.js", "node_modules/.package-lock.json", "nothing.html",
])
def test_everything_else_is_not_found(web, path):
    status, _, _ = get(web.at(path))
    assert status == 404


def test_config_js_points_at_the_rasa_server(web):
    status, headers, body = get(web.at("config.js"))
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    text = body.decode()
    config = json.loads(re.search(r"=\s*(\{.*\});", text, re.S).group(1))
    assert config == {"allowServerParam": False, "server": "http://127.0.0.1:5999"}


def test_pages_carry_a_content_security_policy(web):
    _, headers, _ = get(web.at("index.html"))
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "connect-src 'self' http://127.0.0.1:5999 ws://127.0.0.1:5999" in csp
    assert "frame-ancestors 'self'" in csp
    _, headers, _ = get(web.at("embed.html"))
    assert "frame-ancestors *" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_gzip_and_etag(web):
    status, headers, body = get(web.at("vendor/marked.umd.js"), {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip"
    plain = (WEB / "node_modules/marked/lib/marked.umd.js").read_bytes()
    assert gzip.decompress(body) == plain and len(body) < len(plain) / 2
    status, _, _ = get(web.at("vendor/marked.umd.js"),
                       {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert status == 304


def test_frame_ancestors_and_default_rasa_url(logs):
    server = PythonApp(WEB / "serve.py", ["--port", "{port}", "--frame-ancestors", "https://forum.example.org"],
                       logs, "/config.js", name="web_serve_defaults", timeout=20)
    try:
        check_defaults(server.port)
    finally:
        server.stop()


def check_defaults(port: int) -> None:
    """No --rasa-url and no --host: serve.py's defaults."""
    _, _, body = get(f"http://127.0.0.1:{port}/config.js")
    assert '"server"' not in body.decode()  # the widget falls back to this host, port 5005
    _, headers, _ = get(f"http://127.0.0.1:{port}/embed.html", {"Host": "chat.example.org:8080"})
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors https://forum.example.org" in csp
    assert "http://chat.example.org:5005 ws://chat.example.org:5005" in csp


def test_build_writes_a_static_site(tmp_path: Path):
    out = tmp_path / "site"
    assert serve.main(["--build", str(out), "--rasa-url", "https://bot.example.org"]) == 0
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"index.html", "embed.html", "widget.js", "widget.css", "config.js",
            "vendor/socket.io.min.js", "vendor/marked.umd.js", "vendor/purify.min.js"} <= names
    assert not any(n.endswith((".py", ".json")) or n.startswith("node_modules") for n in names)
    assert "https://bot.example.org" in (out / "config.js").read_text()


def test_rejects_a_rasa_url_that_is_not_http():
    with pytest.raises(SystemExit):
        serve.main(["--rasa-url", "javascript:alert(1)", "--build", "/nonexistent"])


def test_package_json_pins_exact_versions():
    package = json.loads((WEB / "package.json").read_text())
    lock = json.loads((WEB / "package-lock.json").read_text())
    for section in ("dependencies", "devDependencies"):
        for name, version in package[section].items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not exact"
            assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert package["dependencies"]["socket.io-client"].startswith("4.")
    assert package["devDependencies"]["rasa-webchat"] == "1.0.1"
