"""A small HTTP server for a route table: the real-HTTP stand-in for a site.

Each :class:`Route` is one answer: a body with its status and headers, optionally slow, a
redirect, or failing with 500 a few times before it succeeds (to exercise retries). The server
counts the requests each path received, so tests can assert on what a crawl fetched.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Route:
    """One resource of the mirror."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None  # redirect target, with status 301/302
    fail_first: int = 0  # answer 500 this many times, then the real answer
    delay: float = 0.0  # seconds to wait before answering (a slow server)


class MirrorServer:
    """Serves *routes* (``"/path?query" -> Route``) on 127.0.0.1 from a background thread.

    Use as a context manager; :attr:`base_url` is ``http://127.0.0.1:<port>``. A request path
    matches with its query first, then without it; anything else is a 404. *latency* seconds
    are added to every answer (a distant server: the distributed benchmark measures what
    several workers gain while each waits for its answers).
    """

    def __init__(
        self, routes: dict[str, Route] | None = None, port: int = 0, latency: float = 0.0
    ) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.latency = latency
        self.hits: Counter[str] = Counter()
        self._failures: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without TCP_NODELAY the second waits
                # for the client's delayed ACK (~40 ms), and a benchmark measures the stall.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                server._answer(self)

            def do_HEAD(self) -> None:
                server._answer(self, head=True)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MirrorServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_hits(self) -> None:
        with self._lock:
            self.hits.clear()

    def _route(self, target: str) -> tuple[str, Route | None]:
        parts = urlsplit(target)
        full = parts.path + (f"?{parts.query}" if parts.query else "")
        for key in (full, parts.path):
            if key in self.routes:
                return key, self.routes[key]
        return full, None

    def _answer(self, handler: BaseHTTPRequestHandler, head: bool = False) -> None:
        key, route = self._route(handler.path)
        with self._lock:
            self.hits[key] += 1
            failing = route is not None and self._failures[key] < route.fail_first
            if failing:
                self._failures[key] += 1
        delay = self.latency + (route.delay if route is not None else 0.0)
        if delay > 0:
            time.sleep(delay)
        if route is None:
            status, body, ctype, headers = (
                404,
                b"<html><body>404 Not Found</body></html>",
                "text/html",
                {},
            )
        elif failing:
            status, body, ctype, headers = 500, b"<html><body>500</body></html>", "text/html", {}
        else:
            status, body, ctype = route.status, route.body, route.content_type
            headers = dict(route.headers)
            if route.location:
                headers["Location"] = route.location
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if not head:
            handler.wfile.write(body)
