#!/usr/bin/env python3
"""Serve the built site (build/site) locally, the way the browser needs it.

Why not `python -m http.server`: the page wants cross-origin isolation (COOP/COEP, so
SharedArrayBuffer and threaded wasm are available), `.wasm` must be application/wasm
for streaming compilation, `.mjs` must be JavaScript for module imports, and the site
is deployed under a sub-path on GitHub Pages, which `--prefix /googly-eyes/` mimics.
Everything is sent with `Cache-Control: no-cache` so a rebuild is seen on reload.

Once listening it prints exactly one line, `Serving googly-eyes at <url>`, which tests
parse when they start it as a subprocess; or they call start_server() in-process.
"""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from scripts.common import REPO

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
EXTRA_HEADERS = {
    **ISOLATION_HEADERS,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}
# What GitHub Pages sends: no COOP/COEP (the service worker adds them; see web/sw.js).
HEADERS_WITHOUT_ISOLATION = {name: value for name, value in EXTRA_HEADERS.items()
                             if name not in ISOLATION_HEADERS}

# Set explicitly rather than trusting the platform's mimetypes (which differ between
# machines and Python versions, e.g. for .mjs and .wasm).
MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".toml": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".whl": "application/octet-stream",
    ".zip": "application/zip",
    ".onnx": "application/octet-stream",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    "": "application/octet-stream",
}


def normalize_prefix(prefix: str) -> str:
    """'/googly-eyes', 'googly-eyes/' and '/googly-eyes/' all become '/googly-eyes/'."""
    stripped = prefix.strip("/")
    return f"/{stripped}/" if stripped else "/"


def make_handler(directory: Path, prefix: str, log: bool, isolation_headers: bool = True):
    """A request handler class bound to one folder, sub-path, logging and header choice."""
    headers = EXTRA_HEADERS if isolation_headers else HEADERS_WITHOUT_ISOLATION

    class SiteHandler(SimpleHTTPRequestHandler):
        extensions_map = MIME_TYPES

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def send_head(self):
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if prefix != "/" and path == prefix.rstrip("/"):
                # GitHub Pages redirects /googly-eyes to /googly-eyes/
                self.send_response(301)
                self.send_header("Location", prefix)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if not path.startswith(prefix):
                self.send_error(404, f"Not under {prefix}")
                return None
            return super().send_head()

        def translate_path(self, path):
            return super().translate_path("/" + path[len(prefix):])

        def list_directory(self, path):
            # GitHub Pages has no directory listings either
            self.send_error(404, "No index.html here")
            return None

        def end_headers(self):
            for name, value in headers.items():
                self.send_header(name, value)
            super().end_headers()

        def log_message(self, format, *args):
            if log:
                super().log_message(format, *args)

    return SiteHandler


class QuietServer(ThreadingHTTPServer):
    """A browser closing a connection mid-download is normal: no traceback for it."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(directory, host: str = "127.0.0.1", port: int = 0, prefix: str = "/",
                log: bool = False, isolation_headers: bool = True) -> ThreadingHTTPServer:
    """A bound (not yet serving) server; port 0 picks a free port."""
    directory = Path(directory).resolve()
    if not (directory / "index.html").is_file():
        print(f"warning: {directory}/index.html not found (run ./dev build?)", file=sys.stderr)
    handler = make_handler(directory, normalize_prefix(prefix), log, isolation_headers)
    return QuietServer((host, port), handler)


def server_url(server: ThreadingHTTPServer, prefix: str = "/") -> str:
    host, port = server.server_address[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}{normalize_prefix(prefix)}"


def start_server(directory, host: str = "127.0.0.1", port: int = 0, prefix: str = "/",
                 log: bool = False, isolation_headers: bool = True):
    """Serve in a background thread; returns (server, url).  Stop with server.shutdown()."""
    server = make_server(directory, host, port, prefix, log, isolation_headers)
    thread = threading.Thread(target=server.serve_forever, name="googly-serve", daemon=True)
    thread.start()
    return server, server_url(server, prefix)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", type=Path, default=REPO / "build" / "site")
    parser.add_argument("--prefix", default="/", help="serve under this sub-path, e.g. /googly-eyes/")
    parser.add_argument("--log", action="store_true", help="print one line per request")
    parser.add_argument("--no-isolation-headers", dest="isolation_headers", action="store_false",
                        help="omit COOP/COEP/CORP, as GitHub Pages does (the service worker adds them)")
    args = parser.parse_args(argv)
    try:
        server = make_server(args.dir, args.host, args.port, args.prefix, args.log,
                             args.isolation_headers)
    except OSError as error:
        print(f"serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(f"Serving googly-eyes at {server_url(server, args.prefix)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
