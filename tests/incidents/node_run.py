# ruff: noqa: E501  (verbatim log lines and stack frames are longer than a code line)
"""Node.js services on Cloud Run (express, fastify) and one on GKE: incidents and quiet windows.

Wording sources:
- stacks, `[cause]` chains, fatal-exception and V8 heap-limit output: captured/node_*.txt (captured/README.md)
- `(node:1) [DEP0005] DeprecationWarning: Buffer() is deprecated ...`: printed by node v20.20.2 for
  `new Buffer(1)`; https://github.com/nodejs/node/blob/main/lib/buffer.js (bufferWarning)
- `--trace-gc` lines: the format node v20.20.2 prints (captured by running it; values vary here)
- Fastify start-up: "Server listening at http://0.0.0.0:8000" (https://github.com/fastify/fastify/blob/main/lib/server.js)
- Cloud Run and Kubernetes lines: builder.py; kubelet "Back-off restarting failed container"
  (https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/kuberuntime/kuberuntime_manager.go)
- Failed deploy: "Revision named '...' with different configuration already exists." (409 ALREADY_EXISTS,
  quoted from public deploy logs, e.g. https://github.com/firebase/firebase-tools/issues/10148)
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
    startup_probe_failed,
)
from tests.incidents.common import END, background, expect, steady

RT = "node"
DEP0005 = ("(node:1) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues. "
           "Please use the Buffer.alloc(), Buffer.allocUnsafe(), or Buffer.from() methods instead.\n"
           "(Use `node --trace-deprecation ...` to show where the warning was created)")
Result = tuple[list[dict[str, Any]], dict[str, Any]]


def _start(inc: Incident, t: float, rev: str, inst: str, port: int = 8080) -> None:
    inc.structured(t, {"level": 30, "pid": 1, "hostname": "localhost", "msg": f"Server listening at http://0.0.0.0:{port}"},
                   rev, inst, "INFO")
    inc.block(t + 0.3, DEP0005, rev, inst)


def _service(name: str, seed: int, start: Any, n: int = 2) -> tuple[Incident, str, list[str]]:
    inc = Incident(name, seed, start)
    rev = inc.revision(8 + seed % 50)
    insts = [inc.instance() for _ in range(n)]
    for k, inst in enumerate(insts):
        _start(inc, 1.5 + k * 30, rev, inst)
    return inc, rev, insts


def _fail(inc: Incident, t: float, rev: str, inst: str, path: str, stack: str, status: int = 500,
          method: str = "GET") -> None:
    inc.request(t, status, path, rev, inst, method=method, latency=round(inc.rng.uniform(0.01, 0.2), 6))
    inc.block(t + 0.01, stack, rev, inst)


def node_deploy_typeerror() -> Result:
    """A deploy changes the cart line-item shape; formatLineItems reads item.product.id of undefined."""
    inc, old, insts = _service("cart-api", 21, day(2025, 2, 10, 10))
    background(inc, old, insts, end=3980)
    new = inc.revision(74)
    inc.deploy(3920, new, old, "europe-west1-docker.pkg.dev/acme-prod/shop/cart-api:7.3.0")
    fresh = [inc.instance(), inc.instance()]
    for k, i in enumerate(fresh):
        _start(inc, 3941 + k * 9, new, i)
    background(inc, new, fresh, start=3960, cloudsql=False, paths=("/api/health", "/api/cart/7"))
    stack = captured("node_express_typeerror.txt")
    for k, t in enumerate(range(3975, int(END), 36)):
        _fail(inc, t, new, fresh[k % 2], f"/api/cart/{900 + k}", stack)
    return inc.export(), expect(
        "application-exception", "deploy-trigger", RT, inc.service,
        "Revision 74 reads item.product.id on cart items that have no product; express answers 500 with "
        "the TypeError from the service's own formatLineItems.", trigger_revision=new, mentions="TypeError")


def node_deploy_port() -> Result:
    """A deploy switches to fastify listening on 8000; Cloud Run probes 8080 and the revision never starts."""
    inc, old, insts = _service("web-bff", 22, day(2025, 2, 19, 15))
    background(inc, old, insts)
    new = inc.revision(31)
    inc.deploy(4000, new, old, "europe-west1-docker.pkg.dev/acme-prod/web/web-bff:2.0.0", api="v2",
               principal="github-deployer@acme-prod.iam.gserviceaccount.com")
    for k in range(3):
        inst = inc.instance()
        _start(inc, 4012 + k * 250, new, inst, port=8000)
        inc.system(4012 + k * 250 + 240, startup_probe_failed("web-bff-1", 8080), new, inst)
    inc.ready_false(4012 + 500, new, (
        "The user-provided container failed to start and listen on the port defined provided by the PORT=8080 "
        "environment variable within the allocated timeout. This can happen when the container port is "
        "misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this "
        "revision might contain more information."))
    return inc.export(), expect(
        "port-mismatch", "deploy-trigger", RT, inc.service,
        "The new revision's fastify server listens on 8000 while Cloud Run probes 8080; the revision never "
        "becomes ready (traffic stays on the old one).", trigger_revision=new, mentions="8000", state_not="ok")


def node_symptom_chain_crash() -> Result:
    """A promotions timer throws TypeError outside any handler; node exits and in-flight requests get 503."""
    inc, rev, insts = _service("promo-api", 23, day(2025, 3, 3, 6), n=3)
    background(inc, rev, insts)
    stack = captured("node_uncaught_typeerror.txt")
    for _k, t in enumerate(range(3730, int(END), 260)):
        inst = inc.instance()
        _start(inc, t - 120, rev, inst)
        inc.block(t, stack, rev, inst)
        inc.system(t + 0.05, "Container called exit(1).", rev, inst, "WARNING")
        for _j in range(inc.rng.randint(1, 3)):
            inc.request(t - inc.rng.uniform(0.2, 3), 503, "/api/promotions/apply", rev, inst, method="POST",
                        latency=round(inc.rng.uniform(0.2, 3), 3), text=MALFORMED)
    return inc.export(), expect(
        "application-exception", "symptom-chain", RT, inc.service,
        "applyPromotions in the service's own jobs/promotions.js throws TypeError from a timer; node exits(1) "
        "and the requests on that instance end in 503.", mentions="TypeError")


def node_symptom_alone_no_instance() -> Result:
    """Only request logs: 429 'no available instance' while the service sits at its max-instances."""
    inc, rev, insts = _service("events-api", 24, day(2025, 3, 21, 19), n=3)
    background(inc, rev, insts, every=3)
    for t in range(3700, int(END), 11):
        inc.request(t + inc.rng.uniform(0, 5), 429, "/v1/events", rev, None, method="POST", latency=0.001,
                    text=NO_INSTANCE)
    return inc.export(), expect(
        "quota-or-rate-limit", "symptom-alone", RT, inc.service,
        "Requests answered 429 'no available instance' (severity WARNING): per Cloud Run's troubleshooting "
        "docs the service hit its maximum instances.")


def node_inner_pg_refused() -> Result:
    """Errors wrap pg's ECONNREFUSED as [cause]; the database answers other clients."""
    inc, rev, insts = _service("carts-api", 25, day(2025, 4, 7, 9))
    background(inc, rev, insts)
    stack = captured("node_pg_cause.txt").replace("127.0.0.1", "10.52.0.7")
    for k, t in enumerate(range(3680, int(END), 29)):
        _fail(inc, t, rev, insts[k % 2], f"/api/carts/{k + 7}", stack.replace("cart 7", f"cart {k + 7}"))
    return inc.export(), expect(
        "network-connectivity", "inner-cause", RT, inc.service,
        "The outer 'failed to load cart' error wraps connect ECONNREFUSED 10.52.0.7:5432 while Cloud SQL logs "
        "normal activity: the path to the database is refused.", mentions="ECONNREFUSED")


def node_inner_axios_429() -> Result:
    """A retry loop gives up; its [cause] is an AxiosError with status 429 from the quote service."""
    inc, rev, insts = _service("quotes-bff", 26, day(2025, 4, 15, 13))
    background(inc, rev, insts)
    stack = captured("node_axios_429_cause.txt").replace("http://127.0.0.1:18429", "https://api.fxpartner.example")
    stack = stack.replace("127.0.0.1:18429", "api.fxpartner.example").replace("'127.0.0.1'", "'api.fxpartner.example'")
    for k, t in enumerate(range(3700, int(END), 58)):
        _fail(inc, t, rev, insts[k % 2], "/api/quote/sku-9", stack, status=502)
    return inc.export(), expect(
        "quota-or-rate-limit", "inner-cause", RT, inc.service,
        "The partner API answers 429 Too Many Requests; 'still failing after 3 attempts' is only the retry "
        "wrapper.", mentions="429")


def node_change_404_flood() -> Result:
    """A scanner floods 404s all hour; what matters is the payment provider's expired certificate."""
    inc, rev, insts = _service("storefront", 27, day(2025, 5, 2, 21))
    background(inc, rev, insts)
    probes = ("/wp-login.php", "/.env", "/.git/config", "/admin/config.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php")
    for k, t in enumerate(range(3610, int(END), 2)):
        inc.request(t + inc.rng.uniform(0, 1), 404, probes[k % len(probes)], rev, insts[k % 2], latency=0.003,
                    user_agent="Mozilla/5.0 zgrab/0.x")
    stack = captured("node_tls_expired.txt")
    for k, t in enumerate(range(3600 + 1260, int(END), 95)):
        _fail(inc, t, rev, insts[k % 2], "/api/checkout/pay", stack, status=502, method="POST")
    return inc.export(), expect(
        "tls-certificate", "change-over-volume", RT, inc.service,
        "From 21 minutes in, every payment call fails with 'certificate has expired' (CERT_HAS_EXPIRED); the "
        "far larger flood of 404s is a scanner and fails nothing.", mentions="certificate")


def node_precursor_heap() -> Result:
    """A render cache leaks for 40 minutes (trace-gc Mark-Compact climbing, slower renders) then V8 aborts."""
    inc = Incident("render-ssr", 28, day(2025, 5, 20, 11))
    rev = inc.revision(12)
    inst = inc.instance()
    _start(inc, 1.0, rev, inst)
    inc.healthy_cloudsql()
    leak_from, die_at = 3600 + 300, 3600 + 300 + 2500
    t = 3.0
    while t < END:
        g = max(0.0, min(1.0, (t - leak_from) / (die_at - leak_from))) if t < die_at else 0.0
        inc.request(t, 200, "/products/winter-boots", rev, inst, latency=0.06 + 3.5 * g ** 2 + inc.rng.uniform(0, 0.02))
        t += inc.rng.uniform(3, 7)
    for m in range(0, int(END) // 45):
        at = m * 45 + 20.0
        g = max(0.0, min(1.0, (at - leak_from) / (die_at - leak_from))) if at < die_at else 0.02
        heap = 60 + 1800 * g
        kind = "Mark-Compact" if g > 0.3 else "Scavenge"
        pause = 1.5 + 900 * g ** 2 if kind == "Mark-Compact" else 2.1 + 10 * g
        inc.text(at, f"[1:0x6d4a2c0] {int(at * 1000):>8} ms: {kind} {heap:.1f} ({heap * 1.08:.1f}) -> "
                     f"{heap * 0.97:.1f} ({heap * 1.1:.1f}) MB, {pause:.2f} / 0.00 ms  (average mu = "
                     f"{max(0.1, 0.99 - g):.3f}, current mu = {max(0.05, 0.98 - g):.3f}) allocation failure; "
                     + ("scavenge might not succeed" if g > 0.7 else ""), rev, inst, "stderr")
    inc.block(die_at, captured("node_heap_oom.txt").replace("21414:0xd2a2ca0", "1:0x6d4a2c0"), rev, inst)
    inc.system(die_at + 0.2, "Container terminated on signal 6.", rev, inst, "WARNING")
    for j in range(5):
        inc.request(die_at - 20 + j * 4, 503, "/products/winter-boots", rev, inst, latency=20 - j * 4, text=MALFORMED)
    return inc.export(), expect(
        "memory-limit-exceeded", "precursors", RT, inc.service,
        "The heap grows for 42 minutes (ever longer Mark-Compact pauses, slower renders) until V8 aborts with "
        "'JavaScript heap out of memory' and Cloud Run sees signal 6; requests on the instance get 503.")


def node_unexplained_failed_deploy() -> Result:
    """A deploy is rejected by the API; nothing in the library explains why, but the window is not ok."""
    inc, rev, insts = _service("admin-ui", 29, day(2025, 6, 10, 8))
    background(inc, rev, insts)
    inc.deploy(4500, "admin-ui-00031-v2", rev, "europe-west1-docker.pkg.dev/acme-prod/web/admin-ui:5.1.0",
               status={"code": 6, "message": "Revision named 'admin-ui-00031-v2' with different configuration "
                                            "already exists."})
    inc.deploy(4620, "admin-ui-00031-v2", rev, "europe-west1-docker.pkg.dev/acme-prod/web/admin-ui:5.1.0",
               status={"code": 6, "message": "Revision named 'admin-ui-00031-v2' with different configuration "
                                            "already exists."})
    return inc.export(), expect(
        "unknown", "unexplained", RT, inc.service,
        "Two deploys are rejected (the pinned revision name already exists with another config); no pattern "
        "covers it, and a failed deploy is never 'ok'.", state_not="ok")


def node_wrong_deploy() -> Result:
    """Two deploys; the second image lacks a dependency and every new instance dies at require()."""
    inc, r1, insts = _service("accounts-api", 30, day(2025, 6, 24, 14))
    background(inc, r1, insts, end=1300)
    r2 = inc.revision(45)
    inc.deploy(1240, r2, r1, "europe-west1-docker.pkg.dev/acme-prod/core/accounts-api:9.0.1")
    i2 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i2):
        _start(inc, 1255 + k * 7, r2, i)
    background(inc, r2, i2, start=1270, cloudsql=False)
    r3 = inc.revision(46)
    inc.deploy(4100, r3, r2, "europe-west1-docker.pkg.dev/acme-prod/core/accounts-api:9.1.0")
    crash = captured("node_module_not_found.txt")
    for _k, t in enumerate(range(4115, int(END), 300)):
        inst = inc.instance()
        inc.block(t, crash, r3, inst)
        inc.system(t + 0.1, "Container called exit(1).", r3, inst, "WARNING")
        inc.system(t + 0.2, startup_probe_failed("accounts-api-1", 8080, "CANCELLED"), r3, inst)
    return inc.export(), expect(
        "broken-build", "wrong-deploy", RT, inc.service,
        "The second deploy's image (9.1.0) lacks dotenv-flow in node_modules; every instance of revision 46 "
        "dies at require(). The first deploy (9.0.1) is healthy.", trigger_revision=r3, mentions="dotenv-flow")


def node_app_exception() -> Result:
    """TypeError raised in /usr/src/app code under express frames from node_modules, no deploy."""
    inc, rev, insts = _service("basket-api", 31, day(2025, 7, 8, 17))
    background(inc, rev, insts)
    stack = captured("node_express_typeerror.txt")
    for k, t in enumerate(range(4300, int(END), 40)):
        _fail(inc, t, rev, insts[k % 2], f"/api/cart/{k}", stack)
    return inc.export(), expect(
        "application-exception", "app-exception", RT, inc.service,
        "Carts with a line whose product was deleted reach formatLineItems in /usr/src/app/server.js, which "
        "reads .id of undefined: a TypeError in the service's own code.", mentions="TypeError")


def node_gke_heap_oom() -> Result:
    """GKE: a Node pod's heap runs out; V8 aborts, kubelet backs off, the load balancer answers 502."""
    inc = GkeIncident("recs-api", 32, day(2025, 7, 15, 3))
    pods = [inc.pod("6d9c7b8f4d"), inc.pod("6d9c7b8f4d")]
    for p in pods:
        inc.text(1.0, "Server listening at http://0.0.0.0:8080", "", p)
    background(inc, "", pods, cloudsql=False)
    oom = captured("node_heap_oom.txt").replace("21414:0xd2a2ca0", "1:0x5f3e9c0")
    for k, t in enumerate(range(3800, int(END), 400)):
        pod = pods[k % 2]
        inc.block(t, oom, "", pod, "stderr")
        inc.event(t + 2, pod, "BackOff", f"Back-off restarting failed container {inc.service} in pod "
                                         f"{pod}_{inc.namespace}({inc._hex(8)}-{inc._hex(4)}-{inc._hex(4)}-{inc._hex(4)}-{inc._hex(12)})")
        for j in range(4):
            inc.request(t - 1 + j * 0.3, 502, "/v1/recommendations", "", None, latency=0.4,
                        text="backend_connection_closed_before_data_sent_to_client")
    return inc.export(), expect(
        "memory-limit-exceeded", "symptom-chain", RT, inc.service,
        "The pod's V8 heap reaches its limit and the process aborts; kubelet restarts it and the load balancer "
        "answers 502 while it is down.", platform="gke")


def node_mistyped_service() -> Result:
    """The user types 'cart'; the file holds cart-api (and Cloud SQL lines, which carry no service)."""
    inc, rev, insts = _service("cart-api", 33, day(2025, 7, 29, 12))
    background(inc, rev, insts)
    return inc.export(), expect(
        None, "mistyped-service", RT, inc.service,
        "No entry carries service 'cart'; entries without a service (Cloud SQL) do not make it present.",
        service_arg="cart", exit_code=1, mentions="cart-api")


def q_node_healthy() -> Result:
    """Two healthy hours of an express service."""
    inc, rev, insts = _service("search-bff", 34, day(2025, 8, 4, 10))
    background(inc, rev, insts, every=4)
    return inc.export(), expect(None, "quiet", RT, inc.service, "Healthy traffic only.")


def q_node_client_4xx() -> Result:
    """A few 400/401s and steady 404s: clients' mistakes, not a failure."""
    inc, rev, insts = _service("auth-bff", 35, day(2025, 8, 12, 16))
    background(inc, rev, insts, not_found=0.06)
    for k, t in enumerate(range(200, int(END), 410)):
        inc.request(t, 401 if k % 2 else 400, "/api/session", rev, insts[k % 2], method="POST", latency=0.004)
    return inc.export(), expect(None, "quiet", RT, inc.service, "Client 4xx at the same rate in both hours.")


def q_node_deprecation() -> Result:
    """DEP0005 warnings every few minutes in both hours (a dependency calls new Buffer())."""
    inc, rev, insts = _service("media-api", 36, day(2025, 8, 21, 7))
    background(inc, rev, insts)
    steady(inc, DEP0005, rev, insts, every=240, offset=33)
    return inc.export(), expect(None, "quiet", RT, inc.service, "The same deprecation warning, same rate.")


CASES = {f.__name__: f for f in (
    node_deploy_typeerror, node_deploy_port, node_symptom_chain_crash, node_symptom_alone_no_instance,
    node_inner_pg_refused, node_inner_axios_429, node_change_404_flood, node_precursor_heap,
    node_unexplained_failed_deploy, node_wrong_deploy, node_app_exception, node_gke_heap_oom,
    node_mistyped_service, q_node_healthy, q_node_client_4xx, q_node_deprecation,
)}
