"""A local cache of fetched windows, and gcloud-format export files.

A closed window (one that ended at least a few minutes ago, so late entries have arrived) is
stored as NDJSON of canonical entries, keyed by a hash of (project, filters, start, end), with a
small metadata JSON beside it. The metadata holds the request and the outcome, never tokens or
credentials. Every file is written to a temporary name in the same directory and moved into
place with ``os.replace``, and the metadata is written last, so a half-written file is never
mistaken for a cached window.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from rca.resources import CACHE_ENV as CACHE_ENV
from rca.resources import cache_dir as cache_dir
from rca.resources import write_atomic as _write_atomic

FORMAT_VERSION = 2  # 2: the metadata lists which adaptive query read each entry it read


def cache_key(project: str, filters: Sequence[str], start: datetime, end: datetime) -> str:
    """A stable hex key for one request: same project, filters and window give the same key."""
    payload = json.dumps(
        {
            "v": FORMAT_VERSION,
            "project": project,
            "filters": list(filters),
            "start": _iso(start),
            "end": _iso(end),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def is_closed(end: datetime, now: datetime, margin: timedelta = timedelta(minutes=5)) -> bool:
    """True when the window ended at least ``margin`` before ``now`` (late entries have landed)."""
    return _utc(end) <= _utc(now) - margin


@dataclass(frozen=True)
class CacheHit:
    """A cached window: its NDJSON path and metadata."""

    path: Path
    meta: dict[str, Any]

    def load(self) -> list[dict[str, Any]]:
        """The cached entries."""
        return list(read_ndjson(self.path))


def paths(root: Path, key: str) -> tuple[Path, Path]:
    """The NDJSON and metadata paths of a key."""
    return root / f"{key}.ndjson", root / f"{key}.meta.json"


def lookup(root: Path, key: str, max_entries: int) -> CacheHit | None:
    """The cached window for ``key`` if it is whole and answers a budget of ``max_entries``.

    A window with gaps from errors is never reused (the next run should try again); a window cut
    by the budget is reused only when it was fetched with at least the budget asked for now.
    """
    data, meta_path = paths(root, key)
    meta = _read_meta(meta_path)
    if meta is None or not data.is_file() or meta.get("format") != FORMAT_VERSION:
        return None
    if meta.get("sha256") != _sha256(data):
        return None
    if meta.get("errors") or _gap_from_errors(meta):
        return None
    if meta.get("truncated") and int(meta.get("max_entries", 0)) < max_entries:
        return None
    return CacheHit(data, meta)


def lookup_partial(root: Path, key: str) -> CacheHit | None:
    """The cached window for ``key`` even when it has gaps (to resume it), if intact."""
    data, meta_path = paths(root, key)
    meta = _read_meta(meta_path)
    if meta is None or not data.is_file() or meta.get("format") != FORMAT_VERSION:
        return None
    if meta.get("sha256") != _sha256(data):
        return None
    return CacheHit(data, meta)


def store(
    root: Path, key: str, entries: Iterable[dict[str, Any]], meta: dict[str, Any], *, closed: bool
) -> Path:
    """Write entries (and, for a closed window, metadata) atomically; return the NDJSON path.

    An open window goes to ``open/<key>.ndjson`` without metadata, so it is never served as a hit.
    """
    if not closed:
        target = root / "open" / f"{key}.ndjson"
        write_ndjson(entries, target)
        return target
    data, meta_path = paths(root, key)
    with contextlib.suppress(FileNotFoundError):
        meta_path.unlink()
    write_ndjson(entries, data)
    _write_atomic(
        meta_path,
        lambda f: json.dump(
            {**meta, "format": FORMAT_VERSION, "sha256": _sha256(data)},
            f,
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        ),
    )
    return data


def write_ndjson(entries: Iterable[dict[str, Any]], path: Path) -> None:
    """Entries as one compact JSON object per line (sorted keys), written atomically."""

    def dump(f: IO[str]) -> None:
        for entry in entries:
            f.write(json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")

    _write_atomic(path, dump)


def read_ndjson(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of an NDJSON file written by ``write_ndjson``."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def write_gcloud_json(entries: Iterable[dict[str, Any]], path: Path) -> None:
    """Save entries as ``gcloud logging read --format=json`` would: an array, newest first.

    gcloud's JSON printer uses indent 2, sorted keys and no ASCII escaping; an empty result is ``[]``.
    """
    newest_first = sorted(entries, key=_newest_first_key, reverse=True)

    def dump(f: IO[str]) -> None:
        json.dump(newest_first, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")

    _write_atomic(path, dump)


def _newest_first_key(entry: dict[str, Any]) -> tuple[str, str, str]:
    """Sort key: the timestamp with its fraction padded to nanoseconds, then log name and insert id."""
    return (
        _sortable_ts(str(entry.get("timestamp", ""))),
        str(entry.get("logName", "")),
        str(entry.get("insertId", "")),
    )


def _sortable_ts(text: str) -> str:
    """``2024-08-06T10:15:00.5Z`` -> ``2024-08-06T10:15:00.500000000`` so strings compare as times."""
    if not text.endswith("Z"):
        return text
    whole, _, fraction = text[:-1].partition(".")
    return f"{whole}.{fraction.ljust(9, '0')}"


def _read_meta(path: Path) -> dict[str, Any] | None:
    """Metadata JSON, or None when absent or unreadable."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _gap_from_errors(meta: dict[str, Any]) -> bool:
    """True when a missing range was caused by something other than the entry budget."""
    return any("budget" not in str(m.get("reason", "")) for m in meta.get("missing", []))


def _sha256(path: Path) -> str:
    """Hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _utc(moment: datetime) -> datetime:
    """The instant in UTC (naive means UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    """Canonical text of an instant, for hashing."""
    return _utc(moment).isoformat()
