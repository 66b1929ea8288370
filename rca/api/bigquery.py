"""Loading from BigQuery: a Log Analytics linked dataset or a log sink, into the ordinary store.

The window (and the equal baseline before it) is read with one guarded scan (rca/sources/bigquery)
and loaded exactly as a file is, so matching, baseline, chain and report run unchanged. With the
push-down (the default) the scan runs the pattern library in BigQuery and only the entries the
analysis reads one by one come back whole; the others come back as counted groups and are loaded
as that many entries (docs/scale-out.md).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rca.api.loading import Loaded, load
from rca.errors import NoEntriesError, UsageError
from rca.model import BigQueryFigures
from rca.timeutil import resolve_window, rfc3339


@dataclass(frozen=True)
class BigQueryOptions:
    """Where to read and how much it may cost (the CLI flags of the same names)."""

    log_analytics: str | None = None
    bigquery: str | None = None
    billing_project: str | None = None
    location: str | None = None
    max_bytes_billed: int | str | None = None
    confirm_above: int | str | None = None
    yes: bool = False
    sql_out: Path | str | None = None
    refresh: bool = False
    pushdown: bool = True
    patterns: tuple[Path | str, ...] = ()


@dataclass(frozen=True)
class BigQueryPlan:
    """A dry run's result: what would be read, at what price, and the SQL (for --dry-run)."""

    target: str
    tables: tuple[str, ...]
    estimated_bytes: int
    price_usd: float
    sql: str
    round_trips: int

    def describe(self) -> str:
        """Estimate and SQL as --dry-run prints them."""
        from rca.sources.bigquery.cost import Estimate

        return (
            f"-- rca dry run of {self.target}: {Estimate(self.estimated_bytes).describe()}; "
            f"{len(self.tables)} table(s): {', '.join(self.tables)}; {self.round_trips} API calls; "
            "nothing billed (the estimate is the scan's; a follow-up reads only the scan's result)\n"
            + self.sql
        )


def _target(options: BigQueryOptions) -> Any:
    from rca.sources.bigquery.target import parse_bigquery, parse_log_analytics

    if options.log_analytics and options.bigquery:
        raise UsageError("give one of --log-analytics and --bigquery, not both")
    if options.log_analytics:
        return parse_log_analytics(options.log_analytics)
    if options.bigquery:
        return parse_bigquery(options.bigquery)
    raise UsageError("a BigQuery source needs --log-analytics TARGET or --bigquery TARGET")


def _limits(options: BigQueryOptions) -> tuple[int, int | None]:
    from rca.sources.bigquery import cost
    from rca.sources.bigquery.fetch import check_flags

    def size(value: int | str | None, default: int | None, flag: str) -> int | None:
        if value is None:
            return default
        return value if isinstance(value, int) else cost.parse_size(value, flag)

    max_bytes = size(options.max_bytes_billed, cost.DEFAULT_MAX_BYTES, "--max-bytes-billed")
    confirm_above = size(options.confirm_above, cost.DEFAULT_CONFIRM_ABOVE, "--confirm-above")
    assert max_bytes is not None
    check_flags(max_bytes, confirm_above)
    return max_bytes, confirm_above


def _window(since: str, until: str | None) -> tuple[datetime, datetime]:
    return resolve_window(since, until, datetime.now(timezone.utc))


def _pushdown(options: BigQueryOptions) -> Any:
    """The push-down's inputs: the analysis's own library (``patterns`` adds packs), the error
    shapes the unexplained-signal miner reads, and the reasoning's "last minutes" of the window."""
    if not options.pushdown:
        return None
    from rca.library.knowledge import load_knowledge
    from rca.library.loader import load_library
    from rca.reasoning.verdict import RECENT
    from rca.sources.bigquery.fetch import Pushdown

    library = load_library([Path(p) for p in options.patterns])
    return Pushdown(tuple(library.patterns), (load_knowledge().error_shaped,), RECENT)


def _prepare(options: BigQueryOptions, service: str | None, since: str, until: str | None) -> Any:
    from rca.sources.bigquery.fetch import prepare

    start, end = _window(since, until)
    plan = prepare(
        _target(options),
        service=service,
        start=start,
        end=end,
        billing_project=options.billing_project,
        location=options.location,
        pushdown=_pushdown(options),
    )
    if options.sql_out:
        out = Path(options.sql_out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            for query in _queries(plan, options):
                (out / f"{query.name}.sql").write_text(query.text_with_params(), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--sql-out {out}: cannot write: {exc.strerror or exc}") from exc
    return plan, start, end


SCAN_RESULT = "`SCAN_RESULT`"
"""Stands for the scan's destination table (known once it has run) in reviewed follow-up SQL."""


def _queries(plan: Any, options: BigQueryOptions) -> list[Any]:
    """The scan, then (push-down) the follow-ups over its result, as --sql-out and --dry-run show them."""
    if not options.pushdown:
        return [plan.query]
    from rca.sources.bigquery.pushdown import collapsed_sql, recovery_sql, rows_sql

    return [plan.query, recovery_sql(SCAN_RESULT), rows_sql(SCAN_RESULT), collapsed_sql(SCAN_RESULT)]


def plan_bigquery(
    options: BigQueryOptions, *, service: str | None, since: str, until: str | None = None
) -> BigQueryPlan:
    """Build the scan and dry-run it (free): the estimate and the SQL, nothing billed."""
    from rca.sources.bigquery.cost import price

    plan, _, _ = _prepare(options, service, since, until)
    _limits(options)
    return BigQueryPlan(
        plan.target.describe(),
        tuple(t.name for t in plan.tables),
        plan.estimate,
        price(plan.estimate),
        "\n".join(q.text_with_params() for q in _queries(plan, options)),
        plan.round_trips,
    )


def _cache_path(plan: Any, start: datetime, end: datetime) -> Path:
    from rca.sources.cloud.cache import cache_dir

    key = json.dumps(
        [
            plan.target.describe(),
            plan.query.sql,
            [[p.name, p.type, str(p.value)] for p in plan.query.params],
            rfc3339(start),
            rfc3339(end),
        ]
    )
    return cache_dir() / "bigquery" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def load_bigquery(
    options: BigQueryOptions,
    *,
    service: str | None,
    since: str,
    until: str | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> Loaded:
    """Read the window and baseline from BigQuery (guarded) and load them like a file.

    ``confirm`` is asked (with the estimate) when the scan is above ``confirm_above`` and ``yes``
    is false; without it such a scan is refused. A closed window is cached locally
    (``RCA_CACHE_DIR``); ``refresh`` bypasses the cache.
    """
    from rca.sources.bigquery.fetch import closed, expand, guard, run, run_pushdown, write_ndjson
    from rca.sources.cloud.cache import write_gcloud_json

    max_bytes, confirm_above = _limits(options)
    plan, start, end = _prepare(options, service, since, until)
    path = _cache_path(plan, start, end)
    cacheable = closed(end)
    if path.exists() and not options.refresh and cacheable:
        figures = BigQueryFigures(plan.target.describe(), plan.estimate, plan.round_trips, scan=None)
        loaded = load([path], since=rfc3339(start), until=rfc3339(end), service=service)
    else:
        guard(plan, max_bytes=max_bytes, confirm_above=confirm_above, yes=options.yes, confirm=confirm)
        outcome = (run_pushdown if options.pushdown else run)(plan, max_bytes=max_bytes)
        figures = outcome.figures(plan)
        if not outcome.entries and not outcome.groups:
            what = f" of service {service!r}" if service else ""
            raise NoEntriesError(
                f"{plan.target.describe()} has no entries{what} between {rfc3339(start)} and "
                f"{rfc3339(end)} (nor in the baseline before it); tables read: "
                f"{', '.join(t.name for t in plan.tables)}"
            )
        with tempfile.TemporaryDirectory(prefix="rca-bq-") as tmp:
            fresh = Path(tmp) / "bigquery.json"
            if options.pushdown:
                write_ndjson(((e, 1) for e in outcome.entries), expand(outcome.groups), fresh)
            else:
                write_gcloud_json(outcome.entries, fresh)
            if cacheable:  # an open window may still grow: only closed ones are kept
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fresh, path)
            loaded = load([fresh], since=rfc3339(start), until=rfc3339(end), service=service)
    loaded.sources = (f"bigquery:{plan.target.describe()} ({_summary(figures)})",)
    loaded.bigquery = figures
    return loaded


def _summary(figures: BigQueryFigures) -> str:
    """What the fetch cost and returned, for the report's sources line."""
    from rca.sources.bigquery import cost

    scan = figures.scan
    if scan is None:
        return "from the local cache"
    scanned = f"{scan.rows_scanned} rows scanned, " if scan.rows_scanned is not None else ""
    text = f"{cost.human(scan.bytes_billed)} billed, {scanned}{scan.rows_returned} rows returned"
    if scan.pushdown is not None:
        text += f" for {scan.pushdown.entries_represented} entries (library pushed down)"
    return text
