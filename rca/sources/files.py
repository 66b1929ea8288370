"""Read export files of any supported shape into the store, detecting the format from content.

Formats (never asked for): gcloud/Logs Explorer JSON arrays, NDJSON of LogEntry, BigQuery
and Log Analytics exports, Logs Explorer CSV, and plain text logs. Canonical NDJSON goes
straight to DuckDB's reader; everything else passes through a Python reader that yields
canonical LogEntry dicts. Bad pieces are counted in ``Problems`` and never stop the rest.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import duckdb

from rca.engine.store import Store
from rca.errors import InputError
from rca.sources.problems import Problems

HEAD_BYTES = 65536
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


def _read_detected(path: str, store: Store, problems: Problems, spool_dir: Path) -> int:
    """Detect the format and load; returns the number of entries staged."""
    local = _materialise(path, spool_dir)
    head = _head(local, path)
    encoding = _utf16_encoding(head)
    if encoding is not None:
        local = _transcode(local, path, encoding, spool_dir)
        head = _head(local, path)
    if _is_binary(head):
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
    """Whether the head of a file starts with a complete JSON value (e.g. ``[1, 2, 3]``)."""
    try:
        json.JSONDecoder().raw_decode(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


def _materialise(path: str, spool_dir: Path) -> Path:
    """Give every input a plain, seekable local file: stdin and .gz are spooled once."""
    if path == "-":
        target = spool_dir / "stdin"
        with target.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        return _ungzip_if_needed(target, path, spool_dir)
    local = Path(path)
    if not local.exists():
        raise InputError(path, "no such file")
    if local.is_dir():
        raise InputError(path, "is a directory, not a log export")
    return _ungzip_if_needed(local, path, spool_dir)


def _ungzip_if_needed(local: Path, shown: str, spool_dir: Path) -> Path:
    try:
        with local.open("rb") as fh:
            magic = fh.read(2)
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from exc
    if magic != b"\x1f\x8b":
        return local
    target = Path(tempfile.mkstemp(dir=spool_dir, suffix=".unzipped")[1])
    try:
        with gzip.open(local, "rb") as src, target.open("wb") as out:
            shutil.copyfileobj(src, out)
    except (OSError, EOFError) as exc:
        raise InputError(shown, f"corrupt gzip data: {exc}") from exc
    return target


_BINARY_MAGIC = (
    b"\x89PNG",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF",
    b"\x7fELF",
    b"GIF8",
    b"\xff\xd8\xff",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"\x28\xb5\x2f\xfd",
    b"SQLite format",
)
_NOT_TEXT = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")  # control bytes a text log does not hold


def _utf16_encoding(head: bytes) -> str | None:
    """UTF-16 by its byte-order mark, or by NULs in every other byte (PowerShell `>` writes UTF-16)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:512]
    if len(sample) < 16:
        return None
    layouts = ((sample[1::2], sample[0::2], "utf-16-le"), (sample[0::2], sample[1::2], "utf-16-be"))
    for zeros, chars, encoding in layouts:
        if not any(zeros) and chars.count(0) * 10 < len(chars):
            return encoding
    return None


def _transcode(local: Path, shown: str, encoding: str, spool_dir: Path) -> Path:
    """Copy a UTF-16 file to UTF-8 in the spool (bad code units become U+FFFD)."""
    target = Path(tempfile.mkstemp(dir=spool_dir, suffix=".utf8")[1])
    try:
        with (
            local.open(encoding=encoding, errors="replace", newline="") as src,
            target.open("w", encoding="utf-8", errors="replace", newline="") as out,
        ):
            shutil.copyfileobj(src, out)
    except (OSError, UnicodeError) as exc:
        raise InputError(shown, f"cannot read as {encoding}: {exc}") from exc
    return target


def _is_binary(head: bytes) -> bool:
    """A known binary signature, or mostly control bytes once NULs are set aside.

    A text log may hold a few NULs (a crash mid-write, logrotate's copytruncate leaves a run
    of them at the start), so NULs alone do not make a file binary.
    """
    if head.startswith(_BINARY_MAGIC):
        return True
    text = head.replace(b"\x00", b"")
    if not text.strip():
        return b"\x00" in head
    return len(_NOT_TEXT.findall(text)) * 10 > len(text)


def _head(local: Path, shown: str) -> bytes:
    try:
        with local.open("rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from exc


def _is_canonical(obj: Any) -> bool:
    """A LogEntry in API camelCase: it names its log, or has a time and a LogEntry field."""
    if not isinstance(obj, dict):
        return False
    return "logName" in obj or ("timestamp" in obj and bool(_CANONICAL_KEYS & obj.keys()))


def _is_snake(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(_SNAKE_KEYS & obj.keys())


def _canonicalise(obj: Any) -> dict[str, Any] | None:
    """One decoded JSON value as a canonical entry, or None when it is not a log entry.

    BigQuery exports keep `logName` but rename the audit payload and write times as
    `... UTC`, so every log-entry-like object goes through `to_canonical` (idempotent on
    canonical input). Raises ValueError (RowError) when a field cannot be read.
    """
    if not (_is_canonical(obj) or _is_snake(obj)):
        return None
    from rca.sources.tabular import to_canonical

    return to_canonical(obj)


def _canonical_or_problem(obj: Any, shown: str, line: int, problems: Problems) -> dict[str, Any] | None:
    """`_canonicalise`, with unreadable fields reported as a problem on that line."""
    try:
        return _canonicalise(obj)
    except ValueError as exc:
        problems.add(shown, line, f"unreadable field: {exc}")
        return None


def _read_json_array(local: Path, shown: str, store: Store, problems: Problems) -> int:
    """A JSON array: decoded element by element so a truncated file keeps what came before the cut."""
    text, bad_lines = _decode(local)
    for line in bad_lines:
        problems.add(shown, line, "invalid UTF-8 replaced with U+FFFD", kind="invalid-utf8")

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
                        shown, lines.at(pos), "JSON array is truncated (no closing ])", kind="truncated"
                    )
                return
            try:
                obj, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                problems.add(shown, lines.at(pos), f"invalid JSON element: {exc.msg}", kind="truncated")
                return
            except RecursionError:
                skipped = _skip_value(text, pos)
                problems.add(
                    shown,
                    lines.at(pos),
                    "JSON element nested too deep; skipped",
                    kind="malformed" if skipped is not None else "truncated",
                )
                if skipped is None:
                    return
                index += 1
                pos = skipped
                continue
            index += 1
            if not (_is_canonical(obj) or _is_snake(obj)):
                if index == 1:
                    raise InputError(
                        shown,
                        f"not a recognised log export (array of non-log-entries; {EXPECTED})",
                        line=lines.at(pos),
                    )
                problems.add(shown, lines.at(pos), "array element is not a log entry")
            else:
                entry = _canonical_or_problem(obj, shown, lines.at(pos), problems)
                if entry is not None:
                    entry["_line"] = lines.at(pos)
                    yield entry
            pos = end

    return store.add_entries(entries(), shown)


_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def _skip_value(text: str, pos: int) -> int | None:
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


def _decode(local: Path) -> tuple[str, list[int]]:
    """Decode a file as UTF-8, replacing bad bytes, and say which lines had them."""
    raw = local.read_bytes()
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    bad: list[int] = []
    lines = raw.split(b"\n")
    out: list[str] = []
    for number, chunk in enumerate(lines, start=1):
        try:
            out.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append(number)
            out.append(chunk.decode("utf-8", errors="replace"))
    return "\n".join(out), bad


def _read_ndjson(local: Path, shown: str, head: str, store: Store, problems: Problems) -> int:
    """NDJSON: canonical entries go to DuckDB's reader; anything odd takes the checked path."""
    first = _first_json_line(head)
    if first is not None and _is_canonical(first) and not _needs_mapping(first):
        try:
            return store.add_ndjson_file(local, shown)
        except duckdb.Error:
            pass  # a bad line or bad UTF-8 somewhere: the checked reader finds and reports it
    elif first is not None and not _is_snake(first) and not _is_canonical(first):
        # JSON objects per line that are not LogEntries: an application's own JSON log lines.
        return _read_text_or_csv(local, shown, head, store, problems)
    return _read_ndjson_checked(local, shown, store, problems)


def _needs_mapping(obj: dict[str, Any]) -> bool:
    """BigQuery-style objects look canonical but rename fields and write `... UTC` times."""
    return _is_snake(obj) or not str(obj.get("timestamp", "Z")).endswith(("Z", "z"))


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
                line = _decode_line(raw, shown, number, problems)
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except (json.JSONDecodeError, RecursionError) as exc:
                    reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
                    problems.add(shown, number, f"not valid JSON ({reason})")
                    continue
                if not (_is_canonical(obj) or _is_snake(obj)):
                    problems.add(shown, number, "JSON object is not a log entry")
                    continue
                entry = _canonical_or_problem(obj, shown, number, problems)
                if entry is None:
                    continue
                entry["_line"] = number
                yield entry

    return store.add_entries(entries(), shown)


def _decode_line(raw: bytes, shown: str, number: int, problems: Problems) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.add(shown, number, "invalid UTF-8 replaced with U+FFFD", kind="invalid-utf8")
        return raw.decode("utf-8", errors="replace")


def _read_text_or_csv(local: Path, shown: str, head: str, store: Store, problems: Problems) -> int:
    from rca.sources import tabular, text

    if tabular.sniff_tabular(head) is not None:
        with _open_text(local, shown, problems) as stream:
            return store.add_entries(tabular.read_csv_entries(stream, shown, problems), shown)
    if not text.looks_like_text_log(head):
        raise InputError(shown, f"not a recognised log export ({EXPECTED})")
    with _open_text(local, shown, problems) as stream:
        return store.add_entries(text.read_text_entries(stream, shown), shown)


def _open_text(local: Path, shown: str, problems: Problems) -> IO[str]:
    """Open as text; bad UTF-8 is replaced, and its lines counted, before any reader sees it."""
    text, bad = _decode(local)
    for line in bad:
        problems.add(shown, line, "invalid UTF-8 replaced with U+FFFD", kind="invalid-utf8")
    if "\x00" in text:  # a crash mid-write or logrotate copytruncate: NULs are no part of any line
        for number, content in enumerate(text.split("\n"), start=1):
            if "\x00" in content:
                problems.add(shown, number, "NUL bytes removed", kind="nul-bytes")
        text = text.replace("\x00", "")
    return io.StringIO(text)
