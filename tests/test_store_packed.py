"""A big input is staged in a compressed DuckDB database file (`Store.packed`) instead of memory:
the same analysis, byte for byte, either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rca.cli.main import main
from rca.engine import store

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SAMPLES = [
    ("netra-backend-staging", "netra-backend-staging-2025-09-15.json"),
    ("orders-worker", "orders-worker-2025-08-21.log"),
    ("image-resizer", "image-resizer-2025-11-04.json"),
]


def _report(service: str, name: str, fmt: str) -> str:
    result = CliRunner().invoke(main, ["analyze", "--service", service, "--input", str(EXAMPLES / name),
                                       "--format", fmt])
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.mark.parametrize(("service", "name"), SAMPLES)
def test_a_packed_store_gives_the_report_an_in_memory_one_gives(
        monkeypatch: pytest.MonkeyPatch, service: str, name: str) -> None:
    """Every input counts as big (`PACK_ABOVE_BYTES` 0): the rows go through the database file,
    compressed at each file's checkpoint, and the JSON and Markdown reports are the same bytes."""
    in_memory = [_report(service, name, fmt) for fmt in ("json", "markdown")]
    monkeypatch.setattr(store, "PACK_ABOVE_BYTES", 0)
    packed = [_report(service, name, fmt) for fmt in ("json", "markdown")]
    assert packed == in_memory


def test_only_an_input_over_the_threshold_is_packed() -> None:
    """The choice is the inputs' size against `PACK_ABOVE_BYTES`: a sample stays in memory."""
    small, big = store.Store(1000), store.Store(store.PACK_ABOVE_BYTES + 1)
    try:
        databases = [s.con.execute("SELECT current_database()").fetchone() for s in (small, big)]
        assert (small.packed, big.packed, databases) == (False, True, [("memory",), ("packed",)])
    finally:
        small.close()
        big.close()
