"""The shared value types: every enum the pattern schema names is defined once, in rca/model.py.

The schema (patterns/schema.json) is what a pattern author reads and what `rca patterns lint`
checks; the enums are what the code compares. A value added to one and not the other would
either reject a valid pattern or crash the loader on a schema-valid one.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest

from rca.library.loader import builtin_dir
from rca.model import Category, Layer, Role, Severity
from rca.severity import SEVERITY_NAME, SEVERITY_NUM


def _schema() -> dict[str, Any]:
    """The built-in pattern schema, as shipped."""
    return dict(json.loads((builtin_dir() / "schema.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("category", Category),  # the report contract's root-cause categories
        ("layer", Layer),  # where the failure lives; the chain ranks platform and deploy first
        ("severity", Severity),  # a pattern's severity; error and critical ones can mark the onset
        ("role", Role),  # cause, symptom or context in the chain
    ],
)
def test_schema_enum_is_the_model_enum(field: str, values: type[enum.Enum]) -> None:
    """The schema allows exactly the values of the model's enum, in the same order."""
    assert [v.value for v in values] == _schema()["properties"][field]["enum"]


def test_min_severity_names_are_the_severity_table() -> None:
    """A pattern's `match.min_severity` may name exactly the LogEntry severities the store numbers."""
    allowed = _schema()["properties"]["match"]["properties"]["min_severity"]["enum"]
    assert allowed == list(SEVERITY_NUM)


def test_severity_names_and_numbers_are_one_table() -> None:
    """Reading a number back gives the name it came from, for every level (Log Analytics rows)."""
    assert {name: SEVERITY_NAME[n] for name, n in SEVERITY_NUM.items()} == {n: n for n in SEVERITY_NUM}
