"""The checked library on disk (rca/library/cache.py): a new process builds the same patterns from
it, an edited pattern file is never served stale, and a damaged entry is ignored and rewritten.

Each test points ``RCA_CACHE_DIR`` at its own directory and empties the loader's in-process cache,
so every load below is what a fresh `rca` process would do.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rca.errors import PatternError
from rca.library import cache, loader
from rca.library.loader import Library, lint_dirs, load_library

PATTERN = """\
id: {id}
title: {title}
category: network-connectivity
layer: network
severity: error
role: cause
match:
  any: ['{regex}']
why: "Something failed"
examples:
  match: [{{line: 'connect timed out', source: 'https://example.org/where-this-wording-appears'}}]
  no_match: ['all good']
"""


@pytest.fixture(autouse=True)
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cache directory of the test's own, and no patterns left in this process's memory."""
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "cache"))
    loader._checked.cache_clear()
    yield
    loader._checked.cache_clear()


def write(root: Path, pid: str = "demo", title: str = "First title", regex: str = "timed out") -> Path:
    path = root / "net" / f"{pid}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PATTERN.format(id=pid, title=title, regex=regex), encoding="utf-8")
    return path


def load(root: Path) -> Library:
    """Load ``root`` alone as a new process would (nothing in memory)."""
    loader._checked.cache_clear()
    return load_library([root], include_builtin=False)


def entries() -> list[Path]:
    return sorted(cache.directory().glob("library-*.json"))


def only_entry() -> tuple[Path, str]:
    """The one entry in the cache directory and its key."""
    [entry] = entries()
    return entry, entry.name.removeprefix("library-").removesuffix(".json")


def test_a_clean_library_is_stored_and_the_next_load_is_built_from_the_entry(tmp_path: Path) -> None:
    """The entry, not the pattern files, is what a second process reads: an entry rewritten with a
    different title (a valid entry, as only rca writes them) shows that title."""
    pack = tmp_path / "pack"
    write(pack)
    first = load(pack)
    _, key = only_entry()
    rows = cache.read(key)
    assert rows is not None
    assert [(path, area, doc["title"]) for path, area, doc in rows] == [
        (str(pack / "net" / "demo.yaml"), "net", "First title")]
    assert load(pack).patterns == first.patterns  # built from the entry, equal to the checked load

    cache.write(key, [(path, area, {**doc, "title": "From the entry"}) for path, area, doc in rows])
    assert load(pack).by_id("demo").title == "From the entry"


def test_the_builtin_library_from_the_entry_equals_the_checked_one() -> None:
    """Every built-in pattern comes back from the entry equal, field for field, in the same order."""
    checked = load_library()
    assert len(entries()) == 1
    loader._checked.cache_clear()
    again = load_library()
    assert again.patterns == checked.patterns
    assert [p.path for p in again.patterns] == [p.path for p in checked.patterns]


def test_an_edited_pattern_file_is_never_served_stale(tmp_path: Path) -> None:
    """Any byte of any file is in the key: an edit that keeps the size and the modification time is
    seen, and a file edited into a broken one raises although a valid entry of the old bytes exists."""
    pack = tmp_path / "pack"
    path = write(pack, title="First title")
    assert load(pack).by_id("demo").title == "First title"
    stat = path.stat()
    write(pack, title="Other title")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert load(pack).by_id("demo").title == "Other title"

    write(pack, regex="(?=lookahead)")
    with pytest.raises(PatternError, match="lookahead"):
        load(pack)
    assert len(entries()) == 2  # the two clean versions; the broken one is never stored


def test_a_new_or_removed_file_is_a_new_key(tmp_path: Path) -> None:
    """Adding a file to the pack, or removing it, never serves the other set of patterns."""
    pack = tmp_path / "pack"
    write(pack)
    assert [p.id for p in load(pack).patterns] == ["demo"]
    extra = write(pack, pid="second")
    assert [p.id for p in load(pack).patterns] == ["demo", "second"]
    extra.unlink()
    assert [p.id for p in load(pack).patterns] == ["demo"]


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty", "other-key", "bad-rows"])
def test_a_damaged_entry_is_ignored_and_rewritten(tmp_path: Path, damage: str) -> None:
    """A truncated, altered or foreign entry is a miss: the load checks the files and rewrites it."""
    pack = tmp_path / "pack"
    write(pack)
    checked = load(pack)
    entry, key = only_entry()
    good = entry.read_bytes()
    head, _, body = good.partition(b"\n")
    broken = {
        "truncated": good[: len(good) // 2],
        "flipped": head + b"\n" + body.replace(b"First title", b"First titlf"),
        "garbage": b"\x00\xff not json at all",
        "empty": b"",
        "other-key": good.replace(key.encode(), b"0" * len(key), 1),
        "bad-rows": _entry(key, b'[["only a path"]]'),
    }[damage]
    entry.write_bytes(broken)
    assert cache.read(key) is None
    assert load(pack).patterns == checked.patterns
    assert entry.read_bytes() == good


def _entry(key: str, body: bytes) -> bytes:
    """An entry whose header is intact (right key, right digest) around ``body``."""
    import hashlib

    header = {"format": cache.FORMAT, "key": key, "body": hashlib.blake2b(body).hexdigest()}
    return json.dumps(header).encode() + b"\n" + body


def test_an_entry_that_no_longer_builds_is_checked_again(tmp_path: Path) -> None:
    """An intact entry whose document does not build (edited by hand) is a miss, then rewritten."""
    pack = tmp_path / "pack"
    write(pack)
    checked = load(pack)
    _, key = only_entry()
    rows = cache.read(key)
    assert rows is not None
    cache.write(key, [(path, area, {**doc, "category": "no-such-category"}) for path, area, doc in rows])
    assert load(pack).patterns == checked.patterns
    assert cache.read(key) == rows


def test_a_cache_directory_that_cannot_be_written_is_skipped(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """RCA_CACHE_DIR under a regular file: loads work as without a cache, and nothing is raised."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("RCA_CACHE_DIR", str(blocker / "cache"))
    pack = tmp_path / "pack"
    write(pack)
    assert load(pack).by_id("demo").title == "First title"
    assert load(pack).by_id("demo").title == "First title"
    assert blocker.read_text(encoding="utf-8") == "not a directory"


def test_lint_reports_every_problem_whatever_is_stored(tmp_path: Path) -> None:
    """Lint never reads the cache: a clean pack's entry does not hide the problems of its edit."""
    pack = tmp_path / "pack"
    write(pack)
    load(pack)
    write(pack, regex="(?=lookahead)")
    write(pack, pid="second", regex="(a)\\1")
    messages = [p.message for p in lint_dirs([pack], include_builtin=False) if p.blocking]
    assert any("lookahead" in m for m in messages) and any("backreference" in m for m in messages)


@pytest.mark.parametrize("value", [datetime.date(2025, 1, 2), {1: "int key"}, float("nan"), "\ud800"])
def test_a_document_json_would_change_is_not_stored(value: object) -> None:
    """YAML can hold what JSON cannot give back unchanged; such an entry is not written at all."""
    cache.write("k" * 40, [("p.yaml", "net", {"id": "p", "odd": value})])
    assert entries() == []


def test_only_the_entries_last_used_are_kept() -> None:
    """Editing patterns many times does not fill the disk: the entries least recently written or
    read are removed, and an entry read since is kept however old its writing."""
    for i in range(cache.KEEP + 3):
        cache.write(f"{i:040d}", [("p.yaml", "net", {"id": "p"})])
        os.utime(cache.directory() / f"library-{i:040d}.json", (i, i))
    kept = [p.name for p in entries()]
    assert kept == [f"library-{i:040d}.json" for i in range(3, cache.KEEP + 3)]
    assert cache.read(f"{3:040d}") == [("p.yaml", "net", {"id": "p"})]  # the oldest, read now
    cache.write("f" * 40, [("p.yaml", "net", {"id": "p"})])
    names = {p.name for p in entries()}
    assert f"library-{3:040d}.json" in names and f"library-{4:040d}.json" not in names


def test_the_key_covers_the_schema_the_directories_and_the_files() -> None:
    """Another schema, another directory list or another file digest gives another key."""
    base = cache.key(["/p"], [("/p", "abc")], b"{}")
    assert base == cache.key(["/p"], [("/p", "abc")], b"{}")
    others = {cache.key(["/p"], [("/p", "abc")], b'{"type": "object"}'),
              cache.key(["/q"], [("/p", "abc")], b"{}"),
              cache.key(["/p"], [("/p", "abd")], b"{}")}
    assert base not in others and len(others) == 3


def test_the_prefilter_alternations_come_back_from_disk_and_a_damaged_entry_is_recomputed() -> None:
    from rca.engine import match

    patterns = load_library().patterns
    computed = match.prefilter_chunks(patterns, match.ATOM_CHUNK_CHARS)
    stored = sorted(cache.directory().glob("prefilter-*.json"))
    assert len(stored) == 1
    assert match.prefilter_chunks(patterns, match.ATOM_CHUNK_CHARS) == computed
    # another library (one pattern fewer) is another entry, never the first one's chunks
    fewer = match.prefilter_chunks(patterns[1:], match.ATOM_CHUNK_CHARS)
    assert len(sorted(cache.directory().glob("prefilter-*.json"))) == 2
    assert fewer == match.prefilter.pack(match.prefilter.alternation_parts(
        [e for p in patterns[1:] for e in match._prefilter_exprs(p)]), match.ATOM_CHUNK_CHARS)
    stored[0].write_text(stored[0].read_text(encoding="utf-8")[:-40], encoding="utf-8")  # cut short
    assert match.prefilter_chunks(patterns, match.ATOM_CHUNK_CHARS) == computed
