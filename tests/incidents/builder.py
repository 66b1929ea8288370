# ruff: noqa: E501  (verbatim log lines and stack frames are longer than a code line)
"""A small builder of Cloud Logging LogEntry dicts for constructed Cloud Run and GKE incidents.

Every incident is two hours of logs: a baseline hour of healthy traffic (with whatever noise the
service always had) followed by the incident hour. Entries follow the shapes of real exports
(`gcloud logging read --format=json`, API camelCase; see shared/docs/gcp-logging.md sections 2-4):
request logs carry `httpRequest` and, for platform-made failures, the platform's text; container
stdout/stderr arrive one line per entry with no severity; `varlog/system` carries the platform's
own lines; deploys are Cloud Audit `protoPayload` entries.

Everything is deterministic: each incident seeds its own `random.Random`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

Entry = dict[str, Any]
UTC = timezone.utc
CAPTURED = Path(__file__).parent / "captured"

RUN_STDOUT = "run.googleapis.com%2Fstdout"
RUN_STDERR = "run.googleapis.com%2Fstderr"
RUN_REQUESTS = "run.googleapis.com%2Frequests"
RUN_SYSTEM = "run.googleapis.com%2Fvarlog%2Fsystem"
AUDIT_ACTIVITY = "cloudaudit.googleapis.com%2Factivity"
AUDIT_SYSTEM = "cloudaudit.googleapis.com%2Fsystem_event"
CLOUDSQL_POSTGRES = "cloudsql.googleapis.com%2Fpostgres.log"

# Cloud Run's request-log texts, verbatim. Source: Cloud Run troubleshooting doc
# https://cloud.google.com/run/docs/troubleshooting and shared/docs/gcp-logging.md section 4
# (rows 5-8), which quotes public request-log entries.
MALFORMED = (
    "The request failed because either the HTTP response was malformed or connection to the instance "
    "had an error. Additional troubleshooting documentation can be found at: "
    "https://cloud.google.com/run/docs/troubleshooting#malformed-response-or-connection-error"
)
NOT_STARTED = (
    "The request failed because the instance could not start successfully. Additional troubleshooting "
    "documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#container-failed-to-start"
)
NO_INSTANCE = "The request was aborted because there was no available instance."
REQUEST_TIMEOUT = (
    "The request has been terminated because it has reached the maximum request timeout. To change this "
    "limit, see https://cloud.google.com/run/docs/configuring/request-timeout"
)


PHRASES = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def captured(name: str) -> str:
    """Return a captured real program output from tests/incidents/captured/ (see its README)."""
    text = (CAPTURED / name).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#@ "))


def oom_line(limit: int, used: int, unit: str = "MiB") -> str:
    """Cloud Run's OOM line, in either of the two forms seen in real logs.

    'MiB': https://cloud.google.com/run/docs/configuring/memory-limits and shared/docs/gcp-logging.md
    section 4 row 3; 'M': quoted from a public Cloud Run demo script in the code index ("Memory limit of
    512M exceeded with 515M used. Consider increasing the memory limit, see ...").
    """
    sep = " " if unit == "MiB" else ""
    return (
        f"Memory limit of {limit}{sep}{unit} exceeded with {used}{sep}{unit} used. Consider increasing the "
        "memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits"
    )


def startup_probe_failed(container: str, port: int, status: str = "DEADLINE_EXCEEDED") -> str:
    """The default startup TCP probe failure; shared/docs/gcp-logging.md section 3.7(d) and section 4 row 1."""
    return (
        f'Default STARTUP TCP probe failed 1 time consecutively for container "{container}" on port {port}. '
        f"The instance was not started.\nConnection failed with status {status}."
    )


@dataclass
class Incident:
    """Collects the entries of one constructed incident for one service."""

    service: str
    seed: int
    start: datetime
    project: str = "acme-prod"
    region: str = "europe-west1"
    container: str = ""
    platform: str = "cloud-run"
    cluster: str = "prod-gke-1"
    namespace: str = "default"
    entries: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.url = f"https://{self.service}-{self._hex(10)}-ew.a.run.app"
        self.container = self.container or f"{self.service}-1"

    # ----- identifiers -------------------------------------------------------------------------
    def _hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def instance(self) -> str:
        """A Cloud Run instanceId: a long hex string with the usual 00 prefix."""
        return "00" + self.rng.choice(["69c7a988", "7e26d681", "f6316bc2"]) + self._hex(86)

    def revision(self, number: int) -> str:
        """A revision name as Cloud Run makes them: service-0000N-xyz."""
        suffix = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(3))
        return f"{self.service}-{number:05d}-{suffix}"

    def pod(self, replicaset: str = "") -> str:
        """A Deployment pod name: service-<replicaset hash>-<5 chars>."""
        rs = replicaset or "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))
        return f"{self.service}-{rs}-" + "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))

    def at(self, seconds: float) -> datetime:
        """The time `seconds` after the start of the two-hour file."""
        return self.start + timedelta(seconds=seconds)

    # ----- raw entries -------------------------------------------------------------------------
    def _base(self, t: float, log_id: str, revision: str | None, instance: str | None) -> Entry:
        ts = self.at(t)
        entry: Entry = {
            "insertId": f"{int(ts.timestamp()):08x}{ts.microsecond:08x}{self._hex(8)}",
            "logName": f"projects/{self.project}/logs/{log_id}",
            "receiveTimestamp": _rfc3339(ts + timedelta(milliseconds=self.rng.randint(4, 400))),
            "resource": self.resource(revision or ""),
            "timestamp": _rfc3339(ts),
        }
        if instance:
            entry["labels"] = {"instanceId": instance}
        self.entries.append(entry)
        return entry

    def resource(self, revision: str) -> Entry:
        """The cloud_run_revision resource ('' revision for service-level audit entries)."""
        return {
            "type": "cloud_run_revision",
            "labels": {
                "configuration_name": self.service if revision else "",
                "location": self.region,
                "project_id": self.project,
                "revision_name": revision,
                "service_name": self.service,
            },
        }

    def text(
        self, t: float, text: str, revision: str, instance: str, log: str = "stdout", severity: str | None = None
    ) -> Entry:
        """One textPayload line from a container stream (stdout/stderr) or varlog/system."""
        log_id = {"stdout": RUN_STDOUT, "stderr": RUN_STDERR, "system": RUN_SYSTEM}[log]
        entry = self._base(t, log_id, revision, instance)
        entry["textPayload"] = text
        if severity:
            entry["severity"] = severity
        return entry

    def block(self, t: float, text: str, revision: str, instance: str, log: str = "stderr") -> float:
        """A multi-line output split one entry per line, as Cloud Run writes stderr; returns the end time."""
        for i, line in enumerate(text.split("\n")):
            self.text(t + i * 0.00004, line, revision, instance, log)
        return t + len(text.split("\n")) * 0.00004

    def system(self, t: float, text: str, revision: str, instance: str, severity: str = "ERROR") -> Entry:
        """A varlog/system line from the platform."""
        return self.text(t, text, revision, instance, "system", severity)

    def structured(
        self, t: float, payload: Entry, revision: str, instance: str, severity: str, log: str = "stdout",
        trace: str | None = None,
    ) -> Entry:
        """A jsonPayload line (a structured log line the platform lifted)."""
        entry = self._base(t, RUN_STDOUT if log == "stdout" else RUN_STDERR, revision, instance)
        entry["jsonPayload"] = payload
        entry["severity"] = severity
        if trace:
            entry["trace"] = trace
        return entry

    def trace(self) -> str:
        """A Cloud Trace resource name."""
        return f"projects/{self.project}/traces/{self._hex(32)}"

    def request(
        self, t: float, status: int, path: str, revision: str, instance: str | None, *, method: str = "GET",
        latency: float | None = None, text: str | None = None, trace: str | None = None,
        user_agent: str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    ) -> Entry:
        """A run.googleapis.com/requests entry (timestamp = request start, as Cloud Run logs it)."""
        entry = self._base(t, RUN_REQUESTS, revision, instance)
        lat = latency if latency is not None else round(self.rng.uniform(0.012, 0.180), 6)
        entry["httpRequest"] = {
            "latency": f"{lat:.9f}s",
            "protocol": "HTTP/1.1",
            "remoteIp": f"{self.rng.randint(34, 203)}.{self.rng.randint(1, 254)}.{self.rng.randint(1, 254)}.{self.rng.randint(1, 254)}",
            "requestMethod": method,
            "requestSize": str(self.rng.randint(180, 1400)),
            "requestUrl": self.url + path,
            "responseSize": str(self.rng.randint(120, 4800) if status < 500 else self.rng.randint(0, 400)),
            "serverIp": "216.239.32.53",
            "status": status,
            "userAgent": user_agent,
        }
        entry["severity"] = "ERROR" if status >= 500 else ("WARNING" if status >= 400 else "INFO")
        entry["trace"] = trace or self.trace()
        entry["spanId"] = self._hex(16)
        entry["traceSampled"] = self.rng.random() < 0.1
        if text:
            entry["textPayload"] = text
        return entry

    # ----- audit -------------------------------------------------------------------------------
    def deploy(
        self, t: float, new_revision: str, previous: str, image: str, *, api: str = "v1",
        principal: str = "cloudbuild@acme-prod.iam.gserviceaccount.com", port: int = 8080,
        memory: str = "512Mi", status: Entry | None = None, env: Sequence[Entry] = (),
        service_account: str | None = None,
    ) -> Entry:
        """A deploy in the Admin Activity audit log: v1 ReplaceService or v2 UpdateService.

        Shapes: shared/docs/gcp-logging.md section 3.7(e) (a real v1 entry, trimmed) and section 2.3
        (v2 methodName and resourceName); a failed call carries severity ERROR and `status`.
        """
        entry = self._base(t, AUDIT_ACTIVITY, None, None)
        entry["insertId"] = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
        container = {"image": image, "ports": [{"containerPort": port, "name": "http1"}],
                     "resources": {"limits": {"cpu": "1000m", "memory": memory}}, "env": list(env)}
        if api == "v1":
            name = f"namespaces/{self.project}/services/{self.service}"
            payload: Entry = {
                "methodName": "google.cloud.run.v1.Services.ReplaceService",
                "resourceName": name,
                "request": {
                    "@type": "type.googleapis.com/google.cloud.run.v1.ReplaceServiceRequest",
                    "name": f"projects/{self.project}/locations/{self.region}/services/{self.service}",
                    "region": self.region,
                    "service": {
                        "apiVersion": "serving.knative.dev/v1", "kind": "Service",
                        "metadata": {"annotations": {"run.googleapis.com/client-name": "gcloud",
                                                     "run.googleapis.com/client-version": "502.0.0"},
                                     "name": self.service},
                        "spec": {"template": {"metadata": {"name": new_revision},
                                              "spec": {"containers": [container], "containerConcurrency": 80,
                                                       "timeoutSeconds": 300,
                                                       **({"serviceAccountName": service_account}
                                                          if service_account else {})}},
                                 "traffic": [{"latestRevision": True, "percent": 100}]},
                    },
                },
                "requestMetadata": {"callerIp": "35.187.10.4",
                                    "callerSuppliedUserAgent": "google-cloud-sdk gcloud/502.0.0 command/gcloud.run.deploy"},
                # The activity entry's response.status is stale: it still names the previous revision.
                "response": {"@type": "type.googleapis.com/google.cloud.run.v1.Service",
                             "metadata": {"name": self.service},
                             "status": {"latestCreatedRevisionName": previous, "latestReadyRevisionName": previous}},
            }
        else:
            name = f"projects/{self.project}/locations/{self.region}/services/{self.service}"
            payload = {
                "methodName": "google.cloud.run.v2.Services.UpdateService",
                "resourceName": name,
                "request": {
                    "@type": "type.googleapis.com/google.cloud.run.v2.UpdateServiceRequest",
                    "service": {"name": name, "template": {"revision": new_revision, "containers": [container],
                                                           "maxInstanceRequestConcurrency": 80,
                                                           **({"serviceAccount": service_account}
                                                              if service_account else {})}},
                },
                "requestMetadata": {"callerIp": "35.187.10.4",
                                    "callerSuppliedUserAgent": "Terraform/1.9.5 terraform-provider-google/6.8.0"},
                "response": {"@type": "type.googleapis.com/google.longrunning.Operation",
                             "name": f"{name}/operations/{self._hex(8)}-{self._hex(4)}"},
            }
        payload.update({
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": principal},
            "authorizationInfo": [{"granted": True, "permission": "run.services.update",
                                   "permissionType": "ADMIN_WRITE", "resource": name}],
            "resourceLocation": {"currentLocations": [self.region]},
            "serviceName": "run.googleapis.com",
        })
        if status:
            payload["status"] = status
        entry["protoPayload"] = payload
        entry["severity"] = "ERROR" if status else "NOTICE"
        return entry

    def change(
        self, t: float, method: str, resource_name: str, service_name: str, resource: Entry,
        principal: str = "ops@acme.example",
    ) -> Entry:
        """An Admin Activity audit entry of a change to something other than the service (a firewall
        or forwarding rule, a database instance, a Kubernetes Service): its method, the resource it
        names and the monitored resource it is logged under, as each product's audit logging page
        documents them."""
        entry = self._base(t, AUDIT_ACTIVITY, None, None)
        entry["resource"] = resource
        entry["protoPayload"] = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                                 "authenticationInfo": {"principalEmail": principal},
                                 "methodName": method, "resourceName": resource_name,
                                 "serviceName": service_name}
        entry["severity"] = "NOTICE"
        return entry

    def ready_false(self, t: float, revision: str, message: str) -> Entry:
        """The system_event entry Cloud Run writes when a revision fails (shared/docs/gcp-logging.md 2.3)."""
        entry = self._base(t, AUDIT_SYSTEM, revision, None)
        entry["insertId"] = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
        text = f"Ready condition status changed to False for Revision {revision} with message: {message}"
        entry["protoPayload"] = {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "methodName": "/Services.ReplaceService",
            "resourceName": f"namespaces/{self.project}/revisions/{revision}",
            "serviceName": "run.googleapis.com",
            "status": {"code": 9, "message": text},
            "response": {"status": {"conditions": [{"type": "Ready", "status": "False",
                                                    "reason": "HealthCheckContainerError", "message": message}]}},
        }
        entry["severity"] = "ERROR"
        return entry

    # ----- neighbours --------------------------------------------------------------------------
    def cloudsql(self, t: float, text: str, severity: str = "INFO", instance: str = "orders-db") -> Entry:
        """A Cloud SQL for PostgreSQL server log line (log_line_prefix as Cloud SQL sets it)."""
        ts = self.at(t)
        entry: Entry = {
            "insertId": "s=" + self._hex(32),
            "logName": f"projects/{self.project}/logs/{CLOUDSQL_POSTGRES}",
            "receiveTimestamp": _rfc3339(ts + timedelta(milliseconds=self.rng.randint(50, 900))),
            "resource": {"type": "cloudsql_database",
                         "labels": {"database_id": f"{self.project}:{instance}", "project_id": self.project,
                                    "region": self.region}},
            "severity": severity,
            "textPayload": f"{ts.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC [{self.rng.randint(20, 90000)}]: "
                           f"[1-1] {text}",
            "timestamp": _rfc3339(ts),
        }
        self.entries.append(entry)
        return entry

    def healthy_cloudsql(self, every: float = 300.0, until: float = 7190.0) -> None:
        """Checkpoints every few minutes: the database was up (PostgreSQL's own log wording)."""
        t = self.rng.uniform(5, every)
        while t < until:
            self.cloudsql(t, "db=,user= LOG:  checkpoint starting: time")
            self.cloudsql(t + 4.2, f"db=,user= LOG:  checkpoint complete: wrote {self.rng.randint(20, 900)} "
                                   f"buffers ({self.rng.uniform(0.1, 5):.1f}%); 0 WAL file(s) added, 0 removed, "
                                   f"{self.rng.randint(0, 3)} recycled; write={self.rng.uniform(1, 30):.3f} s, "
                                   f"sync=0.004 s, total={self.rng.uniform(1, 30):.3f} s")
            t += every

    # ----- traffic -----------------------------------------------------------------------------
    def traffic(
        self, start: float, end: float, revision: str, instances: Sequence[str], *,
        every: float = 6.0, paths: Sequence[str] = ("/api/health", "/api/items", "/api/items/42"),
        access_log: str | None = None, latency: tuple[float, float] = (0.012, 0.180), not_found: float = 0.0,
    ) -> None:
        """Healthy requests every `every` seconds (jittered), with an optional per-request access line.

        `access_log` is a format with {ip} {method} {path} {status} {latency_ms}; `not_found` is the share
        of requests that are client 404s (steady noise that was always there).
        """
        t = start + self.rng.uniform(0, every)
        while t < end:
            inst = self.rng.choice(list(instances))
            status = 404 if self.rng.random() < not_found else 200
            path = "/favicon.ico" if status == 404 else self.rng.choice(list(paths))
            lat = round(self.rng.uniform(*latency), 6)
            self.request(t, status, path, revision, inst, latency=lat)
            if access_log:
                ip = f"169.254.{self.rng.randint(1, 8)}.{self.rng.randint(1, 254)}"
                self.text(t + lat, access_log.format(ip=ip, method="GET", path=path, status=status,
                                                    latency_ms=int(lat * 1000), port=self.rng.randint(30000, 60000),
                                                    phrase=PHRASES.get(status, "")),
                          revision, inst)
            t += self.rng.uniform(every * 0.5, every * 1.5)

    def export(self) -> list[Entry]:
        """The entries newest first, as `gcloud logging read --format=json` prints them."""
        return sorted(self.entries, key=lambda e: (e["timestamp"], e["insertId"]), reverse=True)


# ----- GKE ----------------------------------------------------------------------------------------
@dataclass
class GkeIncident(Incident):
    """The same builder for a GKE workload: k8s_container streams, kubelet events, load-balancer requests.

    Shapes: Cloud Logging's k8s_container resource (labels project_id, location, cluster_name,
    namespace_name, pod_name, container_name) with logName projects/P/logs/stdout|stderr; kubelet
    events under projects/P/logs/events on the k8s_pod resource; HTTP(S) load balancer request logs
    on the http_load_balancer resource with statusDetails.
    """

    platform: str = "gke"

    def k8s_resource(self, pod: str) -> Entry:
        """The k8s_container resource of this workload's container in `pod`."""
        return {"type": "k8s_container", "labels": {
            "cluster_name": self.cluster, "container_name": self.service, "location": self.region,
            "namespace_name": self.namespace, "pod_name": pod, "project_id": self.project}}

    def text(
        self, t: float, text: str, revision: str, instance: str, log: str = "stdout", severity: str | None = None
    ) -> Entry:
        """One container line; `instance` is the pod name (revision unused on GKE)."""
        ts = self.at(t)
        entry: Entry = {
            "insertId": self._hex(16),
            "labels": {"compute.googleapis.com/resource_name": f"gke-{self.cluster}-default-pool-{self._hex(8)}-{self._hex(4)}",
                       "k8s-pod/app": self.service, "k8s-pod/pod-template-hash": instance.split("-")[-2]},
            "logName": f"projects/{self.project}/logs/{'stderr' if log == 'stderr' else 'stdout'}",
            "receiveTimestamp": _rfc3339(ts + timedelta(milliseconds=self.rng.randint(200, 2000))),
            "resource": self.k8s_resource(instance),
            "severity": severity or ("ERROR" if log == "stderr" else "INFO"),
            "textPayload": text,
            "timestamp": _rfc3339(ts),
        }
        self.entries.append(entry)
        return entry

    def rollout(self, t: float, image: str, principal: str = "cloudbuild@acme-prod.iam.gserviceaccount.com",
                verb: str = "patch") -> Entry:
        """The workload's Deployment changed through the Kubernetes API (a new pod template, so a
        new ReplicaSet), as GKE's Admin Activity audit log records it: the k8s_cluster resource,
        serviceName k8s.io, methodName io.k8s.apps.v1.deployments.<verb>, resourceName
        apps/v1/namespaces/NS/deployments/NAME (https://cloud.google.com/kubernetes-engine/docs/how-to/audit-logging)."""
        ts = self.at(t)
        name = f"apps/v1/namespaces/{self.namespace}/deployments/{self.service}"
        entry: Entry = {
            "insertId": self._hex(16),
            "logName": f"projects/{self.project}/logs/{AUDIT_ACTIVITY}",
            "protoPayload": {
                "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "authenticationInfo": {"principalEmail": principal},
                "authorizationInfo": [{"granted": True, "permission": f"io.k8s.apps.v1.deployments.{verb}",
                                       "resource": name}],
                "methodName": f"io.k8s.apps.v1.deployments.{verb}",
                "request": {"@type": "k8s.io/Patch", "spec": {"template": {"spec": {"containers": [
                    {"image": image, "name": self.service}]}}}},
                "requestMetadata": {"callerIp": "35.187.10.4",
                                    "callerSuppliedUserAgent": "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350"},
                "resourceName": name,
                "serviceName": "k8s.io",
                "status": {"code": 0},
            },
            "receiveTimestamp": _rfc3339(ts + timedelta(milliseconds=self.rng.randint(200, 2000))),
            "resource": {"type": "k8s_cluster", "labels": {"cluster_name": self.cluster, "location": self.region,
                                                           "project_id": self.project}},
            "severity": "NOTICE",
            "timestamp": _rfc3339(ts),
        }
        self.entries.append(entry)
        return entry

    def event(self, t: float, pod: str, reason: str, message: str, kind: str = "Warning") -> Entry:
        """A Kubernetes event about a pod, as GKE exports it to the events log."""
        ts = self.at(t)
        entry: Entry = {
            "insertId": self._hex(14),
            "jsonPayload": {"apiVersion": "v1", "kind": "Event", "reason": reason, "message": message,
                            "type": kind, "involvedObject": {"kind": "Pod", "name": pod, "namespace": self.namespace,
                                                              "fieldPath": f"spec.containers{{{self.service}}}"},
                            "source": {"component": "kubelet"}},
            "logName": f"projects/{self.project}/logs/events",
            "receiveTimestamp": _rfc3339(ts + timedelta(milliseconds=self.rng.randint(200, 2000))),
            "resource": {"type": "k8s_pod", "labels": {"cluster_name": self.cluster, "location": self.region,
                                                       "namespace_name": self.namespace, "pod_name": pod,
                                                       "project_id": self.project}},
            "severity": "WARNING" if kind == "Warning" else "INFO",
            "timestamp": _rfc3339(ts),
        }
        self.entries.append(entry)
        return entry

    def request(
        self, t: float, status: int, path: str, revision: str, instance: str | None, *, method: str = "GET",
        latency: float | None = None, text: str | None = None, trace: str | None = None,
        user_agent: str = "okhttp/4.12.0",
    ) -> Entry:
        """An external HTTP(S) load balancer request log in front of the workload."""
        ts = self.at(t)
        lat = latency if latency is not None else round(self.rng.uniform(0.012, 0.180), 6)
        details = text or ("response_sent_by_backend" if status < 500 or status != 502
                           else "backend_connection_closed_before_data_sent_to_client")
        entry: Entry = {
            "httpRequest": {"latency": f"{lat:.6f}s", "remoteIp": f"{self.rng.randint(34, 203)}.{self.rng.randint(1, 254)}.{self.rng.randint(1, 254)}.{self.rng.randint(1, 254)}",
                            "requestMethod": method, "requestSize": str(self.rng.randint(180, 900)),
                            "requestUrl": f"https://shop.acme.example{path}", "responseSize": str(self.rng.randint(100, 4000)),
                            "serverIp": f"10.8.{self.rng.randint(0, 3)}.{self.rng.randint(2, 250)}", "status": status,
                            "userAgent": user_agent},
            "insertId": self._hex(12),
            "jsonPayload": {"@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry",
                            "statusDetails": details},
            "logName": f"projects/{self.project}/logs/requests",
            "receiveTimestamp": _rfc3339(ts + timedelta(seconds=lat + 0.3)),
            "resource": {"type": "http_load_balancer", "labels": {
                "backend_service_name": f"k8s1-{self._hex(8)}-{self.namespace}-{self.service}-80-{self._hex(8)}",
                "forwarding_rule_name": "k8s2-fs-shop-ingress", "project_id": self.project, "zone": "global"}},
            "severity": "ERROR" if status >= 500 else ("WARNING" if status >= 400 else "INFO"),
            "spanId": self._hex(16),
            "timestamp": _rfc3339(ts),
            "trace": trace or self.trace(),
        }
        self.entries.append(entry)
        return entry


def _rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day(year: int, month: int, d: int, hour: int, minute: int = 0) -> datetime:
    """An aware UTC start time."""
    return datetime(year, month, d, hour, minute, tzinfo=UTC)


def every(start: float, end: float, step: float) -> Iterable[float]:
    """Evenly spaced times in [start, end)."""
    t = start
    while t < end:
        yield t
        t += step
