"""`Analysis`: one analysis run, with pandas views for notebooks (docs/python-api.md).

`rca.analyze()` and `rca analyze` share one code path (`rca.api.analyze`), which returns this
object; the CLI renders ``.result`` and a notebook explores the rest: findings, the chain and the
evidence behind each why, a timeline resampled at any frequency, the entries themselves. Every
view is computed from the run's DuckDB store and `Result`, never from report text.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from rca.model import Finding, Hypothesis, Link, Remediation, RootCause
from rca.reasoning.analysis import Result
from rca.timeutil import rfc3339

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from rca.api.loading import Loaded
    from rca.engine.match import Hit
    from rca.library.loader import Library

FINDING_COLUMNS = ("pattern_id", "category", "role", "layer", "status", "count", "baseline_count",
                   "first_seen", "last_seen", "revisions", "title")
HTTP_SERIES = ("http 2xx", "http 4xx", "http 5xx")
EVIDENCE_COLUMNS = ("event_id", "member", "entry_id", "ts", "severity", "log_id", "revision", "instance_id",
                    "insert_id", "http_status", "in_window", "message")
_SUMMARY_FINDINGS = 8
_HTTP_COLOURS = {"http 1xx": "#95a5a6", "http 2xx": "#4c9a2a", "http 3xx": "#7f8c8d", "http 4xx": "#e0a800",
                 "http 5xx": "#c0392b", "http refused": "#7b241c"}
_SUMMARY_TEXT = 300


class Analysis:
    """The outputs of one run: the `Result`, the loaded store (``entries``/``events``) and the library."""

    def __init__(self, result: Result, loaded: Loaded, library: Library) -> None:
        """Wrap a finished run; nothing is recomputed until a view asks for it."""
        self.result = result
        self.loaded = loaded
        self.library = library

    # ------------------------------------------------------------------ plain values

    @property
    def root_cause(self) -> RootCause:
        """The root cause the chain ends in (category ``unknown`` when the evidence stops)."""
        return self.result.root_cause

    @property
    def chain(self) -> list[Link]:
        """The five whys, symptom first; each link cites its evidence samples."""
        return list(self.result.chain)

    @property
    def remediation(self) -> list[Remediation]:
        """Filled-in remediation steps along the chain, root cause first."""
        return list(self.result.remediation)

    @property
    def hits(self) -> list[Hit]:
        """Every (pattern, event) match, baseline included, as the analysis computed them."""
        return list(self.result.hits)

    def finding(self, pattern_id: str) -> Finding:
        """The finding of one pattern id; KeyError naming the ids there are."""
        for f in self.result.findings:
            if f.pattern_id == pattern_id:
                return f
        known = ", ".join(f.pattern_id for f in self.result.findings) or "none"
        raise KeyError(f"no finding {pattern_id!r}; findings: {known}")

    def to_json(self) -> dict[str, Any]:
        """The report contract's JSON dict (shared/docs/report-contract.md), unredacted."""
        return self.result.to_json()

    def report(self, format: str = "markdown", redact: bool = True) -> str:
        """The report as ``format`` (markdown | html | text | json), exactly as `rca analyze` writes it."""
        from rca.report.render import render

        return render(self.result, format, redact=redact)

    # ------------------------------------------------------------------ DataFrames

    @property
    def findings(self) -> pd.DataFrame:
        """One row per finding, in report order (active first, then by count)."""
        import pandas as pd

        rows = [_finding_row(f) for f in self.result.findings]
        frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
        for column in ("first_seen", "last_seen"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return _df(frame)

    def chain_frame(self) -> pd.DataFrame:
        """The chain as a table: why, statement, pattern, category, confidence, evidence count."""
        import pandas as pd

        rows = [
            {"why": ln.why, "statement": ln.statement, "pattern_id": ln.pattern_id,
             "category": ln.category.value, "confidence": round(ln.confidence, 2), "technical": ln.technical,
             "support": "; ".join(ln.support), "evidence": len(ln.evidence)}
            for ln in self.result.chain
        ]
        columns = ["why", "statement", "pattern_id", "category", "confidence", "technical", "support",
                   "evidence"]
        return _df(pd.DataFrame(rows, columns=columns))

    @property
    def hypotheses(self) -> pd.DataFrame:
        """Causes considered and ranked lower, with the reason each lost."""
        import pandas as pd

        rows = [_hypothesis_row(h) for h in self.result.hypotheses]
        return _df(pd.DataFrame(rows, columns=["category", "pattern_id", "summary", "confidence", "why_not"]))

    @property
    def signals(self) -> pd.DataFrame:
        """Unexplained error templates, new or bursting in the incident, most surprising first."""
        import pandas as pd

        rows = [s.to_json() for s in self.result.signals]
        columns = list(rows[0]) if rows else ["template", "count", "baseline_count", "first_seen", "score",
                                              "example", "new"]
        return _df(pd.DataFrame(rows, columns=columns))

    @functools.cached_property
    def entries(self) -> pd.DataFrame:
        """The normalised entries (window and baseline; ``in_window`` tells them apart), with ``raw`` JSON."""
        from rca.api.loading import entries_frame

        return entries_frame(self.loaded)

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        """The logical events patterns run over: entries with split tracebacks re-joined (``member_ids``)."""
        frame = self.loaded.store.con.execute(
            "SELECT event_id, ts, in_window, severity, severity_num, log_id, revision, instance_id, "
            "insert_id, http_status, is_traceback, n_members, member_ids, exc_types, exc_messages, runtime, "
            "message FROM events ORDER BY event_id"
        ).df()
        frame["ts"] = frame["ts"].dt.tz_localize("UTC")
        return _df(frame)

    def timeline(self, freq: str = "1min") -> pd.DataFrame:
        """Counts per time bucket of ``freq``: one column per finding, then ``http 2xx``/``4xx``/``5xx``.

        Findings count their in-window events by event time, HTTP classes count request entries;
        buckets cover the whole window, empty ones as 0. Events without a time are left out.
        """
        import pandas as pd

        long = pd.concat([self._finding_times(), self._http_times()], ignore_index=True)
        counts = pd.crosstab(long["ts"], long["series"]) if len(long) else pd.DataFrame()
        series = [f.pattern_id for f in self.result.findings] + _http_columns(long)
        counts = counts.reindex(columns=series, fill_value=0)
        binned = counts.resample(freq).sum() if len(counts) else counts
        full = self._buckets(freq, long)
        out = binned.reindex(full, fill_value=0).astype("int64")
        out.index.name = "bucket"
        out.columns.name = None
        return _df(out)

    def plot_timeline(self, freq: str = "1min", ax: Axes | None = None, top: int = 6) -> Axes:
        """Line chart of the timeline: HTTP classes as shaded areas, the ``top`` findings as lines."""
        data = self.timeline(freq)
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(11, 3.8))
        for name in [c for c in data.columns if c.startswith("http ")]:
            ax.fill_between(data.index, data[name].to_numpy(), step="post", alpha=0.25,
                            color=_HTTP_COLOURS.get(name, "#95a5a6"), label=name)
        for name in [f.pattern_id for f in self.result.findings][:top]:
            ax.step(data.index, data[name].to_numpy(), where="post", linewidth=1.6, label=name)
        ax.set_ylabel(f"count per {freq}")
        ax.set_title(f"{self.result.service or 'service'}: findings and requests over the window")
        from matplotlib import dates as mdates

        locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
        ax.get_figure(root=True).tight_layout()  # type: ignore[union-attr]
        return ax

    def evidence(self, finding_id: str) -> pd.DataFrame:
        """The entries behind a finding: one row per entry, a re-joined traceback's members in order.

        ``event_id`` is the matched event (as in the finding's ``event_ids``), ``member`` the
        entry's position within it; only the incident window's matches, like the finding's count.
        """
        finding = self.finding(finding_id)
        frame = self.loaded.store.con.execute(
            """
            SELECT m.event_id, m.member, e.entry_id, e.ts, e.severity, e.log_id, e.revision, e.instance_id,
                   e.insert_id, e.http_status, e.in_window, e.message
            FROM (
              SELECT event_id, unnest(coalesce(member_ids, [event_id])) AS entry_id,
                     unnest(generate_series(0, len(coalesce(member_ids, [event_id])) - 1)) AS member
              FROM events WHERE event_id IN (SELECT unnest(?::BIGINT[]))
            ) m JOIN entries e USING (entry_id)
            ORDER BY m.event_id, m.member
            """,
            [sorted(set(finding.event_ids))],
        ).df()
        frame["ts"] = frame["ts"].dt.tz_localize("UTC")
        return _df(frame[list(EVIDENCE_COLUMNS)])

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        """One line: service, window, root cause category and how many findings."""
        w = self.result.window
        return (f"<rca.Analysis service={self.result.service!r} window={rfc3339(w.start)}..{rfc3339(w.end)} "
                f"root_cause={self.root_cause.category.value} findings={len(self.result.findings)}>")

    def _repr_html_(self) -> str:
        """A compact HTML summary for Jupyter: root cause, the chain, the top findings (all text escaped)."""
        r = self.root_cause
        parts = ['<div class="rca-analysis">',
                 f"<p><b>Root cause</b> ({_h(r.category.value)}, confidence {r.confidence:.0%}): "
                 f"{_h(r.summary)}</p>"]
        if self.result.chain:
            parts.append("<ol>")
            for ln in self.result.chain:
                cite = f" <code>{_h(ln.pattern_id)}</code>" if ln.pattern_id else ""
                sample = (f"<br><small><code>{_h(ln.evidence[0].message)}</code></small>"
                          if ln.evidence else "")
                parts.append(f"<li>{_h(ln.statement)}{cite}{sample}</li>")
            parts.append("</ol>")
        parts.append(_findings_table(self.result.findings[:_SUMMARY_FINDINGS]))
        if self.result.signals:
            top = self.result.signals[0]
            parts.append(f"<p><b>Top unexplained signal</b> ({top.count} times): "
                         f"<code>{_h(top.template)}</code></p>")
        parts.append("</div>")
        return "\n".join(parts)

    def _repr_markdown_(self) -> str:
        """The same summary as Markdown, log text escaped for Markdown."""
        from rca.report.render import md_inline

        r = self.root_cause
        lines = [f"**Root cause** ({r.category.value}, confidence {r.confidence:.0%}): "
                 f"{md_inline(_text(r.summary))}", ""]
        lines += [f"{ln.why}. {md_inline(_text(ln.statement))}" for ln in self.result.chain]
        lines += ["", "| finding | status | count | baseline | title |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {md_inline(f.pattern_id)} | {f.status.value} | {f.count} | {f.baseline_count} | "
                  f"{md_inline(_text(f.title))} |" for f in self.result.findings[:_SUMMARY_FINDINGS]]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ helpers

    def _finding_times(self) -> pd.DataFrame:
        """(ts, series) for every in-window event of every finding."""
        import pandas as pd

        pairs = [(f.pattern_id, e) for f in self.result.findings for e in f.event_ids]
        if not pairs:
            return _df(pd.DataFrame({"ts": pd.Series([], dtype="datetime64[us, UTC]"), "series": []}))
        ids = pd.DataFrame(pairs, columns=["series", "event_id"])
        times = self.loaded.store.con.execute(
            "SELECT event_id, ts FROM events WHERE ts IS NOT NULL "
            "AND event_id IN (SELECT unnest(?::BIGINT[]))",
            [sorted({e for _, e in pairs})],
        ).df()
        times["ts"] = times["ts"].dt.tz_localize("UTC")
        return _df(ids.merge(times, on="event_id")[["ts", "series"]])

    def _http_times(self) -> pd.DataFrame:
        """(ts, series) for every in-window request entry, series ``http Nxx`` (``http refused``
        for the platform's refusals under 500, as the report's chart counts them)."""
        frame = self.loaded.store.con.execute(
            "SELECT ts, 'http ' || request_class(http_status, message) AS series FROM entries "
            "WHERE in_window AND http_status IS NOT NULL AND ts IS NOT NULL"
        ).df()
        frame["ts"] = frame["ts"].dt.tz_localize("UTC")
        return frame

    def _buckets(self, freq: str, long: pd.DataFrame) -> pd.DatetimeIndex:
        """Every bucket start from the window's start to its end (the data's span without a window)."""
        import pandas as pd

        w = self.result.window
        start = pd.Timestamp(w.start) if w.start else (long["ts"].min() if len(long) else None)
        end = pd.Timestamp(w.end) if w.end else (long["ts"].max() if len(long) else None)
        if start is None or end is None:
            return cast("pd.DatetimeIndex", pd.DatetimeIndex([], tz="UTC", name="bucket"))
        return pd.date_range(start.floor(freq), end, freq=freq, name="bucket")


def _df(value: Any) -> pd.DataFrame:
    """``value`` typed as a DataFrame (pandas is untyped for this project's mypy target)."""
    return cast("pd.DataFrame", value)


def _finding_row(f: Finding) -> dict[str, Any]:
    return {"pattern_id": f.pattern_id, "category": f.category.value, "role": f.role.value,
            "layer": f.layer.value, "status": f.status.value, "count": f.count,
            "baseline_count": f.baseline_count,
            "first_seen": f.first_seen, "last_seen": f.last_seen, "revisions": list(f.revisions),
            "title": f.title}


def _hypothesis_row(h: Hypothesis) -> dict[str, Any]:
    return {"category": h.category.value, "pattern_id": h.pattern_id, "summary": h.summary,
            "confidence": round(h.confidence, 2), "why_not": h.why_not}


def _http_columns(long: pd.DataFrame) -> list[str]:
    """``http 2xx``/``4xx``/``5xx`` always, other classes when present, in numeric order."""
    present = set(long.loc[long["series"].str.startswith("http "), "series"]) if len(long) else set()
    return sorted(set(HTTP_SERIES) | present)


def _text(value: str, limit: int = _SUMMARY_TEXT) -> str:
    """Log-derived text made safe to show: control characters dropped, secrets redacted, shortened."""
    from rca.report.redact import redact
    from rca.report.render import clean

    text = redact(clean(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _h(value: str) -> str:
    """HTML-escaped, cleaned, redacted text."""
    return html.escape(_text(value))


def _findings_table(findings: Sequence[Finding]) -> str:
    if not findings:
        return "<p>No pattern matched.</p>"
    head = "<tr><th>finding</th><th>status</th><th>count</th><th>baseline</th><th>title</th></tr>"
    rows = [f"<tr><td><code>{_h(f.pattern_id)}</code></td><td>{_h(f.status.value)}</td><td>{f.count}</td>"
            f"<td>{f.baseline_count}</td><td>{_h(f.title)}</td></tr>" for f in findings]
    return "<table>" + head + "".join(rows) + "</table>"
