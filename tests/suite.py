"""How a corpus-wide test splits between the fast default suite and the full one (``--run-slow``).

A test parametrised over every sample or constructed incident keeps a few named cases in the fast
suite, so a default run still exercises the whole path, and marks the rest ``slow``: CI runs them
all (tests/conftest.py explains the marker).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import pytest

SLOW = pytest.mark.slow


def split(names: Iterable[str], fast: Collection[str], **marks: Any) -> list[Any]:
    """``names`` as parameters: those in ``fast`` run by default, the others only with --run-slow.

    ``marks`` maps a name to extra marks (e.g. a strict xfail), kept in both suites. A name in
    ``fast`` that is not in ``names`` is an error, so the fast suite cannot silently shrink.
    """
    names = list(names)
    missing = set(fast) - set(names)
    if missing:
        raise ValueError(f"fast cases not in the corpus: {sorted(missing)}")
    params = []
    for name in names:
        extra = marks.get(name, ())
        extra = list(extra) if isinstance(extra, (list, tuple)) else [extra]
        params.append(pytest.param(name, marks=extra if name in fast else [*extra, SLOW], id=name))
    return params
