"""Write docs/library-coverage.md from the pattern library (runtime/surface x category counts)."""

from __future__ import annotations

from pathlib import Path

from rca.library.coverage import coverage_markdown
from rca.library.loader import load_library

OUT = Path(__file__).resolve().parent.parent / "docs" / "library-coverage.md"


def main() -> None:
    """Regenerate the coverage table."""
    OUT.write_text(coverage_markdown(load_library().patterns), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
