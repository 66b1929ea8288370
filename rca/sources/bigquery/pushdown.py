"""The library in GoogleSQL: one scan that decides, per entry, whether the analysis needs it whole.

`library_scan_sql` wraps the window scan (`sql.window_sql`) and adds, per entry, the normaliser's
``message`` (as rca/engine/normalize.sql derives it), ``log_id``, ``severity_num`` and
``pattern_ids``: the ids of the patterns whose conditions the entry meets, exactly as
rca/engine/match.py::pattern_where states them (``any``/``all``/``none`` regexes, log ids, resource
types, HTTP status range, minimum severity). Every regex is a query parameter ``@re_N``.

`pushdown_scan_sql` is the push-down's one expensive query: on top of that it marks ``keep`` on
every entry the local analysis reads one by one (a pattern hit or any library regex, absence
companions included; traceback-shaped lines and their neighbours in the same stream, so split
tracebacks re-join locally; error-shaped or non-low-severity lines, which the unexplained-signal
miner reads; failing requests; audit entries). Everything else is only ever counted by the
analysis (traffic, revisions, timeline, context), so `collapsed_sql` brings it back as one row
per group of entries the local analysis cannot tell apart (same minute, log, resource, labels,
severity and status), with the group's size and last time. `rows_sql` brings back the kept
entries whole, and the first healthy request after the window's last failure (the verdict's
recovery time, found by `recovery_sql`). All three read the scan's materialised result, never the
log table again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rca.engine.match import prefilter_chunks
from rca.engine.traceback_grammar import CANDIDATE_RE2
from rca.library.knowledge import load_knowledge
from rca.model import Pattern
from rca.severity import SEVERITY_NUM, severity_cases
from rca.sources.bigquery.shapes import OUTPUT, Table
from rca.sources.bigquery.sql import AUDIT_LOG_RE, Param, Query, window_sql

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
  SELECT * REPLACE ({_USERS_ONLY} AS http_status), {_SEVERITY} AS severity_num
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
        *_checker_params(),
    ]
    params += [Param(name, "STRING", expr) for expr, name in regex.items()]
    return Query("library-scan", sql, tuple(params))


# --------------------------------------------------------------------------- the push-down

NEIGHBOURS = 6
"""Entries kept on each side of a traceback-shaped line in its stream: the re-joiner's scan looks
at 4 before and 2 after (rca/engine/tracebacks.py); the margin absorbs equal-time ordering."""

LOW_LEVELS = ("", "DEFAULT", "DEBUG", "INFO", "NOTICE", "TRACE", "FINE", "FINER", "FINEST", "VERBOSE",
              "100", "200", "300", "10", "20", "30")
"""Levels that are certainly below WARNING, however the normaliser reads them; any other level
(WARNING and up, or one it might read as such) keeps the entry whole."""

_LEVEL = (
    "UPPER(COALESCE(NULLIF(UPPER(COALESCE(severity, '')), 'DEFAULT'), JSON_VALUE(json_payload, '$.severity'),"
    " JSON_VALUE(json_payload, '$.level'), JSON_VALUE(json_payload, '$.lvl'), COALESCE(severity, '')))"
)

_INSTANCE = "COALESCE(JSON_VALUE(labels, '$.instanceId'), JSON_VALUE(labels, '$.instanceid'))"
_REVISION = "NULLIF(JSON_VALUE(resource_labels, '$.revision_name'), '')"

# A request a monitor or a probe made, as normalize.sql's `checker_request` tells it: by its user
# agent, or by the health or metrics path it called (the library's `checkers`: `_checker_params`)
CHECKER = ("COALESCE(http_status IS NOT NULL AND (REGEXP_CONTAINS(http_user_agent, @checker_agent_re)"
           " OR REGEXP_CONTAINS(http_url, @checker_path_re)), FALSE)")


def _checker_params() -> tuple[Param, Param]:
    knowledge = load_knowledge()
    return (Param("checker_agent_re", "STRING", knowledge.checker_agent),
            Param("checker_path_re", "STRING", knowledge.checker_path))


# A request's status as the store keeps it: none for a checker's request while users' requests are
# in the scan (`Store._checker_requests`); the request line in `message` still shows it.
_USERS_ONLY = (f"IF({CHECKER} AND COUNT(IF(http_status IS NOT NULL AND NOT {CHECKER}, 1, NULL)) OVER () > 0, "
               "NULL, http_status)")

# Whether a request fetched a static file (rca/reasoning/impact.py `STATIC_FILE` outside an
# `API_PATH`, on the URL's path before its query): the verdict sets those answers aside when it
# judges how much of the service fails now, so a group must not mix them with the service's calls.
STATIC_REQUEST = ("(REGEXP_CONTAINS(COALESCE(http_url, ''), @static_url_re) "
                  "AND NOT REGEXP_CONTAINS(COALESCE(http_url, ''), @api_url_re))")
STATIC_URL_RE = r"^[^?#]*\.[A-Za-z0-9]{1,5}(?:[?#]|$)"
API_URL_RE = r"^(?:[a-z]+://[^/]*)?/(?:api|v[0-9]+)(?:[/?#]|$)"
GROUP_KEY = (
    "in_window", "recent", "TIMESTAMP_TRUNC(ts, MINUTE)", "shape", "log_name", "resource_type",
    "resource_labels", "labels", "severity", "JSON_VALUE(json_payload, '$.severity')",
    "JSON_VALUE(json_payload, '$.level')", "JSON_VALUE(json_payload, '$.lvl')", "http_status", "proto_type",
    CHECKER, STATIC_REQUEST,
)
"""What an entry that is only counted is grouped by: every column the analysis counts or orders
by (the window and its last ten minutes, the minute (a timeline bucket is whole minutes), the log,
the resource and its labels (revision, instance), the severity the normaliser derives, the HTTP
status, whether a monitor made the request, whether it fetched a static file). Entries of one
group are indistinguishable to everything but their message, URL, latency and exact time: no one
reads the message of such an entry, the route of an answered one is read only for a route that
served (`impact._RECENT_ROUTES`, which a group's one URL may credit with its neighbours' answers),
its group's first and last times are kept, and its latency is read only as a share of many
(medians, a slowest quarter: `impact.measure`), for which the group's first stands for the rest,
and which the report states to two figures (`verdict.slowness`)."""


def pushdown_scan_sql(
    tables: Sequence[Table],
    patterns: Sequence[Pattern],
    *,
    service: str | None,
    window_start: datetime,
    recent_start: datetime,
    baseline_start: datetime,
    window_end: datetime,
    audit_start: datetime,
    signal_res: Sequence[str] = (),
) -> Query:
    """The one expensive scan: every entry with its pattern ids and ``keep`` (read it whole).

    ``signal_res`` are the error shapes the unexplained-signal miner reads (rca/mining/signals.py
    passes its own, through the API layer); an entry matching one is kept whole.
    """
    base = library_scan_sql(
        tables, patterns, service=service, baseline_start=baseline_start, window_end=window_end,
        audit_start=audit_start,
    )
    chunks = prefilter_chunks(patterns)
    text_res = [*chunks, *signal_res]
    names = [f"pre_{i}" for i in range(len(chunks))] + [f"sig_{i}" for i in range(len(signal_res))]
    rest = "CONCAT(COALESCE(json_payload, ''), COALESCE(proto_payload, ''))"
    textual = " OR ".join(
        f"REGEXP_CONTAINS(message, @{n}) OR REGEXP_CONTAINS({rest}, @{n})" for n in names
    ) or "FALSE"
    levels = ", ".join(f"'{x}'" for x in LOW_LEVELS)
    sql = f"""SELECT *,
  COALESCE(ARRAY_LENGTH(pattern_ids) > 0 OR textual OR near = 1 OR NOT low_level
   OR http_status >= 500 OR http_status = 429 OR audit OR ts IS NULL OR ts < @baseline_start, FALSE) AS keep
FROM (
  SELECT *,
    MAX(IF(strong, 1, 0)) OVER (
      PARTITION BY log_id, {_INSTANCE}, {_REVISION} ORDER BY ts
      ROWS BETWEEN {NEIGHBOURS} PRECEDING AND {NEIGHBOURS} FOLLOWING) AS near,
    (insert_id IS NOT NULL AND ROW_NUMBER() OVER (
      PARTITION BY log_name, insert_id, ts ORDER BY ts) > 1) AS dup
  FROM (
    SELECT *,
      ts >= @window_start AS in_window,
      ts >= @recent_start AS recent,
      REGEXP_CONTAINS(message, @traceback_re) AS strong,
      ({textual}) AS textual,
      {_LEVEL} IN ({levels}) AS low_level,
      REGEXP_CONTAINS(COALESCE(log_name, ''), @audit_log_re) AS audit
    FROM (
{base.sql.rstrip()}
    )
  )
)
"""
    params = [p for p in base.params if p.name != "audit_log_re"]
    params += [
        Param("window_start", "TIMESTAMP", window_start),
        Param("recent_start", "TIMESTAMP", recent_start),
        Param("traceback_re", "STRING", CANDIDATE_RE2),
        Param("audit_log_re", "STRING", AUDIT_LOG_RE),
    ]
    params += [Param(n, "STRING", r) for n, r in zip(names, text_res, strict=True)]
    return Query("pushdown-scan", sql, tuple(params))


# A failed request, as the analysis's `request_failed` macro (rca/engine/store.py) counts it: a 5xx,
# or the platform's refusal under 500 (`Knowledge.refused_requests`).
_FAILED = ("(http_status >= 500 OR "
           "(http_status = 429 AND REGEXP_CONTAINS(COALESCE(message, ''), @refused_re)))")


def _refused_param() -> Param:
    return Param("refused_re", "STRING", load_knowledge().refused_requests)


def recovery_sql(result: str) -> Query:
    """The time of the first healthy request after the window's last failure (the verdict's recovery
    time), or NULL: one row, from three narrow columns of the scan's result."""
    # (a monitor's request is none while users' requests are there: `Store._checker_requests`)
    users = f"(SELECT COUNT(*) FROM {result} WHERE http_status IS NOT NULL AND NOT {CHECKER}) > 0"
    sql = (
        f"SELECT MIN(ts) AS first_ok FROM {result}\n"
        f"WHERE in_window AND NOT {_FAILED} AND NOT ({CHECKER} AND {users}) AND ts > (\n"
        f"  SELECT MAX(ts) FROM {result} WHERE in_window AND {_FAILED} AND NOT ({CHECKER} AND {users}))\n"
    )
    return Query("pushdown-recovery", sql, (_refused_param(), *_checker_params()))


def _recovery(first_ok: datetime | None) -> tuple[str, tuple[Param, ...]]:
    """The condition picking the recovery request (read whole, never grouped), and its parameter."""
    if first_ok is None:
        return "FALSE", ()
    return (
        f"COALESCE(in_window AND NOT {_FAILED} AND ts = @first_ok, FALSE)",
        (Param("first_ok", "TIMESTAMP", first_ok), _refused_param()),
    )


def rows_sql(result: str, first_ok: datetime | None = None) -> Query:
    """The kept entries, whole (the columns of `shapes.OUTPUT`), from the scan's result table, and
    the recovery request (`recovery_sql`)."""
    cols = ", ".join(name for name, _ in OUTPUT)
    recovery, params = _recovery(first_ok)
    return Query("pushdown-rows", f"SELECT {cols}\nFROM {result}\nWHERE keep OR {recovery}\n", params)


def collapsed_sql(result: str, first_ok: datetime | None = None) -> Query:
    """The other entries as one row per group (`GROUP_KEY`): its first entry, ``n`` and ``last_ts``.

    Duplicates (same log name, insert id and time, which Log Analytics does not remove) are
    dropped first, as the store drops them for files.
    """
    cols = ", ".join(name for name, _ in OUTPUT)
    key = ", ".join(GROUP_KEY)
    recovery, params = _recovery(first_ok)
    sql = f"""SELECT {cols}, n, last_ts
FROM (
  SELECT *,
    COUNT(*) OVER (PARTITION BY {key}) AS n,
    MAX(ts) OVER (PARTITION BY {key}) AS last_ts,
    ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY ts, insert_id) AS rn
  FROM {result}
  WHERE NOT keep AND NOT dup AND NOT {recovery}
)
WHERE rn = 1
"""
    static = (Param("static_url_re", "STRING", STATIC_URL_RE), Param("api_url_re", "STRING", API_URL_RE))
    return Query("pushdown-collapsed", sql, (*params, *_checker_params(), *static))
