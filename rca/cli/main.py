"""The `rca` command line: parse flags, call rca.api, render, map errors to exit codes. No logic.

Exit codes: 0 analysis ran (whatever it found); 1 no entries in the window; 2 usage error or
unreadable input (the message names the file, line and problem); 3 Cloud Logging failed
(credentials, permission, quota); 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rca import __version__
from rca.cli import bigquery as bq
from rca.cli.common import F, guard
from rca.cli.patterns import patterns
from rca.errors import UsageError

FORMATS = ("markdown", "text", "html", "json")
EXTENSIONS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".txt": "text",
}

ANALYZE_EXAMPLES = """
\b
Examples:
  rca analyze --service netra-backend-staging --since 1h
  rca analyze --service netra-backend-staging --since 1h --input export.json
  gcloud logging read 'resource.type="cloud_run_revision"' --format=json | rca analyze --since 2h --input -
  rca analyze --since 2025-09-15T14:00:00Z --until 2025-09-15T15:30:00Z \\
      --input logs.ndjson.gz --out report.html
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rca")
def main() -> None:
    """rca: find why a Google Cloud service broke by mining its logs."""


def _window_options(func: F) -> F:
    func = click.option("--project", help="GCP project id (default: GOOGLE_CLOUD_PROJECT or ADC).")(func)
    func = click.option(
        "--until", help="End of the window (RFC 3339); default now, or the newest entry of --input."
    )(func)
    func = click.option(
        "--since", required=True, help="Window length back from --until (30m, 1h, 2d) or an RFC 3339 start."
    )(func)
    func = click.option("--service", help="Cloud Run service name; entries of other services are dropped.")(
        func
    )
    return func


@main.command(epilog=ANALYZE_EXAMPLES)
@_window_options
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="PATH",
    help="Export file(s) instead of Cloud Logging; repeatable; - for stdin; .gz is fine.",
)
@click.option(
    "--patterns",
    "pattern_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Extra pattern pack directory; overrides built-in patterns by id. Repeatable.",
)
@click.option("--ignore", multiple=True, metavar="ID", help="Pattern id to mute as known noise. Repeatable.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Report format (default: text on a terminal, markdown otherwise, or from --out's extension).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Render with your own jinja2 template (same context as the built-in ones).",
)
@click.option(
    "--no-redact", is_flag=True, help="Do not redact secrets (passwords, tokens, keys) in the report."
)
@click.option(
    "--max-entries", default=50000, show_default=True, help="Live fetch: stop after this many entries."
)
@click.option("--refresh", is_flag=True, help="Live fetch: ignore the local cache.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@bq.bigquery_options
@guard
def analyze(
    service: str | None,
    since: str,
    until: str | None,
    project: str | None,
    inputs: tuple[str, ...],
    pattern_dirs: tuple[Path, ...],
    ignore: tuple[str, ...],
    fmt: str | None,
    out: Path | None,
    template: Path | None,
    no_redact: bool,
    max_entries: int,
    refresh: bool,
    debug: bool,
    **bq_flags: Any,
) -> None:
    """Find the root cause of an incident in a window of logs and write a five-whys report."""
    from rca import api
    from rca.report.render import render

    fmt = _format(fmt, out)
    if bq.requested(bq_flags):
        loaded = bq.load(bq_flags, service=service, since=since, until=until, inputs=inputs, refresh=refresh)
        if loaded is None:  # --dry-run: the estimate and SQL are printed
            return
    elif inputs:
        loaded = api.load(list(inputs), since=since, until=until, service=service)
    else:
        loaded = api.load_live(
            service=service,
            since=since,
            until=until,
            project=project,
            max_entries=max_entries,
            refresh=refresh,
            progress=sys.stderr.isatty(),
        )
    analysis = api.analyze(loaded, patterns=list(pattern_dirs), ignore=list(ignore))
    text = render(
        analysis.result,
        fmt,
        redact=not no_redact,
        template=template,
        color=fmt == "text" and out is None and sys.stdout.isatty(),
    )
    _emit(text, out)


@main.command()
@_window_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write a gcloud-style JSON export (array, newest first) here.",
)
@click.option("--max-entries", default=50000, show_default=True, help="Stop after this many entries.")
@click.option("--refresh", is_flag=True, help="Ignore the local cache.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@guard
def fetch(
    service: str | None,
    since: str,
    until: str | None,
    project: str | None,
    out: Path,
    max_entries: int,
    refresh: bool,
    debug: bool,
) -> None:
    """Save a window of a service's logs from Cloud Logging for offline postmortems."""
    from rca import api

    summary = api.fetch_to_file(
        out,
        service=service,
        since=since,
        until=until,
        project=project,
        max_entries=max_entries,
        refresh=refresh,
        progress=sys.stderr.isatty(),
    )
    click.echo(summary, err=True)


def _format(fmt: str | None, out: Path | None) -> str:
    if fmt:
        return fmt
    if out is not None:
        by_ext = EXTENSIONS.get(out.suffix.lower())
        if by_ext is None:
            raise UsageError(
                f"--out {out}: cannot tell the format from {out.suffix or 'no extension'!r}; "
                f"use --format ({', '.join(FORMATS)})"
            )
        return by_ext
    return "text" if sys.stdout.isatty() else "markdown"


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc
    click.echo(f"rca: report written to {out}", err=True)



main.add_command(patterns)
