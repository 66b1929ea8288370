"""A JSON array read by DuckDB's typed reader, when that stages exactly what the Python reader would.

`files._read_json_array_checked` decodes an array element by element in Python, passes every
LogEntry through `tabular.to_canonical` and spools it to NDJSON for the store: about 0.25 s for a
4 MB export, most of the cost of a small analysis after the pattern library. A `gcloud logging
read --format=json` export needs none of that: its entries are canonical already. So one query
over the file (`element_sql`: each element parsed for its values, their JSON types and its
strings) asks of every element whether it is *plain*:

- an object naming its log (`logName`, a string not of a `local/` text stream, whose
  re-joined tracebacks are linked by line numbers) with an RFC 3339 `...Z` `timestamp` that
  `text.parse_timestamp` gives back unchanged, and the same for `receiveTimestamp` when present;
- no field `to_canonical` renames or drops (`tabular.TOP_LEVEL`, `tabular.DROPPED`), no staged
  field that is an empty string or object (it drops those), an upper-case `severity`;
- `resource`, `resource.labels`, `labels`, `jsonPayload` objects (a string would be decoded);
  `httpRequest` and `sourceLocation` objects without snake_case keys, an integer status, a latency
  that ends in `s`, a string or integer line; a `protoPayload` object without a snake_case key at
  any depth, with no JSON held in a string, and an `@type` when it names a method or service;
- fewer than `MAX_BRACKETS` `{` and `[`, so Python's decoder (one recursion per level) reads it,
  and no number past double range (Python reads ±Infinity, DuckDB keeps the text).

When every element is plain, the file is one well-formed array (DuckDB refuses anything else,
bad UTF-8 and lone surrogates included, and the Python reader then finds and reports the
damage), and the times never turn back in file order, the store's typed reader stages the
file as it is: the same rows. An element's ordinal stands for its line, as for NDJSON: with
times that never turn back, ordinals and lines order ties alike and tell the traceback
re-joining the same direction (rca/engine/tracebacks.py). `rca.load()`'s ``line_no`` is then
the element's ordinal rather than the line it starts on.

One difference is accepted: an object with a repeated key inside `jsonPayload` or `protoPayload`
keeps both in the staged JSON, where Python's decoder kept the last. A repeated key among the
other fields the store stages makes DuckDB's reader fail (the Python reader then reads the file);
one in a field it does not stage shows only in the entry's ``raw`` JSON.
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb

from rca.engine.store import MAX_OBJECT_BYTES, STAGED_PATHS, Store
from rca.sources import tabular

MAX_BRACKETS = 512
_STAMP = r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"
# A number past double range, which Python reads as ±Infinity where DuckDB keeps its text: a
# three-digit exponent or 300 digits before the point, after `:`, `[` or `,` (in a string too:
# only a false alarm, and the Python reader then reads the file).
_HUGE_NUMBER = r"[:\[,]\s*-?[0-9]+(\.[0-9]*)?[eE]\+?[0-9]{3,}|[:\[,]\s*-?[0-9]{300,}[.eE]"
_PP = "$.protoPayload"
_PP_TYPE, _PP_METHOD, _PP_SERVICE = f'{_PP}."@type"', f"{_PP}.methodName", f"{_PP}.serviceName"
# Top-level keys whose presence means `to_canonical` changes the entry (or the reader overrides it).
_RENAMED = sorted({k for k, v in tabular.TOP_LEVEL.items() if k != v} | set(tabular.DROPPED)
                  | {"_line", "_naive_ts"})
_ROOTS = sorted({path[2:].split(".")[0] for path in STAGED_PATHS} - {"_line", "_naive_ts"})
_PATHS = (
    *(f"$.{root}" for root in _ROOTS), "$.resource.labels", "$.httpRequest.status",
    "$.httpRequest.latency", "$.sourceLocation.line", _PP_TYPE, _PP_METHOD, _PP_SERVICE,
    *(f"{_PP}.{name}" for name in tabular.JSON_STRING_FIELDS), *(f"$.{key}" for key in _RENAMED),
)  # fmt: skip


# The paths whose string value a condition reads (the rest it asks only the JSON type of).
_TEXTS = ("$.logName", "$.timestamp", "$.receiveTimestamp", "$.severity", "$.httpRequest.latency")


def _at(path: str) -> str:
    """The extracted JSON value at ``path`` (SQL NULL when the element lacks it)."""
    return f"v[{_PATHS.index(path) + 1}]"


def _kind(path: str) -> str:
    """The JSON type at ``path`` (SQL NULL when the element lacks it). Read from one list per
    element: a `json_type` of each extracted value parsed it again, about 30 small parses per
    element and most of the check's cost."""
    return f"t[{_PATHS.index(path) + 1}]"


def _text(path: str) -> str:
    """The string at ``path`` (one of `_TEXTS`), as `json_extract_string` gives it."""
    return f"s[{_TEXTS.index(path) + 1}]"


def _absent_or(path: str, *conditions: str) -> str:
    """Missing, null (to_canonical drops both) or meeting every condition."""
    return f"(coalesce({_kind(path)} = 'NULL', TRUE) OR ({' AND '.join(conditions)}))"


def _of_kind(path: str, *kinds: str) -> str:
    return f"{_kind(path)} IN ({', '.join(repr(k) for k in kinds)})"


def _stamp(path: str) -> str:
    """An RFC 3339 `...Z` time with a real date and time: what parse_timestamp gives back as it is."""
    whole = f"left({_text(path)}, 19)"
    return (f"{_kind(path)} = 'VARCHAR' AND regexp_full_match({_text(path)}, '{_STAMP}') AND "
            f"strftime(try_cast({whole} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S') = {whole}")


def _no_snake_keys(path: str) -> str:
    """`tabular._camel_keys` leaves the object's keys as they are."""
    return f"NOT contains(array_to_string(json_keys({_at(path)}), '/'), '_')"


def _log_name() -> list[str]:
    name = _text("$.logName")
    return [f"{_kind('$.logName')} = 'VARCHAR'",
            f"NOT (starts_with({name}, 'local/') OR "
            f"starts_with(url_decode(split_part({name}, '/logs/', 2)), 'local/'))"]


def _http_request() -> str:
    status, latency = "$.httpRequest.status", "$.httpRequest.latency"
    return _absent_or("$.httpRequest", _of_kind("$.httpRequest", "OBJECT"), _no_snake_keys("$.httpRequest"),
                      _absent_or(status, _of_kind(status, "BIGINT", "UBIGINT")),
                      _absent_or(latency, _of_kind(latency, "VARCHAR"), f"ends_with({_text(latency)}, 's')"))


def _source_location() -> str:
    line = "$.sourceLocation.line"
    return _absent_or("$.sourceLocation", _of_kind("$.sourceLocation", "OBJECT"),
                      _no_snake_keys("$.sourceLocation"),
                      _absent_or(line, _of_kind(line, "VARCHAR", "BIGINT", "UBIGINT")))


def _proto_payload() -> str:
    held = [f"{name}Json" for name in tabular.JSON_STRING_FIELDS]
    return _absent_or(
        _PP, _of_kind(_PP, "OBJECT"),
        f"NOT regexp_matches({_at(_PP)}::VARCHAR, '\"[^\"]*_[^\"]*\"\\s*:')",  # a snake key, any depth
        f"NOT list_has_any(json_keys({_at(_PP)}), {held!r})",
        *(f"{_kind(f'{_PP}.{name}')} IS DISTINCT FROM 'VARCHAR'" for name in tabular.JSON_STRING_FIELDS),
        f"({_at(_PP_TYPE)} IS NOT NULL OR ({_at(_PP_METHOD)} IS NULL AND {_at(_PP_SERVICE)} IS NULL))",
    )


def _conditions() -> list[str]:
    """Every condition of a plain element (see the module docstring), over its text `txt` and the
    values `v` at `_PATHS`."""
    return [
        "starts_with(ltrim(txt, ' \t\n\r'), '{')",  # an object (DuckDB has checked it is JSON)
        f"length(txt) - length(replace(replace(txt, '{{', ''), '[', '')) < {MAX_BRACKETS}",
        f"NOT regexp_matches(txt, '{_HUGE_NUMBER}')",
        *(f"{_at(f'$.{key}')} IS NULL" for key in _RENAMED),
        *(f"coalesce({_at(f'$.{root}')}::VARCHAR NOT IN ('\"\"', '{{}}'), TRUE)" for root in _ROOTS),
        *_log_name(),
        _stamp("$.timestamp"),
        _absent_or("$.receiveTimestamp", _stamp("$.receiveTimestamp")),
        _absent_or("$.severity", _of_kind("$.severity", "VARCHAR"),
                   f"regexp_full_match({_text('$.severity')}, '[A-Z]+')"),
        *(_absent_or(path, _of_kind(path, "OBJECT"))
          for path in ("$.resource", "$.resource.labels", "$.labels", "$.jsonPayload")),
        _http_request(),
        _source_location(),
        _proto_payload(),
    ]


@functools.lru_cache(maxsize=1)
def element_sql() -> str:
    """Per element of the array file ``$path``, in file order: ``plain`` and ``ts``, its time as
    the store stages it. Each element is parsed thrice (its values, their types, the strings the
    conditions read); the checks run on what these give."""
    plain = " AND ".join(f"({c})" for c in _conditions())
    ts = f"try_cast({_text('$.timestamp')} AS TIMESTAMPTZ)::TIMESTAMP"
    return (
        f"SELECT coalesce({plain}, FALSE) AS plain, {ts} AS ts "
        f"FROM (SELECT json::VARCHAR AS txt, json_extract(json, {list(_PATHS)!r}) AS v, "
        f"json_type(json, {list(_PATHS)!r}) AS t, json_extract_string(json, {list(_TEXTS)!r}) AS s "
        f"FROM read_json_objects($path, format='array', maximum_object_size={MAX_OBJECT_BYTES}))"
    )


def is_plain(con: duckdb.DuckDBPyConnection, local: Path) -> bool:
    """Whether the array file's elements are all plain and their times never turn back.

    False when DuckDB cannot read the file as one array (truncated, bad UTF-8, trailing text...).
    """
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE typed_array_check AS {element_sql()}",
                    {"path": str(local)})
        row = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE plain), count(*) FILTER (WHERE ts > prev), "
            "count(*) FILTER (WHERE ts < prev) "
            "FROM (SELECT plain, ts, lag(ts) OVER (ORDER BY rowid) AS prev FROM typed_array_check)"
        ).fetchone()
    except (duckdb.Error, UnicodeDecodeError):  # see Store.add_ndjson_file on UnicodeDecodeError
        return False
    finally:
        con.execute("DROP TABLE IF EXISTS typed_array_check")
    total, plain, later, earlier = row if row else (0, 0, 0, 0)
    return bool(total) and plain == total and not (later and earlier)


def read_typed_array(local: Path, shown: str, store: Store) -> int | None:
    """Stage a plain JSON array with the store's typed reader and return its count, or None (and
    nothing staged) when the Python reader must read it."""
    if not is_plain(store.con, local):
        return None
    try:
        return store.add_json_array_file(local, shown)
    except (duckdb.Error, UnicodeDecodeError):
        return None
