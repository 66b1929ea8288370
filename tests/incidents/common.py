"""What every runtime module shares: the expected-answer record and the usual background of a service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.incidents.builder import Incident

BASELINE_END = 3600.0  # the first hour is the baseline, the second the incident
END = 7190.0  # the newest entry stays within two hours of the oldest

CLASSES = (
    "deploy-trigger",
    "symptom-chain",
    "symptom-alone",
    "inner-cause",
    "change-over-volume",
    "precursors",
    "unexplained",
    "mistyped-service",
    "wrong-deploy",
    "app-exception",
    "quiet",
)


def expect(
    category: str | None, cls: str, runtime: str, service: str, why: str, **extra: Any
) -> dict[str, Any]:
    """The expected answer of one case: what really happened, written before running rca.

    `category` None means a quiet window (no failure: status.state ok, no failure root cause).
    Optional keys: state (the exact status.state), state_not, exit_code, trigger_revision, mentions,
    service_arg, platform.
    """
    assert cls in CLASSES, cls
    out: dict[str, Any] = {
        "category": category,
        "class": cls,
        "runtime": runtime,
        "service": service,
        "why": why,
    }
    out.update(extra)
    return out


def background(
    inc: Incident,
    revision: str,
    instances: Sequence[str],
    *,
    start: float = 0.0,
    end: float = END,
    access_log: str | None = None,
    every: float = 6.0,
    not_found: float = 0.03,
    paths: Sequence[str] = ("/api/health", "/api/items", "/api/items/42"),
    cloudsql: bool = True,
) -> None:
    """Healthy traffic with the steady 404s every public service gets, and a healthy database beside it."""
    inc.traffic(
        start, end, revision, instances, every=every, access_log=access_log, not_found=not_found, paths=paths
    )
    if cloudsql:
        inc.healthy_cloudsql(until=end)


def steady(
    inc: Incident,
    text: str,
    revision: str,
    instances: Sequence[str],
    *,
    every: float = 900.0,
    offset: float = 137.0,
    log: str = "stderr",
    severity: str | None = None,
    end: float = END,
) -> None:
    """A line that recurs at the same rate in both hours: noise that was already there."""
    t = offset
    k = 0
    while t < end:
        inc.block(t, text, revision, instances[k % len(instances)], log) if "\n" in text else inc.text(
            t, text, revision, instances[k % len(instances)], log, severity
        )
        t += every
        k += 1
