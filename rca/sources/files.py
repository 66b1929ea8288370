"""Read export files of any supported shape into the store, detecting the format from content.

Formats (never asked for): gcloud/Logs Explorer JSON arrays, NDJSON of LogEntry, BigQuery
and Log Analytics exports, Logs Explorer CSV, plain text logs, and pasted entries (`pasted`:
pretty-printed objects back to back, or Logs Explorer summary lines each over its JSON). Canonical NDJSON goes
straight to DuckDB's reader; everything else passes through a Python reader that yields
canonical LogEntry dicts. Bad pieces are counted in ``Problems`` and never stop the rest.
Turning the bytes into UTF-8 text (stdin, gzip, UTF-16, bad UTF-8, NULs) is ``encoding``'s job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from rca.engine.store import Store
from rca.errors import InputError
from rca.sources.encoding import HEAD_BYTES as HEAD_BYTES
from rca.sources.encoding import (
    decode,
    decode_line,
    is_binary,
    materialise,
    open_text,
    read_head,
    transcode,
    utf16_encoding,
)
from rca.sources.problems import ProblemKind, Problems

_JSON_ARRAY = re.compile(r"\[\s*[{\]]")  # `[{` or `[]`; gunicorn/kubectl lines also start with `[`
EXPECTED = (
    "expected a gcloud logging read --format=json export, NDJSON of log entries, a Logs Explorer "
    "JSON/CSV download, a BigQuery or Log Analytics export, or plain text log lines"
)
_CANONICAL_KEYS = frozenset(
    {"logName", "textPayload", "jsonPayload", "protoPayload", "httpRequest", "insertId", "receiveTimestamp"}
)
_SNAKE_KEYS = frozenset(
    {
        "log_name",
        "text_payload",
        "json_payload",
        "proto_payload",
        "http_request",
        "insert_id",
        "protopayload_auditlog",
        "receive_timestamp",
        "log_id",
    }
)


def read_input(path: str, store: Store, problems: Problems, spool_dir: Path) -> int:
    """Detect the format of ``path`` (``-`` is stdin; ``.gz`` is read transparently) and load it.

    Malformed pieces are counted and skipped, unless nothing at all was usable: a file whose
    every line is bad is not a log export, and saying so beats an empty report.
    """
    before = problems.per_source[path]
    count = _read_detected(path, store, problems, spool_dir)
    bad = problems.per_source[path] - before
    if count == 0 and bad:
        first = next((p for p in problems.kept if p.source == path), None)
        where = f"; first at line {first.line}: {first.reason}" if first else ""
        raise InputError(
            path,
            f"not a recognised log export: no usable entry, {bad} malformed piece(s){where} ({EXPECTED})",
        )
    return count


# What a directory given as an input is read for: the files a Cloud Storage sink writes
# (`run.googleapis.com/stderr/2026/11/30/14:00:00_14:59:59_S0.json`, NDJSON) and the usual names
# of exports and text logs, gzipped or not.
DIRECTORY_SUFFIXES = (".json", ".ndjson", ".jsonl", ".log", ".txt", ".csv")


def input_files(paths: Iterable[str]) -> tuple[str, ...]:
    """The inputs with each directory replaced by its log files, walked in path order.

    A sink downloaded with `gsutil cp -r` (or `gcloud storage cp -r`) is a tree of log names and
    dates; path order puts each log's hours in time order. Hidden files and directories are
    skipped; a directory with no log file is an input error naming it.
    """
    out: list[str] = []
    for path in paths:
        local = Path(path)
        if path == "-" or not local.is_dir():
            out.append(path)
            continue
        found = sorted(
            str(f) for f in local.rglob("*")
            if f.is_file() and not any(part.startswith(".") for part in f.relative_to(local).parts)
            and f.name.lower().removesuffix(".gz").endswith(DIRECTORY_SUFFIXES)
        )
        if not found:
            raise InputError(path, "is a directory holding no log file (" + ", ".join(
                f"*{suffix}" for suffix in DIRECTORY_SUFFIXES) + ", or any of them .gz)")
        out.extend(found)
    return tuple(out)


def _read_detected(path: str, store: Store, problems: Problems, spool_dir: Path) -> int:
    """Detect the format and load; returns the number of entries staged."""
    local = materialise(path, spool_dir)
    head = read_head(local, path)
    encoding = utf16_encoding(head)
    if encoding is not None:
        local = transcode(local, path, encoding, spool_dir)
        head = read_head(local, path)
    if is_binary(head):
        raise InputError(path, f"not a recognised log export (binary data; {EXPECTED})")
    text = head.replace(b"\x00", b"").decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        return 0
    if _JSON_ARRAY.match(text):
        return _read_json_array(local, path, store, problems)
    if text.startswith("[") and _is_json_value(text):
        raise InputError(path, f"not a recognised log export (a JSON array of non-objects; {EXPECTED})")
    if text.startswith("{"):
        return _read_ndjson(local, path, text, store, problems)
    if text[:200].lower().startswith(("<!doctype", "<html", "<?xml")):
        raise InputError(path, f"not a recognised log export (looks like HTML/XML; {EXPECTED})")
    return _read_text_or_csv(local, path, text, store, problems)


def _is_json_value(text: str) -> bool:
    """Whether the head of a file is one complete JSON value (e.g. ``[1, 2, 3]``). A value that
    only begins a line is text: Puma prints `[1] Puma starting in cluster mode...` (held-out UG05)."""
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    return not text[end:].strip()


def _is_canonical(obj: Any) -> bool:
    """A LogEntry in API camelCase: it names its log, or has a time and a LogEntry field."""
    if not isinstance(obj, dict):
        return False
    return "logName" in obj or ("timestamp" in obj and bool(_CANONICAL_KEYS & obj.keys()))


def _is_snake(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(_SNAKE_KEYS & obj.keys())


def is_log_entry(obj: Any) -> bool:
    """A LogEntry, canonical (API camelCase) or as BigQuery / Log Analytics write it."""
    return _is_canonical(obj) or _is_snake(obj)


def _canonicalise(obj: Any) -> dict[str, Any] | None:
    """One decoded JSON value as a canonical entry, or None when it is not a log entry.

    BigQuery exports keep `logName` but rename the audit payload and write times as
    `... UTC`, so every log-entry-like object goes through `to_canonical` (idempotent on
    canonical input). Raises ValueError (RowError) when a field cannot be read.
    """
    if not is_log_entry(obj):
        return None
    from rca.sources.tabular import to_canonical

    return to_canonical(obj)


def canonical_or_problem(obj: Any, shown: str, line: int, problems: Problems) -> dict[str, Any] | None:
    """`_canonicalise`, with unreadable fields reported as a problem on that line."""
    try:
        return _canonicalise(obj)
    except ValueError as exc:
        problems.add(shown, line, f"unreadable field: {exc}")
        return None


def _read_json_array(local: Path, shown: str, store: Store, problems: Problems) -> int:
    """A JSON array: by DuckDB's typed reader when that stages what this module's reader would
    (rca/sources/typed_array.py), else decoded element by element here."""
    from rca.sources.typed_array import read_typed_array

    count = read_typed_array(local, shown, store)
    if count is not None:
        return count
    return _read_json_array_checked(local, shown, store, problems)


def _read_json_array_checked(local: Path, shown: str, store: Store, problems: Problems) -> int:
    """A JSON array decoded element by element, so a truncated file keeps what came before the cut."""
    text, bad_lines = decode(local)
    for line in bad_lines:
        problems.add(shown, line, "invalid UTF-8 replaced with U+FFFD", kind=ProblemKind.INVALID_UTF8)

    lines = _LineCounter(text)

    def entries() -> Iterator[dict[str, Any]]:
        decoder = json.JSONDecoder()
        pos = text.index("[") + 1
        index = 0
        while True:
            pos = _skip_ws_comma(text, pos)
            if pos >= len(text) or text[pos] == "]":
                if pos >= len(text):
                    problems.add(
                        shown,
                        lines.at(pos),
                        "JSON array is truncated (no closing ])",
                        kind=ProblemKind.TRUNCATED,
                    )
                return
            try:
                obj, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                problems.add(
                    shown, lines.at(pos), f"invalid JSON element: {exc.msg}", kind=ProblemKind.TRUNCATED
                )
                return
            except RecursionError:
                skipped = skip_value(text, pos)
                problems.add(
                    shown,
                    lines.at(pos),
                    "JSON element nested too deep; skipped",
                    kind=ProblemKind.MALFORMED if skipped is not None else ProblemKind.TRUNCATED,
                )
                if skipped is None:
                    return
                index += 1
                pos = skipped
                continue
            index += 1
            if not is_log_entry(obj):
                if index == 1:
                    raise InputError(
                        shown,
                        f"not a recognised log export (array of non-log-entries; {EXPECTED})",
                        line=lines.at(pos),
                    )
                problems.add(shown, lines.at(pos), "array element is not a log entry")
            else:
                entry = canonical_or_problem(obj, shown, lines.at(pos), problems)
                if entry is not None:
                    entry["_line"] = lines.at(pos)
                    yield entry
            pos = end

    return store.add_entries(entries(), shown)


_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def skip_value(text: str, pos: int) -> int | None:
    """End offset of the JSON array/object starting at ``pos``, found without recursion; None if unclosed."""
    depth = 0
    while True:
        found = _STRUCTURE.search(text, pos)
        if found is None:
            return None
        if found.group() == '"':
            string = _STRING.match(text, found.start())
            if string is None:
                return None
            pos = string.end()
            continue
        pos = found.end()
        depth += 1 if found.group() in "[{" else -1
        if depth <= 0:
            return pos


def _skip_ws_comma(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n,":
        pos += 1
    return pos


class _LineCounter:
    """Line numbers of increasing offsets in one text, counted incrementally (linear overall)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, pos: int) -> int:
        """1-based line of ``pos``; offsets must not decrease between calls."""
        if pos > self.pos:
            self.line += self.text.count("\n", self.pos, pos)
            self.pos = pos
        return self.line


def _read_ndjson(local: Path, shown: str, head: str, store: Store, problems: Problems) -> int:
    """NDJSON: canonical entries go to DuckDB's reader; anything odd takes the checked path."""
    first = _first_json_line(head)
    pretty = head.split("\n", 1)[0].strip() == "{"  # not a garbage first line of NDJSON
    if first is None and pretty and _has_pasted_entries(head):  # pretty-printed entries, no array
        return _read_pasted(local, shown, store, problems)
    if first is None and pretty:
        with open_text(local, shown, problems) as stream:
            objects = _pretty_records(stream.read())
        if objects is not None:  # an application's JSON log lines, pretty-printed (`jq .`, a paste)
            return store.add_entries(_app_object_entries(objects, shown), shown)
    if first is None and not pretty and not _json_object_lines(head) and not _all_braced(head):
        # `{ Error: No connection established` then `    at ...` (Node's util.inspect of an error)
        # opens a paste, not NDJSON: no line is a JSON object and not every line opens like one
        return _read_text_or_csv(local, shown, head, store, problems)
    if first is not None and _is_canonical(first) and not _needs_mapping(first):
        try:
            return store.add_ndjson_file(local, shown)
        except (duckdb.Error, UnicodeDecodeError):
            pass  # a bad line or bad UTF-8 somewhere: the checked reader finds and reports it
    elif first is not None and not _is_snake(first) and not _is_canonical(first):
        # JSON objects per line that are not LogEntries: an application's own JSON log lines.
        return _read_text_or_csv(local, shown, head, store, problems)
    return _read_ndjson_checked(local, shown, store, problems)


def _needs_mapping(obj: dict[str, Any]) -> bool:
    """BigQuery-style objects look canonical but rename fields and write `... UTC` times."""
    return _is_snake(obj) or not str(obj.get("timestamp", "Z")).endswith(("Z", "z"))


def _pretty_records(content: str) -> list[tuple[int, dict[str, Any]]] | None:
    """The structured log records (objects with a message or level key) of a text that holds only
    such objects, back to back (pretty-printed, maybe comma-separated), each with the line it
    starts on; None when the text holds anything else (unrelated JSON is no log)."""
    from rca.sources.text import is_log_record

    decoder = json.JSONDecoder()
    lines = _LineCounter(content)
    out: list[tuple[int, dict[str, Any]]] = []
    pos = _skip_ws_comma(content, 0)
    while pos < len(content):
        try:
            value, end = decoder.raw_decode(content, pos)
        except (json.JSONDecodeError, RecursionError):
            return None
        if not is_log_record(value):
            return None
        out.append((lines.at(pos), value))
        pos = _skip_ws_comma(content, end)
    return out or None


def _app_object_entries(objects: list[tuple[int, dict[str, Any]]], shown: str) -> Iterator[dict[str, Any]]:
    """Objects that are not LogEntries (an app's structured log lines) read as the text reader reads
    a JSON log line (its level, time and message lifted), each numbered by the line it starts on."""
    from rca.sources import text

    compact = (json.dumps(obj, ensure_ascii=False) for _, obj in objects)
    for entry in text.read_text_entries(compact, shown):
        entry["_line"] = objects[entry["_line"] - 1][0]  # the reader numbered the compact lines
        yield entry


def _json_object_lines(head: str) -> bool:
    """Whether any complete line of the head is a JSON object (NDJSON with a bad line still has
    good ones; a text paste that happens to open with `{` has none)."""
    for line in head.splitlines()[:-1] or head.splitlines():
        text = line.strip()
        if text.startswith("{") and text.endswith("}"):
            try:
                if isinstance(json.loads(text), dict):
                    return True
            except (json.JSONDecodeError, RecursionError):
                continue
    return False


def _all_braced(head: str) -> bool:
    """Whether every non-blank line of the head opens with `{`, as NDJSON's do (if broken)."""
    return all(line.lstrip().startswith("{") for line in head.splitlines() if line.strip())


def _first_json_line(head: str) -> Any:
    for line in head.splitlines():
        if line.strip():
            try:
                return json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                return None
    return None


def _read_ndjson_checked(local: Path, shown: str, store: Store, problems: Problems) -> int:
    """Line by line: every bad line is skipped, counted and (the first few) reported by number."""

    def entries() -> Iterator[dict[str, Any]]:
        with local.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                line = decode_line(raw, shown, number, problems)
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except (json.JSONDecodeError, RecursionError) as exc:
                    reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
                    problems.add(shown, number, f"not valid JSON ({reason})")
                    continue
                if not is_log_entry(obj):
                    problems.add(shown, number, "JSON object is not a log entry")
                    continue
                entry = canonical_or_problem(obj, shown, number, problems)
                if entry is None:
                    continue
                entry["_line"] = number
                yield entry

    return store.add_entries(entries(), shown)


def _has_pasted_entries(head: str) -> bool:
    from rca.sources.pasted import has_entry_objects

    return has_entry_objects(head)


def _read_pasted(local: Path, shown: str, store: Store, problems: Problems) -> int:
    """LogEntry objects outside an array (back to back, or under Logs Explorer summary lines)."""
    from rca.sources.pasted import read_pasted_entries

    with open_text(local, shown, problems) as stream:
        content = stream.read()
    return store.add_entries(read_pasted_entries(content, shown, problems), shown)


def _read_text_or_csv(local: Path, shown: str, head: str, store: Store, problems: Problems) -> int:
    from rca.sources import tabular, text, yaml_stream

    if _has_pasted_entries(head):  # a Logs Explorer copy: summary lines, each over its entry's JSON
        return _read_pasted(local, shown, store, problems)
    if yaml_stream.looks_like_yaml_entries(head):  # `gcloud logging read` without --format=json
        with open_text(local, shown, problems) as stream:
            return store.add_entries(yaml_stream.read_yaml_entries(stream, shown, problems), shown)
    if tabular.sniff_tabular(head) is not None:
        with open_text(local, shown, problems) as stream:
            return store.add_entries(tabular.read_csv_entries(stream, shown, problems), shown)
    if not text.looks_like_text_log(head):
        raise InputError(shown, f"not a recognised log export ({EXPECTED})")
    with open_text(local, shown, problems) as stream:
        return store.add_entries(text.read_text_entries(stream, shown), shown)
