"""The package layout draws the data flow: imports point one way, checked by import-linter."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_imports_point_down_the_data_flow() -> None:
    """The layers contract in pyproject.toml holds: no module imports from a layer above it."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(no_cache=True) == 0
    finally:
        os.chdir(cwd)
