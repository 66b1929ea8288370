"""The one exception family of rca, caught once by the CLI.

    RcaError                      base; .exit_code says how the CLI ends
    ├── UsageError                bad flags or values (exit 2)
    ├── InputError                unreadable or unrecognised input; names file and line (exit 2)
    ├── PatternError              a pattern file is invalid; names file, field, value (exit 2)
    ├── NoEntriesError            the input had no entries in the window (exit 1)
    ├── SourceError               Cloud Logging failed: credentials, permission, unreachable (exit 3)
    └── IncompleteDataError       --strict and the analysis ran on incomplete data (exit 4)

Library code raises these and never calls sys.exit; lower-level errors are translated
at the boundary with ``raise XError(...) from exc`` so the cause stays visible in --debug.
"""

from __future__ import annotations


class RcaError(Exception):
    """Base of every error rca reports to a user."""

    exit_code = 2


class UsageError(RcaError):
    """A flag or value the user gave cannot be used."""

    exit_code = 2


class InputError(RcaError):
    """An input file cannot be read or is not a log export."""

    exit_code = 2

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class PatternError(RcaError):
    """A pattern file is invalid."""

    exit_code = 2

    def __init__(self, path: str, message: str, field: str | None = None) -> None:
        self.path = path
        self.field = field
        where = f"{path}: {field}" if field else path
        super().__init__(f"{where}: {message}")


class NoEntriesError(RcaError):
    """Analysis ran but found nothing to analyse in the window."""

    exit_code = 1


class SourceError(RcaError):
    """Cloud Logging could not be read."""

    exit_code = 3


class IncompleteDataError(RcaError):
    """``--strict``: the analysis ran, but part of the window could not be read."""

    exit_code = 4
