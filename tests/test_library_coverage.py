"""docs/library-coverage.md is generated from the library and kept current."""

from __future__ import annotations

from pathlib import Path

from rca.library.coverage import coverage_markdown
from rca.library.loader import load_library

DOC = Path(__file__).resolve().parent.parent / "docs" / "library-coverage.md"


def test_coverage_doc_is_current() -> None:
    """The committed table equals what the library generates (run scripts/library_coverage.py)."""
    assert DOC.read_text(encoding="utf-8") == coverage_markdown(load_library().patterns)


def test_every_runtime_has_its_common_failure_classes() -> None:
    """Python, Node, Go and Java each have network, memory, broken-build and app-exception patterns."""
    patterns = load_library().patterns
    wanted = {"network-connectivity", "memory-limit-exceeded", "broken-build", "application-exception"}
    # Go is compiled: a missing package fails the build, not the service; its one run-time build
    # failure, a binary for the wrong CPU, is the kernel's `exec format error` (runtime: any).
    exempt = {"go": {"broken-build"}}
    missing = {
        rt: sorted(wanted - exempt.get(rt, set()) - {p.category.value for p in patterns if rt in p.runtimes})
        for rt in ("python", "node", "go", "java")
    }
    assert {rt: m for rt, m in missing.items() if m} == {}
