"""The HTML report's timeline chart: request status and findings per time bucket, as inline SVG.

Drawn with matplotlib's Agg/SVG backends and no pyplot state, so it is safe to call from a
library. The SVG is deterministic byte for byte (fixed ``svg.hashsalt`` for element ids, text
kept as text with ``svg.fonttype: none``, no date metadata), which keeps the committed example
reports stable and lets tests compare renders.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")

import itertools

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

_RC: Any = {
    "svg.hashsalt": "rca-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_STATUS_COLOURS = {"http 2xx": "#4c9a2a", "http 3xx": "#7f8c8d", "http 4xx": "#e0a800", "http 5xx": "#c0392b",
                   "http refused": "#7b241c"}
_FINDING_COLOURS = ("#1f5fa8", "#8e44ad", "#d35400", "#16a085", "#2c3e50", "#b03a2e", "#7d6608", "#5d6d7e")
_MAX_FINDING_SERIES = 8


def timeline_svg(
    points: Sequence[tuple[str, str, int]],
    start: str | None,
    end: str | None,
    *,
    relevance: Mapping[str, int] | None = None,
    deploys: Sequence[str] = (),
    onset: str | None = None,
) -> str:
    """Return an ``<svg>`` element charting ``(bucket, series, count)`` points across the window.

    Series named ``http Nxx`` are drawn as stacked bars (requests by status class); every other
    series is a finding id, drawn as a row of dots sized by matches per bucket, ordered by
    ``relevance`` (lower first: the chain, then other active findings, noise that was there
    before last) and then by count. ``deploys`` (times) draw dashed markers and ``onset`` a solid
    line across both panels. Empty input gives a chart with a note, so the report's layout does
    not depend on the data.
    """
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10.5, 4.6))
        ax_req, ax_find = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.3]})
        buckets = sorted({_parse(b) for b, _, _ in points})
        width = _bar_width(buckets)
        _draw_requests(ax_req, points, buckets, width)
        _draw_findings(ax_find, points, relevance or {})
        _draw_markers((ax_req, ax_find), deploys, onset)
        if ax_req.get_legend() is not None:
            ax_req.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        _finish_axes(ax_find, start, end, bool(points))
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": "rca"})
    return _strip_prolog(out.getvalue())


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None)


def _num(moment: datetime) -> float:
    """A datetime as matplotlib's date number (days since its epoch)."""
    return float(mdates.date2num(moment))  # type: ignore[no-untyped-call]


def _bar_width(buckets: Sequence[datetime]) -> float:
    """Bar width in days (matplotlib's date unit): 80 % of the smallest bucket step."""
    if len(buckets) < 2:
        return 1 / 1440
    step = min((b - a).total_seconds() for a, b in itertools.pairwise(buckets))
    return 0.8 * step / 86400


def _draw_requests(
    ax: Axes, points: Sequence[tuple[str, str, int]], buckets: Sequence[datetime], width: float
) -> None:
    bottom = {b: 0 for b in buckets}
    for series, colour in _STATUS_COLOURS.items():
        counts = {_parse(b): n for b, s, n in points if s == series}
        if not counts:
            continue
        xs = sorted(counts)
        ax.bar(
            [_num(x) for x in xs],
            [counts[x] for x in xs],
            width=width,
            bottom=[bottom[x] for x in xs],
            color=colour,
            label=series.replace("http ", ""),
            align="edge",
        )
        for x in xs:
            bottom[x] += counts[x]
    ax.set_ylabel("requests")
    if any(bottom.values()):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no request logs in the window", transform=ax.transAxes, ha="center", color="#666")


def _draw_markers(axes: Sequence[Axes], deploys: Sequence[str], onset: str | None) -> None:
    """Dashed grey lines at deploys and a solid red one at the onset, on every panel."""
    for ax in axes:
        for i, moment in enumerate(deploys):
            ax.axvline(
                _num(_parse(moment)),
                color="#566573",
                linestyle="--",
                linewidth=0.8,
                label="deploy" if i == 0 and ax is axes[0] else None,
            )
        if onset:
            ax.axvline(
                _num(_parse(onset)), color="#c0392b", linewidth=1.2, label="onset" if ax is axes[0] else None
            )


def _draw_findings(ax: Axes, points: Sequence[tuple[str, str, int]], relevance: Mapping[str, int]) -> None:
    """One row per finding (most relevant, then most frequent first), a dot per bucket sized by its
    matches: onsets and overlaps read at a glance, and an empty bucket is simply empty."""
    totals: dict[str, int] = {}
    for _, s, n in points:
        if not s.startswith("http "):
            totals[s] = totals.get(s, 0) + n
    shown = sorted(totals, key=lambda s: (relevance.get(s, 1), -totals[s], s))[:_MAX_FINDING_SERIES]
    peak = max((n for _, s, n in points if s in shown), default=1)
    for row, series in enumerate(shown):
        cells = sorted((_parse(b), n) for b, s, n in points if s == series)
        ax.scatter(
            [_num(x) for x, _ in cells],
            [row] * len(cells),
            s=[12 + 110 * n / peak for _, n in cells],
            color=_FINDING_COLOURS[row % len(_FINDING_COLOURS)],
            edgecolors="none",
        )
    ax.set_yticks(range(len(shown)), [f"{s} ({totals[s]})" for s in shown], fontsize=7)
    ax.set_ylim(max(len(shown), 1) - 0.5, -0.5)  # (one empty row when nothing matched)
    ax.set_ylabel("findings")
    if not shown:
        ax.text(0.5, 0.5, "no pattern matched", transform=ax.transAxes, ha="center", color="#666")


# Half the width of the time axis of a window that is one instant (a paste whose lines carry one
# time), in days: matplotlib cannot scale an axis whose two ends are equal.
_INSTANT_HALF_WIDTH = 30 / 86400


def _finish_axes(ax: Axes, start: str | None, end: str | None, has_points: bool) -> None:
    if start and end:
        low, high = _num(_parse(start)), _num(_parse(end))
        if high <= low:
            low, high = low - _INSTANT_HALF_WIDTH, low + _INSTANT_HALF_WIDTH
        ax.set_xlim(low, high)
    elif not has_points:
        ax.set_xticks([])
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))  # type: ignore[no-untyped-call]
    ax.set_xlabel("time (UTC)")


_PROLOG = re.compile(r"\A(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?")


def _strip_prolog(svg: str) -> str:
    """Drop the XML declaration and DOCTYPE (invalid inside HTML) and label the root element."""
    body = _PROLOG.sub("", svg).strip()
    label = (
        'class="timeline-chart" role="img" '
        'aria-label="Requests by status and pattern matches over the window" '
    )
    return body.replace("<svg ", "<svg " + label, 1) + "\n"


__all__ = ["timeline_svg"]
