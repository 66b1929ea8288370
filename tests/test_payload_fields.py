"""What a pattern sees of real payloads: the message and what loggers put beside it, the payload's
severity when the entry says DEFAULT, and the service of every surface."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rca import api

GKE = {"type": "k8s_container", "labels": {"container_name": "svc"}}
BASE = {"timestamp": "2025-06-01T10:00:00Z", "logName": "projects/p/logs/run.googleapis.com%2Fstdout",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "svc"}}}


def one(tmp_path: Path, **entry: Any) -> dict[str, Any]:
    """Load one entry through the real reader and normaliser; its `entries` row as a dict."""
    path = tmp_path / "e.ndjson"
    path.write_text(json.dumps(BASE | {"insertId": "a"} | entry) + "\n", encoding="utf-8")
    loaded = api.load([str(path)])
    cur = loaded.store.con.execute("SELECT message, severity, service FROM entries")
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True))


@pytest.mark.parametrize(
    ("why", "payload", "expected"),
    [
        ("zap: the error beside msg", {"msg": "query failed", "error": "dial tcp 10.0.0.3:5432: connect: "
                                       "connection refused"}, "connection refused"),
        ("logback JSON: a stacktrace field", {"message": "request failed", "stacktrace":
                                              "java.lang.NullPointerException\n\tat com.acme.A.b(A.java:3)"},
         "NullPointerException"),
        ("an error object with a message",
         {"msg": "send failed", "error": {"message": "ETIMEDOUT"}}, "ETIMEDOUT"),
        ("pino's err serializer: type, message and the stack that names both",
         {"level": 50, "msg": "unhandled error",
          "err": {"type": "TypeError", "message": "Cannot read properties of undefined (reading 'id')",
                  "stack": "TypeError: Cannot read properties of undefined (reading 'id')\n"
                           "    at renderInvoice (/app/src/invoice.js:42:17)"}},
         "TypeError: Cannot read properties of undefined (reading 'id')\n    at renderInvoice"),
        ("load balancer statusDetails", {"statusDetails": "failed_to_connect_to_backend",
                                         "@type": "type.googleapis.com/google.cloud.loadbalancing.type."
                                                  "LoadBalancerLogEntry"}, "failed_to_connect_to_backend"),
        ("Cloud Scheduler attempt",
         {"status": "PERMISSION_DENIED", "debugInfo": "URL_ERROR-ERROR_AUTHENTICATION",
          "@type": "type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished"},
         "PERMISSION_DENIED"),
        ("an OAuth 2.0 error response logged as it came (blind set DB10)",
         {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
         "invalid_grant\nInvalid JWT Signature."),
        ("Rust tracing-subscriber's JSON format: the message and error under `fields` (blind set EE05)",
         {"timestamp": "2026-11-22T11:14:30.855440Z", "level": "ERROR", "target": "orders_api::routes",
          "fields": {"message": "request failed",
                     "error": "pool timed out while waiting for an open connection"}},
         "request failed\npool timed out while waiting for an open connection"),
        ("pino-std-serializers' errWithCause: fetch()'s cause kept as a nested object (blind set GA09)",
         {"level": 50, "msg": "fetch failed",
          "err": {"type": "TypeError", "message": "fetch failed",
                  "stack": "TypeError: fetch failed\n    at node:internal/deps/undici/undici:13502:13",
                  "cause": {"type": "Error", "message": "certificate has expired", "code": "CERT_HAS_EXPIRED",
                            "stack": "Error: certificate has expired\n"
                                     "    at TLSSocket.onConnectSecure (node:_tls_wrap:1677:34)"}}},
         "caused by: Error: certificate has expired"),
        ("an error object's cause with a message only",
         {"msg": "payment failed", "error": {"message": "upstream call failed",
                                             "cause": {"message": "getaddrinfo ENOTFOUND api.psp.example"}}},
         "caused by: getaddrinfo ENOTFOUND api.psp.example"),
        ("a Go recoverer's zap line: the panic's value in its own key (blind set OD05)",
         {"level": "error", "caller": "httpx/recover.go:29", "msg": "panic recovered", "path": "/v1/confirm",
          "panic": "runtime error: invalid memory address or nil pointer dereference",
          "stacktrace": "github.com/acme/gw/internal/httpx.Recoverer.func1.1\n"
                        "\t/src/internal/httpx/recover.go:29"},
         "runtime error: invalid memory address or nil pointer dereference"),
        ("log4j2's JsonLayout: the exception as an object, its causes nested (blind set OF09)",
         {"level": "ERROR", "loggerName": "com.acme.web.ApiExceptionHandler",
          "message": "Request GET /v1/balance failed: Failed to obtain JDBC Connection",
          "thrown": {"name": "org.springframework.jdbc.CannotGetJdbcConnectionException",
                     "message": "Failed to obtain JDBC Connection",
                     "cause": {"name": "java.sql.SQLTransientConnectionException",
                               "message": "HikariPool-1 - Connection is not available, request timed out "
                                          "after 30004ms.",
                               "cause": {"name": "org.postgresql.util.PSQLException",
                                         "message": "Connection to 10.40.0.3:5432 refused.",
                                         "extendedStackTrace": [{"class": "org.postgresql.Driver"}]}}}},
         "Caused by: org.postgresql.util.PSQLException: Connection to 10.40.0.3:5432 refused."),
        ("a `thrown` written as a string, not an object: taken whole, and no JSON parse of it",
         {"level": "ERROR", "message": "render failed",
          "thrown": "java.lang.IllegalStateException: template { not closed"},
         "java.lang.IllegalStateException: template { not closed"),
        ("slog's start line: the address it listens on in its own field (held-out EB01)",
         {"time": "2025-03-11T14:21:18Z", "level": "INFO", "msg": "http server listening", "addr": ":9090"},
         "http server listening\naddr=:9090"),
        ("zap's start line: the port as a number", {"level": "info", "msg": "server started", "port": 8080},
         "port=8080"),
        ("Monolog's JsonFormatter: an exception in the record's context, normalised to an object "
         "(held-out NT01: Secret Manager's PERMISSION_DENIED read as the app's 500s alone)",
         {"message": "Unable to load Stripe credentials from Secret Manager", "level_name": "ERROR",
          "context": {"exception": {"class": "Google\\ApiCore\\ApiException",
                                    "message": "Permission 'secretmanager.versions.access' denied for "
                                               "resource 'projects/p/secrets/stripe-key/versions/latest'",
                                    "code": 7, "file": "/workspace/vendor/google/gax/src/ApiException.php"}}},
         "Google\\ApiCore\\ApiException: Permission 'secretmanager.versions.access' denied"),
        ("Elasticsearch's error object as the app logged it, a type and a reason and no message "
         "(held-out UK09: a flood-stage block read as 'bulk item failed' alone)",
         {"message": "bulk item failed", "severity": "ERROR", "status": 429,
          "error": {"type": "cluster_block_exception",
                    "reason": "index [events-2025.09.18] blocked by: [TOO_MANY_REQUESTS/12/disk usage "
                              "exceeded flood-stage watermark, index has read-only-allow-delete block];"}},
         "cluster_block_exception: index [events-2025.09.18] blocked by: [TOO_MANY_REQUESTS/12/"),
    ],
)
def test_the_message_carries_what_loggers_put_beside_it(
    tmp_path: Path, why: str, payload: dict[str, Any], expected: str
) -> None:
    """Each row is a real payload shape whose failure text used to stay out of the message."""
    assert expected in one(tmp_path, jsonPayload=payload)["message"], why


def test_an_address_field_is_read_only_beside_a_message_about_listening(tmp_path: Path) -> None:
    """A `config loaded` line names addresses too, of what it will listen on or call: only a line
    saying that it listens (or serves, or started) gives its address to the message."""
    payload = {"level": "INFO", "msg": "config loaded", "listen_addr": ":9090", "addr": "db:5432"}
    assert one(tmp_path, jsonPayload=payload)["message"] == "config loaded"


def test_a_dotnet_json_console_line_has_its_level_message_and_exception(tmp_path: Path) -> None:
    """.NET's JSON console formatter writes LogLevel, Message and Exception with capitals; the
    entry's level is the LogLevel, and the exception is part of the message."""
    row = one(tmp_path, jsonPayload={
        "EventId": 1, "LogLevel": "Error", "Category": "Microsoft.AspNetCore.Server.Kestrel",
        "Message": "An unhandled exception has occurred while executing the request.",
        "Exception": 'Grpc.Core.RpcException: Status(StatusCode="DeadlineExceeded", '
                     'Detail="Deadline Exceeded")'})
    assert (row["severity"], row["message"].startswith("An unhandled exception"),
            "DeadlineExceeded" in row["message"]) == ("ERROR", True, True)
    info = one(tmp_path, jsonPayload={"LogLevel": "Information", "Message": "Now listening"})
    assert info["severity"] == "INFO"


def test_an_app_engine_request_log_carries_the_lines_logged_while_serving_it(tmp_path: Path) -> None:
    """App Engine writes the platform's and the app's lines of a request into the request log's
    protoPayload `line[]`; the message is the request line, then those lines, so a pattern sees
    'Exceeded soft memory limit' (the RequestLog shape: cloud.google.com/appengine/docs/standard/
    reference/rest/v1/RequestLog)."""
    row = one(tmp_path, logName="projects/p/logs/appengine.googleapis.com%2Frequest_log",
              resource={"type": "gae_app", "labels": {"module_id": "api"}},
              httpRequest={"requestMethod": "GET", "requestUrl": "/v1/products/7", "status": 500},
              protoPayload={"@type": "type.googleapis.com/google.appengine.logging.v1.RequestLog",
                            "method": "GET", "resource": "/v1/products/7", "status": 500,
                            "line": [{"severity": "CRITICAL", "logMessage": "Exceeded soft memory limit of "
                                      "256 MB with 291 MB after servicing 37 requests total."},
                                     {"severity": "INFO", "logMessage": "served from cache"}]})
    assert row["message"] == ("GET /v1/products/7 500\nExceeded soft memory limit of 256 MB with 291 MB "
                              "after servicing 37 requests total.\nserved from cache")


def test_an_app_engine_request_log_with_the_status_alone_reads_its_request_from_the_request_log(
        tmp_path: Path) -> None:
    """An App Engine request log's httpRequest may hold the status alone; the RequestLog holds the
    method, the resource and the latency, so the message is the request line Cloud Run's would be
    (an empty message made no request-failure symptom, and the pool that ran dry an hour in lost to
    a lost connection at the first minute: blind set 1B04)."""
    row = one(tmp_path, logName="projects/p/logs/appengine.googleapis.com%2Frequest_log",
              resource={"type": "gae_app", "labels": {"module_id": "api"}}, httpRequest={"status": 500},
              protoPayload={"@type": "type.googleapis.com/google.appengine.logging.v1.RequestLog",
                            "method": "POST", "resource": "/api/submissions", "status": 500,
                            "latency": "30.032111s"})
    assert row["message"] == "POST /api/submissions 500 30.032111s"


@pytest.mark.parametrize(
    ("entry", "severity"),
    [
        ({"severity": "DEFAULT", "jsonPayload": {"msg": "x", "level": "ERROR"}}, "ERROR"),
        ({"jsonPayload": {"msg": "x", "lvl": "warn"}}, "WARNING"),
        ({"jsonPayload": {"msg": "x", "level": 50}}, "ERROR"),
        ({"severity": "INFO", "jsonPayload": {"msg": "x", "level": "error"}}, "INFO"),
        # Elastic Common Schema (Spring Boot's `ecs` format): a dotted key, or a nested object
        ({"jsonPayload": {"message": "x", "log.level": "ERROR", "ecs.version": "8.11"}}, "ERROR"),
        ({"jsonPayload": {"message": "x", "log": {"level": "warn"}}}, "WARNING"),
        # GKE's agent gives stdout INFO and stderr ERROR when the line names no `severity`
        ({"severity": "INFO", "logName": "projects/p/logs/stdout", "resource": GKE,
          "jsonPayload": {"message": "x", "log.level": "ERROR"}}, "ERROR"),
        ({"severity": "ERROR", "logName": "projects/p/logs/stderr", "resource": GKE,
          "jsonPayload": {"msg": "x", "level": "info"}}, "INFO"),
        ({"severity": "WARNING", "logName": "projects/p/logs/stdout", "resource": GKE,
          "jsonPayload": {"msg": "x", "level": "error"}}, "WARNING"),
    ],
)
def test_the_payload_severity_counts_when_the_entry_says_default(
    tmp_path: Path, entry: dict[str, Any], severity: str
) -> None:
    """slog/zap/pino/ECS levels count when the entry's own severity is the one its platform gives a
    line that names none (DEFAULT or absent; GKE's stdout INFO and stderr ERROR), never over another."""
    assert one(tmp_path, **entry)["severity"] == severity


def test_an_ecs_line_carries_its_error_message_and_stack(tmp_path: Path) -> None:
    """Spring Boot's ECS format puts the failure in `error.message` and `error.stack_trace`."""
    row = one(tmp_path, jsonPayload={
        "message": "Acquirer call failed; responding 502", "log.level": "ERROR",
        "error.type": "org.springframework.web.client.ResourceAccessException",
        "error.message": "I/O error on POST request: PKIX path building failed",
        "error.stack_trace": "org.springframework.web.client.ResourceAccessException: I/O error\n"
                             "Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed"})
    assert "PKIX path building failed" in row["message"] and "SSLHandshakeException" in row["message"]


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        # Cloud SQL for MySQL's error log: a note arrives at ERROR
        ("2026-09-08T15:49:27.000000Z 1357563 [Note] Aborted connection 1357563 to db: 'catalog' user: "
         "'catalog_app' host: 'cloudsqlproxy~35.203.208.94' (Got an error reading communication packets)",
         "NOTICE"),
        # GKE writes every stderr line at ERROR: gunicorn's and uvicorn's start-up lines
        ("[2025-01-01 10:00:00 +0000] [1] [INFO] Booting worker with pid: 8", "INFO"),
        ("INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)", "INFO"),
        ("2025-07-03  7:41:32 3 [Warning] Aborted connection 3 to db: 'mysql' user: 'root'", "WARNING"),
        # Celery's worker_log_format on GKE's stderr (blind set EH09)
        ("[2024-03-05 21:28:01,018: INFO/MainProcess] Connected to redis://redis-master:6379/0", "INFO"),
        ("[2024-03-05 21:28:01,018: WARNING/ForkPoolWorker-2] retrying", "WARNING"),
        ("[2024-03-05 21:27:00,412: ERROR/MainProcess] consumer: Cannot connect to redis://redis:6379/0",
         "ERROR"),
        # grpc-go's logger after the Go log package's date (blind set JG02)
        ("2021/07/19 10:27:37 WARNING: [core] [Channel #4 SubChannel #10] grpc: addrConn.createTransport "
         'failed to connect to {Addr: "10.52.3.44:9090"}. Err: connection error', "WARNING"),
        ("2021/07/19 10:27:37 INFO: [core] Channel Connectivity change to READY", "INFO"),
        ("2021/07/19 10:27:37 ERROR: [xds] watcher error", "ERROR"),
        # a logfmt line's level= among its first fields: logrus's TextFormatter and Go slog's
        # TextHandler on GKE's stderr (blind set SA03)
        ('time="2024-08-20T10:00:02Z" level=info msg="batch committed" entries=84 lag_ms=190', "INFO"),
        ("time=2023-10-26T10:00:00.000Z level=WARN msg=\"slow consumer\" lag=12s", "WARNING"),
        ('time="2024-08-20T11:06:51Z" level=error msg="commit failed" err="deadline exceeded"', "ERROR"),
        ('msg="retrying" attempt=3 backoff=2s component=sync level=info', "ERROR"),
        # librdkafka's default logger writes the syslog level first (src/rdkafka.c rd_kafka_log_print):
        # an idle connection closed is told at 6, info (blind set JK09)
        ("%6|1720505261.000|FAIL|rdkafka#producer-1| [thrd:sasl_ssl://broker-0.kafka:9092/0]: "
         "sasl_ssl://broker-0.kafka:9092/0: Disconnected (after 600000ms in state UP)", "INFO"),
        ("%4|1720505523.000|FAIL|rdkafka#producer-1| [thrd:bootstrap]: Connection setup timed out",
         "WARNING"),
        ("%3|1720505523.000|FAIL|rdkafka#producer-1| [thrd:bootstrap]: Connect to broker failed",
         "ERROR"),
        # a level after a leading ISO date and time: Python logging's `%(asctime)s %(levelname)s` and
        # Spring Boot's console pattern on GKE's stderr
        ("2024-07-09 06:03:12,000 WARNING py.warnings: /usr/local/lib/python3.12/site-packages/google/"
         "auth/_default.py:76: UserWarning: Your application has authenticated using end user credentials",
         "WARNING"),
        ("2026-10-07T14:00:43.418Z  INFO 1 --- [main] o.s.b.w.e.tomcat.TomcatWebServer : Tomcat started",
         "INFO"),
        ("2026-10-07T14:00:43.418Z ERROR 1 --- [main] o.s.boot.SpringApplication : Application run failed",
         "ERROR"),
        # an error stays an error, and a level word inside the message is not the line's level
        ("[2025-01-01 10:00:00 +0000] [1] [ERROR] Worker (pid:8) was sent SIGKILL!", "ERROR"),
        ("psycopg2.OperationalError: info: server closed the connection unexpectedly", "ERROR"),
    ],
)
def test_a_lower_level_the_line_states_at_its_start_beats_an_error_severity(
    tmp_path: Path, text: str, severity: str
) -> None:
    """Under an ERROR severity (GKE's stderr, Cloud SQL's MySQL notes) the level the line itself
    states at its start counts: a note or a start-up line is no error entry of an incident."""
    assert one(tmp_path, severity="ERROR", textPayload=text)["severity"] == severity


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        # Spring Boot's console pattern and Python logging's default format on Cloud Run's stdout
        ("2024-05-01 10:00:00.123 ERROR 1 --- [main] o.s.b.SpringApplication : Application run failed",
         "ERROR"),
        ("ERROR:root:Order sync batch 42 failed, giving up after 3 attempts", "ERROR"),
        ("WARNING:urllib3.connectionpool:Retrying (Retry(total=2)) after connection broken", "WARNING"),
        # Flask's default handler format, glog (Go's klog), .NET's console logger header
        ("[2024-05-01 10:00:00,000] ERROR in app: Exception on /orders [POST]", "ERROR"),
        ("E0501 10:00:00.000000       1 reflector.go:138] Failed to watch *v1.Pod", "ERROR"),
        ("fail: Microsoft.AspNetCore.Server.Kestrel[13]", "ERROR"),
        ("warn: Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository[60]", "WARNING"),
        # no level stated: a level word inside the message is none, a plain line stays DEFAULT
        ("GET /api/errors returned 3 rows", "DEFAULT"),
        ("Worker finished, err=nil", "DEFAULT"),
    ],
)
def test_a_text_line_logged_at_no_level_takes_the_level_its_text_states(
    tmp_path: Path, text: str, severity: str
) -> None:
    """Cloud Run logs a text line at DEFAULT whatever it says; the level its text states counts, as
    the text reader reads it from a pasted copy of the line (and as a JSON payload's level does)."""
    assert one(tmp_path, textPayload=text)["severity"] == severity


def test_a_text_line_keeps_a_level_its_entry_states(tmp_path: Path) -> None:
    """Only a line the platform gave no level is read: an entry's own WARNING stays."""
    assert one(tmp_path, textPayload="ERROR:root:boom", severity="WARNING")["severity"] == "WARNING"


def test_gke_stdout_info_gives_way_to_the_level_the_text_states(tmp_path: Path) -> None:
    """GKE's agent logs every stdout line INFO: that is its guess, not the line's."""
    row = one(tmp_path, severity="INFO", logName="projects/p/logs/stdout", resource=GKE,
              textPayload="2024-05-01 10:00:00.123 ERROR 1 --- [main] c.a.Sync : sync failed")
    assert row["severity"] == "ERROR"


def lines(
    tmp_path: Path, texts: list[tuple[float, str]], newest_first: bool = False
) -> list[tuple[str, str]]:
    """Load text lines of one Cloud Run stream (seconds after 10:00, text) logged at no level;
    (severity, text) of each in time order."""
    entries = [BASE | {"insertId": f"i{n}", "timestamp": f"2025-06-01T10:00:{at:09.6f}Z", "textPayload": text}
               for n, (at, text) in enumerate(texts)]
    path = tmp_path / "e.json"
    path.write_text(json.dumps(entries[::-1] if newest_first else entries), encoding="utf-8")
    rows = api.load([str(path)]).store.con.execute("SELECT severity, message FROM entries ORDER BY entry_id")
    return [(str(s), str(m)) for s, m in rows.fetchall()]


DOTNET_RECORD = [
    (1.0, "fail: Microsoft.EntityFrameworkCore.Database.Connection[20004]"),
    (1.0, "      An error occurred using the connection to database 'orders' on server 'tcp://10.0.0.3'."),
    (1.0, "      Npgsql.NpgsqlException (0x80004005): Failed to connect to 10.0.0.3:5432"),
    (1.0, "         at Npgsql.Internal.NpgsqlConnector.Connect(NpgsqlTimeout timeout)"),
    (1.5, "info: Microsoft.Hosting.Lifetime[0]"),
    (1.5, "      Application is shutting down..."),
]


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_record_s_indented_lines_take_the_level_its_first_line_stated(
    tmp_path: Path, newest_first: bool
) -> None:
    """.NET's console logger writes the level on a record's first line and its message indented
    below; split one line per entry at DEFAULT, each line is the record's (lines of one time in
    file order, a newest-first export read backwards)."""
    assert [s for s, _ in lines(tmp_path, DOTNET_RECORD, newest_first)] == [
        "ERROR", "ERROR", "ERROR", "ERROR", "INFO", "INFO"]


def test_an_indented_line_far_from_a_levelled_line_or_after_a_plain_one_keeps_no_level(
    tmp_path: Path,
) -> None:
    """Inheritance stops at a line that states no level, and at a gap of more than one write."""
    got = lines(tmp_path, [(1.0, "ERROR:app:Payment failed:"), (1.0, "  card declined"),
                           (2.0, "Retrying"), (2.0, "  attempt 2"),
                           (3.0, "ERROR:app:Refund failed:"), (9.0, "  timed out")])
    assert [s for s, _ in got] == ["ERROR", "ERROR", "DEFAULT", "DEFAULT", "ERROR", "DEFAULT"]


@pytest.mark.parametrize(
    ("resource", "service"),
    [
        ({"type": "cloud_function", "labels": {"function_name": "thumbnail"}}, "thumbnail"),
        ({"type": "gae_app", "labels": {"module_id": "default"}}, "default"),
        ({"type": "k8s_container", "labels": {"container_name": "api"}}, "api"),
        ({"type": "cloud_run_job", "labels": {"job_name": "nightly"}}, "nightly"),
    ],
)
def test_the_service_of_every_surface(tmp_path: Path, resource: dict[str, Any], service: str) -> None:
    """Cloud Functions, App Engine, GKE and Cloud Run jobs name their service differently."""
    assert one(tmp_path, resource=resource, textPayload="hello")["service"] == service


@pytest.mark.parametrize(("severity", "kept"), [("ERROR", True), ("INFO", False)])
def test_an_error_line_s_own_fields_named_for_what_failed_join_its_message(
    tmp_path: Path, severity: str, kept: bool
) -> None:
    """An application that logs 'elasticsearch search failed' with the cluster's answer in its own
    key (`es_error`) beside `error_type` (blind set CP06): at error level those fields are what
    failed, so the patterns read them; an INFO line's fields stay out (and cost nothing)."""
    body = ('{"error":{"type":"circuit_breaking_exception","reason":"[parent] Data too large, data for '
            '[<http_request>] would be [2064016975/1.9gb], which is larger than the limit of '
            '[2040109465/1.9gb]"},"status":429}')
    row = one(tmp_path, severity=severity, jsonPayload={
        "message": "elasticsearch search failed", "error_type": "circuit_breaking_exception",
        "es_error": body, "took_ms": 12})
    assert ("Data too large" in row["message"]) is kept
    assert ("circuit_breaking_exception" in row["message"]) is kept
    assert "took_ms" not in row["message"] and "12" not in row["message"].split("\n")[0]


@pytest.mark.parametrize("key", ["body", "response_body", "response", "detail"])
def test_the_answer_an_error_line_failed_on_joins_its_message(tmp_path: Path, key: str) -> None:
    """A service that logs "origin fetch failed: GCS responded 403 Forbidden" puts the API's error
    body in a key of its own: the permission it names is why, so an error line's `body`,
    `response` or `detail` joins its message (blind set VH03); `response_time_ms` does not."""
    body = ('{"error": {"code": 403, "message": "thumbs@p.iam.gserviceaccount.com does not have '
            "storage.objects.get access to the Google Cloud Storage object. Permission "
            "'storage.objects.get' denied on resource (or it may not exist).\"}}")
    row = one(tmp_path, severity="ERROR", jsonPayload={
        "message": "origin fetch failed: GCS responded 403 Forbidden", key: body, "response_time_ms": 41})
    assert "storage.objects.get access" in row["message"] and "41" not in row["message"]


@pytest.mark.parametrize(("level", "kept"), [(50, True), (60, True), (40, False), (500, True), (400, False)])
def test_a_numeric_error_level_joins_the_failed_answer_too(tmp_path: Path, level: int, kept: bool) -> None:
    """pino logs its level as a number (50 error, 60 fatal) and Cloud Run leaves the entry at
    DEFAULT: the Apigee fault body beside "pricing quote request failed" is why (blind set XE06),
    as it is beside an ERROR-named line; a warning's (40) body stays out. Cloud Logging's own
    numbers (500 ERROR, 400 WARNING) read the same way."""
    body = ('{"fault":{"faultstring":"Rate limit quota violation. Quota limit exceeded. Identifier : '
            '_default","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}')
    row = one(tmp_path, severity="DEFAULT", jsonPayload={
        "level": level, "msg": "pricing quote request failed", "status": 429, "body": body})
    assert ("QuotaViolation" in row["message"]) is kept


def test_a_proxy_s_response_code_detail_joins_an_error_line_s_message(tmp_path: Path) -> None:
    """ESPv2 (Envoy) logs why it answered 503 in `response_code_detail` and only "BACKEND" in
    `error_cause` (blind set XE03): the detail is the failure, a TLS handshake to the backend."""
    row = one(tmp_path, severity="ERROR", jsonPayload={
        "log_message": "1.orders.ListShipments is called", "http_response_code": 503,
        "response_code_detail": "upstream_reset_before_response_started{connection_failure,"
                                "TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED}",
        "error_cause": "BACKEND", "request_latency_in_ms": 31})
    assert "CERTIFICATE_VERIFY_FAILED" in row["message"] and "31" not in row["message"]


@pytest.mark.parametrize(("code", "kept"), [
    ("messaging/registration-token-not-registered", True), (404, False), ("500", False)])
def test_an_error_line_s_named_code_joins_its_message(tmp_path: Path, code: Any, kept: bool) -> None:
    """An SDK names the failure in the error's `code` ("messaging/registration-token-not-registered"
    beside "FCM send failed: Requested entity was not found.", blind set YH02): that name is what
    the patterns know. A numeric code (an HTTP status) says nothing a pattern reads, so it stays
    out of the text."""
    row = one(tmp_path, severity="ERROR", jsonPayload={
        "message": "FCM send failed: Requested entity was not found.", "code": code, "path": "/api/v2/walks"})
    assert ("registration-token-not-registered" in row["message"] or str(code) in row["message"]) is kept


def test_lines_alike_but_for_their_digits_have_their_level_read_once() -> None:
    """A storm of `ERROR ... order N failed` lines is one shape: the text grammar reads it once,
    and every line of it takes the level (the work is bounded by the shapes, not the lines)."""
    from rca.engine.store import Store
    from rca.sources.text import stated_level

    read: list[str] = []

    def counted(text: str) -> str | None:
        read.append(text)
        return stated_level(text)

    store = Store()
    def entry(n: int) -> dict[str, Any]:
        return BASE | {"insertId": f"i{n}", "timestamp": f"2025-06-01T10:{n // 60:02d}:{n % 60:02d}Z",
                       "textPayload": f"2025-06-01 10:00:{n % 60:02d}.123 ERROR 1 --- [main] c.a.Sync : "
                                      f"order {1000 + n} failed"}

    store.add_entries((entry(n) for n in range(300)), "e.ndjson")
    store.finalise(None, None, None, None, counted)
    levels = store.con.execute("SELECT DISTINCT severity FROM entries").fetchall()
    store.close()
    assert (len(read), levels) == (1, [("ERROR",)])



@pytest.mark.parametrize("key", [
    "lastErr", "ExceptionText", "soapFault", "FAILURE", "reasonPhrase", "rootCause", "panic", "body",
    "Response_Body", "RESPONSE", "upstream_detail", "details", "code"])
def test_every_key_an_error_line_s_message_takes_passes_the_payload_check(tmp_path: Path, key: str) -> None:
    """normalize.sql reads an error line's keys only when the payload's text shows a key holding one
    of the words its key rule names: each kind of key the rule takes, alone beside the message,
    still joins it."""
    row = one(tmp_path, severity="ERROR", jsonPayload={"msg": "op failed", key: "zzz-marker"})
    assert "zzz-marker" in row["message"]


def test_an_error_key_spelled_with_escapes_still_joins_the_message(tmp_path: Path) -> None:
    """The payload check reads the payload as DuckDB writes it back, decoded: a key escaped in the
    export (`\\u0070anic`, "panic") is found as it reads."""
    path = tmp_path / "e.ndjson"
    line = json.dumps(BASE | {"insertId": "a", "severity": "ERROR"})[:-1]
    path.write_text(line + ', "jsonPayload": {"msg": "op failed", "\\u0070anic" : "zzz-marker"}}\n',
                    encoding="utf-8")
    row = api.load([str(path)]).store.con.execute("SELECT message FROM entries").fetchone()
    assert row is not None and "zzz-marker" in row[0]


def test_an_error_logged_in_logging_winston_s_metadata_joins_the_message(tmp_path: Path) -> None:
    """@google-cloud/logging-winston writes `{message, metadata}`: an error the app logged with the
    line sits under `metadata` (blind set 2B08: an axios 503 under "geocode failed; nacking")."""
    row = one(tmp_path, severity="ERROR", jsonPayload={
        "message": "geocode failed; nacking message",
        "metadata": {"orderId": "ORD-1", "error": {"name": "AxiosError",
                                                  "message": "Request failed with status code 503"}}})
    assert row["message"] == "geocode failed; nacking message\nRequest failed with status code 503"


def test_an_error_and_stack_logged_as_strings_in_logging_winston_s_metadata_join_the_message(
        tmp_path: Path) -> None:
    """The same metadata may hold the error's message and stack as strings of their own
    (`{error: err.message, stack: err.stack}`): both join (blind set 8G08, node-postgres's
    "Connection terminated unexpectedly" under "request failed")."""
    stack = ("Error: Connection terminated unexpectedly\n"
             "    at Connection.<anonymous> (/srv/node_modules/pg/lib/client.js:136:73)")
    row = one(tmp_path, severity="ERROR", jsonPayload={
        "message": "request failed",
        "metadata": {"method": "GET", "path": "/api/availability",
                     "error": "Connection terminated unexpectedly", "stack": stack}})
    assert row["message"] == f"request failed\nConnection terminated unexpectedly\n{stack}"
