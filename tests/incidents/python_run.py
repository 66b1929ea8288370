# ruff: noqa: E501  (verbatim log lines and stack frames are longer than a code line)
"""Python services on Cloud Run (uvicorn/FastAPI, gunicorn/Flask): incidents and quiet windows.

Wording sources (each line below is copied from what the named software prints):
- uvicorn start-up and access lines: https://github.com/encode/uvicorn/blob/master/uvicorn/server.py,
  uvicorn/lifespan/on.py ("Waiting for application startup.", "Application startup complete.") and
  uvicorn/protocols/http/h11_impl.py ('%s - "%s %s HTTP/%s" %d', "Invalid HTTP request received.")
- gunicorn: https://github.com/benoitc/gunicorn/blob/master/gunicorn/arbiter.py ("WORKER TIMEOUT (pid:%s)",
  "Worker (pid:%s) was sent SIGKILL! Perhaps out of memory?", "Booting worker with pid: %s")
- tracebacks: captured/*.txt (see captured/README.md), produced by running the programs
- setuptools' pkg_resources warning: https://github.com/pypa/setuptools/blob/main/pkg_resources/__init__.py
- Cloud Run platform lines: builder.py (troubleshooting doc and shared/docs/gcp-logging.md section 4)
"""

from __future__ import annotations

from typing import Any

from tests.incidents.builder import (
    MALFORMED,
    NOT_STARTED,
    Incident,
    captured,
    day,
    oom_line,
    startup_probe_failed,
)
from tests.incidents.common import END, background, expect, steady

RT = "python"
UVICORN_ACCESS = 'INFO:     {ip}:{port} - "{method} {path} HTTP/1.1" {status} {phrase}'
INVALID_HTTP = "WARNING:  Invalid HTTP request received."
PKG_RESOURCES = (
    "/usr/local/lib/python3.11/site-packages/google/rpc/__init__.py:18: UserWarning: pkg_resources is "
    "deprecated as an API. See https://setuptools.pypa.io/en/latest/pkg_resources.html. The pkg_resources "
    "package is slated for removal as early as 2025-11-30. Refrain from using this package or pin to "
    "Setuptools<81."
)
Result = tuple[list[dict[str, Any]], dict[str, Any]]
# A revision's STRIPE_API_KEY from the stripe-key secret, as a deploy's container env names it.
STRIPE_SECRET_ENV = [{"name": "STRIPE_API_KEY", "valueFrom": {"secretKeyRef": {"key": "latest", "name": "stripe-key"}}}]


def _uvicorn_start(inc: Incident, t: float, rev: str, inst: str, port: int = 8080, complete: bool = True) -> None:
    inc.text(t, "INFO:     Started server process [1]", rev, inst, "stderr")
    inc.text(t + 0.01, "INFO:     Waiting for application startup.", rev, inst, "stderr")
    inc.text(t + 0.4, PKG_RESOURCES, rev, inst, "stderr")
    if complete:
        inc.text(t + 1.1, "INFO:     Application startup complete.", rev, inst, "stderr")
        inc.text(t + 1.1, f"INFO:     Uvicorn running on http://0.0.0.0:{port} (Press CTRL+C to quit)", rev, inst,
                 "stderr")


def _service(name: str, seed: int, start: Any, n: int = 2) -> tuple[Incident, str, list[str]]:
    inc = Incident(name, seed, start)
    rev = inc.revision(17 + seed % 40)
    insts = [inc.instance() for _ in range(n)]
    for k, inst in enumerate(insts):
        _uvicorn_start(inc, 2.0 + k * 40, rev, inst)
    return inc, rev, insts


def _fail(inc: Incident, t: float, rev: str, inst: str, path: str, tb: str, status: int = 500,
          method: str = "GET") -> None:
    """One failing request: uvicorn's access line, the traceback one line per entry, the request log."""
    trace = inc.trace()
    lat = round(inc.rng.uniform(0.02, 0.3), 6)
    inc.request(t, status, path, rev, inst, method=method, latency=lat, trace=trace)
    inc.text(t + lat, f'INFO:     169.254.1.{inc.rng.randint(2, 250)}:{inc.rng.randint(30000, 60000)} - '
                      f'"{method} {path} HTTP/1.1" {status} Internal Server Error', rev, inst)
    inc.block(t + lat + 0.001, tb, rev, inst)


def py_deploy_typeerror() -> Result:
    """A deploy ships a discount refactor; every coupon checkout raises TypeError in app code."""
    inc, old, insts = _service("checkout-api", 1, day(2025, 3, 4, 9))
    steady(inc, INVALID_HTTP, old, insts, every=840)
    background(inc, old, insts, end=3900, access_log=UVICORN_ACCESS)
    new = inc.revision(43)
    inc.deploy(3840, new, old, "europe-west1-docker.pkg.dev/acme-prod/shop/checkout-api:2025.03.04-2")
    fresh = [inc.instance() for _ in range(2)]
    for k, inst in enumerate(fresh):
        _uvicorn_start(inc, 3866 + k * 20, new, inst)
    background(inc, new, fresh, start=3890, access_log=UVICORN_ACCESS, cloudsql=False,
               paths=("/api/checkout/sku-1", "/api/cart", "/api/health"))
    tb = captured("py_fastapi_typeerror.txt")
    for k, t in enumerate(range(3905, int(END), 41)):
        _fail(inc, t, new, fresh[k % 2], "/api/checkout/sku-1?coupon=SPRING25", tb)
    return inc.export(), expect(
        "application-exception", "deploy-trigger", RT, inc.service,
        "Revision 43 passes None as the discount when a coupon is given; apply_discount raises TypeError on "
        "every coupon checkout from the deploy on.", trigger_revision=new, mentions="TypeError")


def py_deploy_slow_init() -> Result:
    """A Terraform deploy adds a 1.9 GiB index load at start-up; new instances miss the startup probe."""
    inc, old, insts = _service("search-api", 2, day(2025, 3, 9, 14))
    steady(inc, INVALID_HTTP, old, insts, every=1100)
    background(inc, old, insts, end=3760, access_log=UVICORN_ACCESS)
    new = inc.revision(28)
    inc.deploy(3700, new, old, "europe-west1-docker.pkg.dev/acme-prod/search/search-api:4.2.0", api="v2",
               principal="terraform@acme-prod.iam.gserviceaccount.com", memory="4Gi")
    first = inc.instance()
    _uvicorn_start(inc, 3712, new, first, complete=False)
    inc.structured(3712.5, {"message": "loading embedding index gs://acme-search-models/index-2025-03.faiss "
                                       "(1.9 GiB)", "logger": "search.index"}, new, first, "INFO")
    _uvicorn_start(inc, 3712 + 221, new, first)  # the first one just made it (221 s < 240 s)
    background(inc, new, [first], start=3935, access_log=UVICORN_ACCESS, cloudsql=False, every=9)
    for _k, t in enumerate(range(3990, int(END) - 260, 170)):
        inst = inc.instance()
        _uvicorn_start(inc, t, new, inst, complete=False)
        inc.structured(t + 0.5, {"message": "loading embedding index gs://acme-search-models/index-2025-03."
                                            "faiss (1.9 GiB)", "logger": "search.index"}, new, inst, "INFO")
        inc.system(t + 240, startup_probe_failed("search-api-1", 8080), new, inst)
        for j in range(3):
            inc.request(t + 5 + j * 70, 500, "/api/search?q=winter+boots", new, None, latency=238.0,
                        text=NOT_STARTED)
    return inc.export(), expect(
        "startup-timeout", "deploy-trigger", RT, inc.service,
        "The new revision loads a 1.9 GiB index before listening; scale-out instances take longer than the "
        "240 s startup probe and never start, so requests routed to them fail.", trigger_revision=new)


def py_symptom_chain_oom() -> Result:
    """Instances breach 1 GiB building large exports; Cloud Run kills them and in-flight requests get 503."""
    inc, rev, insts = _service("reports-api", 3, day(2025, 4, 2, 7), n=3)
    steady(inc, INVALID_HTTP, rev, insts, every=700)
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    for _k, t in enumerate(range(3790, int(END), 230)):
        inst = inc.instance()
        _uvicorn_start(inc, t - 200, rev, inst)
        inc.system(t, oom_line(1024, 1024 + inc.rng.randint(3, 90)), rev, inst)
        inc.system(t + 0.3, "Container terminated on signal 9.", rev, inst, "WARNING")
        for _j in range(inc.rng.randint(1, 3)):
            inc.request(t - inc.rng.uniform(2, 20), 503, "/api/reports/export?format=xlsx", rev, inst,
                        latency=round(inc.rng.uniform(2, 20), 3), text=MALFORMED)
    return inc.export(), expect(
        "memory-limit-exceeded", "symptom-chain", RT, inc.service,
        "Large xlsx exports push instances over the 1 GiB limit; Cloud Run kills them (signal 9) and the "
        "requests they were serving end in 503.")


def py_symptom_alone_memory() -> Result:
    """Only the platform speaks: memory-limit lines and requests it terminated for using too much memory."""
    inc, rev, insts = _service("thumbs-api", 4, day(2025, 4, 11, 22))
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    oom_req = ("While handling this request, the container instance was found to be using too much memory and "
               "was terminated. This is likely to cause a new container instance to be used for the next request "
               "to this revision. If you see this message frequently, you may have a memory leak in your code or "
               "may need more memory. Consider creating a new revision with more memory.")
    for t in range(3720, int(END), 290):
        inst = inc.instance()
        inc.system(t, oom_line(2048, 2048 + inc.rng.randint(20, 120), unit="M"), rev, inst)
        inc.request(t - 3.2, 500, "/api/thumbnails?src=gs%3A%2F%2Facme-media%2Fraw%2Fimg-88121.tiff", rev,
                    inst, latency=3.2, text=oom_req)
    return inc.export(), expect(
        "memory-limit-exceeded", "symptom-alone", RT, inc.service,
        "Cloud Run reports 'Memory limit of 2048M exceeded' and terminated requests for using too much "
        "memory; its memory-limits doc names the cause: the instance needs more memory than its limit.")


def py_inner_sqlalchemy_refused() -> Result:
    """SQLAlchemy wraps psycopg2's 'Connection refused' to the database's private IP; the database is up."""
    inc, rev, insts = _service("orders-api", 5, day(2025, 5, 6, 11))
    steady(inc, INVALID_HTTP, rev, insts, every=900)
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    tb = captured("py_sqlalchemy_refused.txt").replace("127.0.0.1", "10.41.0.3")
    for k, t in enumerate(range(3725, int(END), 33)):
        _fail(inc, t, rev, insts[k % 2], f"/api/orders/{4100 + k}", tb)
    return inc.export(), expect(
        "network-connectivity", "inner-cause", RT, inc.service,
        "Connections to the database at 10.41.0.3:5432 are refused while Cloud SQL keeps logging normal "
        "checkpoints: the path to the database, not the database, fails; SQLAlchemy's OperationalError only "
        "wraps it.", mentions="refused")


def py_inner_tenacity_429() -> Result:
    """A tenacity retry wrapper gives up (RetryError) on a partner API that answers 429."""
    inc, rev, insts = _service("pricing-api", 6, day(2025, 5, 14, 16))
    steady(inc, INVALID_HTTP, rev, insts, every=800)
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    tb = captured("py_tenacity_429.txt").replace("http://127.0.0.1:18429", "https://api.fxpartner.example")
    for k, t in enumerate(range(3660, int(END), 47)):
        _fail(inc, t, rev, insts[k % 2], "/api/quotes/sku-9", tb)
    return inc.export(), expect(
        "quota-or-rate-limit", "inner-cause", RT, inc.service,
        "The partner quote API rate-limits the service (HTTP 429); the outer tenacity RetryError only says "
        "the retries ran out.", mentions="429")


def py_change_tls_expired() -> Result:
    """Steady 429 retry errors were always there; what begins with the incident is an expired certificate."""
    inc, rev, insts = _service("fx-api", 7, day(2025, 6, 1, 5))
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    old_noise = captured("py_tenacity_429.txt").replace("http://127.0.0.1:18429", "https://api.fxpartner.example")
    for k, t in enumerate(range(20, int(END), 61)):  # ~59 per hour in both hours
        _fail(inc, t, rev, insts[k % 2], "/api/quotes/sku-9", old_noise)
    tls = captured("py_requests_tls_expired.txt").replace("host='localhost', port=18443", "host='rates.ecb-mirror.example', port=443")
    for k, t in enumerate(range(3600 + 840, int(END), 140)):
        _fail(inc, t, rev, insts[k % 2], "/api/rates", tls)
    return inc.export(), expect(
        "tls-certificate", "change-over-volume", RT, inc.service,
        "The rates provider's certificate expired 14 minutes into the hour and every /api/rates call fails "
        "verification; the larger volume of 429 errors ran at the same rate in the hour before.",
        mentions="certificate")


def py_precursor_leak() -> Result:
    """An unbounded per-process cache grows for 40 minutes (RSS, GC, latency) until Cloud Run kills the instance."""
    inc = Incident("feed-api", 8, day(2025, 6, 17, 12))
    rev = inc.revision(61)
    inst = inc.instance()
    inc.text(1.0, "[2025-06-17 12:00:01 +0000] [1] [INFO] Starting gunicorn 23.0.0", rev, inst, "stderr")
    inc.text(1.0, "[2025-06-17 12:00:01 +0000] [1] [INFO] Listening at: http://0.0.0.0:8080 (1)", rev, inst, "stderr")
    inc.text(1.0, "[2025-06-17 12:00:01 +0000] [1] [INFO] Using worker: uvicorn.workers.UvicornWorker", rev, inst, "stderr")
    inc.text(1.1, "[2025-06-17 12:00:01 +0000] [7] [INFO] Booting worker with pid: 7", rev, inst, "stderr")
    steady(inc, INVALID_HTTP, rev, [inst], every=900)
    inc.healthy_cloudsql()
    t = 3.0
    leak_from, kill_at = 3600 + 420, 3600 + 420 + 2460  # 41 minutes of growth
    while t < END:
        grow = max(0.0, min(1.0, (t - leak_from) / (kill_at - leak_from))) if t < kill_at else 0.0
        lat = 0.04 + 4.5 * grow ** 2 + inc.rng.uniform(0, 0.03)
        status = 404 if inc.rng.random() < 0.03 else 200
        inc.request(t, status, "/favicon.ico" if status == 404 else "/api/feed?page=1", rev, inst, latency=lat)
        t += inc.rng.uniform(4, 8)
    for m in range(0, int(END) // 60):
        at = m * 60 + 30.0
        grow = max(0.0, min(1.0, (at - leak_from) / (kill_at - leak_from))) if at < kill_at else 0.05
        inc.structured(at, {"message": "process stats", "logger": "feed.metrics", "rss_mb": int(310 + 700 * grow),
                            "gc_gen2_collections": 40 + m // 3 + int(300 * grow),
                            "gc_pause_ms_p99": round(3 + 260 * grow ** 2, 1), "cache_entries": int(1200 + 4_800_000 * grow)},
                       rev, inst, "WARNING" if grow > 0.6 else "INFO")
    for _k, at in enumerate((kill_at - 300, kill_at - 170, kill_at - 60)):
        inc.text(at, f"[2025-06-17 13:{int((at - 3600) // 60):02d}:{int(at % 60):02d} +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:7)", rev, inst, "stderr")
    inc.system(kill_at, oom_line(1024, 1031), rev, inst)
    inc.system(kill_at + 0.2, "Container terminated on signal 9.", rev, inst, "WARNING")
    for j in range(6):
        inc.request(kill_at - 30 + j * 5, 503, "/api/feed?page=1", rev, inst, latency=30 - j * 5, text=MALFORMED)
    after = inc.instance()
    inc.text(kill_at + 9, "[2025-06-17 13:48:09 +0000] [1] [INFO] Starting gunicorn 23.0.0", rev, after, "stderr")
    return inc.export(), expect(
        "memory-limit-exceeded", "precursors", RT, inc.service,
        "A per-process cache grows without bound for 41 minutes (RSS and GC pauses climb, responses slow, "
        "gunicorn reports worker timeouts) until the instance exceeds its 1024 MiB limit and is killed; "
        "the worker timeouts are a symptom of the leak.")


def py_unexplained_domain() -> Result:
    """Settlement calls start failing with a clearing-house rejection code only this company knows."""
    inc, rev, insts = _service("settlement-api", 9, day(2025, 7, 3, 18))
    steady(inc, INVALID_HTTP, rev, insts, every=900)
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    for k, t in enumerate(range(4200, int(END), 52)):
        trace = inc.trace()
        inst = insts[k % 2]
        inc.request(t, 502, "/api/settlements", rev, inst, method="POST", latency=0.81, trace=trace)
        inc.structured(t + 0.8, {"message": f"settlement batch rejected: clearing reply RJ42 SEQ_GAP for batch "
                                            f"2025-07-03-{40 + k:04d}", "logger": "settlement.clearing",
                                 "batch": f"2025-07-03-{40 + k:04d}", "reply_code": "RJ42"},
                       rev, inst, "ERROR", trace=trace)
    return inc.export(), expect(
        "unknown", "unexplained", RT, inc.service,
        "The clearing house rejects every batch with reply RJ42 SEQ_GAP, a code of this business that no "
        "pattern can explain; the window is failing, not quiet.", state_not="ok")


def py_wrong_deploy() -> Result:
    """Two deploys; the second drops STRIPE_API_KEY from the env and charges fail with KeyError."""
    inc, r1, insts = _service("billing-api", 10, day(2025, 7, 21, 8))
    background(inc, r1, insts, end=1560, access_log=UVICORN_ACCESS)
    r2 = inc.revision(52)
    inc.deploy(1500, r2, r1, "europe-west1-docker.pkg.dev/acme-prod/billing/billing-api:3.8.0",
               env=STRIPE_SECRET_ENV)
    i2 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i2):
        _uvicorn_start(inc, 1520 + k * 10, r2, i)
    steady(inc, INVALID_HTTP, r2, i2, every=900, offset=1600)
    background(inc, r2, i2, start=1545, end=4260, access_log=UVICORN_ACCESS, cloudsql=False)
    r3 = inc.revision(53)
    inc.deploy(4200, r3, r2, "europe-west1-docker.pkg.dev/acme-prod/billing/billing-api:3.9.0")
    i3 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i3):
        _uvicorn_start(inc, 4222 + k * 15, r3, i)
    background(inc, r3, i3, start=4250, access_log=UVICORN_ACCESS, cloudsql=False)
    frames = captured("py_flask_keyerror.txt").split("\n")[:9]  # Flask's dispatch frames, as printed
    tb = "\n".join([
        *frames,
        '  File "/app/billing/views.py", line 41, in create_charge',
        "    client = stripe_client()",
        "             ^^^^^^^^^^^^^^^",
        '  File "/app/billing/gateway.py", line 12, in stripe_client',
        '    return StripeClient(os.environ["STRIPE_API_KEY"])',
        "                        ~~~~~~~~~~^^^^^^^^^^^^^^^^^^",
        '  File "<frozen os>", line 679, in __getitem__',
        "KeyError: 'STRIPE_API_KEY'",
    ])
    for k, t in enumerate(range(4270, int(END), 38)):
        inst = i3[k % 2]
        inc.request(t, 500, "/api/charges", r3, inst, method="POST", latency=0.03)
        stamp = inc.at(t).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        inc.text(t + 0.02, f"[{stamp}] ERROR in app: Exception on /api/charges [POST]", r3, inst, "stderr")
        inc.block(t + 0.021, tb, r3, inst)
    return inc.export(), expect(
        "missing-configuration", "wrong-deploy", RT, inc.service,
        "The second deploy (revision 53) no longer mounts the stripe-key secret as STRIPE_API_KEY; every "
        "charge raises KeyError reading it. The first deploy, 45 minutes earlier, served cleanly.",
        trigger_revision=r3, mentions="STRIPE_API_KEY")


def py_app_exception_keyerror() -> Result:
    """A new destination region reaches a lookup table that lacks it: KeyError raised in /app code."""
    inc, rev, insts = _service("shipping-api", 11, day(2025, 8, 8, 10))
    steady(inc, INVALID_HTTP, rev, insts, every=900)
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    tb = captured("py_flask_keyerror.txt")
    for k, t in enumerate(range(4010, int(END), 44)):
        inst = insts[k % 2]
        inc.request(t, 500, "/api/shipments", rev, inst, method="POST", latency=0.02)
        stamp = inc.at(t).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        inc.text(t + 0.01, f"[{stamp}] ERROR in app: Exception on /api/shipments [POST]", rev, inst, "stderr")
        inc.block(t + 0.011, tb, rev, inst)
    return inc.export(), expect(
        "application-exception", "app-exception", RT, inc.service,
        "Orders to the new 'waw' region hit pick_warehouse in /app/app.py, whose table lacks that key: an "
        "unhandled KeyError in the service's own code under Flask's frames.", mentions="KeyError")


def py_mistyped_service() -> Result:
    """The user types invoice-api; the export only holds invoices-api."""
    inc, rev, insts = _service("invoices-api", 12, day(2025, 8, 19, 9))
    background(inc, rev, insts, access_log=UVICORN_ACCESS)
    return inc.export(), expect(
        None, "mistyped-service", RT, inc.service,
        "No entry carries service 'invoice-api'; rca must stop with exit 1 and name the service the file has.",
        service_arg="invoice-api", exit_code=1, mentions="invoices-api")


def q_py_healthy() -> Result:
    """Two healthy hours of a FastAPI service."""
    inc, rev, insts = _service("catalog-api", 13, day(2025, 9, 2, 6))
    background(inc, rev, insts, access_log=UVICORN_ACCESS, every=4)
    return inc.export(), expect(None, "quiet", RT, inc.service, "Healthy traffic only; nothing failed.")


def q_py_noise() -> Result:
    """Deprecation warnings, invalid-request warnings and 404s at the same rate in both hours."""
    inc, rev, insts = _service("profile-api", 14, day(2025, 9, 5, 13))
    background(inc, rev, insts, access_log=UVICORN_ACCESS, not_found=0.08)
    steady(inc, PKG_RESOURCES, rev, insts, every=600, offset=50)
    steady(inc, INVALID_HTTP, rev, insts, every=300, offset=75)
    return inc.export(), expect(None, "quiet", RT, inc.service,
                                "The same warnings and 404s ran at the same rate before; nothing changed.")


def q_py_deploy_clean() -> Result:
    """A deploy in the second hour; the new revision starts and serves cleanly."""
    inc, r1, insts = _service("notify-api", 15, day(2025, 9, 9, 15))
    background(inc, r1, insts, end=4380, access_log=UVICORN_ACCESS)
    r2 = inc.revision(90)
    inc.deploy(4300, r2, r1, "europe-west1-docker.pkg.dev/acme-prod/notify/notify-api:1.14.2")
    i2 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i2):
        _uvicorn_start(inc, 4318 + k * 12, r2, i)
    background(inc, r2, i2, start=4340, access_log=UVICORN_ACCESS, cloudsql=False)
    return inc.export(), expect(None, "quiet", RT, inc.service, "A clean deploy: no errors before or after.")


def _failed_rollout(inc: Incident, start: float, end: float, rev: str) -> None:
    """New instances of ``rev`` die at import (gunicorn's worker boot traceback: a module-level
    os.environ lookup of a variable the revision does not set), exit, and miss the startup probe;
    Cloud Run marks the revision not ready and keeps the traffic on the previous one."""
    boot = captured("py_gunicorn_boot_keyerror.txt")
    for t in range(int(start), int(end), 90):
        inst = inc.instance()
        inc.block(t, boot, rev, inst)
        inc.text(t + 0.3, "[2026-12-01 12:06:55 +0000] [1] [ERROR] Reason: Worker failed to boot.", rev, inst,
                 "stderr")
        inc.system(t + 0.4, "Container called exit(3).", rev, inst, "WARNING")
        inc.system(t + 2, startup_probe_failed("billing-api-1", 8080, "UNAVAILABLE"), rev, inst)
    inc.ready_false(end, rev, (
        "The user-provided container failed to start and listen on the port defined provided by the PORT=8080 "
        "environment variable within the allocated timeout. This can happen when the container port is "
        "misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this "
        "revision might contain more information."))


def py_rollout_failed_then_fixed() -> Result:
    """A deploy drops STRIPE_API_KEY; the new revision never starts and the old one keeps serving.
    Twenty minutes later a fixed deploy starts cleanly and serves to the end of the window."""
    inc, old, insts = _service("billing-api", 11, day(2025, 8, 4, 13))
    background(inc, old, insts, end=4900, access_log=UVICORN_ACCESS)
    bad = inc.revision(61)
    inc.deploy(3700, bad, old, "europe-west1-docker.pkg.dev/acme-prod/billing/billing-api:4.0.0")
    _failed_rollout(inc, 3720, 4500, bad)
    fixed = inc.revision(62)
    inc.deploy(4800, fixed, old, "europe-west1-docker.pkg.dev/acme-prod/billing/billing-api:4.0.1",
               env=STRIPE_SECRET_ENV)
    fresh = [inc.instance(), inc.instance()]
    for k, inst in enumerate(fresh):
        _uvicorn_start(inc, 4820 + k * 15, fixed, inst)
    background(inc, fixed, fresh, start=4850, access_log=UVICORN_ACCESS, cloudsql=False)
    return inc.export(), expect(
        "missing-configuration", "deploy-trigger", RT, inc.service,
        "Revision 61 reads STRIPE_API_KEY at import and the deploy did not set it: its instances never "
        "start. The old revision served throughout, and revision 62, which sets it, took over at 4800 s.",
        trigger_revision=bad, state="recovered")


def py_rollout_failed_still_out() -> Result:
    """The same failed rollout, with no fix by the end of the window: the old revision serving
    through it is not a recovery, the rollout is still broken."""
    inc, old, insts = _service("billing-api", 12, day(2025, 8, 5, 13))
    background(inc, old, insts, access_log=UVICORN_ACCESS)
    bad = inc.revision(71)
    inc.deploy(3700, bad, old, "europe-west1-docker.pkg.dev/acme-prod/billing/billing-api:4.1.0")
    _failed_rollout(inc, 3720, 4500, bad)
    return inc.export(), expect(
        "missing-configuration", "deploy-trigger", RT, inc.service,
        "Revision 71 reads STRIPE_API_KEY at import and the deploy did not set it: its instances never "
        "start; the old revision still serves, but nothing has fixed the rollout.",
        trigger_revision=bad, state="degraded")


CASES = {f.__name__: f for f in (
    py_deploy_typeerror, py_deploy_slow_init, py_symptom_chain_oom, py_symptom_alone_memory,
    py_inner_sqlalchemy_refused, py_inner_tenacity_429, py_change_tls_expired, py_precursor_leak,
    py_unexplained_domain, py_wrong_deploy, py_app_exception_keyerror, py_mistyped_service,
    py_rollout_failed_then_fixed, py_rollout_failed_still_out, q_py_healthy, q_py_noise, q_py_deploy_clean,
)}
