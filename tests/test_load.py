"""Loading and normalising inputs: format detection, windows, service filter, bad input."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from rca import api
from rca.api.loading import Loaded, entries_frame
from rca.errors import InputError, NoEntriesError, UsageError

RUN = {
    "type": "cloud_run_revision",
    "labels": {
        "service_name": "svc",
        "revision_name": "svc-00001-abc",
        "location": "us-central1",
        "project_id": "proj",
    },
}


def entry(i: int, ts: str, text: str | None = "hello", **extra: Any) -> dict[str, Any]:
    """A realistic Cloud Run stdout entry."""
    e: dict[str, Any] = {
        "insertId": f"id{i}",
        "logName": "projects/proj/logs/run.googleapis.com%2Fstdout",
        "resource": RUN,
        "timestamp": ts,
        "labels": {"instanceId": "00abc"},
    }
    if text is not None:
        e["textPayload"] = text
    e.update(extra)
    return e


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    """Write a file and return its path as a string."""
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(p)


def pasted(tmp_path: Path, lines: list[str], service: str, name: str = "paste.txt") -> Loaded:
    """`api.load` of the text ``lines`` pasted into a file ``name``, for ``service``."""
    return api.load([write(tmp_path, name, "\n".join(lines) + "\n")], service=service)


def test_gcloud_array_newest_first_is_read_in_time_order(tmp_path: Path) -> None:
    """A gcloud export (newest first) loads all entries, ordered by time."""
    data = [entry(2, "2025-09-15T15:00:02Z", "b"), entry(1, "2025-09-15T15:00:01Z", "a")]
    loaded = api.load([write(tmp_path, "x.json", json.dumps(data, indent=2))])
    assert list(loaded.frame()["message"]) == ["a", "b"]


def test_a_sink_directory_reads_like_its_files_listed_in_path_order(tmp_path: Path) -> None:
    """A Cloud Storage sink copied with `gcloud storage cp -r` is one input: its shards, walked in
    path order, give the entries of the same files listed by hand; hidden and non-log files are
    left out, and a directory with no log file is an error naming it."""
    sink = tmp_path / "sink"
    day = "2025/09/15"
    shards = {
        f"run.googleapis.com/stderr/{day}/15:00:00_15:59:59_S0.json": [entry(2, "2025-09-15T15:00:02Z", "b")],
        f"run.googleapis.com/stdout/{day}/14:00:00_14:59:59_S0.json": [entry(1, "2025-09-15T14:59:01Z", "a")],
        f"run.googleapis.com/stdout/{day}/15:00:00_15:59:59_S0.json": [entry(3, "2025-09-15T15:00:03Z", "c")],
        ".cache/old.json": [entry(9, "2025-09-15T15:00:09Z", "hidden")],
    }
    for name, rows in shards.items():
        (sink / name).parent.mkdir(parents=True, exist_ok=True)
        (sink / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (sink / "README.md").write_text("not a log", encoding="utf-8")
    listed = [str(sink / name) for name in sorted(shards) if not name.startswith(".")]
    by_dir, by_hand = api.load([str(sink)]).frame(), api.load(listed).frame()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty.*no log file"):
        api.load([str(tmp_path / "empty")])
    assert (list(by_dir["message"]), list(by_dir["source"])) == (["a", "b", "c"], list(by_hand["source"]))


def test_truncated_array_keeps_entries_before_the_cut(tmp_path: Path) -> None:
    """A truncated JSON array keeps every complete entry and reports where it broke."""
    text = json.dumps([entry(1, "2025-09-15T15:00:01Z"), entry(2, "2025-09-15T15:00:02Z")], indent=2)
    loaded = api.load([write(tmp_path, "x.json", text[: len(text) - 40])])
    assert loaded.window_count() == 1
    assert loaded.problems.counts["truncated"] == 1
    assert "x.json:" in str(loaded.problems.kept[0])


def test_ndjson_bad_lines_are_counted_with_line_numbers(tmp_path: Path) -> None:
    """Garbage lines in NDJSON are skipped, counted and located; the rest is analysed."""
    lines = [
        json.dumps(entry(1, "2025-09-15T15:00:01Z")),
        "{not json",
        json.dumps(entry(2, "2025-09-15T15:00:02Z")),
    ]
    loaded = api.load([write(tmp_path, "x.ndjson", "\n".join(lines) + "\n")])
    assert loaded.window_count() == 2
    assert [p.line for p in loaded.problems.kept] == [2]


def test_invalid_utf8_is_replaced_and_counted(tmp_path: Path) -> None:
    """Bad UTF-8 bytes are replaced (U+FFFD) and counted, never fatal."""
    good = json.dumps(entry(1, "2025-09-15T15:00:01Z", "caf\u00e9")).encode()
    bad = json.dumps(entry(2, "2025-09-15T15:00:02Z", "XX")).encode().replace(b"XX", b"\xff\xfe")
    loaded = api.load([write(tmp_path, "x.ndjson", good + b"\n" + bad + b"\n")])
    assert loaded.window_count() == 2
    assert loaded.problems.counts["invalid-utf8"] == 1


@pytest.mark.parametrize(
    "content, why",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary"),
        ("<!DOCTYPE html><html><body>Sign in</body></html>", "HTML"),
        ('[{"name": "x", "price": 3}]', "unrelated JSON"),
    ],
)
def test_non_log_files_are_rejected_with_the_file_named(
    tmp_path: Path, content: str | bytes, why: str
) -> None:
    """A file that is no log export is a clear error (exit 2) naming the file."""
    path = write(tmp_path, "thing.dat", content)
    with pytest.raises(InputError) as exc:
        api.load([path])
    assert str(exc.value).startswith(path)
    assert "not a recognised log export" in str(exc.value), why
    assert exc.value.exit_code == 2


def test_empty_input_exits_one_with_a_reason(tmp_path: Path) -> None:
    """An empty export means analysis found nothing: NoEntriesError, exit 1."""
    with pytest.raises(NoEntriesError) as exc:
        api.load([write(tmp_path, "x.json", "[]")])
    assert exc.value.exit_code == 1


def test_window_counts_back_from_newest_entry_and_keeps_baseline(tmp_path: Path) -> None:
    """--since 1h on a file is measured from its newest entry; the hour before is the baseline."""
    data = [
        entry(1, "2025-09-15T12:29:59Z"),
        entry(2, "2025-09-15T13:29:59Z"),
        entry(3, "2025-09-15T14:30:00Z"),
    ]
    loaded = api.load([write(tmp_path, "x.json", json.dumps(data))], since="1h")
    df = loaded.frame()
    assert list(df["insert_id"]) == ["id2", "id3"]
    assert list(df["in_window"]) == [False, True]


def test_window_with_nothing_in_it_names_the_span_read(tmp_path: Path) -> None:
    """No entries in the window: exit 1 with the time span that was read."""
    data = [entry(1, "2025-09-15T12:30:00Z")]
    with pytest.raises(NoEntriesError, match="2025-09-15T12:30:00Z"):
        api.load([write(tmp_path, "x.json", json.dumps(data))], since="1h", until="2025-09-15T10:00:00Z")


def test_service_filter_keeps_entries_without_a_service(tmp_path: Path) -> None:
    """--service drops other services' entries but keeps those that carry no service (e.g. Cloud SQL)."""
    other = entry(
        2,
        "2025-09-15T15:00:02Z",
        resource={"type": "cloud_run_revision", "labels": {"service_name": "other"}},
    )
    sql = entry(
        3,
        "2025-09-15T15:00:03Z",
        resource={"type": "cloudsql_database", "labels": {"database_id": "proj:db"}},
    )
    loaded = api.load(
        [write(tmp_path, "x.json", json.dumps([entry(1, "2025-09-15T15:00:01Z"), other, sql]))], service="svc"
    )
    assert list(loaded.frame()["insert_id"]) == ["id1", "id3"]
    assert loaded.store.stats.filtered_service == 1


_HOST_PASTE = "\n".join([
    '$ sudo journalctl -u claims-api -u nginx --since "2024-10-08 06:30" --no-pager',
    "Oct 08 06:55:33 claims-api-vm-1 google_guest_agent[698]: Updating keys for user ops-oncall.",
    "Oct 08 06:55:36 claims-api-vm-1 fetch-secrets.sh[902]: ERROR: (gcloud.secrets.versions.access) "
    "PERMISSION_DENIED: Permission 'secretmanager.versions.access' denied",
    "Oct 08 06:55:36 claims-api-vm-1 systemd[1]: claims-api.service: Control process exited, code=exited, "
    "status=1/FAILURE",
    "Oct 08 06:55:40 web-7 fetch-secrets.sh[77]: ERROR: another host's line",
])


@pytest.mark.parametrize("service", ["claims-api", "claims-api-vm-1"])
def test_a_pasted_hosts_lines_are_the_service_the_host_is_named_for(tmp_path: Path, service: str) -> None:
    """On a VM named for its service (`claims-api`, a managed instance group's `claims-api-x7k2`),
    a unit's ExecStartPre script and the host's daemons write under their own names: they are the
    service's lines, and a --service that only they carry is no mistyped name (held-out DU05, DX06).
    Another host's lines under another name are still left out."""
    loaded = api.load([write(tmp_path, "journal.txt", _HOST_PASTE)], service=service)
    messages = list(loaded.frame()["message"])
    assert any("PERMISSION_DENIED" in m for m in messages)
    assert any("Updating keys" in m for m in messages)
    assert not any("another host" in m for m in messages)


def test_pasted_kubectl_logs_of_a_release_s_workloads_are_the_release_s(tmp_path: Path) -> None:
    """`kubectl logs deploy/shipyard-web` and `deploy/shipyard-sidekiq` pasted together: their lines
    are those workloads', and `--service shipyard` takes both, as it takes a Helm release's pods
    (held-out EH02, which the workloads' names alone made a mistyped service)."""
    paste = "\n".join([
        "$ kubectl -n shipyard logs deploy/shipyard-web --since=25m",
        "2025-04-22T13:05:20Z ERROR RedisClient::OutOfMemoryError: OOM command not allowed",
        "$ kubectl -n shipyard logs deploy/shipyard-sidekiq --since=25m",
        "2025-04-22T13:05:21Z WARN heartbeat: OOM command not allowed",
    ])
    loaded = api.load([write(tmp_path, "paste.txt", paste)], service="shipyard")
    assert sum("OOM command not allowed" in m for m in loaded.frame()["message"]) == 2


def test_a_compose_paste_is_the_application_the_engineer_names(tmp_path: Path) -> None:
    """`docker compose logs` names each line by its container (`nginx-1`, `php-1`): parts of the one
    application pasted, so `--service billing-portal` reads them all rather than calling the name
    mistyped (held-out DX08, EF03, ER09)."""
    paste = "\n".join([
        'nginx-1  | 35.191.4.196 - - [12/Jun/2025:16:10:16 +0000] "GET /invoices/8 HTTP/1.1" 500 20 "-" "x"',
        "php-1    | [12-Jun-2025 16:10:16] PHP Fatal error:  Allowed memory size of 134217728 bytes",
    ])
    loaded = api.load([write(tmp_path, "compose.txt", paste)], service="billing-portal")
    assert loaded.window_count() == 2


def test_duplicates_are_dropped_and_counted(tmp_path: Path) -> None:
    """Same log name + insertId + timestamp is one entry."""
    e = entry(1, "2025-09-15T15:00:01Z")
    loaded = api.load([write(tmp_path, "x.json", json.dumps([e, e, e]))])
    assert loaded.window_count() == 1
    assert loaded.store.stats.duplicates == 2


def test_sources_order_by_name_not_by_load_order(tmp_path: Path) -> None:
    """Entries of one time are ordered by source name, then line, whichever file was read first,
    and of a duplicate across files the one in the first source by name is kept."""
    t = "2025-09-15T15:00:01Z"
    late = write(tmp_path, "b.ndjson", "\n".join(json.dumps(e) for e in [
        entry(1, t, "shared"), entry(2, t, "b first"), entry(3, t, "b second")]))
    early = write(tmp_path, "a.ndjson", "\n".join(json.dumps(e) for e in [
        entry(4, t, "a first"), entry(1, t, "shared")]))
    loaded = api.load([late, early])
    df = loaded.frame().sort_values("entry_id")
    assert list(zip(df["source"], df["message"], strict=True)) == [
        (early, "a first"), (early, "shared"), (late, "b first"), (late, "b second")]
    assert loaded.store.stats.duplicates == 1


def test_messages_come_from_every_payload_kind(tmp_path: Path) -> None:
    """textPayload, jsonPayload.message, audit methodName and request logs all yield a message."""
    data = [
        entry(
            1,
            "2025-09-15T15:00:01Z",
            None,
            jsonPayload={"message": "structured", "route": "/x"},
            severity="ERROR",
        ),
        entry(
            2,
            "2025-09-15T15:00:02Z",
            None,
            protoPayload={
                "methodName": "google.cloud.run.v1.Services.ReplaceService",
                "resourceName": "namespaces/p/services/svc",
            },
        ),
        entry(
            3,
            "2025-09-15T15:00:03Z",
            None,
            httpRequest={
                "requestMethod": "GET",
                "status": 503,
                "requestUrl": "https://svc.run.app/api/t",
                "latency": "1.5s",
            },
        ),
        entry(4, "2025-09-15T15:00:04Z", "plain"),
    ]
    df = api.load([write(tmp_path, "x.json", json.dumps(data))]).frame()
    assert list(df["message"]) == [
        "structured",
        "google.cloud.run.v1.Services.ReplaceService",
        "GET /api/t 503 1.5s",
        "plain",
    ]
    assert list(df["severity"]) == ["ERROR", "DEFAULT", "DEFAULT", "DEFAULT"]
    assert df["http_latency_s"].iloc[2] == 1.5


def test_gzip_and_stdin_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """.gz files are read transparently and - reads standard input."""
    body = (json.dumps(entry(1, "2025-09-15T15:00:01Z")) + "\n").encode()
    gz = tmp_path / "x.ndjson.gz"
    gz.write_bytes(gzip.compress(body))
    assert api.load([str(gz)]).window_count() == 1
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body)))
    assert api.load(["-"]).window_count() == 1


def test_missing_file_is_an_input_error() -> None:
    """A path that does not exist is named in the error."""
    with pytest.raises(InputError, match=r"nope\.json: no such file"):
        api.load(["nope.json"])


def test_bad_since_is_a_usage_error(tmp_path: Path) -> None:
    """An unparseable --since is a usage error naming the flag."""
    with pytest.raises(UsageError, match="--since"):
        api.load(
            [write(tmp_path, "x.json", json.dumps([entry(1, "2025-09-15T15:00:01Z")]))], since="yesterday"
        )


INPUTS = Path(__file__).parent / "data" / "inputs"


@pytest.mark.parametrize("name", sorted(p.name for p in INPUTS.iterdir()))
def test_every_sample_format_is_detected_and_loaded(name: str) -> None:
    """Each realistic sample (text, CSV, BigQuery, Log Analytics, ...) loads without being told its format."""
    loaded = api.load([str(INPUTS / name)])
    assert loaded.window_count() > 0
    assert loaded.frame()["message"].str.len().min() > 0


def test_bigquery_json_audit_payload_is_mapped() -> None:
    """BigQuery's protopayload_auditlog is mapped back, so deploys are recognised."""
    loaded = api.load([str(INPUTS / "bigquery_export.json")])
    assert ("google.cloud.run.v1.Services.ReplaceService", 1) in loaded.counts("method_name")


@pytest.mark.parametrize(
    "content", ["[1, 2, 3]", '{\n  "name": "shop",\n  "items": [1, 2]\n}\n', "{not json\n{also not\n"]
)
def test_files_with_nothing_usable_are_rejected(tmp_path: Path, content: str) -> None:
    """Unrelated or wholly malformed JSON is an input error (exit 2), not an empty analysis."""
    with pytest.raises(InputError, match="not a recognised log export"):
        api.load([write(tmp_path, "x.json", content)])


@pytest.mark.parametrize(("name", "content", "kept"), [
    # Node prints an error object with util.inspect as `{ Error: ...` and then its stack
    # (grpc/grpc-node#1064): not NDJSON with every line bad
    ("paste.log", "{ Error: No connection established\n"
                  "    at Http2CallStream.call.on (/srv/node_modules/@grpc/grpc-js/build/src/call.js:68:41)\n"
                  "  code: 14,\n  details: 'No connection established',\n"
                  "  metadata: Metadata { internalRepr: Map {} } }\n", "No connection established"),
    # Puma's boot banner opens every line with its process id in brackets (puma/lib/puma/cluster.rb's
    # log lines): a JSON value, `[1]`, begins the file, but it is no JSON array of non-objects
    # (held-out UG05)
    ("kubectl-logs.txt", "[1] Puma starting in cluster mode...\n"
                         "[1] * Puma version: 6.4.2 (ruby 3.3.0-p0) (\"The Eagle of Durango\")\n"
                         "[1] * Listening on http://0.0.0.0:3000\n"
                         "[1] - Worker 0 (PID: 14) booted in 0.04s, phase: 0\n",
     "Puma starting in cluster mode"),
])
def test_a_paste_that_opens_like_json_is_text(tmp_path: Path, name: str, content: str, kept: str) -> None:
    """A text log whose first line opens with a brace or a JSON value is read line by line as text."""
    frame = api.load([write(tmp_path, name, content)]).frame()
    assert frame["message"].str.contains(kept, regex=False).any()


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_back_to_back_pretty_printed_entries_load_without_an_array() -> None:
    """`jq . entries.json` output (objects one after another, no array) loads every entry whole."""
    df = api.load([str(INPUTS / "pasted_back_to_back.json")]).frame()
    traces = [t if isinstance(t, str) else None for t in df["trace"]]
    assert list(zip(df["line_no"], df["severity"], df["log_id"], traces, strict=True)) == [
        (1, "ERROR", "run.googleapis.com/stderr", None),
        (22, "ERROR", "run.googleapis.com/stdout", f"projects/shop-prod/traces/{TRACE}"),
        (48, "WARNING", "run.googleapis.com/varlog/system", None),
    ]
    assert df["message"].iloc[1] == "payment provider call failed\ncontext deadline exceeded"


def test_logs_explorer_copy_reads_each_entry_once() -> None:
    """Summary line + expanded JSON per entry: the JSON is the entry and its summary line is dropped;
    a collapsed entry's summary is a text entry with the viewer's zone (CET) undone; an entry copied
    with nested fields collapsed (`{6}`, a comma lost) loads and is reported."""
    loaded = api.load([str(INPUTS / "logs_explorer_copy.txt")])
    df = loaded.frame()
    rows = [(int(n), t.strftime("%H:%M:%S.%f")[:12], s) for n, t, s in zip(
        df["line_no"], df["ts"], df["severity"], strict=True)]
    assert rows == [
        (2, "14:02:11.123", "ERROR"),
        (24, "14:02:11.241", "ERROR"),
        (50, "14:02:11.901", "INFO"),  # collapsed: only its summary line was copied
        (52, "14:02:12.007", "WARNING"),
    ]
    assert df["service"].iloc[0] == "orders-api" and df["message"].iloc[3] == "Container called exit(1)."
    assert [(p.line, p.reason.split(" (")[0]) for p in loaded.problems.kept] == [
        (52, "2 nested field(s) copied collapsed")
    ]
    assert loaded.problems.counts["collapsed"] == 1


def test_summary_lines_without_their_json_stay_text(tmp_path: Path) -> None:
    """A text line before an entry is dropped only when it is that entry's summary; kept, a row of
    the console's columns is read as its entry (its time, severity and text)."""
    body = json.dumps(entry(1, "2025-09-15T15:00:07.250Z", "upstream connect error"), indent=2)
    text = "2025-09-15 14:59:58.001 UTC  INFO  worker started\n" + body + "\n"
    df = api.load([write(tmp_path, "x.txt", text)]).frame()
    assert list(df["message"]) == ["worker started", "upstream connect error"]
    assert df["severity"].iloc[0] == "INFO"


def test_json_records_embedded_in_text_lines_give_severity_and_message() -> None:
    """`<time> app[web.1]: {json}`, syslog relays and `logger: {json}`: the record's own severity,
    message and error are used, the prefix is kept, and lines without a record stay text."""
    df = api.load([str(INPUTS / "embedded_json.log")]).frame()
    assert list(df["severity"]) == ["INFO", "ERROR", "DEFAULT", "ERROR", "WARNING"]
    assert list(df["message"].str.split("\n").str[0]) == [
        "GET /orders 200", "order sync failed", df["message"].iloc[2], "payment provider call failed",
        "retrying order sync",
    ]
    assert "connection refused" in df["message"].iloc[1]
    payload = json.loads(df["payload"].iloc[1])
    assert (payload["prefix"], payload["order_id"]) == ("app[web.1]:", "A-1182")


def test_cut_off_paste_keeps_the_whole_objects_before_the_cut(tmp_path: Path) -> None:
    """The last pasted object cut mid-way is reported as truncated; a stray `{` in text is text."""
    whole = json.dumps(entry(1, "2025-09-15T15:00:01Z", "first"), indent=2)
    cut = json.dumps(entry(2, "2025-09-15T15:00:02Z", "second"), indent=2)[:90]
    text = "2025-09-15 15:00:00 worker 3 starting\n{ not an object\n" + whole + "\n" + cut
    loaded = api.load([write(tmp_path, "x.txt", text)])
    assert sorted(loaded.frame()["message"]) == ["first", "worker 3 starting", "{ not an object"]
    assert [(p.line, p.reason) for p in loaded.problems.kept] == [
        (len(whole.splitlines()) + 3, "JSON object is truncated (no closing })")
    ]
    assert loaded.problems.counts["truncated"] == 1


def test_a_cut_is_named_by_its_kind_not_its_wording(tmp_path: Path) -> None:
    """The gap of a cut file points at the cut itself, whatever its message says: here an element
    nested too deep to read and never closed, after an element that was merely not a log entry."""
    head = json.dumps(entry(1, "2025-01-01T00:00:00Z"))
    path = tmp_path / "cut.json"
    path.write_text(f'[{head}, {{"hello": 1}}, {head.replace("id1", "id2")},\n' + "[" * 50_000)
    loaded = api.load([path], since="1h", until="2025-01-01T00:30:00Z")
    gaps = loaded.all_gaps()
    assert len(gaps) == 1
    assert "line 2" in gaps[0].reason and "nested too deep" in gaps[0].reason
    assert loaded.load_stats().skipped_by_kind == {"malformed": 1, "truncated": 1}


def test_offsets_are_applied_by_the_typed_reader(tmp_path: Path) -> None:
    """An export's times with an offset or zone name land in UTC; ``Z`` times take the cheaper cast."""
    forms = ["2025-01-01T12:00:01Z", "2025-01-01T14:00:02+02:00", "2025-01-01T06:30:03.000-05:30",
             "2025-01-01T12:00:04.123456789Z", "2025-01-01T13:00:05 Europe/Paris"]
    path = tmp_path / "offsets.ndjson"
    path.write_text("".join(json.dumps(entry(i, ts)) + "\n" for i, ts in enumerate(forms)), encoding="utf-8")
    loaded = api.load([path], until="2025-01-01T12:30:00Z", since="1h")
    stamps = [ts for (ts,) in loaded.store.rows("SELECT ts FROM entries ORDER BY entry_id")]
    assert [(ts.hour, ts.minute, ts.second) for ts in stamps] == [(12, 0, s) for s in range(1, 6)]
    assert loaded.problems.total == 0


@pytest.mark.parametrize("since", ["5m", "30m", None])
def test_entries_are_the_same_whether_finalised_in_place_or_compacted(
    since: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`finalise` keeps the staged table as `entries` or copies the kept rows out (when most were
    dropped): the rows, ids and columns are the same either way, whatever share the window drops."""
    from rca.engine import store

    sample = str(Path(__file__).resolve().parents[1] / "examples" / "netra-backend-staging-2025-09-15.json")
    frames = []
    for threshold in (0.0, 1.0):  # always copy out; never
        monkeypatch.setattr(store, "COMPACT_ABOVE", threshold)
        loaded = api.load([sample], service="netra-backend-staging", since=since)
        frames.append(loaded.frame())
        tables = {t for (t,) in loaded.store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "entries" in tables and "staged" not in tables
    assert frames[0].equals(frames[1]) and len(frames[0]) > 0
    assert list(frames[0]["entry_id"]) == list(range(len(frames[0])))


def test_a_pretty_printed_app_log_record_is_read_as_its_json_line(tmp_path: Path) -> None:
    """An application's structured log records pasted pretty-printed (a Logs Explorer jsonPayload,
    `jq .` of app logs), not LogEntries: each record is one entry with its own level, time and
    message, numbered by the line it starts on (cloud-sql-proxy#2425 pasted one like this)."""
    content = ('{\n  "severity": "ERROR",\n  "timestamp": "2025-04-10T07:38:42.858Z",\n'
               '  "message": "failed to connect to instance: tls: failed to verify certificate"\n}\n'
               '{\n  "level": "info",\n  "msg": "retrying"\n}\n')
    frame = api.load([write(tmp_path, "paste.txt", content)]).frame()
    assert [(int(n), s, m) for n, s, m in zip(frame["line_no"], frame["severity"], frame["message"],
                                               strict=True)] == [
        (1, "ERROR", "failed to connect to instance: tls: failed to verify certificate"),
        (6, "INFO", "retrying"),
    ]


def test_a_legacy_logs_viewer_entry_with_bare_keys_loads_as_the_entry(tmp_path: Path) -> None:
    """The legacy Logs Viewer's expanded entry prints keys without quotes and fields without
    commas, and nested objects left collapsed as `{0}` (googleCloudRunner#71 pasted one): it is
    read as the LogEntry it shows, not rejected as broken JSON."""
    content = ('{\ninsertId: "1snmqroftlpeaj"\njsonPayload: {\nstatus: "PERMISSION_DENIED"\n'
               '@type: "type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished"\n}\n'
               'httpRequest: {0}\nresource: {\ntype: "cloud_scheduler_job"\n'
               'labels: {\njob_id: "nightly"\n}\n}\n'
               'timestamp: "2020-05-24T20:30:00.726478644Z"\nseverity: "ERROR"\n'
               'logName: "projects/p/logs/cloudscheduler.googleapis.com%2Fexecutions"\n}\n')
    frame = api.load([write(tmp_path, "paste.txt", content)]).frame()
    assert [(r.severity, r.resource_type, r.insert_id) for r in frame.itertuples()] == [
        ("ERROR", "cloud_scheduler_job", "1snmqroftlpeaj")]


def test_a_pasted_entry_that_stays_broken_is_read_as_text_not_dropped(tmp_path: Path) -> None:
    """The Logs Explorer shows a message's inner quotes unescaped (spellshift/realm#136): the entry
    cannot be repaired into JSON, so it is reported and its lines read as text; the message the
    user pasted it for is still there."""
    content = ('{\nlabels: {1}\nreceiveTimestamp: "2023-03-04T19:49:14.105738096Z"\nresource: {2}\n'
               'severity: "ERROR"\n'
               'textPayload: "Exceeded maximum of 100 connections per instance "ists-379418:us-east4:db"."\n'
               'timestamp: "2023-03-04T19:49:14.057770Z"\n}\n')
    loaded = api.load([write(tmp_path, "paste.txt", content)])
    texts = " ".join(str(m) for m in loaded.frame()["message"])
    assert "Exceeded maximum of 100 connections per instance" in texts


@pytest.mark.parametrize("shape", ["ndjson", "array", "array-python"])
def test_drill_down_columns_come_from_the_entry_whatever_read_it(tmp_path: Path, shape: str) -> None:
    """receive_ts, span_id, sourceLocation and payload are not kept in `entries` (no analysis reads
    them); the frame reads them back from each entry. Through DuckDB's typed readers (NDJSON, a
    plain array) and the Python reader (an array it must canonicalise) the frame is the same."""
    first = entry(1, "2025-09-15T15:00:01Z", None, receiveTimestamp="2025-09-15T15:00:01.500+02:00",
                  spanId="s1", sourceLocation={"file": "app.py", "line": "42"},
                  jsonPayload={"message": "m", "k": 1})
    audit = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": "x.Y"}
    second = entry(2, "2025-09-15T15:00:02Z", "t", protoPayload=audit, jsonPayload=None,
                   sourceLocation={"file": "b.go", "line": 7})
    if shape == "array-python":
        second["severity"] = "error"  # lower case: the Python reader canonicalises the array
    body = {"ndjson": "\n".join(json.dumps(e) for e in (first, second)) + "\n"}.get(
        shape, json.dumps([first, second]))
    loaded = api.load([write(tmp_path, "x.ndjson" if shape == "ndjson" else "x.json", body)])
    df = loaded.frame()
    # each row's own entry, though both elements of a one-line array start on line 1
    assert [json.loads(raw)["insertId"] for raw in entries_frame(loaded)["raw"]] == ["id1", "id2"]
    assert [str(t) for t in df["receive_ts"]] == ["2025-09-15 13:00:01.500000", "NaT"]
    assert list(df["span_id"].fillna("-")) == ["s1", "-"]
    assert list(df["source_file"]) == ["app.py", "b.go"]
    assert list(df["source_line"]) == [42, 7]
    assert [json.loads(p) for p in df["payload"]] == [{"message": "m", "k": 1}, audit]
    assert "proto_payload" not in df.columns and "naive_ts" not in df.columns


GCLOUD_YAML = """---
insertId: 7b6d0f8b481f17e8c79f82df
httpRequest:
  requestMethod: POST
  requestUrl: https://ingest-webhook-4mw2t7fzqq-uc.a.run.app/
  status: 500
logName: projects/ingest-prod/logs/run.googleapis.com%2Frequests
resource:
  labels:
    revision_name: ingest-webhook-00007-dez
    service_name: ingest-webhook
  type: cloud_run_revision
severity: ERROR
textPayload: The request failed because the instance could not start successfully.
timestamp: '2024-03-13T17:06:44.120000Z'
---
insertId: broken
logName: projects/ingest-prod/logs/run.googleapis.com%2Fstderr
textPayload: [unclosed
---
insertId: fe7fbd9a8c1aa629aeaaf26b
logName: projects/ingest-prod/logs/run.googleapis.com%2Fstderr
resource:
  labels:
    service_name: ingest-webhook
  type: cloud_run_revision
severity: ERROR
textPayload: |-
  google.api_core.exceptions.PermissionDenied: 403 Permission 'secretmanager.versions.access'
  denied for resource 'projects/972852361128/secrets/API_KEYS/versions/2' (or it may not exist).
timestamp: 2024-03-13T17:06:43.9Z
"""


def test_gcloud_logging_read_yaml_loads_each_document_as_its_entry(tmp_path: Path) -> None:
    """`gcloud logging read` without --format=json prints YAML documents: each is its entry, with
    its time (quoted or not), severity, request and a multi-line payload whole; a document that
    does not parse is reported by its line and the others still load."""
    import pandas as pd

    loaded = api.load([write(tmp_path, "read.yaml", GCLOUD_YAML)])
    df = loaded.frame()
    rows = [(t.strftime("%H:%M:%S.%f")[:12], s, None if pd.isna(st) else int(st))
            for t, s, st in zip(df["ts"], df["severity"], df["http_status"], strict=True)]
    assert sorted(rows) == [("17:06:43.900", "ERROR", None), ("17:06:44.120", "ERROR", 500)]
    assert "secretmanager.versions.access'\ndenied for resource" in " ".join(df["message"])
    assert [p.line for p in loaded.problems.kept] == [20]


def test_gcloud_yaml_under_the_command_that_printed_it_is_still_yaml(tmp_path: Path) -> None:
    """A paste opens with the `gcloud logging read` command, continued over two lines, above its
    output (blind set BF06): the command is no document, the entries load with their times, and a
    problem's line is still the file's own."""
    import pandas as pd

    command = ("$ gcloud logging read 'resource.type=\"cloud_run_revision\"' \\\n"
               "    --project ingest-prod --freshness 1h\n")
    loaded = api.load([write(tmp_path, "read.txt", command + GCLOUD_YAML)])
    df = loaded.frame()
    assert sorted(t.strftime("%H:%M:%S.%f")[:12] for t in df["ts"] if not pd.isna(t)) == [
        "17:06:43.900", "17:06:44.120"]
    assert [p.line for p in loaded.problems.kept] == [22]


def test_text_with_a_few_key_value_lines_is_not_read_as_yaml(tmp_path: Path) -> None:
    """Only a head opening with `---` or a LogEntry key, holding three LogEntry keys, is gcloud's
    YAML; a text log that mentions `severity:` stays text."""
    text = "2025-09-15 14:59:58 ERROR payment failed\nseverity: high\ntimestamp: now\n"
    df = api.load([write(tmp_path, "app.log", text)]).frame()
    assert df["message"].str.contains("payment failed").any()


def test_a_skipped_line_is_named_under_the_headline(tmp_path: Path) -> None:
    """A corrupted NDJSON line is skipped and the rest analysed, and the report says so at the top,
    with the file, the line and what was wrong, not only as a count at the end (blind set CF)."""
    lines = [json.dumps(entry(1, "2025-09-15T15:00:01Z")), "{not json",
             json.dumps(entry(2, "2025-09-15T15:00:02Z"))]
    result = api.analyze([write(tmp_path, "x.ndjson", "\n".join(lines) + "\n")]).result
    assert any("x.ndjson:2: not valid JSON" in note for note in result.notes)


def test_a_workflows_execution_log_is_its_workflows(tmp_path: Path) -> None:
    """Workflows logs its executions under `workflows.googleapis.com/Workflow`, the workflow named by
    `resource.labels.workflow_id` (blind set BN06: `--service carrier-booking-sync` exited 1, naming
    only the Cloud Run service the workflow calls)."""
    execution = {"insertId": "juf4i3", "timestamp": "2024-04-16T11:57:39.004226Z", "severity": "ERROR",
                 "logName": "projects/p/logs/workflows.googleapis.com%2Fexecutions_system",
                 "resource": {"type": "workflows.googleapis.com/Workflow",
                              "labels": {"workflow_id": "carrier-booking-sync", "location": "us-central1"}},
                 "jsonPayload": {"state": "FAILED"}}
    path = write(tmp_path, "w.ndjson", json.dumps(execution) + "\n")
    df = api.load([path], service="carrier-booking-sync").frame()
    assert list(df["service"]) == ["carrier-booking-sync"]


def test_function_executions_without_a_url_are_users_requests_not_checks(tmp_path: Path) -> None:
    """A function's execution lines (`Function execution took N ms, finished with status code: 200`)
    are requests without a URL: no health path says they are a monitor's, so they stay users'
    requests and the load reports no "only monitors and probes" (held-out FC10: all 88 read as
    checks, the report saying the service logged only probes)."""
    lines = []
    for n in range(6):
        lines += [f"2024-08-06T10:0{n}:04.000Z D api: Function execution started",
                  f"2024-08-06T10:0{n}:04.200Z D api: Function execution took 200 ms, "
                  "finished with status code: 200"]
    loaded = pasted(tmp_path, lines, "api", "functions.txt")
    stats = loaded.load_stats()
    assert (stats.checker_requests, stats.access_log_requests) == (0, 6)


def test_an_access_log_paste_beside_cron_s_syslog_lines_is_the_service_s(tmp_path: Path) -> None:
    """Apache's access log (its lines name no program) pasted with `grep CRON /var/log/syslog`: the
    only program named is the host's scheduler, which is no service (`host_programs`), so `--service
    wordpress` reads the paste instead of calling the name mistyped (held-out IU06)."""
    lines = ['10.0.0.7 - - [10/Mar/2026:02:40:00 +0000] "GET /blog/ HTTP/1.1" 200 16756 "-" "curl/8.5"',
             '10.0.0.7 - - [10/Mar/2026:03:01:00 +0000] "GET /blog/ HTTP/1.1" 500 2712 "-" "curl/8.5"',
             "$ grep CRON /var/log/syslog | tail -n 2",
             "Mar 10 03:00:01 wp-prod-1 CRON[20701]: (root) CMD (/usr/local/sbin/rotate-db-creds.sh)"]
    loaded = pasted(tmp_path, lines, "wordpress")
    requests = "SELECT list(http_status ORDER BY ts) FROM entries WHERE http_status IS NOT NULL"
    assert loaded.store.con.execute(requests).fetchone() == ([200, 500],)


@pytest.mark.parametrize("first", [
    "$ sudo journalctl --since '2024-06-16 13:40' -u reportgen -u cron --no-pager",
    "Jun 16 13:40:01 reports-vm-1 systemd[1]: Started reportgen.service - Report generator.",
])
def test_a_journal_paste_of_the_service_s_unit_is_about_it_though_only_cron_names_itself(
        tmp_path: Path, first: str) -> None:
    """A journal paste of the service's unit beside cron's: the app's lines are its server's
    (`gunicorn[1312]:`, a launcher's name, which names no service) and the only program that names
    a workload is CRON. The paste asked for the unit (`journalctl -u reportgen`) or shows it start
    (`Started reportgen.service`): `--service reportgen` is its, not a mistyped name (held-out FS05,
    FU05), and the app's lines are read as the service's."""
    lines = [first,
             "Jun 16 13:40:48 reports-vm-1 gunicorn[1312]: [2024-06-16 13:40:48,365] INFO in reports: done",
             "Jun 16 13:41:01 reports-vm-1 CRON[2044]: (root) CMD (test -x /usr/sbin/anacron)",
             "Jun 16 13:42:10 reports-vm-1 gunicorn[1312]: [2024-06-16 13:42:10,101] ERROR in app: "
             "Exception on /reports [POST]"]
    loaded = pasted(tmp_path, lines, "reportgen", "journal.txt")
    kept = loaded.store.con.execute("SELECT count(*) FROM entries WHERE message LIKE '%in reports%' "
                                    "OR message LIKE '%ERROR in app%'").fetchone()
    assert kept == (2,)


def test_a_journal_paste_of_a_service_and_its_timer_is_that_one_unit_s(tmp_path: Path) -> None:
    """`journalctl -u partner-upload.service -u partner-upload.timer`: the timer starts the service of
    its name, so the paste is one unit's journal, and the lines of the script it runs
    (`partner-upload.sh[44681]:`) are the service's (held-out LP05, whose FTP server's 552 replies
    were set aside as another program's)."""
    lines = ['$ journalctl -u partner-upload.service -u partner-upload.timer --since "2026-11-21 01:30" '
             "--no-pager",
             "Nov 21 02:10:04 ftp-relay-01 systemd[1]: Starting partner-upload.service - Push invoices...",
             "Nov 21 02:10:12 ftp-relay-01 partner-upload.sh[44681]: mput: Access failed: 552 Transfer "
             "aborted. Disk quota exceeded (INV-20261121-8445.xml)",
             "Nov 21 02:10:14 ftp-relay-01 systemd[1]: partner-upload.service: Failed with result "
             "'exit-code'."]
    loaded = pasted(tmp_path, lines, "partner-upload", "journal.txt")
    kept = loaded.store.con.execute("SELECT count(*) FROM entries WHERE message LIKE '%Access failed: 552%'")
    assert kept.fetchone() == (1,)


def test_a_journal_paste_of_a_template_unit_s_instances_is_that_one_service_s(tmp_path: Path) -> None:
    """`journalctl -u rq-worker@1 -u rq-worker@2`: two instances of one template unit are the
    replicas of one service, `rq-worker`, whose lines the workers' own program (`rq[1851]:`) writes
    (held-out LW09 exited 1: no entries for service 'rq-worker')."""
    lines = ["$ sudo journalctl -u rq-worker@1 -u rq-worker@2 --since '2024-10-02 02:40' --no-pager",
             "Oct 02 02:40:07 etl-runner-1 rq[1851]: 02:40:07 etl: etl.jobs.load_partner_feed('umbrella')",
             "Oct 02 02:41:03 etl-runner-1 rq[1843]: 02:41:03 etl: OSError: [Errno 28] No space left on "
             "device"]
    loaded = pasted(tmp_path, lines, "rq-worker", "journal.txt")
    kept = loaded.store.con.execute("SELECT count(*) FROM entries WHERE message LIKE '%etl: %'")
    assert kept.fetchone() == (2,)
