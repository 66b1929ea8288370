"""The one entry point shared by the CLI and notebooks: load(), analyze(), fetch().

Everything here maps values to values; only rca/sources talks to the outside world and only
rca/cli.py prints or exits.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rca.engine.store import Store
from rca.errors import NoEntriesError
from rca.sources.files import read_input
from rca.sources.problems import Problems
from rca.timeutil import resolve_window, rfc3339

if TYPE_CHECKING:
    import pandas as pd

    from rca.analysis import Result


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

    def frame(self) -> pd.DataFrame:
        """The normalised entries as a pandas DataFrame (one row per entry)."""
        return self.store.con.execute("SELECT * EXCLUDE (naive_ts) FROM entries ORDER BY entry_id").df()

    def counts(self, column: str, *, in_window: bool = True) -> list[tuple[str, int]]:
        """Entries per value of ``column``, most first, ties by value."""
        where = "WHERE in_window" if in_window else ""
        rows = self.store.con.execute(
            f"SELECT coalesce(CAST({column} AS VARCHAR), '(none)') AS k, count(*) AS n FROM entries {where} "
            "GROUP BY k ORDER BY n DESC, k"
        ).fetchall()
        return [(str(k), int(n)) for k, n in rows]

    def span(self) -> tuple[str | None, str | None]:
        """First and last entry times actually present in the analysis window."""
        row = self.store.con.execute("SELECT min(ts), max(ts) FROM entries WHERE in_window").fetchone()
        return (rfc3339(row[0]), rfc3339(row[1])) if row else (None, None)

    def earliest(self) -> datetime | None:
        """Earliest timestamp kept (baseline included): how far back the input really reaches."""
        row = self.store.con.execute("SELECT min(ts) FROM entries").fetchone()
        return _aware(row[0]) if row and row[0] is not None else None

    def load_stats(self) -> dict[str, Any]:
        """Coverage figures of loading, for the report's stats."""
        st = self.store.stats
        return {
            "read": st.read,
            "duplicates_dropped": st.duplicates,
            "outside_window": st.outside_window,
            "other_services": st.filtered_service,
            "naive_timestamps": st.naive_timestamps,
            "skipped_lines": self.problems.total,
            "skipped_by_kind": dict(sorted(self.problems.counts.items())),
            "sources": list(self.sources),
            "truncated": self.truncated,
            "missing_ranges": list(self.missing),
        }

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
    store = Store()
    problems = Problems()
    spool = Path(tempfile.mkdtemp(prefix="rca-spool-"))
    shown = tuple(str(p) for p in inputs)
    for path in shown:
        read_input(path, store, problems, spool)
    anchor = store.newest()
    start = end = baseline_start = None
    if since is not None and anchor is not None:
        start, end = resolve_window(since, until, _aware(anchor))
        baseline_start = start - (end - start)
    store.finalise(start, end, service, baseline_start)
    loaded = Loaded(store, problems, service, start, end, baseline_start, shown)
    if loaded.window_count() == 0:
        raise NoEntriesError(_nothing_message(store, problems, start, end, service))
    return loaded


def _aware(value: datetime) -> datetime:
    from datetime import timezone

    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _nothing_message(
    store: Store, problems: Problems, start: datetime | None, end: datetime | None, service: str | None
) -> str:
    row = store.con.execute(
        "SELECT min(try_cast(json_extract_string(j, '$.timestamp') AS TIMESTAMPTZ)::TIMESTAMP), "
        "max(try_cast(json_extract_string(j, '$.timestamp') AS TIMESTAMPTZ)::TIMESTAMP), count(*) FROM staging"
    ).fetchone()
    read = int(row[2]) if row else 0
    if read == 0:
        extra = f" ({problems.total} malformed lines skipped)" if problems.total else ""
        return f"no log entries in the input{extra}"
    span = f"{rfc3339(row[0])} .. {rfc3339(row[1])}" if row else "?"
    what = f" for service {service!r}" if service else ""
    window = f" between {rfc3339(start)} and {rfc3339(end)}" if start else ""
    return f"no entries{what}{window}; read {read} entries spanning {span}"


def _live_window(since: str, until: str | None) -> tuple[datetime, datetime]:
    from datetime import timezone

    return resolve_window(since, until, datetime.now(timezone.utc))


def _progress_printer() -> Any:
    """A one-line progress display on stderr: entries and API calls so far."""
    import sys

    def show(p: Any) -> None:
        sys.stderr.write(f"\rrca: fetching {p.query}: {p.total} entries, {p.calls} calls  {p.message[:40]:40}")
        sys.stderr.flush()

    return show


def _fetch(service: str | None, since: str, until: str | None, project: str | None,
           max_entries: int, refresh: bool, progress: bool) -> tuple[Path, Any, datetime, datetime]:
    """Fetch the window and an equal baseline before it from Cloud Logging (or the cache)."""
    from rca.errors import UsageError
    from rca.library import load_library
    from rca.sources.cloud import fetch_window

    if not service:
        raise UsageError("--service is required when reading from Cloud Logging (or give --input FILE)")
    start, end = _live_window(since, until)
    regexes = [e for p in load_library().patterns for e in p.match.any]
    path, result = fetch_window(service, start - (end - start), end, project, patterns_regexes=regexes,
                                max_entries=max_entries, refresh=refresh,
                                progress=_progress_printer() if progress else None)
    if progress:
        import sys

        sys.stderr.write("\n")
    return path, result, start, end


def load_live(*, service: str | None, since: str, until: str | None = None, project: str | None = None,
              max_entries: int = 50000, refresh: bool = False, progress: bool = False) -> Loaded:
    """Fetch a service's window from Cloud Logging and load it like a file (one code path)."""
    path, result, start, end = _fetch(service, since, until, project, max_entries, refresh, progress)
    loaded = load([path], since=rfc3339(start), until=rfc3339(end), service=service)
    loaded.truncated = bool(result.truncated)
    loaded.missing = tuple(f"{m.query}: {m.start} .. {m.end} ({m.reason})" for m in result.missing)
    return loaded


def fetch_to_file(out: Path, *, service: str | None, since: str, until: str | None = None,
                  project: str | None = None, max_entries: int = 50000, refresh: bool = False,
                  progress: bool = False) -> str:
    """`rca fetch`: save the window as a gcloud-style JSON export; return a one-line summary."""
    from rca.sources.cache import write_gcloud_json

    _, result, start, end = _fetch(service, since, until, project, max_entries, refresh, progress)
    write_gcloud_json(result.entries, out)
    state = "complete" if result.complete else "INCOMPLETE (see missing ranges in --format json)"
    return (f"rca: wrote {len(result.entries)} entries ({rfc3339(start)} .. {rfc3339(end)} plus baseline) "
            f"to {out} with {result.calls} API calls; {state}")


def build_events(loaded: Loaded) -> dict[str, int]:
    """Re-join split tracebacks into the `events` table the matcher reads."""
    from rca.engine.tracebacks import build_events as rejoin

    stats = rejoin(loaded.store.con)
    return {k: int(v) for k, v in vars(stats).items() if isinstance(v, int)}


def analyze(
    inputs: Sequence[str | Path] | Loaded,
    *,
    since: str | None = None,
    until: str | None = None,
    service: str | None = None,
    patterns: Sequence[str | Path] = (),
    ignore: Sequence[str] = (),
) -> Result:
    """Load (unless given a `Loaded`), match the pattern library, and build the causal chain."""
    from rca.analysis import run
    from rca.library import load_library

    library = load_library([Path(p) for p in patterns], ignore)
    loaded = inputs if isinstance(inputs, Loaded) else load(inputs, since=since, until=until, service=service)
    event_stats = build_events(loaded)
    meta = {
        "service": loaded.service,
        "start": loaded.start,
        "end": loaded.end,
        "baseline_start": loaded.baseline_start,
        "earliest": loaded.earliest(),
        "load_stats": loaded.load_stats() | {"tracebacks_rejoined": event_stats.get("tracebacks", 0)},
    }
    return run(loaded.store.con, library.patterns, meta)
