"""How reports show the analysis: folded whys, each entry cited once, bounded appendix, short ids."""

from __future__ import annotations

from typing import Any

import pytest

from rca.report.presentation import (
    appendix,
    contributing_brief,
    dedupe_remediation,
    fold,
    peak_error_rate,
    short_id,
    shorten,
    verdict,
    whys,
)


def entry(n: int) -> dict[str, Any]:
    """A cited entry with anchor ev-n."""
    return {"id": f"ev-{n}", "timestamp": f"2025-09-15T14:{n:02d}:00Z", "insert_id": f"i{n}"}


def link(why: int, pattern: str, *entries: int, confidence: float = 0.8) -> dict[str, Any]:
    """A chain link as the context carries it."""
    return {
        "why": why,
        "statement": f"statement {why}",
        "pattern_id": pattern,
        "category": "network-connectivity",
        "confidence": confidence,
        "confidence_pct": f"{confidence:.0%}",
        "technical": "",
        "evidence": [entry(n) for n in entries],
    }


def test_fold_caps_the_whys_keeping_symptom_and_root() -> None:
    """Eight links (one pattern twice) become six whys: the same-pattern pair, then after the symptom."""
    chain = [link(i, f"p{i}") for i in range(1, 8)] + [link(8, "p7")]
    groups = fold(chain)
    assert [[g["why"] for g in group] for group in groups] == [[1], [2, 3], [4], [5], [6], [7, 8]]


def test_fold_leaves_a_short_chain_alone() -> None:
    """Three distinct links stay three whys."""
    assert len(fold([link(1, "a"), link(2, "b"), link(3, "c")])) == 3


def test_whys_cite_each_entry_once_and_refer_back() -> None:
    """An entry a previous why cited is not cited again; the later why names the earlier one."""
    shown = whys([link(1, "a", 1, 2, 3), link(2, "b", 3, 4)])
    assert [e["id"] for e in shown[0]["inline"]] == ["ev-1", "ev-2"]
    assert shown[0]["more"] == 1
    assert [e["id"] for e in shown[1]["evidence"]] == ["ev-4"]
    assert shown[1]["refers_back"] == [1]


def test_folded_why_of_one_pattern_states_its_conclusion() -> None:
    """A rule's link folded onto the link of the same pattern leads with the rule's conclusion."""
    shown = whys([link(1, "a"), link(2, "b"), link(3, "b")])
    assert shown[1]["statement"] == "statement 3"
    assert shown[1]["facets"] == ["statement 2"]


def test_appendix_is_bounded_unless_all() -> None:
    """The brief appendix lists the whys' leftover entries first and stops at ten; all lists every entry."""
    ws = whys([link(1, "a", *range(1, 16))])
    evidence = [entry(n) for n in range(1, 16)]
    brief = appendix(evidence, ws)
    assert [e["id"] for e in brief["entries"]][:2] == ["ev-3", "ev-4"]
    assert (len(brief["entries"]), brief["more"]) == (10, 3)
    assert len(appendix(evidence, ws, "all")["entries"]) == 15


@pytest.mark.parametrize(
    ("why", "text", "expected"),
    [
        ("image digest", "img@sha256:" + "8" * 64 + " x", "img@sha256:888888… x"),
        ("instance id keeps both ends", "id " + "0" * 90 + "abcdef", "id 000000…abcdef"),
        ("Cloud SQL insertId", "s=" + "7" * 32 + ";i=9f;b=16;m=a0;t=6f;x=55", "s=777777…"),
        ("time to the second", "at 2025-07-30T10:32:30.821437Z", "at 2025-07-30T10:32:30Z"),
        ("short hex stays", "commit abc123", "commit abc123"),
    ],
)
def test_shorten(why: str, text: str, expected: str) -> None:
    """Each row is a kind of long value prose cuts (or, last row, leaves alone)."""
    assert shorten(text) == expected, why


def test_short_id_leaves_ordinary_insert_ids_whole() -> None:
    """A 24-character insertId is shown as is; a longer one keeps both ends (a file:line id differs last)."""
    assert short_id("68c829830007a120e84d3c4c") == "68c829830007a120e84d3c4c"
    assert short_id("orders-worker-2025-08-21.log:1448") == "orders-w…log:1448"


def test_remediation_is_deduplicated_root_cause_first() -> None:
    """The same command twice is kept once, and the root cause's own steps come first."""
    items = [
        {"action": "a", "command": "gcloud x", "pattern_id": "other"},
        {"action": "b", "command": "gcloud  x", "pattern_id": "root"},
        {"action": "c", "command": "gcloud y", "pattern_id": "root"},
    ]
    assert [r["action"] for r in dedupe_remediation(items, "root")] == ["b", "c"]


def test_successive_deploys_of_one_setting_are_one_factor() -> None:
    """Three deploys changing the image read as one line from the first value to the last."""
    items = [
        {"summary": f"The deploy at T{i} changed image from v{i} to v{i + 1}", "pattern_id": None, "count": 1}
        for i in range(3)
    ]
    brief = contributing_brief(items)
    assert len(brief) == 1
    assert brief[0]["summary"] == "3 deploys between T0 and T2 changed image, from v0 to v3"


def test_successive_deploys_of_one_variable_are_one_factor_naming_no_value() -> None:
    """Deploys setting and removing one environment variable read as one line of what each did."""
    hows = ["newly set", "removed", "newly set"]
    items = [{"summary": f"The deploy at T{i} changed env FLAG ({how})", "pattern_id": None, "count": 1}
             for i, how in enumerate(hows)]
    assert [c["summary"] for c in contributing_brief(items)] == [
        "3 deploys between T0 and T2 changed env FLAG (newly set, removed, newly set)"]


def test_verdict_measures_duration_and_peak() -> None:
    """Duration runs from the onset to recovery; the peak is the worst bucket with enough requests."""
    status = {"code": "recovered", "label": "RECOVERED", "onset": "2025-01-01T10:00:00Z",
              "recovered_at": "2025-01-01T10:29:03Z", "recent_error_rate": 0.0}
    series = [
        {"bucket": "b1", "series": "http 5xx", "count": 1},  # 1 of 1: too few requests to count
        {"bucket": "b2", "series": "http 5xx", "count": 4},
        {"bucket": "b2", "series": "http 2xx", "count": 6},
    ]
    v = verdict(status, {"start": "2025-01-01T09:30:00Z", "end": "2025-01-01T11:00:00Z"}, series)
    assert (v["duration"], v["duration_s"], v["peak_error_rate"]) == ("29m 03s", 1743, 0.4)
    assert peak_error_rate([]) is None
