"""The template context the reports read, built from an analysis `Result`: plain values only.

rca/report/render.py cleans it of escape sequences, redacts it and renders it; this module only says
what the templates see (documented in docs/reports.md): the impact and status, the chain and its
cited evidence, findings, timeline, verification commands and coverage.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rca.model import Finding, Layer, Role, Sample, Status
from rca.reasoning.verdict import RECENT
from rca.report import presentation

if TYPE_CHECKING:
    from rca.reasoning.analysis import Result

STATUS_LABELS = {
    Status.ACTIVE: "active in the incident",
    Status.ELEVATED: "elevated above its baseline",
    Status.PRE_EXISTING: "present before the incident",
}
_ADDRESS_FIELDS = {"host", "hostname", "address", "addr", "ip", "remote", "endpoint"}
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")


# Phrasings of single values; rca/report/render.py also registers headline and pct as template filters.


def headline(value: Any, limit: int = 240) -> str:
    """One line standing for a log message: itself, or a traceback's first and last lines."""
    lines = [ln.strip() for ln in str(value).splitlines() if ln.strip()]
    if not lines:
        return ""
    text = lines[0] if len(lines) == 1 else f"{lines[0]} … {lines[-1]}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt_line(value: str, limit: int = 240) -> str:
    """The matched lines of a multi-line event on one line, joined with ' ⏎ '."""
    text = " ⏎ ".join(ln.strip() for ln in value.splitlines() if ln.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pct(value: Any, digits: int = 0) -> str:
    """``0.853`` -> ``85%``; None -> ``n/a``."""
    return "n/a" if value is None else f"{float(value) * 100:.{digits}f}%"


def raw_context(result: Result, *, redact: bool = True, evidence: str = "brief") -> dict[str, Any]:
    """The template context before cleaning and redaction; ``redact`` only records whether it will be.

    ``evidence`` (brief | all) bounds the evidence appendix; see rca/report/presentation.py.
    """
    project = result.context.get("project")
    cites = _Cites(project)
    ctx: dict[str, Any] = {
        "generator": "rca",
        "schema_version": 1,
        "title": f"Five whys: {result.service or 'all services'}",
        "service": result.service or result.context.get("service"),
        "project": project,
        "location": result.context.get("location"),
        "window": result.window.to_json(),
        "impact": _impact(result),
        "status": _status(result),
        "incomplete": _incomplete(result),
        "chain": [_link(link, cites) for link in result.chain],
        "root_cause": _root(result),
        "contributing": _contributing(result, cites),
        "hypotheses": [_hypothesis(h) for h in result.hypotheses],
        "evidence_summary": _evidence_summary(result),
        "findings": [_finding(f, result, cites) for f in result.findings],
        "deploys": _deploys(result),
        "signals": [s.to_json() for s in result.signals],
        "timeline": _timeline(result, cites),
        "timeline_series": [
            {"bucket": p.bucket, "series": p.series, "count": p.count} for p in result.timeline
        ],
        "remediation": [
            {"action": r.action, "command": r.command, "pattern_id": r.pattern_id, "verify": r.verify}
            for r in result.remediation
        ],
        "verification": _verification(result),
        "coverage": _coverage(result),
        "settings": dict(sorted(result.context.items())),
        "notes": list(result.notes),
        "redacted": redact,
    }
    ctx["evidence"] = cites.all()
    return ctx | presentation.view(ctx, evidence)


def logs_explorer_url(project: str, insert_id: str, timestamp: str | None) -> str:
    """A Cloud Console Logs Explorer link that opens exactly this entry (insertId and timestamp)."""
    query = f'insertId="{insert_id}"' + (f'\ntimestamp="{timestamp}"' if timestamp else "")
    url = "https://console.cloud.google.com/logs/query;query=" + quote(query, safe="")
    if timestamp:
        url += ";cursorTimestamp=" + quote(timestamp, safe=":")
    return url + "?project=" + quote(project, safe="")


class _Cites:
    """Cited log entries, each given a stable anchor id the first time it is cited."""

    def __init__(self, project: str | None) -> None:
        self._project = project
        self._by_key: dict[tuple[Any, ...], dict[str, Any]] = {}

    def cite(self, s: Sample) -> dict[str, Any]:
        """The context view of sample ``s`` (one shared dict per entry)."""
        key = (s.insert_id, s.timestamp, s.event_id)
        if key not in self._by_key:
            self._by_key[key] = self._view(s, f"ev-{len(self._by_key) + 1}")
        return self._by_key[key]

    def _view(self, s: Sample, anchor: str) -> dict[str, Any]:
        url = (
            logs_explorer_url(self._project, s.insert_id, s.timestamp)
            if self._project and s.insert_id
            else None
        )
        lines = s.message.splitlines()
        return {
            "id": anchor,
            "timestamp": s.timestamp,
            "insert_id": s.insert_id,
            "log_name": s.log_name,
            "log_id": s.log_id,
            "revision": s.revision,
            "instance_id": s.instance_id,
            "message": s.message,
            "excerpt": s.excerpt,
            "headline": excerpt_line(s.excerpt) if s.excerpt else headline(s.message),
            "multiline": len(lines) > 1,
            "lines": len(lines),
            "url": url,
        }

    def all(self) -> list[dict[str, Any]]:
        """Every cited entry, oldest first (untimed last), ties by anchor."""
        return sorted(
            self._by_key.values(),
            key=lambda c: (c["timestamp"] is None, c["timestamp"] or "", int(c["id"][3:])),
        )


def _confidence(value: float) -> dict[str, Any]:
    label = "high" if value >= 0.75 else "medium" if value >= 0.45 else "low"
    return {"confidence": round(value, 2), "confidence_pct": pct(value), "confidence_label": label}


def _impact(result: Result) -> dict[str, Any]:
    st = result.stats
    revisions = list(st.revisions)
    affected = [r.name for r in result.deploys.revisions if r.errors or r.server_errors]
    if not result.deploys.revisions:
        affected = sorted(
            {r for f in result.findings if f.status is not Status.PRE_EXISTING for r in f.revisions}
        )
    recent = st.recent
    return {
        "requests": st.requests,
        "failing_requests": st.server_errors,
        # of them, requests the platform refused under 500 (the chart's `http refused` series)
        "refused_requests": sum(p.count for p in result.timeline if p.series == "http refused"),
        "error_rate": st.error_rate,
        "error_rate_pct": pct(st.error_rate, 1),
        "rate_limited": st.rate_limited,
        "error_entries": st.error_entries,
        # a paste of plain lines: no entry says its level, so "0 at ERROR" would read as "no errors"
        "levels_unstated": not st.error_entries and set(st.load.by_severity) <= {"DEFAULT"},
        "revisions": revisions,
        "revisions_affected": affected,
        "recent_requests": recent.requests if recent else 0,
        "recent_error_rate_pct": (
            None if recent is None or recent.error_rate is None else pct(recent.error_rate, 1)
        ),
        "recent_minutes": (recent.window_s if recent else RECENT) // 60,
    }


STATE_LABELS = {"down": "DOWN", "degraded": "DEGRADED", "recovered": "RECOVERED", "ok": "NO INCIDENT FOUND"}


def _status(result: Result) -> dict[str, Any]:
    """The verdict (rca/reasoning/verdict.py) as the templates show it: code, label and numbers."""
    v = result.verdict
    if v is None:
        return {"code": "ok", "label": STATE_LABELS["ok"], "onset": None, "recovered_at": None,
                "trigger": None, "reasons": []}
    return {"code": v.state.value, "label": STATE_LABELS[v.state.value]} | v.to_json()


def _incomplete(result: Result) -> str | None:
    """The banner every format leads with when part of the window could not be read."""
    load = result.stats.load
    if load.data_warning:
        return load.data_warning
    missing = list(load.missing_ranges)
    if load.truncated or missing:
        limit = "the fetch stopped at its entry limit"
        what = limit if load.truncated else f"missing {'; '.join(missing)}"
        return f"part of the window could not be read ({what}); counts and the verdict may understate it"
    return None


def _link(link: Any, cites: _Cites) -> dict[str, Any]:
    return {
        "why": link.why,
        "statement": link.statement,
        "pattern_id": link.pattern_id,
        "category": link.category.value,
        "technical": link.technical,
        "support": list(link.support),
        "evidence": [cites.cite(s) for s in link.evidence],
        "service": link.service,
    } | _confidence(link.confidence)


def _root(result: Result) -> dict[str, Any]:
    rc = result.root_cause
    return {"category": rc.category.value, "pattern_id": rc.pattern_id, "summary": rc.summary} | _confidence(
        rc.confidence
    )


def _hypothesis(h: Any) -> dict[str, Any]:
    return {
        "category": h.category.value,
        "pattern_id": h.pattern_id,
        "summary": h.summary,
        "why_not": h.why_not,
    } | _confidence(h.confidence)


def _contributing(result: Result, cites: _Cites) -> list[dict[str, Any]]:
    """Context findings the chain rests on (a rule's evidence) or that change things (deploy layer),
    and the deploys. A server naming its port is a fact, not a factor: it stays in the findings."""
    cited = {s.pattern_id for link in result.chain for s in link.evidence if s.pattern_id}
    out: list[dict[str, Any]] = []
    for f in result.findings:
        relevant = f.pattern_id in cited or f.layer is Layer.DEPLOY
        if f.role is Role.CONTEXT and f.status in (Status.ACTIVE, Status.ELEVATED) and relevant:
            out.append(
                {
                    "summary": f.title,
                    "pattern_id": f.pattern_id,
                    "count": f.count,
                    "evidence": [cites.cite(s) for s in f.samples[:1]],
                }
            )
    for change in result.deploys.changes:
        summary = change[:1].upper() + change[1:]
        out.append({"summary": summary, "pattern_id": None, "count": 1, "evidence": []})
    deploys = result.deploys.deploys
    if deploys:
        failed = sum(1 for d in deploys if d.failed)
        last = deploys[-1]
        out.append(
            {
                "summary": f"{len(deploys)} deploy(s) in the logs ({failed} failed); the last at "
                f"{last.timestamp} by {last.principal or 'an unknown principal'}",
                "pattern_id": None,
                "count": len(deploys),
                "evidence": [],
            }
        )
    return out


def _evidence_summary(result: Result) -> dict[str, Any]:
    on_chain = {link.pattern_id for link in result.chain if link.pattern_id}
    consistent, addresses = [], set()
    for f in result.findings:
        if f.pattern_id in on_chain:
            consistent.extend(_consistency(f))
        if f.status is not Status.PRE_EXISTING:
            addresses.update(_addresses(f))
    counts = [
        {
            "pattern_id": f.pattern_id,
            "title": f.title,
            "count": f.count,
            "instances": len(f.instances),
            "revisions": len(f.revisions),
        }
        for f in result.findings
        if f.pattern_id in on_chain
    ]
    return {
        "revisions": list(result.stats.revisions),
        "consistent": consistent,
        "addresses": sorted(addresses),
        "config": [{"key": k, "value": v} for k, v in sorted(result.deploys.config.items())],
        "counts": counts,
    }


def _consistency(f: Finding) -> list[dict[str, Any]]:
    """``timeout_s=8.0 in 7 of 7``: how consistently each extracted field took its commonest value."""
    out = []
    for name, counts in sorted(f.field_counts.items()):
        value, n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        total = sum(counts.values())
        out.append(
            {
                "pattern_id": f.pattern_id,
                "field": name,
                "value": value,
                "n": n,
                "total": total,
                "text": f"{name}={value} in {n} of {total}",
            }
        )
    return out


def _addresses(f: Finding) -> set[str]:
    return {
        v
        for name, values in f.fields.items()
        for v in values
        if name.lower() in _ADDRESS_FIELDS or _IPV4.match(v)
    }


def _finding(f: Finding, result: Result, cites: _Cites) -> dict[str, Any]:
    return {
        "pattern_id": f.pattern_id,
        "title": f.title,
        "category": f.category.value,
        "layer": f.layer.value,
        "role": f.role.value,
        "count": f.count,
        "status": f.status.value,
        "status_label": STATUS_LABELS[f.status],
        "baseline": result.baseline_phrases.get(f.pattern_id, ""),
        "baseline_count": f.baseline_count,
        "first_seen": f.first_seen,
        "last_seen": f.last_seen,
        "revisions": list(f.revisions),
        "instances": len(f.instances),
        "fields": {k: list(v) for k, v in sorted(f.fields.items())},
        "samples": [cites.cite(s) for s in f.samples],
    }


def _deploys(result: Result) -> dict[str, Any]:
    info = result.deploys
    return {
        "deploys": [dict(d.__dict__) for d in info.deploys],
        "revisions": [dict(r.__dict__) for r in info.revisions],
        "config": [{"key": k, "value": v} for k, v in sorted(info.config.items())],
    }


def _timeline(result: Result, cites: _Cites) -> list[dict[str, Any]]:
    """The critical entries: what the chain cites plus each active finding's first sample, in time order."""
    rows: dict[str, dict[str, Any]] = {}
    titles = {f.pattern_id: f.title for f in result.findings}
    # A sample names the finding it proves: a rule's link also cites the findings it rests on.
    pairs: list[tuple[str | None, Sample]] = [
        (s.pattern_id or ln.pattern_id, s) for ln in result.chain for s in ln.evidence
    ]
    pairs += [
        (f.pattern_id, f.samples[0])
        for f in result.findings if f.status is not Status.PRE_EXISTING and f.samples
    ]
    for pid, s in pairs:
        c = cites.cite(s)
        rows.setdefault(c["id"], {"entry": c, "pattern_id": pid, "title": titles.get(pid or "", "")})
    return sorted(
        rows.values(),
        key=lambda r: (
            r["entry"]["timestamp"] is None,
            r["entry"]["timestamp"] or "",
            int(r["entry"]["id"][3:]),
        ),
    )[:40]


def _verification(result: Result) -> list[dict[str, str]]:
    """What to re-run after the fix to confirm it worked (rca/reasoning/verification.py)."""
    return [{"action": v.action, "command": v.command or ""} for v in result.verification]


def _coverage(result: Result) -> dict[str, Any]:
    st, load = result.stats, result.stats.load
    truncated = load.truncated
    missing = list(load.missing_ranges)
    return {
        "read": load.read,
        "entries": st.entries,
        "baseline_entries": st.baseline_entries,
        "events": st.events,
        "matched": st.matched,
        "matched_events": st.matched_events,
        "findings": len(result.findings),
        "unexplained_signals": len(result.signals),
        "unexplained_entries": sum(s.count for s in result.signals),
        "skipped_lines": load.skipped_lines,
        "skipped_by_kind": [{"kind": k, "count": v} for k, v in sorted(load.skipped_by_kind.items())],
        "duplicates": load.duplicates_dropped,
        "outside_window": load.outside_window,
        "other_services": load.other_services,
        "naive_timestamps": load.naive_timestamps,
        "tracebacks_rejoined": load.tracebacks_rejoined,
        "sources": list(load.sources),
        "truncated": truncated,
        "missing_ranges": missing,
        "complete": not truncated and not missing,
    }
