"""Value types shared by every layer: patterns, findings, chain links, the analysis.

They are frozen dataclasses so that the middle of the pipeline stays pure: a value
computed once can be shared by the chain builder, the report and a notebook without
anyone mutating it behind another's back.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from rca.timeutil import Periods, periods, rfc3339


class Category(str, enum.Enum):
    """Root-cause categories of the report contract (shared/docs/report-contract.md)."""

    NETWORK_CONNECTIVITY = "network-connectivity"
    DATABASE_UNAVAILABLE = "database-unavailable"
    DB_CONNECTION_POOL_EXHAUSTED = "db-connection-pool-exhausted"
    MEMORY_LIMIT_EXCEEDED = "memory-limit-exceeded"
    PERMISSION_DENIED = "permission-denied"
    MISSING_CONFIGURATION = "missing-configuration"
    PORT_MISMATCH = "port-mismatch"
    BROKEN_BUILD = "broken-build"
    STARTUP_TIMEOUT = "startup-timeout"
    REQUEST_TIMEOUT = "request-timeout"
    APPLICATION_EXCEPTION = "application-exception"
    UPSTREAM_SERVICE_FAILURE = "upstream-service-failure"
    TLS_CERTIFICATE = "tls-certificate"
    QUOTA_OR_RATE_LIMIT = "quota-or-rate-limit"
    DISK_OR_FILESYSTEM = "disk-or-filesystem"
    DEPLOYMENT_CHANGE = "deployment-change"
    UNKNOWN = "unknown"


class Role(str, enum.Enum):
    """What a pattern's match means in a causal chain."""

    CAUSE = "cause"
    SYMPTOM = "symptom"
    CONTEXT = "context"


class Layer(str, enum.Enum):
    """Where in the stack a pattern's failure lives; the chain ranks user-facing layers first."""

    PLATFORM = "platform"
    NETWORK = "network"
    DATABASE = "database"
    RUNTIME = "runtime"
    APPLICATION = "application"
    DEPLOY = "deploy"
    DEPENDENCY = "dependency"


class Severity(str, enum.Enum):
    """How bad a pattern's match is (a pattern's field, not a log entry's severity: rca/severity.py)."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class Status(str, enum.Enum):
    """A finding measured against the baseline (report contract: `findings[].status`)."""

    ACTIVE = "active"  # not seen before the incident
    ELEVATED = "elevated"  # seen before, at a clearly lower rate
    PRE_EXISTING = "pre-existing"  # seen before at a similar rate, or steady while the failures grew


@dataclass(frozen=True)
class Match:
    """How a pattern recognises an event. Regexes are RE2 source strings."""

    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    log_id: tuple[str, ...] = ()
    resource_type: tuple[str, ...] = ()
    http_status: tuple[int, int] | None = None
    min_severity: str | None = None
    # like min_severity, but an entry that states no level (DEFAULT, a plain stderr line) passes:
    # only a level the software stated below it rules the event out (an exception in a logger's
    # INFO record is the software's word that it is routine)
    min_stated_severity: str | None = None


@dataclass(frozen=True)
class Absence:
    """An opener whose companion never came (e.g. start-up that never completed)."""

    expect: str
    scope: str = "instance"
    within_s: float = 300.0


@dataclass(frozen=True)
class Rule:
    """A conclusion that depends on other findings being present in the incident, or on what this
    finding's own fields say (``when_field``: field name and regex; any one matching fires it),
    unless its fields say otherwise (``unless_field``: any one matching keeps it from firing)."""

    when_any: tuple[str, ...]
    statement: str
    category: Category | None = None
    confidence: float = 0.0
    differs: tuple[str, ...] = ()
    when_field: tuple[tuple[str, str], ...] = ()
    unless_field: tuple[tuple[str, str], ...] = ()
    same_revision: bool = False  # the other finding was logged on a revision this one was


@dataclass(frozen=True)
class LikelyCause:
    """What a symptom usually means when nothing deeper is in the logs (the platform's own docs say so)."""

    category: Category
    confidence: float
    because: str
    unless_any: tuple[str, ...] = ()  # findings that refute this reading (the server did listen on the port)
    # the symptom's own fields that refute it (field name, RE2): a probe answered 503 by a server that runs
    unless_field: tuple[tuple[str, str], ...] = ()
    # the reading says only that requests were slow: a new revision they began with accounts better
    yields_to_new_revision: bool = False


@dataclass(frozen=True)
class RemediationStep:
    """One action, with an optional command template, how to verify it, and the root-cause
    categories it is for (empty: every reading of the pattern)."""

    action: str
    command: str | None = None
    verify: str | None = None
    when_category: tuple[Category, ...] = ()


@dataclass(frozen=True)
class Pattern:
    """One entry of the pattern library (patterns/<area>/<id>.yaml)."""

    id: str
    area: str
    title: str
    category: Category
    layer: Layer
    severity: Severity
    role: Role
    match: Match
    why: str
    path: str = ""
    generic: bool = False
    extract: dict[str, str] = field(default_factory=dict)
    absence: Absence | None = None
    causes: tuple[str, ...] = ()
    caused_by: tuple[str, ...] = ()
    # patterns whose line, later on the same instance, says this failure ended there (`resolved`)
    resolved_by: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    next_checks: tuple[str, ...] = ()
    remediation: tuple[RemediationStep, ...] = ()
    references: tuple[str, ...] = ()
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    # Where each match example's wording appears (doc page, source file, public thread); None if unsourced.
    examples_sources: tuple[str | None, ...] = ()
    runtimes: tuple[str, ...] = ()
    surfaces: tuple[str, ...] = ()
    likely_cause: LikelyCause | None = None
    kind: str | None = None  # a symptom's kind (patterns/_knowledge.yaml: what usually explains it)
    frames: str | None = None  # "own": only stacks with a frame of the service's own code
    # whether the failure, read as `category`, fails every attempt until something is changed;
    # None: the category's default (patterns/_knowledge.yaml `persistent`)
    persistent: bool | None = None
    # a symptom after which the process does no more of its work until restarted: the silence
    # after it is no recovery
    until_restart: bool = False
    # each match is a request the platform refused a caller (IAM): failed when the finding is new
    refuses_requests: bool = False
    # each match is a request the service failed (a handler's exception its framework answered 500)
    fails_requests: bool = False
    # the pattern says what the whole line is (a telemetry exporter's report, a client's retry): other
    # patterns matching the same event are set aside
    claims_line: bool = False
    # how long after the failure began its line is logged at the earliest (a kubelet reports a
    # probe failing only after failureThreshold x periodSeconds): the clock's order allows for it
    reported_after_s: float = 0.0
    # how long after this symptom began its replacements may take to log why they cannot serve (a
    # load balancer without a healthy backend while a Recreate rollout's new pods still start)
    replacements_within_s: float = 0.0


@dataclass(frozen=True)
class Sample:
    """One log entry cited as evidence."""

    event_id: int
    timestamp: str | None
    insert_id: str | None
    log_name: str | None
    log_id: str | None
    revision: str | None
    instance_id: str | None
    message: str
    member_ids: tuple[int, ...] = ()
    excerpt: str = ""
    pattern_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Contract shape of a sample (report-contract.md), plus the lines that matched."""
        return {
            "timestamp": self.timestamp,
            "insert_id": self.insert_id,
            "log_name": self.log_name,
            "revision": self.revision,
            "message": self.message,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True)
class Finding:
    """All matches of one pattern in the analysed entries, aggregated."""

    pattern_id: str
    category: Category
    layer: Layer
    role: Role
    title: str
    count: int
    first_seen: str | None
    last_seen: str | None
    samples: tuple[Sample, ...]
    fields: dict[str, tuple[str, ...]]
    field_counts: dict[str, dict[str, int]]
    revisions: tuple[str, ...]
    instances: tuple[str, ...]
    event_ids: tuple[int, ...]
    baseline_count: int = 0
    incident_count: int = 0
    status: Status = Status.ACTIVE

    @property
    def title_in_sentence(self) -> str:
        """The title inside a sentence: its first letter lower-cased, unless it opens with an
        acronym ("ASP.NET Core ...", "HTTP ...", "DNS ...") or a name of capitalised words ("App
        Engine ...", "Cloud Run ..."), which keep their capitals."""
        words = self.title.split(" ", 2)
        named = len(words) > 2 and words[0] not in ("A", "An", "The") and words[1][:1].isupper()
        if self.title[1:2].isupper() or named:
            return self.title
        return self.title[:1].lower() + self.title[1:]

    def to_json(self) -> dict[str, Any]:
        """Contract shape of a finding."""
        return {
            "pattern_id": self.pattern_id,
            "category": self.category.value,
            "layer": self.layer.value,
            "role": self.role.value,
            "title": self.title,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "status": self.status.value,
            "baseline_count": self.baseline_count,
            "incident_count": self.incident_count,
            "revisions": list(self.revisions),
            "instances": len(self.instances),
            "samples": [s.to_json() for s in self.samples],
            "fields": {k: list(v) for k, v in sorted(self.fields.items())},
            "field_counts": {k: dict(sorted(v.items())) for k, v in sorted(self.field_counts.items())},
        }


@dataclass(frozen=True)
class Link:
    """One 'why' of the chain: a statement, the finding behind it and its proof."""

    why: int
    statement: str
    pattern_id: str | None
    category: Category
    confidence: float
    evidence: tuple[Sample, ...]
    technical: str = ""
    support: tuple[str, ...] = ()
    # the service whose logs the link was read from, when not the one analysed: a called service
    # the chain was followed into (rca/reasoning/upstream.py)
    service: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Contract shape of a chain link (`service` only on a link read from another service)."""
        followed = {"service": self.service} if self.service else {}
        return followed | {
            "why": self.why,
            "statement": self.statement,
            "pattern_id": self.pattern_id,
            "category": self.category.value,
            "confidence": round(self.confidence, 2),
            "technical": self.technical,
            "support": list(self.support),
            "evidence": [
                {"timestamp": s.timestamp, "insert_id": s.insert_id, "message": s.message}
                for s in self.evidence
            ],
        }


@dataclass(frozen=True)
class RootCause:
    """The last link, restated."""

    category: Category
    pattern_id: str | None
    summary: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        """Contract shape of the root cause."""
        return {
            "category": self.category.value,
            "pattern_id": self.pattern_id,
            "summary": self.summary,
            "confidence": round(self.confidence, 2),
        }


@dataclass(frozen=True)
class Hypothesis:
    """A cause considered and ranked lower, with the reason it lost."""

    category: Category
    pattern_id: str | None
    summary: str
    confidence: float
    why_not: str

    def to_json(self) -> dict[str, Any]:
        """Contract shape of a hypothesis."""
        return {
            "category": self.category.value,
            "pattern_id": self.pattern_id,
            "summary": self.summary,
            "confidence": round(self.confidence, 2),
            "why_not": self.why_not,
        }


@dataclass(frozen=True)
class Remediation:
    """A filled-in remediation step."""

    action: str
    command: str | None
    pattern_id: str | None = None
    verify: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Contract shape of a remediation step."""
        return {"action": self.action, "command": self.command, "pattern_id": self.pattern_id,
                "verify": self.verify}


@dataclass(frozen=True)
class Window:
    """The analysed time window and how far back the input reaches, as aware UTC datetimes.

    A bound is None for a whole input read without --since until the analysis takes the span of
    its entries. Times become RFC 3339 text only at the output edge (`to_json`).
    """

    start: datetime | None
    end: datetime | None
    baseline_start: datetime | None = None  # the baseline before the window begins here
    earliest: datetime | None = None  # the first entry kept, baseline included

    @property
    def untimed(self) -> bool:
        """Whether no entry of the input has a time (a paste): no rate, baseline or onset exists."""
        return self.start is None and self.end is None and self.earliest is None

    def periods(self) -> Periods:
        """Seconds of log the baseline and the window really cover."""
        return periods(self.baseline_start, self.start, self.end, self.earliest)

    def to_json(self) -> dict[str, str | None]:
        """Contract shape of `window`."""
        return {"start": rfc3339(self.start), "end": rfc3339(self.end)}


@dataclass(frozen=True)
class Gap:
    """A part of the window that could not be read, and why (report contract: `missing[]`)."""

    source: str  # the input file, or `cloud-logging`
    reason: str
    query: str | None = None  # the Cloud Logging query that lacks the range (none for a file)
    start: str | None = None  # RFC 3339 as the fetch recorded it; none when unknown (a cut file)
    end: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Contract shape of one `missing` object."""
        query = {} if self.query is None else {"query": self.query}
        return {"source": self.source} | query | {"start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class Stratum:
    """A time range of an adaptive query and the fraction of its entries that was read.

    ``fraction`` 1.0 means every entry of [start, end) was read (exact counts); below 1 the range
    was sampled and each entry read stands for ``1/fraction`` (an estimate, with ``fetched``
    entries as its sample size).
    """

    query: str
    start: str
    end: str
    fraction: float
    fetched: int

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (for metadata and reports)."""
        return {
            "query": self.query,
            "start": self.start,
            "end": self.end,
            "fraction": self.fraction,
            "fetched": self.fetched,
        }


@dataclass(frozen=True)
class RequestSample:
    """How a live fetch sampled request logs, so that counts scaled from it say what they are."""

    METHOD: ClassVar[str] = (
        "read exactly up to a cut, then sample(insertId, fraction); the request totals and the counts "
        "of the findings that read sampled entries are scaled by 1/fraction"
    )

    what: str  # which streams were sampled, in words
    fractions: tuple[float, ...]  # each sampled range's fraction, distinct, ascending
    size: int  # sampled entries read
    start: str  # RFC 3339, as the fetch recorded its ranges
    end: str
    strata: tuple[Stratum, ...] = ()  # each sampled range of the fetch

    def to_json(self) -> dict[str, Any]:
        """Contract shape of `stats.sample` and `status.sample`."""
        return {
            "what": self.what,
            "fraction": self.fractions[0] if len(self.fractions) == 1 else list(self.fractions),
            "size": self.size,
            "from": self.start,
            "to": self.end,
            "method": self.METHOD,
            "strata": [s.to_json() for s in self.strata],
        }


@dataclass(frozen=True)
class Estimate:
    """Counts scaled back from a sampled live fetch (healthy requests, or the bare failing requests of
    a storm, read exactly up to a cut and sampled after it); ``fields`` names the stats that a
    sampled entry counted in, which the report labels as estimates."""

    requests: int
    server_errors: int
    rate_limited: int
    error_entries: int
    recent_requests: int
    recent_server_errors: int
    baseline_requests: int
    baseline_server_errors: int
    baseline_error_entries: int
    error_rate: float | None
    recent_error_rate: float | None
    fields: tuple[str, ...]
    sample: RequestSample

    def to_json(self) -> dict[str, Any]:
        """The stats' labels of an estimate (the numbers themselves are the stats' own fields)."""
        return {"estimated": True, "estimated_fields": list(self.fields), "sample": self.sample.to_json()}


@dataclass(frozen=True)
class FollowUp:
    """One follow-up query of the BigQuery push-down and what it cost."""

    name: str
    bytes_processed: int
    bytes_billed: int
    rows: int

    def to_json(self) -> dict[str, Any]:
        """The query's figures for ``stats.bigquery.follow_ups``."""
        return {
            "name": self.name,
            "bytes_processed": self.bytes_processed,
            "bytes_billed": self.bytes_billed,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class PushdownFigures:
    """How the push-down's scan shrank the window: kept rows plus collapsed groups stand for
    ``entries_represented`` entries."""

    entries_represented: int
    rows_kept_whole: int
    rows_collapsed: int
    scan_bytes_processed: int
    follow_ups: tuple[FollowUp, ...]

    def to_json(self) -> dict[str, Any]:
        """The push-down's part of ``stats.bigquery``."""
        return {
            "plan": "pushdown",
            "entries_represented": self.entries_represented,
            "rows_kept_whole": self.rows_kept_whole,
            "rows_collapsed": self.rows_collapsed,
            "scan_bytes_processed": self.scan_bytes_processed,
            "follow_ups": [f.to_json() for f in self.follow_ups],
        }


@dataclass(frozen=True)
class Scan:
    """What the BigQuery jobs of one fetch read, returned and cost."""

    tables: tuple[str, ...]
    bytes_processed: int
    bytes_billed: int
    maximum_bytes_billed: int
    rows_returned: int
    rows_scanned: int | None
    job_id: str | None
    pushdown: PushdownFigures | None = None

    def to_json(self) -> dict[str, Any]:
        """The scan's part of ``stats.bigquery``."""
        return {
            "tables": list(self.tables),
            "bytes_processed": self.bytes_processed,
            "bytes_billed": self.bytes_billed,
            "maximum_bytes_billed": self.maximum_bytes_billed,
            "rows_returned": self.rows_returned,
            "rows_scanned": self.rows_scanned,
            "job_id": self.job_id,
        } | (self.pushdown.to_json() if self.pushdown else {})


@dataclass(frozen=True)
class BigQueryFigures:
    """Coverage and cost of a BigQuery fetch (the report's ``stats.bigquery``); ``scan`` is None
    when the window came from the local cache and nothing was billed."""

    target: str
    estimated_bytes: int
    round_trips: int
    scan: Scan | None

    @property
    def cached(self) -> bool:
        """True when no job ran: the closed window was read from the local cache."""
        return self.scan is None

    def to_json(self) -> dict[str, Any]:
        """The report's ``stats.bigquery``."""
        base = {
            "target": self.target,
            "cached": self.cached,
            "estimated_bytes": self.estimated_bytes,
            "round_trips": self.round_trips,
        }
        return base | (self.scan.to_json() if self.scan else {"bytes_billed": 0})


@dataclass(frozen=True)
class LoadStats:
    """What loading met on the way: coverage figures for the report (rca/api/loading.py builds them)."""

    read: int = 0
    duplicates_dropped: int = 0
    outside_window: int = 0
    other_services: int = 0
    naive_timestamps: int = 0
    access_log_requests: int = 0  # requests read from the app's access-log lines (no request log)
    checker_requests: int = 0  # monitors' and probes' answered requests, the only ones logged: not counted
    service_components: tuple[str, ...] = ()  # the services --service stood for, named by their prefix
    skipped_lines: int = 0
    skipped_by_kind: Mapping[str, int] = field(default_factory=dict)
    skipped_first: tuple[str, ...] = ()  # the first few skipped pieces, "file:line: what was wrong"
    sources: tuple[str, ...] = ()
    truncated: bool = False
    missing_ranges: tuple[str, ...] = ()
    missing: tuple[Gap, ...] = ()
    data_warning: str | None = None
    by_log_id: Mapping[str, int] = field(default_factory=dict)
    by_severity: Mapping[str, int] = field(default_factory=dict)
    time_span: tuple[datetime | None, datetime | None] = (None, None)
    tracebacks_rejoined: int = 0
    entries_absorbed: int = 0
    estimate: Estimate | None = None
    bigquery: BigQueryFigures | None = None

    @property
    def complete(self) -> bool:
        """False when part of the window could not be read (see `missing`)."""
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        """The load figures of the report's `stats`."""
        return {
            "read": self.read,
            "duplicates_dropped": self.duplicates_dropped,
            "outside_window": self.outside_window,
            "other_services": self.other_services,
            "naive_timestamps": self.naive_timestamps,
            "skipped_lines": self.skipped_lines,
            "skipped_by_kind": dict(sorted(self.skipped_by_kind.items())),
            "skipped_first": list(self.skipped_first),
            "sources": list(self.sources),
            "truncated": self.truncated,
            "missing_ranges": list(self.missing_ranges),
            "complete": self.complete,
            "missing": [m.to_json() for m in self.missing],
            "data_warning": self.data_warning,
            "by_log_id": dict(self.by_log_id),
            "by_severity": dict(self.by_severity),
            "time_span": [rfc3339(t) for t in self.time_span],
            "tracebacks_rejoined": self.tracebacks_rejoined,
            "entries_absorbed": self.entries_absorbed,
        } | (self.estimate.to_json() if self.estimate else {}) | (
            {"bigquery": self.bigquery.to_json()} if self.bigquery else {}
        )


@dataclass(frozen=True)
class RecentTraffic:
    """Requests in the last minutes of the window: an incident can look mild averaged over an hour
    while the service is down by the end of it."""

    window_s: int
    requests: int
    error_rate: float | None


@dataclass(frozen=True)
class Stats:
    """The report's `stats`: what was read, matched and served in the window.

    With a sampled fetch (`load.estimate`) the request figures are the scaled estimates.
    """

    entries: int
    baseline_entries: int
    events: int
    matched: int
    matched_events: int
    requests: int
    server_errors: int
    rate_limited: int
    error_rate: float | None
    error_entries: int
    revisions: tuple[str, ...]
    findings: int
    deploys: int
    recent: RecentTraffic | None
    load: LoadStats

    def to_json(self) -> dict[str, Any]:
        """Contract shape of `stats`."""
        recent = {} if self.recent is None else {
            "recent_window_s": self.recent.window_s,
            "recent_requests": self.recent.requests,
            "recent_error_rate": self.recent.error_rate,
        }
        return {
            "entries": self.entries,
            "baseline_entries": self.baseline_entries,
            "events": self.events,
            "matched": self.matched,
            "matched_events": self.matched_events,
            "requests": self.requests,
            "server_errors": self.server_errors,
            "rate_limited": self.rate_limited,
            "error_rate": self.error_rate,
            "error_entries": self.error_entries,
            "revisions": list(self.revisions),
            "findings": self.findings,
            "deploys": self.deploys,
        } | recent | self.load.to_json()


@dataclass(frozen=True)
class Signal:
    """An error message no pattern explains, grouped by template."""

    template: str
    count: int
    baseline_count: int
    first_seen: str | None
    score: float
    example: str
    new: bool
    nearest_pattern: str | None = None
    similarity: float = 0.0
    group: int = 0
    members: tuple[str, ...] = ()
    severity_num: int = 0  # the highest severity its events were logged at (0: none stated)

    def to_json(self) -> dict[str, Any]:
        """JSON view (the member messages stay out: they are for drafting patterns; so does the
        severity, which the verdict reads)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("members", "severity_num")}

    @property
    def warning_only(self) -> bool:
        """Whether every event of it was logged at a level of its own below ERROR (WARNING, or
        an INFO line worded like an error): no error, so no incident by itself."""
        return 0 < self.severity_num < 500


class State(str, enum.Enum):
    """The verdict on the service over the window (report contract: `status.state`)."""

    DOWN = "down"
    DEGRADED = "degraded"
    RECOVERED = "recovered"
    OK = "ok"


@dataclass(frozen=True)
class Trigger:
    """The deploy that created the revision the failures began with. ``inferred``: the input
    holds no deploy record of it; the revision's first entry, after another revision had served,
    is the rollout (`deployed_at` is then that first entry's time, `by` unknown). ``revision`` is
    None for a workload without revisions (a 1st gen Cloud Function): the deploy itself, just
    before the failures, is what started them."""

    revision: str | None
    deployed_at: str | None
    by: str | None
    changed: tuple[str, ...] = ()
    inferred: bool = False

    def to_json(self) -> dict[str, Any]:
        """Contract shape of `status.trigger`."""
        return {"revision": self.revision, "deployed_at": self.deployed_at, "by": self.by,
                "changed": list(self.changed), "inferred": self.inferred}


@dataclass(frozen=True)
class Change:
    """A change to what the service depends on (a firewall rule, an IAM policy, a secret version, a
    database's certificate authority), from the audit log, that the root cause began after."""

    pattern_id: str
    at: str | None
    method: str | None
    resource: str | None  # the audit entry's resourceName: the rule, policy or instance changed
    by: str | None
    statement: str
    # the IAM bindings the change removed, (role, member), from its policyDelta
    removed: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Shape of `status.change`."""
        return {"pattern_id": self.pattern_id, "at": self.at, "method": self.method,
                "resource": self.resource, "by": self.by, "statement": self.statement,
                "removed": [{"role": role, "member": member} for role, member in self.removed]}


@dataclass(frozen=True)
class Verdict:
    """How the service fared in the window: the headline every format leads with."""

    state: State
    requests: int
    failed_requests: int
    error_rate: float | None
    recent_error_rate: float | None
    onset: str | None
    recovered_at: str | None
    trigger: Trigger | None = None
    reasons: tuple[str, ...] = ()
    change: Change | None = None  # what changed before the root cause began, when not a deploy
    # Request totals scaled back from a sample of healthy requests (failures are counted exactly).
    sample: RequestSample | None = None

    @property
    def estimated(self) -> bool:
        """Whether the request totals are scaled from a sample."""
        return self.sample is not None

    def to_json(self) -> dict[str, Any]:
        """Contract shape of `status`."""
        extra: dict[str, Any] = {"estimated": True, "sample": self.sample.to_json()} if self.sample else {}
        return extra | {
            "state": self.state.value,
            "requests": self.requests,
            "failed_requests": self.failed_requests,
            "error_rate": self.error_rate,
            "recent_error_rate": self.recent_error_rate,
            "onset": self.onset,
            "recovered_at": self.recovered_at,
            "trigger": self.trigger.to_json() if self.trigger else None,
            "change": self.change.to_json() if self.change else None,
            "reasons": list(self.reasons),
        }
