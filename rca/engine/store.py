"""The DuckDB store: canonical LogEntry JSON in, one normalised `entries` table out.

DuckDB parses JSON in C++ across cores, so a million-entry export never becomes a million
Python objects; the same SQL normalises entries from files, stdin and Cloud Logging, which
keeps one internal model (docs/architecture.md).
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from rca.library.knowledge import load_knowledge
from rca.podnames import DEPLOYMENT_OF_REPLICASET, INDEXED_JOB_OF_POD, REPLICASET_OF_POD
from rca.severity import TEXT_LEVEL_RE2, severity_cases, text_level_cases

# DuckDB holds most of a big run's memory; larger inputs spill to the temp directory. Measured
# (docs/performance.md): at 10M entries 1,000 MB keeps the whole process at 1.87 GB peak RSS
# (1,200 MB: 2.06 GB) with the same report and CPU within the noise; at 1M, 1.04 GB.
DEFAULT_MEMORY_LIMIT = "1000MB"
# Inputs larger than this (bytes of files) are staged in a DuckDB database file in the store's temp
# directory instead of in memory: DuckDB compresses what it writes there (constant, dictionary and
# FSST strings; a busy hour's rows to about a fifth) and reads it back through its buffer pool, so a
# table several times the memory limit is neither held in memory nor spilled uncompressed. Writing
# the compressed file costs about 1.2 CPU-s per million entries, which pays off only once the rows
# outgrow the memory limit (docs/performance.md, twenty-seventh round).
PACK_ABOVE_BYTES = 1_500_000_000
# One LogEntry is at most 256 KiB (512 KiB for audit logs); a larger line takes the checked
# Python path, so DuckDB's reader need not reserve buffers for giant objects.
MAX_OBJECT_BYTES = 16 * 1024 * 1024
# The LogEntry fields an analysis reads, as each reader selects them (typed, one row per entry, in
# source order: `rowid - base + 1` is the entry's ordinal in its source). normalize.sql turns them
# into an `entries` row as they are read, into the `staged` table, which `finalise` makes `entries`
# in place. The whole entry is not kept: the `staging` view re-reads it from the (kept) source
# files when the Python API asks for it.
# (column, type, LogEntry path): the order is the readers' select list.
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("ts", "TIMESTAMP", "$.timestamp"),
    ("severity", "VARCHAR", "$.severity"),
    ("text_payload", "VARCHAR", "$.textPayload"),
    ("log_name", "VARCHAR", "$.logName"),
    ("resource_type", "VARCHAR", "$.resource.type"),
    ("project_id", "VARCHAR", "$.resource.labels.project_id"),
    ("service_name", "VARCHAR", "$.resource.labels.service_name"),
    ("job_name", "VARCHAR", "$.resource.labels.job_name"),
    ("function_name", "VARCHAR", "$.resource.labels.function_name"),
    ("module_id", "VARCHAR", "$.resource.labels.module_id"),
    ("workflow_id", "VARCHAR", "$.resource.labels.workflow_id"),
    ("container_name", "VARCHAR", "$.resource.labels.container_name"),
    ("pod_name", "VARCHAR", "$.resource.labels.pod_name"),
    ("revision_name", "VARCHAR", "$.resource.labels.revision_name"),
    ("version_id", "VARCHAR", "$.resource.labels.version_id"),
    ("location", "VARCHAR", "$.resource.labels.location"),
    ("region", "VARCHAR", "$.resource.labels.region"),
    ("database_id", "VARCHAR", "$.resource.labels.database_id"),
    ("backend_service_name", "VARCHAR", "$.resource.labels.backend_service_name"),
    ("instance_id", "VARCHAR", "$.labels.instanceId"),
    ("trace", "VARCHAR", "$.trace"),
    ("insert_id", "VARCHAR", "$.insertId"),
    ("http_method", "VARCHAR", "$.httpRequest.requestMethod"),
    ("http_url", "VARCHAR", "$.httpRequest.requestUrl"),
    ("http_status", "VARCHAR", "$.httpRequest.status"),
    ("http_latency", "VARCHAR", "$.httpRequest.latency"),
    ("http_user_agent", "VARCHAR", "$.httpRequest.userAgent"),
    ("line", "VARCHAR", "$._line"),
    ("naive", "VARCHAR", "$._naive_ts"),
    ("jp", "JSON", "$.jsonPayload"),
    ("pp", "JSON", "$.protoPayload"),
)
# Drill-down columns: what the Python API's entries frame shows of an entry beyond `entries`. No
# analysis step reads them, so they are not written into `entries` (at 1M entries that write cost
# about 0.25 CPU-s, docs/performance.md): `drill_down` reads them from the entry's own JSON (the
# `staging` view) when a frame is made. (column, type, LogEntry path); `payload` is jsonPayload,
# else protoPayload, as JSON text.
DRILL_DOWN: tuple[tuple[str, str, str], ...] = (
    ("receive_ts", "TIMESTAMP", "$.receiveTimestamp"),
    ("span_id", "VARCHAR", "$.spanId"),
    ("source_file", "VARCHAR", "$.sourceLocation.file"),
    ("source_line", "INTEGER", "$.sourceLocation.line"),
)
# What a reader must stage faithfully: the typed columns, and the paths the frame reads back.
STAGED_PATHS = tuple(path for _, _, path in _FIELDS + DRILL_DOWN)


def _typed_read(fmt: str) -> str:
    """The fields from DuckDB's typed JSON reader: each entry parsed once, only the fields read.

    ``fmt`` is read_json's format: ``newline_delimited`` (NDJSON) or ``array`` (one JSON array).

    An entry of another shape (an object where a string is expected, a duplicate key) makes the
    reader fail as a whole; the caller then takes `_objects_read`, which extracts path by path.
    """
    tree: dict[str, Any] = {}
    for _, sql_type, path in _FIELDS:
        node = tree
        parts = path[2:].split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = "JSON" if sql_type == "JSON" else "VARCHAR"

    def spelled(value: str | dict[str, Any]) -> str:
        if isinstance(value, str):
            return value
        return "STRUCT(" + ", ".join(f'"{k}" {spelled(v)}' for k, v in value.items()) + ")"

    columns = ", ".join(f"'{k}': '{spelled(v)}'" for k, v in tree.items())
    values = []
    for column, sql_type, path in _FIELDS:
        ref = ".".join(f'"{part}"' for part in path[2:].split("."))
        values.append(_typed(ref, sql_type) + f" AS {column}")
    return (
        f"SELECT $source AS source, $base AS base, {', '.join(values)} "
        f"FROM read_json($path, format='{fmt}', maximum_object_size={MAX_OBJECT_BYTES}, "
        f"columns={{{columns}}})"
    )


def _objects_read() -> str:
    """The fields of any JSON shape: each entry read as a JSON value, then each field by its path."""
    paths = ", ".join(f"'{path}'" for _, sql_type, path in _FIELDS if sql_type != "JSON")
    values = []
    i = 0
    for column, sql_type, path in _FIELDS:
        if sql_type == "JSON":
            values.append(f"json_extract(j, '{path}') AS {column}")
        else:
            i += 1
            values.append(_typed(f"v[{i}]", sql_type) + f" AS {column}")
    return (
        f"SELECT $source AS source, $base AS base, {', '.join(values)} FROM ("
        f"SELECT json AS j, json_extract_string(json, [{paths}]) AS v "
        f"FROM read_json_objects($path, format='newline_delimited', maximum_object_size={MAX_OBJECT_BYTES}))"
    )


def _typed(ref: str, sql_type: str) -> str:
    """The column from its JSON text; times become naive UTC.

    Nearly every LogEntry time ends in ``Z``, and DuckDB's plain TIMESTAMP cast reads those the
    same as the TIMESTAMPTZ cast at about half the cost; only a time with an offset or a zone
    name needs the zone-aware cast (the plain one would ignore its offset)."""
    if sql_type != "TIMESTAMP":
        return ref
    return (
        f"CASE WHEN ends_with({ref}, 'Z') THEN try_cast({ref} AS TIMESTAMP) "
        f"ELSE try_cast({ref} AS TIMESTAMPTZ)::TIMESTAMP END"
    )


def drill_down(j: str) -> dict[str, str]:
    """Per drill-down column (`DRILL_DOWN`, and ``payload``), its SQL over the entry's JSON ``j``:
    the value the typed reader and normalize.sql would have given it."""
    out = {}
    for column, sql_type, path in DRILL_DOWN:
        text = f"json_extract_string({j}, '{path}')"
        out[column] = f"try_cast({text} AS INTEGER)" if sql_type == "INTEGER" else _typed(text, sql_type)
    # the typed reader reads a JSON null as SQL NULL; json_extract gives the JSON `null`
    out["payload"] = (f"coalesce(nullif(json_extract({j}, '$.jsonPayload')::VARCHAR, 'null'), "
                      f"nullif(json_extract({j}, '$.protoPayload')::VARCHAR, 'null'))")
    return out


def _no_rows() -> str:
    """The readers' columns, typed, with no row: what `staged` is created from."""
    columns = ", ".join(f"NULL::{sql_type} AS {column}" for column, sql_type, _ in _FIELDS)
    return f"SELECT NULL::VARCHAR AS source, NULL::BIGINT AS base, {columns} WHERE false"


def _level_number(alias: str) -> str:
    """SQL: the severity number of the `level` name of the relation ``alias``."""
    return f"CASE {alias}.level {severity_cases()} ELSE 0 END"


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@functools.cache
def _normalised(rel: str) -> str:
    """normalize.sql over the reader relation ``rel``: rows in `staged`'s shape. (Built on first
    use: the library's knowledge says which requests are monitors' and probes'.)"""
    sql = resources.files("rca.engine").joinpath("normalize.sql").read_text(encoding="utf-8")
    knowledge = load_knowledge()
    return sql.format(rel=f"({rel})", sev_case=severity_cases(), text_level=_literal(TEXT_LEVEL_RE2),
                      checker_agent=_literal(knowledge.checker_agent),
                      checker_path=_literal(knowledge.checker_path),
                      text_level_case=text_level_cases(), replicaset_of_pod=_literal(REPLICASET_OF_POD),
                      indexed_job_of_pod=_literal(INDEXED_JOB_OF_POD),
                      finalise_columns=", ".join(_FINALISE_COLUMNS))


NDJSON, ARRAY = "newline_delimited", "array"  # read_json formats of the files a store reads


def _typed_insert(fmt: str) -> str:
    """The statement staging a file of the read_json format ``fmt`` by the typed reader."""
    return "INSERT INTO staged " + _normalised(_typed_read(fmt))


# finalise's own columns of `staged` (normalize.sql puts them after `severity_num`), dropped when it
# becomes `entries`
_FINALISE_COLUMNS = ("staged_base", "filter_service", "staged_set", "staged_pod", "staged_backend",
                     "level_unstated", "checker_request")
# Which way a source runs (per source, over its rows): 1 when its lines run oldest first, -1 when
# newest first (gcloud exports), told by the sign of corr(line_no, ts). Lines of equal time are
# read in `line_no * direction` order, as printed.
STREAM_DIRECTION = "CASE WHEN corr(line_no::DOUBLE, epoch_us(ts)::DOUBLE) < 0 THEN -1 ELSE 1 END"
# A prefilter of the lines whose text may state a level (RE2, searched): every level word of the
# text reader's grammar, in any case, `level`/`severity` keys, a glog or syslog start. Only the
# line shapes it lets through are read by that grammar (`Store._stated_levels`).
_LEVEL_WORDS_RE2 = (r"(?i:trace|trce|debug|dbug|info|notice|warn|err|crit|fatal|alert|emerg|panic|severe|fail"
                    r"|level|severity)|^[IWEF]\d{4}|^<\d")
# A line states its level near its start (after its time, within the text reader's NEAR_START), so
# lines alike in their first LEVEL_KEY_CHARS characters, digits aside, state the same level: the
# grammar reads one line of each such shape, and a storm of a million `ERROR ... order 4711 failed`
# lines costs one read, not a million. Digits stay where they say the level: a syslog priority
# (`<11>`) and a JSON line's numeric level (pino's `"level":50`).
# Each digit reads as 1, which every date and time field accepts (a month, a day, an hour), so the
# grammar's checks of a line's time pass on the key as on the line.
LEVEL_KEY_CHARS = 200
_LEVEL_KEY = (f"CASE WHEN starts_with(message, '<') OR starts_with(message, '{{') "
              f"THEN left(message, {LEVEL_KEY_CHARS}) "
              f"ELSE regexp_replace(left(message, {LEVEL_KEY_CHARS}), '[0-9]', '1', 'g') END")
# A record's continuation lines, split one per entry, take the level its first line stated: .NET's
# console logger writes `fail: <category>[<event id>]` and then the message and the exception
# indented below it, and Cloud Run logs each line at DEFAULT. Of the text lines logged at no level,
# an indented one takes the level of the nearest line before it in its stream that is not
# indented, when that one stated a level (`_stated_levels`) and came at most RECORD_GAP_US before
# it (one write; a traceback's lines come within 2 s). Lines of equal time keep file order, read
# backwards in a file that runs newest first (as rca/engine/tracebacks.py reads streams).
RECORD_GAP_US = 2_000_000
_RECORD_CONTINUATIONS = """
UPDATE staged SET severity = h.level, severity_num = {number}
FROM (
  SELECT rid, level FROM (
    SELECT rid, indented,
           last_value(CASE WHEN NOT indented THEN severity END IGNORE NULLS) OVER w AS level,
           last_value(CASE WHEN NOT indented THEN epoch_us(ts) END IGNORE NULLS) OVER w AS head_us,
           epoch_us(ts) AS us
    FROM (
      SELECT s.rowid AS rid, s.source, s.log_id, s.instance_id, s.ts, s.severity,
             s.line_no * d.dir AS seq, regexp_matches(s.message, '^[ \t]') AS indented
      FROM staged s JOIN (
        SELECT source, {direction} AS dir FROM staged WHERE level_unstated GROUP BY source) d USING (source)
      WHERE s.level_unstated AND s.ts IS NOT NULL
    )
    WINDOW w AS (PARTITION BY source, log_id, instance_id ORDER BY ts, seq, rid
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  )
  WHERE indented AND level <> 'DEFAULT' AND us - head_us BETWEEN 0 AND {gap_us}
) h
WHERE staged.rowid = h.rid
"""
# The two macros below are CASEs, not ANDs: DuckDB evaluates both sides of an AND in a projection
# or an aggregate's FILTER for every row, so `trim` ran over a million messages to count 95k ERROR
# lines (0.11 CPU-s per count at 1M); a CASE evaluates its THEN only for the rows its WHEN selects.
# Each keeps the AND's NULL for a NULL status or severity, so `NOT request_failed(...)` still keeps
# no row without a status.
# Whether a request failed: a 5xx answer, or the platform's own answer in its place whatever the
# status (`Knowledge.refused_requests`: Cloud Run's 429 when no instance was available). One macro
# on the connection, so every count of failed requests (the verdict, each revision's, the recovery,
# the traces the signals rank first) agrees.
_FAILED_MACRO = (
    "CREATE OR REPLACE TEMP MACRO request_failed(status, text) AS "
    "CASE WHEN status >= 500 THEN TRUE "
    "WHEN status = 429 THEN regexp_matches(coalesce(text, ''), {refused}) "
    "WHEN status IS NOT NULL THEN FALSE END"
)
# Whether an entry is an error: logged at ERROR or above with something to say. A blank line says
# nothing: Cloud Run and GKE log each stderr line at ERROR, the blank ones too (npm's error report
# has one). The verdict's counts of error entries (impact's traffic, the sampled estimates, the
# steady ones set aside) ask this macro, so they agree; the per-revision figures, the recovery's
# failing revisions and the trigger's first failing entry still read `severity_num >= 500`.
# Nor does a logger's prefix with nothing after it: Rails logs an exception (a bot's RoutingError
# 404 too) at FATAL between two blank messages, each a line of Ruby's Logger format `F, [<time>
# #<pid>] FATAL -- <progname>: <message>` (ruby/logger lib/logger/formatter.rb) behind the request's
# tags (`[<request id>] `, ActiveSupport::TaggedLogging), held-out CZ10.
EMPTY_RUBY_LOG_LINE = r"^[DIWEFAU], \[[^\]]*\] +[A-Z]+ -- [^:]*: *(?:\[[^\]]*\] *)*$"
_ERROR_MACRO = (
    "CREATE OR REPLACE TEMP MACRO error_entry(severity_num, text) AS "
    "CASE WHEN severity_num >= 500 THEN trim(coalesce(text, '')) <> '' "
    f"AND NOT regexp_matches(coalesce(text, ''), '{EMPTY_RUBY_LOG_LINE}') "
    "WHEN severity_num IS NOT NULL THEN FALSE END"
)
# A request's class as the chart and the notebook's series name it after `http `: `5xx` etc., and
# `refused` for the platform's refusals under 500 (failed, though their status is no 5xx).
_CLASS_MACRO = (
    "CREATE OR REPLACE TEMP MACRO request_class(status, text) AS "
    "CASE WHEN status < 500 AND request_failed(status, text) THEN 'refused' "
    "ELSE CAST(status // 100 AS VARCHAR) || 'xx' END"
)
# The access-log lines an app or its proxy writes per request. A workload logged without any
# platform request log (GKE behind an ingress whose logs are elsewhere, a VM, a paste) says how its
# requests went only here. Each: an RE2 and the numbers of its method, path and status groups.
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_METHOD = f"({'|'.join(_METHODS)})"
ACCESS_LOGS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    # the NCSA common/combined format of nginx, Apache, gunicorn and Express's morgan, and
    # uvicorn's `"GET /path HTTP/1.1" 503`
    (rf'"{_METHOD} (\S+) HTTP/[0-9.]+" ([1-5][0-9]{{2}})\b', (1, 2, 3)),
    # ASP.NET Core's hosting log: `Request finished HTTP/1.1 GET http://host/path?q - 500 - ...`
    # (dotnet/aspnetcore src/Hosting/Hosting/src/Internal/HostingRequestFinishedLog.cs)
    (rf"Request finished HTTP/[0-9.]+ {_METHOD} [a-z]+://[^/\s]*(/\S*) - ([1-5][0-9]{{2}})\b", (1, 2, 3)),
    # Gin's default logger: `[GIN] 2019/12/25 - 14:22:26 | 200 |  1.02ms |  127.0.0.1 | GET  "/ping"`
    # (gin-gonic/gin logger.go defaultLogFormatter)
    (rf'\[GIN\] [0-9/]+ - [0-9:]+ \| *([1-5][0-9]{{2}}) \|[^|]*\|[^|]*\| *{_METHOD} +"([^"]*)"', (2, 3, 1)),
    # Serilog.AspNetCore's request completion line: `HTTP GET /path responded 500 in 12.3456 ms`
    # (serilog/serilog-aspnetcore RequestLoggingOptions.cs, its default MessageTemplate)
    (rf"\bHTTP {_METHOD} (\S+) responded ([1-5][0-9]{{2}}) in ", (1, 2, 3)),
    # a logfmt request line (Go's slog and logrus, Node's logfmt loggers): method=, then the
    # path as path=, uri= or url=, then status=
    (rf'\bmethod="?{_METHOD}"? (?:.* )?(?:path|uri|url)="?([^" ]+)"? (?:.* )?status="?([1-5][0-9]{{2}})\b',
     (1, 2, 3)),
    # a Go net/http middleware's own line, `log.Printf("%s %s %d %s", r.Method, r.URL.Path, status,
    # time.Since(start))` (the idiom a code search finds verbatim in ten services): `GET /v1/x 200
    # 13.2ms` behind the log package's date, or a prefix of its own (`http: `); the path is the
    # server's (a client logs the host it called) and the duration is Go's (ns, µs, ms, s, 1m2s)
    (rf"(?:^|[\s:\]]){_METHOD} (/\S*) ([1-5][0-9]{{2}}) [0-9][0-9.hm]*(?:ns|µs|us|ms|s)(?:\s|$)", (1, 2, 3)),
    # Express's morgan (expressjs/morgan index.js): `tiny` (`GET /x 503 61 - 12.345 ms`), `short`
    # (with `HTTP/1.1` before the status) and `dev` (`GET /x 503 12.345 ms - 61`, the status in
    # ANSI colour on a terminal, and so written uncoloured by hand in many a custom format)
    (rf"(?:^|[\s:\]]|\x1b\[0m){_METHOD} (/\S*) (?:HTTP/[0-9.]+ )?"
     rf"(?:\x1b\[[0-9;]*m)?([1-5][0-9]{{2}})(?:\x1b\[0m)? (?:[0-9.]+ ms - |[0-9-]+ - [0-9.]+ ms)", (1, 2, 3)),
    # go-chi's middleware.Logger (middleware/logger.go DefaultLogFormatter): `"GET http://host/path
    # HTTP/1.1" from 10.0.0.5:41234 - 200 202B in 34.47ms`, behind the log package's date and the
    # request id
    (rf'"{_METHOD} [a-z]+://[^/\s"]*(/[^\s"]*) HTTP/[0-9.]+" from \S+ - ([1-5][0-9]{{2}}) [0-9]+B in ',
     (1, 2, 3)),
    # Plug.Logger, as Phoenix logs each request (elixir-plug/plug lib/plug/logger.ex): `GET /api/cart`
    # when it comes, then `Sent 200 in 36ms` (`Chunked` for a streamed answer) when it is answered.
    # The answer's line is the request; it names no method or path (its two empty groups), which
    # the line before it with the same request id holds.
    (r"(?:^|[\s\]])()()(?:Sent|Chunked) ([1-5][0-9]{2}) in [0-9.]+(?:µs|ms|s)$", (1, 2, 3)),
    # uWSGI's request log (unbit/uwsgi core/logging.c: `[pid: %d|app: %d|req: %d/%llu] %s (%s) {%d
    # vars in %d bytes} [%s] %s %s => generated %llu bytes in %llu %s%s(%s %d) %d headers in ...`):
    # `... [Tue Sep  3 13:05:00 2024] GET /v1/reverse?lat=1 => generated 489 bytes in 110 msecs
    # (HTTP/1.1 200) 3 headers in 102 bytes (1 switches on core 0)`, msecs or micros (--log-micros)
    (rf"\] {_METHOD} (\S+) => generated [0-9]+ bytes in [0-9]+ (?:msecs|micros)[^(\n]*\(HTTPS?/[0-9.]+ "
     r"([1-5][0-9]{2})\)", (1, 2, 3)),
    # Kemal's LogHandler (kemalcr/kemal src/kemal/log_handler.cr: `Time.utc, status_code, method,
    # resource, elapsed_text`): `2024-06-25 11:17:03 UTC 500 GET /v1/quote?pair=EURUSD 830.96ms`
    (rf"(?:^|\s)([1-5][0-9]{{2}}) {_METHOD} (/\S*) [0-9.]+(?:ms|µs)$", (2, 3, 1)),
    # Crystal's HTTP::LogHandler (crystal-lang/crystal src/http/server/handlers/log_handler.cr:
    # `"#{method} #{resource} - #{status_code} (#{elapsed_text})"`): `GET /v1/x - 500 (830.96ms)`
    (rf"(?:^|\s){_METHOD} (/\S*) - ([1-5][0-9]{{2}}) \([0-9.]+(?:ms|µs|s|m)\)$", (1, 2, 3)),
    # Daphne's access log (django/daphne daphne/access.py write_entry: '%s %s %s [%s] "%s" %s %s', its
    # request "%(method)s %(path)s", no protocol): `10.8.0.1:51234 - - [08/Jul/2025:09:27:10] "GET
    # /healthz" 200 2`
    (rf'\[[0-9]{{2}}/[A-Z][a-z]{{2}}/[0-9]{{4}}:[0-9:]{{8}}\] "{_METHOD} (/[^"\s]*)" ([1-5][0-9]{{2}}) ',
     (1, 2, 3)),
    # HAProxy's HTTP log format (doc/configuration.txt "HTTP log format": `%ci:%cp [%tr] %ft %b/%s
    # %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r`), the status
    # after the five timers and the request last: `10.0.0.7:30861 [06/Nov/2025:11:14:35.882]
    # fe_https~ be_api/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 27/27/0/0/0 0/0 "GET /v1/x HTTP/1.1"`
    (rf'\] \S+ \S+/\S+ [-+0-9]+(?:/[-+0-9]+){{3,4}} ([1-5][0-9]{{2}}) [0-9]+ '
     rf'[^"\n]*"{_METHOD} (\S+) HTTP/[0-9.]+"', (2, 3, 1)),
    # a middleware's own `"%s %s status=%d duration=%s"`, the method, the path, then the status as a
    # key (Go's `log.Printf`, Python's logging and Java's SLF4J request filters, as a code search
    # finds it in many a service): `POST /api/v1/quotes status=502 duration=104ms`
    (rf"(?:^|[\s:\]]){_METHOD} (/\S*) status=([1-5][0-9]{{2}})\b", (1, 2, 3)),
)
# How long an access-log line says its request took, where its format says it: an RE2 whose groups
# are the number and its unit (Go's durations ns, µs, ms, s; or ms), for the verdict's latency
# (`verdict.slow`). gin (`| 200 |  1.02ms |`), Serilog (`responded 200 in 12.3 ms`), the Go
# idiom's `GET /x 200 13.2ms`, morgan's `12.345 ms`, chi's `202B in 34.47ms`, ASP.NET Core's
# hosting line, which ends in its elapsed milliseconds, Plug's `Sent 200 in 36ms`, uWSGI's `in 110
# msecs`, Kemal's and Crystal's `830.96ms`, a middleware's `status=502 duration=104ms`.
ACCESS_LOG_LATENCIES: tuple[str, ...] = (
    r"\| *[1-5][0-9]{2} \| *([0-9.]+)(ns|µs|us|ms|s) *\|",
    r" responded [1-5][0-9]{2} in ([0-9.]+) (ms)\b",
    rf"(?:^|[\s:\]]){_METHOD} /\S* [1-5][0-9]{{2}} ([0-9.]+)(ns|µs|us|ms|s)(?:\s|$)",
    r" [1-5][0-9]{2} (?:HTTP/[0-9.]+ )?(?:[0-9-]+ - )?([0-9.]+) (ms)(?: - |$|\s)",
    r" [1-5][0-9]{2} [0-9]+B in ([0-9.]+)(ns|µs|us|ms|s)\b",
    r"Request finished HTTP/[0-9.]+ .* - [1-5][0-9]{2} .* ([0-9.]+)(ms)$",
    r"(?:Sent|Chunked) [1-5][0-9]{2} in ([0-9.]+)(µs|ms|s)$",
    r"=> generated [0-9]+ bytes in ([0-9]+) (msecs|micros)\b",
    rf"(?:^|\s)[1-5][0-9]{{2}} {_METHOD} /\S* ([0-9.]+)(ms|µs)$",
    rf"(?:^|\s){_METHOD} /\S* - [1-5][0-9]{{2}} \(([0-9.]+)(ms|µs|s)\)$",
    rf"(?:^|[\s:\]]){_METHOD} /\S* status=[1-5][0-9]{{2}} duration=([0-9.]+)(ns|µs|us|ms|s)\b",
)
ACCESS_LOG = "|".join(f"(?:{regex})" for regex, _ in ACCESS_LOGS)  # a line of any of them
# An Istio sidecar logs the calls its pod makes as well as the requests it receives: the
# outbound ones (upstream cluster `outbound|<port>|<subset>|<host>` in its default access-log
# format, https://istio.io/latest/docs/tasks/observability/logs/access-log/) are the pod's own
# calls to others, and counting them would count one user's failed request twice.
OUTBOUND = r" outbound\|[0-9]+\|"
INBOUND = r" inbound\|[0-9]+\|"
# The request lines that request-logging middleware writes as JSON: where the payload keeps the
# method, path and status, the entry's message is only what the line is ("request completed") or
# the payload itself. Each: the payload's key that marks the shape, then the paths of method,
# path and status, then the messages the shape's lines carry (None: any). Paths are the entry's.
JSON_REQUESTS: tuple[tuple[str, tuple[str, str, str], tuple[str, ...] | None], ...] = (
    # pino-http (pinojs/pino-http README and logger.js: "request completed", "request errored",
    # "request aborted", with the serializers' `req.method`, `req.url`, `res.statusCode`) and
    # Fastify (fastify/fastify lib/reply.js logs "request completed" with `res` only: no method)
    ("$.jsonPayload.res.statusCode",
     ("$.jsonPayload.req.method", "$.jsonPayload.req.url", "$.jsonPayload.res.statusCode"),
     ("request completed", "request errored", "request aborted")),
    # Serilog.AspNetCore's request logging (serilog/serilog-aspnetcore RequestLoggingOptions.cs:
    # RequestMethod, RequestPath, StatusCode), as compact JSON writes its properties
    ("$.jsonPayload.RequestPath",
     ("$.jsonPayload.RequestMethod", "$.jsonPayload.RequestPath", "$.jsonPayload.StatusCode"), None),
    # ... and as Serilog's JsonFormatter writes them, under Properties
    ("$.jsonPayload.Properties.RequestPath",
     ("$.jsonPayload.Properties.RequestMethod", "$.jsonPayload.Properties.RequestPath",
      "$.jsonPayload.Properties.StatusCode"), None),
    # Traefik's JSON access log (its "Access Logs" reference lists the fields; a line as users paste
    # it, `{"ClientAddr":...,"DownstreamStatus":207,...,"RequestMethod":"REPORT","RequestPath":
    # "/dav.php/calendars/",...,"level":"info","msg":"",...}`, xavier-hernandez/goaccess-for-
    # nginxproxymanager#108): the status Traefik answered is DownstreamStatus (0 when it wrote none)
    ("$.jsonPayload.DownstreamStatus",
     ("$.jsonPayload.RequestMethod", "$.jsonPayload.RequestPath", "$.jsonPayload.DownstreamStatus"), None),
    # Rust's tracing-subscriber JSON layout keeps an event's fields under `fields` and its span's
    # under `span`: tower-http's TraceLayer logs "finished processing request" with the status
    # (trace/on_response.rs), the method and URI in its "request" span (trace/make_span.rs); a
    # handler of the app's own logs all three as fields
    ("$.jsonPayload.fields.status",
     ("$.jsonPayload.span.method", "$.jsonPayload.span.uri", "$.jsonPayload.fields.status"),
     ("finished processing request",)),
    ("$.jsonPayload.fields.status",
     ("$.jsonPayload.fields.method", "$.jsonPayload.fields.uri", "$.jsonPayload.fields.status"),
     ("request completed", "request finished", "request", "response", "finished processing request")),
    # Rails' lograge, JSON formatter (roidrage/lograge: one line per request with method, path,
    # format, controller, action, status, duration, view, db; GitLab's production_json.log is it)
    ("$.jsonPayload.controller",
     ("$.jsonPayload.method", "$.jsonPayload.path", "$.jsonPayload.status"), None),
    # Echo's logger middleware (labstack/echo middleware/logger.go DefaultLoggerConfig, and its
    # guide's sample output: `{"time":...,"remote_ip":"::1","method":"GET","uri":"/","status":200,...}`)
    ("$.jsonPayload.remote_ip",
     ("$.jsonPayload.method", "$.jsonPayload.uri", "$.jsonPayload.status"), None),
    # a Go middleware's zap (or slog) line, `log.Info("request", zap.String("method", ...),
    # zap.String("path", ...), zap.Int("status", ...))` (gofiber and net/http middlewares a code
    # search finds), or said done, `l.Info("Request completed", zap.String("method", r.Method),
    # zap.String("path", r.URL.Path), zap.Int("status", ww.Status()), ...)` (cocov's chi
    # middleware; slog's `{"msg":"request completed","method":"GET","path":"/users",...}`), and the
    # same with the path as `url`. A middleware that words its 5xx lines apart ("request failed",
    # at warn or error) writes them in the same shape: leaving them out counted the successes
    # alone (blind set QF03). Only with a path: a client's "request failed" names the URL it called.
    ("$.jsonPayload.path", ("$.jsonPayload.method", "$.jsonPayload.path", "$.jsonPayload.status"),
     ("request", "Request", "http request", "HTTP request", "request completed", "Request completed",
      "request failed", "Request failed")),
    ("$.jsonPayload.url", ("$.jsonPayload.method", "$.jsonPayload.url", "$.jsonPayload.status"),
     ("request", "Request", "http request", "HTTP request", "request completed", "Request completed")),
)

def _named_request(messages: tuple[str, ...]) -> str:
    """RE2 for a shape's request messages said of something the application names first
    ("quote request completed" for "request completed"): the multi-word messages, after a word."""
    said = "|".join(re.escape(m) for m in messages if " " in m)
    return rf"^[\w-]+ (?:{said})$" if said else "^$."


# Cloud Functions (1st gen) logs one line per execution, whatever triggered it: "Function execution
# took 231 ms, finished with status: 'ok'" ('crash', 'timeout', 'error', 'connection error', 'load
# timeout' when it failed), an HTTP function "... finished with status code: 200" (the patterns of
# patterns/functions/ cite where each is printed). With no request log they are the outcomes of
# its work, as an access log's lines are a server's: 'ok' is served, any other word failed.
FUNCTION_EXECUTION = (r"Function execution took \d+ ms, finished with status(?: code)?: ?"
                      r"(?:'([a-z ]+)'|([1-5][0-9]{2}))")
_REQUESTS_FROM_FUNCTION_EXECUTIONS = """
UPDATE entries SET http_status = CASE
    WHEN regexp_extract(message, $re, 2) <> '' THEN CAST(regexp_extract(message, $re, 2) AS INTEGER)
    WHEN regexp_extract(message, $re, 1) = 'ok' THEN 200 ELSE 500 END
WHERE http_status IS NULL AND regexp_matches(message, $re)
"""
# Daphne logs a WebSocket's handshake as it ends (daphne/access.py): "WSCONNECT <path>" accepted (101
# Switching Protocols), "WSREJECT <path>" refused by the application, which Daphne answers 403
# (daphne/ws_protocol.py serverReject: `ConnectionDeny(code=403, reason="Access denied")`); "WSCONNECTING"
# and "WSDISCONNECT" are the same connection's start and end, no request of their own. A chat
# service's sockets are its traffic: without them a Channels app that logs no HTTP but its probes
# logs no request at all (held-out LE09).
DAPHNE_HANDSHAKE = r'\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8}\] "(WSCONNECT|WSREJECT) (/[^"\s]*)" - -'
_REQUESTS_FROM_DAPHNE_HANDSHAKES = """
UPDATE entries SET http_method = 'GET', http_url = regexp_extract(message, $re, 2),
                   http_status = CASE regexp_extract(message, $re, 1) WHEN 'WSCONNECT' THEN 101 ELSE 403 END
WHERE http_status IS NULL AND regexp_matches(message, $re)
"""
_LATENCY_FROM_ACCESS_LOGS = """
UPDATE entries
SET http_latency_s = CAST(regexp_extract(message, $re, 1) AS DOUBLE) * CASE regexp_extract(message, $re, 2)
    WHEN 'ns' THEN 1e-9 WHEN 'µs' THEN 1e-6 WHEN 'us' THEN 1e-6 WHEN 'micros' THEN 1e-6
    WHEN 'ms' THEN 1e-3 WHEN 'msecs' THEN 1e-3 ELSE 1 END
WHERE http_status IS NOT NULL AND http_latency_s IS NULL AND regexp_matches(message, $re)
  AND try_cast(regexp_extract(message, $re, 1) AS DOUBLE) IS NOT NULL
"""
# A request answered well, read from a line no time was found for, in an input whose other entries
# carry times, cannot be placed in the window, so it is no sign the service served then: a pasted
# `docker run` of the image, before it was deployed, answered a local test 202 (held-out DE08). A
# failed one is kept: something failed, whenever it was. An input with no time at all keeps all.
_UNTIMED_REQUESTS = (
    "UPDATE entries SET http_status = NULL, http_latency_s = NULL "
    "WHERE http_status IS NOT NULL AND ts IS NULL AND NOT request_failed(http_status, message) "
    "AND EXISTS (SELECT 1 FROM entries WHERE ts IS NOT NULL)"
)
# A pasted host's lines are its service's when the host is named for it (a VM `claims-api`, a
# managed instance group's `claims-api-x7k2`): a unit's ExecStartPre script, nginx in front of it
# and the host's daemons write under their own names. Its parameters: `host_named_for`.
HOST_NAMED_FOR = "(resource_type = 'local' AND (instance_id = ? OR starts_with(instance_id, ?)))"
# A load balancer a GKE Ingress or Gateway made names each backend service for the Kubernetes
# Service behind it: `k8s1-<cluster>-<namespace>-<service>-<port>-<hash>` (ingress-gce's NEG
# backends), `gkegw1-...` (the Gateway controller's), the namespace and name cut short when long.
GKE_BACKEND = r"^(?:k8s1|gkegw1)-[0-9a-z]+-"


def host_named_for(service: str) -> list[str]:
    """The parameters of `HOST_NAMED_FOR` for ``service``."""
    return [service, f"{service}-"]


_REQUESTS_FROM_ACCESS_LOGS = """
UPDATE entries SET http_method = nullif(regexp_extract(message, $re, $m), ''),
                   http_url = nullif(regexp_extract(message, $re, $p), ''),
                   http_status = CAST(regexp_extract(message, $re, $s) AS INTEGER)
WHERE http_status IS NULL AND regexp_matches(message, $re) AND NOT regexp_matches(message, $hc)
  AND NOT (regexp_matches(message, $outbound) AND NOT regexp_matches(message, $to_service))
"""
# nginx's error-log line for a request it answered itself because its upstream did not: connecting
# to it, sending it the request or reading its response header failed (ngx_http_upstream.c:
# "connect() failed (111: Connection refused)", "upstream prematurely closed connection",
# "upstream timed out (110: Connection timed out)", "no live upstreams"), each naming the request
# as ngx_http_log_error does (`, client: ..., server: ..., request: "GET /path HTTP/1.1"`). nginx
# answers 504 for a timeout and 502 for the rest (ngx_http_upstream_next). Where its access log is
# not in the input (a paste of its error.log beside the app's own access lines, which never logged
# the requests a killed worker held: held-out GD09), the line is the only record of a failed
# request; where it is, the access line of the same path within `PROXY_FAILURE_SAME_S` is the count.
# Groups: the timeout's words (empty for a 502), the method, the path.
PROXY_FAILURE = (r"\[(?:error|crit|alert)\] [0-9]+#[0-9]+: \*[0-9]+ (upstream timed out)?[^\n]*? while "
                 r"(?:connecting to|sending request to|reading response header from|SSL handshaking to) "
                 rf'upstream, client: [^,\n]*, server: [^,\n]*, request: "{_METHOD} (\S+) HTTP/[0-9.]+"')
PROXY_FAILURE_SAME_S = 2
_REQUESTS_FROM_PROXY_FAILURES = """
UPDATE entries SET http_method = regexp_extract(message, $re, 2), http_url = regexp_extract(message, $re, 3),
                   http_status = CASE WHEN regexp_extract(message, $re, 1) = '' THEN 502 ELSE 504 END
WHERE http_status IS NULL AND regexp_matches(message, $re)
  AND NOT EXISTS (
    SELECT 1 FROM entries a
    WHERE a.http_status >= 500 AND a.http_url = regexp_extract(entries.message, $re, 3)
      AND a.ts BETWEEN entries.ts - to_seconds($same) AND entries.ts + to_seconds($same))
"""
# An Envoy sidecar's access-log line (Istio's default format: '"METHOD PATH PROTO" CODE FLAGS DETAILS')
# for a request the proxy answered itself because no upstream answered: it could not connect (UF),
# had no healthy host (UH), ran out of retries (URX), timed out (UT) or was overflowing (UO); not
# one it found no route for (NR: a 404 for a host or path the mesh does not serve, the caller's
# business, as a scanner's probes are). A gRPC call gets that answer as trailers with the HTTP status 200 and
# grpc-status UNAVAILABLE, which gRPC's HTTP mapping equates with 503 (grpc/grpc doc/http-grpc-
# status-mapping.md); it is counted so, as the failure it is (blind set 2A10: every call to a pod
# whose app listened on another port logged "200 UF" and read as served).
ENVOY_LOCAL_FAILURE = r'" [1-5][0-9]{2} (?:UF|UH|URX|UT|UO)(?:,[A-Z]+)* '
# A GKE pod's workload: its revision (the ReplicaSet `<deployment>-<pod-template-hash>`, read from
# the pod's name by normalize.sql) less the hash, the name `kubectl get deployments` shows.
K8S_WORKLOAD = f"nullif(regexp_extract(revision, '{DEPLOYMENT_OF_REPLICASET}', 1), '')"
# ingress-nginx's access log names the Service each request went to in $proxy_upstream_name,
# "[<namespace>-<service>-<port>]" after the request time (its default log-format-upstream,
# kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/): a controller's
# lines naming the service are its requests as its load balancer logged them (blind set 1F09: a
# JVM starved by its heap timed out behind the ingress, which alone logged the 504s).
INGRESS_UPSTREAM = (r'" [1-5][0-9]{{2}} [0-9]+ "[^"]*" "[^"]*" [0-9]+ [0-9.]+ '
                    r'\[[a-z0-9][a-z0-9-]*-{service}-[0-9]+\]')
# Traefik's access log in its common format names the router each request took, after the request
# count: `... "okhttp/4.12.0" 184287 "quotes-quote-service-api@kubernetescrd" "http://10.8.2.14:8080"
# 1ms` (traefik/traefik pkg/middlewares/accesslog/logger_formatters.go: RouterName, ServiceURL,
# Duration). A Kubernetes provider's router is named for the Ingress or IngressRoute, which is
# named for the service it routes to: a router whose name holds the service's is its front door
# (held-out IG07: a new image listened on 3000, every request a Traefik 502, the pods silent).
TRAEFIK_ROUTER = (r'" [1-5][0-9]{{2}} [0-9-]+ "[^"]*" "[^"]*" [0-9]+ '
                  r'"(?:[a-z0-9-]*-)?{service}(?:-[a-z0-9-]*)?@[a-z]+" "[^"]*" [0-9]+ms')
# nginx's limit_req and limit_conn modules log each request they reject, naming the zone
# ("limiting requests, excess: 20.520 by zone \"<zone>\"", ngx_http_limit_req_module.c), and
# ingress-nginx names an Ingress's limit-rps/limit-rpm/limit-connections zone after it
# (`<namespace>_<ingress>_<uid>_rps`): a zone of an Ingress named for the service is its front
# door's refusal of its callers, which the controller alone logged (held-out IX09).
INGRESS_LIMIT = (r'limiting (?:requests, excess: [0-9.]+ |connections )by zone '
                 r'"[a-z0-9-]+_(?:[a-z0-9-]*-)?{service}(?:-[a-z0-9-]*)?_[0-9a-f-]+_(?:rps|rpm|conn)"')
# An Istio ingress gateway's Envoy logs each request it routes in Istio's default access-log format
# (istio.io/latest/docs/tasks/observability/logs/access-log/: `... "%UPSTREAM_HOST%"
# %UPSTREAM_CLUSTER% ...`), the upstream cluster of a mesh Service being
# `outbound|<port>|<subset>|<service>.<namespace>.svc.cluster.local`: a gateway's line whose cluster
# is the service's is a user's request to it, which the gateway alone may have logged (held-out
# TT10: four minutes of 503 UC at the gateway, the app's pods silent, read as no request at all).
ISTIO_UPSTREAM = r'" outbound\|[0-9]+\|[^|\s]*\|{service}\.[a-z0-9-]+\.svc\.cluster\.local '
# The front doors' access lines that name the service as where a request went: its requests as
# the proxy in front logged them, kept with the service's entries whoever wrote them.
FRONT_DOOR = "|".join(f"(?:{door})" for door in (INGRESS_UPSTREAM, TRAEFIK_ROUTER, INGRESS_LIMIT,
                                                  ISTIO_UPSTREAM))
# The upstream addresses an ingress-nginx access line names ($upstream_addr after the two upstream
# names: "10.8.4.21:8443, 10.8.3.77:8443" when it tried two pods): the service's pods, where its
# line names the service (`INGRESS_UPSTREAM`). Group 1: the list.
INGRESS_ADDRESSES = (r"\[[a-z0-9][a-z0-9-]*-{service}-[0-9]+\] \[[^\]]*\] "
                     r"((?:\[?[0-9a-fA-F.:]+\]?:[0-9]+)(?:, \[?[0-9a-fA-F.:]+\]?:[0-9]+)*) ")
# nginx's error-log line about a request it proxied names the upstream it was talking to
# (ngx_http_upstream.c's log handler: `..., request: "GET /x HTTP/1.1", upstream:
# "https://10.8.4.21:8443/x", host: ...`): where that is one of the service's pods, the line is why
# its front door failed its request (an expired certificate, a TLS handshake to a plain-HTTP port),
# though it names no service (held-out IX02, IX07). {addresses}: an alternation of escaped ones.
UPSTREAM_ERROR = (r'\[(?:warn|error|crit|alert|emerg)\] [0-9]+#[0-9]+: \*[0-9]+ [^\n]*, upstream: '
                  r'"[a-z]+://(?:{addresses})[/"]')
# At most this many pod addresses go into one regex (a busy ingress over a day's rollouts).
UPSTREAM_ADDRESSES_MAX = 256
# Checks alone (no user's request) stay requests when this many of them failed: then they are all
# that says how the service fares (a revision whose start-up probe fails every time). One failed
# check is a moment, an instance killed mid-check (a worker's memory kill, blind set 4A06), as a
# quiet of that length says nothing of recovery (`verdict.RECOVERY_EVIDENCE`, three).
FAILED_CHECKS = 3
# When finalise has dropped more than this share of the rows (a day's export analysed for an hour),
# the kept rows are copied into a compact `entries`: deleted rows would otherwise hold their memory.
COMPACT_ABOVE = 0.25


@dataclass
class StoreStats:
    """What loading did, for the coverage section of the report."""

    read: int = 0
    duplicates: int = 0
    outside_window: int = 0
    filtered_service: int = 0
    naive_timestamps: int = 0
    access_log_requests: int = 0  # requests read from access-log lines, in an input with no request log
    # monitors' and probes' requests in the window, all answered, in an input that logs no other request:
    # not counted as requests (`Store._checker_requests`)
    checker_requests: int = 0
    service_components: tuple[str, ...] = ()  # the services --service stood for (`Store._components`)
    by_source: dict[str, int] = field(default_factory=dict)


class Store:
    """A DuckDB connection holding the `staged` entries, normalised as read, which `finalise`
    makes the `entries` table."""

    def __init__(self, input_bytes: int = 0) -> None:
        """``input_bytes``: the size of the files to be read, when known: above `PACK_ABOVE_BYTES`
        the rows are staged in a compressed database file (`packed`)."""
        self._checks_only = False  # the request log holds only checks, all answered (`_checker_requests`)
        self._workloads: list[str] = []  # the GKE workloads the service is (`_k8s_workloads`), once kept
        self._service: str | None = None  # the service asked for, once kept (`finalise`)
        self._tmp = tempfile.TemporaryDirectory(prefix="rca-")
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone='UTC'")
        # A bounded engine spills big sorts and windows to disk instead of holding them in RAM
        # (benchmarks/load.py measures the peak; RCA_MEMORY_LIMIT overrides).
        self.con.execute(f"SET memory_limit='{os.environ.get('RCA_MEMORY_LIMIT', DEFAULT_MEMORY_LIMIT)}'")
        self.con.execute(f"SET temp_directory='{Path(self._tmp.name) / 'spill'}'")
        self.packed = input_bytes > PACK_ABOVE_BYTES
        if self.packed:
            self.con.execute(f"ATTACH {_literal(str(Path(self._tmp.name) / 'store.duckdb'))} AS packed")
            self.con.execute("USE packed")
        self.con.execute("CREATE TABLE staged AS " + _normalised(_no_rows()))
        self.con.execute(_FAILED_MACRO.format(refused=_literal(load_knowledge().refused_requests)))
        self.con.execute(_CLASS_MACRO)
        self.con.execute(_ERROR_MACRO)
        self.stats = StoreStats()
        # (path, source, format, rows staged before it) of every file staged
        self._files: list[tuple[str, str, str, int]] = []
        self._view()

    @property
    def scratch(self) -> Path:
        """A private directory for spooled input (stdin, unzipped files), removed with the store."""
        return Path(self._tmp.name)

    def close(self) -> None:
        """Release the connection and the spool files."""
        self.con.close()
        self._tmp.cleanup()

    def add_ndjson_file(self, path: Path, source: str) -> int:
        """Load an NDJSON file of canonical entries with DuckDB's own reader; return the count.

        The typed reader parses each entry once and keeps only the fields an analysis reads;
        an entry of an odd shape sends the whole file through the path-by-path reader instead.
        Raises duckdb.Error (or UnicodeDecodeError, see below) when a line is not valid JSON: the
        caller then falls back to the line-checking reader, which reports the bad lines by number.
        """
        before = self._count()
        params = {"source": source, "base": before, "path": str(path)}
        try:
            self.con.execute(_typed_insert(NDJSON), params)
        except (duckdb.Error, UnicodeDecodeError):
            # UnicodeDecodeError: DuckDB's message quoted the offending bytes cut mid-character, and
            # the message itself could not be decoded; the error is the same kind as duckdb.Error.
            self.con.execute("INSERT INTO staged " + _normalised(_objects_read()), params)
        return self._staged(path, source, NDJSON, before)

    def add_json_array_file(self, path: Path, source: str) -> int:
        """Load a file holding one JSON array of canonical entries with the typed reader; return
        the count. An entry's ordinal in the array stands for its line, as in NDJSON.

        Raises duckdb.Error (or UnicodeDecodeError) when the typed reader cannot read the file,
        having staged nothing: the caller's own reader then reads it entry by entry.
        """
        before = self._count()
        self.con.execute(_typed_insert(ARRAY), {"source": source, "base": before, "path": str(path)})
        return self._staged(path, source, ARRAY, before)

    def _staged(self, path: Path, source: str, fmt: str, before: int) -> int:
        """Record a file just staged (for `staging`) and return how many entries it added."""
        if self.packed:
            self.con.execute("CHECKPOINT packed")  # (compress what the file added, free its memory)
        added = self._count() - before
        self.stats.by_source[source] = self.stats.by_source.get(source, 0) + added
        # (the absolute path: the view may be read from another working directory)
        self._files.append((os.path.abspath(path), source, fmt, before))
        self._view()
        return added

    def add_entries(self, entries: Iterable[dict[str, Any]], source: str) -> int:
        """Spool canonical entry dicts (from Python readers) to NDJSON and load them.

        The spool file stays until the store is closed: the `staging` view reads it back.
        """
        spool = Path(self._tmp.name) / f"spool-{len(self._files)}-{abs(hash(source))}.ndjson"
        n = 0
        with spool.open("w", encoding="utf-8") as out:
            for n, entry in enumerate(entries, start=1):
                entry.setdefault("_line", n)
                out.write(_utf8_safe(json.dumps(entry, ensure_ascii=False, default=str)))
                out.write("\n")
        if n:
            self.add_ndjson_file(spool, source)
        else:
            spool.unlink()
        return n

    def _view(self) -> None:
        """`staging` (j JSON, ord BIGINT, source VARCHAR): every staged entry whole, read back on demand;
        ``ord`` is its position among all staged rows (1-based), an entry's `ordinal`.

        Only the Python API's ``raw`` column and error messages use it, so the analysis never
        holds the whole entries in memory.
        """
        parts = [
            f"SELECT json AS j, row_number() OVER () + {base} AS ord, {_literal(source)} AS source "
            f"FROM read_json_objects({_literal(path)}, format='{fmt}', "
            f"maximum_object_size={MAX_OBJECT_BYTES})"
            for path, source, fmt, base in self._files
        ] or ["SELECT NULL::JSON AS j, NULL::BIGINT AS ord, NULL::VARCHAR AS source WHERE false"]
        union = " UNION ALL ".join(f"({p})" for p in parts)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW staging AS {union}")

    def _count(self) -> int:
        return self._scalar("SELECT count(*) FROM staged")

    def newest(self) -> datetime | None:
        """Newest entry time across everything staged (the anchor of --since for files)."""
        row = self.con.execute("SELECT max(ts) FROM staged").fetchone()
        return row[0] if row else None

    def finalise(
        self,
        start: datetime | None,
        end: datetime | None,
        service: str | None,
        baseline_start: datetime | None,
        stated_level: Callable[[str], str | None] | None = None,
    ) -> None:
        """Make the staged rows `entries`: window, service filter, dedupe, stable ids, and with
        ``stated_level`` (a line's text -> the severity it states) the levels of text lines the
        platform logged at none.

        Entries in [baseline_start, start) are kept as the baseline (in_window false); entries
        without a timestamp are kept whatever the window (bare pastes). The rows were normalised as
        they were read, so only the ids are worked out here, on a few narrow columns, and written
        into `staged` in place (an UPDATE of four narrow columns; a copy of the wide rows cost 1.3
        CPU-s at 1M); the rows not kept are deleted, and `staged` is renamed `entries` (in no
        particular row order: readers order by `entry_id`). When most rows were dropped the kept
        ones are copied out instead, so the dropped ones free their memory.
        """
        self._service = service
        kept, kept_params, read, in_windowed, in_kept = self._kept(start, end, service, baseline_start)
        self._number(kept, kept_params, start)
        self.con.execute("DELETE FROM staged WHERE entry_id IS NULL")
        if self._workloads:
            self._front_door_revisions(self._workloads)
        if stated_level is not None:
            self._stated_levels(stated_level)
        self._checker_requests()
        for column in _FINALISE_COLUMNS:
            self.con.execute(f"ALTER TABLE staged DROP COLUMN {column}")
        if read and (read - in_kept) / read > COMPACT_ABOVE:
            self.con.execute("CREATE TABLE entries AS SELECT * FROM staged")
            self.con.execute("DROP TABLE staged")
        else:
            self.con.execute("ALTER TABLE staged RENAME TO entries")
        entries = self._scalar("SELECT count(*) FROM entries")
        self.stats.read = read
        self.stats.outside_window = read - in_windowed
        self.stats.filtered_service = in_windowed - in_kept if service else 0
        self.stats.duplicates = in_kept - entries
        self.stats.naive_timestamps = self._scalar("SELECT count(*) FROM entries WHERE naive_ts")
        self.stats.access_log_requests = self._requests_from_access_logs()
        if self.stats.access_log_requests:
            self._checker_paths()
        self.con.execute(_UNTIMED_REQUESTS)
        if self.stats.access_log_requests:
            # (the health paths' calls and the untimed requests answered well are no longer requests)
            self.stats.access_log_requests = self._scalar(
                "SELECT count(*) FROM entries WHERE http_status IS NOT NULL")

    def _checker_requests(self) -> None:
        """Take the requests of monitoring and probes (`checker_request`: an uptime check, kubelet's
        probe, a load balancer's health check, or any call of a health or metrics path) out of the
        requests when users' requests are there too: a check of /healthz every minute from six
        regions answers 200 while every user's call fails, and counted as traffic it reads a full
        outage of a quiet service as a partial one. When nothing else is there, they stay requests
        only if one of them failed: then they are all that says how the service fares. Checks that
        all succeeded say the server answers, not that the work is done (a Pub/Sub worker whose
        subscriber stopped on a 403 still answers its uptime checks, blind set UH09): such an input
        is one that logs no request, judged by its other entries (`checker_requests`, counted for
        the report). (An access log's lines from probes are never taken as requests,
        `_requests_from_access_logs`; its health paths' are taken out by `_checker_paths`.)
        Monitors and probes are the library's `checkers`."""
        users, failed = self._users_and_failed_checks("staged", "checker_request")
        if not users:
            if failed:
                return
            self._checks_only = self._scalar(  # (a platform's request log: see _requests_from_access_logs)
                "SELECT count(*) FROM staged WHERE checker_request AND resource_type IS DISTINCT FROM 'local'"
            ) > 0
            self.stats.checker_requests = self._scalar(
                "SELECT count(*) FROM staged WHERE checker_request AND in_window")
        self.con.execute("UPDATE staged SET http_status = NULL, http_latency_s = NULL WHERE checker_request")

    def _checker_paths(self) -> None:
        """`_checker_requests` for the requests read from access-log lines, which name no user
        agent (a probe's that do were never taken: `_requests_from_access_logs`): the calls of
        health and metrics paths (`checkers.paths`), while other requests are there or none of
        them failed (`finalise` recounts `access_log_requests` after)."""
        p = {"p": load_knowledge().checker_path}
        # (a request without a URL, a function's execution line, is a user's: no path says it is a check)
        check = "coalesce(regexp_matches(http_url, $p), FALSE)"
        users, failed = self._users_and_failed_checks("entries", check, p)
        if not users:
            if failed:
                return
            self.stats.checker_requests = self._scalar(
                "SELECT count(*) FROM entries WHERE http_status IS NOT NULL AND in_window")
        self.con.execute("UPDATE entries SET http_status = NULL WHERE http_status IS NOT NULL "
                         "AND regexp_matches(http_url, $p)", p)

    def _users_and_failed_checks(
        self, table: str, check: str, params: dict[str, Any] | None = None
    ) -> tuple[bool, bool]:
        """Whether ``table`` holds a user's request (one that is no check: ``check`` false) and
        whether checks failed, `FAILED_CHECKS` of them: what decides if the checks stay requests
        (`_checker_requests`)."""
        users = self._scalar(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE http_status IS NOT NULL "
                             f"AND NOT ({check}) LIMIT 1)", params)
        failed = self._scalar(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE ({check}) "
                              f"AND request_failed(http_status, message) LIMIT {FAILED_CHECKS})", params)
        return bool(users), failed >= FAILED_CHECKS

    def _stated_levels(self, stated_level: Callable[[str], str | None]) -> None:
        """Give each text line the platform logged at no level (`level_unstated`) the level its
        text states, read by ``stated_level`` once per shape (`_LEVEL_KEY`): Cloud Run logs a Java or
        Python app's `... ERROR ...` stdout line at DEFAULT, and a service whose only failure
        signal such lines are is no healthy one. A JSON payload's own level is read the same
        way (normalize.sql), and a pasted copy of the line gets the level from the text reader."""
        keys = [str(k) for (k,) in self.con.execute(
            f"SELECT DISTINCT {_LEVEL_KEY} FROM staged WHERE level_unstated AND regexp_matches(message, ?)",
            [_LEVEL_WORDS_RE2]).fetchall()]
        stated = sorted((k, level) for k in keys if (level := stated_level(k)) is not None)
        if not stated:
            return
        self.con.execute(
            f"""UPDATE staged SET severity = l.level, severity_num = {_level_number('l')}
            FROM (SELECT unnest($k::VARCHAR[]) AS k, unnest($l::VARCHAR[]) AS level) l
            WHERE staged.level_unstated AND {_LEVEL_KEY} = l.k""",
            {"k": [k for k, _ in stated], "l": [level for _, level in stated]})
        self.con.execute(_RECORD_CONTINUATIONS.format(gap_us=RECORD_GAP_US, number=_level_number("h"),
                                                      direction=STREAM_DIRECTION))

    def _requests_from_access_logs(self) -> int:
        """In an input holding no request log at all, take the app's own access-log lines
        (`ACCESS_LOGS`) and a 1st gen function's execution lines (`FUNCTION_EXECUTION`) as its
        requests, status and all, so the verdict can count them; returns how
        many. With any request log present they stay text: the platform's log is the count, and
        the app's lines would count the same requests twice; and so with a platform's request log of
        the checks alone (`_checker_requests`), which the access log would count back in. A paste's
        request lines are an access log themselves: when they are checks alone (uvicorn answering its
        container's health check), the access log of the proxy in front (nginx in the same compose
        paste, blind set 1E07) is the count of the users' requests."""
        if self._checks_only or self._scalar(
                "SELECT count(*) FROM (SELECT 1 FROM entries WHERE http_status IS NOT NULL LIMIT 1)"):
            return 0
        # not users' requests: a monitor's or a probe's (`checkers.agents`), or a sidecar's outbound
        # call, unless it went to the service (`_gateway_requests`)
        checks = {"hc": load_knowledge().checker_agent, "outbound": OUTBOUND,
                  "to_service": self._gateway_requests()}
        for regex, (m, p, status) in ACCESS_LOGS:
            self.con.execute(_REQUESTS_FROM_ACCESS_LOGS, {"re": regex, "m": m, "p": p, "s": status, **checks})
        for regex in ACCESS_LOG_LATENCIES:
            self.con.execute(_LATENCY_FROM_ACCESS_LOGS, {"re": regex})
        self.con.execute("UPDATE entries SET http_status = 503 WHERE http_status < 500 "
                         "AND regexp_matches(message, ?)", [ENVOY_LOCAL_FAILURE])
        self.con.execute(_REQUESTS_FROM_PROXY_FAILURES, {"re": PROXY_FAILURE, "same": PROXY_FAILURE_SAME_S})
        self.con.execute(_REQUESTS_FROM_FUNCTION_EXECUTIONS, {"re": FUNCTION_EXECUTION})
        self.con.execute(_REQUESTS_FROM_DAPHNE_HANDSHAKES, {"re": DAPHNE_HANDSHAKE})
        for marker, paths, messages in JSON_REQUESTS:
            self._requests_from_json(marker, paths, messages)
        return self._scalar("SELECT count(*) FROM entries WHERE http_status IS NOT NULL")

    def _gateway_requests(self) -> str:
        """RE2 of the Envoy lines routed to the service asked for that are its requests (`ISTIO_UPSTREAM`):
        where no sidecar of the input logged a request it received (`inbound|<port>|`), the
        gateway's lines are the only count of them; where one did, those are, and the gateway's
        would count each request twice. Never matching without a service asked for."""
        never = "a^"
        if self._service is None or self._scalar(
                "SELECT count(*) FROM (SELECT 1 FROM entries WHERE http_status IS NULL "
                "AND regexp_matches(message, ?) LIMIT 1)", [INBOUND]):
            return never
        return ISTIO_UPSTREAM.format(service=re.escape(self._service))

    def _requests_from_json(self, marker: str, paths: tuple[str, str, str],
                            messages: tuple[str, ...] | None) -> None:
        """Count one `JSON_REQUESTS` shape's lines as requests. `entries` keeps no payload, so the
        payloads are read back from `staging`; only when some entry's message says it may be one
        (one of ``messages``, else a payload kept whole as the message, naming the marker key). A
        path that is a full URL is no request served: it is the service's own call out."""
        key = marker.rsplit(".", 1)[1]
        params: dict[str, object]
        if messages is not None:
            # (an errored request's line carries its error below the message; an application may
            # name what it serves before the words, "quote request completed", blind set PE02)
            first = "split_part(message, chr(10), 1)"
            may_be = (f"(list_contains($messages, {first}) OR "
                      f"regexp_matches({first}, $named))")
            params = {"messages": list(messages), "named": _named_request(messages)}
            row_may_be, row_params = may_be, params
        else:
            may_be, params = "starts_with(message, '{') AND contains(message, $key)", {"key": f'"{key}"'}
            # (the shape's own lines say whether the input holds it; each line is then known by its
            # payload: a failed request's carries its error, which becomes the message, blind set 9C10)
            row_may_be, row_params = "TRUE", {}
        if not self._scalar(f"SELECT count(*) FROM (SELECT 1 FROM entries WHERE http_status IS NULL "
                            f"AND {may_be} LIMIT 1)", params):
            return
        # (the request line first, as a platform's request log is read, then what the line said: the
        # patterns that read a request by its line, a 401 refusing a caller, read these too)
        self.con.execute(f"""
            UPDATE entries SET http_method = upper(r.method), http_url = r.path, http_status = r.status,
                message = concat_ws(chr(10), concat_ws(' ', upper(r.method), r.path, r.status), message)
            FROM (SELECT ord, json_extract_string(j, $method) AS method,
                         json_extract_string(j, $path) AS path,
                         try_cast(json_extract_string(j, $status) AS INTEGER) AS status
                  FROM staging WHERE json_extract(j, $marker) IS NOT NULL) r
            WHERE entries.ordinal = r.ord AND entries.http_status IS NULL AND {row_may_be}
              AND r.status BETWEEN 100 AND 599
              AND (r.method IS NULL OR list_contains($verbs, upper(r.method)))
              -- a served request's path; a full URL is the service's own call out to another
              AND (r.path IS NULL OR starts_with(r.path, '/'))
            """, {**row_params, "marker": marker, "method": paths[0], "path": paths[1], "status": paths[2],
                  "verbs": list(_METHODS)})

    def _kept(
        self,
        start: datetime | None,
        end: datetime | None,
        service: str | None,
        baseline_start: datetime | None,
    ) -> tuple[str, list[Any], int, int, int]:
        """The condition (and its parameters) of the rows kept, with the counts: rows read, in the
        window (baseline included), and kept."""
        lo = baseline_start or start
        window = ["TRUE"]
        params: list[Any] = []
        if lo is not None:
            # Deploy audit entries are kept however old: "6 revisions deployed today" is context.
            window.append("(ts IS NULL OR ts >= ? OR starts_with(log_id, 'cloudaudit.googleapis.com/'))")
            params.append(_naive(lo))
        if end is not None:
            window.append("(ts IS NULL OR ts <= ?)")
            params.append(_naive(end))
        windowed = " AND ".join(window)
        kept = windowed
        kept_params = list(params)
        if service:
            self.stats.service_components = tuple(self._components(service))
            door = self._front_door(service)
            kept += (f" AND (filter_service IS NULL OR filter_service = ? OR {HOST_NAMED_FOR}"
                     " OR list_contains(?, filter_service) OR CASE WHEN resource_type IN "
                     "('k8s_container', 'k8s_pod', 'gce_instance') THEN regexp_matches(message, ?) END)")
            kept_params += [service, *host_named_for(service), self._pasted_front_doors(service), door]
            backends = self._gke_backends(service)
            if backends:
                kept += " AND (staged_backend IS NULL OR list_contains(?, staged_backend))"
                kept_params.append(backends)
            workloads = self._workloads = self._k8s_workloads(service)
            if workloads:
                # (a pod whose name shows no ReplicaSet is the service's only when named for one of
                # its workloads, a StatefulSet's `<name>-0`: a DaemonSet's `fluentbit-gke-8k2lq` in
                # the same namespace is another workload's, held-out PK05)
                kept += (" AND (resource_type NOT IN ('k8s_container', 'k8s_pod')"
                         f" OR list_contains(?, {K8S_WORKLOAD}) OR ({K8S_WORKLOAD} IS NULL"
                         " AND (staged_pod IS NULL OR regexp_matches(staged_pod, ?)))"
                         " OR regexp_matches(message, ?))")
                named_pods = "^(?:" + "|".join(re.escape(w) for w in workloads) + ")(?:-|$)"
                kept_params += [workloads, named_pods, door]
        counts = self.con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {windowed}), count(*) FILTER (WHERE {kept}) "
            "FROM staged",
            params + kept_params,
        ).fetchone()
        read, in_windowed, in_kept = (int(v) for v in counts) if counts else (0, 0, 0)
        return kept, kept_params, read, in_windowed, in_kept

    def _gke_backends(self, service: str) -> list[str]:
        """The backend services of the input's GKE-made load balancers (`GKE_BACKEND`) that are
        ``service``'s: those whose name holds it between dashes. A load balancer's request log
        names no service, so it is kept for any service asked; but where one of these names the
        service, the requests to the others are other Services' (a project's Ingress routes to
        each of its workloads): counted as the service's, a neighbour's 503s were its own. Empty
        (every request kept) when none names it: the names may be cut short, and a Cloud Run
        service's serverless backend is named by whoever made it."""
        found = self.con.execute(
            "SELECT DISTINCT staged_backend FROM staged WHERE staged_backend IS NOT NULL "
            "AND regexp_matches(staged_backend, ?) ORDER BY 1", [GKE_BACKEND]).fetchall()
        return [str(b) for (b,) in found if f"-{service}-" in str(b)]

    def _front_door_revisions(self, workloads: list[str]) -> None:
        """Another workload's lines kept for the service (its front door's: an ingress controller's
        access and error lines about the service's requests) name that workload's ReplicaSet, which
        is no revision of the service: read as one, the service's own failure on its revision was
        "another version's failure" than the proxy's 502s (held-out PV09: a Node heap exhausted
        behind ingress-nginx). They keep no revision, as a load balancer's requests name none."""
        self.con.execute(
            f"UPDATE staged SET revision = NULL WHERE resource_type IN ('k8s_container', 'k8s_pod') "
            f"AND {K8S_WORKLOAD} IS NOT NULL AND NOT list_contains(?, {K8S_WORKLOAD})", [workloads])

    def _components(self, service: str) -> list[str]:
        """The Kubernetes workloads ``service`` stands for when nothing is called so: those whose
        names begin with it and a dash, which from then on carry it as their service. A Helm release
        `tempo` runs as `tempo-querier`, `tempo-ingester` and more, a namespace `shop` as the
        workload `shop-web`, and a Strimzi Kafka cluster `ledger-kafka` as its broker pods' set
        `ledger-kafka-broker`: the name an engineer types. A pasted unit whose name ends in it and a
        dash before (`uwsgi-geoapi`, `gunicorn-billing`: the server, then the service) too. Empty
        when a service, container or workload has the name itself (it is taken as it is), or none
        begins with it. A Cloud Run service's name is exact (`gcloud run` takes no other): `cart`
        for `cart-api` stays a mistyped name."""
        # (a StatefulSet's pods name it as `staged_set`: Strimzi's `ledger-kafka-broker-0` for the
        # Kafka cluster `ledger-kafka`, held-out MY08)
        names = f"[filter_service, service, {K8S_WORKLOAD}, staged_set]"
        named = f"SELECT count(*) FROM (SELECT 1 FROM staged WHERE list_contains({names}, ?) LIMIT 1)"
        if self._scalar(named, [service]):
            return []
        # a GKE export's pods, or `kubectl logs --prefix` text (each line's instance its pod), or
        # the lines below a pasted `kubectl logs deploy/<workload>` (their service that workload)
        pods = ("(resource_type IN ('k8s_container', 'k8s_pod') "
                "OR (resource_type = 'local' AND (starts_with(coalesce(instance_id, ''), $prefix) "
                "OR starts_with(coalesce(service, ''), $prefix) "
                "OR ends_with(coalesce(service, ''), $suffix))))")
        affixes = {"prefix": f"{service}-", "suffix": f"-{service}"}
        # (and a pasted host's systemd unit named for the server that runs it, then the service:
        # `journalctl -u uwsgi-geoapi` for `geoapi`, held-out LE07)
        found = [str(n) for (n,) in self.con.execute(
            f"SELECT DISTINCT n FROM (SELECT unnest({names}) AS n, resource_type FROM staged WHERE {pods}) "
            "WHERE starts_with(n, $prefix) OR (resource_type = 'local' AND ends_with(n, $suffix)) ORDER BY n",
            affixes).fetchall()]
        if found:
            self.con.execute(
                "UPDATE staged SET service = $s, "
                "filter_service = CASE WHEN filter_service IS NOT NULL THEN $s END "
                f"WHERE {pods} AND list_has_any({names}, $found)",
                {"s": service, "found": found, **affixes})
        return found

    def _front_door(self, service: str) -> str:
        """RE2 of the lines of ``service``'s front door that are the service's: its access lines
        and refusals (`FRONT_DOOR`), and its error lines about a request to one of the pods those
        access lines name (`UPSTREAM_ERROR`)."""
        door = FRONT_DOOR.format(service=re.escape(service))
        found = self.con.execute(
            "SELECT DISTINCT regexp_extract(message, $re, 1) AS a FROM staged "
            "WHERE CASE WHEN resource_type IN ('k8s_container', 'k8s_pod', 'gce_instance') "
            "THEN regexp_matches(message, $re) ELSE false END ORDER BY a",
            {"re": INGRESS_ADDRESSES.format(service=re.escape(service))}).fetchall()
        addresses = sorted({a for (listed,) in found for a in str(listed).split(", ") if a})
        if not addresses:
            return door
        alternation = "|".join(re.escape(a) for a in addresses[:UPSTREAM_ADDRESSES_MAX])
        return f"{door}|(?:{UPSTREAM_ERROR.format(addresses=alternation)})"

    def _pasted_front_doors(self, service: str) -> list[str]:
        """The pasted logs (text, each its workload's) of an ingress controller or proxy that routed
        requests to ``service`` (`FRONT_DOOR`): its front door, whose lines are kept whole.
        Pasted beside the service's own, the controller's log is there for the service: its access
        lines are the service's requests, and its error log says why it answered some itself (an
        upload over its body-size limit refused with 413 before the pods saw it, held-out GY02)."""
        ingress = FRONT_DOOR.format(service=re.escape(service))
        # (the CASE keeps the regex off the rows of exports, which are most rows of a busy hour)
        rows = self.con.execute(
            "SELECT DISTINCT filter_service FROM staged WHERE resource_type = 'local' "
            "AND filter_service IS NOT NULL AND filter_service <> ? "
            "AND CASE WHEN resource_type = 'local' THEN regexp_matches(message, ?) ELSE false END "
            "ORDER BY 1", [service, ingress]).fetchall()
        return [str(name) for (name,) in rows]

    def _k8s_workloads(self, service: str) -> list[str]:
        """The GKE workloads (Deployments, read from their pods' names) that ``service`` names:
        the workloads whose pods run a container of that name, else the workload of that name
        itself, whose entries then carry it as their service (every container of its pods: the
        app and its sidecars). Only their pods' entries are the service's: another workload's in
        the same namespace (a neighbour's crash) is not. A StatefulSet of that name (its pods
        `<name>-<ordinal>`, blind sets 0A05, 0E06) is the service the same way; its pods name no
        Deployment, so the entries kept are not narrowed by one. Empty when nothing says (no pod
        names, or a name no workload has)."""
        k8s = "resource_type IN ('k8s_container', 'k8s_pod')"
        rows = self.con.execute(
            f"SELECT DISTINCT {K8S_WORKLOAD} AS w FROM staged WHERE {k8s} AND service = ? AND w IS NOT NULL "
            "ORDER BY w", [service]).fetchall()
        if rows:
            return [str(w) for (w,) in rows]
        for named in (K8S_WORKLOAD, "staged_set"):
            ours = f"{k8s} AND {named} = ?"
            if self._scalar(f"SELECT count(*) FROM (SELECT 1 FROM staged WHERE {ours} LIMIT 1)", [service]):
                self.con.execute(f"UPDATE staged SET service = ? WHERE {ours}", [service, service])
                return [service]
        return []

    def _number(self, kept: str, kept_params: list[Any], start: datetime | None) -> None:
        """Set `entry_id`, `in_window`, `line_no` and `ordinal` on the kept rows, the first of each
        duplicate (same log, insertId and time; overlapping exports); the others stay NULL.

        `ordinal` is the row's position among all rows staged, which the `staging` view numbers
        alike (`ord`): it finds an entry's own JSON where lines do not (the elements of a one-line
        JSON array all start on line 1; a file given twice has each line twice)."""
        in_window = "TRUE" if start is None else "(ts IS NULL OR ts >= ?)"
        win_params = [] if start is None else [_naive(start)]
        # Duplicates are rare: the window that picks the first of each runs only over the keys
        # that occur more than once, and reads their strings back from `staged` for those rows
        # alone. The rest works on narrow numbers: a source is ordered by its rank among the
        # sorted source names, and a key by its hash (carrying the key strings through the sort
        # of a million rows cost more than the sort). The ids go straight into the UPDATE: a
        # table of them first cost 0.08 CPU-s more at 1M.
        self.con.execute(
            f"""
            UPDATE staged SET entry_id = i.entry_id, in_window = i.in_window, line_no = i.line_no,
                              ordinal = i.ordinal
            FROM (
            WITH k AS (
              SELECT rowid AS rid, ts, r.src, {in_window} AS in_window,
                     rowid + 1 AS ordinal,
                     coalesce(line_no, (rowid - staged_base + 1)::INTEGER) AS line_no,
                     -- an integer is cheaper to group than three columns; a collision only sends
                     -- a few more rows into the exact partition below
                     CASE WHEN insert_id IS NOT NULL THEN hash(log_name, insert_id, ts) END AS h
              FROM staged
              -- (a join to the few names: `list_position` per row cost 0.08 CPU-s at 1M)
              LEFT JOIN (SELECT unnest(names) AS source, unnest(range(1, 1 + len(names))) AS src
                         FROM (SELECT ?::VARCHAR[] AS names)) r USING (source)
              WHERE {kept}
            ), dup_keys AS (
              SELECT h FROM k WHERE h IS NOT NULL GROUP BY h HAVING count(*) > 1
            ), dropped AS (
              SELECT rid FROM (
                SELECT d.rid, row_number() OVER (
                  PARTITION BY s.log_name, s.insert_id, s.ts ORDER BY d.src, d.line_no, d.rid) AS n
                FROM (SELECT rid, src, line_no FROM k SEMI JOIN dup_keys USING (h)) d
                JOIN staged s ON s.rowid = d.rid
              ) WHERE n > 1
            )
            SELECT rid, row_number() OVER (ORDER BY ts NULLS LAST, src, line_no, rid) - 1 AS entry_id,
                   in_window, line_no, ordinal
            FROM k ANTI JOIN dropped USING (rid)
            ) i WHERE staged.rowid = i.rid
            """,
            [*win_params, sorted(self.stats.by_source), *kept_params],
        )

    def set_weights(self, weights: dict[tuple[str, str], float]) -> None:
        """Record that some entries were read as a sample: the entry with (logName, insertId) stands
        for ``weight`` entries (``1/fraction``). Counts that must not shrink with the sample (a
        finding's, the request totals) weigh their rows by `entry_weights`; an entry not in it
        stands for itself. Only a sampled live fetch sets it."""
        self.con.execute("CREATE OR REPLACE TABLE entry_weights (entry_id BIGINT, weight DOUBLE)")
        if not weights:
            return
        keys = sorted(weights)
        self.con.execute(
            "INSERT INTO entry_weights SELECT e.entry_id, k.weight FROM entries e JOIN ("
            "SELECT unnest(?::VARCHAR[]) AS log_name, unnest(?::VARCHAR[]) AS insert_id, "
            "unnest(?::DOUBLE[]) AS weight) k ON k.log_name = e.log_name AND k.insert_id = e.insert_id",
            [[k[0] for k in keys], [k[1] for k in keys], [weights[k] for k in keys]],
        )

    def _scalar(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> int:
        row = self.con.execute(sql, params or []).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def rows(self, sql: str, params: list[Any] | None = None) -> Iterator[tuple[Any, ...]]:
        """Run a query and iterate its rows."""
        yield from self.con.execute(sql, params or []).fetchall()


def _utf8_safe(text: str) -> str:
    """``text`` with lone surrogates (legal in JSON ``\\ud800`` escapes, not in UTF-8) as U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _naive(value: datetime) -> datetime:
    """DuckDB TIMESTAMP columns are naive UTC; strip the zone after converting."""
    if value.tzinfo is None:
        return value
    from datetime import timezone

    return value.astimezone(timezone.utc).replace(tzinfo=None)
