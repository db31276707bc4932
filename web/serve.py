#!/usr/bin/env python3
"""Serve the chat widget (web/) and its vendored npm files on a local port. Stdlib only.

    python web/serve.py --port 8080 --rasa-url http://127.0.0.1:5005

- /config.js is generated: it tells the widget where the Rasa server is (--rasa-url, or
  $RASA_URL; left out, the widget uses the page's own host on port 5005).
- /vendor/<file> comes from web/vendor/ when it exists (see --build), else from
  web/node_modules/ after `npm ci` in web/. Nothing is fetched from a CDN.
- Only the widget's public files are served (an allow-list of extensions, no dot-files, no
  node_modules except the vendored files), with a Content-Security-Policy that allows scripts
  from this server only and connections to the Rasa server only.
- /bodymap/<cancer_id>.svg is generated from the knowledge base (actions/bodymap.py): a body map
  of where that cancer spreads, which the spread answer shows in the widget. 404 for a cancer
  the articles don't say that about. Needs the project's Python environment (PyYAML).
- embed.html may be framed by the origins in --frame-ancestors (default: any); the other pages
  only by this server itself.

--build DIR writes the same site as plain files (config.js and vendor/ included) for any static
web server, e.g. nginx.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import json
import os
import re
import shutil
import socketserver
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple
from urllib.parse import unquote, urlsplit

WEB_DIR = Path(__file__).resolve().parent
REPO_DIR = WEB_DIR.parent
BODYMAP = re.compile(r"^bodymap/([a-z0-9_]+)\.svg$")
# A standalone SVG opened on its own may not run or load anything.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

# Public name under /vendor/ -> file inside web/node_modules/.
VENDOR: Dict[str, str] = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
    "marked.umd.js": "marked/lib/marked.umd.js",
    "marked.umd.js.map": "marked/lib/marked.umd.js.map",
    "purify.min.js": "dompurify/dist/purify.min.js",
    "purify.min.js.map": "dompurify/dist/purify.min.js.map",
    # Only for sites that still run rasa-webchat (devDependency; used by the compatibility test).
    "rasa-webchat.js": "rasa-webchat/lib/index.js",
}
REQUIRED_VENDOR = ("socket.io.min.js", "marked.umd.js", "purify.min.js")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".map": "application/json; charset=utf-8",
}
COMPRESSIBLE = {".html", ".js", ".css", ".svg", ".map"}
SAFE_PATH = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9._\-]*(/[A-Za-z0-9_\-][A-Za-z0-9._\-]*)*$")
NOT_PUBLIC = ("node_modules/", "vendor/")


def vendor_file(name: str, web_dir: Path = WEB_DIR) -> Optional[Path]:
    """Where /vendor/<name> is read from: a built web/vendor/ copy, else node_modules."""
    if name not in VENDOR:
        return None
    for candidate in (web_dir / "vendor" / name, web_dir / "node_modules" / VENDOR[name]):
        if candidate.is_file():
            return candidate
    return None


def public_file(rel: str, web_dir: Path = WEB_DIR) -> Optional[Path]:
    """The file under web/ that a URL path names, if it is one of the widget's public files."""
    if not SAFE_PATH.match(rel) or rel.startswith(NOT_PUBLIC):
        return None
    path = (web_dir / rel).resolve()
    if web_dir not in path.parents or path.suffix.lower() not in CONTENT_TYPES:
        return None
    if path.suffix == ".map" or path.name.startswith("package"):
        return None
    return path if path.is_file() else None


def http_origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def config_js(rasa_url: Optional[str], allow_server_param: bool) -> bytes:
    config: Dict[str, object] = {"allowServerParam": allow_server_param}
    if rasa_url:
        config["server"] = rasa_url.rstrip("/")
    text = json.dumps(config, indent=2).replace("<", "\\u003c")
    return (
        "// Written by web/serve.py: where the chat widget finds the Rasa server.\n"
        f"window.METASTASIS_CHAT_CONFIG = {text};\n"
    ).encode()


def bodymaps() -> Dict[str, bytes]:
    """Every body map, by cancer id, generated from the knowledge base (actions/bodymap.py)."""
    if str(REPO_DIR) not in sys.path:
        sys.path.insert(0, str(REPO_DIR))
    from actions import bodymap, knowledge  # the repo's; imported late: the rest is stdlib only

    kb = knowledge.default()
    return {
        cancer_id: bodymap.svg(kb, cancer_id).encode()
        for cancer_id in kb.cancer_types
        if bodymap.covered(kb, cancer_id)
    }


class Site:
    """What the server serves; shared by all request handlers."""

    def __init__(
        self,
        rasa_url: Optional[str],
        allow_server_param: bool,
        frame_ancestors: str,
        web_dir: Path = WEB_DIR,
    ) -> None:
        self.rasa_url = rasa_url.rstrip("/") if rasa_url else None
        self.rasa_origin = http_origin(rasa_url) if rasa_url else None
        self.allow_server_param = allow_server_param
        self.frame_ancestors = frame_ancestors
        self.web_dir = web_dir
        self.config = config_js(self.rasa_url, allow_server_param)
        self._cache: Dict[Tuple[str, float, bool], bytes] = {}
        self._bodymaps: Optional[Dict[str, bytes]] = None

    def rasa_sources(self, request_host: str) -> Tuple[str, str]:
        """CSP sources for the Rasa server: (http(s) origin for polling and images, ws(s))."""
        if self.allow_server_param:
            return "http: https:", "ws: wss:"
        if self.rasa_origin:
            origin = self.rasa_origin
        else:  # the widget's default: this page's host, port 5005
            hostname = urlsplit("//" + request_host).hostname or "localhost"
            if ":" in hostname:
                hostname = f"[{hostname}]"
            origin = f"http://{hostname}:5005"
        return origin, "ws" + origin[len("http"):]

    def csp(self, name: str, request_host: str) -> str:
        http_src, ws_src = self.rasa_sources(request_host)
        ancestors = self.frame_ancestors if name == "embed.html" else "'self'"
        return (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data: {http_src}; connect-src 'self' {http_src} {ws_src}; "
            f"frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'; "
            "object-src 'none'"
        )

    def bodymap(self, cancer_id: str) -> Optional[bytes]:
        """The body map of a cancer; None if the articles don't say where it spreads."""
        if self._bodymaps is None:
            self._bodymaps = bodymaps()
        return self._bodymaps.get(cancer_id)

    def body(self, path: Path, compressed: bool) -> bytes:
        key = (str(path), path.stat().st_mtime, compressed)
        if key not in self._cache:
            data = path.read_bytes()
            self._cache[key] = gzip.compress(data, 6, mtime=0) if compressed else data
        return self._cache[key]


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "metastasis-web"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version
    site: Site
    verbose = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.verbose:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:  # noqa: N802
        self.respond(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self.respond(head=False)

    def respond(self, head: bool) -> None:
        rel = unquote(urlsplit(self.path).path).lstrip("/") or "index.html"
        if rel.endswith("/"):
            rel += "index.html"
        host = self.headers.get("Host", "localhost")
        if rel == "config.js":
            self.send_body(self.site.config, ".js", head, cache="no-cache")
            return
        bodymap = BODYMAP.match(rel)
        if bodymap:
            svg = self.site.bodymap(bodymap.group(1))
            if svg is None:
                self.send_error(404, "Not found")
                return
            gz = "gzip" in self.headers.get("Accept-Encoding", "")
            body = gzip.compress(svg, 6, mtime=0) if gz else svg
            self.send_body(body, ".svg", head, cache="no-cache", gzipped=gz,
                           extra={"Content-Security-Policy": SVG_CSP})
            return
        if rel.startswith("vendor/"):
            path = vendor_file(rel[len("vendor/"):], self.site.web_dir)
            cache = "public, max-age=86400"
        else:
            path = public_file(rel, self.site.web_dir)
            cache = "no-cache"
        if path is None:
            self.send_error(404, "Not found")
            return
        suffix = path.suffix.lower()
        gz = suffix in COMPRESSIBLE and "gzip" in self.headers.get("Accept-Encoding", "")
        body = self.site.body(path, gz)
        extra = {}
        if suffix == ".html":
            extra["Content-Security-Policy"] = self.site.csp(path.name, host)
        self.send_body(body, suffix, head, cache=cache, gzipped=gz, extra=extra)

    def send_body(
        self,
        body: bytes,
        suffix: str,
        head: bool,
        cache: str,
        gzipped: bool = False,
        extra: Optional[Dict[str, str]] = None,
    ) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + ('-gz"' if gzipped else '"')
        status = 304 if self.headers.get("If-None-Match") == etag else 200
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPES.get(suffix, "application/octet-stream"))
        self.send_header("Cache-Control", cache)
        self.send_header("ETag", etag)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if status == 304:
            self.end_headers()
            return
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def missing_vendor(web_dir: Path = WEB_DIR) -> list:
    return [name for name in REQUIRED_VENDOR if vendor_file(name, web_dir) is None]


def build(out: Path, site: Site) -> None:
    """Write the public site as plain files into `out` (for nginx or any static host)."""
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(site.web_dir.rglob("*")):
        rel = path.relative_to(site.web_dir).as_posix()
        if path.is_file() and public_file(rel, site.web_dir) is not None:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out / rel)
    (out / "vendor").mkdir(exist_ok=True)
    for name in VENDOR:
        source = vendor_file(name, site.web_dir)
        if source is not None:
            shutil.copy2(source, out / "vendor" / name)
    (out / "config.js").write_bytes(site.config)
    (out / "bodymap").mkdir(exist_ok=True)
    for cancer_id, svg in bodymaps().items():
        (out / "bodymap" / f"{cancer_id}.svg").write_bytes(svg)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")),
                        help="0 picks a free port (default: $WEB_PORT or 8080)")
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL") or None,
                        help="Rasa server URL for the widget (default: $RASA_URL, else the "
                             "page's host on port 5005)")
    parser.add_argument("--allow-server-param", action="store_true",
                        help="let ?server=URL in the page address choose the Rasa server "
                             "(development only)")
    parser.add_argument("--frame-ancestors", default=os.environ.get("WEB_FRAME_ANCESTORS", "*"),
                        help="CSP frame-ancestors for embed.html, e.g. "
                             "\"https://forum.example.org\" (default: $WEB_FRAME_ANCESTORS or *)")
    parser.add_argument("--build", metavar="DIR", type=Path,
                        help="write the site as static files into DIR and exit")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    try:
        site = Site(args.rasa_url, args.allow_server_param, args.frame_ancestors)
    except ValueError as error:
        parser.error(f"--rasa-url: {error}")
    missing = missing_vendor()
    if missing:
        print(f"error: vendored files missing ({', '.join(missing)}): run `npm ci` in "
              f"{WEB_DIR}", file=sys.stderr)
        return 1
    if args.build:
        build(args.build, site)
        print(f"Wrote the chat site to {args.build}")
        return 0

    Handler.site = site
    Handler.verbose = args.verbose
    server = Server((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    rasa = site.rasa_url or "the page's host, port 5005"
    print(f"Chat widget: http://{shown}:{port}/  (embed: http://{shown}:{port}/embed.html; "
          f"Rasa server: {rasa})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
