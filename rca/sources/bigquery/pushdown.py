"""The library in GoogleSQL: every pattern's conditions as one scan (groundwork for the push-down).

`library_scan_sql` wraps the window scan (`sql.window_sql`) and adds, per entry, the normaliser's
``message`` (as rca/engine/normalize.sql derives it), ``log_id``, ``severity_num`` and
``pattern_ids``: the ids of the patterns whose conditions the entry meets, exactly as
rca/engine/match.py::pattern_where states them (``any``/``all``/``none`` regexes, log ids, resource
types, HTTP status range, minimum severity). Every regex is a query parameter ``@re_N``.

Not yet used by ``rca analyze``: matching there still runs locally over re-joined events, because
a traceback split over many entries matches only once re-joined, and absence patterns and
``frames: own`` need the events. Tested for agreement with the local engine on single-entry events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rca.model import Pattern
from rca.severity import SEVERITY_NUM, severity_cases
from rca.sources.bigquery.shapes import Table
from rca.sources.bigquery.sql import Param, Query, window_sql

_MESSAGE = r"""
  COALESCE(
    NULLIF(CASE WHEN text_payload IS NOT NULL THEN text_payload ELSE ARRAY_TO_STRING([
      COALESCE(JSON_VALUE(json_payload, '$.message'), JSON_VALUE(json_payload, '$.msg'),
               JSON_VALUE(json_payload, '$.event'),
               IF(JSON_TYPE(JSON_QUERY(PARSE_JSON(json_payload), '$.error')) = 'string',
                  JSON_VALUE(json_payload, '$.error'), NULL),
               JSON_VALUE(json_payload, '$.textPayload')),
      COALESCE(JSON_VALUE(json_payload, '$.exc_info'), JSON_VALUE(json_payload, '$.exception'),
               JSON_VALUE(json_payload, '$.stack_trace'),
               JSON_VALUE(json_payload, '$.stack'))], '\n') END, ''),
    IF(proto_payload IS NOT NULL,
       COALESCE(JSON_VALUE(proto_payload, '$.status.message'), JSON_VALUE(proto_payload, '$.methodName'),
                JSON_VALUE(proto_payload, '$.audit_log.status.message'),
                JSON_VALUE(proto_payload, '$.audit_log.method_name')), NULL),
    IF(http_method IS NOT NULL OR http_status IS NOT NULL,
       ARRAY_TO_STRING([http_method, REGEXP_REPLACE(COALESCE(http_url, ''), @url_origin_re, ''),
                        CAST(http_status AS STRING), CONCAT(CAST(http_latency_s AS STRING), 's')], ' '),
       NULL),
    json_payload,
    '')"""

_SEVERITY = (
    "CASE UPPER(COALESCE(severity, JSON_VALUE(json_payload, '$.severity'),"
    " JSON_VALUE(json_payload, '$.level'), 'DEFAULT')) "
    + severity_cases()
    + f" WHEN 'WARN' THEN {SEVERITY_NUM['WARNING']} WHEN 'ERR' THEN {SEVERITY_NUM['ERROR']}"
    + f" WHEN 'FATAL' THEN {SEVERITY_NUM['CRITICAL']} ELSE 0 END"
)


def _condition(p: Pattern, regex: dict[str, str]) -> str:
    """GoogleSQL for match.py::pattern_where; ``regex`` maps each expression to its parameter."""
    conds: list[str] = []
    if p.match.any:
        conds.append("(" + " OR ".join(f"REGEXP_CONTAINS(message, @{regex[e]})" for e in p.match.any) + ")")
    conds += [f"REGEXP_CONTAINS(message, @{regex[e]})" for e in p.match.all]
    conds += [f"NOT REGEXP_CONTAINS(message, @{regex[e]})" for e in p.match.none]
    if p.match.log_id:
        ids = [x for x in p.match.log_id if not x.endswith("*")]
        prefixes = [x[:-1] for x in p.match.log_id if x.endswith("*")]
        alts = [f"log_id = '{_lit(x)}'" for x in ids]
        alts += [f"STARTS_WITH(COALESCE(log_id, ''), '{_lit(x)}')" for x in prefixes]
        conds.append("(" + " OR ".join(alts) + ")")
    if p.match.resource_type:
        conds.append("resource_type IN (" + ", ".join(f"'{_lit(x)}'" for x in p.match.resource_type) + ")")
    if p.match.http_status is not None:
        lo, hi = p.match.http_status
        conds.append(f"http_status BETWEEN {int(lo)} AND {int(hi)}")
    if p.match.min_severity:
        conds.append(f"severity_num >= {SEVERITY_NUM[p.match.min_severity.upper()]}")
    return " AND ".join(conds) or "FALSE"


def _lit(text: str) -> str:
    """A log id or resource type as a string literal body (library values, not user input)."""
    if any(c in text for c in "'\\\n"):
        raise ValueError(f"unexpected character in a library literal: {text!r}")
    return text


def library_scan_sql(
    tables: Sequence[Table],
    patterns: Sequence[Pattern],
    *,
    service: str | None,
    baseline_start: datetime,
    window_end: datetime,
    audit_start: datetime,
) -> Query:
    """The window scan plus, per entry, the ids of the patterns whose conditions it meets."""
    base = window_sql(
        tables, service=service, baseline_start=baseline_start, window_end=window_end, audit_start=audit_start
    )
    regex: dict[str, str] = {}
    for p in patterns:
        for e in (*p.match.any, *p.match.all, *p.match.none):
            regex.setdefault(e, f"re_{len(regex)}")
    structs = ",\n      ".join(
        f"STRUCT('{_lit(p.id)}' AS id, {_condition(p, regex)} AS hit)" for p in patterns
    )
    sql = f"""SELECT *,
  ARRAY(SELECT s.id FROM UNNEST([
      {structs}
  ]) AS s WHERE s.hit) AS pattern_ids
FROM (
  SELECT *, {_SEVERITY} AS severity_num
  FROM (
    SELECT *,
      {_MESSAGE.strip()} AS message,
      REPLACE(REGEXP_REPLACE(log_name, @log_prefix_re, ''), '%2F', '/') AS log_id
    FROM (
{base.sql.rstrip()}
    )
  )
)
"""
    params = list(base.params)
    params += [
        Param("url_origin_re", "STRING", "^[a-z]+://[^/]*"),
        Param("log_prefix_re", "STRING", "^[^/]+/[^/]+/logs/"),
    ]
    params += [Param(name, "STRING", expr) for expr, name in regex.items()]
    return Query("library-scan", sql, tuple(params))
