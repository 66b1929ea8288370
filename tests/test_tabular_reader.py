"""CSV, BigQuery and Log Analytics exports become canonical LogEntry dicts."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.sources.problems import Problems
from rca.sources.tabular import (
    AUDIT_LOG_TYPE,
    FORMAT_BIGQUERY,
    FORMAT_CSV,
    FORMAT_LOG_ANALYTICS,
    RowError,
    read_csv_entries,
    sniff_tabular,
    to_canonical,
)

INPUTS = Path(__file__).parent / "data" / "inputs"
GCLOUD_ENTRY: dict[str, Any] = {
    "httpRequest": {
        "latency": "0.004512113s",
        "requestMethod": "POST",
        "requestSize": "754",
        "requestUrl": "https://netra-backend-staging-abcdefghij-uc.a.run.app/api/threads",
        "status": 503,
    },
    "insertId": "6951d2870005ef93ee656b6e",
    "labels": {"instanceId": "0007e26d68158c2c7f0d02b20167f845d7e1"},
    "logName": "projects/netra-staging/logs/run.googleapis.com%2Frequests",
    "receiveTimestamp": "2024-08-06T10:15:04.392307785Z",
    "resource": {"labels": {"service_name": "netra-backend-staging"}, "type": "cloud_run_revision"},
    "severity": "ERROR",
    "textPayload": "The request failed because either the HTTP response was malformed or connection ...",
    "timestamp": "2024-08-06T10:15:03.018142Z",
}


def _csv(name: str) -> tuple[list[dict[str, Any]], Problems]:
    """Entries and problems of one CSV sample."""
    problems = Problems()
    path = INPUTS / name
    with path.open(encoding="utf-8", newline="") as stream:
        return list(read_csv_entries(stream, str(path), problems)), problems


def _bigquery() -> list[dict[str, Any]]:
    """The BigQuery NDJSON sample, mapped."""
    lines = (INPUTS / "bigquery_export.json").read_text(encoding="utf-8").splitlines()
    return [to_canonical(json.loads(line)) for line in lines]


def _log_analytics() -> list[dict[str, Any]]:
    """The Log Analytics JSON sample, mapped."""
    return [
        to_canonical(obj) for obj in json.loads((INPUTS / "log_analytics.json").read_text(encoding="utf-8"))
    ]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("logs_explorer.csv", FORMAT_CSV),
        ("bigquery_export.csv", FORMAT_CSV),  # same reader: dotted headers, BigQuery names mapped after
        ("bigquery_export.json", FORMAT_BIGQUERY),
        ("log_analytics.json", FORMAT_LOG_ANALYTICS),
        ("gunicorn_worker_boot.log", None),
        ("python_logging_formats.log", None),  # text lines with commas are not CSV
    ],
)
def test_sniff_tabular_names_the_format(sample: str, expected: str | None) -> None:
    """The first KBs of each export shape are recognised, and text logs are left to the text reader."""
    assert sniff_tabular((INPUTS / sample).read_text(encoding="utf-8")[:4096]) == expected


@pytest.mark.parametrize(
    "head",
    [
        json.dumps([GCLOUD_ENTRY], indent=2),  # canonical gcloud JSON is the lead reader's job
        "name,email,created\nalice,a@example.com,2024-08-06\n",  # a CSV, but not of log entries
        "timestamp,value\n2024-08-06T10:15:00Z,3\n",  # a time series, not log entries
    ],
)
def test_sniff_tabular_declines_other_inputs(head: str) -> None:
    """Inputs that are not one of the tabular export shapes give None."""
    assert sniff_tabular(head) is None


def test_dotted_headers_fold_into_nested_objects() -> None:
    """Logs Explorer CSV columns such as `resource.labels.service_name` become nested LogEntry fields."""
    entries, _ = _csv("logs_explorer.csv")
    assert entries[3] == {
        "timestamp": "2025-09-15T15:15:41.018142Z",
        "severity": "ERROR",
        "logName": "projects/netra-staging/logs/run.googleapis.com%2Frequests",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "service_name": "netra-backend-staging",
                "revision_name": "netra-backend-staging-00691-xl2",
            },
        },
        "labels": {"instanceId": "0069c7a9888c3f29f802"},
        "insertId": "68e82b6d0004a5c1",
        "httpRequest": {
            "requestMethod": "GET",
            "status": 503,
            "requestUrl": "https://netra-backend-staging-701982941522.us-central1.run.app/health",
            "latency": "0.004512113s",
        },
        "_line": 7,
    }


def test_empty_cells_are_dropped() -> None:
    """An empty CSV cell means the field is absent, not an empty string."""
    entries, _ = _csv("logs_explorer.csv")
    assert sorted(entries[0]) == [
        "_line",
        "insertId",
        "logName",
        "protoPayload",
        "resource",
        "severity",
        "timestamp",
    ]


def test_quoted_multiline_cell_keeps_line_numbers() -> None:
    """A traceback in one quoted cell is one entry, and rows after it report the line they start on."""
    entries, _ = _csv("logs_explorer.csv")
    assert [(e["_line"], e.get("textPayload", "").count("\n")) for e in entries] == [
        (2, 0),
        (3, 2),
        (6, 0),
        (7, 0),
    ]


def test_malformed_rows_are_reported_not_fatal() -> None:
    """A short row and a non-numeric status are skipped and reported with their line numbers."""
    _, problems = _csv("logs_explorer.csv")
    assert [(p.line, p.reason) for p in problems.kept] == [
        (8, "expected 15 cells, found 5"),
        (9, "httpRequest.status is not a number: 'five hundred'"),
    ]


def test_audit_row_gets_audit_type() -> None:
    """A CSV row with protoPayload.methodName is an AuditLog payload."""
    entries, _ = _csv("logs_explorer.csv")
    assert entries[0]["protoPayload"] == {
        "methodName": "google.cloud.run.v1.Services.ReplaceService",
        "@type": AUDIT_LOG_TYPE,
    }


def test_csv_label_keys_may_contain_dots() -> None:
    """A header `labels.run.googleapis.com/x` keeps `run.googleapis.com/x` as one label key."""
    text = "timestamp,logName,labels.run.googleapis.com/execution_name\n2025-09-15T15:00:00Z,l,job-x7k2p\n"
    (entry,) = read_csv_entries(io.StringIO(text), "export.csv")
    assert entry["labels"] == {"run.googleapis.com/execution_name": "job-x7k2p"}


def test_csv_columns_of_a_flattened_array_fold_back_into_the_array() -> None:
    """A Logs Explorer download flattens an audit request's arrays by index
    (`...containers.0.image`): they are the array again, in index order, not an object keyed by
    "0" (held-out TF05: the deploy's reader crashed on it). Labels keep their keys as given."""
    prefix = "protoPayload.request.service.template.containers"
    text = (f"timestamp,logName,{prefix}.1.image,{prefix}.0.image,{prefix}.0.ports.0.containerPort,labels.0\n"
            "2026-01-30T12:00:00Z,l,gcr.io/p/sidecar:1,gcr.io/p/app:2,8080,x\n")
    (entry,) = read_csv_entries(io.StringIO(text), "export.csv")
    assert entry["protoPayload"]["request"]["service"]["template"]["containers"] == [
        {"image": "gcr.io/p/app:2", "ports": [{"containerPort": "8080"}]}, {"image": "gcr.io/p/sidecar:1"}]
    assert entry["labels"] == {"0": "x"}


def test_csv_headed_by_gcloud_labels_keeps_the_request() -> None:
    """`gcloud logging read --format='csv(timestamp,severity,resource.labels.revision_name,
    httpRequest.requestMethod,httpRequest.status,httpRequest.requestUrl,httpRequest.latency,
    textPayload)'` heads its columns with the last key, snake-cased (blind set CF08): they are
    still the request's fields and the revision."""
    text = ("timestamp,severity,revision_name,request_method,status,request_url,latency,text_payload\n"
            "2026-11-26T13:59:38Z,INFO,docs-00309-fen,GET,200,https://d.run.app/guides,0.51s,\n")
    (entry,) = read_csv_entries(io.StringIO(text), "export.csv")
    assert entry["httpRequest"] == {"requestMethod": "GET", "status": 200,
                                    "requestUrl": "https://d.run.app/guides", "latency": "0.51s"}
    assert entry["resource"]["labels"] == {"revision_name": "docs-00309-fen"}


def test_csv_naive_timestamp_is_flagged() -> None:
    """A zone-less CSV time is taken as UTC and flagged with `_naive_ts`."""
    text = "timestamp,logName,textPayload\n2025-09-15 15:15:38,l,hello\n"
    (entry,) = read_csv_entries(io.StringIO(text), "export.csv")
    assert (entry["timestamp"], entry["_naive_ts"]) == ("2025-09-15T15:15:38Z", True)


def test_csv_reads_from_a_path() -> None:
    """Given a path, the reader opens the file itself."""
    path = INPUTS / "logs_explorer.csv"
    assert [e["_line"] for e in read_csv_entries(path, str(path))] == [2, 3, 6, 7]


def test_csv_byte_order_mark_is_dropped() -> None:
    """A UTF-8 byte-order mark on a stream does not spoil the first header name."""
    text = "\ufefftimestamp,logName,textPayload\n2025-09-15T15:15:38Z,l,hello\n"
    (entry,) = read_csv_entries(io.StringIO(text), "export.csv")
    assert entry["timestamp"] == "2025-09-15T15:15:38Z"


def test_bigquery_audit_payload_is_renamed_and_decoded() -> None:
    """`protopayload_auditlog` becomes protoPayload, its requestJson/responseJson decoded to objects."""
    proto = _bigquery()[0]["protoPayload"]
    assert (proto["@type"], proto["request"]["region"], proto["response"]["metadata"]) == (
        AUDIT_LOG_TYPE,
        "us-central1",
        {"generation": 43},
    )


@pytest.mark.parametrize(
    ("index", "field", "expected"),
    [
        (0, "timestamp", "2025-09-15T15:01:12.532114Z"),  # `... UTC` rendering normalised
        (0, "receiveTimestamp", "2025-09-15T15:01:13.107220Z"),
        (
            2,
            "sourceLocation",
            {"file": "/app/netra_backend/app/startup.py", "line": "212", "function": "_init_database"},
        ),
    ],
)
def test_bigquery_fields(index: int, field: str, expected: Any) -> None:
    """BigQuery timestamps become RFC 3339 `Z` and other fields keep their LogEntry shape."""
    assert _bigquery()[index][field] == expected


def test_bigquery_latency_record_becomes_duration() -> None:
    """httpRequest.latency {seconds, nanos} becomes the API's duration string."""
    assert _bigquery()[1]["httpRequest"]["latency"] == "0.004512113s"


def test_bigquery_nulls_are_dropped() -> None:
    """Columns exported as null (textPayload, trace, httpRequest) are absent from the entry."""
    assert {"textPayload", "trace", "spanId", "httpRequest"} & _bigquery()[0].keys() == set()


def test_bigquery_csv_latency_columns_and_bad_time() -> None:
    """Dotted latency columns form a duration, and a row with an unreadable time is reported."""
    entries, problems = _csv("bigquery_export.csv")
    assert (entries[1]["httpRequest"], [(p.line, p.reason) for p in problems.kept]) == (
        {"status": 503, "latency": "2.25s"},
        [(4, "timestamp is not a timestamp: '2025-09-15 15:15:4x UTC'")],
    )


def test_log_analytics_snake_case_to_camel_case() -> None:
    """Log Analytics columns map back to LogEntry names and the JSON payload is kept as is."""
    entry = _log_analytics()[0]
    assert entry == {
        "timestamp": "2025-09-15T15:15:38.401900Z",
        "receiveTimestamp": "2025-09-15T15:15:38.502113Z",
        "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstdout",
        "severity": "ERROR",
        "insertId": "68e82b6a0006211c8d7e0f11",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "project_id": "netra-staging",
                "service_name": "netra-backend-staging",
                "revision_name": "netra-backend-staging-00691-xl2",
                "location": "us-central1",
            },
        },
        "labels": {"instanceId": "0069c7a9888c3f29f802"},
        "jsonPayload": {
            "message": "Database initialization timeout after 8.0s in staging environment",
            "phase": "database",
        },
        "trace": "projects/netra-staging/traces/4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": "00f067aa0ba902b7",
        "traceSampled": False,
        "sourceLocation": {
            "file": "/app/netra_backend/app/startup.py",
            "line": "212",
            "function": "_init_database",
        },
    }


def test_log_analytics_fills_gaps_from_other_columns() -> None:
    """Without log_name and severity, logName comes from log_id and severity from severity_number."""
    entry = _log_analytics()[1]
    assert (entry["logName"], entry["severity"], entry["resource"]["labels"]["service_name"]) == (
        "projects/netra-staging/logs/run.googleapis.com%2Frequests",
        "ERROR",
        "netra-backend-staging",  # resource.labels arrived as a JSON string
    )


def test_log_analytics_http_request_is_camel_cased() -> None:
    """http_request's snake_case fields and latency record take the API's httpRequest shape."""
    assert _log_analytics()[1]["httpRequest"] == {
        "requestMethod": "GET",
        "requestUrl": "https://netra-backend-staging-701982941522.us-central1.run.app/health",
        "status": 503,
        "responseSize": "0",
        "remoteIp": "35.191.10.4",
        "latency": "0.004512113s",
    }


def test_log_analytics_audit_log_becomes_proto_payload() -> None:
    """proto_payload.audit_log.method_name and friends become an AuditLog protoPayload in camelCase."""
    proto = _log_analytics()[2]["protoPayload"]
    assert (proto["@type"], proto["methodName"], proto["authenticationInfo"], proto["requestMetadata"]) == (
        AUDIT_LOG_TYPE,
        "google.cloud.run.v1.Services.ReplaceService",
        {"principalEmail": "netra-staging-deploy@netra-staging.iam.gserviceaccount.com"},
        {"callerIp": "34.72.10.5"},
    )


def test_canonical_entry_is_unchanged() -> None:
    """A canonical gcloud entry passes through to_canonical untouched."""
    assert to_canonical(GCLOUD_ENTRY) == GCLOUD_ENTRY


@pytest.mark.parametrize("index", range(6))
def test_to_canonical_is_idempotent(index: int) -> None:
    """Mapping an already-mapped BigQuery or Log Analytics entry again changes nothing."""
    once = (_bigquery() + _log_analytics())[index]
    assert to_canonical(once) == once


def test_unreadable_field_raises_row_error() -> None:
    """A field that cannot be interpreted raises RowError, which callers report per object."""
    with pytest.raises(RowError, match=r"httpRequest\.status is not a number"):
        to_canonical({"logName": "l", "httpRequest": {"status": "n/a"}})


def test_unsplittable_csv_record_is_reported() -> None:
    """A record the csv module rejects (a bare carriage return) is reported and the next row still read."""
    text = "timestamp,logName,textPayload\n2025-09-15T15:15:38Z,l,a\rb\n2025-09-15T15:15:39Z,l,ok\n"
    problems = Problems()
    entries = list(read_csv_entries(io.StringIO(text), "export.csv", problems))
    assert ([e["textPayload"] for e in entries], [p.line for p in problems.kept]) == (["ok"], [2])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_csv_body_reads_without_error(body: str) -> None:
    """Arbitrary CSV bodies never raise: every bad record becomes a problem with a line number."""
    problems = Problems()
    header = "timestamp,logName,httpRequest.status,resource.labels.service_name,jsonPayload\n"
    list(read_csv_entries(io.StringIO(header + body), "fuzz.csv", problems))
    assert all(problem.line is not None and problem.line >= 2 for problem in problems.kept)
