"""An independent corpus of constructed Cloud Run and GKE incidents with expected answers.

Each runtime module (python_run, node_run, go_run, java_run) defines functions returning
``(entries, expected)``; ``all_cases()`` collects them. The expected answers come from what
happened in each construction, never from what rca answers (see docs/accuracy.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Case = Callable[[], tuple[list[dict[str, Any]], dict[str, Any]]]


def all_cases() -> dict[str, Case]:
    """Every incident and quiet window of the corpus, by name."""
    from tests.incidents import go_run, java_run, node_run, python_run

    cases: dict[str, Case] = {}
    for module in (python_run, node_run, go_run, java_run):
        cases.update(module.CASES)
    return cases
