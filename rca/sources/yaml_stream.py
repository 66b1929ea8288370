"""`gcloud logging read`'s default output: LogEntries as a stream of YAML documents.

Without `--format=json`, gcloud prints each entry as one YAML document, `---` between them, keys
in camelCase as the API spells them (times quoted, multi-line payloads as `|-` blocks). Engineers
paste or save exactly that, so it is read here rather than as lines of text (where every key would
be a "line" and the entries' times, levels and requests would be lost).

Each document is parsed on its own: one that does not parse, or is no LogEntry, is reported by the
line it starts on and the others still load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import yaml

from rca.library.knowledge import SafeLoader
from rca.sources.problems import Problems
from rca.timeutil import rfc3339

# A LogEntry's own top-level keys, as gcloud prints them (camelCase, at the start of a line).
_ENTRY_KEY = re.compile(
    r"^(?:insertId|logName|receiveTimestamp|timestamp|resource|severity|textPayload|jsonPayload"
    r"|protoPayload|httpRequest|labels|trace|spanId|sourceLocation|operation):(?: |$)",
    re.M,
)
_SEPARATOR = "---"


# The command a paste shows above gcloud's output: a prompt line (`$ gcloud logging read '...' \`)
# and the lines it continues onto, each after one that ends in a backslash.
_PROMPT = re.compile(r"^(?:[\w.@:~/-]*\$|>|#) \S")


def _command_lines(lines: list[str]) -> int:
    """How many of ``lines`` open the paste with the shell command that printed the rest (0: none)."""
    count, going_on = 0, False
    for line in lines:
        text = line.rstrip("\r\n")
        if not (going_on or _PROMPT.match(text)):
            break
        count, going_on = count + 1, text.endswith("\\")
    return count


def looks_like_yaml_entries(head: str) -> bool:
    """Whether a file's head is gcloud's YAML: a document separator or a LogEntry key at the very
    start (after the shell command a paste shows above it), and at least three LogEntry keys of
    different names at the start of lines."""
    lines = head.lstrip().split("\n")
    first = "\n".join(lines[_command_lines(lines):]).lstrip().split("\n", 1)[0].rstrip()
    if first != _SEPARATOR and not _ENTRY_KEY.match(first):
        return False
    return len({m.group(0).split(":", 1)[0] for m in _ENTRY_KEY.finditer(head)}) >= 3


def _documents(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each document between `---` separators; a shell command the
    paste opens with is no document."""
    start, body = 1, list[str]()
    going_on, opening = False, True
    for number, line in enumerate(lines, start=1):
        if opening and (going_on or _PROMPT.match(line)):
            going_on = line.rstrip("\r\n").endswith("\\")
            start = number + 1
            continue
        opening = False
        if line.rstrip("\r\n") == _SEPARATOR:
            if any(part.strip() for part in body):
                yield start, "".join(body)
            start, body = number + 1, list[str]()
        else:
            body.append(line)
    if any(part.strip() for part in body):
        yield start, "".join(body)


def _plain(value: Any) -> Any:
    """YAML's own types as JSON's: an unquoted time or date becomes its RFC 3339 text."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_yaml_entries(lines: Iterable[str], shown: str, problems: Problems) -> Iterator[dict[str, Any]]:
    """The canonical entries of a YAML stream; documents that are not readable LogEntries are
    reported by the line they start on."""
    from rca.sources.files import canonical_or_problem, is_log_entry

    for start, text in _documents(lines):
        try:
            doc = yaml.load(text, Loader=SafeLoader)  # a safe loader: plain data only
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = start + mark.line if mark is not None else start
            problems.add(shown, line, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
            continue
        if not is_log_entry(doc):
            problems.add(shown, start, "a YAML document that is not a LogEntry (no logName, or no timestamp)")
            continue
        entry = canonical_or_problem(_plain(doc), shown, start, problems)
        if entry is not None:
            yield entry
