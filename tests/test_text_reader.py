"""Plain-text logs become canonical LogEntry dicts, one per line, in input order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.sources.text import looks_like_text_log, parse_timestamp, read_text_entries

INPUTS = Path(__file__).parent / "data" / "inputs"


def _read(name: str, **kwargs: Any) -> list[dict[str, Any]]:
    """All entries of one sample file."""
    path = INPUTS / name
    with path.open(encoding="utf-8") as stream:
        return list(read_text_entries(stream, str(path), **kwargs))


def _one(line: str) -> dict[str, Any]:
    """The single entry of a one-line input."""
    (entry,) = read_text_entries([line], "paste.txt")
    return entry


def _by_line(entries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Entries keyed by the line they start on."""
    return {entry["_line"]: entry for entry in entries}


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("INFO:     Started server process [1]", "INFO"),  # uvicorn pads after the colon
        ("ERROR:    Application startup failed. Exiting.", "ERROR"),
        ("WARNING:  Invalid HTTP request received.", "WARNING"),
        ("ERROR:root:giving up after 5 attempts", "ERROR"),  # logging.basicConfig default
        ("2025-08-21 09:14:02,118 ERROR app.db: could not connect", "ERROR"),
        ("2025-08-21 09:14:03,004 - app.db - WARNING - retrying", "WARNING"),  # '%(name)s - %(levelname)s'
        ("[2025-08-21 09:14:02 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:8)", "CRITICAL"),  # gunicorn
        ("2025-08-21 09:14:02 -0700 [WARN] disk 91% full", "WARNING"),
        ("2025-08-21 09:14:02 ERR connection refused", "ERROR"),
        ("FATAL:  remaining connection slots are reserved", "CRITICAL"),  # postgres
        ('time="2025-08-21T09:14:07Z" level=error msg="upstream timeout"', "ERROR"),  # logfmt
        ("2025-08-21 09:14:02,118 DEBUG sqlalchemy.pool: checkout", "DEBUG"),
        # a level word after a prefix, near the start (lines pasted from public issue threads)
        ("[Nest] 1  - 03/12/2026, 6:36:25 PM   ERROR [RedisModule] default: connect ECONNREFUSED "
         "127.0.0.1:6379 +2004ms", "ERROR"),  # NestJS, bigcapitalhq/bigcapital#1036
        ("[error] failed to initialize database, got error failed to connect to `host=db`",
         "ERROR"),  # GORM, langgenius/dify#17928
        ("2025/04/12 08:36:03 init.go:85: [PANIC]failed to init dify plugin db", "CRITICAL"),
        ("2025/04/12 08:36:03 pool.go:32: [INFO]init routine pool, size: 10000", "INFO"),
        ("[2015-11-19 12:29:19] production.ERROR: exception 'ErrorException' with message 'x'",
         "ERROR"),  # Monolog (Laravel), laravel/framework#11233
        # Go's log package with a bare ERR (sipcapture/homer7-docker#89)
        ("2020/09/30 03:44:26.536029 postgres.go:283: ERR pq: could not extend file", "ERROR"),
        ("03-Dec-2020 02:23:20.100 SEVERE [main] org.apache.catalina.core.StandardContext.startInternal x",
         "CRITICAL"),  # Tomcat's OneLineFormatter, java.util.logging's SEVERE
        ("[19-Jun-2023 06:48:54 UTC] PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted",
         "CRITICAL"),  # PHP's error log, levels as Monolog's ErrorHandler maps them
        ("PHP Warning:  Failed to set memory limit to 128 bytes in Unknown on line 0", "WARNING"),
        ("E, [2018-06-06T22:12:08.123456 #12] ERROR -- : [4f1c] boom", "ERROR"),  # Ruby's Logger
        ("[Nest] 19  - 11/30/2026, 2:03:22 PM     LOG [NestApplication] started", "INFO"),
        # glog/klog (Kubernetes components, gRPC core): the level's letter (risingwavelabs/risingwave#9074)
        ("E0410 04:40:33.165965010  321185 tcp_server_posix.cc:205] Failed accept4: Too many open files",
         "ERROR"),
        ("I1015 12:00:01.123456       1 reflector.go:138] watch closed", "INFO"),
        # Celery's worker_log_format (codalab/codabench#1175)
        ("[2023-09-26 09:33:16,263: CRITICAL/MainProcess] Unrecoverable error: AccessRefused(403, "
         "'ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN.')", "CRITICAL"),
        ("[2023-09-26 09:33:10,001: INFO/MainProcess] Connected to amqp://celery:**@rabbitmq:5672//", "INFO"),
    ],
)
def test_level_word_sets_severity(line: str, severity: str) -> None:
    """The level word of common formats becomes the Cloud Logging severity name."""
    assert severity == _one(line)["severity"]


@pytest.mark.parametrize(
    "line",
    [
        "asyncpg.exceptions.ConnectionDoesNotExistError: connection was closed",  # 'Error' inside a word
        '  File "/app/main.py", line 12, in <module>',
        "Starting server on port 8080",
        "Errors are retried by the worker",  # prose starting with a level-like word
        "Setting the log level to ERROR",  # a level word that ends the line is prose
        "GET /api/errors 200",
        "retrying after " + "x" * 120 + " ERROR later",  # a level word far into the message
    ],
)
def test_line_without_level_word_has_no_severity(line: str) -> None:
    """Without a level word no severity is set, so the entry stays DEFAULT as on Cloud Run."""
    assert "severity" not in _one(line)


@pytest.mark.parametrize(
    ("line", "timestamp", "naive"),
    [
        ("2025-08-21T09:14:02.118123456Z hello", "2025-08-21T09:14:02.118123456Z", False),  # kubectl/docker
        ("2024-08-06 10:15:00 Starting server", "2024-08-06T10:15:00Z", True),  # gcloud run logs read
        ("2025-08-21 09:14:02,118 ERROR app: x", "2025-08-21T09:14:02.118Z", True),  # Python ,ms
        ("2025-08-21T11:14:05.250+02:00 CRITICAL app.main: x", "2025-08-21T09:14:05.250Z", False),
        ("[2025-08-21 02:14:06 -0700] [7] [INFO] Booting worker", "2025-08-21T09:14:06Z", False),
        ("2025-08-21 23:30:00 -0700 [INFO] x", "2025-08-22T06:30:00Z", False),  # offset crosses midnight
        ("2025/08/21 09:14:02 dial tcp 10.0.0.5:5432: i/o timeout", "2025-08-21T09:14:02Z", True),  # Go log
        # logrus/logfmt opening with its time (dbinfrago/capella-collab-manager#1914)
        ('time="2024-10-17T13:41:50+0000" level=ERROR msg="QueuePool limit"', "2024-10-17T13:41:50Z", False),
        ("ts=2024-10-17T15:41:50+02:00 level=warn msg=slow", "2024-10-17T13:41:50Z", False),
        # ctime, as dmesg -T prints a kernel OOM kill (kenlasko/monize#1002)
        ("[Thu Jul 30 19:19:41 2026] Memory cgroup out of memory: Killed process 3372147",
         "2026-07-30T19:19:41Z", True),
        ("[Thu Jul  3 09:01:02 2026] oom-kill:constraint=CONSTRAINT_MEMCG", "2026-07-03T09:01:02Z", True),
        # Tomcat and PHP: day, month name, year; PHP names its zone
        ("03-Dec-2020 02:23:14.314 INFO [main] x", "2020-12-03T02:23:14.314Z", True),
        ("[19-Jun-2023 06:48:54 UTC] PHP Warning:  x", "2023-06-19T06:48:54Z", False),
        ("[19-Jun-2023 06:48:54 Europe/Berlin] PHP Warning:  x", "2023-06-19T06:48:54Z", True),
        # Ruby's Logger, and a bare Rails request line (publiclab/plots2#2779)
        ("I, [2018-06-06T22:12:08.123456 #12]  INFO -- : Started GET", "2018-06-06T22:12:08.123456Z", True),
        ('Started GET "/users/x" for 172.56.22.214 at 2018-06-06 22:12:08 +0000', "2018-06-06T22:12:08Z",
         False),
        # NestJS's locale time: en-US (month first, upper-case PM, Node 20's narrow space), day first
        # with a lower-case pm or a 24-hour clock, and a number above 12 that settles the order
        ("[Nest] 19  - 11/30/2026, 2:03:22\u202fPM   ERROR [Exceptions] x", "2026-11-30T14:03:22Z", True),
        ("[Nest] 19  - 07/11/2026, 1:16:03 PM   ERROR [Exceptions] x", "2026-07-11T13:16:03Z", True),
        ("[Nest] 20196  - 18/03/2023, 2:39:09 pm   ERROR [Exceptions] x", "2023-03-18T14:39:09Z", True),
        ("[Nest] 1  - 05/04/2026, 00:03:22     LOG [NestFactory] x", "2026-04-05T00:03:22Z", True),
        ("[Nest] 1  - 2023/02/12 16:41:02   ERROR [ExceptionsHandler] x", "2023-02-12T16:41:02Z", True),
        # a zone name printed after the time, where it names one offset (blind set DL01: a Go
        # service's line from google/exposure-notifications-server#214)
        ("2020-05-15 21:10:47.624 EDT setup.Setup: error loading environment variables",
         "2020-05-16T01:10:47.624Z", False),
        ("2026-11-30 15:02:11.123 CET  ERROR  payment provider call failed",
         "2026-11-30T14:02:11.123Z", False),
        # ... and left naive where it does not (India, Israel or Ireland)
        ("2026-11-30 15:02:11 IST ERROR x", "2026-11-30T15:02:11Z", True),
        # an NCSA access line (nginx, Apache: the httpd docs' own example) and php-fpm's access log,
        # whose default format prints the time without brackets (blind set GD03)
        ('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
         "2000-10-10T20:55:36Z", False),
        ('10.52.1.1 - - [13/Mar/2026:10:10:27 +0000] "GET / HTTP/1.1" 200 38197 "-" "Mozilla/5.0"',
         "2026-03-13T10:10:27Z", False),
        ('127.0.0.1 -  13/Mar/2026:10:16:11 +0000 "GET /index.php" 500', "2026-03-13T10:16:11Z", False),
    ],
)
def test_timestamps_become_utc(line: str, timestamp: str, naive: bool) -> None:
    """Times with offsets are converted to UTC `Z`; zone-less times are taken as UTC and flagged."""
    entry = _one(line)
    assert (timestamp, naive) == (entry["timestamp"], entry.get("_naive_ts", False))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-06 10:15:00.861214 UTC", "2024-08-06T10:15:00.861214Z"),  # BigQuery rendering
        ("2024-08-06T10:15:00.861214+00:00", "2024-08-06T10:15:00.861214Z"),
        (1755767644.5, "2025-08-21T09:14:04.500000Z"),  # epoch seconds
        ("1755767644500", "2025-08-21T09:14:04.500000Z"),  # epoch milliseconds as text
        ("2025-02-30 10:00:00", None),  # impossible date
        ("yesterday", None),
    ],
)
def test_parse_timestamp(value: object, expected: str | None) -> None:
    """parse_timestamp normalises export and epoch times to RFC 3339 `Z`, and refuses non-times."""
    stamp = parse_timestamp(value)
    assert expected == (stamp.rfc3339 if stamp else None)


def test_traceback_lines_stay_separate_entries() -> None:
    """Each traceback line is its own entry with consecutive `_line` numbers; blank lines are skipped."""
    lines = [entry["_line"] for entry in _read("kubectl_uvicorn_asyncpg.log")]
    assert lines == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 17, 18]



def test_a_line_a_tool_indented_before_its_own_date_and_time_is_an_entry_of_that_time() -> None:
    """Laravel's `queue:work` prints each job's line two spaces in, its date and time first: each is
    an entry of its own time, not a continuation of the line above (held-out KN06: a worker's
    DONE and FAIL lines untimed, so no job outcome counted); a traceback's indented frame is not."""
    lines = ["  2026-09-14 07:31:12 App\\Jobs\\SyncShopifyInventory ............. 53.99ms FAIL",
             "  2026-09-14 07:31:13 App\\Jobs\\RecalculateStockLevels ........... 46.80ms DONE",
             '    File "/app/main.py", line 3, in <module>']
    first, second, frame = read_text_entries(lines, "horizon.log")
    times = (first["timestamp"][:19], second["timestamp"][:19])
    assert times == ("2026-09-14T07:31:12", "2026-09-14T07:31:13")
    assert frame["timestamp"] == second["timestamp"]  # (inherited: the frame has no time of its own)

def test_collector_timestamp_is_stripped_from_text() -> None:
    """The kubectl/docker timestamp prefix is removed; what the app wrote is the textPayload."""
    entry = _by_line(_read("kubectl_uvicorn_asyncpg.log"))[4]
    expected = (
        "2025-09-15 15:15:38,120 - netra_backend.app.startup - ERROR - "
        "Database initialization timeout after 8.0s in staging environment"
    )
    assert (expected, "2025-09-15T15:15:38.120553907Z", "ERROR") == (
        entry["textPayload"],
        entry["timestamp"],
        entry["severity"],
    )


def test_a_docker_json_file_record_is_an_envelope_around_the_container_s_line() -> None:
    """Docker's json-file driver (`/var/lib/docker/containers/<id>/<id>-json.log`) wraps each line
    a container printed with its stream and time: the line inside is read as the container wrote
    it, a pino request line becoming a request (blind set RG03, read as one opaque JSON text)."""
    pino = ('{"level":50,"time":1732068241101,"req":{"method":"POST","url":"/v2/transfers"},'
            '"res":{"statusCode":500},"responseTime":12,"msg":"request errored"}')
    record = json.dumps({"log": pino + "\n", "stream": "stderr", "time": "2024-11-20T02:04:01.101362123Z"})
    plain = json.dumps({"log": "listening on :8080\n", "stream": "stdout", "time": "2024-11-20T02:00:00Z"})
    first, second = read_text_entries([record, plain], "docker.log")
    assert (first["timestamp"], first["logName"], first["severity"], first["jsonPayload"]["msg"],
            second["textPayload"], second["logName"]) == (
        "2024-11-20T02:04:01.101362123Z", "local/stderr", "ERROR", "request errored",
        "listening on :8080", "local/stdout")


def test_continuation_lines_inherit_previous_time() -> None:
    """Lines without a time (a gunicorn worker's traceback) carry the previous entry's time, no severity."""
    entries = _by_line(_read("gunicorn_worker_boot.log"))
    traceback = [entries[number] for number in (6, 7, 8, 9)]
    assert [(e["timestamp"], e.get("severity")) for e in traceback] == [("2025-08-21T09:14:02Z", None)] * 4


def test_compose_prefix_names_service_and_instance() -> None:
    """A compose prefix `orders-worker-1  | ` names the service (as a container, one part of the
    application the paste shows) and the instance; the text after it is bare."""
    entry = _by_line(_read("compose_interleaved.log"))[2]
    assert (
        entry["resource"]["labels"]["container_name"],
        entry["labels"]["instanceId"],
        entry["textPayload"],
    ) == (
        "orders-worker",
        "orders-worker-1",
        "2025-08-21 09:14:02,118 ERROR orders.worker: job 8812 failed",
    )


def test_a_compose_name_without_replica_number_is_taken_once_a_line_of_it_opens_with_a_time() -> None:
    """`container_name:` services print `kimai  | ...` (kimai/kimai#4118); the name is a prefix once a
    line of it opens with a time, and then its stack lines follow it; other `word | text` stays text."""
    lines = [
        "kimai        | [2023-06-19T06:48:54.417595+00:00] php.CRITICAL: Fatal Error: Allowed memory size",
        "kimai        | #0 /opt/kimai/vendor/symfony/error-handler/ErrorHandler.php(12): x",
        "status | ok",
        "INFO  | 2023-06-19 06:48:55 not a compose prefix",
    ]
    entries = list(read_text_entries(lines, "paste.txt"))
    assert [(e["resource"]["labels"].get("container_name"), e.get("timestamp"), e["textPayload"][:9])
            for e in entries] == [
        ("kimai", "2023-06-19T06:48:54.417595Z", "[2023-06-"),
        ("kimai", "2023-06-19T06:48:54.417595Z", "#0 /opt/k"),
        (None, "2023-06-19T06:48:54.417595Z", "status | "),
        (None, "2023-06-19T06:48:54.417595Z", "INFO  | 2"),
    ]


def test_a_coloured_compose_prefix_is_read_as_the_plain_one() -> None:
    """On a terminal `docker compose` colours each prefix (docker/compose pkg/formatter), and a
    paste keeps the codes: the service, the instance and the bare text are the same as uncoloured."""
    lines = ["\x1b[36mdb-1     | \x1b[0m2024-03-08 10:21:10 413 [Warning] Access denied for user 'laravel'",
             "\x1b[33mkimai  | \x1b[0m[2023-06-19T06:48:54.417595+00:00] php.CRITICAL: Fatal Error"]
    entries = list(read_text_entries(lines, "paste.txt"))
    assert [(e["resource"]["labels"].get("container_name"), e["labels"]["instanceId"], e.get("timestamp"),
             e["textPayload"][:13]) for e in entries] == [
        ("db", "db-1", "2024-03-08T10:21:10Z", "413 [Warning]"),
        ("kimai", "kimai", "2023-06-19T06:48:54.417595Z", "[2023-06-19T0"),
    ]


def test_a_rails_request_is_timed_by_its_started_line_and_answered_by_its_completed_line() -> None:
    """`Completed 500 ...` is the request's answer (a failed request), at the `Started` line's time."""
    lines = [
        'Started GET "/users/test_digest_email" for 172.56.22.214 at 2018-06-06 22:12:08 +0000',
        "Processing by UsersController#test_digest_email as HTML",
        "Completed 500 Internal Server Error in 7ms (ActiveRecord: 1.2ms)",
    ]
    entries = list(read_text_entries(lines, "paste.txt"))
    assert [(e["timestamp"], e["logName"], e.get("httpRequest")) for e in entries] == [
        ("2018-06-06T22:12:08Z", "local/stdout", None),
        ("2018-06-06T22:12:08Z", "local/stdout", None),
        ("2018-06-06T22:12:08Z", "local/requests", {"status": 500}),
    ]


def test_interleaved_replicas_do_not_share_times() -> None:
    """A continuation line inherits the time of its own compose replica, not of the line just above;
    a replica that never printed a time takes the file's latest (its lines arrived after it)."""
    entries = _by_line(_read("compose_interleaved.log"))
    assert entries[4]["timestamp"] == "2025-08-21T09:14:02.118Z"
    assert entries[1].get("timestamp") is None  # nothing before it in the file has a time
    assert entries[3]["timestamp"] == "2025-08-21T09:14:02.118Z"


@pytest.mark.parametrize(
    ("line_no", "service", "pod", "container"),
    [
        (1, "checkout", "checkout-7d9f8b6c5-x2k4q", "app"),  # Deployment pod: ReplicaSet hash dropped
        (4, "ledger", "ledger-0", "postgres"),  # StatefulSet pod: ordinal dropped
    ],
)
def test_kubectl_prefix_names_workload(line_no: int, service: str, pod: str, container: str) -> None:
    """`[pod/NAME/CONTAINER]` names the workload as service and keeps pod and container as labels."""
    labels = _by_line(_read("kubectl_prefix.log"))[line_no]["resource"]["labels"]
    assert {"service_name": service, "pod_name": pod, "container_name": container} == labels


@pytest.mark.parametrize(
    ("line", "timestamp", "severity", "status"),
    [
        # copied from the Logs Explorer (vercel/next.js#54133): the entry's severity, its time, its text
        ("ERROR 2023-08-17T15:10:08.382230Z Default STARTUP TCP probe failed 1 time consecutively for "
         'container "frontend-1" on port 8080.', "2023-08-17T15:10:08.382230Z", "ERROR", None),
        # a DEFAULT entry keeps the level its own text names
        ("DEFAULT 2024-10-03T14:21:07.552311Z ERROR:    Exception in ASGI application",
         "2024-10-03T14:21:07.552311Z", "ERROR", None),
        ("ERROR 2024-10-03T14:21:07.555071Z POST 500 https://cart-api-xyz.a.run.app/api/cart/items",
         "2024-10-03T14:21:07.555071Z", None, 500),
    ],
)
def test_a_line_copied_from_the_logs_explorer_keeps_its_time_and_severity(
    line: str, timestamp: str, severity: str | None, status: int | None
) -> None:
    entry = _one(line)
    got_status = (entry.get("httpRequest") or {}).get("status")
    assert (entry.get("timestamp"), entry.get("severity"), got_status) == (timestamp, severity, status)


@pytest.mark.parametrize(
    ("line", "timestamp", "severity", "text"),
    [
        # `gcloud logging read --format='value(timestamp,severity,textPayload)'`: tab-separated columns
        ("2025-06-12T07:42:15.366435Z\tWARNING\tContainer called exit(1).",
         "2025-06-12T07:42:15.366435Z", "WARNING", "Container called exit(1)."),
        # an entry without a severity prints an empty column; the text's own level word still counts
        ("2025-06-12T07:42:14.946935Z\t\tKeyError: 'BQ_DATASET'",
         "2025-06-12T07:42:14.946935Z", None, "KeyError: 'BQ_DATASET'"),
        ("2025-06-12T07:42:14.9Z\t\tERROR:    Exception in ASGI application",
         "2025-06-12T07:42:14.9Z", "ERROR", "ERROR:    Exception in ASGI application"),
        # `value(timestamp,textPayload)`: no severity column at all
        ("2025-06-12T07:42:14.946885Z\t  File \"<frozen os>\", line 679, in __getitem__",
         "2025-06-12T07:42:14.946885Z", None, '  File "<frozen os>", line 679, in __getitem__'),
    ],
)
def test_gcloud_value_columns_give_time_severity_and_text(
    line: str, timestamp: str, severity: str | None, text: str
) -> None:
    """The columns of a `--format=value(...)` read are the entry's own time, severity and text."""
    entry = _one(line)
    got = (entry.get("timestamp"), entry.get("severity"), entry.get("textPayload"))
    assert got == (timestamp, severity, text)


def test_gcloud_value_columns_of_a_request_give_its_status_method_and_url() -> None:
    """`value(timestamp,severity,resource.labels.revision_name,httpRequest.status,
    httpRequest.requestMethod,httpRequest.requestUrl,textPayload)`: a request log's columns are
    its request, an app line's empty request columns are passed over, and its text is the last."""
    rows = [
        "2025-12-01T13:30:14.681915Z\tINFO\tledger-00045-riv\t200\tGET\thttps://l.run.app/v1/balances\t",
        "2025-12-01T14:01:02.5Z\tERROR\tledger-00045-riv\t502\tPOST\thttps://l.run.app/v1/transfers\t",
        "2025-12-01T14:01:02.4Z\t\tledger-00045-riv\t\t\t\tTypeError: fetch failed",
    ]
    got = [(e.get("httpRequest"), e.get("textPayload")) for e in read_text_entries(rows, "paste.txt")]
    assert got == [
        ({"requestMethod": "GET", "status": 200, "requestUrl": "https://l.run.app/v1/balances"}, None),
        ({"requestMethod": "POST", "status": 502, "requestUrl": "https://l.run.app/v1/transfers"}, None),
        (None, "TypeError: fetch failed"),
    ]


def test_gcloud_value_columns_without_a_method_keep_the_request_and_read_deploys() -> None:
    """`value(timestamp,severity,resource.labels.revision_name,protoPayload.methodName,
    httpRequest.status,httpRequest.latency,httpRequest.requestUrl,textPayload)` (blind set CB06): a
    request with no method column and no text is still a request (with its latency and revision),
    and an audit row's method makes it an Admin Activity entry, a deploy rca can date."""
    rows = [
        "2026-11-20T16:39:25.9Z\tERROR\tinv-00019-mut\t\t500\t30.003536s\thttps://i.run.app/api/stock\t",
        "2026-11-20T16:01:37Z\tNOTICE\t\tgoogle.cloud.run.v1.Services.ReplaceService\t\t\t\t",
    ]
    request, deploy = read_text_entries(rows, "paste.txt")
    assert request["httpRequest"] == {"status": 500, "latency": "30.003536s", "requestUrl": "https://i.run.app/api/stock"}
    assert request["resource"]["labels"] == {"revision_name": "inv-00019-mut"}
    assert (deploy["logName"], deploy["protoPayload"]) == (
        "local/logs/cloudaudit.googleapis.com%2Factivity",
        {"methodName": "google.cloud.run.v1.Services.ReplaceService"})


def test_gcloud_request_line_becomes_http_request() -> None:
    """`gcloud run services logs read` request lines become request-log entries without a payload."""
    entry = _by_line(_read("gcloud_run_services_logs.txt"))[3]
    expected = {
        "insertId": "gcloud_run_services_logs.txt:3",
        "logName": "local/requests",
        "resource": {"type": "local", "labels": {}},
        "timestamp": "2024-08-06T10:15:03Z",
        "httpRequest": {
            "requestMethod": "GET",
            "status": 503,
            "requestUrl": "https://netra-backend-staging-abcdefghij-uc.a.run.app/health",
        },
        "_line": 3,
        "_naive_ts": True,
    }
    assert expected == entry


def test_a_gcloud_functions_logs_table_gives_time_severity_function_and_execution() -> None:
    """`gcloud functions logs read` prints a table (LEVEL, NAME, EXECUTION_ID, TIME_UTC, LOG): the
    level's initial is the severity, the name the function, the time UTC; a traceback goes on
    below it, outside the table, at the same time (blind set 9A07)."""
    lines = [
        "LEVEL  NAME            EXECUTION_ID  TIME_UTC                 LOG",
        "D      alert-to-slack  8ciOxour0rOH  2025-06-03 09:01:55.850  Function execution started",
        "E      alert-to-slack  8ciOxour0rOH  2025-06-03 09:01:55.865  Traceback (most recent call last):",
        '  File "/workspace/main.py", line 14, in handle',
        "D      helloWorld      -               2016-03-17 20:35:41.043  User function helloWorld loaded",
    ]
    entries = list(read_text_entries(lines, "functions.txt"))
    started, traceback, frame, loaded = entries[1:]
    assert (started["timestamp"], started["severity"], started["textPayload"]) == (
        "2025-06-03T09:01:55.850Z", "DEBUG", "Function execution started")
    assert started["resource"]["labels"] == {"service_name": "alert-to-slack"}
    assert started["labels"] == {"execution_id": "8ciOxour0rOH"}
    assert traceback["severity"] == "ERROR"
    assert traceback["textPayload"] == "Traceback (most recent call last):"
    assert (frame["timestamp"], frame["textPayload"]) == (traceback["timestamp"],
                                                          '  File "/workspace/main.py", line 14, in handle')
    assert "labels" not in loaded and loaded["resource"]["labels"] == {"service_name": "helloWorld"}


def test_a_gen2_functions_logs_table_has_no_execution_column_and_may_leave_level_and_log_blank() -> None:
    """`gcloud functions logs read --gen2` prints LEVEL, NAME, TIME_UTC and LOG (googlecloudsdk's
    `_DEFAULT_TABLE_FORMAT_V2`); an entry without a severity leaves LEVEL blank and one without text
    leaves LOG empty (a row that says nothing, no entry), and each other row is its function's entry
    at its time (blind set BG05)."""
    lines = [
        "LEVEL  NAME            TIME_UTC                 LOG",
        "       quote-shipping  2025-02-04 10:24:37.635  quote ok cart=c_4p33mh6t40 options=3",
        "I      quote-shipping  2025-02-04 10:24:37.232",
        "E      quote-shipping  2025-02-04 09:49:39.527  httpx.HTTPStatusError: Server error '503 Service "
        "Unavailable' for url 'https://rates.example.com/v2/quotes'",
    ]
    entries = list(read_text_entries(lines, "functions.txt"))
    rows = [(e["timestamp"], e.get("severity"), e["resource"]["labels"], "labels" in e) for e in entries[1:]]
    assert rows == [("2025-02-04T10:24:37.635Z", None, {"service_name": "quote-shipping"}, False),
                    ("2025-02-04T09:49:39.527Z", "ERROR", {"service_name": "quote-shipping"}, False)]


def test_firebase_functions_log_gives_time_severity_and_function() -> None:
    """`firebase functions:log` prints each entry as its time, its severity's initial and the
    function's name before its text (firebase-tools commands/functions-log.js): the initial is the
    severity, a Node warning at E is an error and a JSON line at W a warning, not text of no level
    (held-out FC10: every line read DEFAULT, the paste's levels lost)."""
    lines = [
        "$ firebase functions:log --only api -n 400",
        "2024-08-06T10:00:02.456000027Z E api: (node:1) [DEP0040] DeprecationWarning: The `punycode` "
        "module is deprecated. Please use a userland alternative instead.",
        "2024-08-06T10:00:04.000000772Z D api: Function execution started",
        '2024-08-06T10:13:30.061000620Z W api: {"message":"auth rejected: Firebase ID token has expired."}',
    ]
    entries = list(read_text_entries(lines, "firebase.txt"))
    rows = [(e["timestamp"], e.get("severity"), e["resource"]["labels"]) for e in entries[1:]]
    assert rows == [("2024-08-06T10:00:02.456000027Z", "ERROR", {"service_name": "api"}),
                    ("2024-08-06T10:00:04.000000772Z", "DEBUG", {"service_name": "api"}),
                    ("2024-08-06T10:13:30.061000620Z", "WARNING", {"service_name": "api"})]
    assert entries[2]["textPayload"] == "Function execution started"


def test_a_console_copy_gives_each_summary_the_time_on_the_line_above_it() -> None:
    """Rows copied from the Cloud console's log view: each entry's time on a line of its own (in
    the viewer's zone), then its summary; a request log's summary holds method, status, size,
    latency, the agent and the URL (blind set 8H04)."""
    lines = [
        "2024-05-14 12:18:14.272 CEST",
        "POST 500 52 B 71 ms Chrome 124.0.0.0 https://checkout-api-x7k2p3q4ra-ew.a.run.app/v1/checkout",
        "2024-05-14 12:18:14.310 CEST",
        "Error: 7 PERMISSION_DENIED: Permission 'secretmanager.versions.access' denied",
    ]
    request, text = read_text_entries(lines, "console.txt")
    assert request["timestamp"] == "2024-05-14T10:18:14.272Z"
    assert request["httpRequest"] == {
        "requestMethod": "POST", "status": 500, "latency": "0.071s", "userAgent": "Chrome 124.0.0.0",
        "requestUrl": "https://checkout-api-x7k2p3q4ra-ew.a.run.app/v1/checkout"}
    assert text["timestamp"] == "2024-05-14T10:18:14.310Z"
    assert text["textPayload"].startswith("Error: 7 PERMISSION_DENIED: Permission")


def test_a_console_copy_with_the_time_on_the_summary_s_line_is_read_alike() -> None:
    """The same rows copied with each entry's time before its summary on one line (a tab between):
    the request is read as on two lines (blind set 0H09)."""
    lines = ["2024-03-05 11:10:21.021 CET\tGET 500 5.31 KiB 212 ms Chrome 122.0.0.0 https://shop-web-u4f2.a.run.app/cart"]
    (request,) = read_text_entries(lines, "console.txt")
    assert request["timestamp"] == "2024-03-05T10:10:21.021Z"
    assert (request["httpRequest"]["status"], request["httpRequest"]["latency"]) == (500, "0.212s")


def test_a_console_copy_with_its_columns_aligned_by_runs_of_spaces_is_read_alike() -> None:
    """A copy that keeps the view's columns aligned puts runs of spaces between method, status, size,
    latency, agent and URL: the request is read as with single spaces (blind set BM05, whose 500s
    read as no request at all)."""
    lines = ["2024-05-21 14:40:08.043 CEST  GET  500    145 B   27 ms  okhttp/4.12.0  "
             "https://orders-api-7rq2xk3l4a-ez.a.run.app/api/v1/orders/394126/"]
    (request,) = read_text_entries(lines, "console.txt")
    assert request["timestamp"] == "2024-05-21T12:40:08.043Z"
    assert (request["httpRequest"]["status"], request["httpRequest"]["latency"],
            request["httpRequest"]["userAgent"]) == (500, "0.027s", "okhttp/4.12.0")


@pytest.mark.parametrize(("line", "status", "latency", "agent"), [
    ("2025-05-20T14:30:01.782598ZPOST20257 B21 msorders-service/5.3.0 axios/1.7.9 "
     "https://notify-gateway-2m7dkq5xha-ew.a.run.app/v1/notifications", 202, "0.021s",
     "orders-service/5.3.0 axios/1.7.9"),
    ("2025-05-20T14:31:45.307218ZGET10125.0 KB816.3 sMozilla/5.0 (iPhone; CPU iPhone OS 18_4) "
     "https://notify-gateway-2m7dkq5xha-ew.a.run.app/ws", 101, "816.300s",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4)"),
    ("2024-05-21 14:40:08.043 CEST  GET  500    145 B   27 ms  https://orders-api-7rq2xk3l4a-ez.a.run.app/x",
     500, "0.027s", None),
])
def test_a_console_copy_with_its_fields_run_together_is_read_alike(
        line: str, status: int, latency: str, agent: str | None) -> None:
    """A copy of the summary's chips runs method, status, size, latency and agent together; the
    status's three digits and each field's unit still part them (blind set BI10, whose requests read
    as none)."""
    (request,) = read_text_entries([line], "console.txt")
    http = request["httpRequest"]
    assert (http["status"], http["latency"], http.get("userAgent")) == (status, latency, agent)


_PANIC = "thread 'tokio-runtime-worker' panicked at src/handler.rs:112:58:"


def test_a_console_copy_with_the_severity_column_and_the_entry_s_text_is_read_alike() -> None:
    """A copy that keeps the view's severity column between the time and the summary, and the text
    a request log carries after its URL (Cloud Run's own word on a 503): the request is read as
    without them, its text kept; a line of text in the same columns is the entry's text at that
    severity (held-out RU10, whose 503s read as no request at all and whose panics, read with the
    columns before them, as no panic)."""
    lines = ["2026-05-19 08:34:58.009 UTC  ERROR    POST 503 0 B 7 ms APIs-Google; "
             "(+https://developers.google.com/webmasters/APIs-Google.html)  "
             "https://ledger-projector-2m4fq8xnca-ew.a.run.app/  The request failed because either the HTTP "
             "response was malformed or connection to the instance had an error.",
             f"2026-05-19 08:34:58.015 UTC  ERROR    {_PANIC}"]
    request, panic = read_text_entries(lines, "console.txt")
    assert (panic["timestamp"], panic["severity"]) == ("2026-05-19T08:34:58.015Z", "ERROR")
    assert panic["textPayload"] == _PANIC
    http = request["httpRequest"]
    assert (request["timestamp"], http["status"], http["requestUrl"], http["userAgent"]) == (
        "2026-05-19T08:34:58.009Z", 503, "https://ledger-projector-2m4fq8xnca-ew.a.run.app/",
        "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)")
    assert request["textPayload"].startswith("The request failed because either the HTTP response")


def test_a_gcloud_table_is_read_by_its_header_s_columns() -> None:
    """`gcloud logging read --format='table(timestamp,severity,httpRequest.status,textPayload)'`:
    each row's cells sit where the header's names begin, an empty one blank; a row with a status is
    a request, one with a text is a line at its severity (blind set 8H10)."""
    lines = [
        "TIMESTAMP                    SEVERITY  STATUS  TEXT_PAYLOAD",
        "2024-05-14T17:59:59.332005Z  INFO      200",
        "2024-05-14T17:59:53.228734Z  DEFAULT           invalid ip address: 'unknown'",
        "2024-05-14T17:59:50.949941Z  ERROR     500     Exception in ASGI application",
    ]
    ok, text, failed = read_text_entries(lines, "table.txt")
    assert (ok["timestamp"], ok["severity"], ok["httpRequest"]["status"]) == ("2024-05-14T17:59:59.332005Z",
                                                                             "INFO", 200)
    assert (text.get("httpRequest"), text["textPayload"]) == (None, "invalid ip address: 'unknown'")
    assert (failed["httpRequest"]["status"], failed["textPayload"]) == (500, "Exception in ASGI application")


def test_uvicorn_access_line_becomes_http_request() -> None:
    """uvicorn's access line keeps its text and gains method, path, status and client address."""
    entry = _by_line(_read("compose_interleaved.log"))[3]
    assert (entry["logName"], entry["httpRequest"]) == (
        "local/requests",
        {
            "requestMethod": "GET",
            "requestUrl": "/health",
            "status": 200,
            "protocol": "HTTP/1.1",
            "remoteIp": "172.18.0.1",
        },
    )


def test_syslog_year_comes_from_caller() -> None:
    """BSD syslog lines carry no year: the caller's year dates them, PRI gives severity, prog the service."""
    entries = _read("syslog.log", year=2025)
    summary = [
        (e.get("timestamp"), e.get("severity"), e["resource"]["labels"].get("service_name")) for e in entries
    ]
    assert summary == [
        ("2025-08-21T09:14:02Z", "CRITICAL", "postgres"),  # no PRI: the FATAL word in the message
        ("2025-08-21T09:14:03Z", "ERROR", "postgresql"),  # <27> = daemon.err; systemd's, about that unit
        ("2025-08-21T09:14:04.003Z", "WARNING", None),  # RFC 5424 <28> = daemon.warning; the host's own
    ]


def test_syslog_without_year_has_no_timestamp() -> None:
    """Without a year from the caller or an earlier line, a BSD syslog line gets no made-up date."""
    assert "timestamp" not in _read("syslog.log")[0]


def test_json_lines_lift_time_level_and_trace() -> None:
    """JSON-per-line logs become jsonPayload with time, level and the trace key lifted out."""
    entry = _read("json_mixed.log")[1]
    assert {key: entry[key] for key in ("timestamp", "severity", "jsonPayload", "trace")} == {
        "timestamp": "2025-08-21T09:14:03Z",
        "severity": "ERROR",
        "jsonPayload": {"message": "payment provider timeout"},
        "trace": "projects/shop/traces/4bf92f3577b34da6a3ce929d0e0e4736",
    }


@pytest.mark.parametrize(
    ("index", "severity", "payload_key"),
    [
        (0, "INFO", "jsonPayload"),  # level word in lower case
        (2, "ERROR", "jsonPayload"),  # pino numeric level 50, epoch-seconds time
        (3, None, "textPayload"),  # a plain line among JSON lines stays text
    ],
)
def test_json_lines_mixed_with_text(index: int, severity: str | None, payload_key: str) -> None:
    """Each line is judged on its own: JSON objects are structured, other lines are text."""
    entry = _read("json_mixed.log")[index]
    assert (severity, True) == (entry.get("severity"), payload_key in entry)


def test_bare_paste_has_no_timestamps() -> None:
    """A paste without any time yields untimed entries whose `_line` keeps the input order."""
    entries = _read("bare_paste.txt")
    order = [(e.get("timestamp"), e["_line"]) for e in entries]
    assert order == [(None, 1), (None, 2), (None, 3), (None, 4), (None, 5), (None, 6)]


def test_insert_id_is_deterministic() -> None:
    """insertId is `<file basename>:<line>`, so re-reading a file gives the same ids."""
    first = [e["insertId"] for e in _read("bare_paste.txt")]
    assert (first, "bare_paste.txt:1") == ([e["insertId"] for e in _read("bare_paste.txt")], first[0])


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ((INPUTS / "gunicorn_worker_boot.log").read_text(encoding="utf-8"), True),
        ("Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'PORT'\n", True),
        ("<!DOCTYPE html>\n<html><head><title>Sign in - Google Accounts</title>", False),
        ("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", False),
        ("   \n\n", False),
    ],
)
def test_looks_like_text_log(head: str, expected: bool) -> None:
    """Printable text is accepted; HTML pages, binary data and empty input are not."""
    assert expected == looks_like_text_log(head)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=12))
def test_any_text_reads_without_error(lines: list[str]) -> None:
    """Arbitrary lines never raise, and entries come out in input order with the canonical keys."""
    entries = list(read_text_entries(lines, "fuzz.txt"))
    numbers = [entry["_line"] for entry in entries]
    assert (numbers, all({"insertId", "logName", "resource"} <= entry.keys() for entry in entries)) == (
        sorted(set(numbers)),
        True,
    )


@pytest.mark.parametrize(
    ("line", "payload_or_text"),
    [
        ('2026-11-30T14:02:11Z app[web.1]: {"severity":"ERROR","message":"db down"}',
         {"message": "db down", "prefix": "app[web.1]:"}),
        ('[2025-08-21 09:14:02 +0000] [7] [ERROR] {"msg": "boom"}',
         {"msg": "boom", "prefix": "[2025-08-21 09:14:02 +0000] [7] [ERROR]"}),
        ('order {id} failed with {"a": 1}', None),  # no log record keys: ordinary text
        ('cache miss {"level": "x"} for key', None),  # the object does not end the line
        ('plain {"message": }', None),  # not JSON
    ],
)
def test_record_embedded_after_a_prefix(line: str, payload_or_text: dict[str, str] | None) -> None:
    """A JSON log record ending a text line becomes the payload; any other brace stays text."""
    entry = next(read_text_entries([line], "x.log"))
    assert entry.get("jsonPayload") == payload_or_text
    assert ("textPayload" in entry) == (payload_or_text is None)


def test_a_line_a_terminal_wrapped_is_read_as_one_line() -> None:
    """A long error cut by a terminal's or an issue box's width goes on in lower case with no time,
    level or indent of its own: it is one line (buildbarn/bb-remote-execution#24 pasted this). A
    traceback's own lines, indented or naming a dotted exception, are never joined."""
    wrapped = ["Get https://storage.googleapis.com/bucket/buildbarn-cas/4f2a9c:\n",
               "oauth2: cannot fetch token: Post https://oauth2.googleapis.com/token: x509:\n",
               "certificate signed by unknown authority\n"]
    stack = ["Traceback (most recent call last):\n",
             '  File "/app/main.py", line 3, in <module>\n',
             "    raise exceptions.from_grpc_error(exc) from exc\n",
             "google.api_core.exceptions.PermissionDenied: 403 denied\n"]
    joined = [e.get("textPayload") for e in read_text_entries(wrapped, "paste.txt")]
    kept = [e.get("textPayload") for e in read_text_entries(stack, "paste.txt")]
    one = " ".join(line.strip() for line in wrapped)
    assert (joined, kept) == ([one], [line.rstrip("\n") for line in stack])


def test_a_rust_panic_after_a_long_line_is_a_line_of_its_own() -> None:
    """Rust's panic hook writes to stderr without the logger's prefix, right after an access line
    that ends on a word: `thread '...' panicked at` and its `note:` start lines of their own, not a
    wrap of the line before (blind set EW04, read as no incident)."""
    rows = ['[2025-06-02T08:48:11Z INFO  actix_web::middleware::logger] 10.52.1.13 "POST /gitlab/c4 '
            'HTTP/1.1" 200 2 "-" "GitLab/17.0.1" 0.490749\n',
            "thread 'actix-server worker 0' panicked at 'called `Result::unwrap()` on an `Err` value: "
            "Error(\"invalid type: null, expected f64\", line: 1, column: 455)', src/webhooks/job.rs:28:60\n",
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"]
    texts = [e.get("textPayload") for e in read_text_entries(rows, "pod.log")]
    assert [t.split(" ", 1)[0] for t in texts] == ["[2025-06-02T08:48:11Z", "thread", "note:"]


def test_a_pasted_command_does_not_lend_the_last_time_to_the_next_command_s_output() -> None:
    """An issue paste: a pod's `logs --timestamps`, then `kubectl describe` whose events carry only
    relative ages. The describe lines are not as old as the last log line above them: they get no
    time (blind set CA06, where the crash loop looked five hours older than the crash)."""
    rows = [
        "$ kubectl -n shop logs cart-api-7b5f6d9c8d-h2xjq --timestamps | head -5",
        "2025-04-08T09:14:02.551207310Z [cart-api] redis connected",
        "$ kubectl -n shop describe pod cart-api-6c9d7f8b54-4kzqp",
        "  Warning  BackOff    2m58s (x26 over 8m4s)  kubelet  Back-off restarting failed container cart-api",
    ]
    entries = list(read_text_entries(rows, "paste.txt"))
    assert "timestamp" in entries[1] and "timestamp" not in entries[-1]


def test_a_year_less_syslog_line_takes_its_year_from_a_full_date_in_its_message() -> None:
    """A journald paste gives no year; the app's own time in a line's message does (an access line,
    Celery's bracketed time), and the lines after it in that stream inherit it. With no full date
    anywhere the lines stay untimed (no year is guessed)."""
    lines = ['Mar 21 10:00:02 app-vm-2 gunicorn[1187]: 10.0.0.5 - - [21/Mar/2024:10:00:02 +0000] '
             '"POST /api/attachments/ HTTP/1.1" 201 254 "-" "python-requests/2.31.0"',
             "Mar 21 10:31:05 app-vm-2 gunicorn[1187]: Internal Server Error: /api/attachments/",
             "Mar 21 10:31:06 app-vm-2 celery[1302]: [2024-03-21 10:31:06,114: ERROR/ForkPoolWorker-3] "
             "Task reports.tasks.build_export raised unexpected: OSError(28, 'No space left on device')"]
    assert [e.get("timestamp") for e in read_text_entries(lines, "journal.txt")] == [
        "2024-03-21T10:00:02Z", "2024-03-21T10:31:05Z", "2024-03-21T10:31:06Z"]
    assert [e.get("timestamp") for e in read_text_entries(lines[1:2], "journal.txt")] == [None]


def test_systemd_and_kernel_lines_about_a_unit_are_that_unit_s() -> None:
    """A journald paste: systemd's lines about `sidekiq.service` and the OOM killer's summary naming
    its memory cgroup are the service's own (so `--service sidekiq` keeps its memory kills, blind set
    1E04); the kernel's other lines, and systemd's about nothing named, stay the host's: no service's,
    so that `--service` keeps them (blind set BC02: a kernel OOM kill beside `kubectl` output)."""
    lines = [
        "Jun 11 03:09:40 jobs-2 systemd[1]: sidekiq.service: Failed with result 'oom-kill'.",
        "Jun 11 03:09:40 jobs-2 kernel: oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
        "mems_allowed=0,oom_memcg=/system.slice/sidekiq.service,task_memcg=/system.slice/sidekiq.service,"
        "task=ruby,pid=41877,uid=997",
        "Jun 11 03:09:40 jobs-2 kernel: ruby invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0",
        "Jun 11 03:09:45 jobs-2 systemd[1]: Started session-4.scope - Session 4 of User deploy.",
    ]
    services = [e["resource"]["labels"].get("service_name") for e in read_text_entries(lines, "journal.txt")]
    assert services == ["sidekiq", "sidekiq", None, None]


# stern's default template (https://github.com/stern/stern): pod, container, the line; with
# --timestamps the kubelet's time opens the line.
_STERN_PASTE = [
    "invoice-exporter-7b9f6c5d48-m2k8d invoice-exporter 2024-06-10T10:46:58.612079444Z "
    '{"level":"info","ts":1718016418.6121051,"caller":"cmd/exporter/main.go:61","msg":"shutdown complete"}',
    "+ invoice-exporter-5c8d7f9b6d-q7wzt › invoice-exporter",
    "invoice-exporter-5c8d7f9b6d-q7wzt invoice-exporter 2024-06-10T10:47:12.412973078Z "
    "exec /app/invoice-exporter: exec format error",
    "invoice-exporter-5c8d7f9b6d-q7wzt invoice-exporter 2024-06-10T10:47:24.534338764Z "
    "exec /app/invoice-exporter: exec format error",
]


def test_stern_lines_name_their_pod_and_keep_their_own_time() -> None:
    """Each stern line is an entry of its pod's workload at the kubelet's time; the `+ pod ›` line stern
    prints when it starts tailing does not swallow the lines after it."""
    entries = list(read_text_entries(_STERN_PASTE, "stern.txt"))
    errors = [e for e in entries if "exec format error" in str(e.get("textPayload"))]
    named = [(e["timestamp"], e["resource"]["labels"]["service_name"], e["labels"]["instanceId"])
             for e in errors]
    assert named == [
        ("2024-06-10T10:47:12.412973078Z", "invoice-exporter", "invoice-exporter-5c8d7f9b6d-q7wzt"),
        ("2024-06-10T10:47:24.534338764Z", "invoice-exporter", "invoice-exporter-5c8d7f9b6d-q7wzt"),
    ]
    assert entries[0]["resource"]["labels"]["pod_name"] == "invoice-exporter-7b9f6c5d48-m2k8d"


@pytest.mark.parametrize("line", [
    "worker-1 started processing batch 88121",  # two words, no ReplicaSet pod, no kubelet time
    "api ready 2024-06-10T10:47:12Z",
])
def test_two_plain_words_are_no_stern_prefix(line: str) -> None:
    assert "pod_name" not in _one(line)["resource"]["labels"]


# `journalctl -u puma` as pasted into an issue: the lines are Puma's, whose program is `bundle`, and
# the syslog header has no year while Ruby's Logger prints a full date
# (https://github.com/ruby/logger/blob/master/lib/logger/formatter.rb: `%s, [%s #%d] %5s -- %s: %s`).
_JOURNAL_PASTE = [
    '$ sudo journalctl -u puma --since "2024-10-08 13:30" --no-pager',
    "Oct 08 13:30:02 web-2 bundle[2187]: I, [2024-10-08T13:30:02.025706 #2199]  INFO -- : "
    '[32328e93] Started GET "/products/681" for 81.119.241.177 at 2024-10-08 13:30:02 +0000',
    "Oct 08 14:21:09 web-2 bundle[2187]: F, [2024-10-08T14:21:09.113000 #2203] FATAL -- : "
    "[9f1c] ActiveRecord::ConnectionNotEstablished (connection to server at \"10.20.0.5\", port 5432 failed)",
]


def test_a_pasted_journal_of_one_unit_is_that_units_and_dated_by_the_apps_own_date() -> None:
    entries = list(read_text_entries(_JOURNAL_PASTE, "journal.txt"))
    assert [(e["timestamp"][:19], e["resource"]["labels"].get("service_name")) for e in entries[-2:]] == [
        ("2024-10-08T13:30:02", "puma"), ("2024-10-08T14:21:09", "puma")]


def test_a_date_the_syslog_message_mentions_on_another_day_does_not_date_it() -> None:
    line = "Oct 08 13:30:02 web-2 app[1]: renewing the certificate issued 2021-03-14T09:00:00Z"
    assert "timestamp" not in _one(line)


@pytest.mark.parametrize(("row", "service", "pod"), [
    ("46m         Warning   Failed              pod/invoice-reminder-mailer-28814940-z9sds        "
     "Error: couldn't find key DB_PASSWORD in Secret billing/invoice-mailer-db",
     "invoice-reminder-mailer", "invoice-reminder-mailer-28814940-z9sds"),
    ("billing     2m   Warning   Unhealthy   pod/billing-api-7f9c6d5b8-abcde   Readiness probe failed",
     "billing-api", "billing-api-7f9c6d5b8-abcde"),
    ("28m         Normal    ScalingReplicaSet   deployment/invoice-exporter              Scaled down "
     "replica set invoice-exporter-7b9f6c5d48 to 0 from 1", "invoice-exporter", None),
    ("5m  Warning  BackoffLimitExceeded  job/invoice-reminder-mailer-28814940  Job has reached the specified "
     "backoff limit", "invoice-reminder-mailer", None),
    ("3m  Warning  NodeNotReady  node/gke-prod-pool-1-abcd  Node is not ready", None, None),
    # an event seen again and again: kubectl's LAST SEEN says how often (printOneEvent)
    ("kyverno  40s (x121 over 27m)  Warning  BackOff  pod/kyverno-admission-controller-6f9d8c7b5-n8w4t  "
     "Back-off restarting failed container kyverno", "kyverno-admission-controller",
     "kyverno-admission-controller-6f9d8c7b5-n8w4t"),
    ("shop  12s (x17 over 28m)  Warning  FailedCreate  replicaset/cart-api-5c8d9b7f6  Error creating: "
     "pods is forbidden", "cart-api", None),
])
def test_a_kubectl_get_events_row_is_the_workload_it_names(
        row: str, service: str | None, pod: str | None) -> None:
    """`kubectl get events` names each event's object: a pod's row is its workload's, so another
    Deployment's probe failures pasted beside a CronJob's are not the CronJob's (blind set BN07); a
    node's row stays the host's. The row's text is kept whole for the patterns."""
    entry = _one(row)
    labels = entry["resource"]["labels"]
    assert (labels.get("service_name"), labels.get("pod_name"), entry["textPayload"]) == (service, pod, row)


@pytest.mark.parametrize(("program", "service"), [
    ("java[1187]", None), ("python3[642]", None), ("node[88]", None), ("bundle[2187]", None),
    ("fx-poller[1187]", "fx-poller"),
])
def test_a_syslog_line_of_a_runtime_names_no_service(program: str, service: str | None) -> None:
    """A unit that starts `java -jar app.jar` writes `java[1187]:` (journald's SyslogIdentifier is
    the process name): the runtime's name, not the service's, so the line names none and stays in
    whatever `--service` says (held-out DT10, DU08: `--service fx-rates-poller` found nothing)."""
    entry = _one(f"Jun 03 09:40:00 fx-poller-1 {program}: 2025-06-03 09:40:00.861 INFO poll done")
    assert entry["resource"]["labels"].get("service_name") == service
    assert entry["labels"]["instanceId"] == "fx-poller-1"


@pytest.mark.parametrize(("line", "service"), [
    ("CRON[20701]: (root) CMD (/usr/local/sbin/rotate-db-creds.sh >> /var/log/rotate.log 2>&1)", None),
    ("sshd[1002]: Accepted publickey for alice from 35.235.241.16 port 50022 ssh2: ED25519 SHA256:x", None),
    ("google_guest_agent[815]: Updating keys for user alice.", None),
    ("systemd[1]: fx-poller.service: Failed with result 'exit-code'.", "fx-poller"),
])
def test_a_syslog_line_of_the_host_s_own_program_names_no_service(line: str, service: str | None) -> None:
    """The host's scheduler, logins and guest agent (the library's `host_programs`) are no service
    an engineer asks about: their lines name none, so a paste of an app's access log beside `grep
    CRON /var/log/syslog` is not taken for a service called CRON (held-out IU06); such a line about
    a unit it names is that unit's."""
    entry = _one(f"Mar 10 03:00:01 wp-prod-1 {line}")
    assert entry["resource"]["labels"].get("service_name") == service


def test_a_pasted_journalctl_since_dates_the_syslog_lines_below_it() -> None:
    """A syslog header has no year; the `--since` of the pasted `journalctl` command gives it, so
    the lines are in time order with the nginx error log pasted after them (held-out DX06)."""
    entries = list(read_text_entries([
        '$ sudo journalctl -u claims-api -u nginx --since "2024-10-08 06:30" --no-pager',
        "Oct 08 06:55:36 claims-api-vm-1 fetch-secrets.sh[902]: ERROR: PERMISSION_DENIED",
    ], "journal.txt"))
    assert entries[-1]["timestamp"][:19] == "2024-10-08T06:55:36"


@pytest.mark.parametrize("banner", [
    "-- Logs begin at Mon 2024-04-29 06:12:44 UTC, end at Tue 2024-05-14 13:38:10 UTC. --",
    "-- Journal begins at Mon 2024-04-29 06:12:44 UTC, ends at Tue 2024-05-14 13:38:10 UTC. --",
])
def test_the_banner_journalctl_prints_over_its_lines_dates_them(banner: str) -> None:
    """journalctl's banner names the journal's first and last entry with their years (systemd's
    wording before v246 and since): the year of the syslog lines below, which have none."""
    entries = list(read_text_entries([
        "$ sudo journalctl -u cart-api", banner,
        "May 14 13:00:03 cart-vm-1 node[1187]: GET /api/cart/513512/total 200 3.854 ms - 113",
    ], "journal.txt"))
    assert entries[-1]["timestamp"][:19] == "2024-05-14T13:00:03"


def test_a_suite_s_daemons_logging_as_suite_slash_daemon_are_the_suite_s_service() -> None:
    """Postfix's daemons log as `postfix/smtpd`, `postfix/qmgr` (its syslog_name): one service,
    postfix, which an engineer names with --service postfix (held-out IF03); a program logged by
    its path is its name."""
    entries = list(read_text_entries([
        "Mar 12 14:00:06 mailer-vm-1 postfix/smtpd[20413]: connect from localhost[127.0.0.1]",
        "Mar 12 14:00:06 mailer-vm-1 postfix/qmgr[1190]: 7628C5DF28: removed",
        "Mar 12 14:00:07 mailer-vm-1 /opt/fx/bin/fx-poller[881]: poll done",
        "Mar 12 14:00:07 mailer-vm-1 /usr/sbin/cron[882]: (root) CMD (run-parts /etc/cron.hourly)",
    ], "journal.txt", year=2025))
    assert [e["resource"]["labels"].get("service_name") for e in entries] == [
        "postfix", "postfix", "fx-poller", None]


def test_a_redis_server_log_line_gives_its_time_and_its_level_sign() -> None:
    """Redis prints `pid:role day Mon year time.ms sign message`, the sign its level: `#` a
    warning, `*` a notice (redis src/server.c serverLogRaw)."""
    entries = list(read_text_entries([
        "812:M 14 May 2024 13:14:23.199 * Asynchronous AOF fsync is taking too long (disk is busy?).",
        "1:M 29 Feb 2024 13:34:45.007 # WARNING Memory overcommit must be enabled!",
    ], "redis-server.log"))
    assert [(e["timestamp"][:23], e["severity"]) for e in entries] == [
        ("2024-05-14T13:14:23.199", "INFO"), ("2024-02-29T13:34:45.007", "WARNING")]


@pytest.mark.parametrize(("command", "service", "pod"), [
    ("$ kubectl -n billing logs deploy/billing-api --since=20m | tail -n 40", "billing-api", None),
    ("$ kubectl -n billing logs invoice-renderer-8654dfc7b9-lq2wd --previous", "invoice-renderer",
     "invoice-renderer-8654dfc7b9-lq2wd"),
    ("$ kubectl logs -c app --tail 50 pod/ledger-0", "ledger", "ledger-0"),
    ("$ kubectl logs -l app=web --tail 50", None, None),
    ("$ kubectl get pods", None, None),
])
def test_a_pasted_kubectl_logs_command_names_the_workload_of_the_lines_below(
        command: str, service: str | None, pod: str | None) -> None:
    """Lines that name no workload of their own are the one `kubectl logs` was asked for: a
    caller's `dial tcp ...: connection refused` pasted beside the crash-looping callee's lines is
    the caller's (held-out DW08), which `--service` of the callee leaves out."""
    entry = list(read_text_entries([command, '{"level":"error","message":"render invoice failed"}'],
                                   "paste.txt"))[-1]
    assert entry["resource"]["labels"].get("service_name") == service
    assert entry.get("labels", {}).get("instanceId") == pod


def test_a_rails_request_line_in_a_journal_is_a_request() -> None:
    """A Rails app under systemd writes its request lines into the journal behind the syslog
    header and Ruby's Logger mark: `Completed 500` there is a failed request, as printed bare
    (held-out EE04: 87 requests read as none, and a deadlock on some of them as an outage)."""
    entry = _one("Jun 03 14:22:13 wallet-web-2 puma[21877]: E, [2025-06-03T14:22:13.101000 #21877] "
                 "ERROR -- : [6301ebb7] Completed 500 Internal Server Error in 51ms (ActiveRecord: 50.1ms)")
    assert (entry["timestamp"][:19], entry["httpRequest"]["status"]) == ("2025-06-03T14:22:13", 500)


def test_a_journal_s_year_less_lines_take_the_year_a_later_line_of_it_dates() -> None:
    """A journal paste opens with the system's own lines (no year in them), and the app's full
    dates come only further down: the lines before take that year (and a December line before a
    January date the year before), instead of no time at all (held-out FL10: the failures among the
    timed lines read as running from the paste's start)."""
    lines = [
        "Dec 31 23:59:58 vm-1 systemd[1]: Starting apt-daily.service...",
        "Jan 01 00:00:01 vm-1 systemd[1]: Started ledger-api.service.",
        "Jan 01 00:00:03 vm-1 gunicorn[2301]: [2027-01-01 00:00:03 +0000] [2301] [INFO] Booting worker",
    ]
    stamps = [e.get("timestamp") for e in read_text_entries(lines, "journal.txt")]
    assert stamps == ["2026-12-31T23:59:58Z", "2027-01-01T00:00:01Z", "2027-01-01T00:00:03Z"]


def test_a_model_server_s_year_less_lines_take_the_year_of_a_dated_line_below() -> None:
    """vLLM's logger writes its level, then `MM-DD HH:MM:SS` with no year, then `[file:line]`
    (vllm/logger.py `_FORMAT`, `_DATE_FORMAT = "%m-%d %H:%M:%S"`): a `kubectl logs --previous` of it
    pasted above the caller's ISO-stamped errors takes their year, so its lines are timed and
    levelled and its CUDA OOM is before the caller's 503s, not untimed beside them (held-out NS03)."""
    lines = [
        "INFO 03-12 09:27:57 [api_server.py:1043] vLLM API server version 0.8.5",
        "(EngineCore_0 pid=211) ERROR 03-12 09:29:27 [core.py:396] EngineCore failed to start.",
        "2026-03-12T09:29:40.112Z ERROR upstream vllm-qwen returned 503 for /v1/chat/completions",
    ]
    entries = list(read_text_entries(lines, "paste.txt"))
    assert [(e.get("timestamp"), e.get("severity")) for e in entries] == [
        ("2026-03-12T09:27:57Z", "INFO"), ("2026-03-12T09:29:27Z", "ERROR"),
        ("2026-03-12T09:29:40.112Z", "ERROR")]


def test_gcloud_app_logs_give_time_service_and_version_and_keep_a_traceback_s_indentation() -> None:
    """`gcloud app logs tail` prints each entry as its time, `service[version]`, two spaces and its
    text (googlecloudsdk's FormatAppEntry): the service and version are the entry's, and a
    traceback's frames keep their indentation after the prefix, so the traceback is one again
    (held-out FW03: its `KeyError` on an unset environment variable read as no known failure)."""
    lines = [
        "2024-02-06 10:31:12 billing-api[20240206t101544]  Traceback (most recent call last):",
        '2024-02-06 10:31:12 billing-api[20240206t101544]    File "/srv/main.py", line 41, in export',
        '2024-02-06 10:31:12 billing-api[20240206t101544]      bucket = client.bucket(os.environ["BUCKET"])',
        "2024-02-06 10:31:12 billing-api[20240206t101544]  KeyError: 'BUCKET'",
    ]
    entries = list(read_text_entries(lines, "app.txt"))
    first = entries[0]
    assert first["timestamp"] == "2024-02-06T10:31:12Z"
    assert first["resource"]["labels"] == {"service_name": "billing-api", "version_id": "20240206t101544"}
    assert [e["textPayload"] for e in entries][1:3] == [
        '  File "/srv/main.py", line 41, in export', '    bucket = client.bucket(os.environ["BUCKET"])']


@pytest.mark.parametrize("stamp", ["2025-11-04T09:24:56+0000", "2025-11-04T09:24:56+00:00",
                                   "2025-11-04T09:24:56.441213+00:00"])
def test_a_journalctl_short_iso_line_is_read_as_its_syslog_header_says(stamp: str) -> None:
    """`journalctl -o short-iso` puts a full ISO time in place of syslog's month and day: the
    header names the host and the program, and the message after it is the line's text, its level
    the message's own; a container a unit runs in the foreground writes as `docker[pid]:`, which
    names no service (held-out PW09: the header was left in every line, so a traceback split over
    them was never joined and its exception read as nothing known)."""
    entry = _one(f"{stamp} intent-vm-01 docker[30467]: ERROR:    Exception in ASGI application")
    assert entry["timestamp"][:19] == "2025-11-04T09:24:56"
    assert entry["textPayload"] == "ERROR:    Exception in ASGI application"
    assert entry["severity"] == "ERROR"
    assert "service_name" not in entry.get("resource", {}).get("labels", {})
    unit = _one(f"{stamp} intent-vm-01 intent-api[881]: Started worker 3")
    assert unit["resource"]["labels"]["service_name"] == "intent-api"


def test_a_timed_line_that_only_opens_with_two_words_and_a_colon_keeps_them() -> None:
    """Without a process id, `host prog:` after a time is no journal header: prose keeps its words."""
    assert _one("2025-11-04T09:24:56Z Connection refused: retrying")["textPayload"] == \
        "Connection refused: retrying"


def test_rows_of_kubectl_get_events_are_never_the_tail_of_the_row_above() -> None:
    """A row opens with its namespace in lower case, as a terminal's wrapped line does: read as the
    rest of the row above, a crash loop's BackOff row became part of a node's RemovingNode row
    (held-out QO08)."""
    rows = ["default  26m  Normal  RemovingNode  node/gke-prod-pool-1a2b-lw6b  Node gke-prod-pool-1a2b-lw6b "
            "event: Removing Node gke-prod-pool-1a2b-lw6b from Controller",
            "default  25m  Normal  NodeNotReady  node/gke-prod-pool-1a2b-7g2k  Node is not ready",
            "kyverno  40s (x121 over 27m)  Warning  BackOff  pod/kyverno-7d9f8c7b5-n8w4t  Back-off "
            "restarting failed container kyverno in pod kyverno-7d9f8c7b5-n8w4t_kyverno"]
    assert [e["textPayload"] for e in read_text_entries(rows, "events.txt")] == rows


@pytest.mark.parametrize("prefix", ["\x1b[32mweb-1  |\x1b[0m ", "\x1b[32mweb-1  | \x1b[0m", "web-1  | "])
def test_an_access_line_behind_a_coloured_compose_prefix_keeps_its_own_time(prefix: str) -> None:
    """Compose's coloured prefix may close its colour before the space after the bar: that space is
    the prefix's too, so the access line keeps its own time (held-out QN04 read a whole recovery
    as still failing, every access line at the last time stamped before it)."""
    entry = _one(prefix + '172.18.0.1 - - [04/Nov/2025:14:05:39 +0000] "GET /api/ HTTP/1.1" 200 6 "-" "curl"')
    assert (entry.get("timestamp"), entry["textPayload"][:10]) == ("2025-11-04T14:05:39Z", "172.18.0.1")


@pytest.mark.parametrize("program", ["node", "gunicorn", "celery"])
def test_a_journal_line_of_a_program_that_runs_an_application_names_no_service(program: str) -> None:
    """`node[2184]:`, `gunicorn[2311]:`, `celery[2214]:` (a task queue's worker running the app's
    tasks, held-out UA08) name the program, not the service: the line names none, and carries the
    program as its `launcher` label so that the service asked for may be it."""
    entry = _one(f"Jun 03 02:19:14 render-worker-2 {program}[2214]: [2025-06-03 02:19:14,200: INFO] ready")
    assert "service_name" not in entry["resource"]["labels"]
    assert entry["labels"]["launcher"] == program
