"""Declared dependencies are exactly the third-party modules rca imports: none missing (rca would
break where a transitive dependency is absent), none unused (an install pulls nothing it needs not)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parent.parent

# Distribution name -> the module rca imports from it, where the two differ beyond case and -/_.
IMPORT_NAMES = {
    "google-cloud-logging": "google.cloud.logging",
    "google-auth": "google.auth",
    "google-api-core": "google.api_core",
    "pyyaml": "yaml",
    "google-re2": "re2",
    "scikit-learn": "sklearn",
}


def declared() -> set[str]:
    """Import names of pyproject's [project] dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}
    return {IMPORT_NAMES.get(name, name.replace("-", "_")) for name in names}


def _module(name: str) -> str:
    """The distribution-level module of a dotted import: `google.cloud.logging`, `google.auth`, `yaml`."""
    parts = name.split(".")
    depth = 3 if parts[:2] == ["google", "cloud"] else 2 if parts[0] == "google" else 1
    return ".".join(parts[:depth])


def imported() -> set[str]:
    """Third-party modules imported anywhere under rca/ (absolute imports, stdlib and rca excluded)."""
    found: set[str] = set()
    for path in (ROOT / "rca").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            found |= {_module(n) for n in names if n.split(".")[0] not in sys.stdlib_module_names | {"rca"}}
    return found


def test_declared_dependencies_are_exactly_the_imported_ones() -> None:
    """Every imported third-party module is declared, and every declared one is imported."""
    assert (sorted(imported() - declared()), sorted(declared() - imported())) == ([], [])
