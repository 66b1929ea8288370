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


# A lower level the line itself states at its start, under a severity of ERROR or above: GKE's
# agent writes every stderr line at ERROR (gunicorn's `[2025-01-01 10:00:00 +0000] [1] [INFO]
# Booting worker`, uvicorn's `INFO:     Uvicorn running`), and Cloud SQL's MySQL error log gives
# its notes ERROR (`2026-09-08T15:49:27Z 1357563 [Note] Aborted connection ...`). RE2; group 1 is
# the word: bracketed after at most four leading words (a time, a thread or process id), bare at
# the very start before a colon, after the time in Celery's `[<time>: INFO/MainProcess]`
# (celery/app/defaults.py, worker_log_format), or after the date Go's log package writes first,
# as grpc-go's logger prints its level (`2021/07/19 10:27:37 WARNING: [core] ...`, grpclog); group 2
# is the word of a logfmt line's `level=` key among its first fields, as logrus's TextFormatter
# (`time="2024-08-20T10:00:02Z" level=info msg="batch committed"`) and Go's slog TextHandler
# (`time=2023-10-26T10:00:00.000Z level=INFO msg=...`) write it; group 3 is the syslog level number
# librdkafka's default logger writes first (src/rdkafka.c rd_kafka_log_print, `%%%i|%u.%03u|%s|%s|
# %s`): `%6|1720505261.000|FAIL|rdkafka#producer-1| ... Disconnected` is an idle connection closed,
# told at 6 (info), the level of most of what confluent-kafka clients print on stderr; group 4 is
# the word after a leading ISO date and time, as Python's logging with `%(asctime)s %(levelname)s
# %(name)s: %(message)s` (`2024-07-09 06:03:12,000 WARNING py.warnings: ...`) and Spring Boot's
# console pattern (`2026-10-07T14:00:43.418Z  WARN 1 --- [main] ...`) write it.
_LEVEL_WORDS = "(?i:(note|notice|info|information|system|warn|warning|debug|trace))"
TEXT_LEVEL_RE2: Final = (
    r"^(?:(?:(?:\S+ +){0,4}\[|\[[^\]]{1,40}: |\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? )?"
    + _LEVEL_WORDS + r"(?:[\]:]|/\w)"
    + r"|(?:\S+ +){0,3}level=\"?" + _LEVEL_WORDS + r"(?:[\" ]|$)"
    + r"|%([4-7])\|[0-9]+\.[0-9]{3}\|[A-Z_]+\|"
    + r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? +" + _LEVEL_WORDS + r" )"
)
TEXT_LEVELS: Final[Mapping[str, str]] = MappingProxyType({
    "NOTE": "NOTICE", "NOTICE": "NOTICE", "INFO": "INFO", "INFORMATION": "INFO", "SYSTEM": "INFO",
    "WARN": "WARNING", "WARNING": "WARNING", "DEBUG": "DEBUG", "TRACE": "DEBUG",
    "4": "WARNING", "5": "NOTICE", "6": "INFO", "7": "DEBUG",  # syslog's numbers (librdkafka's)
})
"""A level word of `TEXT_LEVEL_RE2` (upper case) -> the severity it states."""


def text_level_cases() -> str:
    """SQL `WHEN 'NOTE' THEN 'NOTICE' ...` arms of a CASE over an upper-cased `TEXT_LEVEL_RE2` word."""
    return " ".join(f"WHEN '{word}' THEN '{name}'" for word, name in TEXT_LEVELS.items())


def severity_cases() -> str:
    """SQL `WHEN 'ERROR' THEN 500 ...` arms of a CASE over a severity name, one per level."""
    return " ".join(f"WHEN '{name}' THEN {n}" for name, n in SEVERITY_NUM.items())
