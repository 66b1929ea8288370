"""Incident 3: image-resizer runs out of memory after a deploy that raised concurrency (2025-11-04).

A Node.js service logging one JSON object per line on stdout (Cloud Run lifts ``severity``).
At 14:20 a deploy raises containerConcurrency from 8 to 80 with the memory limit unchanged
at 512 MiB; each instance now decodes many images at once, and from 14:24 instances are
killed: varlog/system "Memory limit of 512 MiB exceeded ...", "Container terminated on
signal 9.", and the requests in flight on that instanceId end in 503 (connection error) or
500 with the "too much memory" text. Red herring present before and after: 404s for source
objects missing in Cloud Storage.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .common import (PLATFORM_MALFORMED, PLATFORM_OOM_REQUEST, RUN_SYSTEM, Entry, RunService, Sink,
                     deploy_audit, utc)

PROJECT = "pixelbox-prod"
SERVICE = "image-resizer"
OLD, NEW = "image-resizer-00041-hup", "image-resizer-00042-tez"
URL = "https://image-resizer-r7w2f4lqyq-ue.a.run.app"
START = utc("2025-11-04T13:10:00")
DEPLOY = utc("2025-11-04T14:20:07")
END = utc("2025-11-04T15:05:00")
IMAGE = "us-east1-docker.pkg.dev/pixelbox-prod/services/image-resizer@sha256:"


@dataclass
class Inst:
    """One instance: id, revision, lifetime."""

    iid: str
    rev: str
    up: datetime
    down: datetime
    oom: bool


class Resizer:
    """Builds the image-resizer export."""

    def __init__(self) -> None:
        self.rng = random.Random(20251104)
        self.sink = Sink(PROJECT, self.rng, cutoff=END)
        self.svc = RunService(self.sink, SERVICE, "us-east1", URL)
        self.insts: list[Inst] = []

    def log(self, ts: datetime, inst: Inst, severity: str, message: str, **fields: object) -> None:
        """Add one JSON line the app printed to stdout."""
        payload: Entry = {"message": message, "service": SERVICE, **fields}
        self.svc.structured(ts, inst.rev, inst.iid, severity, payload)

    def plan(self) -> None:
        """Lay out instance lifetimes: steady old revision, then OOM-killed new instances."""
        for k in range(3):
            self.insts.append(Inst(self.sink.instance_id(), OLD, START - timedelta(hours=2), DEPLOY +
                                   timedelta(seconds=70 + k * 5), False))
        ts = DEPLOY + timedelta(seconds=25)
        while ts < END:
            life = timedelta(seconds=self.rng.randint(150, 420))
            self.insts.append(Inst(self.sink.instance_id(), NEW, ts, ts + life, True))
            ts += timedelta(seconds=self.rng.randint(60, 130))

    def boot(self, inst: Inst) -> None:
        """Emit the Node server's start-up lines."""
        self.log(inst.up, inst, "INFO", "image-resizer 1.19.0 starting", node="v20.18.0",
                 concurrency=80 if inst.rev == NEW else 8, sharp="0.33.5")
        self.log(inst.up + timedelta(milliseconds=310), inst, "INFO", "listening on :8080")

    def kill(self, inst: Inst) -> None:
        """Emit the OOM kill of ``inst`` and fail the requests in flight on it."""
        used = self.rng.choice([517, 524, 531, 538, 546, 561])
        self.svc.text(inst.down, RUN_SYSTEM, inst.rev, inst.iid,
                      f"Memory limit of 512 MiB exceeded with {used} MiB used. Consider increasing the memory "
                      "limit, see https://cloud.google.com/run/docs/configuring/memory-limits", "ERROR")
        self.svc.text(inst.down + timedelta(milliseconds=self.rng.randint(20, 90)), RUN_SYSTEM, inst.rev,
                      inst.iid, "Container terminated on signal 9.", "WARNING")
        for k in range(self.rng.randint(3, 9)):
            start = inst.down - timedelta(seconds=self.rng.uniform(0.3, 6.0))
            latency = (inst.down - start).total_seconds() + self.rng.uniform(0.001, 0.05)
            oom_text = k == 0
            self.svc.request(start, inst.rev, inst.iid, "GET", self.path(), 500 if oom_text else 503, latency,
                             "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15",
                             self.ip(), text=PLATFORM_OOM_REQUEST if oom_text else PLATFORM_MALFORMED,
                             response_size=0)

    def path(self) -> str:
        """Return a resize URL path."""
        w = self.rng.choice([320, 640, 1080, 1920, 2560])
        return f"/resize?src=gs%3A%2F%2Fpixelbox-uploads%2Fu%2F{self.rng.randint(1000, 99999)}%2F{self.sink.hex(12)}.jpg&w={w}"

    def ip(self) -> str:
        """Return a client address."""
        return f"{self.rng.choice(['81.2', '92.184', '172.58', '66.249'])}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"

    def traffic(self) -> None:
        """Emit resize requests, the app's per-request logs and the GCS 404 red herring."""
        ts = START + timedelta(seconds=1)
        while ts < END:
            live = [i for i in self.insts if i.up <= ts < i.down and (i.rev == NEW) == (ts >= DEPLOY + timedelta(seconds=40))]
            if live:
                inst = self.rng.choice(live)
                path = self.path()
                if self.rng.random() < 0.06:
                    obj = path.split("src=")[1].split("&")[0].replace("%2F", "/").replace("%3A", ":")
                    self.log(ts + timedelta(milliseconds=40), inst, "WARNING",
                             f"source object not found: {obj} (GCS 404 No such object)", status=404)
                    self.svc.request(ts, inst.rev, inst.iid, "GET", path, 404, self.rng.uniform(0.03, 0.09),
                                     "Mozilla/5.0", self.ip(), response_size=52)
                else:
                    latency = self.rng.uniform(0.12, 0.9) * (2.5 if inst.rev == NEW else 1.0)
                    if self.rng.random() < 0.3:
                        self.log(ts + timedelta(seconds=latency), inst, "INFO", "resized image",
                                 width=int(path.rsplit("=", 1)[1]), ms=int(latency * 1000),
                                 rss_mb=self.rng.randint(180, 260) if inst.rev == OLD else self.rng.randint(300, 505))
                    self.svc.request(ts, inst.rev, inst.iid, "GET", path, 200, latency, "Mozilla/5.0", self.ip(),
                                     response_size=self.rng.randint(20000, 900000))
            ts += timedelta(seconds=self.rng.expovariate(1 / 3.2))

    def build(self) -> str:
        """Build the whole export and return its JSON text."""
        self.plan()
        template: Entry = {"metadata": {"annotations": {"autoscaling.knative.dev/maxScale": "10"}, "name": NEW},
                           "spec": {"containerConcurrency": 80, "timeoutSeconds": 60,
                                    "containers": [{"resources": {"limits": {"cpu": "1", "memory": "512Mi"}}}]}}
        deploy_audit(self.svc, DEPLOY, "ci-deployer@pixelbox-prod.iam.gserviceaccount.com", 42,
                     IMAGE + self.sink.hex(64), OLD, template,
                     "google-cloud-sdk gcloud/546.0.0 command/gcloud.run.deploy invocation-id/" + self.sink.hex(32))
        for inst in self.insts:
            if inst.up >= START:
                self.boot(inst)
            if inst.oom and inst.down < END:
                self.kill(inst)
        self.traffic()
        return self.sink.render()


def generate() -> str:
    """Return the image-resizer-2025-11-04.json export text."""
    return Resizer().build()
