# ruff: noqa: E501  (verbatim log lines and stack frames are longer than a code line)
"""Go services on Cloud Run (net/http) and one on GKE: incidents and quiet windows.

Wording sources:
- runtime crashes and net/http's recovered panic: captured/go_*.txt (captured/README.md)
- `dial tcp 10.60.0.4:5432: connect: connection refused` and `x509: certificate has expired or is not yet
  valid: current time ... is after ...`: printed by go1.19.8's net and crypto/x509 (captured by running a
  client against a closed port and an expired certificate; https://github.com/golang/go/blob/master/src/crypto/x509/verify.go)
- `context deadline exceeded (Client.Timeout exceeded while awaiting headers)`:
  https://github.com/golang/go/blob/master/src/net/http/client.go
- `http: superfluous response.WriteHeader call from %s (%s:%d)`: https://github.com/golang/go/blob/master/src/net/http/server.go
- GODEBUG=gctrace=1 lines: the format go1.19.8 prints (captured; values vary here),
  https://github.com/golang/go/blob/master/src/runtime/mgc.go
- `terminated: Application failed to start: failed to load /app/server: exec format error`: Cloud Run's
  varlog/system line quoted in https://github.com/GoogleCloudPlatform/jit-groups/issues/270 and
  https://github.com/umami-software/umami/issues/2018
- `Container failed to start. Failed to start and then listen on the port defined by the PORT environment
  variable.`: https://github.com/ahmetb/cloud-run-static-outbound-ip/issues/3
"""

from __future__ import annotations

from typing import Any

from tests.incidents.builder import (
    MALFORMED,
    NO_INSTANCE,
    GkeIncident,
    Incident,
    captured,
    day,
    oom_line,
    startup_probe_failed,
)
from tests.incidents.common import END, background, expect

RT = "go"
Result = tuple[list[dict[str, Any]], dict[str, Any]]


def _log(inc: Incident, t: float, msg: str, rev: str, inst: str, log: str = "stderr") -> None:
    """A line of Go's standard logger: 'YYYY/MM/DD HH:MM:SS message'."""
    inc.text(t, f"{inc.at(t).strftime('%Y/%m/%d %H:%M:%S')} {msg}", rev, inst, log)


def _service(name: str, seed: int, start: Any, n: int = 2) -> tuple[Incident, str, list[str]]:
    inc = Incident(name, seed, start)
    rev = inc.revision(5 + seed % 60)
    insts = [inc.instance() for _ in range(n)]
    for k, inst in enumerate(insts):
        _log(inc, 1.2 + k * 25, "listening on :8080", rev, inst)
    return inc, rev, insts


def _superfluous(inc: Incident, rev: str, insts: list[str], every: float = 900) -> None:
    t, k = 211.0, 0
    while t < END:
        _log(inc, t, "http: superfluous response.WriteHeader call from main.writeJSON (handlers.go:88)", rev,
             insts[k % len(insts)])
        t += every
        k += 1


def _crash(inc: Incident, t: float, rev: str, inst: str, text: str, code: int, path: str) -> None:
    inc.block(t, text, rev, inst)
    inc.system(t + 0.05, f"Container called exit({code}).", rev, inst, "WARNING")
    for _j in range(inc.rng.randint(1, 3)):
        inc.request(t - inc.rng.uniform(0.1, 2), 503, path, rev, inst, latency=round(inc.rng.uniform(0.1, 2), 3),
                    text=MALFORMED)


def go_deploy_concurrent_map() -> Result:
    """A deploy adds an unguarded session map; under load the runtime aborts: concurrent map writes."""
    inc, old, insts = _service("session-svc", 41, day(2025, 1, 14, 9))
    _superfluous(inc, old, insts)
    background(inc, old, insts, end=3930)
    new = inc.revision(88)
    inc.deploy(3870, new, old, "europe-west1-docker.pkg.dev/acme-prod/core/session-svc:1.22.0")
    fresh = [inc.instance(), inc.instance()]
    for k, i in enumerate(fresh):
        _log(inc, 3890 + k * 6, "listening on :8080", new, i)
    background(inc, new, fresh, start=3905, cloudsql=False, paths=("/api/track?sid=a81f", "/api/health"))
    crash = captured("go_concurrent_map_writes.txt")
    for _k, t in enumerate(range(4000, int(END), 290)):
        inst = inc.instance()
        _log(inc, t - 100, "listening on :8080", new, inst)
        _crash(inc, t, new, inst, crash, 2, "/api/track?sid=a81f")
    return inc.export(), expect(
        "application-exception", "deploy-trigger", RT, inc.service,
        "Revision 88 writes a package-level map from concurrent handlers; the Go runtime aborts with 'fatal "
        "error: concurrent map writes' and in-flight requests get 503.", trigger_revision=new,
        mentions="concurrent map writes")


def go_deploy_localhost() -> Result:
    """A deploy binds the server to 127.0.0.1:8080; the startup probe cannot reach it."""
    inc, old, insts = _service("geo-svc", 42, day(2025, 1, 23, 13))
    background(inc, old, insts)
    new = inc.revision(19)
    inc.deploy(3990, new, old, "europe-west1-docker.pkg.dev/acme-prod/geo/geo-svc:0.9.0", api="v2",
               principal="terraform@acme-prod.iam.gserviceaccount.com")
    for k in range(3):
        inst = inc.instance()
        _log(inc, 4005 + k * 250, "listening on 127.0.0.1:8080", new, inst)
        inc.system(4005 + k * 250 + 240, startup_probe_failed("geo-svc-1", 8080, "UNAVAILABLE"), new, inst)
    inc.ready_false(4005 + 490, new, (
        "The user-provided container failed to start and listen on the port defined provided by the PORT=8080 "
        "environment variable within the allocated timeout. This can happen when the container port is "
        "misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this "
        "revision might contain more information."))
    return inc.export(), expect(
        "port-mismatch", "deploy-trigger", RT, inc.service,
        "The new revision listens on 127.0.0.1:8080, unreachable from Cloud Run's probe; it never becomes "
        "ready.", trigger_revision=new, mentions="127.0.0.1", state_not="ok")


def go_symptom_chain_panic() -> Result:
    """A background worker dereferences a nil config; the process exits 2 and in-flight requests get 503."""
    inc, rev, insts = _service("jobs-runner", 43, day(2025, 2, 4, 2), n=3)
    _superfluous(inc, rev, insts)
    background(inc, rev, insts)
    crash = captured("go_nil_panic.txt")
    for k, t in enumerate(range(3780, int(END), 310)):
        inst = inc.instance()
        _log(inc, t - 150, "listening on :8080", rev, inst)
        _log(inc, t - 0.01, f"processing job exp-20250204-{k:04d}", rev, inst)
        _crash(inc, t, rev, inst, crash, 2, "/api/jobs")
    return inc.export(), expect(
        "application-exception", "symptom-chain", RT, inc.service,
        "runWorker in the service's own main.go dereferences a job's nil Cfg; the panic kills the process "
        "(exit 2) and requests on the instance end in 503.", mentions="nil pointer")


def go_deploy_panic_no_instance() -> Result:
    """A deploy panics on a nil pointer in every new instance; while Cloud Run replaces the crashed
    instances, most requests are refused with 'no available instance', which outnumber the 503s."""
    inc, old, insts = _service("pricing-svc", 51, day(2025, 6, 10, 8))
    background(inc, old, insts, end=3990)
    new = inc.revision(88)
    inc.deploy(3960, new, old, "us-central1-docker.pkg.dev/acme-prod/pricing/pricing-svc:2.7.0")
    crash = captured("go_nil_panic.txt")
    for t in range(4000, int(END), 60):
        inst = inc.instance()
        _log(inc, t - 20, "listening on :8080", new, inst)
        _crash(inc, t, new, inst, crash, 2, "/v1/quote")
        for j in range(4):
            inc.request(t + 1 + j * 9, 500, "/v1/quote", new, None, latency=round(inc.rng.uniform(8, 10), 3),
                        text=NO_INSTANCE)
    return inc.export(), expect(
        "application-exception", "deploy-trigger", RT, inc.service,
        "Revision 88 panics on a nil pointer in every new instance; Cloud Run has no instance left to route "
        "to, so the 'no available instance' refusals are the crash loop, not a max-instances limit.",
        trigger_revision=new, mentions="nil pointer")


def go_symptom_alone_port() -> Result:
    """Only the platform speaks: a revision that 'failed to start and listen on the port'."""
    inc, rev, insts = _service("tiles-svc", 44, day(2025, 2, 27, 20))
    background(inc, rev, insts)
    new = inc.revision(62)
    for k in range(4):
        inst = inc.instance()
        inc.system(4100 + k * 245, startup_probe_failed("tiles-svc-1", 8080), new, inst)
    inc.ready_false(4100 + 735, new, "Container failed to start. Failed to start and then listen on the port "
                                     "defined by the PORT environment variable. Logs for this revision might "
                                     "contain more information.")
    return inc.export(), expect(
        "port-mismatch", "symptom-alone", RT, inc.service,
        "The platform only says the container did not listen on $PORT; Cloud Run's troubleshooting entry "
        "for this message points at the listening port.", state_not="ok")


def go_inner_wrap_refused() -> Result:
    """fmt.Errorf %w chains end in 'dial tcp ...: connect: connection refused'."""
    inc, rev, insts = _service("invoice-svc", 45, day(2025, 3, 12, 10))
    _superfluous(inc, rev, insts)
    background(inc, rev, insts)
    for k, t in enumerate(range(3640, int(END), 31)):
        inst = insts[k % 2]
        inc.request(t, 500, f"/v1/invoices/{300 + k}", rev, inst, latency=0.004)
        _log(inc, t + 0.003, f"GET /v1/invoices/{300 + k}: load invoice {300 + k}: failed to query: dial tcp "
                             "10.60.0.4:5432: connect: connection refused", rev, inst)
    return inc.export(), expect(
        "network-connectivity", "inner-cause", RT, inc.service,
        "Every %w chain ends in 'dial tcp 10.60.0.4:5432: connect: connection refused' while Cloud SQL logs "
        "normal checkpoints: the connection path is refused.", mentions="connection refused")


def go_inner_429() -> Result:
    """A retry wrapper gives up; the wrapped error is the SMS partner's 429 Too Many Requests."""
    inc, rev, insts = _service("sms-gateway", 46, day(2025, 3, 25, 18))
    background(inc, rev, insts)
    for k, t in enumerate(range(3700, int(END), 43)):
        inst = insts[k % 2]
        inc.request(t, 502, "/v1/sms", rev, inst, method="POST", latency=3.1)
        _log(inc, t + 3.1, f"send sms {7700 + k}: giving up after 4 attempts: POST "
                           "https://api.sms-partner.example/v1/messages: unexpected status 429 Too Many Requests",
             rev, inst)
    return inc.export(), expect(
        "quota-or-rate-limit", "inner-cause", RT, inc.service,
        "The SMS partner throttles the account (429 Too Many Requests); 'giving up after 4 attempts' is the "
        "retry wrapper.", mentions="429")


def go_change_tls() -> Result:
    """Steady client timeouts were always there; what starts is an expired certificate on the FX feed."""
    inc, rev, insts = _service("fx-svc", 47, day(2025, 4, 9, 4))
    background(inc, rev, insts)
    for k, t in enumerate(range(15, int(END), 55)):
        inst = insts[k % 2]
        inc.request(t, 504, "/v1/stock", rev, inst, latency=10.0)
        _log(inc, t + 10, 'refresh stock: Get "https://inventory.internal.example/v1/stock": context deadline '
                          "exceeded (Client.Timeout exceeded while awaiting headers)", rev, inst)
    for k, t in enumerate(range(3600 + 1500, int(END), 120)):
        inst = insts[k % 2]
        inc.request(t, 502, "/v1/rates", rev, inst, latency=0.05)
        _log(inc, t + 0.04, 'refresh fx rates: Get "https://rates.ecb-mirror.example/v1/rates": x509: certificate '
                            f"has expired or is not yet valid: current time {inc.at(t).strftime('%Y-%m-%dT%H:%M:%SZ')} "
                            "is after 2025-04-09T05:24:59Z", rev, inst)
    return inc.export(), expect(
        "tls-certificate", "change-over-volume", RT, inc.service,
        "The FX feed's certificate expired at 05:24:59Z and every refresh fails from then on; the larger "
        "stream of inventory timeouts ran at the same rate in the hour before.", mentions="certificate")


def go_precursor_gc() -> Result:
    """A goroutine-held index leaks for 40 minutes (gctrace heap climbing, latency) until the OOM kill."""
    inc, rev, insts = _service("index-svc", 48, day(2025, 5, 5, 15), n=1)
    inst = insts[0]
    inc.healthy_cloudsql()
    leak_from, die_at = 3600 + 500, 3600 + 500 + 2440
    t = 2.0
    while t < END:
        g = max(0.0, min(1.0, (t - leak_from) / (die_at - leak_from))) if t < die_at else 0.0
        inc.request(t, 200, "/v1/search?q=shoes", rev, inst, latency=0.02 + 2.8 * g ** 2 + inc.rng.uniform(0, 0.01))
        t += inc.rng.uniform(3, 7)
    for n in range(1, int(END) // 40):
        at = n * 40.0
        g = max(0.0, min(1.0, (at - leak_from) / (die_at - leak_from))) if at < die_at else 0.01
        heap = int(60 + 900 * g)
        inc.text(at, f"gc {n} @{at:.3f}s {int(1 + 30 * g)}%: 0.0{inc.rng.randint(10, 99)}+{1 + 40 * g:.1f}+0.00{inc.rng.randint(1, 9)} "
                     f"ms clock, 0.0{inc.rng.randint(10, 99)}+0/{0.5 + 20 * g:.2f}/{1 + 9 * g:.2f}+0.00{inc.rng.randint(1, 9)} ms cpu, "
                     f"{heap}->{heap + 2}->{int(heap * 0.96)} MB, {heap * 2} MB goal, 0 MB stacks, 0 MB globals, 1 P",
                 rev, inst, "stderr")
    inc.system(die_at, oom_line(1024, 1058), rev, inst)
    inc.system(die_at + 0.2, "Container terminated on signal 9.", rev, inst, "WARNING")
    for j in range(5):
        inc.request(die_at - 12 + j * 2.5, 503, "/v1/search?q=shoes", rev, inst, latency=12 - j * 2.5, text=MALFORMED)
    return inc.export(), expect(
        "memory-limit-exceeded", "precursors", RT, inc.service,
        "The live heap in gctrace climbs for 40 minutes while responses slow, until the instance exceeds "
        "1024 MiB and is killed; requests on it get 503.")


def go_unexplained() -> Result:
    """A reconciliation invariant specific to this ledger starts failing requests."""
    inc, rev, insts = _service("ledger-svc", 49, day(2025, 5, 28, 7))
    _superfluous(inc, rev, insts)
    background(inc, rev, insts)
    for k, t in enumerate(range(4050, int(END), 47)):
        inst = insts[k % 2]
        inc.request(t, 500, "/v1/reconcile", rev, inst, method="POST", latency=0.2)
        inc.structured(t + 0.2, {"level": "error", "msg": f"reconcile: drift detected for account acct_{8800 + k}: "
                                                        f"books=1200.00 bank=1180.00", "component": "reconciler"},
                       rev, inst, "ERROR")
    return inc.export(), expect(
        "unknown", "unexplained", RT, inc.service,
        "A business invariant (books vs bank drift) fails reconcile requests; nothing in the library can "
        "know it, and the window is failing.", state_not="ok")


def go_wrong_deploy() -> Result:
    """Two deploys; the second image was built for arm64 and cannot be executed."""
    inc, r1, insts = _service("upload-svc", 50, day(2025, 6, 16, 11))
    background(inc, r1, insts, end=2000)
    r2 = inc.revision(70)
    inc.deploy(1930, r2, r1, "europe-west1-docker.pkg.dev/acme-prod/media/upload-svc:2.4.0")
    i2 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i2):
        _log(inc, 1950 + k * 5, "listening on :8080", r2, i)
    background(inc, r2, i2, start=1960, cloudsql=False)
    r3 = inc.revision(71)
    inc.deploy(4400, r3, r2, "europe-west1-docker.pkg.dev/acme-prod/media/upload-svc:2.5.0",
               principal="dev-laptop@acme-prod.iam.gserviceaccount.com")
    for k in range(6):
        inst = inc.instance()
        inc.system(4420 + k * 200, "terminated: Application failed to start: failed to load /app/server: exec "
                                   "format error", r3, inst)
    return inc.export(), expect(
        "broken-build", "wrong-deploy", RT, inc.service,
        "The second deploy (2.5.0, pushed from a laptop) ships an arm64 binary; Cloud Run cannot execute it. "
        "The first deploy served cleanly.", trigger_revision=r3, mentions="exec format error", state_not="ok")


def go_app_exception_http_panic() -> Result:
    """net/http recovers a handler panic (index out of range in /app/main.go) and drops the connection."""
    inc, rev, insts = _service("catalog-svc", 51, day(2025, 7, 1, 9))
    background(inc, rev, insts)
    panic = captured("go_http_panic.txt")
    for k, t in enumerate(range(3900, int(END), 37)):
        inst = insts[k % 2]
        inc.request(t, 503, "/api/sku?code=ab-12-x", rev, inst, latency=0.002, text=MALFORMED)
        ts = inc.at(t).strftime("%Y/%m/%d %H:%M:%S")
        inc.block(t + 0.001, ts + " " + panic.replace("127.0.0.1:48388", f"169.254.8.1:{40000 + k}"), rev, inst)
    return inc.export(), expect(
        "application-exception", "app-exception", RT, inc.service,
        "parseSKU in /app/main.go indexes a 3-part code at [3]; net/http recovers the panic and drops the "
        "connection, so Cloud Run answers 503.", mentions="index out of range")


def _gke_crash(inc: GkeIncident, t: float, pod: str, crash: str, path: str) -> None:
    """A GKE pod's container crashes: its stack on stderr, the kubelet's BackOff event, and the
    load balancer's 502s for the requests the pod dropped."""
    inc.block(t, crash, "", pod, "stderr")
    inc.event(t + 3, pod, "BackOff", f"Back-off restarting failed container {inc.service} in pod "
                                     f"{pod}_{inc.namespace}({inc._hex(8)}-{inc._hex(4)}-{inc._hex(4)}-{inc._hex(4)}-{inc._hex(12)})")
    for j in range(3):
        inc.request(t + j * 0.5, 502, path, "", None, latency=0.3,
                    text="backend_connection_closed_before_data_sent_to_client")


def go_gke_crashloop() -> Result:
    """GKE: the nil-pointer panic in a worker puts the pod in CrashLoopBackOff; the load balancer answers 502."""
    inc = GkeIncident("pricing-engine", 52, day(2025, 7, 18, 22))
    pods = [inc.pod("7b5d9c6f8"), inc.pod("7b5d9c6f8")]
    for p in pods:
        _log(inc, 1.0, "listening on :8080", "", p)
    background(inc, "", pods, cloudsql=False)
    crash = captured("go_nil_panic.txt")
    for k, t in enumerate(range(3700, int(END), 330)):
        _gke_crash(inc, t, pods[k % 2], crash, "/v1/price")
    return inc.export(), expect(
        "application-exception", "symptom-chain", RT, inc.service,
        "A worker goroutine in the service's own code dereferences nil; the container exits 2 and kubelet "
        "backs off restarting it while the load balancer answers 502.", platform="gke", mentions="nil pointer")


def go_gke_rollout_panic() -> Result:
    """GKE: a rollout's new pods panic on a nil map at start and crash-loop; the old ReplicaSet keeps
    some capacity, so the load balancer answers part of the requests with 502."""
    inc = GkeIncident("quote-engine", 54, day(2025, 7, 21, 9))
    old = [inc.pod("6c9f7d8b5"), inc.pod("6c9f7d8b5")]
    for p in old:
        _log(inc, 1.0, "listening on :8080", "", p)
    background(inc, "", old, cloudsql=False)
    inc.rollout(3690, "europe-west1-docker.pkg.dev/acme-prod/quotes/quote-engine:3.1.0")
    new = [inc.pod("5d8b7c6f4"), inc.pod("5d8b7c6f4")]
    crash = captured("go_nil_panic.txt")
    for k, t in enumerate(range(3710, int(END), 300)):
        pod = new[k % 2]
        _log(inc, t - 1, "listening on :8080", "", pod)
        _gke_crash(inc, t, pod, crash, "/v1/quote")
    return inc.export(), expect(
        "application-exception", "deploy-trigger", RT, inc.service,
        "The Deployment's patch rolls out ReplicaSet 5d8b7c6f4, whose pods dereference nil at start and "
        "crash-loop; the old ReplicaSet keeps serving what the load balancer still sends it.",
        platform="gke", trigger_revision="quote-engine-5d8b7c6f4", mentions="nil pointer")


def q_go_healthy() -> Result:
    """Two healthy hours."""
    inc, rev, insts = _service("media-svc", 53, day(2025, 8, 6, 12))
    background(inc, rev, insts, every=5)
    return inc.export(), expect(None, "quiet", RT, inc.service, "Healthy traffic only.")


def q_go_steady_warnings() -> Result:
    """Superfluous WriteHeader warnings and 404s at the same rate in both hours."""
    inc, rev, insts = _service("links-svc", 54, day(2025, 8, 14, 17))
    background(inc, rev, insts, not_found=0.07)
    _superfluous(inc, rev, insts, every=240)
    return inc.export(), expect(None, "quiet", RT, inc.service, "The same warnings at the same rate before.")


def q_go_deploy_clean() -> Result:
    """A Terraform (v2 UpdateService) deploy that starts cleanly."""
    inc, r1, insts = _service("audit-svc", 55, day(2025, 8, 26, 8))
    background(inc, r1, insts, end=4700)
    r2 = inc.revision(33)
    inc.deploy(4620, r2, r1, "europe-west1-docker.pkg.dev/acme-prod/core/audit-svc:3.3.1", api="v2",
               principal="terraform@acme-prod.iam.gserviceaccount.com")
    i2 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i2):
        _log(inc, 4640 + k * 4, "listening on :8080", r2, i)
    background(inc, r2, i2, start=4650, cloudsql=False)
    return inc.export(), expect(None, "quiet", RT, inc.service, "A clean v2 deploy; no errors.")


CASES = {f.__name__: f for f in (
    go_deploy_concurrent_map, go_deploy_localhost, go_symptom_chain_panic, go_deploy_panic_no_instance, go_symptom_alone_port,
    go_inner_wrap_refused, go_inner_429, go_change_tls, go_precursor_gc, go_unexplained, go_wrong_deploy,
    go_app_exception_http_panic, go_gke_crashloop, go_gke_rollout_panic, q_go_healthy, q_go_steady_warnings, q_go_deploy_clean,
)}
