"""Turn any input into a local UTF-8 text file, and decode it, counting what had to be repaired.

Readers in ``files`` and the format detection there see plain, seekable files: stdin and gzip are
spooled once, UTF-16 (PowerShell's ``>``) is transcoded, binary data is recognised before any
reader tries it. Bad UTF-8 is replaced with U+FFFD and NULs are removed, and every line that needed
either is counted in ``Problems`` rather than stopping the read.
"""

from __future__ import annotations

import gzip
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO

from rca.errors import InputError
from rca.sources.problems import ProblemKind, Problems

HEAD_BYTES = 65536


def materialise(path: str, spool_dir: Path) -> Path:
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
    """``local`` itself, or a spooled copy of its content when it is gzip data."""
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


def read_head(local: Path, shown: str) -> bytes:
    """The first ``HEAD_BYTES`` bytes of ``local``, which detection looks at."""
    try:
        with local.open("rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from exc


def utf16_encoding(head: bytes) -> str | None:
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


def transcode(local: Path, shown: str, encoding: str, spool_dir: Path) -> Path:
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


def is_binary(head: bytes) -> bool:
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


def decode(local: Path) -> tuple[str, list[int]]:
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


def decode_line(raw: bytes, shown: str, number: int, problems: Problems) -> str:
    """One line as UTF-8; bad bytes are replaced and the line is reported as a problem."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.add(shown, number, "invalid UTF-8 replaced with U+FFFD", kind=ProblemKind.INVALID_UTF8)
        return raw.decode("utf-8", errors="replace")


def open_text(local: Path, shown: str, problems: Problems) -> IO[str]:
    """Open as text; bad UTF-8 is replaced, and its lines counted, before any reader sees it."""
    text, bad = decode(local)
    for line in bad:
        problems.add(shown, line, "invalid UTF-8 replaced with U+FFFD", kind=ProblemKind.INVALID_UTF8)
    if "\x00" in text:  # a crash mid-write or logrotate copytruncate: NULs are no part of any line
        for number, content in enumerate(text.split("\n"), start=1):
            if "\x00" in content:
                problems.add(shown, number, "NUL bytes removed", kind=ProblemKind.NUL_BYTES)
        text = text.replace("\x00", "")
    return io.StringIO(text)
