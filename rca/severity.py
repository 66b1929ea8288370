"""Cloud Logging's LogEntry severities and their numbers: the one table every reader and store uses.

A log entry's severity is a name (`ERROR`) in exports and a number (500) in Log Analytics and in the
`entries.severity_num` column that the matcher and the verdict compare. A pattern's own severity
(info .. critical) is another thing: `rca.model.Severity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

SEVERITY_NUM: Final[Mapping[str, int]] = MappingProxyType({
    "DEFAULT": 0,
    "DEBUG": 100,
    "INFO": 200,
    "NOTICE": 300,
    "WARNING": 400,
    "ERROR": 500,
    "CRITICAL": 600,
    "ALERT": 700,
    "EMERGENCY": 800,
})
"""LogEntry severity name -> its number (cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry)."""

SEVERITY_NAME: Final[Mapping[int, str]] = MappingProxyType({n: name for name, n in SEVERITY_NUM.items()})
"""A severity number -> its name; a number between two levels has none (read it as DEFAULT)."""


def severity_cases() -> str:
    """SQL `WHEN 'ERROR' THEN 500 ...` arms of a CASE over a severity name, one per level."""
    return " ".join(f"WHEN '{name}' THEN {n}" for name, n in SEVERITY_NUM.items())
