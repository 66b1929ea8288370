"""Builders for Cloud Logging entries in API camelCase, shared by every incident.

The shapes follow real Cloud Run, Cloud Audit and Cloud SQL entries (see
shared/docs/gcp-logging.md sections 2.2, 2.3 and 3.7): Cloud Run insertIds encode the
entry time (8 hex digits of seconds, 8 of microseconds, 8 random), receiveTimestamp trails
timestamp by a few hundred milliseconds with nanosecond digits, and plain stdout/stderr
lines carry no severity.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

Entry = dict[str, Any]

RUN_STDOUT = "run.googleapis.com%2Fstdout"
RUN_STDERR = "run.googleapis.com%2Fstderr"
RUN_REQUESTS = "run.googleapis.com%2Frequests"
RUN_SYSTEM = "run.googleapis.com%2Fvarlog%2Fsystem"
AUDIT_ACTIVITY = "cloudaudit.googleapis.com%2Factivity"
AUDIT_SYSTEM = "cloudaudit.googleapis.com%2Fsystem_event"
CLOUDSQL_POSTGRES = "cloudsql.googleapis.com%2Fpostgres.log"

UTC = timezone.utc


def utc(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` as an aware UTC datetime."""
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


def rfc3339(ts: datetime) -> str:
    """Format a UTC datetime the way Cloud Logging prints ``timestamp`` (microseconds, Z)."""
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def status_text(status: int) -> str:
    """Return the reason phrase uvicorn prints after a status code."""
    phrases = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 304: "Not Modified",
               400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
               502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return phrases.get(status, "")


def severity_for_status(status: int) -> str:
    """Cloud Run request-log severity: INFO below 400, WARNING for 4xx, ERROR for 5xx."""
    if status >= 500:
        return "ERROR"
    if status >= 400:
        return "WARNING"
    return "INFO"


@dataclass
class Sink:
    """Collects entries for one export and renders them as gcloud's JSON printer does."""

    project: str
    rng: random.Random
    cutoff: datetime | None = None
    entries: list[tuple[str, int, Entry]] = field(default_factory=list)
    _ids: set[tuple[str, str]] = field(default_factory=set)

    def hex(self, n: int) -> str:
        """Return ``n`` random lowercase hex digits."""
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def instance_id(self) -> str:
        """Return a Cloud Run instanceId: a long hex string with the usual ``00`` prefix."""
        return "00" + self.rng.choice(["69c7a988", "7e26d681", "69c7a9888"]) + self.hex(86)

    def trace(self) -> str:
        """Return a Cloud Trace resource name for this project."""
        return f"projects/{self.project}/traces/{self.hex(32)}"

    def log_name(self, log_id: str) -> str:
        """Return the full URL-encoded logName for ``log_id``."""
        return f"projects/{self.project}/logs/{log_id}"

    def receive(self, ts: datetime, lo_ms: int = 3, hi_ms: int = 420) -> str:
        """Return a receiveTimestamp a little after ``ts``, with nanosecond digits."""
        later = ts + timedelta(microseconds=self.rng.randint(lo_ms * 1000, hi_ms * 1000))
        return later.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{self.rng.randint(0, 999):03d}Z"

    def run_insert_id(self, ts: datetime) -> str:
        """Return a Cloud Run style insertId: hex seconds, hex microseconds, random suffix."""
        return f"{int(ts.timestamp()):08x}{ts.microsecond:08x}{self.hex(8)}"

    def short_insert_id(self) -> str:
        """Return an opaque short insertId as used by audit and Cloud SQL logs."""
        return "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))

    def add(self, entry: Entry) -> Entry:
        """Store ``entry`` unless it falls after the export's cutoff; insertIds are unique per logName."""
        if self.cutoff is not None and entry["timestamp"] > rfc3339(self.cutoff):
            return entry
        key = (entry["logName"], entry["insertId"])
        while key in self._ids:
            entry["insertId"] = entry["insertId"][:-8] + self.hex(8)
            key = (entry["logName"], entry["insertId"])
        self._ids.add(key)
        self.entries.append((entry["timestamp"], len(self.entries), entry))
        return entry

    def render(self) -> str:
        """Render newest first as ``gcloud logging read --format=json`` prints."""
        ordered = [e for _, _, e in sorted(self.entries, key=lambda t: (t[0], t[1]), reverse=True)]
        return json.dumps(ordered, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class RunService:
    """A Cloud Run service: where its entries come from and the URL clients call."""

    sink: Sink
    service: str
    region: str
    url: str

    def resource(self, revision: str) -> Entry:
        """Return the cloud_run_revision resource for ``revision`` ('' for service-level audit)."""
        return {"type": "cloud_run_revision", "labels": {
            "configuration_name": self.service if revision else "", "location": self.region,
            "project_id": self.sink.project, "revision_name": revision, "service_name": self.service}}

    def text(self, ts: datetime, log_id: str, revision: str, instance: str, text: str,
             severity: str | None = None) -> Entry:
        """Add a textPayload entry from a container stream or varlog/system."""
        entry: Entry = {"insertId": self.sink.run_insert_id(ts), "labels": {"instanceId": instance},
                        "logName": self.sink.log_name(log_id), "receiveTimestamp": self.sink.receive(ts),
                        "resource": self.resource(revision), "textPayload": text, "timestamp": rfc3339(ts)}
        if severity:
            entry["severity"] = severity
        return self.sink.add(entry)

    def lines(self, ts: datetime, log_id: str, revision: str, instance: str, block: str,
              step_us: tuple[int, int] = (8, 60)) -> datetime:
        """Add one entry per line of ``block`` (as Cloud Run splits stderr); return the last time."""
        for line in block.split("\n"):
            self.text(ts, log_id, revision, instance, line)
            ts += timedelta(microseconds=self.sink.rng.randint(*step_us))
        return ts

    def structured(self, ts: datetime, revision: str, instance: str, severity: str, payload: Entry,
                   source: tuple[str, int, str] | None = None, trace: str | None = None,
                   log_id: str = RUN_STDOUT, extra_labels: dict[str, str] | None = None) -> Entry:
        """Add a jsonPayload entry as Cloud Run stores a StructuredLogHandler line (fields lifted)."""
        labels = {"instanceId": instance, **(extra_labels or {})}
        entry: Entry = {"insertId": self.sink.run_insert_id(ts), "jsonPayload": payload, "labels": labels,
                        "logName": self.sink.log_name(log_id), "receiveTimestamp": self.sink.receive(ts),
                        "resource": self.resource(revision), "severity": severity, "timestamp": rfc3339(ts)}
        if source:
            entry["sourceLocation"] = {"file": source[0], "line": str(source[1]), "function": source[2]}
        if trace:
            entry["trace"] = trace
            entry["spanId"] = self.sink.hex(16)
            entry["traceSampled"] = False
        return self.sink.add(entry)

    def request(self, ts: datetime, revision: str, instance: str | None, method: str, path: str,
                status: int, latency_s: float, user_agent: str, remote_ip: str,
                text: str | None = None, trace: str | None = None, response_size: int | None = None) -> Entry:
        """Add a run.googleapis.com/requests entry; ``text`` is the platform error message if any."""
        rng = self.sink.rng
        http: Entry = {
            "latency": f"{latency_s:.9f}s", "protocol": "HTTP/1.1", "remoteIp": remote_ip,
            "requestMethod": method, "requestSize": str(rng.randint(280, 1400) if method != "GET" else
                                                        rng.randint(180, 620)),
            "requestUrl": self.url + path,
            "responseSize": str(response_size if response_size is not None else rng.randint(120, 4800)),
            "serverIp": "34.143.74.2", "status": status, "userAgent": user_agent}
        end = ts + timedelta(seconds=latency_s)
        entry: Entry = {"httpRequest": http, "insertId": self.sink.run_insert_id(ts),
                        "logName": self.sink.log_name(RUN_REQUESTS), "receiveTimestamp": self.sink.receive(end),
                        "resource": self.resource(revision), "severity": severity_for_status(status),
                        "spanId": self.sink.hex(16), "timestamp": rfc3339(ts),
                        "trace": trace or self.sink.trace(), "traceSampled": rng.random() < 0.1}
        if instance:
            entry["labels"] = {"instanceId": instance}
        if text:
            entry["textPayload"] = text
        return self.sink.add(entry)

    def audit(self, ts: datetime, log_id: str, revision: str, payload: Entry, severity: str) -> Entry:
        """Add a Cloud Audit Log entry (protoPayload AuditLog) for this service."""
        entry: Entry = {"insertId": self.sink.short_insert_id(), "logName": self.sink.log_name(log_id),
                        "protoPayload": payload, "receiveTimestamp": self.sink.receive(ts, 200, 900),
                        "resource": self.resource(revision), "severity": severity, "timestamp": rfc3339(ts)}
        return self.sink.add(entry)


PLATFORM_MALFORMED = ("The request failed because either the HTTP response was malformed or connection to the "
                      "instance had an error. Additional troubleshooting documentation can be found at: "
                      "https://cloud.google.com/run/docs/troubleshooting#malformed-response-or-connection-error")
PLATFORM_NOT_STARTED = ("The request failed because the instance could not start successfully. Additional "
                        "troubleshooting documentation can be found at: "
                        "https://cloud.google.com/run/docs/troubleshooting#container-failed-to-start")
PLATFORM_TIMEOUT = ("The request has been terminated because it has reached the maximum request timeout. To "
                    "change this limit, see https://cloud.google.com/run/docs/configuring/request-timeout")
PLATFORM_OOM_REQUEST = ("While handling this request, the container instance was found to be using too much "
                        "memory and was terminated. This is likely to cause a new container instance to be used "
                        "for the next request to this revision. If you see this message frequently, you may have "
                        "a memory leak in your code or may need more memory. Consider creating a new revision "
                        "with more memory.")


def deploy_audit(svc: RunService, ts: datetime, principal: str, generation: int, image: str,
                 prev_revision: str, template: Entry, user_agent: str,
                 traffic: list[Entry] | None = None) -> Entry:
    """Add an Admin Activity ``ReplaceService`` entry; its ``response.status`` is stale, as in reality."""
    name = f"namespaces/{svc.sink.project}/services/{svc.service}"
    spec: Entry = {"template": template, "traffic": traffic or [{"latestRevision": True, "percent": 100}]}
    template.setdefault("spec", {}).setdefault("containers", [{}])[0]["image"] = image
    payload: Entry = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": principal},
        "authorizationInfo": [{"granted": True, "permission": "run.services.update",
                               "permissionType": "ADMIN_WRITE", "resource": name, "resourceAttributes": {}}],
        "methodName": "google.cloud.run.v1.Services.ReplaceService",
        "request": {"@type": "type.googleapis.com/google.cloud.run.v1.ReplaceServiceRequest",
                    "name": f"projects/{svc.sink.project}/locations/{svc.region}/services/{svc.service}",
                    "region": svc.region,
                    "service": {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                                "metadata": {"annotations": {"run.googleapis.com/client-name": "gcloud",
                                                             "run.googleapis.com/client-version": "537.0.0"},
                                             "generation": generation, "name": svc.service},
                                "spec": spec}},
        "requestMetadata": {"callerIp": "34.72.10.5", "callerSuppliedUserAgent": user_agent,
                            "destinationAttributes": {}, "requestAttributes": {"auth": {}, "time": rfc3339(ts)}},
        "resourceLocation": {"currentLocations": [svc.region]},
        "resourceName": name,
        "response": {"@type": "type.googleapis.com/google.cloud.run.v1.Service",
                     "metadata": {"generation": generation, "name": svc.service},
                     "status": {"conditions": [{"lastTransitionTime": rfc3339(ts - timedelta(minutes=3)),
                                                "status": "True", "type": "Ready"}],
                                "latestCreatedRevisionName": prev_revision,
                                "latestReadyRevisionName": prev_revision,
                                "observedGeneration": generation - 1,
                                "traffic": [{"latestRevision": True, "percent": 100,
                                             "revisionName": prev_revision}]}},
        "serviceName": "run.googleapis.com"}
    return svc.audit(ts, AUDIT_ACTIVITY, "", payload, "NOTICE")


def ready_false_audit(svc: RunService, ts: datetime, revision: str, port: int) -> Entry:
    """Add the system_event entry Cloud Run writes when a revision fails its health check."""
    reason_text = (f"The user-provided container failed to start and listen on the port defined provided by the "
                   f"PORT={port} environment variable within the allocated timeout. This can happen when the "
                   f"container port is misconfigured or if the timeout is too short. The health check timeout can "
                   f"be extended. Logs for this revision might contain more information.\n\nLogs URL: "
                   f"https://console.cloud.google.com/logs/viewer?project={svc.sink.project}&resource="
                   f"cloud_run_revision/service_name/{svc.service}/revision_name/{revision}&advancedFilter="
                   f"resource.type%3D%22cloud_run_revision%22%0Aresource.labels.service_name%3D%22{svc.service}"
                   f"%22%0Aresource.labels.revision_name%3D%22{revision}%22 \nFor more troubleshooting guidance, "
                   f"see https://cloud.google.com/run/docs/troubleshooting#container-failed-to-start")
    message = f"Ready condition status changed to False for Revision {revision} with message: {reason_text}"
    payload: Entry = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "methodName": "/Services.ReplaceService",
        "resourceName": f"namespaces/{svc.sink.project}/revisions/{revision}",
        "response": {"@type": "type.googleapis.com/google.cloud.run.v1.Revision",
                     "kind": "Revision", "apiVersion": "serving.knative.dev/v1",
                     "metadata": {"name": revision, "namespace": svc.sink.project},
                     "status": {"conditions": [
                         {"lastTransitionTime": rfc3339(ts), "message": reason_text,
                          "reason": "HealthCheckContainerError", "status": "False", "type": "Ready"},
                         {"lastTransitionTime": rfc3339(ts), "message": reason_text,
                          "reason": "HealthCheckContainerError", "status": "False", "type": "ContainerHealthy"},
                         {"lastTransitionTime": rfc3339(ts - timedelta(seconds=40)), "status": "True",
                          "type": "ContainerReady"}],
                         "logUrl": f"https://console.cloud.google.com/logs/viewer?project={svc.sink.project}",
                         "observedGeneration": 1}},
        "serviceName": "run.googleapis.com",
        "status": {"code": 9, "message": message}}
    return svc.audit(ts, AUDIT_SYSTEM, revision, payload, "ERROR")


def write(path: str, text: str) -> None:
    """Write ``text`` with Unix newlines."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
