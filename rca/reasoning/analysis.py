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
from rca.engine.match import Hit, aggregate, entry_weights, match_events, samples
from rca.library.knowledge import load_knowledge
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
    State,
    Verdict,
    Window,
)
from rca.reasoning import baseline, chain, impact, steady, whys
from rca.reasoning.deploys import DeployInfo, collect
from rca.reasoning.impact import RECENT
from rca.timeutil import naive_utc, rfc3339

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
    meta = _whole_input_window(con, meta)
    knowledge = load_knowledge()
    hits = _specific_first(match_events(con, patterns, knowledge), patterns)
    periods = timeutil.periods(meta["baseline_start"], meta["start"], meta["end"], meta["earliest"])
    findings = baseline.classify(aggregate(con, patterns, hits), periods)
    deploys = collect(con)
    context = _context(con, meta, deploys) | {}
    for f in sorted(findings, key=lambda f: (f.role is not Role.CONTEXT, -f.count, f.pattern_id)):
        for name, values in f.fields.items():
            context.setdefault(name, values[0])  # e.g. {host} named by a context line of the same run
    lookup = {p.id: p for p in patterns}
    phrases = {f.pattern_id: baseline.describe(f, periods) for f in findings}
    findings, phrases, step = steady.steady_before_step(
        findings, _nodes(findings, lookup, hits), meta, phrases, periods.has_baseline
    )
    nodes = steady.since_step(_nodes(findings, lookup, hits), step)
    links, root, hyps, used = whys.conclude(nodes, context, phrases, knowledge)
    if root.category is Category.UNKNOWN and used:
        links, root = whys.deploy_fallback(nodes[used[0]], deploys, links, root, rfc3339(meta["start"]))
    # A catch-all, or an exception known only by where it was raised, does not explain what failed:
    # its events still feed the unexplained signals that `rca patterns suggest` drafts from.
    generic = {p.id for p in patterns if p.generic or p.frames}
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
    verdict = impact.decide(con, meta, periods, findings, lookup, deploys)
    if verdict.state is State.OK:
        # Nothing failed beyond what the baseline already had: no chain, and no cause to name.
        links, used = [], []
        root = RootCause(Category.UNKNOWN, None, "No failure in this window: requests succeeded and no error "
                         "rose above what the baseline already had.", 0.0)
    return Result(
        service=meta.get("service"),
        window=Window(rfc3339(meta["start"]), rfc3339(meta["end"])),
        stats=_stats(con, meta, findings, hits) | {"deploys": len(deploys.deploys)},
        findings=tuple(sorted(findings, key=_finding_order)),
        chain=tuple(links),
        root_cause=root,
        hypotheses=tuple(hyps),
        remediation=tuple(whys.remediation([nodes[i] for i in reversed(used)], context, root.category)),
        deploys=deploys,
        signals=tuple(signals),
        context=context,
        baseline_phrases=phrases,
        timeline=tuple(_timeline(con, hits, meta)),
        hits=tuple(hits),
        verdict=verdict,
    )


def _whole_input_window(con: Any, meta: Mapping[str, Any]) -> Mapping[str, Any]:
    """Read without --since, the window is the whole input: its first and last entry, so that "the
    last ten minutes", the timeline and in-window steps mean the same as for a chosen window."""
    if meta.get("start") is not None and meta.get("end") is not None:
        return meta
    row = con.execute("SELECT min(ts), max(ts) FROM entries WHERE in_window").fetchone()
    if not row or row[0] is None:
        return meta
    first, last = (t if t.tzinfo else t.replace(tzinfo=_UTC) for t in row)
    return dict(meta) | {"start": meta.get("start") or first, "end": meta.get("end") or last}


def _specific_first(hits: list[Hit], patterns: Sequence[Pattern]) -> list[Hit]:
    """Drop own-code exception hits on events a specific cause pattern already explains: a
    connection refused raised through the app's frames is a network failure, not a bug."""
    lookup = {p.id: p for p in patterns}
    explained = {h.event_id for h in hits if lookup[h.pattern_id].role is Role.CAUSE
                 and not lookup[h.pattern_id].generic and lookup[h.pattern_id].frames is None}
    return [h for h in hits if lookup[h.pattern_id].frames is None or h.event_id not in explained]


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
                chain.Occurrence(h.done_ts or h.ts, h.instance_id, h.revision, h.event_id, h.trace, h.pos,
                                 h.runtime)
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




def _recent(con: Any, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Requests and 5xx rate in the last ten minutes of the window: an incident can look mild
    averaged over an hour while the service is down by the end of it."""
    end = meta.get("end")
    if end is None:
        return {}
    since = naive_utc(end) - timedelta(seconds=RECENT)
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
    """Findings and request status classes per time bucket, across the window.

    Request entries are counted per (bucket, status) in SQL; Python formats the few buckets.
    A bucket starts at a whole multiple of `size` seconds since the epoch (times truncated to
    the second).
    """
    size = _bucket_seconds(meta)
    counts: dict[tuple[str, str], float] = {}
    weights = entry_weights(con)  # a sampled live fetch: each sampled entry stands for 1/fraction
    labels: dict[int, str] = {}

    def label(start: int) -> str:
        if start not in labels:
            labels[start] = rfc3339(datetime.fromtimestamp(start, _UTC)) or ""
        return labels[start]

    def bucket(ts: Any) -> str:
        epoch = int(ts.timestamp()) if ts.tzinfo else int(ts.replace(tzinfo=_UTC).timestamp())
        return label(epoch - epoch % size)

    for h in hits:
        if h.in_window and h.ts is not None:
            key = (bucket(h.ts), h.pattern_id)
            counts[key] = counts.get(key, 0) + weights.get(h.event_id, 1.0)
    rows = con.execute(
        """
        SELECT b - ((b % $size) + $size) % $size AS start, http_status, count(*), entry_id
        FROM (
          SELECT CASE WHEN epoch_us(ts) >= 0 THEN epoch_us(ts) // 1000000
                      ELSE -((-epoch_us(ts)) // 1000000) END AS b, http_status,
                 CASE WHEN $weighed THEN entry_id END AS entry_id
          FROM entries WHERE in_window AND http_status IS NOT NULL AND ts IS NOT NULL
        )
        GROUP BY ALL
        """,
        {"size": size, "weighed": bool(weights)},
    ).fetchall()
    for start, status, n, entry_id in rows:
        key = (label(int(start)), f"http {int(status) // 100}xx")
        counts[key] = counts.get(key, 0) + int(n) * weights.get(entry_id, 1.0)
    return [TimelinePoint(b, s, round(n)) for (b, s), n in sorted(counts.items())]


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


