"""JSON arrays read by DuckDB's typed reader (rca/sources/typed_array.py) stage exactly the rows the
element-by-element Python reader stages, and anything else is left to the Python reader.

Every comparison loads the same file both ways into real stores and compares the `staged` rows,
normalised as read (all columns but `line_no`, which is the element's line for the Python reader
and unset, to be numbered by its ordinal, for the typed one).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rca.engine.store import Store
from rca.sources.files import _read_json_array, _read_json_array_checked
from rca.sources.problems import Problems
from rca.sources.typed_array import MAX_BRACKETS, read_typed_array
from tests.suite import SLOW, split

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.json"))


def entry(i: int, **fields: Any) -> dict[str, Any]:
    """A canonical Cloud Run entry, ``i`` seconds before 15:00 UTC (so a list runs newest first)."""
    data: dict[str, Any] = {
        "insertId": f"id{i}",
        "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
        "receiveTimestamp": f"2025-09-15T14:{59 - i // 60 % 60:02d}:{59 - i % 60:02d}.100000Z",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "svc", "location": "eu"}},
        "severity": "ERROR",
        "textPayload": f"connection refused {i}",
        "timestamp": f"2025-09-15T14:{59 - i // 60 % 60:02d}:{59 - i % 60:02d}.000000Z",
    }
    data.update(fields)
    return data


def staged(store: Store) -> list[tuple[Any, ...]]:
    return store.con.execute("SELECT * EXCLUDE (line_no) FROM staged ORDER BY rowid").fetchall()


def both_ways(path: Path) -> tuple[int | None, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(typed count or None, rows the typed reader staged, rows the Python reader staged)."""
    typed, python = Store(), Store()
    try:
        count = read_typed_array(path, "f.json", typed)
        _read_json_array_checked(path, "f.json", python, Problems())
        return count, staged(typed), staged(python)
    finally:
        typed.close()
        python.close()


def write(tmp_path: Path, entries: list[Any], *, indent: int | None = 2) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(entries, indent=indent, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("sample", split(SAMPLES, {"billing-api-2025-10-02.json"}))
def test_every_sample_export_is_read_by_the_typed_reader_with_the_same_rows(sample: str) -> None:
    """gcloud exports are plain: the typed reader takes each whole, and stages the Python reader's rows."""
    count, typed, python = both_ways(ROOT / "examples" / sample)
    assert count == len(python) > 1000
    assert typed == python


def test_a_plain_export_with_every_staged_field_is_taken(tmp_path: Path) -> None:
    """Request logs, jsonPayload, sourceLocation, an audit entry and labels: all plain, same rows."""
    entries = [
        entry(0, httpRequest={"requestMethod": "GET", "requestUrl": "https://x/a", "status": 503,
                              "latency": "0.004512113s", "responseSize": "12"}, trace="projects/p/traces/t1",
              spanId="s1", labels={"instanceId": "i-1"}),
        entry(1, textPayload=None, jsonPayload={"message": "pool exhausted", "n": 1.5, "e": "é"},
              sourceLocation={"file": "app.py", "line": "42", "function": "run"}),
        entry(2, protoPayload={"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                               "methodName": "google.cloud.run.v1.Services.ReplaceService",
                               "request": {"spec": {"containerConcurrency": 80}}},
              logName="projects/p/logs/cloudaudit.googleapis.com%2Factivity", severity="NOTICE"),
        entry(3, sourceLocation={"file": "main.go", "line": 7}, receiveTimestamp=None),
        entry(4, timestamp="2025-09-15T14:59:55Z", severity=None),
    ]
    count, typed, python = both_ways(write(tmp_path, entries))
    assert count == 5
    assert typed == python


def _swap(i: int) -> dict[str, Any]:
    """Times that go back then forward again."""
    return entry(i, timestamp=entry(3 - i if i < 2 else i)["timestamp"])


# (case, the entries): each is read correctly by the Python reader alone.
NOT_PLAIN: dict[str, list[Any]] = {
    "lower-case severity": [entry(0), entry(1, severity="error")],
    "numeric severity": [entry(0, severity=500)],
    "snake_case field": [entry(0, text_payload="x")],
    "severity_number": [entry(0, severity=None, severity_number=17)],
    "empty textPayload": [entry(0, textPayload="")],
    "empty insertId": [entry(0, insertId="")],
    "empty jsonPayload": [entry(0, textPayload=None, jsonPayload={})],
    "jsonPayload as JSON text": [entry(0, textPayload=None, jsonPayload='{"message": "x"}')],
    "labels as JSON text": [entry(0, labels='{"instanceId": "i"}')],
    "resource labels as JSON text": [entry(0, resource={"type": "t", "labels": '{"service_name": "s"}'})],
    "status as text": [entry(0, httpRequest={"status": "503"})],
    "latency as a number": [entry(0, httpRequest={"status": 200, "latency": 0.5})],
    "latency as a record": [entry(0, httpRequest={"status": 200, "latency": {"seconds": 1}})],
    "snake_case httpRequest": [entry(0, httpRequest={"request_method": "GET", "status": 200})],
    "sourceLocation line as a float": [entry(0, sourceLocation={"file": "a", "line": 4.0})],
    "snake_case protoPayload": [entry(0, protoPayload={"@type": "t", "method_name": "m"})],
    "snake_case deep in protoPayload": [entry(0, protoPayload={"@type": "t", "request": {"a": {"b_c": 1}}})],
    "protoPayload request as JSON text": [entry(0, protoPayload={"@type": "t", "request": '{"a": 1}'})],
    "protoPayload without @type": [entry(0, protoPayload={"methodName": "m"})],
    "time with an offset": [entry(0, timestamp="2025-09-15T16:59:59+02:00")],
    "time without a zone": [entry(0, timestamp="2025-09-15T14:59:59")],
    "impossible date": [entry(0, timestamp="2025-02-30T14:59:59Z")],
    "leap second": [entry(0, timestamp="2016-12-31T23:59:60Z")],
    "lower-case t and z": [entry(0, timestamp="2025-09-15t14:59:59z")],
    "epoch number": [entry(0, timestamp=1757948399)],
    "no timestamp": [entry(0, timestamp=None)],
    "receiveTimestamp with an offset": [entry(0, receiveTimestamp="2025-09-15T16:59:59+02:00")],
    "no logName": [{k: v for k, v in entry(0).items() if k != "logName"}],
    "text stream": [entry(0, logName="local/stderr")],
    "text stream under /logs/": [entry(0, logName="projects/p/logs/local%2Fstderr")],
    "a non-entry element": [entry(0), {"hello": "world"}],
    "a scalar element": [entry(0), 3],
    "deep nesting": [entry(0, jsonPayload=json.loads('{"a":' * MAX_BRACKETS + "1" + "}" * MAX_BRACKETS))],
    "times back and forth": [_swap(i) for i in range(4)],
    "_line given": [entry(0, _line=7)],
    "empty array": [],
}


@pytest.mark.parametrize("case", sorted(NOT_PLAIN))
def test_what_is_not_plain_is_left_to_the_python_reader(tmp_path: Path, case: str) -> None:
    """The typed reader declines (nothing staged), and the array reader's answer is the Python one."""
    path = write(tmp_path, NOT_PLAIN[case])
    count, typed, _ = both_ways(path)
    assert count is None and typed == []
    via_reader, python = Store(), Store()
    try:
        problems_a, problems_b = Problems(), Problems()
        assert _read_json_array(path, "f.json", via_reader, problems_a) == \
            _read_json_array_checked(path, "f.json", python, problems_b)
        assert staged(via_reader) == staged(python) and problems_a == problems_b
    finally:
        via_reader.close()
        python.close()


@pytest.mark.parametrize("damage", ["truncated", "bad-utf8", "lone-surrogate", "repeated-key",
                                    "trailing-text", "two-arrays", "control-character"])
def test_a_damaged_file_is_left_to_the_python_reader(tmp_path: Path, damage: str) -> None:
    """What DuckDB refuses (or would read differently) goes to the reader that reports the damage."""
    good = json.dumps([entry(0), entry(1)], indent=2).encode()
    data = {
        "truncated": good[: len(good) - 40],
        "bad-utf8": good.replace(b"connection refused 1", b"connection \xff\xfe 1"),
        "lone-surrogate": good.replace(b"connection refused 1", b"connection \\ud800 1"),
        "repeated-key": good.replace(b'"severity": "ERROR"', b'"severity": "ERROR", "severity": "INFO"', 1),
        "trailing-text": good + b" and more",
        "two-arrays": good + b"\n" + good,
        "control-character": good.replace(b"connection refused 1", b"connection\x01refused 1"),
    }[damage]
    path = tmp_path / "export.json"
    path.write_bytes(data)
    store = Store()
    try:
        assert read_typed_array(path, "f.json", store) is None
        assert staged(store) == []
    finally:
        store.close()


@pytest.mark.parametrize("field", ["textPayload", "insertId", "jsonPayload"])
@pytest.mark.parametrize("number", ["1e400", "-1E+400", "1.5e309", "9" * 320 + ".5"])
def test_a_number_past_double_range_is_left_to_the_python_reader(tmp_path: Path, field: str,
                                                                 number: str) -> None:
    """Python reads it as Infinity, DuckDB keeps its text: the typed reader must decline."""
    token = f'{{"a": {number}}}' if field == "jsonPayload" else number
    path = tmp_path / "export.json"
    path.write_text(json.dumps([entry(0, **{field: "@@"})], indent=2).replace('"@@"', token),
                    encoding="utf-8")
    count, typed, _ = both_ways(path)
    assert count is None and typed == []


def test_numbers_in_range_are_taken_as_read(tmp_path: Path) -> None:
    """Exponents, a minus zero, a long mantissa, a huge integer: DuckDB stages what Python would."""
    path = tmp_path / "export.json"
    tokens = ["1.50", "1e2", "-0", "1E-400", "0.1000000000000000055511151231257827",
              "12345678901234567890123", '{"a": 1.5e30, "b": [1e-5, -0.0]}']
    entries = [entry(i, textPayload=f"@@{i}") for i in range(len(tokens))]
    text = json.dumps(entries, indent=2)
    for i, token in enumerate(tokens):
        text = text.replace(f'"@@{i}"', token)
    path.write_text(text, encoding="utf-8")
    count, typed, python = both_ways(path)
    assert count == len(tokens) and typed == python


def test_oldest_first_and_equal_times_are_taken(tmp_path: Path) -> None:
    """Times that only rise, or stay equal, never turn back: the ordinal orders them as the line does."""
    rising = list(reversed([entry(i) for i in range(5)]))
    same = [entry(i, timestamp=entry(0)["timestamp"]) for i in range(5)]
    for entries in (rising, same):
        count, typed, python = both_ways(write(tmp_path, entries))
        assert count == 5 and typed == python


# Fields drawn from values a real export holds and values to_canonical would change.
_VARIANTS: dict[str, list[Any]] = {
    "severity": ["ERROR", "INFO", "error", "", None, 400, "Warning"],
    "textPayload": ["x", "", None, 7, {"a": 1}, {}],
    "insertId": ["id", "", None, 5],
    "trace": ["projects/p/traces/t", "", None],
    "jsonPayload": [None, {"message": "m"}, {}, '{"message": "m"}', "text", [1],
                    {"message": "m", "n": 1e300}],
    "labels": [None, {"instanceId": "i"}, {}, '{"instanceId": "i"}', "x"],
    "resource": [{"type": "t", "labels": {"service_name": "s"}}, {"type": "t"}, {"type": "t", "labels": ""},
                 '{"type": "t"}', None],
    "httpRequest": [None, {"status": 503, "latency": "0.1s"}, {"status": "503"},
                    {"status": 503, "latency": 1}, {"status": 503, "latency": "0.1"},
                    {"request_method": "GET"}, {"status": 2**70}, {}],
    "sourceLocation": [None, {"file": "a.py", "line": "3"}, {"file": "a.py", "line": 3}, {"line": True},
                       {"line": 3.5}, {"file_name": "x"}],
    "protoPayload": [None, {"@type": "t", "methodName": "m"}, {"methodName": "m"}, {"@type": "t", "a_b": 1},
                     {"@type": "t", "request": '{"x": 1}'}, {"@type": "t", "requestJson": '{"x": 1}'},
                     {"@type": "t", "request": {"deep": {"snake_key": 1}}},
                     {"audit_log": {"method_name": "m"}}],
    "receiveTimestamp": ["2025-09-15T15:00:00.5Z", None, "", "2025-09-15 15:00:00 UTC",
                         "2025-09-15T15:00:00.5z"],
    "timestampForm": ["Z", "fraction9", "offset", "naive", "space"],
}
_FORMS = {"Z": "2025-09-15T14:{m:02d}:{s:02d}Z", "fraction9": "2025-09-15T14:{m:02d}:{s:02d}.123456789Z",
          "offset": "2025-09-15T15:{m:02d}:{s:02d}+01:00", "naive": "2025-09-15T14:{m:02d}:{s:02d}",
          "space": "2025-09-15 14:{m:02d}:{s:02d} UTC"}


@st.composite
def _entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=6))
    plain_bias = draw(st.booleans())  # half the arrays keep every field as gcloud writes it
    out = []
    for i in range(count):
        data = entry(i)
        for name, options in _VARIANTS.items():
            choice = options[0] if plain_bias and draw(st.integers(0, 4)) else draw(st.sampled_from(options))
            if name == "timestampForm":
                data["timestamp"] = _FORMS[choice].format(m=59 - i, s=draw(st.integers(0, 59)) if i else 59)
            elif choice is None:
                data.pop(name, None)
            else:
                data[name] = copy.deepcopy(choice)
        out.append(data)
    return out


def _same_rows_or_declined(tmp_path: Path, entries: list[dict[str, Any]], indent: int | None) -> None:
    """When the typed reader takes the file its rows are the Python reader's; else it staged nothing."""
    count, typed, python = both_ways(write(tmp_path, entries, indent=indent))
    if count is None:
        assert typed == []
    else:
        assert count == len(python) and typed == python


_UNTIMED = [HealthCheck.function_scoped_fixture]  # tmp_path is rewritten by every example


@settings(max_examples=30, deadline=None, suppress_health_check=_UNTIMED)
@given(entries=_entries(), indent=st.sampled_from([None, 2]))
def test_whatever_the_typed_reader_takes_it_stages_as_the_python_reader(
    tmp_path: Path, entries: list[dict[str, Any]], indent: int | None
) -> None:
    """Over arrays mixing plain fields with every kind of field to_canonical rewrites: when the
    typed reader takes a file, its rows are the Python reader's (30 arrays; 400 in the full suite)."""
    _same_rows_or_declined(tmp_path, entries, indent)


@SLOW
@settings(max_examples=400, deadline=None, suppress_health_check=_UNTIMED)
@given(entries=_entries(), indent=st.sampled_from([None, 2]))
def test_whatever_the_typed_reader_takes_it_stages_as_the_python_reader_many_arrays(
    tmp_path: Path, entries: list[dict[str, Any]], indent: int | None
) -> None:
    """The property above over 400 arrays."""
    _same_rows_or_declined(tmp_path, entries, indent)


def test_the_property_test_reaches_both_readers(tmp_path: Path) -> None:
    """The generator above makes arrays the typed reader takes and arrays it declines."""
    plain = [entry(i) for i in range(3)]
    odd = [entry(0, severity="error")]
    assert both_ways(write(tmp_path, plain))[0] == 3
    assert both_ways(write(tmp_path, odd))[0] is None
