"""Cloud Logging filters for one service and one time window.

Every filter built here is parenthesised term by term, because the Logging query language binds
NOT > OR > AND (``a AND b OR c`` means ``a AND (b OR c)``), and every filter carries both a
``timestamp>=`` and a ``timestamp<`` bound, because without the word ``timestamp`` the client
silently adds its own 24-hour bound. Filters are checked against the API's 20,000-character
limit; pattern regexes that do not fit are spread over further queries.

The functions are pure: the same arguments give the same strings, so tests pin them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote as url_quote

from rca.engine.match import strip_names
from rca.engine.traceback_grammar import TRACEBACK_LINE_RE
from rca.library.knowledge import load_knowledge
from rca.model import Pattern

MAX_FILTER_CHARS = 20_000
"""The API's documented limit on a filter's length."""

DEFAULT_ALTERNATION_CHARS = 3_000
"""Longest single ``=~`` alternation; several short regexes are cheaper than one huge one."""

DEFAULT_DEPLOY_LOOKBACK = timedelta(hours=24)
DEFAULT_SAMPLE_FRACTION = 0.02

RUN_LOG = 'log_id("run.googleapis.com/{}")'


STRUCTURED_PROBLEM_RE = r"(?i)^(warn|warning|err|error|critical|fatal|alert|emergency)$"
"""A structured log's own level (``jsonPayload.severity``/``level``), which the analysis reads
when the entry's severity is DEFAULT."""

MESSAGE_FIELDS = ("textPayload", "jsonPayload.message")
"""The payload fields a pattern regex is matched against on the server: the analysis reads an
entry's message from textPayload, else jsonPayload.message (then msg, event, error...)."""

DEFAULT_EXACT_REQUESTS = 5_000
"""Healthy request logs read one by one before the rest of the window is sampled."""

DEFAULT_SAMPLE_TARGET = 2_000
"""About how many healthy request logs the sample of the rest of the window should bring."""

DEFAULT_EXACT_FAILING = 2_000
"""Bare failing request logs (5xx/429 without a message) read one by one before the rest of the
window is sampled: the onset and the first minutes of the storm (at 3 to 7 failures a second,
5 to 11 minutes) come from this exact part; the application's errors, which tie failures to a
cause by trace and instance, are read in full by the signals whatever the storm's size."""

DEFAULT_FAILING_SAMPLE_TARGET = 2_000
"""About how many bare failing request logs the sample of the rest of the window should bring
(about 20 a minute over a 100-minute storm: enough for its per-minute shape)."""

FAILING_STATUS = "(httpRequest.status>=500 OR httpRequest.status=429)"
"""A failed request: 5xx, or 429 (Cloud Run's answer when no instance is available)."""

BARE = "(NOT textPayload:* AND NOT jsonPayload:*)"
"""An entry without a payload of its own: a request log's only message is then its request line
(``GET /x 503 0.004s``), so no message pattern can read more in it than its status."""

POSTGRES_PROBLEM_RE = r" (WARNING|ERROR|FATAL|PANIC):  "
"""A postgres log line's own level (``... db=x,user=y FATAL:  sorry, too many clients already``)."""


@dataclass(frozen=True)
class Query:
    """One server-side query: a filter body and the half-open window [start, end) it covers.

    ``limit`` caps how many entries this query may take from the shared budget (None: no cap).
    ``sample`` is the ``sample(insertId, F)`` fraction the body applies, when it samples: reaching
    ``limit`` then cuts a sample short, which is no gap in the data. ``exact_up_to`` makes the
    query adaptive: it is read exactly until that many entries arrived, and the rest of its
    window is then read as a random sample of about ``sample_target`` entries, which the
    analysis scales back (each sampled entry stands for 1/F).
    """

    name: str
    body: str
    start: datetime
    end: datetime
    limit: int | None = None
    sample: float | None = None
    exact_up_to: int | None = None
    sample_target: int = 2_000

    def sampled(self, fraction: float, start: datetime) -> Query:
        """The rest of this query's window from ``start``, as a ``fraction`` sample."""
        return Query(
            f"{self.name}-sampled",
            f"({self.body}) AND sample(insertId, {fraction:g})",
            start,
            self.end,
            sample=fraction,
        )

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
    return Query("cloudsql-health", all_of(terms), start, end, limit, sample=fraction)


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


# --------------------------------------------------------------------------- the library, pushed down


def message_matches(regex: str) -> str:
    """The entry's message (textPayload or jsonPayload.message) matches ``regex``."""
    return any_of([f"{name}=~{quote(regex)}" for name in MESSAGE_FIELDS])


def read_scope(service: str, project: str, instances: Sequence[str] = ()) -> str:
    """Everything the analysis reads: the service's entries and its Cloud SQL instances' logs."""
    return any_of([service_scope(service), all_of(_cloudsql_scope(project, instances))])


def _log_restriction(log_ids: Sequence[str]) -> str:
    """``log_id("x")`` for exact ids, a logName substring for ``prefix*`` ids, OR-ed."""
    terms = []
    for log_id in log_ids:
        if log_id.endswith("*"):
            terms.append(f"logName:{quote('/logs/' + url_quote(log_id[:-1], safe=''))}")
        else:
            terms.append(f"log_id({quote(log_id)})")
    return any_of(terms)


_READ_TYPES = frozenset({"cloud_run_revision", "cloudsql_database"})


def pattern_terms(
    patterns: Sequence[Pattern],
    scope: str,
    *,
    regexes: Sequence[str] = (),
    alternation_chars: int = DEFAULT_ALTERNATION_CHARS,
) -> list[str]:
    """Self-contained filter terms selecting every entry a pattern of the library could match.

    Patterns are grouped by their ``log_id``/``resource_type`` restrictions; each group's regexes
    (``match.any``, else ``match.all``, plus the ``absence.expect`` companion whose silence the
    pattern reports) become ``=~`` alternations over the message fields, inside the group's
    restriction and inside ``scope`` (what the analysis reads). A group restricted to resource
    types outside the service and its Cloud SQL instances is searched project-wide. A pattern
    on request logs with an HTTP status range selects that range (its message is synthesised
    from ``httpRequest``, so a regex cannot be sent). ``regexes`` are extra unrestricted ones.
    """
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    terms: list[str] = []
    for p in patterns:
        key = (tuple(sorted(set(p.match.log_id))), tuple(sorted(set(p.match.resource_type))))
        if p.match.http_status is not None:
            lo, hi = p.match.http_status
            status = f"(httpRequest.status>={lo} AND httpRequest.status<={hi})"
            terms.append(_restricted(scope, key, status))
            continue
        chosen = list(p.match.any) or list(p.match.all)
        if p.absence is not None:
            chosen.append(p.absence.expect)
        groups.setdefault(key, []).extend(strip_names(r) for r in chosen)
    if regexes:
        groups.setdefault(((), ()), []).extend(strip_names(r) for r in regexes)
    for key in sorted(groups):
        for alternation in regex_alternations(groups[key], alternation_chars):
            terms.append(_restricted(scope, key, message_matches(alternation)))
    return list(dict.fromkeys(terms))


def _restricted(scope: str, key: tuple[tuple[str, ...], tuple[str, ...]], condition: str) -> str:
    """``condition`` inside a group's log id / resource type restriction and the read scope."""
    log_ids, types = key
    parts: list[str] = []
    if types and not set(types) <= _READ_TYPES:
        parts.append(any_of([f"resource.type={quote(t)}" for t in types]))  # project-wide
    else:
        parts.append(scope)
        if types:
            parts.append(any_of([f"resource.type={quote(t)}" for t in types]))
    if log_ids:
        parts.append(_log_restriction(log_ids))
    parts.append(condition)
    return all_of(parts)


def pack(
    name: str,
    terms: Sequence[str],
    start: datetime,
    end: datetime,
    max_chars: int = MAX_FILTER_CHARS,
    *,
    unless: str | None = None,
) -> list[Query]:
    """OR the terms into as few queries as the filter length allows: ``name``, ``name-2``, ...

    ``unless`` is a filter whose entries another query reads: each query leaves them out.
    """
    queries: list[Query] = []
    current: list[str] = []

    def body(candidate: list[str]) -> str:
        return any_of(candidate) if unless is None else all_of([any_of(candidate), f"NOT {unless}"])

    def fits(candidate: list[str]) -> bool:
        return len(Query("probe", body(candidate), start, end).filter()) <= max_chars

    for term in terms:
        if not fits([term]):
            raise ValueError(f"a filter term of {len(term)} characters does not fit in {max_chars}")
        if current and not fits([*current, term]):
            queries.append(Query(_nth(name, len(queries)), body(current), start, end))
            current = []
        current.append(term)
    if current:
        queries.append(Query(_nth(name, len(queries)), body(current), start, end))
    return queries


def _nth(name: str, index: int) -> str:
    return name if index == 0 else f"{name}-{index + 1}"


def failing_requests() -> str:
    """Request logs of failed requests: 5xx and 429."""
    return all_of([RUN_LOG.format("requests"), FAILING_STATUS])


def storm(service: str) -> str:
    """The service's bare failing request logs: the storm of a dense incident, the one stream
    read exactly up to a budget and sampled beyond it. A failing request log that carries a
    message (Cloud Run's "The request failed because...", "...no available instance" on a 429)
    is not part of it: the signals read it in full, as a pattern may name it."""
    return all_of([service_scope(service), RUN_LOG.format("requests"), FAILING_STATUS, BARE])


def stream_of(entry: Mapping[str, Any], service: str | None = None) -> str | None:
    """Which adaptive query selects this canonical entry: ``requests`` (a healthy request log),
    ``failing`` (a bare failing one, see ``storm``) or None; the Python twin of those filters,
    for resuming a fetch and for scaling sampled entries back. ``service`` None: any service."""
    if not str(entry.get("logName", "")).endswith("%2Frequests"):
        return None
    resource = entry.get("resource") or {}
    labels = resource.get("labels") or {}
    if resource.get("type") != "cloud_run_revision" or (
        service is not None and labels.get("service_name") != service
    ):
        return None
    try:
        code = int(str((entry.get("httpRequest") or {}).get("status")))
    except (TypeError, ValueError):
        return None  # no status: neither query's comparison selects it
    if code < 500 and code != 429:
        return "requests"
    bare = entry.get("textPayload") is None and entry.get("jsonPayload") is None
    return "failing" if bare else None


def singles_out_failures(pattern: Pattern) -> bool:
    """Whether a pattern reads some failing Cloud Run request logs by their request line alone: a
    status range that takes part of the failures (``[429, 429]``, ``[503, 503]``), or a regex
    on the request log (a route). Its finding would be a few of the storm's entries, and a sample
    could lose them, so such a library reads the storm whole. A range that takes every 5xx (the
    built-in ``run-request-5xx``) counts the whole storm, which scaling estimates honestly. So
    does a refusal pattern (`refuses_requests`, the service's own 429s): its requests are failures
    only when they took the place of the callers' answers, a share of the requests a sample keeps,
    and a few of them beside a storm are no failure to lose."""
    if pattern.refuses_requests:
        return False
    m = pattern.match
    on_run = not m.resource_type or "cloud_run_revision" in m.resource_type
    logs = [x.removesuffix("*") for x in m.log_id]
    on_requests = on_run and (not logs or any("run.googleapis.com/requests".startswith(x) for x in logs))
    if not on_requests:
        return False
    if m.http_status is None:
        return bool(logs)  # a regex written for request logs
    lo, hi = m.http_status
    takes_failures = lo <= 429 <= hi or (lo <= 599 and hi >= 500)
    return takes_failures and not (lo <= 500 and hi >= 599)


def failing_requests_query(
    service: str,
    start: datetime,
    end: datetime,
    *,
    exact_up_to: int = DEFAULT_EXACT_FAILING,
    sample_target: int = DEFAULT_FAILING_SAMPLE_TARGET,
) -> Query:
    """The failing-request storm (``storm``): read exactly up to ``exact_up_to`` entries, then
    sampled (and scaled back) for the rest of the window, like the healthy requests."""
    return Query("failing", storm(service), start, end, exact_up_to=exact_up_to, sample_target=sample_target)


def healthy_requests_query(
    service: str,
    start: datetime,
    end: datetime,
    *,
    exact_up_to: int = DEFAULT_EXACT_REQUESTS,
    sample_target: int = DEFAULT_SAMPLE_TARGET,
) -> Query:
    """Every other request log of the service: read exactly when few, else exactly up to
    ``exact_up_to`` and sampled (then scaled back) for the rest of the window."""
    body = all_of([service_scope(service), RUN_LOG.format("requests"), f"NOT {failing_requests()}"])
    return Query("requests", body, start, end, exact_up_to=exact_up_to, sample_target=sample_target)


def analysis_queries(
    service: str,
    start: datetime,
    end: datetime,
    *,
    project: str,
    patterns: Sequence[Pattern] = (),
    regexes: Sequence[str] = (),
    sql_instances: Sequence[str] = (),
    exact_requests: int = DEFAULT_EXACT_REQUESTS,
    sample_target: int = DEFAULT_SAMPLE_TARGET,
    exact_failing: int = DEFAULT_EXACT_FAILING,
    failing_sample_target: int = DEFAULT_FAILING_SAMPLE_TARGET,
) -> list[Query]:
    """What ``rca analyze`` needs, pushed down: deploys, Cloud SQL problems, every entry the
    library (``patterns``: built-ins, user packs, absence companions) could match, error-shaped
    lines and failing requests that carry a message, then the bare failing requests (the storm)
    and the healthy requests (each exact, or exact then sampled and scaled).

    The signals leave the storm out (``unless``), so every entry has one reader: an entry any
    pattern or clause could read by its text is read in full; only bare failing request logs,
    which carry nothing but a status, are sampled beyond ``exact_failing``. When a pattern of
    the library singles out some of them (``singles_out_failures``), the signals read them all.

    The signal terms are the analysis's own: the library's regexes with each pattern's log id
    and resource type, the severity and error-shape tests of the unexplained-signal miner, and
    traceback lines (so split tracebacks re-join as in a file).
    """
    if as_utc(end) <= as_utc(start):
        raise ValueError(f"empty window: start {format_ts(start)} is not before end {format_ts(end)}")
    scope = read_scope(service, project, sql_instances)
    app_logs = any_of([RUN_LOG.format("stdout"), RUN_LOG.format("stderr")])
    base = [
        all_of([service_scope(service), any_of(base_signal_terms())]),
        # error-shaped text at any severity: what the unexplained-signal miner reads
        all_of([scope, message_matches(load_knowledge().error_shaped)]),
        all_of([service_scope(service), app_logs, any_of([
            f"jsonPayload.severity=~{quote(STRUCTURED_PROBLEM_RE)}",
            f"jsonPayload.level=~{quote(STRUCTURED_PROBLEM_RE)}",
        ])]),
    ]
    terms = base + pattern_terms(patterns, scope, regexes=regexes)
    sample_storm = not any(singles_out_failures(p) for p in patterns)
    storm_queries = [
        failing_requests_query(
            service, start, end, exact_up_to=exact_failing, sample_target=failing_sample_target
        )
    ]
    queries = [
        deploy_query(service, start, end),
        cloudsql_query(project, sql_instances, start, end),
        cloudsql_health_query(project, sql_instances, start, end),
        *pack("signals", terms, start, end, unless=storm(service) if sample_storm else None),
        *(storm_queries if sample_storm else []),
        healthy_requests_query(service, start, end, exact_up_to=exact_requests, sample_target=sample_target),
    ]
    return [replace(q, start=as_utc(q.start), end=as_utc(q.end)) for q in queries]


def window_queries(
    service: str, start: datetime, end: datetime, *, project: str, sql_instances: Sequence[str] = ()
) -> list[Query]:
    """What ``gcloud logging read`` would return for the service: every entry of its window, plus
    the deploy history before it and every line of its Cloud SQL instances (what the analysis
    reads besides the service's own logs)."""
    if as_utc(end) <= as_utc(start):
        raise ValueError(f"empty window: start {format_ts(start)} is not before end {format_ts(end)}")
    queries = [
        deploy_query(service, start, end),
        Query("cloudsql", all_of(_cloudsql_scope(project, sql_instances)), start, end),
        Query("service", service_scope(service), start, end),
    ]
    return [replace(q, start=as_utc(q.start), end=as_utc(q.end)) for q in queries]
