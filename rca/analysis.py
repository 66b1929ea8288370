"""The analysis pipeline: events -> findings -> baseline -> causal chain -> an `Analysis` value.

`run()` is what `rca analyze` and `rca.analyze()` both call; the result carries everything the
reports render, and serialises to the contract's JSON deterministically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from rca import baseline, chain
from rca.deploys import DeployInfo, collect
from rca.engine.match import Hit, aggregate, match_events, samples
from rca.model import Category, Finding, Hypothesis, Link, Pattern, Remediation, Role, RootCause, Window
from rca.templating import fill
from rca.timeutil import rfc3339

SCHEMA_VERSION = 1
_UTC = timezone.utc


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

    def to_json(self) -> dict[str, Any]:
        """JSON view (the member messages stay out: they are for drafting patterns)."""
        return {k: v for k, v in self.__dict__.items() if k != "members"}


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

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON report (shared/docs/report-contract.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "service": self.service,
            "window": {"start": self.window.start, "end": self.window.end},
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
    periods = baseline.periods(meta["baseline_start"], meta["start"], meta["end"], meta["earliest"])
    findings = baseline.classify(aggregate(con, patterns, hits), periods)
    deploys = collect(con)
    context = _context(con, meta, deploys) | {}
    for f in sorted(findings, key=lambda f: (f.role is not Role.CONTEXT, -f.count, f.pattern_id)):
        for name, values in f.fields.items():
            context.setdefault(name, values[0])  # e.g. {host} named by a context line of the same run
    lookup = {p.id: p for p in patterns}
    nodes = _nodes(findings, lookup, hits)
    phrases = {f.pattern_id: baseline.describe(f, periods) for f in findings}
    links, root, hyps, used = _conclude(nodes, context, phrases)
    if root.category is Category.UNKNOWN and used:
        links, root = _deploy_fallback(nodes[used[0]], deploys, links, root, rfc3339(meta["start"]))
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
    return Result(
        service=meta.get("service"),
        window=Window(rfc3339(meta["start"]), rfc3339(meta["end"])),
        stats=_stats(con, meta, findings, hits) | {"deploys": len(deploys.deploys)},
        findings=tuple(sorted(findings, key=_finding_order)),
        chain=tuple(links),
        root_cause=root,
        hypotheses=tuple(hyps),
        remediation=tuple(_remediation([nodes[i] for i in reversed(used)], context)),
        deploys=deploys,
        signals=tuple(signals),
        context=context,
        baseline_phrases=phrases,
        timeline=tuple(_timeline(con, hits, meta)),
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
                chain.Occurrence(h.done_ts or h.ts, h.instance_id, h.revision, h.event_id)
            )
    return {
        f.pattern_id: chain.Node(f, lookup[f.pattern_id], tuple(occ.get(f.pattern_id, ()))) for f in findings
    }


def _conclude(
    nodes: Mapping[str, chain.Node], context: Mapping[str, str], phrases: Mapping[str, str]
) -> tuple[list[Link], RootCause, list[Hypothesis], list[str]]:
    """Choose the chain; state each link; derive root cause and the hypotheses that lost."""
    ordered = [nodes[k] for k in sorted(nodes)]
    edges = chain.build_edges(ordered)
    symptom = chain.main_symptom(ordered)
    if symptom is None:
        causes = [n for n in ordered if n.pattern.role is Role.CAUSE and n.finding.status == "active"]
        if not causes:
            return [], chain.unexplained(None), _hypotheses(ordered, [], edges, None, phrases, {}), []
        symptom = sorted(causes, key=lambda n: (-n.finding.count, n.id))[0]
    paths = chain.best_paths(symptom, nodes, edges)
    best = paths[0]
    runner_up = next((p for p in paths[1:] if p.ids[-1] != best.ids[-1]), None)
    margin = best.score - runner_up.score if runner_up else 1.0
    links = [_link(1, nodes[best.ids[0]], None, context)]
    for i, ed in enumerate(best.edges, start=2):
        links.append(_link(i, nodes[ed.cause], ed, context))
    terminal = nodes[best.ids[-1]]
    present = list(ordered)
    fired = chain.fired_rules(terminal, present)
    path_scores = {p.ids[-1]: p.score for p in reversed(paths)}
    if terminal.pattern.role is not Role.CAUSE or terminal.pattern.generic:
        links.append(_gap_link(len(links) + 1, terminal))
        root = chain.unexplained(terminal)
    else:
        category = chain.root_category(terminal, fired)
        conf = chain.confidence(best, terminal, fired, margin)
        for rule, support in fired:
            links.append(
                _rule_link(len(links) + 1, terminal, rule.statement, category, conf, support, context)
            )
        if not fired:
            links[-1] = _with(links[-1], confidence=conf)
        summary = links[-1].statement
        root = RootCause(category, terminal.id, summary, conf)
        links[-1] = _with(links[-1], category=category, confidence=conf)
    hyps = _hypotheses(ordered, list(best.ids), edges, symptom, phrases, path_scores)
    hyps = _rule_alternatives(terminal, fired, root) + hyps
    return links, root, hyps, list(best.ids)


def _deploy_fallback(
    symptom: chain.Node, deploys: DeployInfo, links: list[Link], root: RootCause, window_start: str | None
) -> tuple[list[Link], RootCause]:
    """When nothing explains the symptom but it began with a new revision, say so (deployment-change)."""
    from rca.deploys import new_revision_suspect

    failing: dict[str, int] = {}
    for o in symptom.occurrences:
        if o.revision:
            failing[o.revision] = failing.get(o.revision, 0) + 1
    sentence = new_revision_suspect(deploys, failing, window_start)
    if sentence is None:
        return links, root
    link = Link(
        len(links) + 1,
        sentence,
        None,
        Category.DEPLOYMENT_CHANGE,
        0.5,
        symptom.finding.samples[:1],
        "",
        ("deploy correlation: failures only on revisions new in the window",),
    )
    return [*links, link], RootCause(Category.DEPLOYMENT_CHANGE, None, sentence, 0.5)


def _with(link: Link, **changes: Any) -> Link:
    from dataclasses import replace

    return replace(link, **changes)


def _finding_context(f: Finding, context: Mapping[str, str]) -> dict[str, str]:
    """Context for one finding's templates: its own latest revision and instance win."""
    ctx = dict(context) | {
        "count": str(f.count),
        "first_seen": f.first_seen or "",
        "last_seen": f.last_seen or "",
    }
    if f.samples:
        last = f.samples[-1]
        if last.revision:
            ctx["revision"] = last.revision
        if last.instance_id:
            ctx["instance"] = last.instance_id
    return ctx


def _link(why: int, node: chain.Node, ed: chain.Edge | None, context: Mapping[str, str]) -> Link:
    f = node.finding
    statement = fill(node.pattern.why, f.fields, _finding_context(f, context))
    return Link(
        why=why,
        statement=statement,
        pattern_id=f.pattern_id,
        category=f.category,
        confidence=ed.score if ed else 0.95,
        evidence=f.samples,
        technical=_technical(f),
        support=ed.support if ed else (f"observed {f.count} time(s)",),
    )


def _technical(f: Finding) -> str:
    """`title; field=value in n of m` — the consistency of extracted values."""
    parts = [f.title]
    for name, counts in sorted(f.field_counts.items()):
        top, n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        total = sum(counts.values())
        parts.append(f"{name}={top} in {n} of {total}")
    return "; ".join(parts)


def _gap_link(why: int, node: chain.Node) -> Link:
    """The honest last link: where the evidence stops, say so and say what to check."""
    checks = "; ".join(node.pattern.next_checks[:2]) or "the entries just before it on the same instance"
    what = node.finding.title[:1].lower() + node.finding.title[1:]
    if node.pattern.generic:
        statement = f"No known failure mode explains the {what}. Check: {checks}"
    else:
        statement = f"No log entry explains why: {what}. Check: {checks}"
    return Link(why, statement, None, Category.UNKNOWN, 0.15, (), "", ("the evidence stops here",))


def _rule_link(
    why: int,
    terminal: chain.Node,
    statement: str,
    category: Category,
    conf: float,
    support: Sequence[chain.Node],
    context: Mapping[str, str],
) -> Link:
    evidence = terminal.finding.samples[:1] + tuple(s for n in support for s in n.finding.samples[:1])
    return Link(
        why,
        fill(statement, terminal.finding.fields, context),
        terminal.id,
        category,
        conf,
        evidence,
        "; ".join(n.finding.title for n in support),
        tuple(f"rule: {n.id} present" for n in support),
    )


def _rule_alternatives(
    terminal: chain.Node, fired: Sequence[tuple[Any, Any]], root: RootCause
) -> list[Hypothesis]:
    """Categories the terminal pattern's rules could have concluded but did not."""
    out = []
    fired_rules = {id(r) for r, _ in fired}
    for rule in terminal.pattern.rules:
        if rule.category is None or rule.category == root.category or id(rule) in fired_rules:
            continue
        wanted = ", ".join(rule.when_any)
        out.append(
            Hypothesis(
                rule.category,
                terminal.id,
                rule.statement,
                0.1,
                f"no supporting evidence: none of {wanted} appears in the logs",
            )
        )
    return out


def _hypotheses(
    ordered: Sequence[chain.Node],
    chain_ids: list[str],
    edges: Mapping[tuple[str, str], chain.Edge],
    symptom: chain.Node | None,
    phrases: Mapping[str, str],
    path_scores: Mapping[str, float],
) -> list[Hypothesis]:
    symptom_first = symptom.first() if symptom else None
    downstream = chain.explained(chain_ids, edges)
    out = []
    for n in ordered:
        if n.id in chain_ids or n.pattern.role is Role.CONTEXT:
            continue
        if n.pattern.role is Role.SYMPTOM and n.id not in downstream:
            continue  # a side symptom nothing explains is not a competing cause (see finding relations)
        why_not = chain.losing_reason(n, chain_ids, edges, symptom_first, phrases.get(n.id, ""))
        score = min(0.5, path_scores.get(n.id, 0.0) / 3) if n.finding.status == "active" else 0.05
        out.append(chain.hypothesis(n, why_not, score))
    return sorted(out, key=lambda h: (-h.confidence, h.pattern_id or ""))


def _remediation(chain_nodes: Sequence[chain.Node], context: Mapping[str, str]) -> list[Remediation]:
    out: list[Remediation] = []
    seen: set[tuple[str, str | None]] = set()
    for node in chain_nodes:
        ctx = _finding_context(node.finding, context)
        for step in node.pattern.remediation:
            action = fill(step.action, node.finding.fields, ctx)
            command = fill(step.command, node.finding.fields, ctx) if step.command else None
            if (action, command) not in seen:
                seen.add((action, command))
                out.append(Remediation(action, command, node.id))
    return out


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
