"""`rca analyze` flags for the BigQuery and Log Analytics sources, and what they run."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from rca.cli.common import F
from rca.errors import UsageError

FLAGS = ("log_analytics", "bigquery", "billing_project", "location", "max_bytes_billed", "confirm_above",
         "yes", "dry_run", "sql_out", "full_fetch")


def bigquery_options(func: F) -> F:
    """Add the BigQuery flags to a command (they arrive as keyword arguments named in FLAGS)."""
    options = [
        click.option("--full-fetch", is_flag=True,
                     help="BigQuery: bring back every entry of the window and baseline instead of pushing "
                     "the pattern library down (the earlier plan; same answer, more rows)."),
        click.option("--sql-out", type=click.Path(file_okay=False, path_type=Path),
                     help="BigQuery: write the generated queries to this directory for review."),
        click.option("--dry-run", is_flag=True,
                     help="BigQuery: print the byte estimate, price and SQL, run nothing billed, exit 0."),
        click.option("--yes", is_flag=True, help="BigQuery: run above --confirm-above without asking."),
        click.option("--confirm-above", metavar="SIZE",
                     help="BigQuery: ask before a scan estimated above this (default 2GiB)."),
        click.option("--max-bytes-billed", metavar="SIZE",
                     help="BigQuery: refuse scans estimated above this; each job's cap (default 20GiB)."),
        click.option("--location", help="BigQuery: the dataset's location (US, EU, us-central1...)."),
        click.option("--billing-project", metavar="ID",
                     help="BigQuery: project that runs and pays for the jobs (default: the target's)."),
        click.option("--bigquery", metavar="PROJECT.DATASET[.TABLE]",
                     help="Read a BigQuery log sink dataset (partitioned or _YYYYMMDD tables)."),
        click.option("--log-analytics", metavar="PROJECT.LINKED_DATASET",
                     help="Read a Log Analytics linked dataset (or PROJECT/LOCATION/BUCKET) via BigQuery."),
    ]
    for option in options:
        func = option(func)
    return func


def requested(flags: Mapping[str, Any]) -> bool:
    """True when a BigQuery source was asked for; a BigQuery-only flag without one is a usage error."""
    if flags.get("log_analytics") or flags.get("bigquery"):
        return True
    stray = [f"--{name.replace('_', '-')}" for name in FLAGS if flags.get(name)]
    if stray:
        raise UsageError(f"{', '.join(stray)} only apply with --log-analytics or --bigquery")
    return False


def load(flags: Mapping[str, Any], *, service: str | None, since: str, until: str | None,
         inputs: tuple[str, ...], refresh: bool, patterns: tuple[Path, ...] = ()) -> Any:
    """The BigQuery source's `Loaded`, or None after a --dry-run (estimate and SQL printed).

    ``patterns`` (``--patterns``) joins the library the scan pushes down, as it joins the analysis."""
    from rca import api

    if inputs:
        raise UsageError("give --input or a BigQuery source (--log-analytics / --bigquery), not both")
    options = api.BigQueryOptions(
        log_analytics=flags.get("log_analytics"), bigquery=flags.get("bigquery"),
        billing_project=flags.get("billing_project"), location=flags.get("location"),
        max_bytes_billed=flags.get("max_bytes_billed"), confirm_above=flags.get("confirm_above"),
        yes=bool(flags.get("yes")), sql_out=flags.get("sql_out"), refresh=refresh, patterns=tuple(patterns),
        pushdown=not flags.get("full_fetch"),
    )
    if flags.get("dry_run"):
        plan = api.plan_bigquery(options, service=service, since=since, until=until)
        click.echo(plan.describe(), nl=False)
        return None
    ask = (lambda q: click.confirm(q, default=False, err=True)) if sys.stdin.isatty() else None
    return api.load_bigquery(options, service=service, since=since, until=until, confirm=ask)
