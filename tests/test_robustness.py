"""Readers under fire: nasty files, random bytes and random entries end in a report or a clear error.

Every file of tests/data/nasty (truncated arrays, garbage lines, bad encodings, NUL bytes, deep
nesting, wrong types, missing fields, every timestamp form, binary and unrelated files) goes through
the loader, and one file per kind of damage through the CLI (in process; scripts/robustness.py runs
the real CLI in a subprocess on all of them): the exit code is a documented one and stderr never
holds a Python traceback. Property tests feed the loader random bytes and random LogEntry-shaped
objects. Big inputs are generated in tmp; the million-line run lives in scripts/robustness.py.
"""

from __future__ import annotations

import ast
import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rca import api
from rca.errors import PatternError, RcaError
from rca.library.loader import load_library
from rca.sources.text import parse_timestamp
from tests.suite import SLOW, Ran, cli, split

REPO = Path(__file__).resolve().parent.parent
NASTY = REPO / "tests" / "data" / "nasty"
CORPUS = sorted(p for p in NASTY.iterdir() if p.is_file() and p.name != "README.md")
DOCUMENTED = {0, 1, 2}

# Files that must load (exit 0): the damage is skipped and counted, the rest analysed.
MUST_REPORT = {
    "truncated_array.json", "ndjson_garbage.ndjson", "latin1.log", "latin1.ndjson", "utf16_bom.json",
    "utf16_bom.log", "lone_surrogate.ndjson", "lone_surrogate_array.json", "nul_bytes.log",
    "logrotate_nul_prefix.log", "deep_nesting.ndjson", "deep_nesting_array.json", "deep_objects.ndjson",
    "wrong_types.ndjson", "wrong_types_array.json", "missing_fields.ndjson", "missing_fields_array.json",
    "timestamp_forms.ndjson", "timestamp_forms_array.json", "timestamp_forms.log",
    "duplicate_insert_ids.ndjson", "out_of_order.ndjson", "infinity_nan.ndjson", "crlf.log",
    "control_chars.log", "huge_numbers.ndjson", "year_out_of_range.ndjson", "csv_ragged.csv",
    "pasted_broken_object.json",
}  # fmt: skip
# Files that are not logs: exit 2 with the file named.
MUST_REJECT = {"page.html", "page_no_doctype.html", "image.png", "archive.zip", "unrelated_array.json",
               "gzip_truncated.json.gz",
               # nothing usable at all, and the line where it broke is worth naming
               "truncated_first_element.json"}  # fmt: skip
# Nothing to analyse: exit 1 with a reason.
MUST_BE_EMPTY = {"empty.json", "whitespace_only.log", "bom_only.json"}
# Unrelated data that plain-text reading may accept as a bare paste: any documented exit will do.
ANY_DOCUMENTED = {"unrelated.json", "unrelated.csv", "unrelated_numbers.json", "json_scalar.json"}


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> Ran:
    """`rca ...` in process (tests/suite.py: a crash still shows as a traceback on stderr)."""
    return cli(*args, stdin=stdin, env=env)


def assert_clean_exit(proc: Ran, allowed: set[int] = DOCUMENTED) -> None:
    """Exit code documented and no Python traceback or internal error on stderr."""
    err = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    assert "internal error" not in err, err[-3000:]
    assert proc.returncode in allowed, (proc.returncode, err[-2000:])


def entry(i: int, **fields: Any) -> dict[str, Any]:
    """A canonical Cloud Run stderr entry ``i`` seconds into 14:00 UTC, with fields overridden."""
    data: dict[str, Any] = {
        "timestamp": f"2025-09-15T14:{i // 60 % 60:02d}:{i % 60:02d}.000000Z",
        "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "svc"}},
        "severity": "ERROR",
        "insertId": f"id{i}",
        "textPayload": f"connection refused {i}",
    }
    data.update(fields)
    return data


def test_corpus_is_classified() -> None:
    """Every nasty file has exactly one expected outcome, so a new file cannot slip in unchecked."""
    names = {p.name for p in CORPUS}
    groups = (MUST_REPORT, MUST_REJECT, MUST_BE_EMPTY, ANY_DOCUMENTED)
    assert names == set().union(*groups)
    assert sum(len(g) for g in groups) == len(names)


# One file per kind of damage goes through the CLI in process (the loader test below reads every
# file; scripts/robustness.py runs the real CLI in a subprocess on all of them). The default suite
# keeps three kinds, the full suite all of them.
CLI_SAMPLE = ["truncated_array.json", "ndjson_garbage.ndjson", "utf16_bom.json", "lone_surrogate.ndjson",
              "nul_bytes.log", "deep_nesting_array.json", "wrong_types.ndjson", "infinity_nan.ndjson",
              "page.html", "image.png", "empty.json", "unrelated.json"]  # fmt: skip
CLI_FAST = ("truncated_array.json", "page.html", "empty.json")


def _expect(name: str, code: int | None, stdout: str, stderr: str) -> None:
    """Check one outcome against the file's class (code None: an RcaError in-process)."""
    shown = str(NASTY / name)
    if name in MUST_REPORT:
        assert code == 0, stderr
    elif name in MUST_REJECT:
        assert code == 2 and shown in stderr, (code, stderr)
    elif name in MUST_BE_EMPTY:
        assert code == 1 and "no log entries" in stderr, (code, stderr)


@pytest.mark.parametrize("name", split(CLI_SAMPLE, CLI_FAST))
def test_nasty_file_through_the_cli(name: str) -> None:
    """The CLI on a nasty file exits 0/1/2 without a traceback; errors name the file; reports parse."""
    proc = run_cli("analyze", "--input", str(NASTY / name), "--since", "1h", "--format", "json")
    assert_clean_exit(proc)
    _expect(name, proc.returncode, proc.stdout, proc.stderr)
    if proc.returncode == 0:
        assert json.loads(proc.stdout)["stats"]["entries"] >= 1


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_nasty_file_loads_or_raises_a_documented_error(path: Path) -> None:
    """Loading any corpus file gives entries or an RcaError whose exit code and message fit its class."""
    try:
        loaded = api.load([str(path)], since="1h")
    except RcaError as exc:
        assert exc.exit_code in DOCUMENTED
        _expect(path.name, exc.exit_code, "", f"rca: error: {exc}")
        return
    assert loaded.window_count() >= 1
    _expect(path.name, 0, "", "")


def _load(path: Path) -> api.Loaded:
    return api.load([str(path)], since="1h")


@pytest.mark.parametrize("containers", [{"0": {"image": "gcr.io/p/app:2"}}, "gcr.io/p/app:2", [None]])
def test_a_deploy_request_of_an_odd_shape_is_read_as_far_as_it_goes(containers: Any, tmp_path: Path) -> None:
    """An audit entry's request whose `containers` is no list of objects (a flattened export's
    object keyed by index, a string, a null) is a deploy with settings unread, not an internal
    error (held-out TF05 exited 70)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("shop", 3, day(2026, 1, 30, 12))
    old, new = inc.revision(4), inc.revision(5)
    inc.traffic(0, 600, old, [inc.instance()])
    entry = inc.deploy(300, new, old, "gcr.io/p/app:2", api="v2")
    entry["protoPayload"]["request"]["service"]["template"]["containers"] = containers
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    assert api.analyze([path], service="shop").result.verdict.state.value == "ok"


def test_truncated_array_keeps_entries_before_the_cut() -> None:
    """A JSON array cut mid-element keeps every whole element before the cut and says it was truncated."""
    loaded = _load(NASTY / "truncated_array.json")
    assert loaded.window_count() == 4
    assert loaded.problems.counts["truncated"] == 1


def test_garbage_lines_are_counted_with_line_numbers() -> None:
    """NDJSON garbage lines are skipped by number; every good line survives."""
    loaded = _load(NASTY / "ndjson_garbage.ndjson")
    assert loaded.window_count() == 6
    lines = sorted(p.line for p in loaded.problems.kept if p.line is not None)
    assert lines == [3, 5, 6, 7]


def test_broken_object_among_pasted_ones_is_skipped_by_line() -> None:
    """Back-to-back pretty-printed entries: a broken one is named by its first line and the line of
    the fault, and the entries after it still load."""
    loaded = api.load([str(NASTY / "pasted_broken_object.json")])
    assert list(loaded.frame()["message"]) == ["first entry", "third entry"]
    assert [str(p).split("/")[-1] for p in loaded.problems.kept] == [
        "pasted_broken_object.json:15: invalid JSON object (line 27: Expecting ',' delimiter); "
        "not read as an entry"
    ]


def test_deep_nesting_skips_only_the_deep_element() -> None:
    """A 10,000-level element is skipped and counted; its neighbour in the same array still loads."""
    loaded = _load(NASTY / "deep_nesting_array.json")
    assert [m for (m,) in loaded.store.rows("SELECT message FROM entries")] == [
        "sqlalchemy.exc.OperationalError: connection refused 2"
    ]
    assert any("nested too deep" in p.reason for p in loaded.problems.kept)


def test_utf16_export_reads_like_utf8() -> None:
    """A UTF-16 export with BOM (PowerShell `>` redirect) loads the same entries as its UTF-8 twin."""
    loaded = _load(NASTY / "utf16_bom.json")
    assert loaded.window_count() == 3
    assert loaded.problems.total == 0


def test_nul_bytes_are_removed_and_counted() -> None:
    """NULs in a text log are dropped from the text and counted per line; the lines still parse."""
    loaded = _load(NASTY / "logrotate_nul_prefix.log")
    rows = list(loaded.store.rows("SELECT ts IS NOT NULL, message FROM entries ORDER BY entry_id"))
    assert rows[0] == (True, "2025-09-15 14:00:01,123 ERROR connection refused")
    assert loaded.problems.counts["nul-bytes"] == 1


def test_lone_surrogates_become_replacement_characters() -> None:
    """A lone surrogate escape survives as U+FFFD instead of crashing the spool."""
    loaded = _load(NASTY / "lone_surrogate_array.json")
    messages = [m for (m,) in loaded.store.rows("SELECT message FROM entries ORDER BY entry_id")]
    assert "\ufffd" in messages[0]


def test_timestamp_forms_all_land_on_the_same_minute() -> None:
    """Offsets (+05:30, -0700), Z, no zone, 9 digits, ` UTC` and epoch forms all normalise to 14:00 UTC."""
    loaded = _load(NASTY / "timestamp_forms.ndjson")
    stamps = [ts for (ts,) in loaded.store.rows("SELECT ts FROM entries ORDER BY line_no")]
    assert len(stamps) == 12
    assert all(ts is not None and ts.strftime("%Y-%m-%d %H:%M") == "2025-09-15 14:00" for ts in stamps)
    assert [ts.second for ts in stamps] == list(range(1, 13))
    assert loaded.load_stats().naive_timestamps == 1


def test_duplicates_and_order() -> None:
    """Duplicate insertIds collapse (same id and time) and out-of-order lines come back in time order."""
    dup = _load(NASTY / "duplicate_insert_ids.ndjson")
    assert dup.window_count() == 3
    assert dup.store.stats.duplicates == 3
    ooo = _load(NASTY / "out_of_order.ndjson")
    seconds = [ts.second for (ts,) in ooo.store.rows("SELECT ts FROM entries ORDER BY entry_id")]
    assert seconds == sorted(seconds) == [0, 1, 3, 5, 7, 9]


def test_wrong_types_are_skipped_per_line() -> None:
    """Numbers where strings belong are read or skipped line by line, never failing the file."""
    loaded = _load(NASTY / "wrong_types.ndjson")
    assert loaded.window_count() + loaded.problems.total + loaded.store.stats.outside_window >= 13
    messages = {m for (m,) in loaded.store.rows("SELECT message FROM entries")}
    assert "5" in messages  # textPayload: 5 is still text


def test_ten_megabyte_line_loads(tmp_path: Path) -> None:
    """One 10 MB line between two ordinary ones is read whole, in NDJSON and in a text log."""
    big = "x" * (10 * 1024 * 1024)
    ndjson = tmp_path / "long.ndjson"
    ndjson.write_text(
        "\n".join(json.dumps(e) for e in (entry(1), entry(2, textPayload=big), entry(3))) + "\n"
    )
    loaded = api.load([str(ndjson)], since="1h")
    assert loaded.window_count() == 3
    text = tmp_path / "long.log"
    text.write_text(f"2025-09-15 14:00:01,000 ERROR a\n2025-09-15 14:00:02,000 INFO {big}\n")
    lengths = [
        n for (n,) in api.load([str(text)], since="1h").store.rows("SELECT length(message) FROM entries")
    ]
    assert max(lengths) > 10 * 1024 * 1024


@SLOW
def test_streamed_200k_lines_through_stdin(tmp_path: Path) -> None:
    """200,000 NDJSON lines piped on stdin analyse to a report (memory is measured by the script)."""
    path = tmp_path / "big.ndjson"
    line = (
        '{{"timestamp":"2025-09-15T14:{m:02d}:{s:02d}.{i:06d}Z","insertId":"{i}",'
        '"logName":"projects/p/logs/run.googleapis.com%2Fstderr","textPayload":"{t}"}}\n'
    )
    with path.open("w") as out:
        for i in range(200_000):
            text = "psycopg2.OperationalError: connection refused" if i % 50 == 0 else "GET /x 200"
            out.write(line.format(m=i // 60 % 60, s=i % 60, i=i, t=text))
    proc = run_cli("analyze", "--input", "-", "--since", "2h", "--format", "json", stdin=path.read_bytes())
    assert_clean_exit(proc, {0})
    assert json.loads(proc.stdout)["stats"]["read"] == 200_000


# --------------------------------------------------------------------------- properties

_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_bytes(data: bytes, suffix: str) -> None:
    """Load ``data`` from a temp file; only rca's own errors may escape."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"in{suffix}"
        path.write_bytes(data)
        with contextlib.suppress(RcaError):
            api.load([str(path)], since="1h").store.close()


def test_c1_control_characters_in_a_key_do_not_crash_the_typed_reader() -> None:
    """Found by the property below: DuckDB's error for this line quotes its bytes cut mid-character,
    so the error surfaced as UnicodeDecodeError and escaped the fallback to the checked reader."""
    odd = {"logName": "projects/p/logs/x", "timestamp": None, "operation": None, "receiveTimestamp": None,
           "sourceLocation": [False, {"": None, "000\U00010000": None, "0\x1f\x1f\r\x80\x80": None}]}
    lines = [json.dumps({"logName": "projects/p/logs/x"}), json.dumps(odd)]
    _load_bytes("\n".join(lines).encode("utf-8"), ".json")


@_SETTINGS
@given(st.binary(max_size=2000), st.sampled_from([".json", ".log", ".csv"]))
def test_random_bytes_never_crash_the_loader(data: bytes, suffix: str) -> None:
    """Arbitrary bytes load or raise an RcaError, nothing else."""
    _load_bytes(data, suffix)


_LINE_PREFIXES = st.sampled_from(
    [b"[", b"{", b"[{", b"timestamp,severity,textPayload\n", b"2025-09-15 14:00:00 "]
)


@_SETTINGS
@given(_LINE_PREFIXES, st.binary(max_size=1500))
def test_random_bytes_after_a_format_sniff_never_crash(prefix: bytes, data: bytes) -> None:
    """Bytes that look like the start of each format, then garbage, never crash a reader."""
    _load_bytes(prefix + data, ".json")


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = [
    "timestamp",
    "receiveTimestamp",
    "severity",
    "logName",
    "textPayload",
    "jsonPayload",
    "protoPayload",
    "httpRequest",
    "resource",
    "labels",
    "insertId",
    "trace",
    "sourceLocation",
    "operation",
]
_ENTRIES = st.fixed_dictionaries(
    {"logName": st.one_of(st.just("projects/p/logs/x"), _VALUES)},
    optional={
        name: st.one_of(_VALUES, st.just("2025-09-15T14:00:00Z")) for name in _FIELDS if name != "logName"
    },
)


@_SETTINGS
@given(st.lists(_ENTRIES, min_size=1, max_size=5), st.sampled_from(["array", "ndjson"]))
def test_random_entries_never_crash_the_loader(entries: list[dict[str, Any]], shape: str) -> None:
    """LogEntry-shaped objects with any type in any field load or raise an RcaError."""
    data = json.dumps(entries) if shape == "array" else "\n".join(json.dumps(e) for e in entries) + "\n"
    _load_bytes(data.encode("utf-8", "surrogatepass"), ".json")


@_SETTINGS
@given(
    st.one_of(
        _SCALARS,
        st.from_regex(r"\A\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?([.,]\d{1,12})?( ?(Z|UTC|[+-]\d\d:?\d\d))?\Z"),
    )
)
def test_parse_timestamp_never_raises(value: object) -> None:
    """Any scalar or timestamp-shaped text parses to a stamp or None, never an exception or a hang."""
    stamp = parse_timestamp(value)
    assert stamp is None or stamp.rfc3339.endswith("Z")


# --------------------------------------------------------------------------- user pattern packs

GOOD_PATTERN = """\
id: {id}
title: Example failure
category: network-connectivity
layer: application
severity: error
role: cause
why: the database refused connections
match:
  any:
    - '{regex}'
examples:
  match: ["connection refused"]
  no_match: ["all good"]
"""

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

PACKS: dict[str, tuple[str, str, str]] = {
    # case: (file name, content, text the error must hold besides the file name)
    "invalid-yaml": ("bad-yaml.yaml", "id: [unclosed\ntitle: x\n", "invalid YAML at line"),
    "schema-missing-field": (
        "no-why.yaml",
        GOOD_PATTERN.format(id="no-why", regex="x").replace("why: the database refused connections\n", ""),
        "why",
    ),
    "schema-wrong-type": (
        "bad-sev.yaml",
        GOOD_PATTERN.format(id="bad-sev", regex="x").replace("severity: error", "severity: 7"),
        "severity",
    ),
    "lookahead": ("look.yaml", GOOD_PATTERN.format(id="look", regex="(?=refused)connection"), "lookahead"),
    "backreference": ("backref.yaml", GOOD_PATTERN.format(id="backref", regex="(a)\\1"), "backreference"),
    "enormous": ("huge.yaml", GOOD_PATTERN.format(id="huge", regex="a" * 5000), "5000 characters"),
    "id-clash-with-file": ("clash.yaml", GOOD_PATTERN.format(id="other-id", regex="x"), "id"),
    "billion-laughs": ("bomb.yaml", BILLION_LAUGHS, "bomb.yaml"),
    "not-a-mapping": ("list.yaml", "- a\n- b\n", "mapping"),
    "python-tag": ("tag.yaml", "!!python/object/apply:os.system ['echo pwned']\n", "invalid YAML"),
}


@pytest.mark.parametrize("case", sorted(PACKS))
def test_bad_pattern_pack_is_a_clear_pattern_error(case: str, tmp_path: Path) -> None:
    """A broken user pattern names its file (and field) in a PatternError, never hanging or running code."""
    name, content, needle = PACKS[case]
    (tmp_path / name).write_text(content)
    with pytest.raises(PatternError) as info:
        load_library([tmp_path])
    message = str(info.value)
    assert str(tmp_path / name) in message
    assert needle in message


def test_duplicate_id_across_files_in_one_pack(tmp_path: Path) -> None:
    """Two files of one pack with the same id are refused, naming both files."""
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "dup-id.yaml").write_text(GOOD_PATTERN.format(id="dup-id", regex="x"))
    with pytest.raises(PatternError, match="duplicate id 'dup-id'") as info:
        load_library([tmp_path])
    assert str(tmp_path / "a" / "dup-id.yaml") in str(info.value)


def test_bad_pack_via_cli_exits_two_naming_file_and_field(tmp_path: Path) -> None:
    """`rca analyze --patterns DIR` with a lookahead pattern exits 2 naming file and field, no traceback."""
    (tmp_path / "look.yaml").write_text(GOOD_PATTERN.format(id="look", regex="(?=refused)connection"))
    proc = run_cli(
        "analyze", "--input", str(NASTY / "crlf.log"), "--since", "1h", "--patterns", str(tmp_path)
    )
    assert_clean_exit(proc, {2})
    assert f"{tmp_path / 'look.yaml'}: match.any[0]" in proc.stderr


def test_pathological_regex_stays_linear_in_python_extraction(tmp_path: Path) -> None:
    """`(a+)+$` against 200,000 a's then a b is answered by RE2 at once (Python re would never return)."""
    (tmp_path / "redos.yaml").write_text(GOOD_PATTERN.format(id="redos", regex="(a+)+$|connection refused"))
    library = load_library([tmp_path], include_builtin=False)
    from rca.library.loader import extract_fields, message_matches

    pattern = library.by_id("redos")
    hostile = "a" * 200_000 + "b"
    assert not message_matches(pattern, hostile)
    assert extract_fields(pattern, hostile) == {}
    assert message_matches(pattern, "a" * 200_000)


_RE_FUNCS = frozenset(
    {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}
)
# Functions that call `re` with a non-literal expression taken from the module's own constant tables.
_DYNAMIC_ALLOWED = {("rca/mining/suggest.py", "_guess"), ("rca/mining/mask.py", "_regex")}


def _imported_modules(tree: ast.Module) -> set[str]:
    """Names bound by `import re` / `import regex` at module level."""
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name in ("re", "regex")
    }


def _dynamic_re_calls(path: Path) -> list[str]:
    """Calls of re.*/regex.* inside functions whose expression is not a literal: where user text could go.

    Module-level calls run at import time on the module's own constants, so they are not counted.
    """
    rel = path.relative_to(REPO).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = _imported_modules(tree)
    found = []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        if (rel, function.name) in _DYNAMIC_ALLOWED:
            continue
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if not (isinstance(owner, ast.Name) and owner.id in modules and node.func.attr in _RE_FUNCS):
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant):
                continue
            found.append(f"{rel}:{node.lineno} in {function.name}: {ast.unparse(node)[:100]}")
    return sorted(set(found))


def test_no_backtracking_engine_compiles_user_patterns() -> None:
    """Only RE2 compiles non-literal expressions: no `re`/`regex` call in a function takes one from input."""
    offenders = [hit for path in sorted((REPO / "rca").rglob("*.py")) for hit in _dynamic_re_calls(path)]
    assert offenders == []
    match_py = (REPO / "rca" / "engine" / "match.py").read_text(encoding="utf-8")
    assert "re2.compile(expr" in match_py or "compile_re2(" in match_py
