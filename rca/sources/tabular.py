"""Tabular and warehouse exports -> canonical Cloud Logging LogEntry dicts.

Three shapes carry the same LogEntry under other names:

* Logs Explorer / `gcloud --format=csv(...)` CSV: dotted headers (`resource.labels.service_name`,
  `httpRequest.status`, `jsonPayload.message`) that are folded back into nested objects;
* BigQuery sink exports (JSON, NDJSON, CSV): LogEntry names, but `protopayload_auditlog` for
  `protoPayload` (with `request`/`response` as JSON strings), `httpRequest.latency` as a
  `{seconds, nanos}` record and timestamps printed `2024-08-06 10:15:00.861214 UTC`;
* Log Analytics exports: snake_case columns (`log_name`, `text_payload`, `http_request`,
  `proto_payload.audit_log.method_name`) with JSON-typed `resource.labels` / `json_payload`.

`to_canonical` maps any of these objects (and canonical ones, unchanged) to API camelCase.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote

from rca.severity import SEVERITY_NAME
from rca.sources.problems import Problems
from rca.sources.text import parse_timestamp

FORMAT_CSV = "csv"
FORMAT_BIGQUERY = "bigquery-json"
FORMAT_LOG_ANALYTICS = "log-analytics-json"

AUDIT_LOG_TYPE = "type.googleapis.com/google.cloud.audit.AuditLog"

# Log Analytics top-level column -> LogEntry field. Nested records are camel-cased separately.
TOP_LEVEL = {
    "receive_timestamp": "receiveTimestamp", "log_name": "logName", "insert_id": "insertId",
    "text_payload": "textPayload", "json_payload": "jsonPayload", "proto_payload": "protoPayload",
    "http_request": "httpRequest", "span_id": "spanId", "trace_sampled": "traceSampled",
    "source_location": "sourceLocation", "protopayload_auditlog": "protoPayload",
    "split": "split", "error_groups": "errorGroups",
}  # fmt: skip
DROPPED = ("log_id", "severity_number", "severity_text")
_OPAQUE = frozenset({"request", "response", "metadata", "serviceData", "labels"})  # user keys: never rename
JSON_STRING_FIELDS = ("request", "response", "metadata", "serviceData")
_ENTRY_ROOTS = frozenset(
    {"timestamp", "receiveTimestamp", "severity", "logName", "resource", "labels", "insertId",
     "textPayload", "jsonPayload", "protoPayload", "httpRequest", "trace", "spanId", "traceSampled",
     "sourceLocation", "operation", "protopayload_auditlog", *TOP_LEVEL, "log_id", "severity_number"}
)  # fmt: skip
_SNAKE_MARKERS = re.compile(r'"(?:log_name|insert_id|receive_timestamp|text_payload|json_payload|'
                            r'proto_payload|http_request|log_id)"\s*:')  # fmt: skip
_BIGQUERY_MARKERS = re.compile(r'"protopayload_auditlog"\s*:|"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? UTC"')
_LOGENTRY_KEY = re.compile(r'"(?:logName|insertId|textPayload|jsonPayload|resource|timestamp)"\s*:')


class RowError(ValueError):
    """One exported object or row cannot be made into a log entry; the reason says why."""


# ---------------------------------------------------------------- sniffing


def sniff_tabular(head: str) -> str | None:
    """Name the export format the first KBs look like, or None when they look like none of them."""
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith(("[", "{")):
        if _SNAKE_MARKERS.search(text):
            return FORMAT_LOG_ANALYTICS
        if _BIGQUERY_MARKERS.search(text) and _LOGENTRY_KEY.search(text):
            return FORMAT_BIGQUERY
        return None
    return FORMAT_CSV if _is_log_csv_header(text) else None


def _is_log_csv_header(text: str) -> bool:
    """A CSV header row naming `timestamp` and at least one other LogEntry field."""
    first = text.splitlines()[0] if text else ""
    if "," not in first:
        return False
    names = {name.strip() for name in next(csv.reader([first]))}
    roots = {name.split(".", 1)[0] for name in names}
    has_time = bool(names & {"timestamp", "receiveTimestamp", "receive_timestamp"})
    return has_time and len(roots & _ENTRY_ROOTS) >= 2


# ---------------------------------------------------------------- canonical mapping


def _camel(name: str) -> str:
    """`request_method` -> `requestMethod`; names without `_` are returned unchanged."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_keys(value: Any) -> Any:
    """Camel-case every key of nested dicts, except inside user-defined maps (labels, request...)."""
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = _camel(key) if isinstance(key, str) and not key.startswith("@") else key
        out[name] = item if name in _OPAQUE else _camel_keys(item)
    return out


def _maybe_json(value: Any) -> Any:
    """Decode a JSON object/array held as a string (BigQuery STRING, Log Analytics JSON in CSV)."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _duration(value: Any) -> str | None:
    """`{seconds, nanos}` record, number or `"0.12s"` as the API's duration string."""
    if isinstance(value, dict):
        seconds = int(value.get("seconds") or 0)
        nanos = int(value.get("nanos") or 0)
        text = f"{seconds}.{nanos:09d}".rstrip("0").rstrip(".")
        return f"{text}s"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value}s"
    if isinstance(value, str) and value:
        return value if value.endswith("s") else f"{value}s"
    return None


def _int_or_raise(value: Any, what: str) -> int:
    """An integer field given as int or string; RowError on anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RowError(f"{what} is not a number: {value!r}") from None


def _http_request(value: Any) -> dict[str, Any]:
    """httpRequest in API shape: camelCase, int status, string sizes, duration latency."""
    http = _camel_keys(_maybe_json(value))
    if not isinstance(http, dict):
        raise RowError(f"httpRequest is not an object: {value!r}")
    if http.get("status") not in (None, ""):
        http["status"] = _int_or_raise(http["status"], "httpRequest.status")
    for size in ("requestSize", "responseSize", "cacheFillBytes"):
        if size in http and http[size] is not None:
            http[size] = str(http[size])
    if "latency" in http:
        latency = _duration(http["latency"])
        if latency is None:
            del http["latency"]
        else:
            http["latency"] = latency
    return http


def _proto_payload(value: Any) -> dict[str, Any]:
    """protoPayload from BigQuery's `protopayload_auditlog` or Log Analytics `proto_payload.audit_log`."""
    payload = _maybe_json(value)
    if not isinstance(payload, dict):
        raise RowError(f"protoPayload is not an object: {value!r}")
    if "audit_log" in payload:
        payload = {"@type": AUDIT_LOG_TYPE, **payload["audit_log"]}
    proto: dict[str, Any] = _camel_keys(payload)
    for field in JSON_STRING_FIELDS:  # decoded where they stand, so a canonical entry keeps its key order
        if field in proto:
            proto[field] = _maybe_json(proto[field])
        if f"{field}Json" in proto:
            proto[field] = _maybe_json(proto.pop(f"{field}Json"))
    if "methodName" in proto or "serviceName" in proto:
        proto.setdefault("@type", AUDIT_LOG_TYPE)
    return proto


def _timestamp(entry: dict[str, Any], key: str) -> None:
    """Rewrite a timestamp field as RFC 3339 `...Z`; flag a zone-less main timestamp."""
    value = entry.get(key)
    if value in (None, ""):
        entry.pop(key, None)
        return
    stamp = parse_timestamp(value)
    if stamp is None:
        raise RowError(f"{key} is not a timestamp: {value!r}")
    entry[key] = stamp.rfc3339
    if stamp.naive and key == "timestamp":
        entry["_naive_ts"] = True


def _severity(entry: dict[str, Any], number: Any) -> None:
    """Upper-case the severity name, or derive it from Log Analytics' `severity_number`."""
    severity = entry.get("severity")
    if isinstance(severity, str) and severity:
        entry["severity"] = severity.upper()
    elif isinstance(severity, int) and not isinstance(severity, bool):
        entry["severity"] = SEVERITY_NAME.get(severity, "DEFAULT")
    elif number not in (None, ""):
        entry["severity"] = SEVERITY_NAME.get(_int_or_raise(number, "severity_number"), "DEFAULT")
    else:
        entry.pop("severity", None)


def _log_name(entry: dict[str, Any], log_id: Any) -> None:
    """Build `projects/P/logs/<encoded id>` from a Log Analytics `log_id` when `logName` is absent."""
    if entry.get("logName") or not isinstance(log_id, str) or not log_id:
        return
    labels = entry.get("resource", {}).get("labels", {})
    project = labels.get("project_id") if isinstance(labels, dict) else None
    entry["logName"] = f"projects/{project or '_'}/logs/{quote(log_id, safe='')}"


def _resource(value: Any) -> dict[str, Any]:
    """resource {type, labels} with JSON-typed labels decoded; labels keep their snake_case keys."""
    resource = _maybe_json(value)
    if not isinstance(resource, dict):
        raise RowError(f"resource is not an object: {value!r}")
    out = dict(resource)
    labels = _maybe_json(out.get("labels"))
    if labels in (None, ""):
        out.pop("labels", None)
    elif isinstance(labels, dict):
        out["labels"] = labels
    return out


def to_canonical(obj: dict[str, Any]) -> dict[str, Any]:
    """Map one BigQuery, Log Analytics or canonical object to a canonical LogEntry dict.

    Idempotent on canonical input. Raises RowError when a field cannot be interpreted.
    """
    entry: dict[str, Any] = {}
    for key, value in obj.items():
        if value is not None and value != "":  # exports write every absent column as null
            entry.setdefault(TOP_LEVEL.get(key, key), value)
    for key in DROPPED:
        entry.pop(key, None)
    if "resource" in entry:
        entry["resource"] = _resource(entry["resource"])
    for key in ("labels", "jsonPayload", "operation"):
        if key in entry:
            entry[key] = _maybe_json(entry[key])
    if "sourceLocation" in entry:
        entry["sourceLocation"] = _source_location(entry["sourceLocation"])
    if "protoPayload" in entry:
        entry["protoPayload"] = _proto_payload(entry["protoPayload"])
    if "httpRequest" in entry:
        entry["httpRequest"] = _http_request(entry["httpRequest"])
    _timestamp(entry, "timestamp")
    _timestamp(entry, "receiveTimestamp")
    _severity(entry, obj.get("severity_number"))
    _log_name(entry, obj.get("log_id"))
    return {key: value for key, value in entry.items() if value not in (None, "", {})}


def _source_location(value: Any) -> dict[str, Any]:
    """sourceLocation with its int64 `line` as a string, as the API renders it."""
    location = _camel_keys(_maybe_json(value))
    if not isinstance(location, dict):
        raise RowError(f"sourceLocation is not an object: {value!r}")
    if location.get("line") is not None:
        location["line"] = str(location["line"])
    return location


# ---------------------------------------------------------------- CSV


def _set_path(target: dict[str, Any], path: list[str], value: Any) -> None:
    """Put `value` at a dotted path, merging into objects already there; RowError on a clash."""
    node = target
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise RowError(f"column {'.'.join(path)!r} clashes with a non-object value")
        node = child
    leaf = path[-1]
    if isinstance(node.get(leaf), dict) and isinstance(value, dict):
        node[leaf] = {**value, **node[leaf]}
    elif leaf in node:
        raise RowError(f"column {'.'.join(path)!r} given twice")
    else:
        node[leaf] = value


def _cell(header: str, text: str) -> Any:
    """A CSV cell as a Python value: JSON objects decoded, booleans read; other text left as is."""
    if text.strip()[:1] in ("{", "["):
        return _maybe_json(text)
    if header.rsplit(".", 1)[-1] in ("traceSampled", "trace_sampled", "first", "last"):
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return text


# `gcloud logging read --format='csv(httpRequest.status,resource.labels.revision_name,...)'` heads
# each column with its last key, snake-cased (`status`, `request_url`, `revision_name`;
# https://cloud.google.com/sdk/gcloud/reference/topic/formats): the LogEntry field each such
# heading stands for, where the name is one only a LogEntry column takes.
_GCLOUD_HEADINGS = {
    "status": "httpRequest.status", "request_method": "httpRequest.requestMethod",
    "request_url": "httpRequest.requestUrl", "latency": "httpRequest.latency",
    "user_agent": "httpRequest.userAgent", "remote_ip": "httpRequest.remoteIp",
    "response_size": "httpRequest.responseSize", "revision_name": "resource.labels.revision_name",
    "service_name": "resource.labels.service_name",
    "configuration_name": "resource.labels.configuration_name",
    "instance_id": "labels.instanceId", "method_name": "protoPayload.methodName",
    "principal_email": "protoPayload.authenticationInfo.principalEmail", "message": "jsonPayload.message",
}  # fmt: skip


def _column_path(name: str) -> list[str]:
    """Split a dotted header; label keys may hold dots themselves (`labels.run.googleapis.com/x`);
    a heading gcloud's csv format gave a LogEntry field (`_GCLOUD_HEADINGS`) is that field."""
    name = _GCLOUD_HEADINGS.get(name, name)
    for prefix in ("resource.labels.", "labels."):
        if name.startswith(prefix) and len(name) > len(prefix):
            return [*prefix.rstrip(".").split("."), name[len(prefix) :]]
    return name.split(".")


def _row_object(header: list[str], row: list[str]) -> dict[str, Any]:
    """Fold one CSV row into a nested object; empty cells are dropped."""
    obj: dict[str, Any] = {}
    for name, text in zip(header, row, strict=True):
        if text == "" or not name:
            continue
        _set_path(obj, _column_path(name), _cell(name, text))
    # (the entry itself stays an object, whatever its columns are called)
    return {key: item if key == "labels" else _indexed_as_lists(item) for key, item in obj.items()}


def _indexed_as_lists(value: Any) -> Any:
    """An object whose keys are all array indexes (`containers.0.image`, a flattened array's
    column) as the array it was, in index order: an audit entry's request keeps its
    `containers` list (held-out TF05 crashed on a dict where the request holds a list). Label
    maps keep their keys, whatever they look like."""
    if not isinstance(value, dict):
        return value
    out = {key: item if key == "labels" else _indexed_as_lists(item) for key, item in value.items()}
    if out and all(isinstance(key, str) and key.isdigit() for key in out):
        return [out[key] for key in sorted(out, key=int)]
    return out


def _csv_rows(stream: Iterator[str]) -> Iterator[tuple[int, list[str] | RowError]]:
    """CSV records with the line each starts on (quoted cells may span several lines).

    A record the csv module cannot split is yielded as a RowError and reading goes on.
    """
    reader = csv.reader(stream)
    start = 1
    while True:
        try:
            row: list[str] | RowError = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = RowError(f"unreadable CSV record: {exc}")
        yield start, row
        if reader.line_num < start:  # the reader made no progress: stop rather than spin
            return
        start = reader.line_num + 1


def read_csv_entries(
    source: str | os.PathLike[str] | IO[str], source_name: str, problems: Problems | None = None
) -> Iterator[dict[str, Any]]:
    """Read a Logs Explorer / BigQuery / Log Analytics CSV into canonical entries.

    A row that cannot be read is reported to `problems` with its line and skipped.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8-sig", newline="") as stream:
            yield from _read_csv_stream(stream, source_name, problems)
    else:
        yield from _read_csv_stream(source, source_name, problems)


def _read_csv_stream(
    stream: IO[str], source_name: str, problems: Problems | None
) -> Iterator[dict[str, Any]]:
    """The body of `read_csv_entries` over an open text stream."""
    rows = _csv_rows(_without_bom(stream))
    first = next(rows, None)
    if first is None or isinstance(first[1], RowError):
        return
    header = [name.strip() for name in first[1]]
    basename = os.path.basename(source_name) or source_name
    for line, row in rows:
        if not isinstance(row, RowError) and not any(cell.strip() for cell in row):
            continue
        try:
            entry = _row_entry(header, row)
        except RowError as exc:
            if problems is not None:
                problems.add(source_name, line, str(exc))
            continue
        entry.setdefault("insertId", f"{basename}:{line}")
        entry["_line"] = line
        yield entry


def _row_entry(header: list[str], row: list[str] | RowError) -> dict[str, Any]:
    """One CSV record as a canonical entry; RowError when it is malformed."""
    if isinstance(row, RowError):
        raise row
    if len(row) != len(header):
        raise RowError(f"expected {len(header)} cells, found {len(row)}")
    return to_canonical(_row_object(header, row))


def _without_bom(stream: IO[str]) -> Iterator[str]:
    """The stream's lines with a UTF-8 byte-order mark dropped from the first."""
    first = True
    for line in stream:
        yield line.lstrip("\ufeff") if first else line
        first = False
