"""A local fake of the Cloud Logging REST API (``POST /v2/entries:list``) for the real client.

It binds 127.0.0.1 on a free port in a daemon thread, pages through ``nextPageToken``, records
every request (path, headers, JSON body), evaluates the filter it is sent (see
``filter_eval``) and injects faults by call number: HTTP errors with the API's error body
(429 RESOURCE_EXHAUSTED, 503, 500, 403, 401, 400), an empty page that still carries a token,
a connection closed without an answer, and a slow answer (``slow``: the page arrives after
``slow_seconds``).

    with FakeLoggingServer(entries) as fake:
        client = fake.client(project="netra-staging")
        fake.fail(2, "429")
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fakes.filter_eval import FilterSyntaxError, parse, parse_ts

ERRORS: dict[str, tuple[int, str, str]] = {
    "429": (
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Read requests' and limit "
        "'Read requests per minute' of service 'logging.googleapis.com'.",
    ),
    "500": (500, "INTERNAL", "Internal error encountered."),
    "503": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "504": (504, "DEADLINE_EXCEEDED", "The request deadline was exceeded."),
    "400": (400, "INVALID_ARGUMENT", "Invalid filter."),
    "401": (401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
    "403": (
        403,
        "PERMISSION_DENIED",
        "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
    ),
}
"""Faults answered with the API's JSON error body, by name."""

FAULTS = frozenset({*ERRORS, "empty", "reset", "slow"})


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeLoggingServer:
    """Serves ``entries`` (canonical LogEntry dicts) like Cloud Logging's ``entries.list``."""

    def __init__(self, entries: Iterable[dict[str, Any]] = (), *, default_page_size: int = 50) -> None:
        self.entries: list[dict[str, Any]] = []
        self.load(entries)
        self.default_page_size = default_page_size
        self.requests: list[Recorded] = []
        self.faults: dict[int, str] = {}
        self.slow_seconds = 2.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeLoggingServer:
        """Bind 127.0.0.1:0 and serve in a daemon thread."""
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLoggingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL to give the client as ``api_endpoint`` (or RCA_LOGGING_ENDPOINT)."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---------------------------------------------------------------- test helpers

    def load(self, entries: Iterable[dict[str, Any]]) -> None:
        """Serve these entries (replacing any before), kept in timestamp order."""
        self.entries = sorted(entries, key=_order_key)
        self._selected: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def fail(self, call: int, fault: str) -> None:
        """Answer the ``call``-th request (1-based) with ``fault`` instead of a page."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {sorted(FAULTS)}")
        self.faults[call] = fault

    @property
    def calls(self) -> int:
        """Requests received so far."""
        return len(self.requests)

    def client(self, project: str = "netra-staging") -> Any:
        """A real google-cloud-logging client on REST, anonymous, pointed at this fake."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import logging as gcl

        return gcl.Client(  # type: ignore[no-untyped-call]  # google-cloud-logging is untyped
            project=project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": self.url},
            _use_grpc=False,
        )

    # ---------------------------------------------------------------- the API

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        """Status and JSON reply for one entries.list body (None reply: drop the connection)."""
        with self._lock:
            fault = self.faults.get(len(self.requests))
        if fault == "reset":
            return 0, None
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault in ERRORS:
            return _error(*ERRORS[fault])
        try:
            matches = self._select(body)
        except (FilterSyntaxError, KeyError, ValueError) as exc:
            return _error(400, "INVALID_ARGUMENT", f"Unparseable filter: {exc}")
        offset = int(body.get("pageToken") or 0)
        if fault == "empty":
            return 200, {"entries": [], "nextPageToken": str(offset)}
        size = int(body.get("pageSize") or self.default_page_size)
        if not 0 < size <= 1000:
            return _error(400, "INVALID_ARGUMENT", f"page_size must be in [1, 1000], got {size}")
        page = matches[offset : offset + size]
        reply: dict[str, Any] = {"entries": page} if page else {}
        if offset + size < len(matches):
            reply["nextPageToken"] = str(offset + size)
        return 200, reply

    def _select(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Entries matching the body's filter, in the requested order (kept for the next pages)."""
        key = (str(body.get("filter") or ""), str(body.get("orderBy", "timestamp asc")))
        with self._lock:
            cached = self._selected.get(key)
        if cached is not None:
            return cached
        selected = self._evaluate(body)
        with self._lock:
            self._selected[key] = selected
        return selected

    def _evaluate(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Entries matching the body's filter, in the requested order."""
        text = body.get("filter")
        if text:
            keep = parse(text)  # once per request, not once per entry
            chosen = [e for e in self.entries if keep(e)]
        else:
            chosen = self.entries
        order = body.get("orderBy", "timestamp asc")
        if order not in ("timestamp asc", "timestamp desc"):
            raise ValueError(f"orderBy {order!r}")
        return list(reversed(chosen)) if order == "timestamp desc" else list(chosen)

    def record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        """Remember a request."""
        with self._lock:
            self.requests.append(Recorded(path, headers, body))


def _error(code: int, status: str, message: str) -> tuple[int, dict[str, Any]]:
    """The API's JSON error reply."""
    return code, {"error": {"code": code, "message": message, "status": status}}


def _order_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    """Ascending by timestamp (nanosecond-exact), then insertId."""
    return (*parse_ts(str(entry["timestamp"])), str(entry.get("insertId", "")))


def _handler_for(fake: FakeLoggingServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # silence stderr
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            body = json.loads(raw or b"{}")
            path = self.path.split("?", 1)[0]
            fake.record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if path != "/v2/entries:list":
                self._reply(
                    404, {"error": {"code": 404, "message": f"no route {path}", "status": "NOT_FOUND"}}
                )
                return
            status, reply = fake.answer(body)
            if reply is None:
                self._reset()
                return
            self._reply(status, reply)

        def _reply(self, status: int, reply: dict[str, Any]) -> None:
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _reset(self) -> None:
            """Close with RST and no answer (SO_LINGER 0), like a dropped connection."""
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler


def load_export(path: Path) -> list[dict[str, Any]]:
    """Entries of a gcloud JSON export (array) or NDJSON file, to serve from the fake."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        data = json.loads(text)
        return [e for e in data if isinstance(e, dict)]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@contextmanager
def serving(entries: Iterable[dict[str, Any]]) -> Iterator[FakeLoggingServer]:
    """Context manager form: a started fake that is stopped on exit."""
    with FakeLoggingServer(entries) as fake:
        yield fake
