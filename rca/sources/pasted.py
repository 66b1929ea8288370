"""LogEntry objects pasted rather than exported: pretty-printed back to back, or under summary lines.

Two shapes people hand over when they copy log entries by hand instead of running an export:

* **Back-to-back objects** (`}` then `{`, no enclosing array): `jq . entries.json`, or several
  entries copied one after another from the Logs Explorer's expanded view.
* **A Logs Explorer copy**: each entry's *summary line* (the one line the Logs Explorer shows per
  entry: time, severity, summary fields and message, see the `SummaryField` of
  https://cloud.google.com/logging/docs/reference/v2/rest/v2/LoggingQuery) followed by the entry's
  JSON once expanded. Entries left collapsed leave only their summary line, which is read as a
  text log line so that nothing copied is lost. The Logs Explorer shows times in the viewer's
  time zone, by a name: one with a single offset (`CET`, `EDT`) the text reader maps itself
  (`text.ZONE_OFFSETS`); for the others (`IST`, `CST`) the summaries of expanded entries give
  the offset, and zone-less times of the collapsed ones are moved to UTC by it.

The legacy Logs Viewer's expanded entry prints its keys without quotes and its fields without
commas (`insertId: "1snm..."`, googleCloudRunner#71 pasted one); the keys are quoted and the
commas put back the same way.

Text copied from the expanded view shows nested objects that were not expanded as a count
(`"labels": {2}`) and may miss the comma after one; Google's own page on Fleet Engine log entries
shows both (https://developers.google.com/maps/documentation/mobility/operations/cloud-logging/log-structure).
Such an object is repaired, loaded with the collapsed fields empty, and reported as `collapsed`;
an object broken otherwise (a message whose quotes the viewer did not escape) is reported by the
line it starts on and the line of the fault, and the reading goes on with the next object; when
no object of the paste can be read, their lines are read as text, so the paste is not lost.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rca.sources.files import canonical_or_problem, is_log_entry, skip_value
from rca.sources.problems import ProblemKind, Problems
from rca.sources.text import parse_line, parse_timestamp, read_text_entries, severity_from_word

# An object opening at the start of a line: `{` alone (pretty-printed) or a one-line LogEntry.
_OBJECT_START = re.compile(r"^\{")
# Keys only a LogEntry has, of those every expanded entry shows.
_ENTRY_KEYS = "(?:logName|insertId|receiveTimestamp)"
# A LogEntry object somewhere in the head: `{` on its own line with an indented LogEntry key below
# it, or a one-line object naming one. A brace in ordinary text never starts a line like this.
_ENTRY_OBJECT = re.compile(
    rf'^\{{[ \t]*\r?\n(?:[ \t]+[^\n]*\n){{0,200}}?[ \t]+"{_ENTRY_KEYS}"[ \t]*:'
    rf'|^\{{[^\n]*"{_ENTRY_KEYS}"[ \t]*:'
    # the legacy Logs Viewer's expanded entry: keys unquoted, one per line, no commas
    rf'|^\{{[ \t]*\r?\n(?:[^\n]*\n){{0,200}}?[ \t]*{_ENTRY_KEYS}:[ \t]',
    re.M,
)
# An object's text naming a LogEntry key, quoted or bare (the legacy viewer's).
_ENTRY_KEY = re.compile(rf'"{_ENTRY_KEYS}"|^[ \t]*{_ENTRY_KEYS}:[ \t]', re.M)
# A key the legacy Logs Viewer printed without quotes (`insertId: "1snm..."`, `@type: "..."`).
_BARE_KEY = re.compile(r"^([ \t]*)([@A-Za-z_][\w.@/-]*):(?=[ \t])", re.M)
_COLLAPSED = re.compile(r"(:[ \t]*)(\{\d+\}|\[\d+\])(?=[ \t]*,?[ \t]*$)", re.M)
_MISSING_COMMA = re.compile(r'(?<=["\d\]}el])(?=[ \t]*\r?\n[ \t]*"[^"\n]*"[ \t]*:)')
_WORD = re.compile(r"[A-Za-z0-9_]{2,}")
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d| ?[A-Z]{2,5})?")
_SECONDS = re.compile(r"\d\d:\d\d:(?P<sec>\d\d)(?:[.,](?P<frac>\d+))?")
_QUARTER_HOUR = timedelta(minutes=15)
SUMMARY_OVERLAP = 0.6  # share of a line's words found in the next object for it to be its summary


def has_entry_objects(head: str) -> bool:
    """Whether the first KBs hold a LogEntry object starting a line (pasted, not exported)."""
    return _ENTRY_OBJECT.search(head) is not None


@dataclass
class _Object:
    """One object found in the text: where it starts and ends (lines), and what it held."""

    first: int  # 0-based index of the line it starts on
    last: int  # 0-based index of the line it ends on
    entry: dict[str, Any] | None


_UNCLOSED = _Object(-1, -1, None)
_KEY_WINDOW = 8192  # how far into a cut-off object its LogEntry keys are looked for
_MAX_UNCLOSED = 20


def read_pasted_entries(text: str, shown: str, problems: Problems) -> Iterator[dict[str, Any]]:
    """Entries of a paste, in line order: each LogEntry object once, every other line as text.

    A text line right before an object is dropped when it is that entry's summary (same second,
    or mostly the entry's own words): the object says all it says, and more.
    """
    lines = text.split("\n")
    objects = list(_objects(text, lines, _line_starts(lines), shown, problems))
    if not any(o.entry is not None for o in objects):
        objects = []  # no object could be read: their lines are the paste, read as text
    blank = {i for o in objects for i in range(o.first, o.last + 1)}
    offsets: Counter[timedelta] = Counter()
    for o in objects:
        summary = _previous_text_line(lines, o.first, blank)
        if summary is not None and o.entry is not None and _is_summary(lines[summary], o.entry):
            blank.add(summary)
            offsets.update(_display_offset(lines[summary], o.entry))
    rest = ["" if i in blank else line for i, line in enumerate(lines)]
    found = (o.entry for o in objects if o.entry is not None)
    texts = read_text_entries(rest, shown)
    if offsets:  # summaries of collapsed entries are shown in the viewer's zone, as their pairs tell
        offset = offsets.most_common(1)[0][0]
        texts = (_shifted(e, offset) for e in texts)
    yield from heapq.merge(found, texts, key=lambda e: int(e["_line"]))


def _display_offset(line: str, entry: dict[str, Any]) -> list[timedelta]:
    """The viewer's UTC offset, from a summary line's zone-less time and its entry's UTC time."""
    shown, actual = parse_line(line).stamp, parse_timestamp(entry.get("timestamp"))
    if shown is None or actual is None or not shown.naive:
        return []
    delta = _moment(shown.rfc3339) - _moment(actual.rfc3339)
    quarters = round(delta / _QUARTER_HOUR)
    return [quarters * _QUARTER_HOUR] if abs(quarters) <= 14 * 4 else []


def _shifted(entry: dict[str, Any], offset: timedelta) -> dict[str, Any]:
    """A text entry with a zone-less time moved from the viewer's zone to UTC."""
    stamp = entry.get("timestamp")
    if not entry.get("_naive_ts") or not isinstance(stamp, str):
        return entry
    moment = _moment(stamp) - offset
    fraction = stamp[19:].rstrip("Z")
    entry["timestamp"] = moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
    del entry["_naive_ts"]
    return entry


def _moment(rfc3339: str) -> datetime:
    """The whole seconds of a `...Z` time as a naive UTC datetime."""
    return datetime.strptime(rfc3339[:19], "%Y-%m-%dT%H:%M:%S")


def _line_starts(lines: list[str]) -> list[int]:
    """Offset of each line's first character in the joined text."""
    out, pos = [], 0
    for line in lines:
        out.append(pos)
        pos += len(line) + 1
    return out


def _objects(
    text: str, lines: list[str], starts: list[int], shown: str, problems: Problems
) -> Iterator[_Object]:
    """Every LogEntry object opening at a line start, decoded, repaired or reported.

    A `{` never closed is a cut-off paste when no object opens after it (reported as truncated);
    otherwise its line is text. After `_MAX_UNCLOSED` of them no more are tried: each try scans to
    the end of the text (quadratic on a log full of them), and their lines stay text.
    """
    openings = [i for i, line in enumerate(lines) if _OBJECT_START.match(line)]
    unclosed = 0
    resume = 0
    for n, i in enumerate(openings):
        if i < resume:
            continue
        found = _decode_at(text, lines, starts, i, shown, problems)
        if found is _UNCLOSED:
            unclosed += 1
            if n == len(openings) - 1 and _names_entry_keys(text[starts[i] : starts[i] + _KEY_WINDOW]):
                problems.add(
                    shown, i + 1, "JSON object is truncated (no closing })", kind=ProblemKind.TRUNCATED
                )
                yield _Object(i, len(lines) - 1, None)
            if unclosed >= _MAX_UNCLOSED:
                return
        elif found is not None:
            yield found
            resume = found.last + 1


def _decode_at(
    text: str, lines: list[str], starts: list[int], i: int, shown: str, problems: Problems
) -> _Object | None:
    """The object opening on line ``i``; None when it is no LogEntry (its lines stay text), and
    `_UNCLOSED` when the `{` is never closed."""
    pos = starts[i]
    end = skip_value(text, pos)
    if end is None:
        return _UNCLOSED
    chunk = text[pos:end]
    last = i + chunk.count("\n")
    obj, collapsed, error = _parse(chunk)
    if obj is None:
        if not _names_entry_keys(chunk):
            return None
        assert error is not None
        where = i + 1 + chunk.count("\n", 0, error.pos)
        problems.add(shown, i + 1, f"invalid JSON object (line {where}: {error.msg}); not read as an entry")
        return _Object(i, last, None)
    if not is_log_entry(obj):
        return None
    if collapsed:
        problems.add(
            shown,
            i + 1,
            f"{collapsed} nested field(s) copied collapsed (shown as {{N}}), read as empty; "
            "expand nested fields before copying, or download the entries",
            kind=ProblemKind.COLLAPSED,
        )
    entry = canonical_or_problem(obj, shown, i + 1, problems)
    if entry is not None:
        entry["_line"] = i + 1
    return _Object(i, last, entry)


def _parse(chunk: str) -> tuple[Any, int, json.JSONDecodeError | None]:
    """Decode one object; failing that, undo the Logs Explorer's collapsed `{N}` and missing commas.

    Returns (value or None, how many collapsed fields were emptied, the original error).
    """
    try:
        return json.loads(chunk), 0, None
    except RecursionError:
        return None, 0, json.JSONDecodeError("nested too deep", chunk, 0)
    except json.JSONDecodeError as exc:
        error = exc
    repaired, collapsed = _COLLAPSED.subn(_emptied, chunk)
    for keyed in (repaired, _BARE_KEY.sub(r'\1"\2":', repaired)):  # then with bare keys quoted
        try:
            return json.loads(_MISSING_COMMA.sub(",", keyed)), collapsed, None
        except (json.JSONDecodeError, RecursionError):
            continue
    return None, 0, error


def _emptied(match: re.Match[str]) -> str:
    """A collapsed `{2}` or `[3]` as an empty object or array."""
    return match.group(1) + ("{}" if match.group(2).startswith("{") else "[]")


def _names_entry_keys(chunk: str) -> bool:
    return _ENTRY_KEY.search(chunk) is not None


def _previous_text_line(lines: list[str], first: int, taken: set[int]) -> int | None:
    """Index of the last non-blank line before ``first`` that no object took."""
    j = first - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and j not in taken else None


def _is_summary(line: str, entry: dict[str, Any]) -> bool:
    """Whether ``line`` is the Logs Explorer's summary of ``entry``.

    The summary's time is shown in the viewer's time zone, so the second (and its fraction)
    is compared, not the hour; failing a time, most of the line's words must be the entry's own.
    """
    parsed = parse_line(line)
    stamp = str(entry.get("timestamp") or "")
    if parsed.stamp is not None and stamp and _same_second(parsed.stamp.rfc3339, stamp):
        return True
    words = [w for w in _WORD.findall(_ISO_TIME.sub(" ", line)) if severity_from_word(w) is None]
    if not words:
        return False
    theirs = set(_WORD.findall(json.dumps(entry, ensure_ascii=False)))
    return sum(1 for w in words if w in theirs) >= SUMMARY_OVERLAP * len(words)


def _same_second(a: str, b: str) -> bool:
    """Same seconds and, where both have them, the same leading fractional digits."""
    ma, mb = _SECONDS.search(a), _SECONDS.search(b)
    if ma is None or mb is None:
        return False
    digits = min(len(ma["frac"] or ""), len(mb["frac"] or ""), 3)
    return ma["sec"] == mb["sec"] and (ma["frac"] or "")[:digits] == (mb["frac"] or "")[:digits]
