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


def analyze(*args: Any, **kwargs: Any) -> Any:  # replaced below once the pipeline exists
    """Analyse entries: findings, causal chain, root cause (see rca.analysis)."""
    raise NotImplementedError
