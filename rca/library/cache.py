"""A cache of the checked pattern library on disk, so a new process skips parsing and validating
an unchanged library (about a second of a small analysis: libyaml, JSON Schema, RE2 checks).

An entry is the plain data of a load that found no problem: for each pattern kept, its file
path, area and parsed YAML document, as JSON (never pickled objects, never compiled regexes);
`rca.library.loader` builds the frozen patterns from it again, which takes milliseconds. A load
with problems is never stored: it raises, and `rca patterns lint` never reads the cache.

The key covers everything the outcome depends on: every byte and name of every pattern file of
every directory (the loader's fingerprint), the directories as given, the JSON schema's bytes,
the source of the modules that check and build patterns (rca/library/*.py, rca/model.py),
Python's version and the installed versions of rca, PyYAML, jsonschema and google-re2. An edited
file is therefore a new key, never a stale hit. The file repeats its key and carries a digest of its
body: a truncated, edited or unreadable entry is a miss, and the load that follows rewrites it.

The same store keeps other values derived from the library by slow code, each kind under its own
prefix and key: the matcher's prefilter alternations (``prefilter-<key>.json``) and each regex's
literal atoms (``atoms-<key>.json``), both in rca/engine/match.py, and the masked words of
the patterns' descriptors (``words-<key>.json``, rca/mining/cluster.py).

Where: ``<cache dir>/library/`` (`rca.resources.cache_dir`: ``$RCA_CACHE_DIR``, else
``$XDG_CACHE_HOME/rca``, else ``~/.cache/rca``). A directory that cannot be created or written is
skipped silently: the load then costs what it did without a cache. The `KEEP` entries of each kind
last used are kept, so editing patterns does not fill the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from rca.resources import cache_dir, write_atomic

FORMAT = 1
KEEP = 8  # entries kept per cache directory (one per library version in use)
_DISTRIBUTIONS = ("rca", "PyYAML", "jsonschema", "google-re2")

# One stored pattern: (path, area, document).
Row = tuple[str, str, dict[str, Any]]


def directory() -> Path:
    """Where library entries live."""
    return cache_dir() / "library"


def _path(entry_key: str, kind: str = "library") -> Path | None:
    """The entry's file, or None when there is no home directory to put the cache in."""
    try:
        return directory() / f"{kind}-{entry_key}.json"
    except (RuntimeError, KeyError):  # Path.home() without HOME or a password entry
        return None


def key(dirs: Sequence[str], fingerprint: Sequence[tuple[str, str]], schema: bytes) -> str:
    """The hex key of a load of ``dirs`` whose files have ``fingerprint``, against ``schema``."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (
        f"format {FORMAT}", f"python {sys.version}", *_versions(),
        *dirs, *(f"{root}\0{files}" for root, files in fingerprint),
    ):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(hashlib.blake2b(schema).digest())
    digest.update(_code_digest())
    return digest.hexdigest()


def value_key(code: Sequence[Path], parts: Iterable[str]) -> str:
    """The key of a value derived from ``parts`` by the modules ``code``: Python's version, the
    modules' source and the parts, so an edit to either is a new key, never a stale hit."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (sys.version, *(path.read_text(encoding="utf-8") for path in code), *parts):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def _versions() -> list[str]:
    """The installed versions of rca and of the libraries that parse and check a pattern file."""
    out = []
    for name in _DISTRIBUTIONS:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} absent")
    return out


def _code_digest() -> bytes:
    """A digest of the source that checks and builds patterns: an edit to it is a new key."""
    here = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=20)
    for path in [*sorted(here.glob("*.py")), here.parent / "model.py"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def read(entry_key: str) -> list[Row] | None:
    """The rows stored under ``entry_key``, or None when there is no intact entry."""
    return _rows(read_value(entry_key))


def read_value(entry_key: str, kind: str = "library") -> Any:
    """The JSON value stored under ``entry_key`` (entries of ``kind``), or None when there is no
    intact entry.

    Reading an entry marks it used (its modification time), so `_prune` removes the entries
    least recently used, not the library every run reads.
    """
    path = _path(entry_key, kind)
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    head, _, body = raw.partition(b"\n")
    try:
        header = json.loads(head)
        if header != {"format": FORMAT, "key": entry_key, "body": hashlib.blake2b(body).hexdigest()}:
            return None
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or not UTF-8
        return None


def _rows(value: Any) -> list[Row] | None:
    """``value`` as a list of (path, area, document), or None when it has another shape."""
    if not isinstance(value, list):
        return None
    out: list[Row] = []
    for row in value:
        if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str)
                and isinstance(row[1], str) and isinstance(row[2], dict)):
            return None
        out.append((row[0], row[1], row[2]))
    return out


def write(entry_key: str, rows: Sequence[Row]) -> None:
    """Store ``rows`` under ``entry_key`` when JSON holds them exactly; never raises for the disk.

    A document JSON would change (a YAML date, an integer key) is not stored, so what `read`
    returns is always what the checks saw.
    """
    write_value(entry_key, [list(row) for row in rows])


def write_value(entry_key: str, value: Any, kind: str = "library") -> None:
    """Store the JSON value ``value`` under ``entry_key`` (entries of ``kind``) when JSON holds it
    exactly; never raises for the disk."""
    try:
        body = json.dumps(value, ensure_ascii=False, allow_nan=False)
        data = body.encode("utf-8")  # a lone surrogate (a YAML escape) cannot be stored
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return
    if json.loads(body) != value:
        return
    header = json.dumps({"format": FORMAT, "key": entry_key, "body": hashlib.blake2b(data).hexdigest()})

    def dump(f: IO[str]) -> None:
        f.write(header + "\n")
        f.write(body)

    path = _path(entry_key, kind)
    if path is None:
        return
    try:
        write_atomic(path, dump)
    except OSError:
        return
    _prune(path.parent, kind)


def _prune(where: Path, kind: str) -> None:
    """Remove all but the `KEEP` entries of ``kind`` last written or read (another process may be
    removing them too)."""
    try:
        entries = sorted(where.glob(f"{kind}-*.json"), key=_mtime, reverse=True)
    except OSError:
        return
    for old in entries[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
