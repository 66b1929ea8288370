"""Table layouts of logs in BigQuery, detected from the schema, and the column expressions per layout.

Two layouts exist (see ../shared/docs/bigquery.md §1):

* **Log Analytics** (``_AllLogs`` of a linked dataset): snake_case, ``json_payload``, ``labels`` and
  ``resource.labels`` typed JSON, ``http_request`` and ``source_location`` STRUCTs.
* **Sink tables** (one table per log id, day-partitioned on ``timestamp`` or ``_YYYYMMDD`` sharded):
  LogEntry camelCase names, ``jsonPayload`` a RECORD inferred from the entries (keys lower-cased),
  payloads with ``@type`` in their own columns (``protopayload_auditlog``) with ``requestJson`` /
  ``responseJson`` strings.

Every expression is built only from columns the schema has (a missing one becomes a typed NULL), so
schema drift between tables or days costs a column, never the query. Pure: no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rca.errors import SourceError

LA = "log-analytics"
SINK = "sink"

_SHARD = re.compile(r"^(?P<prefix>.+)_(?P<day>\d{8})$")


@dataclass(frozen=True)
class Column:
    """One schema field: name, BigQuery type (STRING, RECORD, JSON...), mode and sub-fields."""

    name: str
    type: str
    mode: str = "NULLABLE"
    fields: tuple[Column, ...] = ()

    def sub(self, name: str) -> Column | None:
        """The sub-field called ``name`` (case-insensitive, as BigQuery column names are)."""
        for f in self.fields:
            if f.name.lower() == name.lower():
                return f
        return None


def column_from_api(field_: Any) -> Column:
    """A google-cloud-bigquery ``SchemaField`` (or its REST dict) as a `Column`."""
    if isinstance(field_, Mapping):
        subs = tuple(column_from_api(f) for f in field_.get("fields", ()) or ())
        return Column(
            str(field_["name"]),
            str(field_.get("type", "STRING")).upper(),
            str(field_.get("mode") or "NULLABLE").upper(),
            subs,
        )
    subs = tuple(column_from_api(f) for f in (field_.fields or ()))
    return Column(
        str(field_.name), str(field_.field_type).upper(), str(field_.mode or "NULLABLE").upper(), subs
    )


@dataclass(frozen=True)
class Table:
    """One table (or view) to read, with its detected layout."""

    project: str
    dataset: str
    name: str
    columns: tuple[Column, ...]
    kind: str = SINK
    partition_field: str | None = None
    shard_day: date | None = None
    num_bytes: int | None = None
    num_rows: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ref(self) -> str:
        """Fully qualified, back-quoted: ```p.d.t```."""
        return f"`{self.project}.{self.dataset}.{self.name}`"

    @property
    def is_audit(self) -> bool:
        """A sink table of audit logs (deploys), read with the longer look-back."""
        return self.name.lower().startswith("cloudaudit_googleapis_com")

    def col(self, *path: str) -> Column | None:
        """The column at a dotted path (case-insensitive), or None when the schema lacks it."""
        top = next((c for c in self.columns if c.name.lower() == path[0].lower()), None)
        for part in path[1:]:
            if top is None or top.type not in ("RECORD", "STRUCT"):
                return None
            top = top.sub(part)
        return top

    def name_of(self, *path: str) -> str | None:
        """The dotted SQL path with the schema's own spelling, or None."""
        names: list[str] = []
        top = next((c for c in self.columns if c.name.lower() == path[0].lower()), None)
        if top is None:
            return None
        names.append(top.name)
        for part in path[1:]:
            if top.type in ("JSON",):
                return None
            if top.type not in ("RECORD", "STRUCT"):
                return None
            top = top.sub(part)
            if top is None:
                return None
            names.append(top.name)
        return ".".join(names)


def detect_kind(columns: Sequence[Column]) -> str | None:
    """``log-analytics``, ``sink`` or None (not a log table) from the column names."""
    names = {c.name.lower() for c in columns}
    if {"timestamp", "log_name", "severity"} <= names and ({"text_payload", "json_payload"} & names):
        return LA
    if "timestamp" in names and "logname" in names:
        return SINK
    return None


def shard_of(name: str) -> tuple[str, date] | None:
    """``run_googleapis_com_stderr_20250915`` -> (``run_googleapis_com_stderr``, 2025-09-15)."""
    m = _SHARD.match(name)
    if not m:
        return None
    d = m["day"]
    try:
        return m["prefix"], date(int(d[:4]), int(d[4:6]), int(d[6:]))
    except ValueError:
        return None


def pick_tables(tables: Iterable[Table], first_day: date, last_day: date) -> list[Table]:
    """Log tables to read: every partitioned (unsharded) log table, and shards dated in the span."""
    keep = []
    for t in tables:
        if t.kind not in (LA, SINK):
            continue
        if t.shard_day is not None and not first_day <= t.shard_day <= last_day:
            continue
        keep.append(t)
    return sorted(keep, key=lambda t: t.name)


# --------------------------------------------------------------------------- column expressions

OUTPUT = (
    ("shape", "STRING"),
    ("ts", "TIMESTAMP"),
    ("receive_ts", "TIMESTAMP"),
    ("severity", "STRING"),
    ("log_name", "STRING"),
    ("resource_type", "STRING"),
    ("resource_labels", "STRING"),
    ("labels", "STRING"),
    ("text_payload", "STRING"),
    ("json_payload", "STRING"),
    ("proto_payload", "STRING"),
    ("proto_type", "STRING"),
    ("http_method", "STRING"),
    ("http_url", "STRING"),
    ("http_status", "INT64"),
    ("http_latency_s", "FLOAT64"),
    ("http_user_agent", "STRING"),
    ("trace", "STRING"),
    ("span_id", "STRING"),
    ("insert_id", "STRING"),
    ("source_file", "STRING"),
    ("source_line", "INT64"),
)
"""The flat columns every table's SELECT produces (only what the normaliser reads), in order."""


def _null(kind: str) -> str:
    return f"CAST(NULL AS {kind})"


def _json_text(table: Table, *path: str) -> str:
    """A RECORD or JSON column as JSON text, or NULL."""
    name = table.name_of(*path)
    return f"TO_JSON_STRING({name})" if name else _null("STRING")


def _scalar(table: Table, kind: str, *path: str) -> str:
    """A scalar column, cast to ``kind`` when its type differs, or NULL."""
    name = table.name_of(*path)
    if not name:
        return _null(kind)
    col = table.col(*path)
    have = (
        {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}.get(col.type, col.type) if col else kind
    )
    if have == kind:
        return name
    if have in ("RECORD", "STRUCT", "JSON"):
        return (
            f"SAFE_CAST(JSON_VALUE(TO_JSON_STRING({name})) AS {kind})"
            if kind != "STRING"
            else (f"TO_JSON_STRING({name})")
        )
    return f"SAFE_CAST({name} AS {kind})"


def _latency(table: Table, *path: str) -> str:
    """``httpRequest.latency`` in seconds: a {seconds, nanos} RECORD, a ``"0.12s"`` string or a number."""
    col = table.col(*path)
    name = table.name_of(*path)
    if col is None or name is None:
        return _null("FLOAT64")
    if col.type in ("RECORD", "STRUCT"):
        sec_col, nano_col = col.sub("seconds"), col.sub("nanos")
        secs = f"{name}.{sec_col.name}" if sec_col else "0"
        nanos = f"{name}.{nano_col.name}" if nano_col else "0"
        return f"IF({name} IS NULL, NULL, COALESCE({secs}, 0) + COALESCE({nanos}, 0) / 1e9)"
    if col.type == "STRING":
        return f"SAFE_CAST(RTRIM({name}, 's') AS FLOAT64)"
    return f"CAST({name} AS FLOAT64)"


def _proto(table: Table) -> tuple[str, str]:
    """The proto payload as JSON text and its type tag (``auditlog``; ``json`` when stored as JSON)."""
    if table.kind == LA:
        col = table.col("proto_payload")
        if col is None:
            return _null("STRING"), _null("STRING")
        tag = "'json'" if col.type == "JSON" else "'record'"
        return f"TO_JSON_STRING({col.name})", tag
    typed = [c for c in table.columns if c.name.lower().startswith("protopayload_")]
    if typed:
        c = typed[0]
        return f"TO_JSON_STRING({c.name})", f"'{c.name.lower().removeprefix('protopayload_')}'"
    plain = table.col("protoPayload")
    if plain is not None:
        return f"TO_JSON_STRING({plain.name})", "'json'"
    return _null("STRING"), _null("STRING")


def _sink_json_payload(table: Table) -> str:
    """``jsonPayload`` (or a ``jsonpayload_type_*`` column) as JSON text."""
    names = [c.name for c in table.columns if c.name.lower() == "jsonpayload"]
    names += [c.name for c in table.columns if c.name.lower().startswith("jsonpayload_")]
    parts = [f"TO_JSON_STRING({n})" for n in names]
    if not parts:
        return _null("STRING")
    return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"


def select_list(table: Table) -> list[tuple[str, str]]:
    """(expression, output name) for every column of `OUTPUT`, for this table's layout."""
    la = table.kind == LA
    proto, proto_type = _proto(table)

    def p(la_path: str, sink_path: str) -> tuple[str, ...]:
        return tuple((la_path if la else sink_path).split("."))

    exprs = {
        "shape": f"'{table.kind}'",
        "ts": _scalar(table, "TIMESTAMP", "timestamp"),
        "receive_ts": _scalar(table, "TIMESTAMP", *p("receive_timestamp", "receiveTimestamp")),
        "severity": _scalar(table, "STRING", "severity"),
        "log_name": _scalar(table, "STRING", *p("log_name", "logName")),
        "resource_type": _scalar(table, "STRING", "resource", "type"),
        "resource_labels": _json_text(table, "resource", "labels"),
        "labels": _json_text(table, "labels"),
        "text_payload": _scalar(table, "STRING", *p("text_payload", "textPayload")),
        "json_payload": _json_text(table, "json_payload") if la else _sink_json_payload(table),
        "proto_payload": proto,
        "proto_type": proto_type,
        "http_method": _scalar(
            table, "STRING", *p("http_request.request_method", "httpRequest.requestMethod")
        ),
        "http_url": _scalar(table, "STRING", *p("http_request.request_url", "httpRequest.requestUrl")),
        "http_status": _scalar(table, "INT64", *p("http_request.status", "httpRequest.status")),
        "http_latency_s": _latency(table, *p("http_request.latency", "httpRequest.latency")),
        "http_user_agent": _scalar(table, "STRING", *p("http_request.user_agent", "httpRequest.userAgent")),
        "trace": _scalar(table, "STRING", "trace"),
        "span_id": _scalar(table, "STRING", *p("span_id", "spanId")),
        "insert_id": _scalar(table, "STRING", *p("insert_id", "insertId")),
        "source_file": _scalar(table, "STRING", *p("source_location.file", "sourceLocation.file")),
        "source_line": _scalar(table, "INT64", *p("source_location.line", "sourceLocation.line")),
    }
    return [(exprs[name], name) for name, _ in OUTPUT]


def service_expr(table: Table) -> str | None:
    """The service name the normaliser filters on (service_name, job_name, function_name, module_id
    or workflow_id: normalize.sql's `filter_service`), or None if absent."""
    parts = []
    labels = table.col("resource", "labels")
    for key in ("service_name", "job_name", "function_name", "module_id", "workflow_id"):
        if labels is not None and labels.type == "JSON":
            parts.append(f"JSON_VALUE({table.name_of('resource', 'labels')}.{key})")
        else:
            name = table.name_of("resource", "labels", key)
            if name:
                parts.append(name)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"


def log_name_expr(table: Table) -> str:
    """The log name column of this layout."""
    return table.name_of("log_name" if table.kind == LA else "logName") or _null("STRING")


def require_log_table(table: Table) -> Table:
    """``table`` when it has a log layout; else SourceError naming what was expected."""
    if table.kind not in (LA, SINK):
        raise SourceError(
            f"{table.project}.{table.dataset}.{table.name} does not look like a log table "
            "(expected `timestamp` with `logName` for a sink table, or `log_name` and `json_payload` "
            "for a Log Analytics view)"
        )
    return table
