"""Incident 4: orders-worker crash-loops on a Secret Manager permission error (2025-08-21).

Plain text as ``docker compose logs -t``-less output prints it: ``<container>  | <line>``,
Python logging format ``%(asctime)s %(levelname)s %(name)s: %(message)s``, tracebacks over
many lines. The worker processes orders normally until 09:12, when v2.15.0 is rolled out and
the container restarts; the new start-up reads ``stripe-api-key`` from Secret Manager, the
worker's service account is denied ``secretmanager.versions.access``, the process exits 1 and
compose restarts it, again and again. Red herrings: Redis background-save chatter and a
periodic "Stripe webhook delivery retried" warning, both present before the rollout.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .common import utc

START = utc("2025-08-21T08:05:00")
ROLLOUT = utc("2025-08-21T09:12:41")
END = utc("2025-08-21T09:58:00")
SECRET = "projects/shop-prod/secrets/stripe-api-key/versions/latest"
SITE = "/usr/local/lib/python3.12/site-packages"


def pylog(ts: datetime, level: str, name: str, message: str) -> str:
    """Format one record as the worker's logging config does."""
    return f"{ts:%Y-%m-%d %H:%M:%S},{ts.microsecond // 1000:03d} {level} {name}: {message}"


def permission_traceback(ts: datetime) -> list[str]:
    """Return the google-api-core PermissionDenied traceback the worker prints on start-up."""
    denied = f"Permission 'secretmanager.versions.access' denied for resource '{SECRET}' (or it may not exist)."
    return f"""\
Traceback (most recent call last):
  File "{SITE}/google/api_core/grpc_helpers.py", line 76, in error_remapped_callable
    return callable_(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/grpc/_channel.py", line 1181, in __call__
    return _end_unary_response_blocking(state, call, False, None)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/grpc/_channel.py", line 1006, in _end_unary_response_blocking
    raise _InactiveRpcError(state)  # pytype: disable=not-instantiable
    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:
\tstatus = StatusCode.PERMISSION_DENIED
\tdetails = "{denied}"
\tdebug_error_string = "UNKNOWN:Error received from peer ipv4:142.250.74.74:443 {{grpc_message:"{denied}", grpc_status:7, created_time:"{ts.isoformat()}"}}"
>

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/orders_worker/__main__.py", line 12, in <module>
    main()
  File "/app/orders_worker/main.py", line 41, in main
    settings = load_settings()
               ^^^^^^^^^^^^^^^
  File "/app/orders_worker/config.py", line 58, in load_settings
    stripe_key = read_secret("stripe-api-key")
                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/orders_worker/config.py", line 29, in read_secret
    response = client.access_secret_version(request={{"name": name}})
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/google/cloud/secretmanager_v1/services/secret_manager_service/client.py", line 2213, in access_secret_version
    response = rpc(
               ^^^^
  File "{SITE}/google/api_core/gapic_v1/method.py", line 131, in __call__
    return wrapped_func(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/google/api_core/retry/retry_unary.py", line 293, in retry_wrapped_func
    return retry_target(
           ^^^^^^^^^^^^^
  File "{SITE}/google/api_core/retry/retry_unary.py", line 153, in retry_target
    _retry_error_helper(
  File "{SITE}/google/api_core/retry/retry_base.py", line 212, in _retry_error_helper
    raise final_exc from source_exc
  File "{SITE}/google/api_core/retry/retry_unary.py", line 144, in retry_target
    result = target()
             ^^^^^^^^
  File "{SITE}/google/api_core/timeout.py", line 130, in func_with_timeout
    return func(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/google/api_core/grpc_helpers.py", line 78, in error_remapped_callable
    raise exceptions.from_grpc_error(exc) from exc
google.api_core.exceptions.PermissionDenied: 403 {denied}""".split("\n")


class Orders:
    """Builds the orders-worker compose log."""

    def __init__(self) -> None:
        self.rng = random.Random(20250821)
        self.lines: list[tuple[datetime, int, str]] = []

    def emit(self, ts: datetime, container: str, text: str) -> None:
        """Record one compose-prefixed line."""
        width = len("orders-worker-1")
        self.lines.append((ts, len(self.lines), f"{container:<{width}}  | {text}"))

    def exited(self, ts: datetime, container: str, code: int) -> None:
        """Record compose's own unprefixed line for a container exit."""
        self.lines.append((ts, len(self.lines), f"{container} exited with code {code}"))

    def ms(self, lo: int, hi: int) -> timedelta:
        """Return a random delay in milliseconds."""
        return timedelta(milliseconds=self.rng.randint(lo, hi))

    def worker_start(self, ts: datetime, version: str) -> datetime:
        """Emit the worker's start-up lines up to loading settings; return the time after."""
        w = "orders-worker-1"
        self.emit(ts, w, pylog(ts, "INFO", "orders_worker", f"Starting orders-worker {version} (pid 1)"))
        ts += self.ms(5, 20)
        self.emit(ts, w, pylog(ts, "INFO", "orders_worker.config",
                               "Loading settings (env=production, project=shop-prod)"))
        return ts + self.ms(300, 900)

    def healthy(self) -> None:
        """Emit normal processing before the rollout."""
        w = "orders-worker-1"
        ts = START
        while ts < ROLLOUT:
            order = f"ord_{self.rng.randint(10**7, 10**8 - 1)}"
            ms = self.rng.randint(60, 420)
            self.emit(ts, w, pylog(ts, "INFO", "orders_worker.consumer", f"Received order {order} from queue orders"))
            ts2 = ts + timedelta(milliseconds=ms)
            self.emit(ts2, w, pylog(ts2, "INFO", "orders_worker.payments",
                                    f"Charged {order}: amount={self.rng.randint(500, 40000)} currency=eur "
                                    f"charge=ch_{self.rng.getrandbits(64):016x}"))
            ts3 = ts2 + self.ms(2, 9)
            self.emit(ts3, w, pylog(ts3, "INFO", "orders_worker.consumer", f"Processed order {order} in {ms}ms"))
            ts += timedelta(seconds=self.rng.expovariate(1 / 9.0))

    def crash_loop(self) -> None:
        """Emit the rollout restart and the crash loop that follows it."""
        w = "orders-worker-1"
        stop = ROLLOUT - timedelta(seconds=4)
        self.emit(stop, w, pylog(stop, "INFO", "orders_worker", "Received SIGTERM, draining consumer"))
        done = stop + self.ms(200, 400)
        self.emit(done, w, pylog(done, "INFO", "orders_worker", "Shutdown complete"))
        self.exited(stop + self.ms(500, 700), w, 0)
        ts, delay = ROLLOUT, 1.0
        while ts < END:
            ts = self.worker_start(ts, "v2.15.0")
            self.emit(ts, w, pylog(ts, "CRITICAL", "orders_worker", "Fatal error during start-up"))
            for line in permission_traceback(ts):
                self.emit(ts, w, line)
            ts += self.ms(30, 80)
            self.exited(ts, w, 1)
            delay = min(delay * 2, 60.0)
            ts += timedelta(seconds=delay + self.rng.uniform(0.1, 0.9))

    def noise(self) -> None:
        """Emit Redis save chatter and webhook retry warnings for the whole window."""
        ts = START + timedelta(seconds=30)
        while ts < END:
            stamp = f"{ts.day} Aug {ts.year} {ts:%H:%M:%S}.{ts.microsecond // 1000:03d}"
            self.emit(ts, "redis-1", f"1:M {stamp} * 100 changes in 300 seconds. Saving...")
            self.emit(ts + self.ms(1, 3), "redis-1", f"1:M {stamp} * Background saving started by pid "
                                                     f"{self.rng.randint(100, 999)}")
            self.emit(ts + self.ms(30, 90), "redis-1", f"1:M {stamp} * Background saving terminated with success")
            ts += timedelta(seconds=300)
        ts = START + timedelta(seconds=95)
        while ts < END:
            self.emit(ts, "webhooks-1", pylog(ts, "WARNING", "webhooks.stripe",
                                              f"Stripe webhook delivery retried: evt_{self.rng.getrandbits(48):012x} "
                                              f"attempt={self.rng.randint(2, 4)} (upstream 502)"))
            ts += timedelta(seconds=self.rng.randint(200, 500))

    def build(self) -> str:
        """Build the whole log and return its text."""
        self.healthy()
        self.crash_loop()
        self.noise()
        ordered = sorted((t for t in self.lines if t[0] < END), key=lambda t: (t[0], t[1]))
        return "".join(line + "\n" for _, _, line in ordered)


def generate() -> str:
    """Return the orders-worker-2025-08-21.log text."""
    return Orders().build()
