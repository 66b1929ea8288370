"""`rca patterns ...`: list, show, lint and test the pattern library; suggest new patterns."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rca.cli.common import guard


@click.group()
def patterns() -> None:
    """Inspect, check and extend the pattern library."""


def _library(dirs: tuple[Path, ...], builtin: bool = True):  # type: ignore[no-untyped-def]
    from rca.library.loader import load_library

    return load_library(list(dirs), include_builtin=builtin)


@patterns.command("list")
@click.option("--category", help="Only this root-cause category.")
@click.option("--area", help="Only this area (folder), e.g. cloud-run, postgres.")
@click.option("--runtime",
              help="Only this runtime: python, node, go, java, dotnet, ruby, php, elixir, rust, any.")
@click.option("--surface", help="Only this Google Cloud surface: cloud-run, gke, app-engine, ...")
@click.option("--patterns", "dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True)
@guard
def list_(
    category: str | None, area: str | None, runtime: str | None, surface: str | None,
    dirs: tuple[Path, ...], debug: bool,
) -> None:
    """One line per pattern: id, category, role, title."""
    from rca.errors import UsageError
    from rca.model import Category

    library = _library(dirs).patterns
    for flag, wanted, known in (
        ("--category", category, {c.value for c in Category}),
        ("--area", area, {p.area for p in library}),
    ):
        if wanted and wanted not in known:
            raise UsageError(f"{flag} {wanted!r} is unknown; choose one of {', '.join(sorted(known))}")
    for p in library:
        if (category and p.category.value != category) or (area and p.area != area):
            continue
        if (runtime and runtime not in p.runtimes) or (surface and surface not in p.surfaces):
            continue
        click.echo(f"{p.id:45} {p.category.value:28} {p.role.value:8} {p.title}")


@patterns.command()
@click.argument("pattern_id")
@click.option("--patterns", "dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True)
@guard
def show(pattern_id: str, dirs: tuple[Path, ...], debug: bool) -> None:
    """Print one pattern file."""
    from rca.errors import UsageError

    lib = _library(dirs)
    try:
        p = lib.by_id(pattern_id)
    except KeyError as exc:
        raise UsageError(f"no pattern with id {pattern_id!r} (see `rca patterns list`)") from exc
    click.echo(Path(p.path).read_text(encoding="utf-8"), nl=False)


@patterns.command()
@click.argument("dirs", nargs=-1, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--debug", is_flag=True)
@guard
def lint(dirs: tuple[Path, ...], debug: bool) -> None:
    """Report every problem of every pattern file: schema, YAML, id, RE2 dialect, groups, refs,
    duplicate ids, examples and their sources, placeholders, unused or repeated edges.

    With DIRS, the problems of the files in DIRS, their refs resolved against the built-in library
    as `rca analyze --patterns DIRS` loads it; without, the built-in library's.
    """
    from rca.library.loader import lint_dirs

    problems = lint_dirs(list(dirs))
    if dirs:
        wanted = [d.resolve() for d in dirs]
        problems = [p for p in problems if any(Path(p.path).resolve().is_relative_to(d) for d in wanted)]
    for problem in problems:
        click.echo(str(problem))
    blocking = sum(p.blocking for p in problems)
    click.echo(f"{len(problems)} problems, {blocking} of them blocking analysis", err=True)
    sys.exit(1 if problems else 0)


@patterns.command("test")
@click.argument("dirs", nargs=-1, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--debug", is_flag=True)
@guard
def test_(dirs: tuple[Path, ...], debug: bool) -> None:
    """Run every pattern's match / no_match examples and print the failures."""
    lib = _library(dirs, builtin=not dirs)
    failures = lib.test()
    for failure in failures:
        click.echo(str(failure))
    total = sum(len(p.examples_match) + len(p.examples_no_match) for p in lib.patterns)
    click.echo(f"{total - len(failures)} passed, {len(failures)} failed", err=True)
    sys.exit(1 if failures else 0)


@patterns.command()
@click.option(
    "--input", "inputs", multiple=True, required=True, metavar="PATH", help="Export file(s); - for stdin."
)
@click.option("--since", default=None, help="Window (30m, 1h, RFC 3339); default: the whole input.")
@click.option("--until", default=None, help="End of the window (RFC 3339).")
@click.option("--service", default=None, help="Only this service's entries (and those without one).")
@click.option("--top", default=3, show_default=True, help="How many drafts, most surprising signal first.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write one <id>.yaml per draft here (default: print them).",
)
@click.option("--debug", is_flag=True)
@guard
def suggest(
    inputs: tuple[str, ...],
    since: str | None,
    until: str | None,
    service: str | None,
    top: int,
    out_dir: Path | None,
    debug: bool,
) -> None:
    """Draft patterns for the top unexplained signals of an incident, ready to review and lint."""
    from rca import api
    from rca.mining.suggest import to_yaml

    drafts = api.suggest_patterns(list(inputs), since=since, until=until, service=service, top=top)
    if not drafts:
        click.echo("rca: no unexplained error signal in the window; nothing to suggest", err=True)
        return
    for draft in drafts:
        text = to_yaml(draft)
        if out_dir is None:
            click.echo(f"# --- {draft['id']}.yaml\n{text}")
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{draft['id']}.yaml").write_text(text, encoding="utf-8")
        click.echo(f"rca: wrote {out_dir / (draft['id'] + '.yaml')}", err=True)
