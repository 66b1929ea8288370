"""rca: find why a Google Cloud service broke by mining its logs.

The Python API (docs/python-api.md) for notebooks and scripts::

    import rca
    entries = rca.load("export.json", since="1h", service="my-service")   # pandas DataFrame
    analysis = rca.analyze(entries)                                       # rca.api.exploration.Analysis
    analysis.findings, analysis.timeline("1min"), analysis.evidence("some-pattern-id")

Heavy modules (pandas, DuckDB) are imported inside the functions, so ``import rca`` and the CLI
start fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

from rca.defaults import MAX_ENTRIES

if TYPE_CHECKING:
    import pandas as pd

    from rca.api.exploration import Analysis
    from rca.api.loading import Loaded

__version__ = "0.1.0"

Inputs = Union[str, Path, Sequence[Union[str, Path]]]  # noqa: UP007 (a runtime alias on Python 3.10)
"""One export path or several (files, ``-`` for stdin, ``.gz`` fine)."""


def _paths(inputs: Inputs) -> list[str | Path]:
    """A path or a sequence of paths, as a list."""
    return [inputs] if isinstance(inputs, (str, Path)) else list(inputs)


def load(inputs: Inputs, since: str | None = None, until: str | None = None,
         service: str | None = None) -> pd.DataFrame:
    """Read export files into one normalised DataFrame: one row per entry (docs/architecture.md columns).

    With ``since``, the window counts back from the newest entry (or from ``until``) and an equal
    baseline before it is kept too; ``in_window`` tells them apart. ``raw`` holds each entry's
    canonical JSON, so the frame, or any row subset of it, can be passed to `analyze`.
    """
    from rca import api

    return api.entries_frame(api.load(_paths(inputs), since=since, until=until, service=service))


def fetch(service: str, since: str, until: str | None = None, project: str | None = None,
          max_entries: int = MAX_ENTRIES, refresh: bool = False) -> pd.DataFrame:
    """Fetch a service's window (and an equal baseline) from Cloud Logging, as `load` returns files.

    Uses Application Default Credentials and the local cache (``refresh=True`` bypasses it).
    """
    from rca import api

    loaded = api.load_live(service=service, since=since, until=until, project=project,
                           max_entries=max_entries, refresh=refresh)
    return api.entries_frame(loaded)


def analyze(data: Inputs | pd.DataFrame | Loaded | None = None, since: str | None = None,
            until: str | None = None, service: str | None = None, patterns: Sequence[str | Path] = (),
            ignore: Sequence[str] = (), *, log_analytics: str | None = None, bigquery: str | None = None,
            billing_project: str | None = None, location: str | None = None,
            max_bytes_billed: int | str | None = None, confirm_above: int | str | None = None,
            yes: bool = False) -> Analysis:
    """Run the analysis `rca analyze` runs, on paths, an entries DataFrame from `load`/`fetch`, or a `Loaded`.

    For a DataFrame, the window and service default to the ones it was loaded with. ``patterns``
    adds pattern pack directories (overriding built-ins by id); ``ignore`` mutes pattern ids.

    Instead of ``data``, ``log_analytics="PROJECT.LINKED_DATASET"`` (or ``"PROJECT/LOCATION/BUCKET"``)
    or ``bigquery="PROJECT.DATASET[.TABLE]"`` reads the window (``since`` is then required) from
    BigQuery, after a free dry run, refusing above ``max_bytes_billed`` (default 20 GiB) and above
    ``confirm_above`` unless ``yes=True`` (docs/scale-out.md). Needs ``pip install 'rca[bigquery]'``.
    """
    from rca import api

    if log_analytics or bigquery:
        from rca.errors import UsageError

        if data is not None:
            raise UsageError("give data or a BigQuery source (log_analytics= / bigquery=), not both")
        if not since:
            raise UsageError("since= is required with log_analytics= or bigquery=")
        options = api.BigQueryOptions(log_analytics=log_analytics, bigquery=bigquery,
                                      billing_project=billing_project, location=location,
                                      max_bytes_billed=max_bytes_billed, confirm_above=confirm_above, yes=yes,
                                      patterns=tuple(patterns))
        loaded = api.load_bigquery(options, service=service, since=since, until=until)
        return api.analyze(loaded, patterns=patterns, ignore=ignore)
    if data is None:
        from rca.errors import UsageError

        raise UsageError("nothing to analyze: give paths, a DataFrame, or log_analytics= / bigquery=")
    source: Any = data if hasattr(data, "columns") or isinstance(data, api.Loaded) else _paths(data)
    return api.analyze(source, since=since, until=until, service=service, patterns=patterns, ignore=ignore)


def patterns(extra_dirs: Sequence[str | Path] = ()) -> pd.DataFrame:
    """The pattern library (built-ins, then ``extra_dirs`` overriding by id) as a DataFrame, one row each."""
    import pandas as pd

    from rca.library.loader import load_library

    rows = [
        {"id": p.id, "area": p.area, "title": p.title, "category": p.category.value, "layer": p.layer.value,
         "role": p.role.value, "severity": p.severity.value, "generic": p.generic, "causes": list(p.causes),
         "caused_by": list(p.caused_by), "kind": p.kind, "frames": p.frames, "persistent": p.persistent,
         "refuses_requests": p.refuses_requests, "runtime": list(p.runtimes), "surface": list(p.surfaces),
         "path": p.path}
        for p in load_library([Path(d) for d in extra_dirs]).patterns
    ]
    columns = ["id", "area", "title", "category", "layer", "role", "severity", "generic", "causes",
               "caused_by", "kind", "frames", "persistent", "refuses_requests", "runtime", "surface", "path"]
    return cast("pd.DataFrame", pd.DataFrame(rows, columns=columns))


def try_pattern(entries: Inputs | pd.DataFrame, draft: str | Mapping[str, Any]) -> pd.DataFrame:
    """Run a draft pattern (YAML text or dict, validated like a file) over entries; return what it matches.

    ``entries`` is a DataFrame from `load` (any row subset) or export paths. Matching is the
    engine's: over re-joined events, with the draft's log_id/severity/status filters and absence
    logic. One row per matched event, the extracted fields as extra columns. Raises
    `rca.errors.PatternError` naming the field when the draft is invalid (e.g. a non-RE2 regex).
    """
    import pandas as pd

    from rca import api
    from rca.engine.match import match_events
    from rca.library.loader import load_pattern_text

    pattern = load_pattern_text(draft)
    loaded = api.load_frame(entries) if isinstance(entries, pd.DataFrame) else api.load(_paths(entries))
    api.build_events(loaded)
    hits = match_events(loaded.store.con, [pattern])
    base = ["event_id", "ts", "in_window", "severity", "log_id", "revision", "instance_id", "insert_id",
            "n_members", "message"]
    frame = loaded.store.con.execute(
        f"SELECT {', '.join(base)} FROM events WHERE event_id IN (SELECT unnest(?::BIGINT[])) "
        "ORDER BY event_id",
        [[h.event_id for h in hits]],
    ).df()
    frame["ts"] = frame["ts"].dt.tz_localize("UTC")
    fields = pd.DataFrame([{"event_id": h.event_id} | h.fields for h in hits],
                          columns=["event_id", *pattern.extract])
    return cast("pd.DataFrame", frame.merge(fields, on="event_id", how="left", suffixes=("", "_field")))


__all__ = ["__version__", "analyze", "fetch", "load", "patterns", "try_pattern"]
