"""Template filling: fields first, then context; optional segments; visible gaps."""

from __future__ import annotations

import pytest

from rca.library.templating import fill


@pytest.mark.parametrize(("template", "fields", "context", "expected"), [
    ("at {host}", {"host": ("10.0.0.7",)}, {"host": "ignored"}, "at 10.0.0.7"),  # finding first
    ("in {location}", {}, {"location": "us-central1"}, "in us-central1"),  # then context
    ("describe {connector}", {}, {}, "describe <connector>"),  # gap stays visible
    ("Redis[[ at {host}:{port}]]", {"host": ("h",)}, {}, "Redis"),  # optional: all or nothing
    ("Redis[[ at {host}:{port}]]", {"host": ("h",), "port": ("6379",)}, {}, "Redis at h:6379"),
    ("[[({a})]][[ ({b})]]", {"b": ("2",)}, {}, " (2)"),  # segments are independent
])
def test_fill(
    template: str, fields: dict[str, tuple[str, ...]], context: dict[str, str], expected: str
) -> None:
    """Each row pins one rule of template filling."""
    assert fill(template, fields, context) == expected
