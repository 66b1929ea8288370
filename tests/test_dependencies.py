"""Declared dependencies are exactly the third-party modules rca imports: none missing (rca would
break where a transitive dependency is absent), none unused (an install pulls nothing it needs not).

A module imported only where an optional feature needs it (imported lazily, e.g. BigQuery) is declared
in an extra of [project.optional-dependencies] instead; the `test` extra is for the suite, not rca.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parent.parent

# Distribution name -> the module rca imports from it, where the rule in `module_of` does not give it.
IMPORT_NAMES = {"pyyaml": "yaml", "google-re2": "re2", "scikit-learn": "sklearn"}


def module_of(spec: str) -> str:
    """The module a requirement provides: `google-cloud-logging>=3` -> `google.cloud.logging`,
    `google-api-core` -> `google.api_core`, `jinja2` -> `jinja2`."""
    name = re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].lower()
    if name in IMPORT_NAMES:
        return IMPORT_NAMES[name]
    for prefix in ("google-cloud-", "google-"):
        if name.startswith(prefix):
            return prefix.replace("-", ".") + name[len(prefix):].replace("-", "_")
    return name.replace("-", "_")


def project() -> dict:  # type: ignore[type-arg]
    """The [project] table of pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def required() -> set[str]:
    """Modules of the [project] dependencies."""
    return {module_of(spec) for spec in project()["dependencies"]}


def optional() -> set[str]:
    """Modules of the optional extras rca itself uses (every extra but `test`)."""
    extras = project().get("optional-dependencies", {})
    return {module_of(spec) for name, specs in extras.items() if name != "test" for spec in specs}


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
    """Every imported third-party module is declared (required or in an extra), and every declared
    one is imported."""
    declared = required() | optional()
    assert (sorted(imported() - declared), sorted(declared - imported())) == ([], [])


def test_distribution_names_map_to_modules() -> None:
    """The name rule covers Google's namespaced distributions and the listed exceptions."""
    specs = ["google-cloud-bigquery>=3.20", "google-api-core>=2", "PyYAML", "scikit-learn", "jinja2"]
    assert [module_of(s) for s in specs] == ["google.cloud.bigquery", "google.api_core", "yaml", "sklearn",
                                             "jinja2"]
