"""The notebooks in notebooks/ run from a clean kernel without errors, and are committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIMEOUT_S = 300


def test_there_are_notebooks() -> None:
    """Both walkthroughs exist (a rename would otherwise skip them silently)."""
    assert {p.name for p in NOTEBOOKS} >= {"incident_exploration.ipynb", "pattern_authoring.ipynb"}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_from_a_clean_kernel(path: Path) -> None:
    """Every cell executes in a fresh python3 kernel started at the repository root; any error fails."""
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(book, timeout=TIMEOUT_S, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    """Notebooks are stored stripped: no outputs and no execution counts, so diffs show only code."""
    book = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
