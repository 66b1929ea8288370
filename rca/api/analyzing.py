"""Analysis and drafting over a `Loaded` store: what `rca analyze` and `rca patterns suggest` run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rca.api.loading import Loaded, build_events, load, load_frame

if TYPE_CHECKING:
    import pandas as pd

    from rca.api.exploration import Analysis


def analyze(
    inputs: Sequence[str | Path] | str | Path | Loaded | pd.DataFrame,
    *,
    since: str | None = None,
    until: str | None = None,
    service: str | None = None,
    patterns: Sequence[str | Path] = (),
    ignore: Sequence[str] = (),
) -> Analysis:
    """Load (unless given a `Loaded` or an entries DataFrame), match the library, build the causal chain.

    Returns an `rca.api.exploration.Analysis`: the CLI renders its ``.result``, notebooks explore the
    rest (findings, timeline, evidence) from the same run.
    """
    from rca.api.exploration import Analysis
    from rca.api.following import follow
    from rca.library.loader import load_library
    from rca.reasoning.analysis import AnalysisInput, run

    library = load_library([Path(p) for p in patterns], ignore)
    loaded = _as_loaded(inputs, since, until, service)
    given = AnalysisInput(loaded.window(), loaded.service, loaded.load_stats(build_events(loaded)))
    result = follow(run(loaded.store.con, library.patterns, given), loaded, library)
    return Analysis(result, loaded, library)


def _as_loaded(
    inputs: Sequence[str | Path] | str | Path | Loaded | pd.DataFrame,
    since: str | None,
    until: str | None,
    service: str | None,
) -> Loaded:
    """Whatever `analyze` was given, as a `Loaded` store."""
    if isinstance(inputs, Loaded):
        return inputs
    if isinstance(inputs, (str, Path)):
        return load([inputs], since=since, until=until, service=service)
    if hasattr(inputs, "columns") and hasattr(inputs, "attrs"):
        return load_frame(cast("pd.DataFrame", inputs), since=since, until=until, service=service)
    return load(inputs, since=since, until=until, service=service)


def suggest_patterns(
    inputs: Sequence[str | Path],
    *,
    since: str | None = None,
    until: str | None = None,
    service: str | None = None,
    top: int = 3,
) -> list[dict[str, Any]]:
    """Draft pattern dicts for the top unexplained signals (see `rca patterns suggest`)."""
    from rca.mining.suggest import draft_pattern

    loaded = load(inputs, since=since, until=until, service=service)
    outcome = analyze(loaded)
    result = getattr(outcome, "result", outcome)
    signals = list(result.signals)[:top]
    rows = loaded.store.con.execute(
        "SELECT message FROM events WHERE in_window ORDER BY event_id LIMIT 2000"
    ).fetchall()
    others = [str(m).split("\n", 1)[0] for (m,) in rows]
    drafts = []
    for signal in signals:
        outside = [m for m in others if m not in signal.members]
        drafts.append(draft_pattern(signal.template, list(signal.members), outside, count=signal.count,
                                    source=_source_url(inputs)))
    return _with_drafted_causes(loaded, drafts)


def _with_drafted_causes(loaded: Loaded, drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each draft with `causes` edges to the symptoms it co-occurs with: the same data analysed
    again with the drafts in the library, so the chain's own co-location measures decide."""
    import tempfile

    from rca.mining.suggest import to_yaml, with_causes
    from rca.reasoning.analysis import co_occurring_symptoms

    if not drafts:
        return drafts
    with tempfile.TemporaryDirectory(prefix="rca-drafts-") as folder:
        for draft in drafts:
            (Path(folder) / f"{draft['id']}.yaml").write_text(to_yaml(draft), encoding="utf-8")
        outcome = analyze(loaded, patterns=[folder])
    patterns = outcome.library.patterns
    return [with_causes(d, co_occurring_symptoms(outcome.result, patterns, d["id"])) for d in drafts]


def _source_url(inputs: Sequence[str | Path]) -> str:
    """Where drafted examples were read: the first input file, as a file: URL (stdin has none)."""
    first = str(inputs[0]) if inputs else "-"
    return "file://stdin" if first == "-" else Path(first).resolve().as_uri()
