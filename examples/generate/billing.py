"""Incident 2: billing-api exhausts its SQLAlchemy connection pool after a traffic spike (2025-10-02).

Structured logging (google.cloud.logging StructuredLogHandler lines on stdout: severity,
sourceLocation and trace lifted, ``python_logger`` in labels). At 09:12 Cloud Scheduler starts
the month-start invoicing batch; long batch transactions hold the pool while normal traffic
keeps arriving, so from 09:14 requests wait 30 s for a connection and fail with
``QueuePool limit of size 5 overflow 10 reached``; some hit the 60 s request timeout (504).
The batch ends at 09:41 and errors stop. Red herrings present all along: Redis cache-miss
warnings and a slow tax-service upstream warning.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .common import PLATFORM_TIMEOUT, RUN_STDERR, Entry, RunService, Sink, utc
from .tracebacks import queuepool_traceback

PROJECT = "acme-billing-prod"
SERVICE = "billing-api"
REVISION = "billing-api-00214-vaq"
URL = "https://billing-api-5tq3kxm2ra-ew.a.run.app"
START = utc("2025-10-02T08:00:00")
SPIKE = utc("2025-10-02T09:12:00")
BATCH_END = utc("2025-10-02T09:41:00")
END = utc("2025-10-02T10:00:00")


class Billing:
    """Builds the billing-api export."""

    def __init__(self) -> None:
        self.rng = random.Random(20251002)
        self.sink = Sink(PROJECT, self.rng, cutoff=END)
        self.svc = RunService(self.sink, SERVICE, "europe-west1", URL)
        self.instances = [self.sink.instance_id() for _ in range(2)]
        self.extra: list[tuple[datetime, str]] = []

    def log(self, ts: datetime, iid: str, severity: str, logger: str, message: str,
            source: tuple[str, int, str], trace: str | None = None, **fields: object) -> Entry:
        """Add one StructuredLogHandler entry."""
        payload: Entry = {"message": message, **fields}
        return self.svc.structured(ts, REVISION, iid, severity, payload, source, trace,
                                   extra_labels={"python_logger": logger})

    def pressure(self, ts: datetime) -> float:
        """Return how saturated the pool is at ``ts`` (0 healthy, 1 exhausted)."""
        if ts < SPIKE + timedelta(minutes=2) or ts > BATCH_END + timedelta(minutes=2):
            return 0.0
        ramp = (ts - SPIKE).total_seconds() / 600
        return min(1.0, max(0.0, ramp))

    def live(self, ts: datetime) -> list[str]:
        """Return the instances serving at ``ts`` (autoscaling adds some during the spike)."""
        return self.instances + [iid for up, iid in self.extra if up <= ts]

    def boot(self, ts: datetime, iid: str) -> None:
        """Emit gunicorn's start-up lines on stderr for a new instance."""
        for line in [f"[{ts:%Y-%m-%d %H:%M:%S} +0000] [1] [INFO] Starting gunicorn 23.0.0",
                     f"[{ts:%Y-%m-%d %H:%M:%S} +0000] [1] [INFO] Listening at: http://0.0.0.0:8080 (1)",
                     f"[{ts:%Y-%m-%d %H:%M:%S} +0000] [1] [INFO] Using worker: gthread",
                     f"[{ts:%Y-%m-%d %H:%M:%S} +0000] [2] [INFO] Booting worker with pid: 2"]:
            self.svc.text(ts, RUN_STDERR, REVISION, iid, line)
            ts += timedelta(microseconds=self.rng.randint(200, 3000))
        self.log(ts + timedelta(milliseconds=900), iid, "INFO", "billing.app",
                 "billing-api 3.8.2 ready: pool_size=5 max_overflow=10 pool_timeout=30", ("/app/billing/app.py", 64,
                                                                                        "create_app"))

    def request(self, ts: datetime, batch: bool = False) -> None:
        """Emit one API request with its structured logs and request log."""
        rng = self.rng
        iid = rng.choice(self.live(ts))
        trace = self.sink.trace()
        ua, ip = rng.choice(["acme-storefront/2.31 (+https://acme.example)", "python-requests/2.32.3",
                             "Go-http-client/2.0"]), f"34.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if batch:
            method, path, handler = "POST", "/v1/invoices:batchGenerate", ("/app/billing/api/invoices.py", 211,
                                                                          "batch_generate")
            ua, ip = "Google-Cloud-Scheduler", "107.178.194.37"
        else:
            method, path, handler = rng.choice([
                ("GET", f"/v1/invoices/inv_{self.sink.hex(10)}", ("/app/billing/api/invoices.py", 88, "get_invoice")),
                ("POST", "/v1/charges", ("/app/billing/api/charges.py", 142, "create_charge")),
                ("GET", f"/v1/customers/cus_{self.sink.hex(8)}/balance", ("/app/billing/api/customers.py", 57,
                                                                         "get_balance")),
                ("GET", "/v1/plans", ("/app/billing/api/plans.py", 31, "list_plans"))])
        status, latency = 200, rng.uniform(0.03, 0.25)
        pressure = self.pressure(ts)
        if batch:
            latency = rng.uniform(35.0, 58.0)
            self.log(ts + timedelta(milliseconds=40), iid, "INFO", "billing.invoicing",
                     f"Batch invoice generation started: cycle=2025-10 chunk={rng.randint(1, 400)}/400 customers=250",
                     handler, trace)
        elif rng.random() < pressure:
            if rng.random() < 0.22:
                status, latency = 504, 60.0 + rng.uniform(0.0005, 0.003)
            else:
                status, latency = 500, 30.0 + rng.uniform(0.01, 0.3)
                self.log(ts + timedelta(seconds=30), iid, "ERROR", "billing.db",
                         f"Unhandled exception on {method} {path}\n" + queuepool_traceback(
                             handler[0], handler[1] + 6, handler[2],
                             "row = session.execute(stmt).scalar_one_or_none()"),
                         ("/app/billing/middleware.py", 47, "error_middleware"), trace, route=path)
        elif pressure > 0:
            latency = rng.uniform(2.0, 28.0) * max(pressure, 0.3)
        self.svc.request(ts, REVISION, iid, method, path, status, latency, ua, ip,
                         text=PLATFORM_TIMEOUT if status == 504 else None, trace=trace)
        if status == 200 and not batch and rng.random() < 0.25:
            self.log(ts + timedelta(seconds=latency * 0.9), iid, "INFO", "billing.api",
                     f"{method} {path} completed in {latency * 1000:.0f}ms", handler, trace)

    def noise(self) -> None:
        """Emit the red herrings and health checks at steady rates for the whole window."""
        ts = START + timedelta(seconds=20)
        while ts < END:
            iid = self.rng.choice(self.live(ts))
            self.log(ts, iid, "WARNING", "billing.cache",
                     f"Redis cache miss for key pricing:plan:{self.rng.choice(['pro', 'team', 'starter', 'ent'])}:"
                     f"v{self.rng.randint(10, 14)} - falling back to database", ("/app/billing/cache.py", 73, "get_plan"))
            ts += timedelta(seconds=self.rng.randint(90, 240))
        ts = START + timedelta(seconds=130)
        while ts < END:
            iid = self.rng.choice(self.live(ts))
            self.log(ts, iid, "WARNING", "billing.tax",
                     f"Slow upstream: tax-service responded in {self.rng.uniform(1.6, 3.4):.2f}s (threshold 1.5s)",
                     ("/app/billing/clients/tax.py", 118, "quote"))
            ts += timedelta(seconds=self.rng.randint(240, 600))
        ts = START + timedelta(seconds=7)
        while ts < END:
            for iid in self.live(ts):
                self.svc.request(ts, REVISION, iid, "GET", "/healthz", 200, self.rng.uniform(0.001, 0.004),
                                 "GoogleHC/1.0", "35.191.12.174", response_size=2)
            ts += timedelta(seconds=60)

    def build(self) -> str:
        """Build the whole export and return its JSON text."""
        for k, up in enumerate([SPIKE + timedelta(seconds=50), SPIKE + timedelta(seconds=170)]):
            iid = self.sink.instance_id()
            self.extra.append((up, iid))
            self.boot(up - timedelta(seconds=6 + k), iid)
        ts = START + timedelta(seconds=2)
        while ts < END:
            spike = SPIKE <= ts < BATCH_END
            self.request(ts)
            ts += timedelta(seconds=self.rng.expovariate(1 / (4.5 if spike else 9.0)))
        ts = SPIKE
        while ts < BATCH_END:
            self.request(ts, batch=True)
            ts += timedelta(seconds=self.rng.uniform(3.0, 6.0))
        self.noise()
        return self.sink.render()


def generate() -> str:
    """Return the billing-api-2025-10-02.json export text."""
    return Billing().build()
