"""Cloud Logging filters for one service and one time window.

Every filter built here is parenthesised term by term, because the Logging query language binds
NOT > OR > AND (``a AND b OR c`` means ``a AND (b OR c)``), and every filter carries both a
``timestamp>=`` and a ``timestamp<`` bound, because without the word ``timestamp`` the client
silently adds its own 24-hour bound. Filters are checked against the API's 20,000-character
limit; pattern regexes that do not fit are spread over further queries.

The functions are pure: the same arguments give the same strings, so tests pin them exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

MAX_FILTER_CHARS = 20_000
"""The API's documented limit on a filter's length."""

DEFAULT_ALTERNATION_CHARS = 3_000
"""Longest single ``=~`` alternation; several short regexes are cheaper than one huge one."""

DEFAULT_DEPLOY_LOOKBACK = timedelta(hours=24)
DEFAULT_SAMPLE_FRACTION = 0.02

RUN_LOG = 'log_id("run.googleapis.com/{}")'

TRACEBACK_LINE_RE = (
    r"^(Traceback \(most recent call last\):"
    r'|  File "'
    r"|    \S"
    r"|[A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Exit|Interrupt)(: |$)"
    r"|During handling of the above exception"
    r"|The above exception was the direct cause"
    r"|\tat |Caused by: |panic: |goroutine \d+ \[)"
)
"""Lines of a traceback (Python, Java, Go) written at DEFAULT severity, one entry per line."""

POSTGRES_PROBLEM_RE = r" (WARNING|ERROR|FATAL|PANIC):  "
"""A postgres log line's own level (``... db=x,user=y FATAL:  sorry, too many clients already``)."""


@dataclass(frozen=True)
class Query:
    """One server-side query: a filter body and the half-open window [start, end) it covers.

    ``limit`` caps how many entries this query may take from the shared budget (None: no cap).
    """

    name: str
    body: str
    start: datetime
    end: datetime
    limit: int | None = None

    def filter(self, start: datetime | None = None) -> str:
        """The filter to send, optionally resumed from ``start`` instead of the window start."""
        lower = self.start if start is None else start
        return f'({self.body}) AND timestamp>="{format_ts(lower)}" AND timestamp<"{format_ts(self.end)}"'


def format_ts(moment: datetime) -> str:
    """RFC 3339 UTC with ``Z``; microseconds only when not zero (the filter form of a time)."""
    utc = as_utc(moment)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def quote(value: str) -> str:
    """A Logging query-language string literal: backslashes and double quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def any_of(terms: Sequence[str]) -> str:
    """Terms joined by OR inside one pair of parentheses (a single term is still wrapped)."""
    return "(" + " OR ".join(terms) + ")"


def all_of(terms: Sequence[str]) -> str:
    """Terms joined by AND, each already self-contained, inside one pair of parentheses."""
    return "(" + " AND ".join(terms) + ")"


def service_scope(service: str) -> str:
    """The Cloud Run service's own entries: resource type and service name."""
    return all_of(['resource.type="cloud_run_revision"', f"resource.labels.service_name={quote(service)}"])


def base_signal_terms() -> list[str]:
    """The clauses that catch trouble whatever the pattern library says.

    Platform messages, failing requests (5xx and 429), app logs at WARNING or above, and
    traceback lines at DEFAULT severity (Cloud Run writes one entry per stderr line).
    """
    app_logs = any_of([RUN_LOG.format("stdout"), RUN_LOG.format("stderr")])
    return [
        RUN_LOG.format("varlog/system"),
        all_of([RUN_LOG.format("requests"), "(httpRequest.status>=500 OR httpRequest.status=429)"]),
        all_of([app_logs, "severity>=WARNING"]),
        all_of([app_logs, "severity=DEFAULT", f"textPayload=~{quote(TRACEBACK_LINE_RE)}"]),
    ]


def regex_alternations(regexes: Sequence[str], max_chars: int = DEFAULT_ALTERNATION_CHARS) -> list[str]:
    """Combine RE2 sources into as few ``(?:a)|(?:b)`` alternations as fit in ``max_chars`` each.

    Input order is kept and duplicates dropped, so the output is deterministic. A single regex
    longer than ``max_chars`` gets an alternation of its own rather than being dropped.
    """
    groups: list[str] = []
    current = ""
    for regex in dict.fromkeys(r for r in regexes if r):
        piece = f"(?:{regex})"
        candidate = f"{current}|{piece}" if current else piece
        if current and len(candidate) > max_chars:
            groups.append(current)
            candidate = piece
        current = candidate
    if current:
        groups.append(current)
    return groups


def regex_terms(regexes: Sequence[str], max_chars: int = DEFAULT_ALTERNATION_CHARS) -> list[str]:
    """One ``textPayload=~"..."`` comparison per alternation."""
    return [f"textPayload=~{quote(alt)}" for alt in regex_alternations(regexes, max_chars)]


def signal_queries(
    service: str,
    start: datetime,
    end: datetime,
    regexes: Sequence[str] = (),
    *,
    max_chars: int = MAX_FILTER_CHARS,
    alternation_chars: int = DEFAULT_ALTERNATION_CHARS,
) -> list[Query]:
    """The service's entries that matter, as few queries as the length limit allows.

    The first query holds the base clauses and as many pattern alternations as fit; the rest
    hold only pattern alternations (the fetcher de-duplicates entries matched twice).
    """
    scope = service_scope(service)
    pending = regex_terms(regexes, alternation_chars)
    queries: list[Query] = []
    terms = base_signal_terms()
    while True:
        taken = _fill(scope, terms, pending, start, end, max_chars)
        if not terms and not taken:
            raise ValueError(f"a pattern regex does not fit in a {max_chars}-character filter")
        name = "signals" if not queries else f"signals-{len(queries) + 1}"
        queries.append(Query(name, _body(scope, terms + pending[:taken]), start, end))
        pending = pending[taken:]
        terms = []
        if not pending:
            return queries


def _body(scope: str, terms: Sequence[str]) -> str:
    """Scope AND (any of terms)."""
    return f"{scope} AND {any_of(terms)}"


def _fill(
    scope: str, terms: Sequence[str], pending: Sequence[str], start: datetime, end: datetime, max_chars: int
) -> int:
    """How many of ``pending`` fit after ``terms`` in one filter of at most ``max_chars``."""
    taken = 0
    while taken < len(pending):
        probe = Query("probe", _body(scope, [*terms, *pending[: taken + 1]]), start, end)
        if len(probe.filter()) > max_chars:
            break
        taken += 1
    return taken


def deploy_query(
    service: str, start: datetime, end: datetime, lookback: timedelta = DEFAULT_DEPLOY_LOOKBACK
) -> Query:
    """Admin Activity changes to the service and revision system events, from ``lookback`` before."""
    activity = all_of(
        ['log_id("cloudaudit.googleapis.com/activity")', 'protoPayload.serviceName="run.googleapis.com"']
    )
    audit = any_of([activity, 'log_id("cloudaudit.googleapis.com/system_event")'])
    return Query("deploys", f"{service_scope(service)} AND {audit}", start - lookback, end)


def _cloudsql_scope(project: str, instances: Sequence[str]) -> list[str]:
    """Cloud SQL postgres logs of the named instances, or of every instance when none is named.

    An instance may be named ``instance`` or ``project:instance`` (the form of ``database_id``).
    Logs alone rarely name the instance a service talks to over a private IP, and the
    database's side of the story (healthy, or failing) decides between network and database.
    """
    ids = sorted({name if ":" in name else f"{project}:{name}" for name in instances if name})
    terms = ['resource.type="cloudsql_database"']
    if ids:
        terms.append(any_of([f"resource.labels.database_id={quote(i)}" for i in ids]))
    terms.append('log_id("cloudsql.googleapis.com/postgres.log")')
    return terms


def cloudsql_query(project: str, instances: Sequence[str], start: datetime, end: datetime) -> Query:
    """Postgres problems: lines at WARNING or above, and lines whose own postgres level is WARNING..PANIC
    (in case the severity mapping of a line differs from its text)."""
    terms = [
        *_cloudsql_scope(project, instances),
        f"(severity>=WARNING OR textPayload=~{quote(POSTGRES_PROBLEM_RE)})",
    ]
    return Query("cloudsql", all_of(terms), start, end)


def cloudsql_health_query(
    project: str,
    instances: Sequence[str],
    start: datetime,
    end: datetime,
    fraction: float = DEFAULT_SAMPLE_FRACTION * 2.5,
    limit: int = 100,
) -> Query:
    """A small sample of routine postgres lines: proof that the database was up (or silence)."""
    terms = [*_cloudsql_scope(project, instances), f"sample(insertId, {fraction:g})"]
    return Query("cloudsql-health", all_of(terms), start, end, limit)


def baseline_query(
    service: str,
    start: datetime,
    end: datetime,
    fraction: float = DEFAULT_SAMPLE_FRACTION,
    limit: int | None = None,
) -> Query:
    """A small random sample of all the service's entries, for the baseline of normal traffic."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"sample fraction must be in (0, 1], got {fraction}")
    return Query(
        "baseline", f"{service_scope(service)} AND sample(insertId, {fraction:g})", start, end, limit
    )


def build_queries(
    service: str,
    start: datetime,
    end: datetime,
    *,
    project: str,
    regexes: Sequence[str] = (),
    sql_instances: Sequence[str] = (),
    baseline_limit: int | None = None,
) -> list[Query]:
    """Every query for ``rca analyze --service S --since/--until``, cheapest and most telling first.

    Deploys first (few entries, and without them a bad rollout cannot be named), then Cloud SQL,
    then the service's signals, then the baseline sample, which is the first to lose its share
    when the entry budget runs out.
    """
    if as_utc(end) <= as_utc(start):
        raise ValueError(f"empty window: start {format_ts(start)} is not before end {format_ts(end)}")
    queries = [
        deploy_query(service, start, end),
        cloudsql_query(project, sql_instances, start, end),
        cloudsql_health_query(project, sql_instances, start, end),
    ]
    queries.extend(signal_queries(service, start, end, regexes))
    queries.append(baseline_query(service, start, end, limit=baseline_limit))
    return [replace(q, start=as_utc(q.start), end=as_utc(q.end)) for q in queries]
