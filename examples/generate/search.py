"""Incident 5: search-api fails with an error no known failure mode explains (2025-07-30).

Gunicorn + Flask, text logs on stderr without severity, tracebacks split one entry per line.
From 10:32, with no deploy, no platform message and no dependency error, most /v2/search
requests fail with a novel ``RankerShardMapError: ranker shard map checksum mismatch`` and
answer 500. The honest answer for a tool is ``unknown``, surfacing the new message template
as an unexplained signal. Noise all along: slow-query warnings and gunicorn access lines.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .common import RUN_STDERR, RUN_STDOUT, RunService, Sink, utc

PROJECT = "findly-prod"
SERVICE = "search-api"
REVISION = "search-api-00131-wob"
URL = "https://search-api-q2xk7mnb4a-uc.a.run.app"
START = utc("2025-07-30T09:30:00")
ONSET = utc("2025-07-30T10:32:14")
END = utc("2025-07-30T11:05:00")
SITE = "/usr/local/lib/python3.12/site-packages"


def traceback_text(expected: str, got: str, version: int) -> str:
    """Return the Flask-logged traceback of the novel ranker error."""
    return f"""\
[{{ts}}] ERROR in app: Exception on /v2/search [GET]
Traceback (most recent call last):
  File "{SITE}/flask/app.py", line 1511, in wsgi_app
    response = self.full_dispatch_request()
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/flask/app.py", line 919, in full_dispatch_request
    rv = self.handle_user_exception(e)
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/flask/app.py", line 917, in full_dispatch_request
    rv = self.dispatch_request()
         ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/flask/app.py", line 902, in dispatch_request
    return self.ensure_sync(self.view_functions[rule.endpoint])(**view_args)  # type: ignore[no-any-return]
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/search_api/views.py", line 88, in search
    hits = ranker.rank(query, candidates)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/search_api/ranking/ranker.py", line 142, in rank
    shard = self.shards.locate(doc.shard_key)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/search_api/ranking/shards.py", line 67, in locate
    self._verify(mapping)
  File "/srv/search_api/ranking/shards.py", line 91, in _verify
    raise RankerShardMapError(
search_api.ranking.shards.RankerShardMapError: ranker shard map checksum mismatch: expected {expected}, got {got} \
(shard_map_version={version})"""


class Search:
    """Builds the search-api export."""

    def __init__(self) -> None:
        self.rng = random.Random(20250730)
        self.sink = Sink(PROJECT, self.rng, cutoff=END)
        self.svc = RunService(self.sink, SERVICE, "us-central1", URL)
        self.iids = [self.sink.instance_id() for _ in range(3)]

    def request(self, ts: datetime) -> None:
        """Emit one search request: access line, request log, and on failure the traceback."""
        iid = self.rng.choice(self.iids)
        q = self.rng.choice(["running+shoes", "usb-c+hub", "tent", "espresso+grinder", "rain+jacket", "desk+lamp"])
        path = f"/v2/search?q={q}&page={self.rng.randint(1, 3)}"
        status, latency = 200, self.rng.uniform(0.04, 0.3)
        if ts >= ONSET and self.rng.random() < 0.5:
            status, latency = 500, self.rng.uniform(0.01, 0.05)
            stamp = f"{ts:%Y-%m-%d %H:%M:%S},{ts.microsecond // 1000:03d}"
            text = traceback_text("9f3c1d07", self.rng.choice(["1a7e44b2", "1a7e44b2", "c0d9e215"]), 4412)
            self.svc.lines(ts + timedelta(seconds=latency * 0.8), RUN_STDERR, REVISION, iid,
                           text.replace("{ts}", stamp))
        elif self.rng.random() < 0.04:
            latency = self.rng.uniform(1.2, 2.8)
            self.svc.text(ts + timedelta(seconds=latency), RUN_STDERR, REVISION, iid,
                          f"WARNING:search_api.store:slow query on catalog_items ({latency * 1000:.0f} ms, "
                          f"rows={self.rng.randint(200, 5000)})")
        end = ts + timedelta(seconds=latency)
        self.svc.text(end, RUN_STDOUT, REVISION, iid,
                      f'169.254.169.126 - - [{end:%d/%b/%Y:%H:%M:%S} +0000] "GET {path} HTTP/1.1" {status} '
                      f'{self.rng.randint(300, 9000) if status == 200 else 265} "-" "findly-web/5.2"')
        self.svc.request(ts, REVISION, iid, "GET", path, status, latency, "findly-web/5.2",
                         f"10.{self.rng.randint(0, 9)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}")

    def build(self) -> str:
        """Build the whole export and return its JSON text."""
        ts = START
        while ts < END:
            self.request(ts)
            ts += timedelta(seconds=self.rng.expovariate(1 / 10.0))
        return self.sink.render()


def generate() -> str:
    """Return the search-api-unknown-2025-07-30.json export text."""
    return Search().build()
