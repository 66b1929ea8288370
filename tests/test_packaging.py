"""The wheel carries everything an installed rca reads at run time (found missing once: normalize.sql)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_sql_patterns_schema_and_templates(tmp_path: Path) -> None:
    """A built wheel holds the normaliser SQL, every pattern, the schema and the report templates."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
         str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("rca-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "rca/engine/normalize.sql" in names
    assert "rca/_data/patterns/schema.json" in names
    assert "rca/py.typed" in names
    patterns = {p.relative_to(ROOT).as_posix() for p in (ROOT / "patterns").rglob("*.yaml")}
    assert {f"rca/_data/{p}" for p in patterns} <= names
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "reports").glob("*.j2")}
    assert templates and {f"rca/_data/{t}" for t in templates} <= names
