"""What a reader sees first and how much: the verdict, the whys as shown, bounded lists, short ids.

rca/report/context.py says what the analysis found; this module (``view``) decides how a pasteable report
shows it. It works on the plain context dicts (after citing, before cleaning and redaction):

- ``verdict``: state, onset, recovery, duration, overall/peak/final error rate and the trigger
  deploy, one dict that every format prints first, so that they agree;
- ``whys``: the chain as shown, at most ``MAX_WHYS`` steps. Consecutive links of one pattern
  fold into one why, then the links right after the symptom fold until the cap holds (the folded
  statements stay as the why's facets). No entry is cited twice: a later why refers back;
- ``appendix``: the cited entries not shown inline, bounded unless ``evidence="all"``;
- ``shorten``: digests, long hex ids and Cloud SQL insertIds cut to a recognisable prefix in
  prose (``sha256:823929…``), with ``identifiers`` listing each full value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rca import timeutil

MAX_WHYS = 6
INLINE_EVIDENCE = 2
APPENDIX_ENTRIES = 10
PEAK_MIN_REQUESTS = 5
EVIDENCE_MODES = ("brief", "all")

LONG_ID = re.compile(
    r"""(?x)
    (?P<digest>sha256:[0-9a-f]{64})                                # image digest
  | (?P<sqlid>\bs=[0-9a-f]{32};i=[0-9a-f]+;b=[0-9a-f]+;m=[0-9a-f]+;t=[0-9a-f]+;x=[0-9a-f]+)  # Cloud SQL
  | (?P<hex>\b[0-9a-f]{32,}\b)                                     # instance ids, trace ids
    """
)


# --------------------------------------------------------------------------- short values


def short_token(token: str) -> str:
    """The recognisable part of one long identifier: ``sha256:823929…``, ``s=751555…``, ``007e26…b26eea``."""
    if token.startswith("sha256:"):
        return token[:13] + "…"
    if token.startswith("s="):
        return token[:8] + "…"
    return f"{token[:6]}…{token[-6:]}" if len(token) > 24 else token  # instance ids share long prefixes


_FRACTION = re.compile(r"(?P<second>\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+(?P<zone>Z|[+-]\d\d:\d\d)")


def shorten_times(text: str) -> str:
    """RFC 3339 times in ``text`` to the second: ``10:32:30.821437Z`` -> ``10:32:30Z``."""
    return _FRACTION.sub(r"\g<second>\g<zone>", text)


def shorten(text: str) -> str:
    """``text`` with digests, Cloud SQL insertIds and long hex ids cut to a prefix, times to the second."""
    return LONG_ID.sub(lambda m: short_token(m.group(0)), shorten_times(text))


def short_id(value: str | None) -> str:
    """An insertId or instance id for prose: itself when short, else its two ends."""
    if not value:
        return ""
    if LONG_ID.fullmatch(value):
        return short_token(value)
    return value if len(value) <= 24 else f"{value[:8]}…{value[-8:]}"  # both ends: file:line ids differ last


def identifiers(texts: Iterable[str]) -> list[dict[str, str]]:
    """Each long value found in ``texts`` once, with the short form prose shows: the appendix's key."""
    found: dict[str, str] = {}
    for text in texts:
        for m in LONG_ID.finditer(text or ""):
            found.setdefault(m.group(0), short_token(m.group(0)))
    return [{"short": s, "full": f} for f, s in found.items()]


# --------------------------------------------------------------------------- verdict


def duration_text(seconds: float | None) -> str | None:
    """``2220`` -> ``37m 00s``; hours when longer; None stays None."""
    if seconds is None:
        return None
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m {sec:02d}s"


FAILED_SERIES = ("http 5xx", "http refused")  # the chart's series of failed requests


def peak_error_rate(series: Sequence[Mapping[str, Any]]) -> float | None:
    """The highest failed share of requests (5xx, or refused by the platform) in any chart bucket
    with at least ``PEAK_MIN_REQUESTS``."""
    totals: dict[str, int] = {}
    failed: dict[str, int] = {}
    for p in series:
        if str(p["series"]).startswith("http "):
            totals[p["bucket"]] = totals.get(p["bucket"], 0) + int(p["count"])
            if p["series"] in FAILED_SERIES:
                failed[p["bucket"]] = failed.get(p["bucket"], 0) + int(p["count"])
    rates = [failed.get(b, 0) / n for b, n in totals.items() if n >= PEAK_MIN_REQUESTS]
    if not rates:
        rates = [failed.get(b, 0) / n for b, n in totals.items() if n]
    return round(max(rates), 3) if rates else None


def verdict(
    status: Mapping[str, Any], window: Mapping[str, Any], series: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The verdict every format leads with: the status plus duration and peak/final error rates."""
    onset, recovered = status.get("onset"), status.get("recovered_at")
    end = recovered or window.get("end")
    seconds = None
    if onset and end:
        seconds = (timeutil.parse_rfc3339(end) - timeutil.parse_rfc3339(onset)).total_seconds()
    peak = peak_error_rate(series)
    return {
        "state": status.get("code", "ok"),
        "label": status.get("label", ""),
        "onset": onset,
        "recovered_at": recovered,
        "ongoing": bool(onset) and not recovered and status.get("code") in ("down", "degraded"),
        "duration_s": None if seconds is None else round(seconds),
        "duration": duration_text(seconds),
        "requests": status.get("requests", 0),
        "failed_requests": status.get("failed_requests", 0),
        "error_rate": status.get("error_rate"),
        "peak_error_rate": peak,
        "final_error_rate": status.get("recent_error_rate"),
        "trigger": status.get("trigger"),
        "change": status.get("change"),
        "reasons": list(status.get("reasons") or []),
    }


# --------------------------------------------------------------------------- whys


def fold(chain: Sequence[Mapping[str, Any]], limit: int = MAX_WHYS) -> list[list[Mapping[str, Any]]]:
    """Group the links into at most ``limit`` whys: same-pattern neighbours first, then after the symptom."""
    groups: list[list[Mapping[str, Any]]] = []
    for link in chain:
        last = groups[-1][-1] if groups else None
        if (last is not None and link.get("pattern_id") and last.get("pattern_id") == link.get("pattern_id")
                and last.get("service") == link.get("service")):
            groups[-1].append(link)
        else:
            groups.append([link])
    excess = len(groups) - limit
    if excess > 0 and len(groups) > 2:
        take = min(excess + 1, len(groups) - 2)  # never fold the symptom or the root cause
        groups = [groups[0], [link for g in groups[1 : 1 + take] for link in g], *groups[1 + take :]]
    return groups


def whys(chain: Sequence[Mapping[str, Any]], limit: int = MAX_WHYS) -> list[dict[str, Any]]:
    """The whys as shown: folded, each citing only entries no earlier why cited (it refers back instead)."""
    shown: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for n, group in enumerate(fold(chain, limit), 1):
        entries = _unique(e for link in group for e in link.get("evidence", []))
        new = [e for e in entries if e["id"] not in shown]
        back = sorted({shown[e["id"]] for e in entries if e["id"] in shown})
        for e in new:
            shown[e["id"]] = n
        head, last = group[0], group[-1]
        out.append(
            {
                "why": n,
                "links": [link["why"] for link in group],
                "statement": last["statement"]
                if len(group) > 1 and _same_pattern(group)
                else head["statement"],
                "facets": _facets(group),
                "pattern_ids": list(
                    dict.fromkeys(link["pattern_id"] for link in group if link.get("pattern_id"))
                ),
                "category": last["category"],
                "confidence_pct": min(group, key=lambda link: link["confidence"])["confidence_pct"],
                "technical": head.get("technical") or "",
                "service": head.get("service"),
                "evidence": new,
                "inline": new[:INLINE_EVIDENCE],
                "more": max(0, len(new) - INLINE_EVIDENCE),
                "refers_back": back,
            }
        )
    return out


def _same_pattern(group: Sequence[Mapping[str, Any]]) -> bool:
    return len({link.get("pattern_id") for link in group}) == 1


def _facets(group: Sequence[Mapping[str, Any]]) -> list[str]:
    """The folded links' statements: after the head, or (one pattern's links) before the conclusion."""
    if len(group) == 1:
        return []
    if _same_pattern(group):
        return [link["statement"] for link in group[:-1]]
    return [link["statement"] for link in group[1:]]


def _unique(entries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    seen: dict[str, Mapping[str, Any]] = {}
    for e in entries:
        seen.setdefault(e["id"], e)
    return list(seen.values())


# --------------------------------------------------------------------------- bounded lists


def appendix(
    evidence: Sequence[Mapping[str, Any]], whys: Sequence[Mapping[str, Any]], mode: str = "brief"
) -> dict[str, Any]:
    """The cited entries beyond the inline ones: all with ``mode="all"``, else a bounded few, the
    whys' remaining evidence first (their "more in the appendix"), then the rest oldest first."""
    if mode == "all":
        return {"entries": list(evidence), "more": 0, "full": True}
    inline = {e["id"] for w in whys for e in w["inline"]}
    rest = _unique([e for w in whys for e in w["evidence"] if e["id"] not in inline] + list(evidence))
    rest = [e for e in rest if e["id"] not in inline]
    return {"entries": rest[:APPENDIX_ENTRIES], "more": max(0, len(rest) - APPENDIX_ENTRIES), "full": False}


_CHANGE = re.compile(
    r"^[Tt]he deploy at (?P<at>\S+) changed (?P<key>[\w.-]+) from (?P<old>\S+) to (?P<new>\S+)$"
)
# an environment variable, named without its value (rca/reasoning/deploys.py `_env_changes`)
_ENV_CHANGE = re.compile(r"^[Tt]he deploy at (?P<at>\S+) changed (?P<key>env \w+) \((?P<how>[^)]+)\)$")


def contributing_brief(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The contributing factors with successive deploys changing one setting told as one line of values."""
    out: list[dict[str, Any]] = []
    runs: dict[str, dict[str, Any]] = {}
    for c in items:
        summary = str(c.get("summary") or "")
        m = (_CHANGE.match(summary) or _ENV_CHANGE.match(summary)) if not c.get("pattern_id") else None
        if m is None:
            out.append(dict(c))
            continue
        run = runs.get(m["key"])
        if run is None:
            first = m.groupdict().get("old")
            run = runs[m["key"]] = {"key": m["key"], "values": [first] if first else [], "times": [],
                                    "item": dict(c)}
            out.append(run["item"])
        run["values"].append(m.groupdict().get("new") or m["how"])
        run["times"].append(m["at"])
    for run in runs.values():
        n = len(run["times"])
        if n > 1:
            between = f"{n} deploys between {run['times'][0]} and {run['times'][-1]} changed {run['key']}"
            values = run["values"]
            run["item"]["summary"] = (
                f"{between} ({', '.join(values)})" if run["key"].startswith("env ")
                else f"{between}, from {values[0]} to {values[-1]}"
            )
            run["item"]["count"] = n
    return out


def events(
    deploys: Sequence[Mapping[str, Any]],
    verdict: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    limit: int = 16,
) -> list[dict[str, Any]]:
    """One time-ordered list of what happened: deploys, the onset, each finding's first entry, recovery."""
    rows: list[dict[str, Any]] = [
        {
            "time": d["timestamp"],
            "kind": "deploy",
            "text": "deploy"
            + (" (failed)" if d.get("failed") else "")
            + (f" by {d['principal']}" if d.get("principal") else ""),
        }
        for d in deploys
        if d.get("timestamp")
    ]
    if verdict.get("onset"):
        rows.append(
            {"time": verdict["onset"], "kind": "onset", "text": "onset: the first failure in the logs"}
        )
    if verdict.get("recovered_at"):
        rows.append({"time": verdict["recovered_at"], "kind": "recovered", "text": "recovered"})
    rows += [
        {
            "time": t["entry"]["timestamp"],
            "kind": "entry",
            "text": t.get("title") or t.get("pattern_id") or "",
        }
        for t in timeline
        if t["entry"].get("timestamp")
    ]
    order = {"deploy": 0, "onset": 1, "entry": 2, "recovered": 3}
    rows.sort(key=lambda r: (timeutil.parse_rfc3339(r["time"]), order[r["kind"]]))
    keep = [r for r in rows if r["kind"] != "entry"]
    entries = [r for r in rows if r["kind"] == "entry"][: max(0, limit - len(keep))]
    return sorted(keep + entries, key=lambda r: (timeutil.parse_rfc3339(r["time"]), order[r["kind"]]))


def dedupe_remediation(items: Sequence[Mapping[str, Any]], root_pattern: str | None) -> list[dict[str, Any]]:
    """Each command (or, without one, each action) once; a rollback of the deploy that began the
    failures (no pattern's step) first, then the root cause's own steps."""
    ordered = sorted(items, key=lambda r: r.get("pattern_id") not in (None, root_pattern))
    out: dict[str, dict[str, Any]] = {}
    for r in ordered:
        key = " ".join(str(r.get("command") or r.get("action") or "").split())
        out.setdefault(key, dict(r))
    return list(out.values())


def view(ctx: dict[str, Any], evidence: str = "brief") -> dict[str, Any]:
    """The context keys this module adds (docs/reports.md) to the context rca/report/context.py built."""
    shown_whys = whys(ctx["chain"])
    bounded = appendix(ctx["evidence"], shown_whys, evidence)
    brief = contributing_brief(ctx["contributing"])
    shown_verdict = _verdict_of(ctx)
    timeline = first_per_finding(ctx["timeline"])
    return {
        "verdict": shown_verdict,
        "events": events(ctx["deploys"]["deploys"], shown_verdict, timeline),
        "whys": [w | {"consistent": _consistent_for(w, ctx)} for w in shown_whys],
        "appendix": bounded,
        "evidence_mode": evidence,
        "identifiers": identifiers(_prose(ctx, shown_whys, bounded, brief)),
        "remediation": dedupe_remediation(ctx["remediation"], ctx["root_cause"]["pattern_id"]),
        "timeline_brief": timeline,
        "contributing_brief": brief,
    }


def _verdict_of(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict from the status, with the impact's request counts when there is no verdict."""
    impact = ctx["impact"]
    counts = {"requests": impact["requests"], "failed_requests": impact["failing_requests"]}
    status = counts | {"error_rate": impact["error_rate"]} | dict(ctx["status"])  # the verdict's numbers win
    return verdict(status, ctx["window"], ctx["timeline_series"])


def _prose(
    ctx: Mapping[str, Any],
    shown_whys: Sequence[Mapping[str, Any]],
    bounded: Mapping[str, Any],
    brief: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Every text the reports shorten in prose, for the key of full identifiers."""
    shown = [e for w in shown_whys for e in w["inline"]] + list(bounded["entries"])
    texts = [c["summary"] for c in brief] + [h["summary"] for h in ctx["hypotheses"]] + list(ctx["notes"])
    texts += [w["statement"] for w in shown_whys] + [f for w in shown_whys for f in w["facets"]]
    texts += [e["headline"] for e in shown] + [e["insert_id"] for e in shown if e["insert_id"]]
    trigger = ctx["status"].get("trigger") or {}
    return [*texts, ctx["root_cause"]["summary"], *(str(c) for c in trigger.get("changed") or [])]


def _consistent_for(why: dict[str, Any], ctx: dict[str, Any]) -> list[str]:
    """``timeout_s=8.0 in 70 of 70`` for the fields of this why's patterns."""
    if why.get("service"):  # read from a called service's logs: the findings' figures are not its
        return []
    return [c["text"] for c in ctx["evidence_summary"]["consistent"] if c["pattern_id"] in why["pattern_ids"]]


def first_per_finding(rows: list[dict[str, Any]], limit: int = 15) -> list[dict[str, Any]]:
    """The timeline with each finding's first entry only, at most ``limit`` rows."""
    seen: set[str] = set()
    out = []
    for row in rows:
        key = row["pattern_id"] or row["entry"]["id"]
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out[:limit]


__all__ = [
    "EVIDENCE_MODES",
    "MAX_WHYS",
    "appendix",
    "contributing_brief",
    "dedupe_remediation",
    "events",
    "first_per_finding",
    "fold",
    "identifiers",
    "peak_error_rate",
    "short_id",
    "shorten",
    "verdict",
    "view",
    "whys",
]
