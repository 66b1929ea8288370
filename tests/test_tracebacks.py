"""Traceback re-joining: the `events` table built from `entries` (rca/engine/tracebacks.py).

Fixtures in tests/data/tracebacks: `*.txt` are stderr transcripts of real-shaped tracebacks;
`generate.py` turns them into Cloud Run NDJSON (one entry per line, as Cloud Run writes them);
`*.log` are plain-text logs read by the text reader.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rca.engine.store import Store
from rca.engine.traceback_grammar import START_RE2, Row, _start, parse_python_traceback, parse_traceback
from rca.engine.tracebacks import CONTEXT_AFTER, CONTEXT_BEFORE, EventStats, build_events
from rca.sources.text import read_text_entries

DATA = Path(__file__).parent / "data" / "tracebacks"
INSTANCE_A = "0069c7a9b1c2d3e4f5a6b7c8d9e0f1a2b3c4"
INSTANCE_B = "0069c7a9ffe0d1c2b3a4958677685940312a"
COLUMNS = (
    "event_id, entry_id, instance_id, message, member_ids, is_traceback, exc_types, exc_messages, "
    "frames, n_members, runtime"
)


@pytest.fixture
def stores() -> Iterator[list[Store]]:
    """Stores opened by a test, closed after it."""
    opened: list[Store] = []
    yield opened
    for store in opened:
        store.close()


def _ndjson(stores: list[Store], name: str, lines: list[str] | None = None, tmp: Path | None = None) -> Store:
    """A finalised store of one NDJSON fixture (or of `lines` written under the fixture's name)."""
    path = DATA / name
    if lines is not None and tmp is not None:
        path = tmp / name
        path.write_text("".join(lines), encoding="utf-8")
    store = Store()
    stores.append(store)
    store.add_ndjson_file(path, name)
    store.finalise(None, None, None, None)
    return store


def _text(stores: list[Store], name: str) -> Store:
    """A finalised store of one plain-text log fixture, read by the text reader."""
    store = Store()
    stores.append(store)
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    store.add_entries(read_text_entries(lines, name), name)
    store.finalise(None, None, None, None)
    return store


def _events(store: Store) -> list[dict[str, Any]]:
    """Build `events` and return its rows as dicts, in event order."""
    build_events(store.con)
    cursor = store.con.execute(f"SELECT {COLUMNS} FROM events ORDER BY event_id")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _tracebacks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["is_traceback"]]


def _lines(transcript: str) -> list[str]:
    """The non-blank lines of a transcript (Cloud Run and the text reader drop blank lines)."""
    return [line for line in (DATA / transcript).read_text(encoding="utf-8").splitlines() if line.strip()]


def _one(events: list[dict[str, Any]], exc_type: str) -> dict[str, Any]:
    found = [e for e in events if exc_type in e["exc_types"]]
    assert len(found) == 1, [e["exc_types"] for e in events]
    return found[0]


# ---------------------------------------------------------------- Cloud Run, one entry per line


def test_split_chained_traceback_rejoins_into_one_event(stores: list[Store]) -> None:
    """The asyncpg CancelledError -> TimeoutError -> startup error chain, 39 entries, becomes one event."""
    event = _one(
        _events(_ndjson(stores, "cloud_run_startup.ndjson")),
        "netra_backend.app.smd.DeterministicStartupError",
    )
    transcript = _lines("asyncpg_startup.txt")
    expected = transcript[transcript.index("ERROR:    Traceback (most recent call last):") : -1]
    assert expected == event["message"].split("\n")
    assert len(expected) == event["n_members"] == len(event["member_ids"])
    assert event["member_ids"] == sorted(event["member_ids"]) and event["member_ids"][0] == event["event_id"]
    assert event["exc_types"] == [
        "asyncio.exceptions.CancelledError",
        "TimeoutError",
        "netra_backend.app.smd.DeterministicStartupError",
    ]
    assert event["exc_messages"] == [
        "",
        "",
        "Database initialization timeout after 8.0s in staging environment",
    ]
    assert event["frames"][:2] == [
        "/usr/local/lib/python3.11/site-packages/asyncpg/connect_utils.py:886 in _connect_addr",
        "/usr/local/lib/python3.11/site-packages/asyncpg/connect_utils.py:934 in __connect_addr",
    ]
    assert event["frames"][-1] == "/app/netra_backend/app/smd.py:431 in _phase3_database_setup"


def test_blank_line_entries_join_without_changing_the_chain(stores: list[Store]) -> None:
    """Empty stderr lines between chained parts are absorbed and leave types, messages and frames alone."""
    plain = _tracebacks(_events(_ndjson(stores, "cloud_run_startup.ndjson")))
    blank = _tracebacks(_events(_ndjson(stores, "cloud_run_startup_blank_lines.ndjson")))
    keys = ("exc_types", "exc_messages", "frames", "instance_id")
    assert [[e[k] for k in keys] for e in plain] == [[e[k] for k in keys] for e in blank]
    assert [e["n_members"] + 4 for e in plain if e["instance_id"] == INSTANCE_A] == [
        e["n_members"] for e in blank if e["instance_id"] == INSTANCE_A
    ]


def test_interleaved_tracebacks_on_two_instances_stay_apart(stores: list[Store]) -> None:
    """Two tracebacks printed at the same microseconds on two instances make two events, one per instance."""
    store = _ndjson(stores, "cloud_run_startup.ndjson")
    events = _events(store)
    owner = dict(store.con.execute("SELECT entry_id, instance_id FROM entries").fetchall())
    tracebacks = _tracebacks(events)
    assert [e["instance_id"] for e in tracebacks] == [INSTANCE_B, INSTANCE_A]
    for event in tracebacks:
        assert {event["instance_id"]} == {owner[m] for m in event["member_ids"]}
    asgi = _one(events, "sqlalchemy.exc.DBAPIError")
    assert asgi["message"].split("\n") == _lines("asgi_too_many.txt")[:-1]
    assert asgi["exc_types"] == ["asyncpg.exceptions.TooManyConnectionsError", "sqlalchemy.exc.DBAPIError"]
    assert asgi["exc_messages"][1].endswith("\n(Background on this error at: https://sqlalche.me/e/20/dbapi)")


def test_line_after_a_traceback_stays_its_own_event(stores: list[Store]) -> None:
    """uvicorn's `Application startup failed` and an access line right after a traceback stay apart."""
    events = _events(_ndjson(stores, "cloud_run_startup.ndjson"))
    singles = [e["message"] for e in events if not e["is_traceback"]]
    assert "ERROR:    Application startup failed. Exiting." in singles
    assert 'INFO:     169.254.1.1:43250 - "GET /api/threads HTTP/1.1" 500 Internal Server Error' in singles


def test_consecutive_tracebacks_on_one_instance_stay_apart(stores: list[Store]) -> None:
    """Back-to-back tracebacks on one instance make two events; the logger line before the first joins it."""
    events = _events(_ndjson(stores, "consecutive.ndjson"))
    stderr = [e for e in _tracebacks(events) if e["n_members"] > 1]
    assert [e["exc_types"] for e in stderr] == [["AttributeError"], ["AttributeError"]]
    first, second = (e["message"].split("\n") for e in stderr)
    transcript = _lines("consecutive.txt")
    assert transcript[:9] == first
    assert transcript[9:-1] == second
    assert "INFO:     Waiting for application shutdown." in [e["message"] for e in events]


def test_jsonpayload_embedded_traceback_is_parsed(stores: list[Store]) -> None:
    """A jsonPayload message + exc_info holding a whole traceback is one traceback event with its chain."""
    event = _one(
        _events(_ndjson(stores, "consecutive.ndjson")), "aiohttp.client_exceptions.ClientConnectorError"
    )
    assert (event["n_members"], event["is_traceback"], event["runtime"]) == (1, True, "python")
    assert event["message"].startswith(
        "Cloud SQL connector refresh failed\nTraceback (most recent call last):"
    )
    assert event["exc_messages"] == [
        "Cannot connect to host sqladmin.googleapis.com:443 ssl:default [Network is unreachable]"
    ]
    assert len(event["frames"]) == 2


def test_exception_group_rejoins_with_members_innermost(stores: list[Store]) -> None:
    """A `+ Exception Group Traceback` with `|` boxed lines is one event; the member exception comes first."""
    events = _events(_ndjson(stores, "exception_group.ndjson"))
    event = _one(events, "ExceptionGroup")
    assert _lines("exception_group.txt")[:-1] == event["message"].split("\n")
    assert event["exc_types"] == ["sqlalchemy.exc.TimeoutError", "ExceptionGroup"]
    assert len(events) == 2


def test_exception_message_continuing_on_unindented_lines_stays_in_the_event(stores: list[Store]) -> None:
    """A pydantic ValidationError's field name line (unindented, same write) continues the message."""
    events = _events(_ndjson(stores, "pydantic_settings.ndjson"))
    event = _one(events, "pydantic_core._pydantic_core.ValidationError")
    assert event["message"].split("\n") == _lines("pydantic_settings.txt")[:-1]
    assert event["exc_messages"][0].split("\n")[:2] == ["1 validation error for Settings", "POSTGRES_HOST"]
    assert "<frozen importlib._bootstrap>:1204 in _gcd_import" in event["frames"]
    assert events[-1]["message"] == "[2025-09-15 15:15:38 +0000] [1] [INFO] Shutting down: Master"


@pytest.mark.parametrize("order", ["oldest-first", "newest-first", "newest-first-ties-as-printed"])
def test_lines_with_equal_timestamps_keep_file_order(stores: list[Store], tmp_path: Path, order: str) -> None:
    """Lines stamped in the same millisecond keep their printed order, also in a newest-first export,
    and in one sorted newest first by time alone, whose ties stay as printed (a stable sort): the
    traceback's header before its frames at the same moment says which."""
    entries = [json.loads(line) for line in (DATA / "cloud_run_startup.ndjson").read_text().splitlines()]
    for entry in entries:
        entry["timestamp"] = entry["timestamp"][:23] + "Z"  # milliseconds: many ties
    if order == "newest-first-ties-as-printed":
        entries = sorted(entries, key=lambda e: e["timestamp"], reverse=True)  # stable: ties keep order
    elif order == "newest-first":
        entries = entries[::-1]
    lines = [json.dumps(entry) + "\n" for entry in entries]
    store = _ndjson(stores, "ties.ndjson", lines, tmp_path)
    event = _one(_events(store), "netra_backend.app.smd.DeterministicStartupError")
    transcript = _lines("asyncpg_startup.txt")
    assert event["message"].split("\n") == transcript[2:-1]


# urllib3's retry WARNING quoting the TLS error (held-out CI08), then the traceback of the request
# that gave up: the warning carries no traceback of its own
_RETRY_WARNING = (
    "WARNING:urllib3.connectionpool:Retrying (Retry(total=0, connect=None, read=None, redirect=None, "
    "status=None)) after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: "
    "CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)'))"
    "': /v2/invoices"
)


@pytest.mark.parametrize(
    ("before", "level", "joins"),
    [
        ("ERROR:    Exception in 'lifespan' protocol", 500, True),  # uvicorn lifespan failure
        ("ERROR:    Exception in ASGI application", 0, True),  # uvicorn request failure
        ("ERROR:netra_backend.app.db:Failed to create engine", 0, True),  # logger.exception, basicConfig
        ("Task exception was never retrieved", 0, True),  # asyncio, no level word but says exception
        ("INFO:     Waiting for application startup.", 0, False),  # an ordinary line that happens to precede
        ("", 0, False),  # a blank line introduces nothing
        (_RETRY_WARNING, 0, True),  # at DEFAULT, its failure words are all there is to go on
        (_RETRY_WARNING, 400, False),  # a stated WARNING is no logger's exception() call
    ],
)
def test_line_introducing_a_traceback_joins_it(before: str, level: int, joins: bool) -> None:
    """The line right before `Traceback (most recent call last):` joins only when it introduces it."""
    tail = [
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.11/site-packages/asyncpg/pool.py", line 517, in _get_new_connection',
        "    con = await self._connect(",
        "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already",
    ]
    con = _synthetic([(line, 30 * k) for k, line in enumerate([before, *tail])], {before: level})
    build_events(con)
    row = con.execute("SELECT message FROM events WHERE is_traceback").fetchone()
    assert row is not None
    assert row[0].split("\n") == ([before] if joins else []) + tail


@pytest.mark.parametrize(
    ("before", "joins", "exc_type"),  # exc_type: None where the lines do not join
    [
        # ioredis' console.error('[ioredis] Unhandled error event:', err.stack) (lib/Redis.ts)
        ("[ioredis] Unhandled error event: Error: read ECONNRESET", True, "Error"),
        ("Uncaught TypeError: Cannot read properties of undefined (reading 'id')", True, "TypeError"),
        ("request failed: Error [ERR_STREAM_PREMATURE_CLOSE]: Premature close", True,
         "Error [ERR_STREAM_PREMATURE_CLOSE]"),
        ("GET /v1/orders 200 12ms", False, None),  # an ordinary line before the frames
        ("error: something odd", False, None),  # no error's type
    ],
)
def test_a_node_stack_joins_the_line_that_printed_its_error(
    before: str, joins: bool, exc_type: str | None
) -> None:
    """A Node stack's `    at` lines join the line before them when it prints the error, at its start
    or after a logger's own words, and the error's type is read from it."""
    tail = ["    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)"]
    con = _synthetic([(line, 30 * k) for k, line in enumerate([before, *tail])])
    build_events(con)
    row = con.execute("SELECT message, exc_types FROM events WHERE is_traceback").fetchone()
    if not joins:  # (a lone frame line is no traceback)
        assert row is None
        return
    assert row is not None
    assert row[0].split("\n") == [before, *tail]
    assert row[1][-1] == exc_type


def test_lines_far_apart_in_time_do_not_join() -> None:
    """A traceback header and an exception line 5 s later on one instance are not one event."""
    con = _synthetic(
        [("Traceback (most recent call last):", 0), ('  File "/app/x.py", line 1, in f', 5_000_000)]
    )
    stats = build_events(con)
    assert (stats.rejoined, stats.events, stats.by_runtime) == (0, 2, {})


# ---------------------------------------------------------------- plain text


def test_plain_text_traceback_rejoins_with_its_intro_line(stores: list[Store]) -> None:
    """Text lines sharing one timestamp re-join by line order; the ERROR line before them opens the event."""
    events = _events(_text(stores, "psycopg_startup.log"))
    event = _one(events, "sqlalchemy.exc.OperationalError")
    assert event["message"].split("\n") == _lines("psycopg_startup.log")[1:-2]
    assert event["exc_types"] == ["psycopg2.OperationalError", "sqlalchemy.exc.OperationalError"]
    assert event["exc_messages"][0].endswith(
        "\n\tIs the server running on that host and accepting TCP/IP connections?"
    )
    assert event["exc_messages"][1].endswith("\n(Background on this error at: https://sqlalche.me/e/20/e3q8)")
    assert [e["message"] for e in events if not e["is_traceback"]][-2:] == [
        "2025-09-15 15:15:38,140 INFO [netra_backend.app.smd] Shutting down",
        "ERROR:    Application startup failed. Exiting.",
    ]


def test_compose_streams_interleaved_in_text_stay_apart(stores: list[Store]) -> None:
    """Two compose services' tracebacks interleaved line by line in one file make one event per service."""
    events = _tracebacks(_events(_text(stores, "compose_interleaved.log")))
    assert [(e["instance_id"], e["exc_types"]) for e in events] == [
        ("api-1", ["KeyError"]),
        ("worker-1", ["ConnectionResetError"]),
    ]
    assert [e["n_members"] for e in events] == [5, 4]


# ---------------------------------------------------------------- other runtimes


@pytest.mark.parametrize(
    ("instance", "transcript", "runtime", "unrelated_tail"),
    [
        ("00aa01", "node_unhandled.txt", "node", 0),  # unhandled rejection: prelude, caret, error props
        ("00aa02", "node_logged.txt", "node", 1),  # console.error(err) then a request line
        ("00aa03", "go_panic.txt", "go", 0),  # panic, signal, goroutine, tab-indented frames
        ("00aa04", "java_main.txt", "java", 0),  # Exception in thread, Caused by, ... N more
        ("00aa05", "dotnet_unhandled.txt", "dotnet", 0),  # Unhandled exception., --->, End of inner
    ],
)
def test_other_runtime_tracebacks_stay_together(
    stores: list[Store], instance: str, transcript: str, runtime: str, unrelated_tail: int
) -> None:
    """Node, Go, Java and .NET stack traces split one line per entry become one event each."""
    events = [e for e in _events(_ndjson(stores, "runtimes.ndjson")) if e["instance_id"] == instance]
    lines = _lines(transcript)
    assert [(runtime, len(lines) - unrelated_tail)] == [
        (e["runtime"], e["n_members"]) for e in _tracebacks(events)
    ]
    assert len(events) == 1 + unrelated_tail


def test_a_recovered_go_panic_joins_its_log_line_and_goroutine_dump(stores: list[Store]) -> None:
    """net/http recovers a handler's panic and logs `http: panic serving ...` then the goroutine
    dump, with no `panic:` line (exposure-notifications-verification-server#326): one event, whose
    frames include the handler's own."""
    lines = [
        "2020/08/22 23:57:15 http: panic serving 169.254.8.129:17611: runtime error: invalid memory "
        "address or nil pointer dereference",
        "goroutine 113 [running]:",
        "net/http.(*conn).serve.func1(0xc00085c320)",
        "\tnet/http/server.go:1801 +0x147",
        "panic(0x11d3c40, 0x1d62310)",
        "\truntime/panic.go:975 +0x3e9",
        "github.com/google/exposure-notifications-verification-server/pkg/controller/codestatus."
        "(*Controller).HandleCheckCodeStatus.func1(0x3e1039aebb58, 0xc0008c07b0, 0xc000176e00)",
        "\tgithub.com/google/exposure-notifications-verification-server/pkg/controller/codestatus/"
        "api.go:40 +0x1a9",
        "2020/08/22 23:57:16 GET /healthz 200",
    ]
    store = Store()
    stores.append(store)
    store.add_entries(read_text_entries(lines, "paste.log"), "paste.log")
    store.finalise(None, None, None, None)
    [event] = _tracebacks(_events(store))
    head = event["message"].split("\n")[0]
    assert (event["runtime"], event["n_members"], head.endswith("nil pointer dereference"),
            any("api.go:40" in frame for frame in event["frames"])) == ("go", 8, True, True)


def test_java_chain_is_innermost_first(stores: list[Store]) -> None:
    """Java prints the outermost exception first; `exc_types` lists the last `Caused by:` first."""
    event = _one(_events(_ndjson(stores, "runtimes.ndjson")), "java.net.ConnectException")
    assert event["exc_types"] == [
        "java.net.ConnectException",
        "org.postgresql.util.PSQLException",
        "org.springframework.jdbc.CannotGetJdbcConnectionException",
    ]
    assert (
        event["frames"][0]
        == "DataSourceUtils.java:84 in org.springframework.jdbc.datasource.DataSourceUtils.getConnection"
    )


def test_a_reactor_assembly_trace_stays_in_its_java_exception(stores: list[Store], tmp_path: Path) -> None:
    """Spring WebFlux logs a failed request's exception with the assembly trace Reactor adds to it
    (reactor-core FluxOnAssembly: "Error has been observed at the following site(s):", its
    `*__checkpoint` lines, "Original Stack Trace:"), one entry per line on Cloud Run: the lines are
    one exception, so its `Caused by:` (Postgres out of connection slots) is read with it, not left
    as a stray line (held-out IJ05)."""
    lines = [
        "org.springframework.dao.DataAccessResourceFailureException: Failed to obtain R2DBC Connection; "
        "nested exception is io.r2dbc.postgresql.ExceptionFactory$PostgresqlNonTransientResourceException: "
        "[53300] sorry, too many clients already",
        "\tat org.springframework.r2dbc.connection.ConnectionFactoryUtils.lambda$getConnection$0"
        "(ConnectionFactoryUtils.java:88) ~[spring-r2dbc-5.3.31.jar!/:5.3.31]",
        "\tSuppressed: reactor.core.publisher.FluxOnAssembly$OnAssemblyException: ",
        "Error has been observed at the following site(s):",
        "\t*__checkpoint ⇢ Handler com.acme.booking.api.BookingController#create(BookingRequest) "
        "[DispatcherHandler]",
        '\t*__checkpoint ⇢ HTTP POST "/api/bookings" [ExceptionHandlingWebHandler]',
        "Original Stack Trace:",
        "\t\tat org.springframework.r2dbc.connection.ConnectionFactoryUtils.lambda$getConnection$0"
        "(ConnectionFactoryUtils.java:88) ~[spring-r2dbc-5.3.31.jar!/:5.3.31]",
        "\t\tat reactor.core.publisher.Mono.lambda$onErrorMap$31(Mono.java:3811) "
        "~[reactor-core-3.4.34.jar!/:3.4.34]",
        "Caused by: io.r2dbc.postgresql.ExceptionFactory$PostgresqlNonTransientResourceException: [53300] "
        "sorry, too many clients already",
        "\tat io.r2dbc.postgresql.ExceptionFactory.createException(ExceptionFactory.java:99) "
        "~[r2dbc-postgresql-0.9.3.RELEASE.jar!/:0.9.3.RELEASE]",
    ]
    rows = _stdout_rows(lines, "2024-03-09T02:14:29", 843000)
    [event] = _tracebacks(_events(_ndjson(stores, "reactor.ndjson", rows, tmp_path)))
    assert event["n_members"] == len(lines)
    innermost = "io.r2dbc.postgresql.ExceptionFactory$PostgresqlNonTransientResourceException"
    assert event["exc_types"][0] == innermost


@pytest.mark.parametrize("blank", [False, True])
def test_a_java_logger_s_record_line_is_read_with_the_exception_it_logged(
    stores: list[Store], tmp_path: Path, blank: bool
) -> None:
    """Spring Boot prints a logged exception under its record's line (`... ERROR 1 --- [epoll-2]
    reactor.core.publisher.Operators : Operator called default onErrorDropped`), with a blank line
    between them in its default console pattern (%wEx); split one entry per line, the record line,
    the exception and its frames are one event, so what the record says is read with the exception
    it logged (held-out IJ08: a streaming client gone, not an error of its own). A record line at
    INFO before an exception is not its record."""
    record = ("2024-08-19 15:19:27.607 ERROR 1 --- [or-http-epoll-2] reactor.core.publisher.Operators"
              "         : Operator called default onErrorDropped")
    lines = [record, *([""] if blank else []),
             "reactor.netty.channel.AbortedException: Connection has been closed BEFORE send operation",
             "\tat reactor.netty.http.HttpOperations.then(HttpOperations.java:166) "
             "~[reactor-netty-http-1.0.39.jar!/:1.0.39]",
             "\tat reactor.netty.NettyOutbound.then(NettyOutbound.java:362) "
             "~[reactor-netty-core-1.0.39.jar!/:1.0.39]"]
    rows = _stdout_rows(lines, "2024-08-19T15:19:27", 607000)
    [event] = _tracebacks(_events(_ndjson(stores, "record.ndjson", rows, tmp_path)))
    assert event["message"].startswith(record) and "AbortedException" in event["message"]
    info = [rows[0].replace(" ERROR 1 --- ", " INFO 1 --- "), *rows[1:]]
    [event] = _tracebacks(_events(_ndjson(stores, "info.ndjson", info, tmp_path)))
    assert event["message"].startswith("reactor.netty.channel.AbortedException")


# ---------------------------------------------------------------- table shape, stats, determinism


def test_dotnet_chain_is_innermost_first_with_each_exception_s_own_frames(stores: list[Store]) -> None:
    """.NET prints the outer exception first and each inner one after ` ---> `; the innermost
    exception's frames come first, closed by `--- End of inner exception stack trace ---`."""
    event = _one(_events(_ndjson(stores, "runtimes.ndjson")), "System.Net.Sockets.SocketException")
    assert event["exc_types"] == [
        "System.Net.Sockets.SocketException", "System.Net.Http.HttpRequestException"
    ]
    assert event["exc_messages"] == ["Connection refused", "Connection refused (api.radarr.video:443)"]
    assert event["frames"][3] == (
        "./Radarr.Common/Http/Dispatchers/ManagedHttpDispatcher.cs:302 in "
        "NzbDrone.Common.Http.Dispatchers.ManagedHttpDispatcher.attemptConnection"
    )
    assert event["frames"][-1] == "System.Net.Http.HttpConnectionPool.ConnectToTcpHostAsync"
    parsed = parse_traceback(event["message"])
    assert parsed is not None and [len(e.frames) for e in parsed.chain] == [5, 1]


def test_a_dotnet_console_record_joins_its_head_message_and_exception(stores: list[Store]) -> None:
    """The console logger's `fail: Category[1]` head, its indented message and the exception under it
    (printed on lines of their own, each stamped by `kubectl logs --timestamps`) are one event; the
    request records around it, at info, stay apart."""
    events = _events(_text(stores, "dotnet_console.log"))
    event = _one(events, "Npgsql.NpgsqlException")
    lines = _lines("dotnet_console.log")
    assert event["n_members"] == 9 and event["runtime"] == "dotnet"
    assert event["message"].split("\n")[:2] == [
        "fail: Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware[1]",
        "      An unhandled exception has occurred while executing the request.",
    ]
    assert event["exc_types"] == ["System.IO.EndOfStreamException", "Npgsql.NpgsqlException"]
    assert event["frames"][-2] == (
        r"C:\projects\dapper\Dapper\SqlMapper.Async.cs:468 in Dapper.SqlMapper.QueryAsync[T]"
    )
    assert len(events) == len(lines) - 8


def test_ordinary_rows_keep_their_entry_and_empty_lists(stores: list[Store]) -> None:
    """Non-traceback rows carry member_ids [entry_id], empty lists, is_traceback false and one member."""
    store = _ndjson(stores, "cloud_run_startup.ndjson")
    events = _events(store)
    ordinary = [e for e in events if not e["is_traceback"]]
    assert ordinary
    for event in ordinary:
        assert ([event["entry_id"]], [], [], [], 1, None) == (
            event["member_ids"], event["exc_types"], event["exc_messages"], event["frames"],
            event["n_members"], event["runtime"],
        )  # fmt: skip
    row = store.con.execute("SELECT count(*) FROM entries").fetchone()
    assert row is not None and row[0] == sum(e["n_members"] for e in events)


def test_stats_count_rejoined_absorbed_and_runtimes(stores: list[Store]) -> None:
    """EventStats says how many tracebacks were re-joined, how many entries they absorbed, and by runtime."""
    tails = {"node_unhandled.txt": 0, "node_logged.txt": 1, "go_panic.txt": 0, "java_main.txt": 0,
             "dotnet_unhandled.txt": 0}
    joined = [len(_lines(name)) - tail for name, tail in tails.items()]
    entries = sum(len(_lines(name)) for name in tails)
    stats = build_events(_ndjson(stores, "runtimes.ndjson").con)
    expected = EventStats(
        events=entries - sum(joined) + len(joined),
        candidates=entries,
        rejoined=len(joined),
        absorbed=sum(joined) - len(joined),
        embedded=0,
        by_runtime={"dotnet": 1, "go": 1, "java": 1, "node": 2},
    )
    assert expected == stats


def test_reversed_export_order_gives_identical_events(stores: list[Store], tmp_path: Path) -> None:
    """gcloud exports newest first; the same entries in reverse file order give the same events."""
    lines = (DATA / "cloud_run_startup.ndjson").read_text(encoding="utf-8").splitlines(keepends=True)
    keys = ("event_id", "member_ids", "message", "exc_types", "exc_messages", "frames")
    forward = [[e[k] for k in keys] for e in _events(_ndjson(stores, "cloud_run_startup.ndjson"))]
    backward = [[e[k] for k in keys] for e in _events(_ndjson(stores, "r.ndjson", lines[::-1], tmp_path))]
    assert forward == backward


def test_building_twice_gives_the_same_table(stores: list[Store]) -> None:
    """build_events replaces `events` and is deterministic across runs."""
    store = _ndjson(stores, "consecutive.ndjson")
    assert _events(store) == _events(store)


def test_only_candidate_rows_reach_python() -> None:
    """Among 50,000 ordinary lines, the Python scan sees only the traceback rows and a few neighbours."""
    traceback = _lines("consecutive.txt")[1:9]
    rows = [(f"GET /api/items/{i} 200", i * 1000) for i in range(50_000)]
    rows[25_000:25_000] = [(line, 24_999_500 + 10 * k) for k, line in enumerate(traceback)]
    stats = build_events(_synthetic(rows))
    assert (1, len(traceback) - 1) == (stats.rejoined, stats.absorbed)
    assert stats.candidates <= len(traceback) + 6
    assert stats.events == 50_001


def test_lone_error_lines_stay_in_duckdb() -> None:
    """Error lines with no traceback near them (and their neighbours) never reach the Python scan;
    a traceback among them still does, whole."""
    traceback = _lines("consecutive.txt")[1:9]
    rows = [(f"GET /api/items/{i} 200", i * 1000) for i in range(20_000)]
    for i in range(1_000, 20_000, 1_000):
        rows[i] = ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached", i * 1000)
    rows[10_500:10_500] = [(line, 10_499_500 + 10 * k) for k, line in enumerate(traceback)]
    stats = build_events(_synthetic(rows))
    assert (1, len(traceback) - 1) == (stats.rejoined, stats.absorbed)
    assert stats.candidates <= len(traceback) + 6


def test_one_line_request_records_are_no_traceback_lines() -> None:
    """A request's one-line record (a request log, an access line read as a request) never starts
    or continues a traceback, whatever its text: none reaches the scan. A request record of several
    lines (an App Engine request log keeps what the app logged while serving it) is still read for
    the traceback it may embed."""
    embedded = "GET /api/items 500\nTypeError: boom\n    at handler (/app/server.js:12:5)"
    rows = [("TypeError: boom", i * 1000) for i in range(500)] + [(embedded, 600_000)]
    con = _synthetic(rows)
    con.execute("UPDATE entries SET http_status = 500")
    stats = build_events(con)
    assert stats.candidates <= 1 + CONTEXT_BEFORE + CONTEXT_AFTER  # the embedding one and its neighbours
    assert (stats.embedded, stats.rejoined) == (1, 0)


@pytest.mark.parametrize("space", [" ", "\t", "\u00a0", "\u2003", "\x1f"])
def test_traceback_starting_at_a_frame_indented_with_any_whitespace_rejoins(space: str) -> None:
    """A frame line is a place a traceback starts whatever whitespace Python's `\\s` sees before it,
    so its run of rows reaches the scan even when no ASCII-indented line is near."""
    lines = [
        f'{space}File "/app/orders/db.py", line 88, in get_order',
        f"{space}{space}raise ValueError(order_id)",
        "ValueError: 42",
    ]
    rows = [(f"GET /api/items/{i} 200", i * 1000) for i in range(40)]
    rows[20:20] = [(line, 19_500 + 10 * k) for k, line in enumerate(lines)]
    con = _synthetic(rows)
    stats = build_events(con)
    assert (stats.rejoined, stats.absorbed) == (1, 2)
    row = con.execute("SELECT message, runtime FROM events WHERE is_traceback").fetchone()
    assert row == ("\n".join(lines), "python")


def test_every_line_a_traceback_can_start_at_matches_the_start_prefilter() -> None:
    """START_RE2 (DuckDB drops runs of rows without a match) accepts each fixture line that the scan
    would start a traceback at, and each line holding a whole one."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(DATA.iterdir()) if p.suffix in {".txt", ".log"}]
    lines = sorted({line for text in texts for line in text.splitlines()} | {"a\nb", "x\n"})
    nxt = Row(1, 0, 2, True, 0, 0, "    at main (/app/index.js:3:9)")
    starts = [
        line
        for line in lines
        if "\n" in line or _start(Row(0, 0, 1, True, 0, 0, line), None, False, nxt) is not None
    ]
    found = duckdb.execute(
        "SELECT list(line ORDER BY line) FROM unnest($l) t(line) WHERE regexp_matches(line, $re)",
        {"l": starts, "re": START_RE2},
    ).fetchone()
    assert len(starts) > 20 and found is not None and found[0] == starts


# ---------------------------------------------------------------- parse_python_traceback


def test_parse_keeps_chaining_words_in_printed_order() -> None:
    """`via` records which words joined each exception to the one printed before it."""
    parsed = parse_python_traceback("\n".join(_lines("asyncpg_startup.txt")[2:-1]))
    assert [exc.via for exc in parsed.chain] == [None, "cause", "context"]
    assert parsed.intro == "ERROR:"
    assert 13 == len(parsed.frames) == sum(len(exc.frames) for exc in parsed.chain)


@pytest.mark.parametrize(
    ("last_line", "exc_type", "message"),
    [
        ("TimeoutError", "TimeoutError", ""),  # bare type, no colon
        ("asyncio.exceptions.CancelledError", "asyncio.exceptions.CancelledError", ""),  # dotted, bare
        ("KeyError: 'agent_service'", "KeyError", "'agent_service'"),
        (
            "OSError: [Errno 99] Cannot assign requested address",
            "OSError",
            "[Errno 99] Cannot assign requested address",
        ),
        ("ValueError:", "ValueError", ""),  # str(exc) empty but a colon printed
    ],
)
def test_parse_exception_line_shapes(last_line: str, exc_type: str, message: str) -> None:
    """The final line splits into a dotted type and the message after the first `: `."""
    head = 'Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n    run()\n'
    text = head + last_line
    parsed = parse_python_traceback(text)
    assert ([exc_type], [message], ("/app/main.py:3 in <module>",)) == (
        parsed.exc_types, parsed.exc_messages, parsed.frames,
    )  # fmt: skip


def test_parse_syntax_error_frame_without_function() -> None:
    """A SyntaxError frame has no `, in f` part and its caret lines are not the exception line."""
    text = (
        "Traceback (most recent call last):\n"
        '  File "/app/main.py", line 1, in <module>\n    import app.settings\n'
        '  File "/app/app/settings.py", line 12\n    DATABASE_URL = os.environ[\n'
        "                             ^\n"
        "SyntaxError: '[' was never closed"
    )
    parsed = parse_python_traceback(text)
    assert parsed.exc_types == ["SyntaxError"]
    assert parsed.frames == ("/app/main.py:1 in <module>", "/app/app/settings.py:12")


def test_parse_traceback_returns_none_for_plain_multiline_text() -> None:
    """Multi-line text without any runtime's traceback grammar is not a traceback."""
    assert parse_traceback("Starting worker\n  with 4 threads\nready") is None


# ---------------------------------------------------------------- helpers


def _stdout_rows(lines: list[str], second: str, first_us: int) -> list[str]:
    """``lines`` as Cloud Run writes a stdout record split one entry per line: NDJSON rows of one
    instance, 37 microseconds apart from ``first_us`` into ``second`` (`YYYY-MM-DDTHH:MM:SS`)."""
    resource = {"type": "cloud_run_revision", "labels": {"service_name": "api"}}
    return [json.dumps({"timestamp": f"{second}.{first_us + k * 37:06d}Z", "textPayload": line,
                        "logName": "projects/p/logs/run.googleapis.com%2Fstdout",
                        "labels": {"instanceId": INSTANCE_A}, "insertId": f"r{k}",
                        "resource": resource}) + "\n"
            for k, line in enumerate(lines)]


def _synthetic(
    rows: list[tuple[str, int]], levels: dict[str, int] | None = None
) -> duckdb.DuckDBPyConnection:
    """A minimal `entries` table on one Cloud Run instance: (message, microseconds after a base time),
    each row at DEFAULT severity or at the number ``levels`` gives its message.

    Rows travel as one JSON parameter because executemany is slow in DuckDB.
    """
    con = duckdb.connect()
    payload = json.dumps([{"m": m, "us": us, "sev": (levels or {}).get(m, 0)}
                          for m, us in sorted(rows, key=lambda r: r[1])])
    con.execute(
        """CREATE TABLE entries AS
           SELECT row_number() OVER () - 1 AS entry_id, 'x.ndjson' AS source, row_number() OVER () AS line_no,
                  TIMESTAMP '2025-09-15 15:00:00' + to_microseconds(r.us) AS ts, r.sev AS severity_num,
                  r.m AS message, 'run.googleapis.com/stderr' AS log_id, 'i1' AS instance_id,
                  'r1' AS revision, NULL::INTEGER AS http_status
           FROM (SELECT unnest(CAST($p AS JSON)::STRUCT(m VARCHAR, us BIGINT, sev INTEGER)[]) AS r)""",
        {"p": payload},
    )
    return con


def test_candidates_fetched_in_small_batches_give_the_same_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidate rows stream in batches; a batch edge inside a stream or a traceback changes nothing."""
    from rca import api
    from rca.engine import tracebacks

    sample = Path(__file__).resolve().parent.parent / "examples" / "netra-backend-staging-2025-09-15.json"

    def events(batch: int) -> tuple[EventStats, list[tuple[Any, ...]]]:
        monkeypatch.setattr(tracebacks, "_BATCH", batch)
        loaded = api.load([sample], since="1h")
        stats = build_events(loaded.store.con)
        rows = loaded.store.con.execute(
            "SELECT event_id, member_ids, message FROM events WHERE n_members > 1 ORDER BY event_id"
        ).fetchall()
        return stats, rows

    whole, batched = events(1_000_000), events(7)
    assert whole[0].rejoined > 0 and whole[0].candidates > 7 * 3
    assert whole == batched


def test_a_python_warning_and_its_source_line_are_one_warning_event(
        tmp_path: Path, stores: list[Store]) -> None:
    """Python's warnings module prints a warning as two lines in one write (warnings.formatwarning:
    the location, category and message, then the source line indented by two spaces); Cloud Run's
    stderr splits them into two entries at ERROR. Joined, they are one event at the level the
    warning states; the source line alone read as an error of its own (held-out MW09). A line that
    only follows a warning later, or unindented, stays apart."""
    def line(us: int, text: str) -> str:
        return json.dumps({"insertId": f"w{us}", "timestamp": f"2026-11-03T13:29:34.{us:06d}Z",
                           "severity": "ERROR", "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
                           "resource": {"type": "cloud_run_revision",
                                        "labels": {"service_name": "profile-api"}},
                           "labels": {"instanceId": INSTANCE_A}, "textPayload": text}) + "\n"
    warning = ("/app/profile/cache.py:52: DeprecationWarning: Call to deprecated close. "
               "(Use aclose() instead) -- Deprecated since version 5.0.1.")
    lines = [line(806616, warning), line(806716, "  await self._redis.close()"),
             line(816616, "INFO:     Application shutdown complete."),
             line(900000, "/app/profile/cache.py:60: UserWarning: pool left open"),
             line(990000, "  late line of another write")]
    events = _events(_ndjson(stores, "warning.ndjson", lines, tmp_path))
    joined = [e for e in events if e["n_members"] > 1]
    assert [e["message"] for e in joined] == [f"{warning}\n  await self._redis.close()"]
    assert len(events) == 4
    levels = dict(stores[0].con.execute("SELECT message, severity FROM events").fetchall())
    assert levels[joined[0]["message"]] == "WARNING"
