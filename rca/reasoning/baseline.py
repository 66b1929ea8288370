"""Compare each finding's rate in the incident window with the baseline before it.

A finding already present before the incident at a similar rate is noise for this incident:
it is reported as "present before the incident" and never chosen as the root cause.
"""

from __future__ import annotations

from dataclasses import replace

from rca.model import Finding
from rca.timeutil import Periods

SIMILAR_RATE = 3.0


def rate_ratio(f: Finding, p: Periods) -> float | None:
    """Incident rate over baseline rate; None when there is no baseline or no baseline occurrence."""
    if not p.has_baseline or f.baseline_count == 0:
        return None
    return (f.incident_count / p.window_s) / (f.baseline_count / p.baseline_s)


def classify(findings: list[Finding], p: Periods) -> list[Finding]:
    """Mark findings seen before the incident: `pre-existing` at a similar rate, else `elevated`."""
    out = []
    for f in findings:
        ratio = rate_ratio(f, p)
        if ratio is None:
            out.append(f)
        elif ratio <= SIMILAR_RATE:
            out.append(replace(f, status="pre-existing"))
        else:
            out.append(replace(f, status="elevated"))
    return out


def describe(f: Finding, p: Periods) -> str:
    """A phrase for the report: how the finding's rate compares with the baseline."""
    ratio = rate_ratio(f, p)
    if not p.has_baseline:
        return "no baseline in the input"
    if ratio is None:
        return "new in the incident window"
    per_h_base = f.baseline_count / p.baseline_s * 3600
    per_h_now = f.incident_count / p.window_s * 3600
    return f"{per_h_base:.0f}/h before, {per_h_now:.0f}/h during (x{ratio:.1f})"
