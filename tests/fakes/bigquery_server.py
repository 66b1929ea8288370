"""A local fake of the BigQuery REST API (and Logging's ``buckets.links.list``) for the real client.

It executes GoogleSQL by transpiling it with sqlglot to DuckDB, over tables shaped like a Log
Analytics ``_AllLogs`` view and like log sink tables (one per log id, day-partitioned on
``timestamp`` or ``_YYYYMMDD`` sharded), built from canonical LogEntry dicts (the samples).

Routes (under ``/bigquery/v2``): ``jobs.insert`` (query jobs, dry runs), ``jobs.get``,
``jobs.getQueryResults``, ``tables.list``, ``tables.get``, ``tabledata.list``; and
``GET /v2/projects/P/locations/L/buckets/B/links`` (Cloud Logging) for link resolution.

Bytes: a dry run and a job report the bytes of the columns the query names, over the rows of the
day partitions the query's TIMESTAMP parameters span (whole tables for shards): BigQuery's on-demand
model, with sizes approximated (strings and JSON by their text length, numbers and times 8 bytes).
A job bills at least 10 MiB, fails with ``bytesBilledLimitExceeded`` above ``maximumBytesBilled``,
and a repeated identical query is a free cache hit when ``useQueryCache`` is on.

    with FakeBigQueryServer() as fake:
        fake.add_log_analytics("netra-staging", "logs", entries)
        fake.add_sink("netra-staging", "sink", entries, sharded=True)
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import sqlglot
from sqlglot import exp

MIB = 1024 * 1024
MIN_BILLED = 10 * MIB
ANON = "_anon"
"""The dataset of query jobs' anonymous destination tables."""

LA_COLUMNS = {
    "timestamp": "TIMESTAMP",
    "receive_timestamp": "TIMESTAMP",
    "log_name": "VARCHAR",
    "log_id": "VARCHAR",
    "severity": "VARCHAR",
    "insert_id": "VARCHAR",
    "trace": "VARCHAR",
    "span_id": "VARCHAR",
    "resource": "STRUCT(type VARCHAR, labels JSON)",
    "labels": "JSON",
    "text_payload": "VARCHAR",
    "json_payload": "JSON",
    "proto_payload": "STRUCT(audit_log JSON)",
    "http_request": "STRUCT(request_method VARCHAR, request_url VARCHAR, status BIGINT, "
    "latency STRUCT(seconds BIGINT, nanos BIGINT), user_agent VARCHAR, remote_ip VARCHAR)",
    "source_location": "STRUCT(file VARCHAR, line BIGINT, function VARCHAR)",
}
"""The `_AllLogs` columns (docs: snake_case, JSON payloads and labels, STRUCT http_request)."""


@dataclass
class Job:
    """One query job and its result."""

    project: str
    job_id: str
    location: str | None
    config: dict[str, Any]
    dry_run: bool
    bytes_processed: int
    bytes_billed: int = 0
    rows_scanned: int = 0
    cache_hit: bool = False
    error: dict[str, str] | None = None
    schema: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)


@dataclass(frozen=True)
class Request:
    """One request the fake received."""

    method: str
    path: str
    body: dict[str, Any]


class FakeBigQueryServer:
    """Serves log tables over the BigQuery REST API, executing GoogleSQL with DuckDB."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self._catalogs: set[str] = set()
        self.tables: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.jobs: dict[str, Job] = {}
        self.links: dict[tuple[str, str, str], str] = {}
        self.requests: list[Request] = []
        self._cache: dict[str, str] = {}
        self.faults: dict[str, tuple[int, str, str]] = {}
        """Path regex -> (HTTP status, reason, message) answered instead of the route."""
        self._lock = threading.RLock()
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-bq-")
        self._server: ThreadingHTTPServer | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeBigQueryServer:
        """Bind 127.0.0.1:0 and serve in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Shut down and forget the tables."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._tmp.cleanup()

    def __enter__(self) -> FakeBigQueryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for ``RCA_BIGQUERY_ENDPOINT`` / ``RCA_LOGGING_ENDPOINT``."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def query_jobs(self, *, dry_run: bool | None = None) -> list[Job]:
        """Jobs received, in order (optionally only dry runs or only real ones)."""
        return [j for j in self.jobs.values() if dry_run is None or j.dry_run == dry_run]

    # ---------------------------------------------------------------- building tables

    def _schema(self, project: str, dataset: str) -> str:
        with self._lock:
            if project not in self._catalogs:
                self.con.execute(f"ATTACH ':memory:' AS {_q(project)}")
                self._catalogs.add(project)
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(project)}.{_q(dataset)}")
        return f"{_q(project)}.{_q(dataset)}"

    def add_log_analytics(
        self,
        project: str,
        dataset: str,
        entries: Iterable[dict[str, Any]],
        *,
        view: str = "_AllLogs",
        link: tuple[str, str] | None = None,
    ) -> None:
        """A linked dataset with a `_AllLogs` view over ``entries``; ``link`` = (location, bucket)."""
        rows = [_la_row(e) for e in entries]
        path = Path(self._tmp.name) / f"{project}.{dataset}.{view}.ndjson"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in LA_COLUMNS.items()) + "}"
        where = self._schema(project, dataset)
        with self._lock:
            self.con.execute(
                f"CREATE OR REPLACE TABLE {where}.{_q(view)} AS "
                f"SELECT * FROM read_json('{path}', format='newline_delimited', columns={columns})"
            )
        self._register(project, dataset, view, kind="VIEW", partition="timestamp")
        if link:
            self.links[(project, link[0], link[1])] = dataset

    def add_sink(
        self, project: str, dataset: str, entries: Iterable[dict[str, Any]], *, sharded: bool = False
    ) -> list[str]:
        """A sink dataset: one table per log id (``_YYYYMMDD`` shards when ``sharded``). Returns names."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for e in entries:
            name = _table_name(e)
            if sharded:
                name += "_" + str(e["timestamp"])[:10].replace("-", "")
            groups.setdefault(name, []).append(_sink_row(e))
        where = self._schema(project, dataset)
        for name, rows in sorted(groups.items()):
            path = Path(self._tmp.name) / f"{project}.{dataset}.{name}.ndjson"
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
            with self._lock:
                self.con.execute(
                    f"CREATE OR REPLACE TABLE {where}.{_q(name)} AS SELECT * REPLACE ("
                    "CAST(timestamp AS TIMESTAMP) AS timestamp, "
                    "CAST(receiveTimestamp AS TIMESTAMP) AS receiveTimestamp) "
                    f"FROM read_json('{path}', format='newline_delimited', sample_size=-1, "
                    "union_by_name=true)"
                )
            self._register(project, dataset, name, kind="TABLE", partition=None if sharded else "timestamp")
        return sorted(groups)

    def _register(self, project: str, dataset: str, name: str, *, kind: str, partition: str | None) -> None:
        ref = f"{_q(project)}.{_q(dataset)}.{_q(name)}"
        with self._lock:
            rel = self.con.sql(f"SELECT * FROM {ref} LIMIT 0")
            schema = [_field(n, t) for n, t in zip(rel.columns, rel.types, strict=True)]
            # Bytes per (day, column), for the on-demand estimate.
            sizes: dict[date, dict[str, int]] = {}
            exprs = ", ".join(f"sum({_size_sql(_q(f['name']), f)})" for f in schema)
            day = "CAST(timestamp AS DATE)" if "timestamp" in rel.columns else "CAST(NULL AS DATE)"
            for row in self.con.execute(
                f"SELECT {day} AS d, count(*), {exprs} FROM {ref} GROUP BY d"
            ).fetchall():
                sizes[row[0]] = {"__rows__": int(row[1])} | {
                    f["name"].lower(): int(v or 0) for f, v in zip(schema, row[2:], strict=True)
                }
        self.tables[(project, dataset, name)] = {
            "schema": schema,
            "type": kind,
            "partition": partition,
            "sizes": sizes,
        }

    # ---------------------------------------------------------------- the API

    def estimate(self, sql: str, params: dict[str, Any]) -> int:
        """Bytes a query processes: named columns of the tables it reads, in the partitions it spans."""
        return self.scan(sql, params)[0]

    def scan(self, sql: str, params: dict[str, Any]) -> tuple[int, int]:
        """(bytes, rows) a query reads: named columns of its tables, in the partitions it spans."""
        tree = sqlglot.parse_one(sql, read="bigquery")
        names = {c.name.lower() for c in tree.find_all(exp.Column)}
        names |= {i.name.lower() for c in tree.find_all(exp.Column) for i in c.find_all(exp.Identifier)}
        times = [v for v in params.values() if isinstance(v, datetime)]
        lo = min(times).date() if times else None
        hi = max(times).date() if times else None
        total = rows = 0
        for t in tree.find_all(exp.Table):
            key = (t.catalog, t.db, t.name)
            info = self.tables.get(key)
            if info is None:
                continue
            for day, cols in info["sizes"].items():
                if info["partition"] and lo is not None and hi is not None and not lo <= day <= hi:
                    continue
                total += sum(v for k, v in cols.items() if k in names)
                rows += cols["__rows__"]
        return total, rows

    def insert_job(self, project: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """jobs.insert for a query job."""
        ref = body.get("jobReference") or {}
        job_id = ref.get("jobId") or uuid.uuid4().hex
        conf = body.get("configuration") or {}
        query = conf.get("query") or {}
        sql = query.get("query", "")
        if query.get("useLegacySql", True) is not False and "useLegacySql" in query:
            return _error(400, "invalid", "legacy SQL is not supported by this fake")
        try:
            params = decode_params(query.get("queryParameters") or [])
            estimate, scanned = self.scan(sql, params)
        except (sqlglot.errors.ParseError, ValueError, KeyError) as exc:
            return _error(400, "invalidQuery", f"Syntax error: {exc}")
        dry = bool(conf.get("dryRun"))
        job = Job(project, job_id, ref.get("location"), conf, dry, estimate, rows_scanned=scanned)
        if not dry:
            key = json.dumps([sql, query.get("queryParameters")], sort_keys=True, default=str)
            cached = query.get("useQueryCache", True) and key in self._cache
            billed = 0 if cached else max(MIN_BILLED, -(-estimate // MIB) * MIB)
            cap = query.get("maximumBytesBilled")
            if cap is not None and billed > int(cap):
                job.error = {
                    "reason": "bytesBilledLimitExceeded",
                    "message": f"Query exceeded limit for bytes billed: {cap}. {billed} or higher required.",
                }
            else:
                # As BigQuery does, the job runs after jobs.insert has answered (RUNNING); the
                # client polls jobs.get / getQueryResults until it is DONE.
                with self._lock:
                    self.jobs[job_id] = job
                threading.Thread(
                    target=self._run_job, args=(job, sql, params, billed, bool(cached), key), daemon=True
                ).start()
                return 200, self.job_resource(job)
        job.done.set()
        with self._lock:
            self.jobs[job_id] = job
        return 200, self.job_resource(job)

    def _run_job(
        self, job: Job, sql: str, params: dict[str, Any], billed: int, cached: bool, key: str
    ) -> None:
        """Execute a query job in the background; its result becomes its destination table."""
        try:
            job.schema, job.rows = self.execute(sql, params, into=(job.project, job.job_id))
        except (duckdb.Error, sqlglot.errors.SqlglotError) as exc:
            job.error = {"reason": "invalidQuery", "message": str(exc).splitlines()[0]}
        else:
            job.bytes_billed = billed
            job.cache_hit = cached
            self._cache[key] = job.job_id
        finally:
            job.done.set()

    def execute(
        self, sql: str, params: dict[str, Any], *, into: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], list[list[Any]]]:
        """Transpile GoogleSQL to DuckDB and run it; the BigQuery schema and the rows.

        ``into`` = (project, job id): the result is also kept as the job's anonymous destination
        table ``project._anon.<job id>``, which later queries may read (as BigQuery's may).
        """
        duck = sqlglot.transpile(sql, read="bigquery", write="duckdb")[0]
        used = {k: v for k, v in params.items() if f"${k}" in duck}
        if into is not None:
            ref = f"{self._schema(into[0], ANON)}.{_q(into[1])}"
            with self._lock:
                self.con.cursor().execute(f"CREATE TABLE {ref} AS {duck}", used)
            self._register(into[0], ANON, into[1], kind="TABLE", partition=None)
            duck, used = f"SELECT * FROM {ref}", {}
        with self._lock:
            cur = self.con.cursor()
            result = cur.execute(duck, used)
            desc = result.description or []
            rows = [list(r) for r in result.fetchall()]
        schema = [_field(d[0], d[1]) for d in desc]
        return schema, rows

    def job_resource(self, job: Job) -> dict[str, Any]:
        """The REST job resource."""
        conf = json.loads(json.dumps(job.config))
        if not job.dry_run:
            conf.setdefault("query", {})["destinationTable"] = {
                "projectId": job.project,
                "datasetId": ANON,
                "tableId": job.job_id,
            }
        stats: dict[str, Any] = {
            "creationTime": "0",
            "startTime": "0",
            "endTime": "0",
            "totalBytesProcessed": str(job.bytes_processed),
            "query": {
                "totalBytesProcessed": str(job.bytes_processed),
                "totalBytesBilled": str(job.bytes_billed),
                "cacheHit": job.cache_hit,
                "statementType": "SELECT",
                "queryPlan": [{"name": "S00: Input", "id": "0", "recordsRead": str(job.rows_scanned),
                               "recordsWritten": str(len(job.rows))}],
            },
        }
        if not job.done.is_set():
            return {
                "kind": "bigquery#job",
                "id": f"{job.project}:{job.location or 'US'}.{job.job_id}",
                "jobReference": self._ref(job),
                "configuration": conf,
                "status": {"state": "RUNNING"},
                "statistics": {"creationTime": "0", "startTime": "0"},
            }
        if not job.dry_run and job.error is None:
            stats["query"]["schema"] = {"fields": job.schema}
        status: dict[str, Any] = {"state": "DONE"}
        if job.error:
            status["errorResult"] = job.error
            status["errors"] = [job.error]
        return {
            "kind": "bigquery#job",
            "id": f"{job.project}:{job.location or 'US'}.{job.job_id}",
            "jobReference": {"projectId": job.project, "jobId": job.job_id, "location": job.location or "US"},
            "configuration": conf,
            "status": status,
            "statistics": stats,
        }

    @staticmethod
    def _ref(job: Job) -> dict[str, str]:
        return {"projectId": job.project, "jobId": job.job_id, "location": job.location or "US"}

    def query_results(self, job: Job, query: dict[str, list[str]]) -> dict[str, Any]:
        """jobs.getQueryResults: one page of rows (after waiting up to ``timeoutMs`` for the job)."""
        wait = int((query.get("timeoutMs") or ["10000"])[0] or 10000) / 1000
        if not job.done.wait(min(wait, 10.0)):
            return {
                "kind": "bigquery#getQueryResultsResponse",
                "jobReference": self._ref(job),
                "jobComplete": False,
            }
        reply: dict[str, Any] = {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": {"projectId": job.project, "jobId": job.job_id, "location": job.location or "US"},
            "jobComplete": True,
            "totalBytesProcessed": str(job.bytes_processed),
            "cacheHit": job.cache_hit,
        }
        if job.error:
            reply["errors"] = [job.error]
            return reply
        reply |= self._page(job, query)
        return reply

    def _page(self, job: Job, query: dict[str, list[str]]) -> dict[str, Any]:
        start = int((query.get("pageToken") or query.get("startIndex") or ["0"])[0])
        size = int((query.get("maxResults") or ["1000"])[0] or 1000)
        size = max(1, min(size, 100_000))
        int64_ts = (query.get("formatOptions.useInt64Timestamp") or ["false"])[0].lower() == "true"
        page = job.rows[start : start + size]
        out: dict[str, Any] = {
            "schema": {"fields": job.schema},
            "totalRows": str(len(job.rows)),
            "rows": [
                {"f": [{"v": _cell(v, f["type"], int64_ts)} for v, f in zip(r, job.schema, strict=True)]}
                for r in page
            ],
        }
        if start + size < len(job.rows):
            out["pageToken"] = str(start + size)
        return out

    def table_resource(self, project: str, dataset: str, name: str) -> dict[str, Any] | None:
        """tables.get."""
        info = self.tables.get((project, dataset, name))
        if info is None:
            return None
        rows = sum(c["__rows__"] for c in info["sizes"].values())
        size = sum(v for c in info["sizes"].values() for k, v in c.items() if k != "__rows__")
        out = {
            "kind": "bigquery#table",
            "id": f"{project}:{dataset}.{name}",
            "tableReference": {"projectId": project, "datasetId": dataset, "tableId": name},
            "schema": {"fields": info["schema"]},
            "type": info["type"],
            "numRows": str(rows),
            "numBytes": str(size),
        }
        if info["partition"] and info["type"] == "TABLE":
            out["timePartitioning"] = {"type": "DAY", "field": info["partition"]}
        return out

    def record(self, method: str, path: str, body: dict[str, Any]) -> None:
        """Remember a request."""
        with self._lock:
            self.requests.append(Request(method, path, body))

    def route(self, method: str, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Dispatch one request."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        self.record(method, path, body)
        for pattern, (code, reason, message) in self.faults.items():
            if re.search(pattern, path):
                return _error(code, reason, message)
        m = re.fullmatch(r"/v2/projects/([^/]+)/locations/([^/]+)/buckets/([^/]+)/links", path)
        if m and method == "GET":
            dataset = self.links.get((m[1], m[2], m[3]))
            links = (
                []
                if dataset is None
                else [
                    {
                        "name": f"projects/{m[1]}/locations/{m[2]}/buckets/{m[3]}/links/{dataset}",
                        "bigqueryDataset": {
                            "datasetId": f"bigquery.googleapis.com/projects/{m[1]}/datasets/{dataset}"
                        },
                    }
                ]
            )
            return 200, {"links": links}
        path = path.removeprefix("/bigquery/v2")
        m = re.fullmatch(r"/projects/([^/]+)/jobs", path)
        if m and method == "POST":
            return self.insert_job(m[1], body)
        m = re.fullmatch(r"/projects/([^/]+)/(jobs|queries)/([^/]+)", path)
        if m and method == "GET":
            job = self.jobs.get(m[3])
            if job is None:
                return _error(404, "notFound", f"Not found: Job {m[1]}:{m[3]}")
            return 200, self.job_resource(job) if m[2] == "jobs" else self.query_results(job, query)
        m = re.fullmatch(r"/projects/([^/]+)/datasets/([^/]+)/tables", path)
        if m and method == "GET":
            names = sorted(n for (p, d, n) in self.tables if (p, d) == (m[1], m[2]))
            if not names:
                return _error(404, "notFound", f"Not found: Dataset {m[1]}:{m[2]}")
            return 200, {
                "kind": "bigquery#tableList",
                "totalItems": len(names),
                "tables": [
                    {
                        "kind": "bigquery#table",
                        "id": f"{m[1]}:{m[2]}.{n}",
                        "type": self.tables[(m[1], m[2], n)]["type"],
                        "tableReference": {"projectId": m[1], "datasetId": m[2], "tableId": n},
                    }
                    for n in names
                ],
            }
        m = re.fullmatch(r"/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)/data", path)
        if m and method == "GET":
            job = self.jobs.get(m[3])
            if job is None:
                return _error(404, "notFound", f"Not found: Table {m[1]}:{m[2]}.{m[3]}")
            job.done.wait()
            return 200, {"kind": "bigquery#tableDataList"} | self._page(job, query)
        m = re.fullmatch(r"/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)", path)
        if m and method == "GET":
            table = self.table_resource(m[1], m[2], m[3])
            if table is None:
                return _error(404, "notFound", f"Not found: Table {m[1]}:{m[2]}.{m[3]}")
            return 200, table
        return _error(404, "notFound", f"no route {method} {path}")


# --------------------------------------------------------------------------- shapes of the samples


def _latency(text: Any) -> dict[str, int] | None:
    if not isinstance(text, str) or not text.endswith("s"):
        return None
    try:
        value = float(text[:-1])
    except ValueError:
        return None
    seconds = int(value)
    return {"seconds": seconds, "nanos": round((value - seconds) * 1e9)}


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m[1].lower(), key)


_OPAQUE = frozenset({"request", "response", "metadata", "serviceData"})


def _snakeize(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(k): (v if k in _OPAQUE else _snakeize(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_snakeize(v) for v in value]
    return value


def _log_id(entry: dict[str, Any]) -> str:
    name = str(entry.get("logName", ""))
    return unquote(name.split("/logs/", 1)[1]) if "/logs/" in name else name


def _la_row(e: dict[str, Any]) -> dict[str, Any]:
    """A canonical entry as an `_AllLogs` row."""
    http = e.get("httpRequest") or {}
    src = e.get("sourceLocation") or {}
    proto = dict(e.get("protoPayload") or {})
    proto.pop("@type", None)
    res = e.get("resource") or {}
    return {
        "timestamp": e.get("timestamp"),
        "receive_timestamp": e.get("receiveTimestamp"),
        "log_name": e.get("logName"),
        "log_id": _log_id(e),
        "severity": e.get("severity"),
        "insert_id": e.get("insertId"),
        "trace": e.get("trace"),
        "span_id": e.get("spanId"),
        "resource": {"type": res.get("type"), "labels": res.get("labels")} if res else None,
        "labels": e.get("labels"),
        "text_payload": e.get("textPayload"),
        "json_payload": e.get("jsonPayload"),
        "proto_payload": {"audit_log": _snakeize(proto)} if proto else None,
        "http_request": {
            "request_method": http.get("requestMethod"),
            "request_url": http.get("requestUrl"),
            "status": http.get("status"),
            "latency": _latency(http.get("latency")),
            "user_agent": http.get("userAgent"),
            "remote_ip": http.get("remoteIp"),
        }
        if http
        else None,
        "source_location": {
            "file": src.get("file"),
            "line": int(src["line"]) if src.get("line") else None,
            "function": src.get("function"),
        }
        if src
        else None,
    }


def _user_key(key: str) -> str:
    """Sink naming of user-supplied fields: lower-cased, odd characters to ``_``, no leading ``_``."""
    return re.sub(r"[^a-z0-9_]", "_", key.lower()).lstrip("_")[:128] or "_"


def _user(value: Any) -> Any:
    if isinstance(value, dict):
        return {_user_key(k): _user(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_user(v) for v in value]
    return value


def _table_name(entry: dict[str, Any]) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", _log_id(entry))


def _sink_row(e: dict[str, Any]) -> dict[str, Any]:
    """A canonical entry as a sink table row (LogEntry names; user fields lower-cased)."""
    row: dict[str, Any] = {}
    for key in (
        "timestamp",
        "receiveTimestamp",
        "logName",
        "severity",
        "insertId",
        "trace",
        "spanId",
        "textPayload",
    ):
        if e.get(key) is not None:
            row[key] = e[key]
    row.setdefault("receiveTimestamp", e.get("timestamp"))
    if e.get("resource"):
        row["resource"] = {
            "type": e["resource"].get("type"),
            "labels": _user(e["resource"].get("labels") or {}),
        }
    if e.get("labels"):
        row["labels"] = _user(e["labels"])
    if isinstance(e.get("jsonPayload"), dict) and e["jsonPayload"]:
        row["jsonPayload"] = _user(e["jsonPayload"])
    if e.get("protoPayload"):
        proto = dict(e["protoPayload"])
        kind = str(proto.pop("@type", "")).rsplit(".", 1)[-1].lower() or "unknown"
        for opaque in ("request", "response", "metadata", "serviceData"):
            if opaque in proto:
                proto[opaque + "Json"] = json.dumps(proto.pop(opaque))
        row[f"protopayload_{kind}"] = proto
    http = e.get("httpRequest")
    if http:
        row["httpRequest"] = {k: v for k, v in http.items() if k != "latency"}
        if _latency(http.get("latency")):
            row["httpRequest"]["latency"] = _latency(http.get("latency"))
    if e.get("sourceLocation"):
        src = dict(e["sourceLocation"])
        if src.get("line") is not None:
            src["line"] = int(src["line"])
        row["sourceLocation"] = src
    return row


# --------------------------------------------------------------------------- encoding


def _field(name: str, duck_type: Any) -> dict[str, Any]:
    """A DuckDB type as a BigQuery schema field."""
    text = str(duck_type)
    ident = getattr(duck_type, "id", "")
    if ident == "struct":
        return {
            "name": name,
            "type": "RECORD",
            "mode": "NULLABLE",
            "fields": [_field(n, t) for n, t in duck_type.children],
        }
    if ident == "list":
        inner = _field(name, duck_type.child)
        return inner | {"mode": "REPEATED"}
    kind = {
        "VARCHAR": "STRING",
        "JSON": "JSON",
        "BIGINT": "INTEGER",
        "INTEGER": "INTEGER",
        "HUGEINT": "INTEGER",
        "SMALLINT": "INTEGER",
        "TINYINT": "INTEGER",
        "UBIGINT": "INTEGER",
        "DOUBLE": "FLOAT",
        "FLOAT": "FLOAT",
        "BOOLEAN": "BOOLEAN",
        "TIMESTAMP": "TIMESTAMP",
        "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
        "DATE": "DATE",
        "NULL": "STRING",
        '"NULL"': "STRING",
    }.get(text, "FLOAT" if text.startswith("DECIMAL") else "STRING")
    return {"name": name, "type": kind, "mode": "NULLABLE"}


def _size_sql(ref: str, f: dict[str, Any]) -> str:
    if f["type"] in ("INTEGER", "FLOAT", "TIMESTAMP", "DATE"):
        return f"CASE WHEN {ref} IS NULL THEN 0 ELSE 8 END"
    if f["type"] == "BOOLEAN":
        return f"CASE WHEN {ref} IS NULL THEN 0 ELSE 1 END"
    return f"coalesce(strlen(CAST({ref} AS VARCHAR)), 0)"


def _cell(value: Any, kind: str, int64_ts: bool) -> Any:
    if value is None:
        return None
    if kind == "TIMESTAMP":
        v = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        micros = int(v.timestamp()) * 1_000_000 + v.microsecond
        return str(micros) if int64_ts else f"{micros / 1e6:.6f}"
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "JSON" and not isinstance(value, str):
        return json.dumps(value)
    return str(value)


def decode_params(raw: list[dict[str, Any]]) -> dict[str, Any]:
    """REST query parameters -> Python values for DuckDB (TIMESTAMP as naive UTC datetime)."""
    out: dict[str, Any] = {}
    for p in raw:
        kind = p["parameterType"]["type"]
        value = p.get("parameterValue", {})
        if kind == "ARRAY":
            inner = p["parameterType"]["arrayType"]["type"]
            out[p["name"]] = [_scalar(v.get("value"), inner) for v in value.get("arrayValues", [])]
        else:
            out[p["name"]] = _scalar(value.get("value"), kind)
    return out


def _scalar(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "TIMESTAMP":
        text = str(value).replace(" ", "T").replace("Z", "+00:00")
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        return parsed
    if kind in ("INT64", "INTEGER"):
        return int(value)
    if kind in ("FLOAT64", "FLOAT"):
        return float(value)
    if kind in ("BOOL", "BOOLEAN"):
        return str(value).lower() == "true"
    return value


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _error(code: int, reason: str, message: str) -> tuple[int, dict[str, Any]]:
    status = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}.get(code, "UNKNOWN")
    return code, {
        "error": {
            "code": code,
            "message": message,
            "status": status,
            "errors": [{"reason": reason, "message": message}],
        }
    }


def _handler_for(fake: FakeBigQueryServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            try:
                status, reply = fake.route(method, self.path, body)
            except Exception as exc:  # a bug in the fake: answer 500 with the reason
                status, reply = (
                    500,
                    {"error": {"code": 500, "message": f"fake: {exc!r}", "status": "INTERNAL"}},
                )
            data = json.dumps(reply, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler
