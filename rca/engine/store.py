"""The DuckDB store: canonical LogEntry JSON in, one normalised `entries` table out.

DuckDB parses JSON in C++ across cores, so a million-entry export never becomes a million
Python objects; the same SQL normalises entries from files, stdin and Cloud Logging, which
keeps one internal model (docs/architecture.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

SEVERITY_NUM = {
    "DEFAULT": 0,
    "DEBUG": 100,
    "INFO": 200,
    "NOTICE": 300,
    "WARNING": 400,
    "ERROR": 500,
    "CRITICAL": 600,
    "ALERT": 700,
    "EMERGENCY": 800,
}

_STAGING_COLUMNS = "j JSON, ord BIGINT, source VARCHAR"
DEFAULT_MEMORY_LIMIT = "1500MB"
# One LogEntry is at most 256 KiB (512 KiB for audit logs); a larger line takes the checked
# Python path, so DuckDB's reader need not reserve buffers for giant objects.
MAX_OBJECT_BYTES = 16 * 1024 * 1024


def _normalise_sql() -> str:
    return resources.files("rca.engine").joinpath("normalize.sql").read_text(encoding="utf-8")


@dataclass
class StoreStats:
    """What loading did, for the coverage section of the report."""

    read: int = 0
    duplicates: int = 0
    outside_window: int = 0
    filtered_service: int = 0
    naive_timestamps: int = 0
    by_source: dict[str, int] = field(default_factory=dict)


class Store:
    """A DuckDB connection holding the `staging` entries and, once finalised, `entries`."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="rca-")
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone='UTC'")
        # A bounded engine spills big sorts and windows to disk instead of holding them in RAM:
        # a 1M-entry export then peaks around 1.5 GB instead of 2.7 GB (benchmarks/load.py).
        self.con.execute(f"SET memory_limit='{os.environ.get('RCA_MEMORY_LIMIT', DEFAULT_MEMORY_LIMIT)}'")
        self.con.execute(f"SET temp_directory='{Path(self._tmp.name) / 'spill'}'")
        self.con.execute(f"CREATE TABLE staging ({_STAGING_COLUMNS})")
        self.stats = StoreStats()
        self._sql = _normalise_sql()

    @property
    def scratch(self) -> Path:
        """A private directory for spooled input (stdin, unzipped files), removed with the store."""
        return Path(self._tmp.name)

    def close(self) -> None:
        """Release the connection and the spool files."""
        self.con.close()
        self._tmp.cleanup()

    def add_ndjson_file(self, path: Path, source: str) -> int:
        """Load an NDJSON file of canonical entries with DuckDB's own reader; return the count.

        Raises duckdb.Error when a line is not valid JSON: the caller then falls back to the
        line-checking reader, which reports the bad lines by number.
        """
        before = self._count()
        self.con.execute(
            "INSERT INTO staging SELECT json, row_number() OVER (), ? "
            f"FROM read_json_objects(?, format='newline_delimited', maximum_object_size={MAX_OBJECT_BYTES})",
            [source, str(path)],
        )
        added = self._count() - before
        self.stats.by_source[source] = self.stats.by_source.get(source, 0) + added
        return added

    def add_entries(self, entries: Iterable[dict[str, Any]], source: str) -> int:
        """Spool canonical entry dicts (from Python readers) to NDJSON and load them."""
        spool = Path(self._tmp.name) / f"spool-{len(self.stats.by_source)}-{abs(hash(source))}.ndjson"
        n = 0
        with spool.open("w", encoding="utf-8") as out:
            for n, entry in enumerate(entries, start=1):
                entry.setdefault("_line", n)
                out.write(_utf8_safe(json.dumps(entry, ensure_ascii=False, default=str)))
                out.write("\n")
        if n:
            self.add_ndjson_file(spool, source)
        spool.unlink()
        return n

    def _count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM staging").fetchone()
        return int(row[0]) if row else 0

    def newest(self) -> datetime | None:
        """Newest entry time across everything staged (the anchor of --since for files)."""
        row = self.con.execute(
            "SELECT max(try_cast(json_extract_string(j, '$.timestamp') AS TIMESTAMPTZ)::TIMESTAMP) "
            "FROM staging"
        ).fetchone()
        return row[0] if row else None

    def finalise(
        self,
        start: datetime | None,
        end: datetime | None,
        service: str | None,
        baseline_start: datetime | None,
    ) -> None:
        """Normalise staged entries into `entries`: window, service filter, dedupe, stable ids.

        Entries in [baseline_start, start) are kept as the baseline (in_window false); entries
        without a timestamp are kept whatever the window (bare pastes).
        """
        self.stats.read = self._count()
        self.con.execute(f"CREATE TEMP VIEW norm AS {self._sql.format(rel='staging')}")
        lo = baseline_start or start
        conds = ["TRUE"]
        params: list[Any] = []
        if lo is not None:
            # Deploy audit entries are kept however old: "6 revisions deployed today" is context.
            conds.append("(ts IS NULL OR ts >= ? OR starts_with(log_id, 'cloudaudit.googleapis.com/'))")
            params.append(_naive(lo))
        if end is not None:
            conds.append("(ts IS NULL OR ts <= ?)")
            params.append(_naive(end))
        in_window = "TRUE" if start is None else "(ts IS NULL OR ts >= ?)"
        win_params = [] if start is None else [_naive(start)]
        self.con.execute(
            f"""
            CREATE TABLE windowed AS
            SELECT *, {in_window} AS in_window FROM norm WHERE {" AND ".join(conds)}
            """,
            win_params + params,
        )
        windowed = self._scalar("SELECT count(*) FROM windowed")
        self.stats.outside_window = self.stats.read - windowed
        if service:
            self.con.execute("DELETE FROM windowed WHERE service IS NOT NULL AND service <> ?", [service])
            self.stats.filtered_service = windowed - self._scalar("SELECT count(*) FROM windowed")
        sev_case = " ".join(f"WHEN '{k}' THEN {v}" for k, v in SEVERITY_NUM.items())
        self.con.execute(
            f"""
            CREATE TABLE entries AS
            SELECT row_number() OVER (ORDER BY ts NULLS LAST, source, line_no) - 1 AS entry_id,
                   *, CASE severity {sev_case} ELSE 0 END AS severity_num
            FROM (
              SELECT * FROM windowed
              QUALIFY insert_id IS NULL
                   OR row_number() OVER (PARTITION BY log_name, insert_id, ts ORDER BY source, line_no) = 1
            )
            ORDER BY entry_id
            """
        )
        self.con.execute("DROP TABLE windowed")
        kept = self._scalar("SELECT count(*) FROM entries")
        self.stats.duplicates = windowed - self.stats.filtered_service - kept
        self.stats.naive_timestamps = self._scalar("SELECT count(*) FROM entries WHERE naive_ts")

    def _scalar(self, sql: str, params: list[Any] | None = None) -> int:
        row = self.con.execute(sql, params or []).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def rows(self, sql: str, params: list[Any] | None = None) -> Iterator[tuple[Any, ...]]:
        """Run a query and iterate its rows."""
        yield from self.con.execute(sql, params or []).fetchall()


def _utf8_safe(text: str) -> str:
    """``text`` with lone surrogates (legal in JSON ``\\ud800`` escapes, not in UTF-8) as U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _naive(value: datetime) -> datetime:
    """DuckDB TIMESTAMP columns are naive UTC; strip the zone after converting."""
    if value.tzinfo is None:
        return value
    from datetime import timezone

    return value.astimezone(timezone.utc).replace(tzinfo=None)
