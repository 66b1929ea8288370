"""Incident 1: netra-backend-staging cannot reach Cloud SQL's private IP (2025-09-15).

Story (see examples/README.md): a healthy morning on revision 00685, a good deploy of 00686,
then from 14:38:20 the network path from Cloud Run to 10.107.1.3 silently stops working. No
log line says so. What the logs show is everything downstream: DB-backed requests on the warm
instances time out, every new instance dies in Phase 3 with an asyncpg connect cancelled by an
8.0 s timeout, five more deploys fail their health check, one revision started in degraded mode
serves agent requests with zero events ("AgentService dependency is None"), a rollback to the
revision that worked an hour earlier fails the same way, and all traffic ends in 503. Cloud SQL
logs normally throughout, but the connections from the VPC connector range stop arriving.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .common import (PLATFORM_MALFORMED, PLATFORM_NOT_STARTED, RUN_STDERR, RUN_STDOUT, RUN_SYSTEM,
                     CLOUDSQL_POSTGRES, Entry, RunService, Sink, deploy_audit, ready_false_audit, rfc3339, status_text, utc)
from .tracebacks import NETRA_DB_TIMEOUT_MESSAGE, SITE, netra_startup_traceback

PROJECT = "netra-staging"
SERVICE = "netra-backend-staging"
URL = "https://netra-backend-staging-701982941522.us-central1.run.app"
DEPLOYER = "netra-staging-deploy@netra-staging.iam.gserviceaccount.com"
IMAGE = "us-central1-docker.pkg.dev/netra-staging/netra-containers/netra-backend@sha256:"
DB_HOST = "10.107.1.3"
TIMEOUT = 8.0
CONTAINER = "backend-1"
PORT = 8000

START = utc("2025-09-15T12:14:00")
END = utc("2025-09-15T15:15:52")
BREAK = utc("2025-09-15T14:38:20")

R685, R686, R687 = (f"{SERVICE}-00685-fwd", f"{SERVICE}-00686-k7p", f"{SERVICE}-00687-b9x")
R688, R689, R690, R691 = (f"{SERVICE}-00688-q4m", f"{SERVICE}-00689-r2d", f"{SERVICE}-00690-mzc",
                          f"{SERVICE}-00691-xl2")

# (time, revision, generation, degraded start-up allowed)
DEPLOYS = [("13:47:12", R686, 687, False), ("14:41:05", R687, 688, False), ("14:46:30", R688, 689, True),
           ("14:52:40", R689, 690, False), ("14:59:10", R690, 692, False), ("15:01:02", R691, 693, False)]
ROLLBACK_AT = utc("2025-09-15T14:57:20")
UPTIME_UA = "GoogleStackdriverMonitoring-UptimeChecks(https://cloud.google.com/monitoring)"
CLIENT_UAS = ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/140.0.0.0 Safari/537.36", "python-httpx/0.27.0", "aiohttp/3.10.5",
              "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:142.0) Gecko/20100101 Firefox/142.0"]


def at(hms: str) -> datetime:
    """Return 2025-09-15 at ``hms`` UTC."""
    return utc(f"2025-09-15T{hms}")


def loguru(ts: datetime, level: str, where: str, message: str) -> str:
    """Format one line as the app's loguru sink writes it to stderr (no Cloud Logging severity)."""
    return f"{ts:%Y-%m-%d %H:%M:%S}.{ts.microsecond // 1000:03d} | {level:<8} | {where} - {message}"


@dataclass
class Instance:
    """A container instance of one revision, alive from ``up`` until ``down``."""

    iid: str
    revision: str
    up: datetime
    down: datetime
    degraded: bool = False


class Netra:
    """Builds the netra-backend-staging export."""

    def __init__(self) -> None:
        self.rng = random.Random(20250915)
        self.sink = Sink(PROJECT, self.rng, cutoff=END)
        self.svc = RunService(self.sink, SERVICE, "us-central1", URL)
        self.instances: list[Instance] = []
        self.failed_attempts: list[tuple[datetime, str, str]] = []

    # ---- app-level helpers -------------------------------------------------------------------
    def app(self, ts: datetime, inst: Instance, level: str, where: str, message: str) -> None:
        """Add one application log line on stderr."""
        self.svc.text(ts, RUN_STDERR, inst.revision, inst.iid, loguru(ts, level, where, message))

    def uv(self, ts: datetime, rev: str, iid: str, text: str) -> None:
        """Add one uvicorn (logger uvicorn.error) line on stderr."""
        self.svc.text(ts, RUN_STDERR, rev, iid, text)

    def ms(self, lo: int, hi: int) -> timedelta:
        """Return a random delay between ``lo`` and ``hi`` milliseconds."""
        return timedelta(microseconds=self.rng.randint(lo * 1000, hi * 1000))

    # ---- start-up ------------------------------------------------------------------------------
    def boot_preamble(self, ts: datetime, rev: str, iid: str) -> datetime:
        """Emit import-time deprecation warnings and uvicorn's first lines; return the time after."""
        warnings = [
            f"{SITE}/websockets/legacy/__init__.py:6: DeprecationWarning: websockets.legacy is deprecated; see "
            "https://websockets.readthedocs.io/en/stable/howto/upgrade.html for upgrade instructions",
            "  warnings.warn(  # deprecated in 14.0 - 2024-11-09",
            f"{SITE}/uvicorn/protocols/websockets/websockets_impl.py:17: DeprecationWarning: "
            "websockets.server.WebSocketServerProtocol is deprecated",
            "  from websockets.server import WebSocketServerProtocol",
            "/app/netra_backend/app/routes/websocket.py:23: DeprecationWarning: ISSUE #1144: Importing from "
            "'netra_backend.app.websocket_core' is deprecated. Use specific module imports such as "
            "'from netra_backend.app.websocket_core.websocket_manager import WebSocketManager'.",
            "  from netra_backend.app.websocket_core import WebSocketManager, get_websocket_manager"]
        ts = self.svc.lines(ts, RUN_STDERR, rev, iid, "\n".join(warnings), (300, 9000))
        ts += self.ms(150, 400)
        self.uv(ts, rev, iid, "INFO:     Started server process [1]")
        ts += self.ms(1, 3)
        self.uv(ts, rev, iid, "INFO:     Waiting for application startup.")
        return ts + self.ms(2, 8)

    def phases_1_2(self, ts: datetime, inst: Instance) -> datetime:
        """Emit the deterministic start-up's first phases and the Phase 3 configuration line."""
        smd = "netra_backend.app.smd"
        self.app(ts, inst, "INFO", f"{smd}:initialize_system:122",
                 f"Starting deterministic startup sequence (environment=staging, revision={inst.revision})")
        ts += self.ms(40, 90)
        self.app(ts, inst, "INFO", f"{smd}:_phase1_foundation:171",
                 f"Phase 1 (INIT) complete in 0.{self.rng.randint(45, 80):03d}s: environment=staging, "
                 "config source=IsolatedEnvironment")
        ts += self.ms(2400, 3600)
        self.app(ts, inst, "INFO", f"{smd}:_phase2_core_services:236",
                 f"Phase 2 (DEPENDENCIES) complete in {self.rng.uniform(2.4, 3.6):.3f}s: 14 modules loaded")
        ts += self.ms(2, 9)
        self.app(ts, inst, "INFO", f"{smd}:_phase3_database_setup:396",
                 "Phase 3 (DATABASE): connecting to PostgreSQL "
                 f"host={DB_HOST} port=5432 database=netra_staging user=netra_app ssl=disable "
                 f"timeout={TIMEOUT}s")
        return ts

    def boot_ok(self, inst: Instance) -> None:
        """Emit a complete, healthy start-up of ``inst``."""
        ts = self.phases_1_2(self.boot_preamble(inst.up, inst.revision, inst.iid), inst)
        ts += self.ms(280, 520)
        smd = "netra_backend.app.smd"
        self.app(ts, inst, "INFO", f"{smd}:_initialize_database:812",
                 f"Phase 3 (DATABASE) complete in {self.rng.uniform(0.28, 0.52):.3f}s: pool_size=20 "
                 "max_overflow=30, 23 tables verified")
        ts += self.ms(90, 200)
        self.app(ts, inst, "INFO", f"{smd}:_phase4_cache_setup:489",
                 "Phase 4 (CACHE) complete: Redis 10.107.2.4:6379 connected")
        ts += self.ms(300, 700)
        self.app(ts, inst, "INFO", f"{smd}:_phase5_services_setup:561",
                 "Phase 5 (SERVICES) complete: AgentService, ThreadService, ToolDispatcher registered in app.state")
        ts += self.ms(200, 400)
        self.app(ts, inst, "INFO", f"{smd}:_phase6_websocket_setup:640",
                 "Phase 6 (WEBSOCKET) complete: WebSocketManager and AgentWebSocketBridge ready")
        ts += self.ms(20, 60)
        self.app(ts, inst, "INFO", f"{smd}:initialize_system:144",
                 f"Phase 7 (FINALIZE): deterministic startup complete in {self.rng.uniform(4.2, 5.6):.2f}s")
        ts += self.ms(1, 4)
        self.uv(ts, inst.revision, inst.iid, "INFO:     Application startup complete.")
        ts += self.ms(1, 3)
        self.uv(ts, inst.revision, inst.iid, f"INFO:     Uvicorn running on http://0.0.0.0:{PORT} "
                                             "(Press CTRL+C to quit)")
        self.pg_pool_connect(ts - self.ms(300, 450), 3)

    def boot_degraded(self, inst: Instance) -> None:
        """Emit a start-up where Phase 3 times out but graceful mode lets the app start without agents."""
        ts = self.phases_1_2(self.boot_preamble(inst.up, inst.revision, inst.iid), inst)
        ts += timedelta(seconds=TIMEOUT) + self.ms(1, 6)
        smd = "netra_backend.app.smd"
        self.app(ts, inst, "ERROR", f"{smd}:_initialize_database:799",
                 NETRA_DB_TIMEOUT_MESSAGE.format(timeout=TIMEOUT))
        ts += self.ms(1, 3)
        self.app(ts, inst, "WARNING", f"{smd}:_phase3_database_setup:417",
                 "Phase 3 (DATABASE) failed - ALLOW_DEGRADED_STARTUP=true, continuing startup without database")
        ts += self.ms(90, 200)
        self.app(ts, inst, "INFO", f"{smd}:_phase4_cache_setup:489",
                 "Phase 4 (CACHE) complete: Redis 10.107.2.4:6379 connected")
        ts += self.ms(100, 300)
        self.app(ts, inst, "WARNING", f"{smd}:_phase5_services_setup:574",
                 "Phase 5 (SERVICES): AgentService not registered (requires database session factory); "
                 "ThreadService not registered")
        ts += self.ms(200, 400)
        self.app(ts, inst, "INFO", f"{smd}:_phase6_websocket_setup:640",
                 "Phase 6 (WEBSOCKET) complete: WebSocketManager and AgentWebSocketBridge ready")
        ts += self.ms(20, 60)
        self.app(ts, inst, "WARNING", f"{smd}:initialize_system:141",
                 "Phase 7 (FINALIZE): startup complete in DEGRADED mode (2 services unavailable)")
        ts += self.ms(1, 4)
        self.uv(ts, inst.revision, inst.iid, "INFO:     Application startup complete.")
        ts += self.ms(1, 3)
        self.uv(ts, inst.revision, inst.iid, f"INFO:     Uvicorn running on http://0.0.0.0:{PORT} "
                                             "(Press CTRL+C to quit)")

    def boot_fail(self, ts: datetime, rev: str) -> datetime:
        """Emit one failed start-up attempt of ``rev`` at ``ts``; return when the container exited."""
        inst = Instance(self.sink.instance_id(), rev, ts, ts)
        ts = self.phases_1_2(self.boot_preamble(ts, rev, inst.iid), inst)
        ts += timedelta(seconds=TIMEOUT) + self.ms(1, 6)
        smd = "netra_backend.app.smd"
        message = NETRA_DB_TIMEOUT_MESSAGE.format(timeout=TIMEOUT)
        self.app(ts, inst, "ERROR", f"{smd}:_initialize_database:799", message)
        ts += self.ms(1, 2)
        self.app(ts, inst, "CRITICAL", f"{smd}:_handle_startup_failure:155",
                 f"DETERMINISTIC STARTUP FAILURE: CRITICAL STARTUP FAILURE: Phase 3 (database) failed: {message}")
        ts += self.ms(1, 3)
        ts = self.svc.lines(ts, RUN_STDERR, rev, inst.iid, netra_startup_traceback(TIMEOUT))
        ts += self.ms(0, 1)
        self.uv(ts, rev, inst.iid, "ERROR:    Application startup failed. Exiting.")
        ts += self.ms(180, 900)
        self.svc.text(ts, RUN_SYSTEM, rev, inst.iid,
                      f'Default STARTUP TCP probe failed 1 time consecutively for container "{CONTAINER}" on '
                      f"port {PORT}. The instance was not started.\nConnection failed with status CANCELLED.",
                      "ERROR")
        ts += self.ms(5, 40)
        self.svc.text(ts, RUN_SYSTEM, rev, inst.iid, "Container called exit(3).", "WARNING")
        self.failed_attempts.append((ts, rev, inst.iid))
        return ts

    def shutdown(self, inst: Instance) -> None:
        """Emit uvicorn's SIGTERM shutdown lines at ``inst.down``."""
        ts = inst.down
        for line in ["INFO:     Shutting down", "INFO:     Waiting for application shutdown.",
                     "INFO:     Application shutdown complete.", "INFO:     Finished server process [1]"]:
            self.uv(ts, inst.revision, inst.iid, line)
            ts += self.ms(1, 30)

    # ---- deploys ------------------------------------------------------------------------------
    def template(self, rev: str, degraded: bool) -> Entry:
        """Return the revision template a deploy sends (env, VPC connector, probe, port)."""
        env = [{"name": "ENVIRONMENT", "value": "staging"}, {"name": "POSTGRES_HOST", "value": DB_HOST},
               {"name": "POSTGRES_PORT", "value": "5432"}, {"name": "POSTGRES_DB", "value": "netra_staging"},
               {"name": "POSTGRES_USER", "value": "netra_app"}, {"name": "REDIS_HOST", "value": "10.107.2.4"},
               {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"key": "latest",
                                                                            "name": "postgres-password-staging"}}}]
        if degraded:
            env.append({"name": "ALLOW_DEGRADED_STARTUP", "value": "true"})
        return {"metadata": {"annotations": {
                    "autoscaling.knative.dev/maxScale": "20", "autoscaling.knative.dev/minScale": "1",
                    "run.googleapis.com/cpu-throttling": "false", "run.googleapis.com/execution-environment": "gen2",
                    "run.googleapis.com/startup-cpu-boost": "true",
                    "run.googleapis.com/vpc-access-connector": "staging-connector",
                    "run.googleapis.com/vpc-access-egress": "all-traffic"},
                    "name": rev},
                "spec": {"containerConcurrency": 80, "timeoutSeconds": 600,
                         "serviceAccountName": DEPLOYER,
                         "containers": [{"env": env, "name": CONTAINER, "ports": [{"containerPort": PORT,
                                                                                   "name": "http1"}],
                                         "resources": {"limits": {"cpu": "2", "memory": "4Gi"}},
                                         "startupProbe": {"failureThreshold": 1, "periodSeconds": 240,
                                                          "tcpSocket": {"port": PORT}, "timeoutSeconds": 240}}]}}

    def deploys(self) -> None:
        """Emit the ReplaceService audit entries, including the traffic-only rollback."""
        prev = R685
        for hms, rev, gen, degraded in DEPLOYS:
            digest = self.sink.hex(64)
            deploy_audit(self.svc, at(hms), DEPLOYER, gen, IMAGE + digest, prev, self.template(rev, degraded),
                         "google-cloud-sdk gcloud/537.0.0 command/gcloud.run.deploy invocation-id/"
                         + self.sink.hex(32) + " environment/None environment-version/None client-os/LINUX "
                         "client-os-ver/6.8.0 client-pltf-arch/x86_64 interactive/False from-script/True "
                         "python/3.12.3 term/ (Linux 6.8.0-1027-gcp)")
            if rev in (R686, R688):
                prev = rev
        deploy_audit(self.svc, ROLLBACK_AT, DEPLOYER, 691, IMAGE + self.sink.hex(64), R688,
                     self.template(R688, True),
                     "google-cloud-sdk gcloud/537.0.0 command/gcloud.run.services.update-traffic invocation-id/"
                     + self.sink.hex(32) + " environment/None environment-version/None client-os/LINUX "
                     "client-os-ver/6.8.0 client-pltf-arch/x86_64 interactive/False from-script/True "
                     "python/3.12.3 term/ (Linux 6.8.0-1027-gcp)",
                     traffic=[{"percent": 100, "revisionName": R686}])

    def failing_revision(self, rev: str, first: datetime, count: int, gap: tuple[int, int]) -> datetime:
        """Emit ``count`` failed start-ups of ``rev`` from ``first``; return the last exit time."""
        ts = first
        last = first
        for _ in range(count):
            last = self.boot_fail(ts, rev)
            ts = last + timedelta(seconds=self.rng.randint(*gap))
        return last

    def lifecycle(self) -> None:
        """Emit instances, start-ups, shutdowns and failed attempts of every revision."""
        self.instances = [Instance(self.sink.instance_id(), R685, START - timedelta(hours=3), at("14:03:41")),
                          Instance(self.sink.instance_id(), R685, START - timedelta(hours=2), at("14:04:12"))]
        good = [Instance(self.sink.instance_id(), R686, at("13:47:41"), at("14:47:38")),
                Instance(self.sink.instance_id(), R686, at("13:47:44"), at("14:47:40"))]
        for inst in good:
            self.boot_ok(inst)
        self.instances += good
        for inst in self.instances[:2]:
            self.shutdown(inst)
            self.pg_disconnect(inst.down + self.ms(20, 80), 3)
        end687 = self.failing_revision(R687, at("14:41:31"), 3, (18, 30))
        ready_false_audit(self.svc, end687 + self.ms(2000, 4000), R687, PORT)
        self.boot_fail(at("14:44:05"), R686)  # autoscaling under load, traffic still on 00686
        degraded = Instance(self.sink.instance_id(), R688, at("14:46:52"), at("14:57:52"), degraded=True)
        self.boot_degraded(degraded)
        self.instances.append(degraded)
        for inst in good:
            self.shutdown(inst)
        self.shutdown(degraded)
        end689 = self.failing_revision(R689, at("14:53:02"), 3, (20, 32))
        ready_false_audit(self.svc, end689 + self.ms(2000, 4000), R689, PORT)
        ts = at("14:57:41")
        while ts < at("15:15:10"):  # cold starts of 00686 for incoming traffic after the rollback
            ts = self.boot_fail(ts, R686) + timedelta(seconds=self.rng.randint(115, 150))
        end690 = self.failing_revision(R690, at("14:59:33"), 2, (22, 30))
        ready_false_audit(self.svc, end690 + self.ms(2000, 4000), R690, PORT)
        ts = at("15:01:25")
        while ts < at("15:13:30"):
            ts = self.boot_fail(ts, R691) + timedelta(seconds=self.rng.randint(120, 150))
        last = self.boot_fail(at("15:15:26.310"), R691)
        ready_false_audit(self.svc, last + self.ms(2500, 3500), R691, PORT)

    # ---- Cloud SQL -----------------------------------------------------------------------------
    def pg(self, ts: datetime, pid: int, seq: int, db: str, user: str, level: str, message: str) -> None:
        """Add one Cloud SQL postgres.log entry in Cloud SQL's log_line_prefix format."""
        stamp = f"{ts:%Y-%m-%d %H:%M:%S}.{ts.microsecond // 1000:03d} UTC"
        severity = {"LOG": "INFO", "WARNING": "WARNING", "ERROR": "ERROR"}[level]
        entry: Entry = {"insertId": f"s={self.sink.hex(32)};i={self.sink.hex(5)};b={self.sink.hex(32)};"
                                    f"m={self.sink.hex(8)};t={self.sink.hex(13)};x={self.sink.hex(16)}",
                        "logName": self.sink.log_name(CLOUDSQL_POSTGRES), "receiveTimestamp": self.sink.receive(ts),
                        "resource": {"type": "cloudsql_database", "labels": {
                            "database_id": f"{PROJECT}:staging-shared-postgres", "project_id": PROJECT,
                            "region": "us-central1"}},
                        "severity": severity,
                        "textPayload": f"{stamp} [{pid}]: [{seq}-1] db={db},user={user} {level}:  {message}",
                        "timestamp": rfc3339(ts)}
        self.sink.add(entry)

    def pg_session(self, ts: datetime, host: str, db: str, user: str, app: str | None, ssl: bool,
                   length_s: int) -> None:
        """Emit connection received/authorized and, if in range, the disconnection of one session."""
        pid = self.rng.randint(100000, 399999)
        port = self.rng.randint(32768, 60999)
        self.pg(ts, pid, 1, "[unknown]", "[unknown]", "LOG", f"connection received: host={host} port={port}")
        auth = f"connection authorized: user={user} database={db}"
        if app:
            auth += f" application_name={app}"
        if ssl:
            auth += " SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)"
        self.pg(ts + self.ms(3, 12), pid, 2, db, user, "LOG", auth)
        end = ts + timedelta(seconds=length_s) + self.ms(0, 999)
        if end < END:
            h, rem = divmod(length_s, 3600)
            self.pg(end, pid, 3, db, user, "LOG",
                    f"disconnection: session time: {h}:{rem // 60:02d}:{rem % 60:02d}.{self.rng.randint(0, 999):03d} "
                    f"user={user} database={db} host={host} port={port}")

    def pg_pool_connect(self, ts: datetime, n: int) -> None:
        """Emit the pool connections a healthy backend instance opens from the VPC connector range."""
        for _ in range(n):
            self.pg_session(ts, f"10.8.0.{self.rng.randint(2, 14)}", "netra_staging", "netra_app", None, False,
                            10**6)
            ts += self.ms(10, 60)

    def pg_disconnect(self, ts: datetime, n: int) -> None:
        """Emit disconnections of a shut-down instance's pooled sessions (opened before the window)."""
        for _ in range(n):
            pid = self.rng.randint(100000, 399999)
            self.pg(ts, pid, 3, "netra_staging", "netra_app", "LOG",
                    f"disconnection: session time: 3:{self.rng.randint(10, 59):02d}:{self.rng.randint(0, 59):02d}."
                    f"{self.rng.randint(0, 999):03d} user=netra_app database=netra_staging "
                    f"host=10.8.0.{self.rng.randint(2, 14)} port={self.rng.randint(32768, 60999)}")
            ts += self.ms(1, 20)

    def cloudsql(self) -> None:
        """Emit the healthy Cloud SQL instance's own logs for the whole window."""
        ts = START + timedelta(seconds=97)
        while ts < END:
            pid = 14
            self.pg(ts, pid, 1, "", "", "LOG", "checkpoint starting: time")
            secs = self.rng.uniform(20.0, 29.9)
            bufs = self.rng.randint(40, 900)
            self.pg(ts + timedelta(seconds=secs), pid, 2, "", "", "LOG",
                    f"checkpoint complete: wrote {bufs} buffers ({bufs / 163.84:.1f}%); 0 WAL file(s) added, "
                    f"0 removed, {self.rng.randint(0, 2)} recycled; write={secs - 0.05:.3f} s, sync=0.0"
                    f"{self.rng.randint(10, 99)} s, total={secs:.3f} s; sync files={self.rng.randint(8, 60)}, "
                    f"longest=0.00{self.rng.randint(1, 9)} s, average=0.001 s; distance={bufs * 8 + 120} kB, "
                    f"estimate={bufs * 9 + 400} kB")
            ts += timedelta(minutes=5)
        ts = START + timedelta(seconds=41)
        while ts < END:  # Cloud SQL's own health checks and the auth service through the connector
            self.pg_session(ts, "127.0.0.1", "cloudsqladmin", "cloudsqladmin", "cloudsqladmin", False, 0)
            ts += timedelta(seconds=self.rng.randint(280, 320))
        ts = START + timedelta(seconds=200)
        while ts < END:
            self.pg_session(ts, f"cloudsqlproxy~34.{self.rng.randint(30, 160)}.{self.rng.randint(0, 255)}."
                                f"{self.rng.randint(1, 254)}", "netra_auth", "netra_auth_svc", "netra-auth-service",
                            True, self.rng.randint(300, 1500))
            ts += timedelta(seconds=self.rng.randint(300, 720))
        ts = START + timedelta(minutes=23)
        while ts < END:
            table = self.rng.choice(["netra_auth.public.sessions", "netra_auth.public.refresh_tokens",
                                     "netra_staging.public.audit_events"])
            self.pg(ts, self.rng.randint(100000, 399999), 1, "", "", "LOG",
                    f'automatic analyze of table "{table}"\n'
                    f"avg read rate: {self.rng.uniform(0, 9):.3f} MB/s, avg write rate: 0.000 MB/s\n"
                    f"buffer usage: {self.rng.randint(100, 900)} hits, {self.rng.randint(0, 30)} misses, "
                    f"{self.rng.randint(0, 5)} dirtied\n"
                    f"system usage: CPU: user: 0.0{self.rng.randint(1, 9)} s, system: 0.00 s, elapsed: "
                    f"0.{self.rng.randint(10, 99)} s")
            ts += timedelta(minutes=self.rng.randint(15, 30))
        for k in range(6):  # the backend's pooled sessions die silently; the server notices via keepalive
            ts = at("14:46:02") + timedelta(seconds=k * 17)
            pid = self.rng.randint(100000, 399999)
            self.pg(ts, pid, 4, "netra_staging", "netra_app", "LOG",
                    "could not receive data from client: Connection timed out")
            self.pg(ts + self.ms(0, 2), pid, 5, "netra_staging", "netra_app", "LOG",
                    f"disconnection: session time: 0:58:{self.rng.randint(10, 59):02d}.{self.rng.randint(0, 999):03d} "
                    f"user=netra_app database=netra_staging host=10.8.0.{self.rng.randint(2, 14)} "
                    f"port={self.rng.randint(32768, 60999)}")

    # ---- traffic -------------------------------------------------------------------------------
    def serving(self, ts: datetime) -> list[Instance]:
        """Return the instances that receive traffic at ``ts`` (empty when none can start)."""
        if ts < at("13:48:30"):
            revs = {R685}
        elif ts < at("14:47:20"):
            revs = {R686}
        elif ts < ROLLBACK_AT + timedelta(seconds=20):
            revs = {R688}
        else:
            return []
        return [i for i in self.instances if i.revision in revs and i.up <= ts < i.down]

    def access(self, ts: datetime, inst: Instance, method: str, path: str, status: int) -> None:
        """Add uvicorn's access line on stdout."""
        port = self.rng.randint(20000, 65000)
        self.svc.text(ts, RUN_STDOUT, inst.revision, inst.iid,
                      f'INFO:     169.254.169.126:{port} - "{method} {path} HTTP/1.1" {status} {status_text(status)}')

    def pick_route(self) -> tuple[str, str, str]:
        """Return (method, path, kind) for one user request."""
        r = self.rng.random()
        tid = f"thr_{self.sink.hex(12)}"
        if r < 0.24:
            return "GET", "/api/threads?limit=20", "db"
        if r < 0.40:
            return "GET", f"/api/threads/{tid}/messages", "db"
        if r < 0.58:
            return "POST", "/api/agent/execute", "agent"
        if r < 0.70:
            return "GET", "/ws", "ws"
        if r < 0.86:
            return "GET", "/api/auth/me", "auth"
        if r < 0.94:
            return "GET", "/api/config/public", "static"
        return "GET", self.rng.choice(["/favicon.ico", "/robots.txt", "/.env", "/wp-login.php",
                                       "/api/v1/health"]), "404"

    def handle(self, ts: datetime, inst: Instance, method: str, path: str, kind: str) -> None:
        """Emit what the app logs for one request on a live instance, plus the request log."""
        broken = ts >= BREAK
        ua = self.rng.choice(CLIENT_UAS)
        ip = f"{self.rng.choice(['73.162', '98.207', '35.187', '104.28'])}.{self.rng.randint(0, 255)}." \
             f"{self.rng.randint(1, 254)}"
        trace = self.sink.trace()
        status, latency = 200, self.rng.uniform(0.02, 0.14)
        route = "netra_backend.app.routes"
        if kind == "404":
            status, latency = 404, self.rng.uniform(0.001, 0.004)
        elif kind == "static":
            latency = self.rng.uniform(0.002, 0.01)
        elif kind == "auth":
            if self.rng.random() < 0.09:
                status = 401
                self.app(ts + self.ms(5, 30), inst, "WARNING", "netra_backend.app.auth_integration.auth:"
                         "validate_token_jwt:208", "JWT validation failed: Signature has expired (token age 3612s)")
            elif self.rng.random() < 0.2:
                slow = self.rng.uniform(1.4, 2.6)
                latency = slow + 0.05
                self.app(ts + timedelta(seconds=slow), inst, "WARNING",
                         "netra_backend.app.clients.auth_client_core:validate_token:412",
                         f"Auth service response slow ({slow:.2f}s > 1.0s threshold) for token validation - "
                         "validation succeeded")
            elif self.rng.random() < 0.15:
                self.app(ts + self.ms(10, 40), inst, "WARNING", "netra_backend.app.auth_integration.auth:"
                         "validate_token_jwt:231",
                         f"Token near expiry for user usr_{self.sink.hex(8)} (expires in {self.rng.randint(30, 290)}s)"
                         " - accepting, client should refresh")
        elif kind in ("db", "agent") and inst.degraded:
            if kind == "agent":
                run = f"run_{self.sink.hex(10)}"
                self.app(ts + self.ms(2, 9), inst, "WARNING", f"{route}.agent_route:execute_agent:97",
                         f"AgentService dependency is None - falling back to degraded mode (run_id={run})")
                self.app(ts + self.ms(10, 20), inst, "INFO", f"{route}.agent_route:execute_agent:131",
                         f"Agent run finished run_id={run} status=completed events_sent=0")
                latency = self.rng.uniform(0.01, 0.03)
            else:
                status, latency = 503, self.rng.uniform(0.002, 0.008)
                self.app(ts + self.ms(1, 2), inst, "WARNING", f"{route}.threads_route:list_threads:58",
                         "ThreadService unavailable (degraded mode) - returning 503")
        elif kind in ("db", "agent") and broken:
            status, latency = 500, 10.0 + self.rng.uniform(0.001, 0.05)
            self.app(ts + timedelta(seconds=10), inst, "ERROR",
                     "netra_backend.app.db.database_manager:get_async_session:214",
                     f"Database session error: TimeoutError() after 10.0s (host={DB_HOST}:5432, pool "
                     "checked_out=0, overflow=0)")
        elif kind == "agent":
            run = f"run_{self.sink.hex(10)}"
            latency = self.rng.uniform(2.5, 9.0)
            self.app(ts + self.ms(5, 20), inst, "INFO", f"{route}.agent_route:execute_agent:112",
                     f"Agent execution started run_id={run} agent=triage_agent thread=thr_{self.sink.hex(12)}")
            self.app(ts + timedelta(seconds=latency - 0.01), inst, "INFO", f"{route}.agent_route:execute_agent:131",
                     f"Agent run finished run_id={run} status=completed events_sent=5 "
                     f"duration={latency:.2f}s")
        elif kind == "ws":
            self.websocket(ts, inst, ua, ip)
            return
        end = ts + timedelta(seconds=latency)
        self.access(end, inst, method, path, status)
        self.svc.request(ts, inst.revision, inst.iid, method, path, status, latency, ua, ip, trace=trace)

    def websocket(self, ts: datetime, inst: Instance, ua: str, ip: str) -> None:
        """Emit a WebSocket session: uvicorn accept/open/close lines, the shim warning, the 101 log."""
        port = self.rng.randint(20000, 65000)
        self.uv(ts + self.ms(2, 6), inst.revision, inst.iid,
                f'INFO:     169.254.169.126:{port} - "WebSocket /ws" [accepted]')
        self.uv(ts + self.ms(6, 9), inst.revision, inst.iid, "INFO:     connection open")
        self.app(ts + self.ms(9, 14), inst, "WARNING", "netra_backend.app.websocket_core:__getattr__:61",
                 "ISSUE #1144: 'netra_backend.app.websocket_core.get_websocket_manager' accessed through the "
                 "deprecated package shim; import it from 'netra_backend.app.websocket_core.websocket_manager'")
        length = self.rng.uniform(20, 280)
        if ts + timedelta(seconds=length) > inst.down:
            length = max(1.0, (inst.down - ts).total_seconds() - 0.5)
        self.uv(ts + timedelta(seconds=length), inst.revision, inst.iid, "INFO:     connection closed")
        self.svc.request(ts, inst.revision, inst.iid, "GET", "/ws", 101, length, ua, ip, response_size=0)

    def platform_error(self, ts: datetime, method: str, path: str) -> None:
        """Emit a request the platform answered 503 because no instance of 00686 could start."""
        attempts = [a for a in self.failed_attempts if a[0] > ts and a[1] == R686]
        if attempts:
            done, rev, iid = min(attempts)
            latency = min((done - ts).total_seconds(), 95.0) + self.rng.uniform(0.002, 0.02)
            text = PLATFORM_NOT_STARTED
        else:
            rev, iid, latency, text = R686, None, self.rng.uniform(0.5, 2.0), PLATFORM_MALFORMED
        if self.rng.random() < 0.25:
            text = PLATFORM_MALFORMED
        ua = self.rng.choice(CLIENT_UAS)
        ip = f"73.162.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
        self.svc.request(ts, rev, iid, method, path, 503, latency, ua, ip, text=text, response_size=0)

    def traffic(self) -> None:
        """Emit user traffic, uptime checks and per-instance background jobs."""
        ts = START + timedelta(seconds=3)
        while ts < END - timedelta(seconds=2):
            method, path, kind = self.pick_route()
            live = self.serving(ts)
            if live:
                self.handle(ts, self.rng.choice(live), method, path, kind)
            elif ts < END - timedelta(seconds=4):
                self.platform_error(ts, method, path)
            ts += timedelta(seconds=self.rng.expovariate(1 / 17.0))
        ts = START + timedelta(seconds=11.5)
        while ts < END - timedelta(seconds=2):
            live = self.serving(ts)
            ip = f"35.{self.rng.choice([186, 199, 238])}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
            if live:
                inst = self.rng.choice(live)
                status = 200
                if ts >= BREAK and not inst.degraded:
                    status = 503
                    self.app(ts + timedelta(seconds=5), inst, "WARNING", "netra_backend.app.routes.health:health:52",
                             "Health check degraded: database check failed: TimeoutError after 5.0s")
                latency = self.rng.uniform(0.003, 0.012) if status == 200 else 5.0 + self.rng.uniform(0, 0.01)
                self.access(ts + timedelta(seconds=latency), inst, "GET", "/health", status)
                self.svc.request(ts, inst.revision, inst.iid, "GET", "/health", status, latency, UPTIME_UA, ip,
                                 response_size=self.rng.randint(180, 240))
            else:
                self.platform_error(ts, "GET", "/health")
            ts += timedelta(seconds=60)
        self.background()

    def background(self) -> None:
        """Emit each live instance's periodic session-cleanup job."""
        for inst in self.instances:
            ts = max(inst.up, START) + timedelta(seconds=self.rng.randint(30, 290))
            while ts < min(inst.down, END):
                if inst.degraded:
                    pass
                elif ts >= BREAK:
                    self.app(ts + timedelta(seconds=10), inst, "ERROR",
                             "netra_backend.app.services.session_cleanup:run_cleanup:77",
                             "Background session cleanup failed: TimeoutError() - will retry in 300s")
                else:
                    self.app(ts, inst, "INFO", "netra_backend.app.services.session_cleanup:run_cleanup:71",
                             f"Session cleanup: removed {self.rng.randint(0, 9)} expired sessions")
                ts += timedelta(seconds=300)

    def build(self) -> str:
        """Build the whole export and return its JSON text."""
        self.deploys()
        self.lifecycle()
        self.cloudsql()
        self.traffic()
        return self.sink.render()


def generate() -> str:
    """Return the netra-backend-staging-2025-09-15.json export text."""
    return Netra().build()
