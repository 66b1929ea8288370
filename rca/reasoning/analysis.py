"""The analysis pipeline: events -> findings -> baseline -> causal chain -> an `Analysis` value.

`run()` is what `rca analyze` and `rca.analyze()` both call; the result carries everything the
reports render, and serialises to the contract's JSON deterministically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from rca import timeutil
from rca.engine.match import Hit, aggregate, match_events, samples
from rca.model import (
    Category,
    Finding,
    Hypothesis,
    Link,
    Pattern,
    Remediation,
    Role,
    RootCause,
    Signal,
    Trigger,
    Verdict,
    Window,
)
from rca.reasoning import baseline, chain, verdict, whys
from rca.reasoning.deploys import DeployInfo, collect, creator
from rca.timeutil import rfc3339

SCHEMA_VERSION = 1
_UTC = timezone.utc


@dataclass(frozen=True)
class TimelinePoint:
    """Count of one series (a finding id, or `http 5xx` etc.) in one time bucket."""

    bucket: str
    series: str
    count: int


@dataclass(frozen=True)
class Result:
    """Everything the analysis concluded; rendered by reports and exposed to notebooks."""

    service: str | None
    window: Window
    stats: Mapping[str, Any]
    findings: tuple[Finding, ...]
    chain: tuple[Link, ...]
    root_cause: RootCause
    hypotheses: tuple[Hypothesis, ...]
    remediation: tuple[Remediation, ...]
    deploys: DeployInfo
    signals: tuple[Signal, ...] = ()
    context: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    baseline_phrases: Mapping[str, str] = field(default_factory=dict)
    timeline: tuple[TimelinePoint, ...] = ()
    verdict: Verdict | None = None
    # Every (pattern, event) match, baseline included, for drill-down; not part of the JSON report.
    hits: tuple[Hit, ...] = field(default=(), repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON report (shared/docs/report-contract.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "service": self.service,
            "window": {"start": self.window.start, "end": self.window.end},
            "status": self.verdict.to_json() if self.verdict else None,
            "complete": self.stats.get("complete", True), "missing": list(self.stats.get("missing", [])),
            "stats": dict(self.stats),
            "findings": [
                f.to_json() | {"baseline": self.baseline_phrases.get(f.pattern_id, "")} for f in self.findings
            ],
            "chain": [link.to_json() for link in self.chain],
            "root_cause": self.root_cause.to_json(),
            "hypotheses": [h.to_json() for h in self.hypotheses],
            "remediation": [r.to_json() for r in self.remediation],
            "deploys": self.deploys.to_json(),
            "unexplained_signals": [s.to_json() for s in self.signals],
            "notes": list(self.notes),
        }


def run(con: Any, patterns: Sequence[Pattern], meta: Mapping[str, Any]) -> Result:
    """Analyse the `events` table of ``con`` with ``patterns``; ``meta`` carries window and stats."""
    hits = match_events(con, patterns)
    periods = timeutil.periods(meta["baseline_start"], meta["start"], meta["end"], meta["earliest"])
    findings = baseline.classify(aggregate(con, patterns, hits), periods)
    deploys = collect(con)
    context = _context(con, meta, deploys) | {}
    for f in sorted(findings, key=lambda f: (f.role is not Role.CONTEXT, -f.count, f.pattern_id)):
        for name, values in f.fields.items():
            context.setdefault(name, values[0])  # e.g. {host} named by a context line of the same run
    lookup = {p.id: p for p in patterns}
    nodes = _nodes(findings, lookup, hits)
    phrases = {f.pattern_id: baseline.describe(f, periods) for f in findings}
    links, root, hyps, used = whys.conclude(nodes, context, phrases)
    if root.category is Category.UNKNOWN and used:
        links, root = whys.deploy_fallback(nodes[used[0]], deploys, links, root, rfc3339(meta["start"]))
    generic = {p.id for p in patterns if p.generic}
    signals = _signals(con, meta, {h.event_id for h in hits if h.pattern_id not in generic}, patterns)
    if root.category is Category.UNKNOWN and signals:
        top = signals[0]
        since = "new" if top.new else "bursting"
        root = RootCause(
            Category.UNKNOWN,
            None,
            f"{root.summary} Top unexplained signal ({since} since {top.first_seen}, {top.count} "
            f"times): {top.template!r}",
            root.confidence,
        )
    verdict = _verdict(con, meta, periods, findings, lookup, deploys)
    return Result(
        service=meta.get("service"),
        window=Window(rfc3339(meta["start"]), rfc3339(meta["end"])),
        stats=_stats(con, meta, findings, hits) | {"deploys": len(deploys.deploys)},
        findings=tuple(sorted(findings, key=_finding_order)),
        chain=tuple(links),
        root_cause=root,
        hypotheses=tuple(hyps),
        remediation=tuple(whys.remediation([nodes[i] for i in reversed(used)], context)),
        deploys=deploys,
        signals=tuple(signals),
        context=context,
        baseline_phrases=phrases,
        timeline=tuple(_timeline(con, hits, meta)),
        hits=tuple(hits),
        verdict=verdict,
    )


def _finding_order(f: Finding) -> tuple[int, int, str]:
    status_rank = {"active": 0, "elevated": 1, "pre-existing": 2}
    return (status_rank.get(f.status, 3), -f.count, f.pattern_id)


def _nodes(
    findings: Sequence[Finding], lookup: Mapping[str, Pattern], hits: Sequence[Hit]
) -> dict[str, chain.Node]:
    occ: dict[str, list[chain.Occurrence]] = {}
    for h in hits:
        if h.in_window:
            occ.setdefault(h.pattern_id, []).append(
                chain.Occurrence(h.done_ts or h.ts, h.instance_id, h.revision, h.event_id, h.trace)
            )
    return {
        f.pattern_id: chain.Node(f, lookup[f.pattern_id], tuple(occ.get(f.pattern_id, ()))) for f in findings
    }


def _most_common(con: Any, column: str) -> str | None:
    """The most frequent non-null value of an `entries` column (ties by value)."""
    row = con.execute(
        f"SELECT {column} FROM entries WHERE {column} IS NOT NULL GROUP BY {column} "
        f"ORDER BY count(*) DESC, {column} LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def _context(con: Any, meta: Mapping[str, Any], deploys: DeployInfo) -> dict[str, str]:
    """Values that fill templates: project, service, location, revision, plus deploy config."""
    ctx = {name: value for name in ("project", "service", "location") if (value := _most_common(con, name))}
    latest = con.execute(
        "SELECT revision FROM entries WHERE revision IS NOT NULL AND in_window "
        "ORDER BY ts DESC NULLS LAST, revision LIMIT 1"
    ).fetchone()
    if latest:
        ctx["revision"] = str(latest[0])
    if meta.get("service"):
        ctx["service"] = str(meta["service"])
    if meta.get("project"):
        ctx["project"] = str(meta["project"])
    ctx.update(deploys.config)
    if "location" in ctx:
        ctx.setdefault("region", ctx["location"])
    return ctx


def _stats(
    con: Any, meta: Mapping[str, Any], findings: Sequence[Finding], hits: Sequence[Hit]
) -> dict[str, Any]:
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE in_window),
               count(*) FILTER (WHERE NOT in_window),
               count(*) FILTER (WHERE in_window AND http_status IS NOT NULL),
               count(*) FILTER (WHERE in_window AND http_status >= 500),
               count(*) FILTER (WHERE in_window AND http_status = 429),
               count(*) FILTER (WHERE in_window AND severity_num >= 500)
        FROM entries
        """
    ).fetchone()
    assert row is not None
    entries, base, requests, s5xx, s429, errors = (int(x) for x in row)
    matched_events = {h.event_id for h in hits if h.in_window}
    revisions = [
        r
        for (r,) in con.execute(
            "SELECT DISTINCT revision FROM entries WHERE in_window AND revision IS NOT NULL ORDER BY revision"
        ).fetchall()
    ]
    out: dict[str, Any] = {
        "entries": entries,
        "baseline_entries": base,
        "events": _scalar(con, "SELECT count(*) FROM events WHERE in_window"),
        "matched": _scalar(
            con,
            "SELECT sum(n_members) FROM events WHERE in_window AND event_id IN (SELECT unnest(?::BIGINT[]))",
            [sorted(matched_events)],
        ),
        "matched_events": len(matched_events),
        "requests": requests,
        "server_errors": s5xx,
        "rate_limited": s429,
        "error_rate": round(s5xx / requests, 4) if requests else None,
        "error_entries": errors,
        "revisions": revisions,
        "findings": len(findings),
    }
    out.update(_recent(con, meta))
    out.update(meta.get("load_stats", {}))
    return out


RECENT = 600  # seconds: "how bad is it now" is the last ten minutes of the window


def _recent(con: Any, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Requests and 5xx rate in the last ten minutes of the window: an incident can look mild
    averaged over an hour while the service is down by the end of it."""
    end = meta.get("end")
    if end is None:
        return {}
    naive_end = end if end.tzinfo is None else end.astimezone(_UTC).replace(tzinfo=None)
    since = naive_end - timedelta(seconds=RECENT)
    row = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE http_status >= 500) FROM entries "
        "WHERE in_window AND http_status IS NOT NULL AND ts >= ?",
        [since],
    ).fetchone()
    requests, errors = (int(row[0]), int(row[1])) if row else (0, 0)
    return {
        "recent_window_s": RECENT,
        "recent_requests": requests,
        "recent_error_rate": round(errors / requests, 4) if requests else None,
    }


def _bucket_seconds(meta: Mapping[str, Any]) -> int:
    """About 60 buckets across the window, in whole minutes (at least one)."""
    start, end = meta.get("start"), meta.get("end")
    if start is None or end is None:
        return 60
    return max(60, int((end - start).total_seconds() / 60 // 60 * 60))


def _timeline(con: Any, hits: Sequence[Hit], meta: Mapping[str, Any]) -> list[TimelinePoint]:
    """Findings and request status classes per time bucket, across the window."""
    size = _bucket_seconds(meta)
    counts: dict[tuple[str, str], int] = {}

    def bucket(ts: Any) -> str:
        epoch = int(ts.timestamp()) if ts.tzinfo else int(ts.replace(tzinfo=_UTC).timestamp())
        return rfc3339(datetime.fromtimestamp(epoch - epoch % size, _UTC)) or ""

    for h in hits:
        if h.in_window and h.ts is not None:
            key = (bucket(h.ts), h.pattern_id)
            counts[key] = counts.get(key, 0) + 1
    rows = con.execute(
        "SELECT ts, http_status FROM entries WHERE in_window AND http_status IS NOT NULL AND ts IS NOT NULL"
    ).fetchall()
    for ts, status in rows:
        key = (bucket(ts), f"http {int(status) // 100}xx")
        counts[key] = counts.get(key, 0) + 1
    return [TimelinePoint(b, s, n) for (b, s), n in sorted(counts.items())]


def _scalar(con: Any, sql: str, params: list[Any] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _signals(
    con: Any, meta: Mapping[str, Any], explained: set[int], patterns: Sequence[Pattern]
) -> list[Signal]:
    """Error-like messages no specific pattern explains, new or bursting in the incident."""
    from rca.mining.signals import unexplained_signals

    return list(unexplained_signals(con, meta, explained, patterns))


__all__ = ["Result", "Signal", "run", "samples"]


_TRAFFIC = """
    SELECT count(*) FILTER (WHERE in_window AND http_status IS NOT NULL),
           count(*) FILTER (WHERE in_window AND http_status >= 500),
           count(*) FILTER (WHERE NOT in_window AND http_status IS NOT NULL),
           count(*) FILTER (WHERE NOT in_window AND http_status >= 500),
           count(*) FILTER (WHERE in_window AND http_status IS NOT NULL AND ts >= ?),
           count(*) FILTER (WHERE in_window AND http_status >= 500 AND ts >= ?),
           count(*) FILTER (WHERE in_window AND severity_num >= 500),
           count(*) FILTER (WHERE NOT in_window AND severity_num >= 500),
           min(ts) FILTER (WHERE in_window AND http_status >= 500),
           max(ts) FILTER (WHERE in_window AND http_status >= 500),
           min(ts) FILTER (WHERE in_window AND severity_num >= 500)
    FROM entries
"""


def _traffic(con: Any, meta: Mapping[str, Any], failed_deploys: int) -> verdict.Traffic:
    """The counts and landmarks the verdict needs, in one scan of `entries`."""
    end = meta.get("end")
    since = datetime(1970, 1, 1)
    if end is not None:
        since = (end if end.tzinfo is None else end.astimezone(_UTC).replace(tzinfo=None)) - timedelta(
            seconds=RECENT
        )
    row = con.execute(_TRAFFIC, [since, since]).fetchone()
    assert row is not None
    requests, failed, base_requests, base_failed, recent, recent_failed, errors, base_errors = (
        int(x or 0) for x in row[:8]
    )
    first_failure, last_failure, first_error = row[8], row[9], row[10]
    recovered = None
    if last_failure is not None:
        after = con.execute(
            "SELECT min(ts) FROM entries WHERE in_window AND http_status < 500 AND ts > ?", [last_failure]
        ).fetchone()
        recovered = after[0] if after else None
    return verdict.Traffic(
        requests, failed, base_requests, base_failed, recent, recent_failed, errors, base_errors,
        failed_deploys, first_failure, last_failure, first_error, recovered,
    )


def _verdict(
    con: Any, meta: Mapping[str, Any], periods: Any, findings: Sequence[Finding],
    lookup: Mapping[str, Pattern], deploys: DeployInfo,
) -> Verdict:
    """State, numbers, onset, recovery and the trigger deploy of the window."""
    failed_deploys = sum(1 for d in deploys.deploys if d.failed)
    traffic = _traffic(con, meta, failed_deploys)
    active = sum(
        1 for f in findings
        if f.role is not Role.CONTEXT and f.status in ("active", "elevated")
        and lookup[f.pattern_id].severity in ("error", "critical")
    )
    onset = traffic.first_failure or traffic.first_error
    return verdict.decide(traffic, periods, active, trigger(con, deploys, onset))


TRIGGER_LEAD = timedelta(minutes=10)


def _naive(value: datetime) -> datetime:
    """UTC without tzinfo, as the entries table stores times."""
    return value if value.tzinfo is None else value.astimezone(_UTC).replace(tzinfo=None)


def trigger(con: Any, deploys: DeployInfo, onset: datetime | None) -> Trigger | None:
    """The deploy that created the revision failing at the onset, when that deploy is in the input."""
    if onset is None or not deploys.deploys:
        return None
    row = con.execute(
        "SELECT revision FROM entries WHERE in_window AND revision IS NOT NULL AND ts >= ? "
        "AND (http_status >= 500 OR severity_num >= 500) ORDER BY ts, entry_id LIMIT 1", [onset]
    ).fetchone()
    if not row:
        return None
    revision = str(row[0])
    first_row = con.execute("SELECT min(ts) FROM entries WHERE revision = ?", [revision]).fetchone()
    first = first_row[0] if first_row else None
    if first is None or first < _naive(onset) - TRIGGER_LEAD:
        return None  # the revision served well before the failures began: its deploy did not start them
    deploy = creator(deploys, revision, rfc3339(first))
    if deploy is None:
        return None
    changed = tuple(c.split(" changed ", 1)[1] for c in deploys.changes
                    if c.startswith(f"the deploy at {deploy.timestamp} changed "))
    return Trigger(revision, deploy.timestamp, deploy.principal, changed)
