"""Loading: files, DataFrames and Cloud Logging windows into a `Loaded` DuckDB store.

Everything here maps values to values; only rca/sources talks to the outside world and only
rca/cli/ prints or exits.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rca.defaults import MAX_ENTRIES
from rca.engine.store import HOST_NAMED_FOR, Store, drill_down, host_named_for
from rca.errors import NoEntriesError
from rca.library.knowledge import load_knowledge
from rca.model import BigQueryFigures, Estimate, Gap, LoadStats, RequestSample, Window
from rca.podnames import DEPLOYMENT_OF_POD, INDEXED_JOB_OF_POD, STATEFULSET_OF_POD
from rca.sources.files import input_files, read_input
from rca.sources.problems import ProblemKind, Problems
from rca.sources.text import LAUNCHED_LABEL, stated_level
from rca.timeutil import naive_utc, parse_rfc3339, resolve_window, rfc3339

if TYPE_CHECKING:
    import pandas as pd

    from rca.engine.tracebacks import EventStats
    from rca.sources.cloud.fetch import FetchResult



@dataclass
class Loaded:
    """Normalised entries in a DuckDB store, with what loading met on the way."""

    store: Store
    problems: Problems
    service: str | None
    start: datetime | None
    end: datetime | None
    baseline_start: datetime | None
    sources: tuple[str, ...]
    truncated: bool = False
    missing: tuple[str, ...] = ()
    bigquery: BigQueryFigures | None = None  # what a BigQuery fetch cost, when one ran
    gaps: tuple[Gap, ...] = ()
    estimates: Estimate | None = None
    # the window as asked (`load`'s ``since`` and ``until``), for reading another service of the
    # same files (`for_service`); None for a store that cannot be read again
    asked: tuple[str | None, str | None] | None = None

    @property
    def complete(self) -> bool:
        """False when part of the window could not be read (see `missing_ranges`)."""
        return not self.all_gaps()

    def all_gaps(self) -> list[Gap]:
        """What is missing and why: fetch gaps plus cut input files."""
        gaps = list(self.gaps)
        if self.problems.counts.get(ProblemKind.TRUNCATED.value):
            cut = [p for p in self.problems.kept if p.kind is ProblemKind.TRUNCATED]
            for p in cut or self.problems.kept[:1]:
                cut_at = f"input file is cut short at line {p.line}: entries after it are missing"
                gaps.append(Gap(p.source, f"{cut_at} ({p.reason})"))
        return gaps

    def warning(self) -> str | None:
        """The incomplete-data banner: what is missing and how it could change the answer."""
        gaps = self.all_gaps()
        if not gaps:
            return None
        first = gaps[0]
        where = first.query or first.source or "input"
        span = f" {first.start} .. {first.end}" if first.start else ""
        more = f" and {len(gaps) - 1} more gap(s)" if len(gaps) > 1 else ""
        return (
            f"INCOMPLETE DATA: {where}{span} is missing ({first.reason}){more}. "
            "Counts and rates cover only what was read, and a cause whose evidence lies in the gap "
            "may be missed or ranked lower; re-run when the source is reachable, or raise --max-entries."
        )

    def frame(self) -> pd.DataFrame:
        """The normalised entries as a pandas DataFrame (one row per entry)."""
        return self.store.con.execute(_frame_sql(raw=False)).df()

    def counts(self, column: str, *, in_window: bool = True) -> list[tuple[str, int]]:
        """Entries per value of ``column``, most first, ties by value."""
        where = "WHERE in_window" if in_window else ""
        rows = self.store.con.execute(
            f"SELECT coalesce(CAST({column} AS VARCHAR), '(none)') AS k, count(*) AS n FROM entries {where} "
            "GROUP BY k ORDER BY n DESC, k"
        ).fetchall()
        return [(str(k), int(n)) for k, n in rows]

    def span(self) -> tuple[datetime | None, datetime | None]:
        """First and last entry times actually present in the analysis window."""
        row = self.store.con.execute("SELECT min(ts), max(ts) FROM entries WHERE in_window").fetchone()
        return (_aware_or_none(row[0]), _aware_or_none(row[1])) if row else (None, None)

    def earliest(self) -> datetime | None:
        """Earliest timestamp kept (baseline included): how far back the input really reaches."""
        row = self.store.con.execute("SELECT min(ts) FROM entries").fetchone()
        return _aware(row[0]) if row and row[0] is not None else None

    def load_stats(self, events: EventStats | None = None) -> LoadStats:
        """Coverage figures of loading (and of re-joining tracebacks, once ``events`` were built)."""
        st = self.store.stats
        gaps = self.all_gaps()
        return LoadStats(
            read=st.read,
            duplicates_dropped=st.duplicates,
            outside_window=st.outside_window,
            other_services=st.filtered_service,
            naive_timestamps=st.naive_timestamps,
            access_log_requests=st.access_log_requests,
            checker_requests=st.checker_requests,
            service_components=st.service_components,
            skipped_lines=self.problems.total,
            skipped_by_kind=dict(sorted(self.problems.counts.items())),
            skipped_first=tuple(str(p) for p in self.problems.kept),
            sources=self.sources,
            truncated=self.truncated,
            missing_ranges=self.missing
            + tuple(f"{g.source}: {g.reason}" for g in gaps if g.query is None),
            missing=tuple(gaps),
            data_warning=self.warning(),
            by_log_id=dict(self.counts("log_id")),
            by_severity=dict(self.counts("severity")),
            time_span=self.span(),
            tracebacks_rejoined=events.rejoined if events else 0,
            entries_absorbed=events.absorbed if events else 0,
            estimate=self.estimates,
            bigquery=self.bigquery,
        )

    def other_services(self) -> list[str]:
        """The other services (Cloud Run services and jobs, functions, App Engine services, GKE
        containers) with entries in the window, most entries first: a project-wide export holds
        the services ours calls. Read from the `staging` view, which the service filter left whole;
        not read at all when the filter left out no entry of the window (one service's export)."""
        if not self.service or not self.store.stats.filtered_service:
            return []
        window = ""
        params: list[Any] = [self.service]
        if self.start is not None and self.end is not None:
            window = " AND (t IS NULL OR t BETWEEN ? AND ?)"
            params += [naive_utc(self.start), naive_utc(self.end)]
        rows = self.store.con.execute(
            f"SELECT s, count(*) AS n FROM (SELECT {_NAMED_BY} AS s, "
            "try_cast(json_extract_string(j, '$.timestamp') AS TIMESTAMPTZ)::TIMESTAMP AS t FROM staging) "
            f"WHERE s IS NOT NULL AND s <> ?{window} GROUP BY s ORDER BY n DESC, s",
            params,
        ).fetchall()
        return [str(name) for name, _ in rows]

    def rereadable(self) -> bool:
        """Whether the inputs are files that can be read again for another service (`for_service`):
        not standard input, a DataFrame, Cloud Logging or BigQuery, which fetched one service alone."""
        return self.asked is not None and all(Path(s).is_file() for s in self.sources)

    def for_service(self, service: str) -> Loaded | None:
        """The same files over the same window, loaded for ``service``; None when they cannot be
        read again (`rereadable`) or hold no entry of it in the window."""
        if self.asked is None or not self.rereadable():
            return None
        since, until = self.asked
        try:
            return load(list(self.sources), since=since, until=until, service=service)
        except NoEntriesError:
            return None

    def window(self) -> Window:
        """The analysis window, its baseline and how far back the input reaches."""
        return Window(self.start, self.end, self.baseline_start, self.earliest())

    def window_count(self) -> int:
        """Entries inside the analysis window (the baseline excluded)."""
        row = self.store.con.execute("SELECT count(*) FROM entries WHERE in_window").fetchone()
        return int(row[0]) if row else 0


def load(
    inputs: Sequence[str | Path],
    *,
    since: str | None = None,
    until: str | None = None,
    service: str | None = None,
) -> Loaded:
    """Read export files into one normalised table, keep the window and an equal baseline before it.

    For files, --since/--until count back from the newest entry in the input (not the wall
    clock) so that an old export analyses the same way on any day.
    """
    shown = input_files(str(p) for p in inputs)
    store = Store(sum(_size(p) for p in shown))
    problems = Problems()
    for path in shown:
        read_input(path, store, problems, store.scratch)
    loaded = _finish(store, problems, shown, since, until, service)
    loaded.asked = (since, until)
    return loaded


def _aware(value: datetime) -> datetime:
    from datetime import timezone

    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)


def _nothing_message(
    store: Store, problems: Problems, start: datetime | None, end: datetime | None, service: str | None,
    sources: tuple[str, ...] = (),
) -> str:
    row = store.con.execute(
        "SELECT min(t), max(t), count(*) FROM (SELECT "
        "try_cast(json_extract_string(j, '$.timestamp') AS TIMESTAMPTZ)::TIMESTAMP AS t FROM staging)"
    ).fetchone()
    read = int(row[2]) if row else 0
    if read == 0:
        extra = f" ({problems.total} malformed lines skipped)" if problems.total else ""
        where = ", ".join(sources) if sources else "the input"
        return f"no log entries in {where}{extra}"
    span = f"{rfc3339(row[0])} .. {rfc3339(row[1])}" if row else "?"
    what = f" for service {service!r}" if service else ""
    window = f" between {rfc3339(start)} and {rfc3339(end)}" if start else ""
    others = ""
    if service:
        names = [
            n
            for (n,) in store.con.execute(
                f"SELECT DISTINCT s FROM (SELECT {_NAMED_BY} AS s FROM staging UNION ALL "
                f"SELECT {_WORKLOAD} FROM staging) WHERE s IS NOT NULL ORDER BY s LIMIT 10"
            ).fetchall()
        ]
        others = f"; services in the input: {', '.join(names)}" if names else ""
        if service in load_knowledge().launchers:
            # (`journalctl` names `gunicorn[4118]:`, the program that runs the application, which is
            # no service's name: its lines are kept for any service asked, held-out RL02)
            others += (f"; {service!r} is a program that runs an application (the library's launchers), "
                       "so its lines name no service: ask for the host that logged them, or the unit "
                       "or container that runs it")
    return f"no entries{what}{window}; read {read} entries spanning {span}{others}"


def _live_window(since: str, until: str | None) -> tuple[datetime, datetime]:
    from datetime import timezone

    return resolve_window(since, until, datetime.now(timezone.utc))


class _ProgressBar:
    """A rich.progress display on stderr: one bar over the queries, entries and API calls so far."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("rca: fetching [bold]{task.fields[query]}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("queries · {task.fields[entries]} entries · {task.fields[calls]} calls"),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("fetch", total=None, query="", entries=0, calls=0, note="")
        self.done: set[str] = set()

    def __enter__(self) -> _ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, p: Any) -> None:
        if getattr(p, "queries", 0):
            self.progress.update(self.task, total=p.queries)
        if p.message == "done":
            self.done.add(p.query)
        note = "" if p.message in ("done", "started", "page") else f"({p.message[:60]})"
        self.progress.update(
            self.task, completed=len(self.done), query=p.query, entries=p.total, calls=p.calls, note=note
        )


def _fetch(
    service: str | None,
    since: str,
    until: str | None,
    project: str | None,
    max_entries: int,
    refresh: bool,
    progress: bool,
    *,
    patterns: Sequence[str | Path] = (),
    plan: str = "analysis",
    sampling: dict[str, int] | None = None,
) -> tuple[Path, Any, datetime, datetime]:
    """Fetch the window and an equal baseline before it from Cloud Logging (or the cache).

    ``plan`` "analysis" pushes the analysis's own library down (the same patterns, user packs
    included); "window" reads every entry of the service's window, as ``gcloud logging read``.
    """
    import contextlib

    from rca.errors import SourceError, UsageError
    from rca.library.loader import load_library
    from rca.sources.cloud import queries
    from rca.sources.cloud.fetch import fetch_window

    if not service:
        raise UsageError("--service is required when reading from Cloud Logging (or give --input FILE)")
    start, end = _live_window(since, until)
    library = load_library([Path(p) for p in patterns])
    tuned = sampling or {}
    bar = _ProgressBar() if progress else None
    with bar if bar is not None else contextlib.nullcontext():
        path, result = fetch_window(
            service,
            start - (end - start),
            end,
            project,
            patterns=library.patterns,
            plan=plan,
            max_entries=max_entries,
            refresh=refresh,
            progress=bar,
            exact_requests=int(tuned.get("exact_requests", queries.DEFAULT_EXACT_REQUESTS)),
            sample_target=int(tuned.get("sample_target", queries.DEFAULT_SAMPLE_TARGET)),
            exact_failing=int(tuned.get("exact_failing", queries.DEFAULT_EXACT_FAILING)),
            failing_sample_target=int(
                tuned.get("failing_sample_target", queries.DEFAULT_FAILING_SAMPLE_TARGET)
            ),
        )
    if not result.entries and result.errors:
        raise SourceError(
            "Cloud Logging failed before any entry arrived: "
            + "; ".join(result.errors[:3])
            + " (wait for the quota or outage to pass and run again)"
        )
    return path, result, start, end


def _gaps(result: Any) -> tuple[Gap, ...]:
    """The fetch's missing ranges, as the report's gaps."""
    return tuple(Gap("cloud-logging", m.reason, m.query, m.start, m.end) for m in result.missing)


_MEASURES = {  # stats key -> the rows it counts (each weighed by how many entries it stands for)
    "requests": "in_window AND http_status IS NOT NULL",
    "server_errors": "in_window AND request_failed(http_status, message)",
    "rate_limited": "in_window AND http_status = 429",
    "error_entries": "in_window AND error_entry(severity_num, message)",
    "recent_requests": "in_window AND http_status IS NOT NULL AND ts >= $since",
    "recent_server_errors": "in_window AND request_failed(http_status, message) AND ts >= $since",
    "baseline_requests": "NOT in_window AND http_status IS NOT NULL",
    "baseline_server_errors": "NOT in_window AND request_failed(http_status, message)",
    "baseline_error_entries": "NOT in_window AND error_entry(severity_num, message)",
}
_WEIGHED_COUNTS = (
    "SELECT "
    + ", ".join(f"sum(w) FILTER (WHERE {c}), bool_or(w <> 1) FILTER (WHERE {c})" for c in _MEASURES.values())
    + " FROM (SELECT e.*, coalesce(x.weight, 1.0) AS w FROM entries e"
    " LEFT JOIN entry_weights x USING (entry_id))"
)
_RATES = {"error_rate": ("requests", "server_errors"),
          "recent_error_rate": ("recent_requests", "recent_server_errors")}


def _estimates(loaded: Loaded, result: FetchResult) -> Estimate | None:
    """Request counts scaled back from sampled strata, labelled as estimates, or None when exact.

    Healthy request logs, and the bare failing ones of a storm, may have been read exactly up to
    a cut and sampled after it (``FetchResult.weights``): each sampled entry stands for
    1/fraction, in the store's `entry_weights`, which the findings' counts read too.
    """
    from datetime import timedelta

    from rca.reasoning.verdict import RECENT

    sampled = [st for st in result.strata if st.fraction < 1.0]
    if not sampled or loaded.start is None or loaded.end is None:
        return None
    con = loaded.store.con
    loaded.store.set_weights(result.weights())
    since = naive_utc(loaded.end) - timedelta(seconds=RECENT)
    row = con.execute(_WEIGHED_COUNTS, {"since": since}).fetchone()
    assert row is not None
    counts = {key: round(float(row[2 * k] or 0.0)) for k, key in enumerate(_MEASURES)}
    scaled = [key for k, key in enumerate(_MEASURES) if row[2 * k + 1]]  # a sampled row counted in it
    requests, recent = counts["requests"], counts["recent_requests"]
    streams = sorted({st.query.removesuffix("-sampled") for st in sampled})
    sample = RequestSample(
        what=" and ".join(_SAMPLED_WHAT.get(s, s) for s in streams)
        + ("" if "failing" in streams else " (failing requests are counted exactly)"),
        fractions=tuple(sorted({st.fraction for st in sampled})),
        size=sum(st.fetched for st in sampled),
        start=min(sampled, key=lambda st: parse_rfc3339(st.start)).start,  # as times, not as text
        end=max(sampled, key=lambda st: parse_rfc3339(st.end)).end,
        strata=tuple(sampled),
    )
    return Estimate(
        **counts,
        error_rate=round(counts["server_errors"] / requests, 4) if requests else None,
        recent_error_rate=round(counts["recent_server_errors"] / recent, 4) if recent else None,
        fields=(*scaled, *(rate for rate, parts in _RATES.items() if set(parts) & set(scaled))),
        sample=sample,
    )


_SAMPLED_WHAT = {
    "requests": "healthy request logs",
    "failing": "failing request logs without a message (5xx/429 that only carry a status)",
}


def load_live(
    *,
    service: str | None,
    since: str,
    until: str | None = None,
    project: str | None = None,
    max_entries: int = MAX_ENTRIES,
    refresh: bool = False,
    progress: bool = False,
    patterns: Sequence[str | Path] = (),
    sampling: dict[str, int] | None = None,
) -> Loaded:
    """Fetch a service's window from Cloud Logging and load it like a file (one code path).

    The server-side filters come from the same library the analysis will use (``patterns``
    adds user packs). Sampled request counts are scaled back and labelled as estimates; the
    gaps of an incomplete fetch are kept for the report (``complete``/``missing``). ``sampling``
    overrides ``exact_requests``/``sample_target`` of the healthy-request query and
    ``exact_failing``/``failing_sample_target`` of the failing-request storm (tests, benchmarks).
    """
    path, result, start, end = _fetch(
        service, since, until, project, max_entries, refresh, progress, patterns=patterns, sampling=sampling
    )
    loaded = load([path], since=rfc3339(start), until=rfc3339(end), service=service)
    loaded.truncated = bool(result.truncated)
    loaded.missing = tuple(f"{m.query}: {m.start} .. {m.end} ({m.reason})" for m in result.missing)
    loaded.gaps = _gaps(result)
    loaded.estimates = _estimates(loaded, result)
    return loaded


def fetch_to_file(
    out: Path,
    *,
    service: str | None,
    since: str,
    until: str | None = None,
    project: str | None = None,
    max_entries: int = MAX_ENTRIES,
    refresh: bool = False,
    progress: bool = False,
    relevant_only: bool = False,
    patterns: Sequence[str | Path] = (),
) -> tuple[str, str | None]:
    """`rca fetch`: save the window as a gcloud-style JSON export.

    By default every entry of the service's window (and its baseline, its deploy history and its
    Cloud SQL logs) is saved, as ``gcloud logging read`` would; ``relevant_only`` saves the
    analysis's pushdown subset instead (healthy requests possibly sampled). Returns a one-line
    summary and, when the fetch is incomplete, the warning to show.
    """
    from rca.sources.cloud.cache import write_gcloud_json

    _, result, start, end = _fetch(
        service,
        since,
        until,
        project,
        max_entries,
        refresh,
        progress,
        patterns=patterns,
        plan="analysis" if relevant_only else "window",
    )
    write_gcloud_json(result.entries, out)
    what = "relevant entries" if relevant_only else "entries"
    summary = (
        f"rca: wrote {len(result.entries)} {what} ({rfc3339(start)} .. {rfc3339(end)} plus baseline) "
        f"to {out} with {result.calls} API calls; {'complete' if result.complete else 'INCOMPLETE'}"
    )
    warning = None
    if not result.complete:
        gaps = "; ".join(f"{m.query} {m.start} .. {m.end}: {m.reason}" for m in result.missing[:5])
        warning = f"INCOMPLETE DATA: the saved file lacks part of the window: {gaps}"
    if relevant_only and result.estimated:
        note = "requests were sampled (healthy ones, or a storm of failing ones): request counts from " \
            "this file are not the real traffic"
        warning = f"{warning}; {note}" if warning else f"note: {note}"
    return summary, warning


def build_events(loaded: Loaded) -> EventStats:
    """Re-join split tracebacks into the `events` table the matcher reads."""
    from rca.engine.tracebacks import build_events as rejoin

    return rejoin(loaded.store.con)


def _frame_sql(raw: bool = True) -> str:
    """The entries frame's query: `entries` (less the store's own columns) with the drill-down
    columns (`store.DRILL_DOWN`, ``payload``) and, when ``raw``, the entry's JSON, all read from
    each entry as staged."""
    derived = ", ".join(f"{sql} AS {column}" for column, sql in drill_down("s.j").items())
    return f"""
    SELECT e.* EXCLUDE (naive_ts, proto_payload, ordinal), {derived}{", s.j::VARCHAR AS raw" if raw else ""}
    FROM entries e LEFT JOIN staging s ON s.ord = e.ordinal
    ORDER BY e.entry_id
"""


def entries_frame(loaded: Loaded) -> pd.DataFrame:
    """The normalised entries with their canonical JSON in ``raw``; times are UTC-aware.

    ``attrs["rca"]`` keeps the window and service, so `load_frame` (and `rca.analyze`) can turn
    the frame, or any row subset of it, back into the same store.
    """
    frame = loaded.store.con.execute(_frame_sql()).df()
    for column in ("ts", "receive_ts"):
        frame[column] = frame[column].dt.tz_localize("UTC")
    frame.attrs["rca"] = {
        "start": rfc3339(loaded.start),
        "end": rfc3339(loaded.end),
        "service": loaded.service,
    }
    return frame


def _size(path: str) -> int:
    """A file's size in bytes; 0 for standard input or a path that cannot be read (its reader says why)."""
    try:
        return os.path.getsize(path) if path != "-" else 0
    except OSError:
        return 0


def load_frame(
    frame: pd.DataFrame, *, since: str | None = None, until: str | None = None, service: str | None = None
) -> Loaded:
    """Rebuild a store from an entries DataFrame (from `entries_frame`, possibly sliced).

    Each row's ``raw`` canonical entry is reloaded under its original source and line, so entry
    ids, traceback re-joining and matching come out as from the files. The window and service
    default to the ones the frame was loaded with (``attrs["rca"]``).
    """
    from rca.errors import UsageError

    if "raw" not in frame.columns or frame["raw"].isna().any():
        raise UsageError(
            "the DataFrame needs the `raw` column of rca.load() or rca.fetch() (a row subset is fine)"
        )
    window = frame.attrs.get("rca", {})
    if since is None and window.get("start"):
        since, until = window["start"], window["end"]
    service = service if service is not None else window.get("service")
    store = Store()
    sources = tuple(str(s) for s in frame["source"].drop_duplicates())
    for source in sorted(sources):
        rows = frame[frame["source"] == source].sort_values("line_no", kind="stable")
        store.add_entries(_canonical(rows["raw"], rows["line_no"]), source)
    return _finish(store, Problems(), sources, since, until, service)


def _canonical(raws: Any, lines: Any) -> Iterator[dict[str, Any]]:
    """Canonical entry dicts from raw JSON, each stamped with its original line."""
    import json

    for raw, line in zip(raws, lines, strict=True):
        entry = json.loads(raw)
        entry["_line"] = int(line)
        yield entry


def _finish(
    store: Store,
    problems: Problems,
    shown: tuple[str, ...],
    since: str | None,
    until: str | None,
    service: str | None,
) -> Loaded:
    """Window (as `load` does: from the newest entry), baseline, service filter; NoEntriesError if empty."""
    anchor = store.newest()
    start = end = baseline_start = None
    if since is not None and anchor is not None:
        start, end = resolve_window(since, until, _aware(anchor))
        baseline_start = start - (end - start)
    store.finalise(start, end, service, baseline_start, stated_level)
    loaded = Loaded(store, problems, service, start, end, baseline_start, shown)
    if loaded.window_count() == 0 or (service and _service_absent(store, service)):
        raise NoEntriesError(_nothing_message(store, problems, start, end, service, shown))
    return loaded


# The resource labels that name a workload, as normalize.sql reads `service`: a Cloud Run service
# or job, a function, an App Engine service, a workflow, a GKE container.
_NAMED_BY = "coalesce(" + ", ".join(
    f"json_extract_string(j, '$.resource.labels.{label}')"
    for label in ("service_name", "job_name", "function_name", "module_id", "workflow_id", "container_name")
) + ")"


# A GKE pod's Deployment, from its name `<deployment>-<pod-template-hash>-<5 chars>`, its
# StatefulSet, from `<statefulset>-<ordinal>`, or its Indexed Job, from `<job>-<index>-<5 chars>`:
# what an engineer types as the service, which `--service` takes as well as a container's name.
_POD = "json_extract_string(j, '$.resource.labels.pod_name')"
_WORKLOAD = (f"coalesce(nullif(regexp_extract({_POD}, '{DEPLOYMENT_OF_POD}', 1), ''), "
             f"nullif(regexp_extract({_POD}, '{STATEFULSET_OF_POD}', 1), ''), "
             f"nullif(regexp_extract({_POD}, '{INDEXED_JOB_OF_POD}', 1), ''))")


# A pasted line that shows the paste is about the service: one of its pods (`kubectl get pods`,
# `describe pod`), its systemd unit (`Started thumbnail-worker.service`), or a `journalctl` asked
# for that unit (`journalctl -u reportgen -u cron ...`). RE2; {service} is the escaped name.
_PASTE_ABOUT = (r"(?:^|[\s/]){service}-[a-z0-9]+-[a-z0-9]|(?:^|[\s/'\"]){service}\.service\b"
                r"|\bjournalctl\b[^\n]*\s(?:-u|--unit)[= ]?['\"]?{service}(?:\.service)?(?:['\"\s]|$)")


def _service_absent(store: Store, service: str) -> bool:
    """True when the input names workloads but no entry of the window is this one: entries of
    another kind (Cloud SQL, audit, a scheduler job calling the service) alone would otherwise make
    a mistyped --service look like a quiet window, a false all-clear. A paste that names the
    service's pods, its systemd unit or a `journalctl -u` of it is about it (`_PASTE_ABOUT`), though
    the only workload its lines name is another unit (`journalctl -u kubelet` beside them,
    held-out CP09; cron's lines beside a JVM's, FU05). A journal whose application logs as the
    program that runs it (`node[2184]:`, `gunicorn[2311]:`) names no service for it: those lines may
    be the service's, though a host unit is named beside them (systemd's `apt-daily.service`,
    held-out UC06; an import job's own unit, UF03), and are kept for it (`_launched`)."""
    sql = "SELECT count(*) FROM entries WHERE in_window AND service = ?"
    ours = store.con.execute(sql, [service]).fetchone()
    if ours and int(ours[0]):
        return False
    pods = store.con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM entries WHERE in_window AND resource_type = 'local' "
        "AND regexp_matches(message, ?) LIMIT 1)", [_PASTE_ABOUT.format(service=re.escape(service))],
    ).fetchone()
    if pods and int(pods[0]):
        return False
    hosts = store.con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM entries WHERE in_window AND {HOST_NAMED_FOR} LIMIT 1)",
        host_named_for(service),
    ).fetchone()
    if hosts and int(hosts[0]):
        return False
    if service not in load_knowledge().launchers and _launched(store):
        return False
    named = store.con.execute(
        f"SELECT count(*) FROM staging WHERE {_NAMED_BY} IS NOT NULL AND NOT {_COMPOSE_LINE}").fetchone()
    return bool(named and int(named[0]))


def _launched(store: Store) -> bool:
    """Whether a text input holds lines a program that runs an application logged
    (`text.LAUNCHED_LABEL`)."""
    label = f"json_extract_string(j, '$.labels.{LAUNCHED_LABEL}')"
    found = store.con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM staging WHERE {label} IS NOT NULL LIMIT 1)").fetchone()
    return bool(found and int(found[0]))


# A `docker compose logs` line of a paste (`nginx-1  | ...`): named by its container alone, which is
# one part of the application the paste is of (the compose project, what an engineer names), not a
# service of its own; `--service` keeps such lines (rca/sources/text.py), and they name no workload
# that makes another name a mistyped one (held-out DX08, EF03, ER09).
_COMPOSE_LINE = ("(json_extract_string(j, '$.resource.type') = 'local' "
                 "AND json_extract_string(j, '$.resource.labels.service_name') IS NULL "
                 "AND json_extract_string(j, '$.resource.labels.pod_name') IS NULL)")


