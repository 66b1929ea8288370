"""The `rca` command line: parse flags, call rca.api, render, map errors to exit codes. No logic.

Exit codes: 0 analysis ran (whatever it found); 1 no entries in the window; 2 usage error or
unreadable input (the message names the file, line and problem); 3 Cloud Logging failed
(credentials, permission, unreachable endpoint); 4 with --strict, the analysis ran on incomplete
data; 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rca import __version__
from rca.cli import bigquery as bq
from rca.cli.common import F, collector_paused, guard
from rca.cli.patterns import patterns
from rca.defaults import MAX_ENTRIES
from rca.errors import IncompleteDataError, UsageError

if TYPE_CHECKING:
    from rca.reasoning.analysis import Result

FORMATS = ("markdown", "text", "html", "json", "postmortem")
EVIDENCE = ("brief", "all")
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
  rca analyze --service netra-backend-staging --input export.json
  gcloud logging read 'resource.type="cloud_run_revision"' --format=json | rca analyze --since 2h
  rca analyze --input export.json --format postmortem --out postmortem.md
  rca analyze --since 2025-09-15T14:00:00Z --until 2025-09-15T15:30:00Z \\
      --input logs.ndjson.gz --out report.html
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rca")
def main() -> None:
    """rca: find why a Google Cloud service broke by mining its logs."""


def _window_options(*, files: bool) -> Callable[[F], F]:
    """--service, --since, --until, --project; ``files`` when the command also reads --input."""

    def decorate(func: F) -> F:
        func = click.option("--project", help="GCP project id (default: GOOGLE_CLOUD_PROJECT or ADC).")(func)
        func = click.option(
            "--until",
            help="End of the window (RFC 3339); default now"
            + (", or the newest entry of --input." if files else "."),
        )(func)
        func = click.option(
            "--since",
            required=not files,
            help="Window length back from --until (30m, 1h, 2d) or an RFC 3339 start"
            + ("; with --input, default the whole input." if files else "."),
        )(func)
        return click.option(
            "--service",
            help="Cloud Run service name"
            + ("; in --input files also a job, function, App Engine service, GKE container or Deployment, "
               "and on GKE a name none has stands for those beginning NAME-" if files else "")
            + "; entries of other services are dropped.",
        )(func)

    return decorate


def _patterns_option(help_text: str) -> Callable[[F], F]:
    """--patterns DIR (repeatable), with each command's own help."""
    directory = click.Path(file_okay=False, path_type=Path)
    return click.option("--patterns", "pattern_dirs", multiple=True, type=directory, help=help_text)


def _fetch_options(*, live: str, strict: str) -> Callable[[F], F]:
    """--max-entries, --refresh, --strict, --debug: what `analyze` and `fetch` share.

    ``live`` prefixes the help of the options that only matter when fetching from Cloud Logging
    (``analyze`` also reads files); ``strict`` is each command's own help."""

    def decorate(func: F) -> F:
        options = [
            click.option(
                "--max-entries",
                type=click.IntRange(min=1),
                default=MAX_ENTRIES,
                show_default=True,
                help=_sentence(live, "stop after this many entries."),
            ),
            click.option("--refresh", is_flag=True, help=_sentence(live, "ignore the local cache.")),
            click.option("--strict", is_flag=True, help=strict),
            click.option("--debug", is_flag=True, help="Show Python tracebacks for errors."),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _sentence(prefix: str, text: str) -> str:
    """``text`` after ``prefix``, or capitalised when there is no prefix."""
    return f"{prefix}{text}" if prefix else text[:1].upper() + text[1:]


@main.command(epilog=ANALYZE_EXAMPLES)
@_window_options(files=True)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="PATH",
    help="Export file(s) instead of Cloud Logging; repeatable; - for stdin (read anyway when piped); "
    ".gz is fine; a directory (a Cloud Storage sink's tree) is read for its log files.",
)
@_patterns_option("Extra pattern pack directory; overrides built-in patterns by id. Repeatable.")
@click.option("--ignore", multiple=True, metavar="ID", help="Pattern id to mute as known noise. Repeatable.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Report format (default: text on a terminal, markdown otherwise, or from --out's extension); "
    "postmortem is Markdown in the shape of the Google SRE postmortem.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Render with your own jinja2 template (same context as the built-in ones); not with --format.",
)
@click.option(
    "--evidence",
    type=click.Choice(EVIDENCE),
    default="brief",
    show_default=True,
    help="How much cited log text the report carries: two entries per why and a short appendix, or all.",
)
@click.option(
    "--no-redact", is_flag=True, help="Do not redact secrets (passwords, tokens, keys) in the report."
)
@_fetch_options(
    live="Live fetch: ",
    strict="Exit 4 (after writing the report) when part of the window could not be read.",
)
@bq.bigquery_options
@guard
@collector_paused
def analyze(
    service: str | None,
    since: str | None,
    until: str | None,
    project: str | None,
    inputs: tuple[str, ...],
    pattern_dirs: tuple[Path, ...],
    ignore: tuple[str, ...],
    fmt: str | None,
    out: Path | None,
    template: Path | None,
    evidence: str,
    no_redact: bool,
    max_entries: int,
    refresh: bool,
    strict: bool,
    debug: bool,
    **bq_flags: Any,
) -> None:
    """Find the root cause of an incident in a window of logs and write a five-whys report."""
    from rca import api
    from rca.report.render import render

    fmt = _format(fmt, out, template)
    if not inputs and not bq.requested(bq_flags) and _stdin_is_piped():
        inputs = ("-",)
    if bq.requested(bq_flags):
        if since is None:
            raise UsageError("--since is required with --log-analytics or --bigquery")
        loaded = bq.load(bq_flags, service=service, since=since, until=until, inputs=inputs, refresh=refresh,
                         patterns=pattern_dirs)
        if loaded is None:  # --dry-run: the estimate and SQL are printed
            return
    elif inputs:
        loaded = api.load(list(inputs), since=since, until=until, service=service)
    else:
        if since is None:
            raise UsageError("--since is required when reading Cloud Logging (it is optional with --input)")
        loaded = api.load_live(
            service=service,
            since=since,
            until=until,
            project=project,
            max_entries=max_entries,
            refresh=refresh,
            progress=sys.stderr.isatty(),
            patterns=list(pattern_dirs),
        )
    warning = loaded.warning()
    if warning:
        click.echo(f"rca: warning: {warning}", err=True)
    analysis = api.analyze(loaded, patterns=list(pattern_dirs), ignore=list(ignore))
    text = render(
        analysis.result,
        fmt,
        redact=not no_redact,
        template=template,
        color=fmt == "text" and out is None and _colour_allowed(),
        evidence=evidence,
    )
    _emit(text, out)
    if out is not None or sys.stderr.isatty():
        click.echo(summary_line(analysis.result, out), err=True)
    if strict and warning:
        raise IncompleteDataError(f"--strict: the analysis ran on incomplete data: {warning}")


@main.command()
@_window_options(files=False)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write a gcloud-style JSON export (array, newest first) here.",
)
@click.option(
    "--relevant-only",
    is_flag=True,
    help="Save only what the analysis reads (its pushdown filters; healthy requests may be sampled).",
)
@_patterns_option("With --relevant-only: extra pattern pack whose lines to keep. Repeatable.")
@_fetch_options(live="", strict="Exit 4 when part of the window could not be read.")
@guard
def fetch(
    service: str | None,
    since: str,
    until: str | None,
    project: str | None,
    out: Path,
    max_entries: int,
    relevant_only: bool,
    pattern_dirs: tuple[Path, ...],
    refresh: bool,
    strict: bool,
    debug: bool,
) -> None:
    """Save a window of a service's logs from Cloud Logging, as `gcloud logging read` would.

    Every entry of the service in the window and an equal baseline before it, its deploy history
    and its Cloud SQL logs; --relevant-only keeps only what the analysis reads.
    """
    from rca import api

    summary, warning = api.fetch_to_file(
        out,
        service=service,
        since=since,
        until=until,
        project=project,
        max_entries=max_entries,
        refresh=refresh,
        progress=sys.stderr.isatty(),
        relevant_only=relevant_only,
        patterns=list(pattern_dirs),
    )
    click.echo(summary, err=True)
    if warning:
        click.echo(f"rca: warning: {warning}", err=True)
        if strict and warning.startswith("INCOMPLETE"):
            raise IncompleteDataError(f"--strict: {warning}")


def _format(fmt: str | None, out: Path | None, template: Path | None = None) -> str:
    """The report format: --format, else --out's extension, else text on a terminal and markdown otherwise.

    Contradictions are usage errors, not silent choices: --template with --format (the template
    decides the output), or --format naming another format than --out's extension.
    """
    if template is not None:
        if fmt:
            raise UsageError("--template and --format exclude each other: the template decides the output")
        return "html" if out is not None and EXTENSIONS.get(out.suffix.lower()) == "html" else "markdown"
    by_ext = EXTENSIONS.get(out.suffix.lower()) if out is not None else None
    if fmt:
        compatible = {fmt} | ({"markdown"} if fmt == "postmortem" else set())
        if by_ext is not None and by_ext not in compatible:
            raise UsageError(
                f"--format {fmt} does not match --out {out}: {out.suffix} is {by_ext}; "  # type: ignore[union-attr]
                f"name the file for the format or drop --format"
            )
        return fmt
    if out is not None:
        if by_ext is None:
            raise UsageError(
                f"--out {out}: cannot tell the format from {out.suffix or 'no extension'!r}; "
                f"use --format ({', '.join(FORMATS)})"
            )
        return by_ext
    return "text" if sys.stdout.isatty() else "markdown"


def _stdin_is_piped() -> bool:
    """True when stdin is a pipe or a redirected file (not a terminal, not /dev/null, not absent)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def _colour_allowed() -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def summary_line(result: Result, out: Path | None) -> str:
    """One line for stderr: the verdict, the root cause, where the report went."""
    v = result.verdict
    state = v.state.value.upper() if v else "OK"
    since = f" since {v.onset[11:19]}" if v and v.onset and not v.recovered_at else ""
    recovered = f", recovered at {v.recovered_at[11:19]}" if v and v.recovered_at else ""
    rc = result.root_cause
    where = f"; report written to {out}" if out is not None else ""
    return (
        f"rca: {result.service or 'all services'} {state}{since}{recovered}; "
        f"root cause {rc.category.value} ({rc.confidence:.0%}){where}"
    )


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc


main.add_command(patterns)
