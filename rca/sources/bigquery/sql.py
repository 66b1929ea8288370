"""GoogleSQL builders: pure functions returning ``(sql, params)``.

Regular expressions, times and the service name are query parameters (``@name``), never pasted into
the SQL text: a pattern cannot break the query or inject into it, and the text stays stable for
review (``--sql-out``) and caching. Table and column names come from the schema, back-quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rca.sources.bigquery.shapes import LA, Table, log_name_expr, select_list, service_expr

AUDIT_LOG_RE = r"/logs/cloudaudit\.googleapis\.com"
"""Audit log names (deploys): read with a longer look-back than the window and baseline."""

FUNCTIONS = frozenset(
    {
        "TO_JSON_STRING",
        "JSON_VALUE",
        "SAFE_CAST",
        "CAST",
        "COALESCE",
        "NULLIF",
        "IF",
        "RTRIM",
        "REGEXP_CONTAINS",
        "COUNT",
        "SUM",
        "MIN",
        "MAX",
        "TIMESTAMP_TRUNC",
        "LENGTH",
        # the library scan (pushdown.py)
        "ARRAY_TO_STRING",
        "JSON_TYPE",
        "JSON_QUERY",
        "PARSE_JSON",
        "REGEXP_REPLACE",
        "REPLACE",
        "CONCAT",
        "UPPER",
        "STARTS_WITH",
        "ARRAY",
        "UNNEST",
        "STRUCT",
        # the push-down's flags and follow-ups (pushdown.py)
        "ARRAY_LENGTH",
        "ROW_NUMBER",
    }
)
"""Every function the builders may emit: all exist in GoogleSQL (checked by a test with sqlglot)."""


@dataclass(frozen=True)
class Param:
    """One named query parameter: ``type`` is STRING, INT64, TIMESTAMP or ARRAY<STRING>."""

    name: str
    type: str
    value: Any


@dataclass(frozen=True)
class Query:
    """A named query with its parameters."""

    name: str
    sql: str
    params: tuple[Param, ...]

    def text_with_params(self) -> str:
        """The SQL preceded by its parameters as comments (for --dry-run and --sql-out)."""
        head = [f"-- rca query: {self.name}"]
        for p in self.params:
            value = p.value.isoformat() if isinstance(p.value, datetime) else p.value
            head.append(f"-- @{p.name} {p.type} = {value!r}")
        return "\n".join(head) + "\n" + self.sql.rstrip() + ";\n"


def _table_select(table: Table, service: bool) -> str:
    cols = ",\n  ".join(f"{expr} AS {name}" for expr, name in select_list(table))
    ts = table.name_of("timestamp") or "timestamp"
    if table.kind == LA:
        when = (
            f"{ts} <= @window_end AND ({ts} >= @baseline_start OR "
            f"({ts} >= @audit_start AND REGEXP_CONTAINS({log_name_expr(table)}, @audit_log_re)))"
        )
    elif table.is_audit:
        when = f"{ts} >= @audit_start AND {ts} <= @window_end"
    else:
        when = f"{ts} >= @baseline_start AND {ts} <= @window_end"
    conds = [when]
    svc = service_expr(table) if service else None
    if svc:
        # Entries naming no service (Cloud SQL, audit) are kept, as the file path keeps them.
        conds.append(f"COALESCE(NULLIF({svc}, ''), @service) = @service")
    where = "\n  AND ".join(conds)
    return f"SELECT\n  {cols}\nFROM {table.ref}\nWHERE {where}"


def window_sql(
    tables: Sequence[Table],
    *,
    service: str | None,
    baseline_start: datetime,
    window_end: datetime,
    audit_start: datetime,
) -> Query:
    """The one scan: every entry of the window and the baseline before it (plus audit look-back).

    It reads only the columns the normaliser uses, across every table given (a sink dataset's
    per-log tables and day shards, or one ``_AllLogs`` view), as flat columns in one shape.
    """
    if not tables:
        raise ValueError("no tables to read")
    body = "\nUNION ALL\n".join(_table_select(t, service is not None) for t in tables)
    params = [
        Param("baseline_start", "TIMESTAMP", baseline_start),
        Param("window_end", "TIMESTAMP", window_end),
        Param("audit_start", "TIMESTAMP", audit_start),
    ]
    if any(t.kind == LA for t in tables):
        params.append(Param("audit_log_re", "STRING", AUDIT_LOG_RE))
    if service is not None:
        params.append(Param("service", "STRING", service))
    return Query("window", body + "\n", tuple(params))


def pattern_counts_sql(
    table: Table, regexes: Sequence[str], *, window_start: datetime, window_end: datetime
) -> Query:
    """Per-minute counts of messages matching each regex, over one Log Analytics or sink table.

    The shape of the scheduled rollup docs/scale-out.md describes for the largest fleets (one row
    per minute and regex); each regex is a parameter ``@re_N``.
    """
    msg = _message_expr(table)
    ts = table.name_of("timestamp") or "timestamp"
    sums = ",\n  ".join(
        f"SUM(IF(REGEXP_CONTAINS(msg, @re_{i}), 1, 0)) AS re_{i}" for i in range(len(regexes))
    )
    sql = (
        f"SELECT TIMESTAMP_TRUNC(ts, MINUTE) AS minute,\n  {sums}\n"
        f"FROM (SELECT {ts} AS ts, {msg} AS msg FROM {table.ref}\n"
        f"      WHERE {ts} >= @window_start AND {ts} < @window_end)\n"
        "GROUP BY minute\nORDER BY minute\n"
    )
    params = [Param("window_start", "TIMESTAMP", window_start), Param("window_end", "TIMESTAMP", window_end)]
    params += [Param(f"re_{i}", "STRING", r) for i, r in enumerate(regexes)]
    return Query("pattern-counts", sql, tuple(params))


def _message_expr(table: Table) -> str:
    """The entry's text: textPayload, else jsonPayload.message, else the payload as JSON text."""
    exprs = dict((name, expr) for expr, name in select_list(table))
    parts = [exprs["text_payload"]]
    if table.kind == LA and table.col("json_payload") is not None:
        jp = table.name_of("json_payload")
        parts.append(f"JSON_VALUE({jp}.message)")
    elif table.name_of("jsonPayload", "message"):
        parts.append(f"SAFE_CAST({table.name_of('jsonPayload', 'message')} AS STRING)")
    parts += [exprs["json_payload"], "''"]
    return f"COALESCE({', '.join(parts)})"
