"""One HTTP server on 127.0.0.1 playing every outside service the gatekeeper calls.

Each service lives under its own path prefix (see `PREFIXES`), so one server stands in for
all of them; `settings_overrides()` gives the URL settings pointing at it. A test programs
answers per route (status, JSON body, delay, dropped connection), reads back what was asked,
and calls `reset()` between tests. Unprogrammed routes answer 404, except the catalyst
content server, which answers `/entities/active` and `/contents/{id}` from the entities
stored with `add_entity()`, the way a real catalyst does.

In the same process:

    with FakeUpstreams() as fake:
        fake.reply("GET", "/lambdas/users/0xabc/names", json={"elements": []})
        ... settings = Settings(**fake.settings_overrides()) ...
        fake.requests("GET", "/lambdas/users/0xabc/names")

From another process (`python -m tests.fakes.upstreams` prints the base URL), the same is done
through `POST /__control/reply`, `GET /__control/requests`, `POST /__control/reset`.
"""

from __future__ import annotations

import argparse
import json as jsonlib
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIXES = {
    "places": "/places-api",
    "worlds": "/worlds",
    "lambdas": "/lambdas",
    "catalyst": "/catalyst",
    "denylist": "/denylist",
    "leases": "/leases",
    "social": "/social",
    "feature_flags": "/feature-flags",
    "notifications": "/notifications-service",
}
DENYLIST_PATH = f"{PREFIXES['denylist']}/denylist.json"
LEASES_PATH = f"{PREFIXES['leases']}/authorizations.json"
CATALYST_CONTENT = f"{PREFIXES['catalyst']}/content"
CONTROL = "/__control"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    delay: float = 0.0
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.body)


Handler = Callable[[RecordedRequest], Reply]


class ManualClock:
    """A monotonic clock that moves only when told, for cache expiry without sleeping."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class _Route:
    method: str
    path: str
    query: dict[str, str] | None
    answer: Reply | Handler
    remaining: int | None

    def matches(self, request: RecordedRequest) -> bool:
        if self.method != request.method or self.path != request.path:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.query is None:
            return True
        return all(request.query.get(k) == [v] for k, v in self.query.items())


class FakeUpstreams:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: list[_Route] = []
        self._requests: list[RecordedRequest] = []
        self._entities: dict[str, dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # Lifecycle

    def start(self, port: int = 0) -> str:
        fake = self

        class _Handler(_RequestHandler):
            upstreams = fake

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-upstreams", daemon=True
        )
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeUpstreams:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses

    def url(self, service: str) -> str:
        return self.base_url + PREFIXES[service]

    def settings_overrides(self) -> dict[str, str]:
        """URL settings sending every outside call to this server."""
        return {
            "PLACES_API_URL": self.url("places"),
            "WORLD_CONTENT_URL": self.url("worlds"),
            "LAMBDAS_URL": self.url("lambdas"),
            "CATALYST_CONTENT_URL": self.base_url + CATALYST_CONTENT,
            "CATALYST_URL": self.url("catalyst"),
            "DENYLIST_JSON_URL": self.base_url + DENYLIST_PATH,
            "LAND_LEASE_AUTHORIZATIONS_URL": self.base_url + LEASES_PATH,
            "SOCIAL_SERVICE_URL": self.url("social"),
            "FF_URL": self.url("feature_flags"),
            "NOTIFICATION_SERVICE_URL": self.url("notifications"),
        }

    # Programming

    def reply(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        status: int = 200,
        body: bytes | None = None,
        delay: float = 0.0,
        drop: bool = False,
        query: dict[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer `method path` (and, if given, these query values) this way; the latest
        programmed route that matches wins; `times` limits how often it is used."""
        answer = Reply(status=status, json=json, body=body, delay=delay, drop=drop)
        self.handle(method, path, answer, query=query, times=times)

    def handle(
        self,
        method: str,
        path: str,
        answer: Reply | Handler,
        *,
        query: dict[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        with self._lock:
            self._routes.append(_Route(method.upper(), path, query, answer, times))

    def add_entity(self, entity: dict[str, Any]) -> None:
        """Store an active entity (`id`, `type`, `pointers`, `timestamp`, `metadata`, ...)."""
        with self._lock:
            self._entities[entity["id"]] = entity

    def requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self._requests
                if (method is None or r.method == method.upper())
                and (path is None or r.path == path)
            ]

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._requests.clear()
            self._entities.clear()

    # Serving

    def _answer(self, request: RecordedRequest) -> Reply:
        if request.path.startswith(CONTROL):
            return self._control(request)
        with self._lock:
            self._requests.append(request)
            route = next((r for r in reversed(self._routes) if r.matches(request)), None)
            if route is not None and route.remaining is not None:
                route.remaining -= 1
        if route is not None:
            answer = route.answer
            return answer if isinstance(answer, Reply) else answer(request)
        if request.path.startswith(CATALYST_CONTENT):
            return self._catalyst(request)
        return Reply(status=404, json={"error": f"not programmed: {request.method} {request.path}"})

    def _catalyst(self, request: RecordedRequest) -> Reply:
        path = request.path[len(CATALYST_CONTENT) :]
        with self._lock:
            entities = list(self._entities.values())
        if request.method == "POST" and path == "/entities/active":
            wanted = request.json()
            ids = set(wanted.get("ids") or ())
            pointers = set(wanted.get("pointers") or ())
            if not ids and not pointers:
                return Reply(
                    status=400, json={"error": "Bad input", "message": "No ids or pointers"}
                )
            found = [e for e in entities if e["id"] in ids or pointers & set(e.get("pointers", ()))]
            return Reply(json=found)
        if request.method == "GET" and path.startswith("/contents/"):
            entity_id = path[len("/contents/") :]
            entity = next((e for e in entities if e["id"] == entity_id), None)
            if entity is None:
                return Reply(status=404, json={"error": "Not Found"})
            # The stored entity file carries everything but its own id (the id is its hash).
            return Reply(json={k: v for k, v in entity.items() if k != "id"})
        return Reply(status=404, json={"error": "Not Found"})

    def _control(self, request: RecordedRequest) -> Reply:
        action = request.path[len(CONTROL) :]
        if action == "/reset" and request.method == "POST":
            self.reset()
            return Reply(json={"ok": True})
        if action == "/reply" and request.method == "POST":
            spec = request.json()
            self.reply(
                spec["method"],
                spec["path"],
                json=spec.get("json"),
                status=int(spec.get("status", 200)),
                delay=float(spec.get("delay", 0.0)),
                drop=bool(spec.get("drop", False)),
                query=spec.get("query"),
                times=spec.get("times"),
            )
            return Reply(json={"ok": True})
        if action == "/entities" and request.method == "POST":
            self.add_entity(request.json())
            return Reply(json={"ok": True})
        if action == "/requests" and request.method == "GET":
            recorded = [
                {
                    "method": r.method,
                    "path": r.path,
                    "query": r.query,
                    "headers": r.headers,
                    "body": r.body.decode("utf-8", "replace"),
                }
                for r in self.requests()
            ]
            return Reply(json=recorded)
        return Reply(status=404, json={"error": "unknown control action"})


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstreams: FakeUpstreams

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded requests are the log."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            raw_query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        reply = self.upstreams._answer(request)

        if reply.delay and self.upstreams._stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return

        if reply.body is not None:
            payload = reply.body
            content_type = "application/octet-stream"
        else:
            payload = jsonlib.dumps(reply.json).encode()
            content_type = "application/json"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.headers.get("Content-Type", content_type))
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                if name != "Content-Type":
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (its own deadline); nothing is left to tell it.
            self.close_connection = True

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake outside services for the gatekeeper.")
    parser.add_argument("--port", type=int, default=0)
    port = parser.parse_args().port
    fake = FakeUpstreams()
    print(fake.start(port), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    fake.stop()


if __name__ == "__main__":
    main()
