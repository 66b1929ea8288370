"""The numbers behind the verdict, read from the `entries` table: traffic, failures, the trigger.

rca/reasoning/verdict.py decides from these values; this module is the one that asks the store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from rca.engine.match import Hit
from rca.library.knowledge import Knowledge, load_knowledge
from rca.model import (
    Category,
    Estimate,
    Finding,
    Layer,
    Pattern,
    Role,
    Severity,
    Status,
    Trigger,
    Verdict,
    Window,
)
from rca.podnames import POD_LISTING_ROW, is_pod_of
from rca.reasoning import chain, verdict
from rca.reasoning.deploys import TRIGGER_LEAD, Deploy, DeployInfo, creator, previous_revision, serving_since
from rca.reasoning.verdict import RECENT, STOP_EVIDENCE, STOP_QUIET
from rca.severity import TEXT_LEVEL_RE2
from rca.timeutil import EPOCH, Periods, naive_utc, parse_rfc3339, rfc3339

NOISE_SHARE = 5  # noise fails requests at most a fifth as often as the incident after its step
STARTUP_FAILURE = "startup-failure"  # the symptom kind (patterns/schema.json) of a start-up that failed


_TRAFFIC = """
    SELECT count(*) FILTER (WHERE in_window AND http_status IS NOT NULL),
           count(*) FILTER (WHERE in_window AND request_failed(http_status, message)),
           count(*) FILTER (WHERE NOT in_window AND http_status IS NOT NULL),
           count(*) FILTER (WHERE NOT in_window AND request_failed(http_status, message)),
           count(*) FILTER (WHERE in_window AND http_status IS NOT NULL AND ts >= $since),
           count(*) FILTER (WHERE in_window AND request_failed(http_status, message) AND ts >= $since),
           count(*) FILTER (WHERE in_window AND error_entry(severity_num, message)),
           count(*) FILTER (WHERE NOT in_window AND error_entry(severity_num, message)),
           min(ts) FILTER (WHERE in_window AND request_failed(http_status, message)),
           max(ts) FILTER (WHERE in_window AND request_failed(http_status, message)),
           min(ts) FILTER (WHERE in_window AND error_entry(severity_num, message)),
           max(ts) FILTER (WHERE in_window AND error_entry(severity_num, message)),
           count(*) FILTER (WHERE in_window AND http_status < 500 AND request_failed(http_status, message)),
           median(http_latency_s) FILTER (WHERE in_window AND request_failed(http_status, message)),
           count(DISTINCT floor(epoch(ts) / $moment))
             FILTER (WHERE in_window AND request_failed(http_status, message)),
           min(ts) FILTER (WHERE in_window AND http_status IS NOT NULL),
           max(ts) FILTER (WHERE in_window AND http_status IS NOT NULL),
           count(DISTINCT floor(epoch(ts) / $span))
             FILTER (WHERE in_window AND http_status IS NOT NULL AND ts < $since),
           -- how long answered requests took: in the recent period, in the baseline, and in the
           -- window before the recent period (`verdict.slow`), each with how many gave a latency
           median(http_latency_s) FILTER (WHERE in_window AND ts >= $since AND answered),
           count(http_latency_s) FILTER (WHERE in_window AND ts >= $since AND answered),
           median(http_latency_s) FILTER (WHERE NOT in_window AND answered),
           count(http_latency_s) FILTER (WHERE NOT in_window AND answered),
           median(http_latency_s) FILTER (WHERE in_window AND ts < $since AND answered),
           count(http_latency_s) FILTER (WHERE in_window AND ts < $since AND answered),
           -- the slowest quarter's least latency, in the recent period and in the baseline
           -- (`slow_spell`)
           quantile_cont(http_latency_s, 0.75) FILTER (WHERE in_window AND ts >= $since AND answered),
           quantile_cont(http_latency_s, 0.75) FILTER (WHERE NOT in_window AND answered),
           -- when the window's last request ended: its start plus its latency (`verdict._stopped`)
           max(ts + to_microseconds(CAST(coalesce(http_latency_s, 0) * 1e6 AS BIGINT)))
             FILTER (WHERE in_window AND http_status IS NOT NULL)
    FROM (SELECT *, http_status IS NOT NULL AND NOT request_failed(http_status, message) AS answered
          FROM entries)
"""


def _scaled(t: verdict.Traffic, est: Estimate) -> verdict.Traffic:
    """The traffic counts replaced by the loader's scaled estimates (rca/api/loading.py), with the
    requests IAM refused (`with_refusals`) still counted as failed: the estimates count 5xx alone."""
    window, baseline, recent = t.denied
    return replace(
        t, requests=est.requests, failed=est.server_errors + window,
        recent_requests=est.recent_requests, recent_failed=est.recent_server_errors + recent,
        baseline_requests=est.baseline_requests, baseline_failed=est.baseline_server_errors + baseline,
        errors=est.error_entries, baseline_errors=est.baseline_error_entries,
    )


# The seconds in which the window's requests failed (one per second, as `baseline.step_change` counts).
_FAILURE_SECONDS = """
SELECT DISTINCT date_trunc('second', ts) AS t FROM entries
WHERE in_window AND ts IS NOT NULL AND request_failed(http_status, message)
ORDER BY t
"""


def failure_seconds(con: Any) -> list[datetime]:
    """The seconds of the window in which requests failed, each once: when the failures stepped
    up, whatever failure mode made them (`steady.steady_before_step`)."""
    return [r[0] for r in con.execute(_FAILURE_SECONDS).fetchall()]


# Where the request log gives no latency (a sink's table exported without it, a text paste), how
# long a failed request took is the time from its start, which the platform stamps it with, to the
# last line the service logged in its trace: the handler's error, written when it gave up.
_TRACED_LATENCY = """
SELECT median(took) FROM (
  SELECT date_diff('millisecond', r.ts, max(e.ts)) / 1000.0 AS took
  FROM entries r JOIN entries e ON e.trace = r.trace AND e.http_status IS NULL
    AND e.ts >= r.ts AND e.ts <= r.ts + INTERVAL 1 HOUR
  WHERE r.in_window AND r.trace IS NOT NULL AND r.http_latency_s IS NULL
    AND request_failed(r.http_status, r.message)
  GROUP BY r.entry_id, r.ts
)
"""


def _failed_latency(con: Any, median_latency: float | None, failed: int) -> float:
    """The median seconds a failed request took: the request log's latency, else `_TRACED_LATENCY`."""
    if median_latency is not None or not failed:
        return float(median_latency or 0.0)
    row = con.execute(_TRACED_LATENCY).fetchone()
    return float(row[0] or 0.0) if row else 0.0


# A static file's path: it ends in an extension (`/static/app.3f9c.js`, `/favicon.ico`), outside a
# versioned or `/api` path: a file an API route serves (`/v1/media/<id>/<n>.jpg`) is the callers'
# work, not a page's asset (held-out RV07: a media service's downloads answered while every upload
# failed on a full volume, degraded, not down with the downloads set aside).
STATIC_FILE = r"\.[A-Za-z0-9]{1,5}$"
API_PATH = r"^/(?:api|v[0-9]+)(?:/|$)"
# The recent period's requests by route template and by whether they fetched a static file (a path
# ending in an extension outside an `API_PATH`, or a 304: a page's assets served from cache or disk
# say nothing of its calls), each with how many failed. A template holds each path segment with a digit as one
# `<id>`, so `/v1/profiles/245058` and `/v1/profiles/513979` are one route. Checks are no requests
# here (`Store._checker_requests`).
_RECENT_ROUTES = """
SELECT regexp_replace(route, '/[^/]*[0-9][^/]*', '/<id>', 'g') AS template,
       http_status = 304 OR (regexp_matches(route, $static) AND NOT regexp_matches(route, $api)) AS static,
       count(*) AS n, count(*) FILTER (WHERE request_failed(http_status, message)) AS failed
FROM (SELECT {route} AS route, http_status, message FROM entries
      WHERE in_window AND ts >= $since AND http_status IS NOT NULL)
GROUP BY ALL
"""


def _recent_static(con: Any, since: datetime) -> int:
    """From the requests since ``since`` (`_RECENT_ROUTES`): how many answered a static file, of the
    static routes that failed none: a route of static files that failed too (a tile server's
    `/tiles/<id>/<id>/<id>.pbf`, held-out GZ10) is what the service serves, and its answers say
    how much of it works."""
    query = _RECENT_ROUTES.format(route=ROUTE)
    rows = con.execute(query, {"since": since, "static": STATIC_FILE, "api": API_PATH}).fetchall()
    return sum(int(n) for _, static, n, failed in rows if static and not failed)


def measure(con: Any, window: Window, deploys: DeployInfo) -> verdict.Traffic:
    """The counts and landmarks the verdict (and the report's stats) need, in one scan of `entries`."""
    failed_deploys = sum(1 for d in deploys.deploys if d.failed)
    end = window.end
    since = datetime(1970, 1, 1) if end is None else naive_utc(end) - timedelta(seconds=RECENT)
    params = {"since": since, "moment": verdict.FAILURE_MOMENT_S, "span": verdict.STEADY_SPAN_S}
    row = con.execute(_TRAFFIC, params).fetchone()
    assert row is not None
    requests, failed, base_requests, base_failed, recent, recent_failed, errors, base_errors = (
        int(x or 0) for x in row[:8]
    )
    first_failure, last_failure, first_error, last_error = row[8], row[9], row[10], row[11]
    recovered, answered = (None, 0) if last_failure is None else _first_success_after(con, last_failure)
    # (read only when requests failed in the recent period: the verdict weighs them then alone)
    static = _recent_static(con, since) if int(row[5] or 0) else 0
    traffic = verdict.Traffic(
        requests, failed, base_requests, base_failed, recent, recent_failed, errors, base_errors,
        failed_deploys, first_failure, last_failure, first_error, recovered, last_error,
        None if end is None else since, int(row[12] or 0), answered_after_failures=answered,
        failed_latency_s=_failed_latency(con, row[13], failed), failed_moments=int(row[14] or 0),
        requests_between=(row[15], row[16]), request_spans=int(row[17] or 0), last_request_end=row[26],
        latencies=(latencies := _latencies(row[18:24])),
        # (route by route only where all answers read slow: `verdict.slow` asks nothing more)
        route_latencies=_route_latencies(con, since) if verdict.slower(latencies) else None,
        recent_static=static,
        slow_spell=slow_spell(con, since, _usual_latency(row[24], row[19], row[25], row[21]))
        if end is not None else None,
    )
    return replace(traffic, slow_since=slow_since(con, traffic))


def _usual_latency(recent: float | None, recent_n: int | None, base: float | None,
                   base_n: int | None) -> float | None:
    """The latency a `verdict.SlowSpell` is judged against, its slowest quarter's least: the recent
    period's, as the service answers once the spell is over, or the baseline's when that was longer
    (a service as slow before the window was not slow for a spell). None where the recent period
    gave fewer than `verdict.LATENCY_SAMPLES` latencies: then it says nothing of the usual."""
    if recent is None or int(recent_n or 0) < verdict.LATENCY_SAMPLES:
        return None
    if base is not None and int(base_n or 0) >= verdict.LATENCY_SAMPLES:
        return max(float(recent), float(base))
    return float(recent)


# The window's answered requests before `$until`, minute by minute (`verdict.SLOW_MINUTE_S`): how
# many gave a latency and their `$q` quantile (0.75: the least latency of their slowest quarter).
_SLOW_MINUTES = """
SELECT floor(epoch(ts) / $minute)::BIGINT AS minute, quantile_cont(http_latency_s, $q), count(*)
FROM entries
WHERE in_window AND ts < $until AND http_latency_s IS NOT NULL AND http_status IS NOT NULL
  AND NOT request_failed(http_status, message)
GROUP BY minute ORDER BY minute
"""
# Of a spell's minutes (`$first` to `$last`, epoch seconds), the answered requests: their slowest
# quarter's least latency, and how many routes the slow ones (`$slow` seconds or more) and all of
# the window's came on.
_SPELL = """
SELECT quantile_cont(http_latency_s, 0.75),
       count(DISTINCT template) FILTER (WHERE http_latency_s >= $slow),
       (SELECT count(DISTINCT regexp_replace({route}, '/[^/]*[0-9][^/]*', '/<id>', 'g')) FROM entries
        WHERE in_window AND http_latency_s IS NOT NULL AND http_status IS NOT NULL)
FROM (SELECT http_latency_s, regexp_replace({route}, '/[^/]*[0-9][^/]*', '/<id>', 'g') AS template
      FROM entries
      WHERE in_window AND epoch(ts) >= $first AND epoch(ts) < $last AND http_latency_s IS NOT NULL
        AND http_status IS NOT NULL AND NOT request_failed(http_status, message))
"""


def slow_spell(con: Any, since: datetime, usual: float | None) -> verdict.SlowSpell | None:
    """The longest spell of slow answers before the recent period (`verdict.SLOW_MINUTE_S`'s why),
    each minute's slowest quarter judged against the ``usual`` (`_usual_latency`); None where there
    is none or no usual to judge by."""
    if usual is None:
        return None
    minute = verdict.SLOW_MINUTE_S
    rows = con.execute(_SLOW_MINUTES, {"minute": minute, "until": since, "q": 0.75}).fetchall()
    threshold = verdict.slow_threshold(usual)
    runs = _slow_runs([(int(m), float(med) >= threshold, int(n)) for m, med, n in rows])
    spells = [r for r in runs if r[1] - r[0] + 1 >= verdict.SLOW_SPELL_MINUTES
              and r[2] >= verdict.LATENCY_SAMPLES]
    if not spells:
        return None
    first, last, _ = max(spells, key=lambda r: (r[2], r[0]))
    params = {"first": first * minute, "last": (last + 1) * minute, "slow": threshold}
    row = con.execute(_SPELL.format(route=ROUTE), params).fetchone()
    if row is None or row[0] is None or (int(row[1] or 0) < 2 and int(row[2] or 0) > 1):
        return None
    after = [int(m) for m, _, _ in rows if int(m) > last]
    end = _minute_start(after[0]) if after else since
    return verdict.SlowSpell(_minute_start(first), end, float(row[0]), usual)


# A run of slow minutes goes on to the end when this share of the minutes from its first to the
# last (of those that answered with a latency) were slow: answers on a few routes only, or a few a
# minute, leave a fast minute now and then in an hour that was slow throughout (held-out HN02).
SLOW_TO_THE_END = 2 / 3


def slow_since(con: Any, t: verdict.Traffic) -> datetime | None:
    """Where the slowness of the recent period (`verdict.slow`) began: the first minute whose
    slowest quarter of answers took as long as `verdict.slow` calls slow against the median before
    (`SLOW_RATIO` times it, `SLOW_BY_S` longer), from which on `SLOW_TO_THE_END` of the minutes did.
    The median before, not a quarter's: slowness that began early in the window fills the slowest
    quarter of the minutes before the recent period, not their median. A service slow since a
    deploy is slow since that deploy's minute, whatever failed or not (held-out HN02, HN05: every
    answer took seconds after a new revision, no error said why). None when the recent period is
    not slow or no such minute is found."""
    if t.latencies is None or not verdict.slow(t):
        return None
    threshold = verdict.slow_threshold(t.latencies[1])
    rows = con.execute(_SLOW_MINUTES, {"minute": verdict.SLOW_MINUTE_S, "until": datetime.max,
                                       "q": 0.75}).fetchall()
    slow = [float(q) >= threshold for _, q, _ in rows]
    for i, (m, _, _) in enumerate(rows):
        if slow[i] and sum(slow[i:]) >= SLOW_TO_THE_END * (len(slow) - i):
            return _minute_start(int(m))
    return None


def _slow_revision(con: Any, since: datetime | None) -> str | None:
    """The revision that answered the most requests from ``since`` (`slow_since`) on; None without
    one."""
    if since is None:
        return None
    row = con.execute(
        "SELECT revision FROM entries WHERE in_window AND ts >= ? AND http_status IS NOT NULL "
        "AND revision IS NOT NULL GROUP BY revision ORDER BY count(*) DESC, revision LIMIT 1", [since],
    ).fetchone()
    return str(row[0]) if row else None


def _minute_start(minute: int) -> datetime:
    """The naive UTC start of the `verdict.SLOW_MINUTE_S` span numbered ``minute``."""
    return datetime.fromtimestamp(minute * verdict.SLOW_MINUTE_S, timezone.utc).replace(tzinfo=None)


def _slow_runs(minutes: Sequence[tuple[int, bool, int]]) -> list[tuple[int, int, int]]:
    """The runs of slow minutes in ``minutes`` (minute, slow, requests), each as its first and last
    slow minute and the requests of its slow minutes: one minute that was not slow between two that
    were does not end a run, two do (minutes without a request are no evidence either way)."""
    runs: list[tuple[int, int, int]] = []
    current: tuple[int, int, int] | None = None
    fast = 0
    for m, is_slow, n in minutes:
        if is_slow:
            current = (m, m, n) if current is None else (current[0], m, current[2] + n)
            fast = 0
        elif current is not None:
            fast += 1
            if fast >= 2:
                runs.append(current)
                current, fast = None, 0
    if current is not None:
        runs.append(current)
    return runs


def _latencies(row: Sequence[Any]) -> tuple[float, float] | None:
    """The median latency of the recent period's answered requests and that of the requests
    before, each over `verdict.LATENCY_SAMPLES` at least: the baseline's where it has so many,
    else the window's before the recent period. None where either has too few."""
    recent, recent_n, base, base_n, before, before_n = row
    if recent is None or int(recent_n or 0) < verdict.LATENCY_SAMPLES:
        return None
    if base is not None and int(base_n or 0) >= verdict.LATENCY_SAMPLES:
        return float(recent), float(base)
    if before is not None and int(before_n or 0) >= verdict.LATENCY_SAMPLES:
        return float(recent), float(before)
    return None


# The recent period's answered requests on routes answered before it too (`ROUTES_BEFORE` times or
# more, in the baseline or the window): their median latency, the median of what their routes took
# before, and how many they are. What a route took is its quickest quarter's most (the 25th
# percentile), not its median: a route that slowed before the recent period (a deploy twenty
# minutes in, held-out HN02) took as long as ever in its quickest quarter. A route is its path with
# the segments that hold a digit as one.
ROUTES_BEFORE = 3
_ROUTE_LATENCIES = """
WITH answered AS (
  SELECT regexp_replace({route}, '/[^/]*[0-9][^/]*', '/<id>', 'g') AS template, http_latency_s AS s,
         in_window AND ts >= $since AS recent
  FROM entries
  WHERE http_latency_s IS NOT NULL AND http_status IS NOT NULL AND NOT request_failed(http_status, message)
), usual AS (
  SELECT template, quantile_cont(s, 0.25) AS before FROM answered WHERE NOT recent
  GROUP BY template HAVING count(*) >= $least
)
SELECT median(a.s), median(u.before), count(*) FROM answered a JOIN usual u USING (template) WHERE a.recent
"""


def _route_latencies(con: Any, since: datetime) -> tuple[float, float] | None:
    """The recent period's answered requests against what their own routes took before
    (`_ROUTE_LATENCIES`): a mix of routes that shifted to slow ones is no slowness. None where
    fewer than `verdict.LATENCY_SAMPLES` recent requests had a route answered before."""
    row = con.execute(_ROUTE_LATENCIES.format(route=ROUTE),
                      {"since": since, "least": ROUTES_BEFORE}).fetchone()
    if row is None or row[0] is None or int(row[2] or 0) < verdict.LATENCY_SAMPLES:
        return None
    return float(row[0]), float(row[1])


# A pattern's requests that the platform refused (`refuses_requests`), not already failed ones.
_REFUSALS = """
SELECT count(*) FILTER (WHERE in_window), count(*) FILTER (WHERE NOT in_window),
       count(*) FILTER (WHERE in_window AND ts >= $since),
       min(ts) FILTER (WHERE in_window), max(ts) FILTER (WHERE in_window)
FROM entries
WHERE entry_id IN (SELECT unnest($ids::BIGINT[])) AND http_status IS NOT NULL
  AND NOT request_failed(http_status, message)
"""


# The moments (`verdict.FAILURE_MOMENT_S`) of the window's failed requests, the refused ones
# (`$ids`) among them.
_MOMENTS = """
SELECT count(DISTINCT floor(epoch(ts) / $moment)) FROM entries
WHERE in_window AND (request_failed(http_status, message) OR entry_id IN (SELECT unnest($ids::BIGINT[])))
"""


# A request's route: its URL without scheme, host and query ('/' when none is left).
ROUTE = "coalesce(nullif(regexp_replace(split_part(http_url, '?', 1), '^[a-z]+://[^/]*', ''), ''), '/')"
# Of the refused requests (`$ids`), those that took the place of the service's own traffic: on a
# route the service answered (below 400) at some time, whose answers fell, while the refusals ran
# (a minute's margin each side), to under half the rate of as long a time before them (at least
# 5 minutes; after them when nothing came before) and beyond chance (`FELL`): a route named by an
# id (`/api/matches/5512042`), served a few times an hour, has no answer in a refusal's minute by
# chance (blind set 1G09: a stale token's 401s on such routes read as callers refused). When the
# service answered nothing at all, all of them. A scanner's burst at a private URL probes routes
# never served, and is refused beside the traffic the service goes on serving. A route's refusals
# that ran all along (a few stale tokens) stretch its span over the whole input, so a busy route is
# also judged by the five minutes of each refusal (`REFUSAL_BUCKET_S`): one in which it answered
# under half its usual rate (of at least `BUSY_ROUTE` a bucket), beyond chance, lost its callers
# (every token refused after a deploy set the wrong audience, blind set PD07).
REFUSAL_BUCKET_S = 300
BUSY_ROUTE = 10
# SQL: {n} answers where the route's rate predicted {e}: under half, and beyond chance (as the
# verdict counts a rate, `verdict.CHANCE_SD` Poisson standard deviations). None at all is read by
# Poisson's own odds, exp(-e), against the same tail: the normal approximation asks for nine
# expected answers before their absence counts, where seven already make it as unlikely as three
# deviations (a job triggered every five minutes, refused seven times running, blind set 0E04).
# And a route refused `REFUSED_RUN` times or more that the service answered before the first of
# them and never after it lost its callers whatever its rate: a scheduler's call every quarter hour,
# refused nine times in half an hour after its job was pointed at a service account without the
# invoker role, expects two answers there, too few for chance to rule out (held-out JC02), but each
# refusal is one of those calls, not an extra one beside them. So did a route whose callers were
# answered `SERVED_BEFORE` times or more with no refusal before the first, refused `REFUSED_RUN` times
# or more since, at `REFUSED_SHARE` of its requests from the first refusal on, whose answers since fell
# short of what their pace before made due by `TOOK_PLACE` of the refusals at least, beyond chance:
# one ledger call in two refused from a minute on while the calls kept their pace (held-out KR09:
# the answers fell to four in seven, not under half). A new client whose expired token is refused
# beside the callers answered as before took no one's place (blind set CN04); a stale client refused
# all along was refused before as after; a scanner probes routes never answered.
REFUSED_RUN = 3
SERVED_BEFORE = 10
# ... over ten minutes at least before the first refusal (`baseline.MIN_BEFORE`): refusals from the
# input's first minutes on (a session check answering 401 to visitors not logged in) are how the
# route runs, not callers it lost (blind set FI07). Unless a change that refuses callers so (an
# audit entry of the refusals' category: an IAM policy set, an invoker binding removed) was logged
# after the route's first answer and before the first refusal: then the refusals began with it,
# and were not how the route ran (held-out JR08: the invoker role of one caller's service account
# removed six minutes into the window, each of its renders refused from then on beside another
# caller's answered).
SERVED_FOR_S = 600
REFUSED_SHARE = 0.25
TOOK_PLACE = 0.5
# The answers that stand for the service's own traffic leave out those to a client (a user agent)
# first seen on the route with its refusals and refused itself: a backfill job that floods a
# shared rate limiter is answered now and then, and those answers hid that the regular callers it
# crowded out lost theirs (held-out RK05: a Resilience4j RateLimiter refused the regular callers
# nine times in ten while the route's answers, the job's among them, stayed above half). A client
# seen within `NEWCOMER_MARGIN_S` before the first refusal came with it.
NEWCOMER_MARGIN_S = 60
NONE_BEYOND_CHANCE = -math.log(0.5 * math.erfc(verdict.CHANCE_SD / math.sqrt(2)))
FELL_BY_CHANCE = ("({n} < ({e}) - " + str(verdict.CHANCE_SD) + " * sqrt({e})"
                  " OR ({n} = 0 AND ({e}) > " + f"{NONE_BEYOND_CHANCE:.4f}" + "))")
FELL = "({n} < 0.5 * ({e}) AND " + FELL_BY_CHANCE + ")"
_CALLERS_REFUSED = f"""
WITH refused AS (
  SELECT entry_id, epoch(ts) AS t, {{route}} AS route, http_user_agent AS agent FROM entries
  WHERE entry_id IN (SELECT unnest($ids::BIGINT[]))
), answered AS (
  SELECT epoch(ts) AS t, {{route}} AS route, http_user_agent AS agent FROM entries WHERE http_status < 400
), newcomers AS (
  SELECT route, agent FROM refused GROUP BY route, agent
  EXCEPT
  SELECT a.route, a.agent FROM answered a JOIN (SELECT route, min(t) AS first FROM refused GROUP BY route) f
    ON a.route = f.route AND a.t < f.first - {NEWCOMER_MARGIN_S}
), served AS (
  SELECT t, route FROM answered a
  WHERE a.agent IS NULL
     OR NOT EXISTS (SELECT 1 FROM newcomers n WHERE n.route = a.route AND n.agent = a.agent)
), usual AS (
  SELECT route, count(*) / greatest((max(t) - min(t)) / {REFUSAL_BUCKET_S}, 1) AS per_bucket
  FROM served GROUP BY route
), bucketed AS (
  SELECT route, floor(t / {REFUSAL_BUCKET_S}) AS bucket, count(*) AS n FROM served GROUP BY ALL
), lost AS (
  SELECT r.entry_id FROM refused r JOIN usual u USING (route)
  LEFT JOIN bucketed b ON b.route = r.route AND b.bucket = floor(r.t / {REFUSAL_BUCKET_S})
  WHERE u.per_bucket >= {BUSY_ROUTE} AND {FELL.format(n="coalesce(b.n, 0)", e="u.per_bucket")}
), spans AS (
  SELECT route, min(t) - 30 AS t0, max(t) + 30 AS t1, greatest(max(t) - min(t) + 60, 300) AS span
  FROM refused GROUP BY route
), abandoned AS (
  SELECT route, min(t) AS first, max(t) AS last, count(*) AS refusals FROM refused GROUP BY route
  HAVING count(*) >= {REFUSED_RUN}
), judged AS (
  SELECT s.route,
         count(o.t) FILTER (WHERE o.t BETWEEN s.t0 AND s.t1) AS during,
         count(o.t) FILTER (WHERE o.t < s.t0 AND o.t >= s.t0 - s.span) AS before,
         count(o.t) FILTER (WHERE o.t > s.t1 AND o.t <= s.t1 + s.span) AS after,
         (s.t1 - s.t0) / s.span AS scale
  FROM spans s LEFT JOIN served o ON o.route = s.route
  GROUP BY s.route, s.t0, s.t1, s.span
)
SELECT r.entry_id FROM refused r JOIN judged j USING (route)
WHERE NOT EXISTS (SELECT 1 FROM served)
   OR {FELL.format(n="j.during", e="j.scale * (CASE WHEN j.before > 0 THEN j.before ELSE j.after END)")}
UNION
SELECT entry_id FROM lost
UNION
SELECT r.entry_id FROM refused r JOIN abandoned a USING (route)
WHERE EXISTS (SELECT 1 FROM served o WHERE o.route = a.route AND o.t < a.first)
  AND NOT EXISTS (SELECT 1 FROM served o WHERE o.route = a.route AND o.t >= a.first)
{{displaced}}
ORDER BY entry_id
"""
# `_CALLERS_REFUSED`'s displaced callers (`SERVED_BEFORE`'s why), for the refusals no line of the
# service's own explains (`refusals`): a service that tells why it refused one caller in two (a
# field too long, at ERROR in each refused request's trace) refused those callers' requests, not
# them (blind set OC10).
_CALLERS_DISPLACED = f"""
UNION
SELECT r.entry_id FROM refused r JOIN (
  SELECT a.route, a.refusals, count(*) FILTER (WHERE o.t >= a.first) AS since,
         count(*) FILTER (WHERE o.t < a.first) * (greatest(max(o.t), a.last) - a.first)
           / greatest(a.first - min(o.t), 60) AS due
  FROM abandoned a JOIN served o ON o.route = a.route GROUP BY a.route, a.first, a.last, a.refusals
  HAVING count(*) FILTER (WHERE o.t < a.first) >= {SERVED_BEFORE}
     AND (a.first - min(o.t) >= {SERVED_FOR_S}
          OR len(list_filter($changes::DOUBLE[], lambda c: c > min(o.t) AND c <= a.first)) > 0)
) d USING (route)
WHERE d.refusals >= {REFUSED_SHARE} * (d.refusals + d.since)
  AND d.due - d.since >= {TOOK_PLACE} * d.refusals AND {FELL_BY_CHANCE.format(n="d.since", e="d.due")}
"""


# Requests answered 404, as candidates for callers who lost the service (`_CALLERS_REFUSED` judges
# them), when 404s outnumber the answers below 400 in the recent period (from `$since`, the
# verdict's `Traffic.recent_since`) and the window answered some: a front door that lost its
# backend answers 404 where pages were served. A service still answering most of its callers
# beside a scanner's 404s (a busy hour holds tens of thousands) is not judged 404 by 404; with
# nothing answered at all, a scanner's 404s at an idle service are no lost traffic.
_NOT_FOUND = """
WITH recent AS (
  SELECT count(*) FILTER (WHERE http_status = 404) AS lost,
         count(*) FILTER (WHERE http_status < 400) AS served
  FROM entries
  WHERE in_window AND http_status IS NOT NULL AND ts >= $since
)
SELECT entry_id FROM entries, recent
WHERE recent.lost > recent.served AND in_window AND http_status = 404
  AND EXISTS (SELECT 1 FROM entries WHERE in_window AND http_status < 400)
"""


def refusals(
    con: Any, findings: Sequence[Finding], lookup: Mapping[str, Pattern], hits: Sequence[Hit],
    since: datetime | None, new_revisions: Collection[str] = (),
) -> list[int]:
    """The entries of requests the platform refused the service's callers (IAM's 401/403, a
    pattern's `refuses_requests`) whose finding began or grew in the window: a push subscription
    or a scheduler whose invoker grant was removed fails every delivery that way. And 404s in a
    window where the service answered requests (`_NOT_FOUND`): a load balancer whose backend
    points at a deleted service answers every caller 404 in place of the pages it served
    (held-out GI03).

    Refusals that ran all along at the same rate (a baseline's) stay a client's business: their
    finding is steady noise or pre-existing, so they are not among them. So do refusals beside
    which the service answered its route, and all its routes, as often as before
    (`_CALLERS_REFUSED`): a scanner probing `/.env`, `/wp-login.php` and `/` at a private URL is
    refused as it should be while the real callers are served, and its burst is no outage.
    ``since``: where the recent period begins (`verdict.Traffic.recent_since`; None: the whole
    window is recent, as `measure` reads it). And refusals only a revision new in the window gave
    where the one before it served the route (`_refused_by_new`, ``new_revisions``): a deploy that
    rotated the key sessions are signed with refused the form posts the revision before it took
    (held-out LA03: 403 "CSRF cookie not set" at WARNING, read as no incident)."""
    recent = since or EPOCH
    new = {f.pattern_id for f in findings
           if lookup[f.pattern_id].refuses_requests and f.status in (Status.ACTIVE, Status.ELEVATED)}
    ids = sorted({h.event_id for h in hits if h.pattern_id in new}
                 | {int(r[0]) for r in con.execute(_NOT_FOUND, {"since": recent}).fetchall()})
    if not ids:
        return []
    untold = [int(r[0]) for r in con.execute(_UNTOLD, {"ids": ids}).fetchall()]
    changes = _refusing_changes(findings, lookup, hits, new) if untold else []
    return sorted(_took_place(con, ids, recent) | (_took_place(con, untold, recent, changes)
                                                    if untold else set())
                  | _refused_by_new(con, ids, new_revisions))


def _refusing_changes(
    findings: Sequence[Finding], lookup: Mapping[str, Pattern], hits: Sequence[Hit],
    refusing: AbstractSet[str],
) -> list[float]:
    """When changes of the ``refusing`` findings' categories were logged (epoch seconds): the
    audit entries of the library's change patterns (layer `deploy`, role `context`), such as an
    IAM policy set on the service, which refuse callers the way those findings say."""
    categories = {f.category for f in findings if f.pattern_id in refusing}
    changes = {f.pattern_id for f in findings
               if f.category in categories and is_change_pattern(lookup[f.pattern_id])}
    return sorted({_epoch(h.ts) for h in hits if h.pattern_id in changes and h.ts is not None})


def is_change_pattern(pattern: Pattern) -> bool:
    """A change pattern: an audit entry of the `deploy` layer read as context (an IAM policy set, a
    firewall rule inserted), whatever category of failure it brings."""
    return pattern.layer is Layer.DEPLOY and pattern.role is Role.CONTEXT


def _epoch(ts: datetime) -> float:
    """Epoch seconds of ``ts``, a naive time being UTC (as DuckDB's `epoch` reads one)."""
    return (ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)).timestamp()


# Of the refused requests `$ids`, those in whose trace the service logged no error of its own: a
# refusal it gave no reason for (`_CALLERS_DISPLACED`).
_UNTOLD = """
SELECT r.entry_id FROM entries r
WHERE r.entry_id IN (SELECT unnest($ids::BIGINT[]))
  AND (r.trace IS NULL OR NOT EXISTS (SELECT 1 FROM events e WHERE e.trace = r.trace
                                      AND e.http_status IS NULL AND e.severity_num >= 500))
ORDER BY 1
"""


def _took_place(
    con: Any, ids: Sequence[int], since: datetime, changes: Sequence[float] | None = None
) -> set[int]:
    """Of the refused requests ``ids``, those that took the place of the service's own traffic
    (`_CALLERS_REFUSED`), judged on each route, then, when the refusals outnumber the answers in
    the recent period from ``since`` (`_refusals_dominate`), on the service as one route: a portal
    of a few requests an hour per page lost every caller on every page at once, which no page's own
    count says beyond chance (held-out GI07: IAP's audience changed with its recreated backend
    service, and every request was refused for an hour). With ``changes`` (the times of the changes
    that refuse callers so, `_refusing_changes`): also the callers displaced at the route's pace
    (`_CALLERS_DISPLACED`), for refusals the service gave no reason of its own for."""
    routes = (ROUTE, "'*'") if _refusals_dominate(con, ids, since) else (ROUTE,)
    part, params = ("", {}) if changes is None else (_CALLERS_DISPLACED, {"changes": list(changes)})
    return {int(r[0]) for route in routes
            for r in con.execute(_CALLERS_REFUSED.format(route=route, displaced=part),
                                 {"ids": list(ids), **params}).fetchall()}


# Whether the refused requests `$ids` outnumber the requests answered below 400 in the recent period
# (from `$since`): only then may the service as a whole have lost its callers.
_REFUSALS_DOMINATE = """
SELECT count(*) FILTER (WHERE entry_id IN (SELECT unnest($ids::BIGINT[])))
       > count(*) FILTER (WHERE http_status < 400)
FROM entries
WHERE in_window AND http_status IS NOT NULL AND ts >= $since
"""


def _refusals_dominate(con: Any, ids: Sequence[int], since: datetime) -> bool:
    """`_REFUSALS_DOMINATE`: the whole-service pass of `_took_place` is for a service that lost
    every caller at once, so a busy service refusing some callers beside many answered is judged
    route by route alone."""
    row = con.execute(_REFUSALS_DOMINATE, {"ids": list(ids), "since": since}).fetchone()
    return bool(row and row[0])


BESIDE_SERVED = ("refused beside the traffic the service went on serving, on routes "
                 "its callers did not lose (probes, not its callers)")


def probes_as_noise(
    findings: Sequence[Finding], lookup: Mapping[str, Pattern], hits: Sequence[Hit], refused: Sequence[int],
    phrases: Mapping[str, str],
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with a refusal finding (`refuses_requests`) none of whose requests took a
    caller's place (`refusals`) re-classed as noise (pre-existing): a scanner's probes at a
    private URL, refused as they should be, explain no failure and make none, however new their
    burst. Returns the findings and the phrases."""
    kept = set(refused)
    counted = {h.pattern_id for h in hits if h.event_id in kept}
    probes = {f.pattern_id for f in findings
              if lookup[f.pattern_id].refuses_requests and f.pattern_id not in counted}
    return _as_noise(findings, probes, BESIDE_SERVED, phrases)


def _as_noise(
    findings: Sequence[Finding], ids: AbstractSet[str], phrase: str, phrases: Mapping[str, str],
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with those of ``ids`` that began or grew in the window re-classed as noise
    (pre-existing) and ``phrase`` saying why; the phrases with theirs. The one way the window's
    own evidence (what was served around a failure) sets a finding aside as no part of the
    incident."""
    out, phrases = [], dict(phrases)
    for f in findings:
        if f.pattern_id in ids and f.status in (Status.ACTIVE, Status.ELEVATED):
            f = replace(f, status=Status.PRE_EXISTING)
            phrases[f.pattern_id] = phrase
        out.append(f)
    return out, phrases


def _window_events(hits: Sequence[Hit]) -> dict[str, set[int]]:
    """Each pattern's events in the window, from its hits."""
    events: dict[str, set[int]] = {}
    for h in hits:
        if h.in_window:
            events.setdefault(h.pattern_id, set()).add(h.event_id)
    return events


# Why a catch-all's finding is set aside with the named failures it only printed.
NAMED_AS_NOISE = "every entry of it is a named failure set aside as noise, which it only printed"


def printed_as_noise(
    findings: Sequence[Finding], lookup: Mapping[str, Pattern], hits: Sequence[Hit],
    phrases: Mapping[str, str],
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with a catch-all's (`generic`: any Java stack, any unhandled exception) re-classed
    as noise when each of its events in the window is also one of a named failure already set aside
    as noise (absorbed, coped with, pre-existing): the stack is how the runtime printed that failure,
    and it says no more than the failure did. A Eureka client's "TransportException: Cannot execute
    request on any known server" with its frames, while the registry restarted and every request
    was served, is the registry's blip, not the service's own exception (held-out LZ08)."""
    events = _window_events(hits)
    named = set().union(*(events.get(f.pattern_id, set()) for f in findings
                          if not lookup[f.pattern_id].generic and f.status is Status.PRE_EXISTING))
    printed = {f.pattern_id for f in findings
               if lookup[f.pattern_id].generic and events.get(f.pattern_id) and events[f.pattern_id] <= named}
    return _as_noise(findings, printed, NAMED_AS_NOISE, phrases)


def resolved_as_noise(
    findings: Sequence[Finding], nodes: Mapping[str, chain.Node], since: datetime | None,
    phrases: Mapping[str, str],
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with each failure that ended where it happened re-classed as noise
    (pre-existing): a pattern's `resolved_by` line came after its last occurrence on every
    instance it held up (its pod; its revision where the entries name no instance), and it was
    not logged in the recent period (from ``since``). A pod the scheduler could not place until the
    cluster autoscaler added a node, then placed, is the autoscaler doing its work (held-out HY08:
    a CronJob's pod that waited 96 s, then ran and completed)."""
    ended: dict[str, str] = {}
    for f in findings:
        node = nodes.get(f.pattern_id)
        if node is None or not node.pattern.resolved_by or f.status not in (Status.ACTIVE, Status.ELEVATED):
            continue
        ends = [n for n in nodes.values() if n.id != node.id and chain.satisfies(node.pattern.resolved_by, n)]
        if ends and _ended_everywhere(node, ends, since):
            names = ", ".join(sorted(e.id for e in ends))
            ended[f.pattern_id] = (f"resolved: every place it held up logged {names} after it, "
                                   "before the last ten minutes")
    out, phrases = list(findings), dict(phrases)
    for pid, phrase in sorted(ended.items()):
        out, phrases = _as_noise(out, {pid}, phrase, phrases)
    return out, phrases


def _ended_everywhere(node: chain.Node, ends: Sequence[chain.Node], since: datetime | None) -> bool:
    """Whether each place ``node`` occurred (`_place`) logged one of ``ends`` after its last
    occurrence there, and it last occurred before ``since``."""
    last: dict[str, datetime] = {}
    for o in node.occurrences:
        place = _place(o)
        if place is None or o.ts is None:
            return False  # an occurrence no later line can be said to end
        last[place] = max(last.get(place, o.ts), o.ts)
    if not last or (since is not None and max(last.values()) >= since):
        return False
    resolved = {place for e in ends for o in e.occurrences
                if (place := _place(o)) in last and o.ts is not None and o.ts > last[place]}
    return resolved == set(last)


def _place(o: chain.Occurrence) -> str | None:
    """Where an occurrence happened, for `resolved_as_noise`: its instance, else its revision."""
    return o.instance or o.revision


# The error entries a service logged while refusing a client (a 4xx answer in the same trace): the
# requests of traces whose every request was answered 4xx (not refused by the platform, which
# `refusals` reads), and the error-level events (not requests) logged in those traces; and the
# request lines logged at ERROR that answered 4xx themselves (pino-http's "request errored" at
# level 50 for a validation error it answered 400, held-out IB08), each its own request.
# (From the few error events to their traces' requests: grouping every request by trace first cost
# a busy hour's half a million request rows.)
_CLIENT_ERRORS = """
WITH told AS (
  SELECT event_id, trace FROM events
  WHERE in_window AND http_status IS NULL AND severity_num >= 500 AND trace IS NOT NULL
), refused AS (
  SELECT trace, min(entry_id) AS request_id FROM entries SEMI JOIN told USING (trace)
  WHERE in_window AND http_status IS NOT NULL
  GROUP BY trace
  HAVING bool_and(http_status BETWEEN 400 AND 499 AND NOT request_failed(http_status, message))
)
SELECT t.event_id, r.request_id FROM told t JOIN refused r USING (trace)
UNION ALL
SELECT event_id, event_id FROM events
WHERE in_window AND severity_num >= 500 AND http_status BETWEEN 400 AND 499
  AND NOT request_failed(http_status, message)
ORDER BY 1
"""


# Layers whose failures are what the service depends on failing: a client refused because of one
# (an upstream's quota spent, the database down) did nothing wrong.
_DEPENDED_ON = frozenset({Layer.DEPENDENCY, Layer.DATABASE, Layer.NETWORK})


# Of the requests a service answered with a client error (`$ids`), those a revision new in the
# window (`$new`) gave on a route where another revision answered callers and never gave that
# status: `REFUSED_RUN` or more of one status on one route, the new build refusing what the one
# before it served (a body limit lost with a rewritten parser, 413 for the large orders the old
# revision took, held-out KP05).
_REFUSED_BY_NEW = f"""
WITH r AS (
  SELECT entry_id, http_status, {ROUTE} AS route FROM entries
  WHERE entry_id IN (SELECT unnest($ids::BIGINT[])) AND revision IN (SELECT unnest($new::VARCHAR[]))
), others AS (
  SELECT http_status, {ROUTE} AS route FROM entries
  WHERE in_window AND http_status IS NOT NULL AND revision IS NOT NULL
    AND revision NOT IN (SELECT unnest($new::VARCHAR[]))
), grouped AS (
  SELECT route, http_status FROM r GROUP BY ALL HAVING count(*) >= {REFUSED_RUN}
)
SELECT r.entry_id FROM r JOIN grouped g USING (route, http_status)
WHERE EXISTS (SELECT 1 FROM others o WHERE o.route = r.route AND o.http_status < 400)
  AND NOT EXISTS (SELECT 1 FROM others o WHERE o.route = r.route AND o.http_status = r.http_status)
ORDER BY 1
"""


def _refused_by_new(con: Any, requests: Sequence[int], new_revisions: Collection[str]) -> set[int]:
    """Of the client errors ``requests``, those only a revision new in the window gave where another
    revision served the same route (`_REFUSED_BY_NEW`)."""
    if not requests or not new_revisions:
        return set()
    rows = con.execute(_REFUSED_BY_NEW, {"ids": list(requests), "new": sorted(new_revisions)}).fetchall()
    return {int(r[0]) for r in rows}


def client_errors(
    con: Any, findings: Sequence[Finding], hits: Sequence[Hit], since: datetime | None,
    new_revisions: Collection[str] = (),
) -> tuple[set[int], list[int]]:
    """The error-level events a service logged in the trace of a request it answered with a client
    error (4xx), on a route it went on serving to other callers (`_CALLERS_REFUSED`): its account
    of why it refused that client (an expired token, a malformed body), logged at ERROR by the
    application's choice. They are the client's failure, not the service's (blind set CN04). A
    refusal that took the place of the traffic the route served before (every caller refused after
    a deploy broke token checks) is not among them.

    Nor is an event a failure of what the service depends on explains (a cause of a dependency,
    database or network pattern): a gateway that answers 429 because its upstream's quota ran out
    (blind set 7H09), or 4xx because its database is down, failed those callers for no fault of
    theirs. The second value is those requests: failed, as the platform's refusals are. A failure
    that ran all along at the baseline's rate (contention on one hot document, a 409 now and then)
    is the service's everyday refusal, as before (blind set OC10). Nor is one a revision new in the
    window gave where the revision before it served the route (`_refused_by_new`, ``new_revisions``):
    the new build refused callers the old one served, and those requests failed too. ``since``:
    where the recent period begins, as for `refusals`."""
    rows = con.execute(_CLIENT_ERRORS).fetchall()
    if not rows:
        return set(), []
    failing = {f.pattern_id for f in findings if f.status in (Status.ACTIVE, Status.ELEVATED)
               and f.role is Role.CAUSE and f.layer in _DEPENDED_ON}
    depended = {h.event_id for h in hits if h.pattern_id in failing}
    requests = sorted({int(r[1]) for r in rows})
    broken = _refused_by_new(con, requests, new_revisions)
    failed = sorted({int(request) for event, request in rows if int(event) in depended} | broken)
    took_place = _took_place(con, requests, since or EPOCH) | broken
    told = {int(event) for event, request in rows
            if int(request) not in took_place and int(event) not in depended}
    return told, failed


CLIENT_REFUSED = ("logged in the traces of requests answered with a client error (4xx) while the same "
                  "routes went on serving other callers: the service telling why it refused a client")


def client_errors_as_noise(
    findings: Sequence[Finding], hits: Sequence[Hit], told: set[int], phrases: Mapping[str, str],
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with each whose every in-window event is a client's refusal (`client_errors`)
    re-classed as noise (pre-existing), as `probes_as_noise` does for the platform's refusals."""
    events = _window_events(hits)
    clients = {f.pattern_id for f in findings
               if f.role is not Role.CONTEXT and events.get(f.pattern_id) and events[f.pattern_id] <= told}
    return _as_noise(findings, clients, CLIENT_REFUSED, phrases)


ABSORBED = ("absorbed: it ended while every request before, during and after it succeeded (the "
            "service retried or reconnected through it)")
ABSORBED_BY_JOBS = ("absorbed: it ended while every job logged before, during and after it completed (the "
                    "service retried or reconnected through it)")


# The share of a window's answered requests answered 202 Accepted from which they say nothing of
# the work: "accepted for processing, but the processing has not been completed" (RFC 9110 15.3.3).
_ACCEPTED_ONLY = 0.5
_ACCEPTED = """
SELECT count(*) FILTER (WHERE http_status = 202), count(*) FROM entries
WHERE in_window AND http_status IS NOT NULL AND NOT request_failed(http_status, message)
"""


def work_answered_later(con: Any) -> bool:
    """Whether the window's answered requests are mostly 202 Accepted: a worker that queues a
    webhook's work answers it before doing it, so requests all answered say nothing of whether the
    work was done (blind set 8H08: every sync failed on a spent GitHub quota for 38 minutes while
    each webhook got its 202)."""
    row = con.execute(_ACCEPTED).fetchone()
    return bool(row and row[1] and row[0] >= _ACCEPTED_ONLY * row[1])


def during_spell(f: Finding, spell: verdict.SlowSpell | None) -> bool:
    """Whether the finding was logged while the answers came slowly (`verdict.SlowSpell`), a minute
    either side: requests that all succeeded, but in seconds, were not ridden through it."""
    if spell is None or not f.first_seen or not f.last_seen:
        return False
    margin = timedelta(seconds=verdict.SLOW_MINUTE_S)
    return (naive_utc(parse_rfc3339(f.first_seen)) <= spell.end + margin
            and naive_utc(parse_rfc3339(f.last_seen)) >= spell.start - margin)


def passes(f: Finding, pattern: Pattern, knowledge: Knowledge) -> bool:
    """Whether ``f``'s failure is of a kind a client rides through by itself: its pattern says so
    (`persistent: false`: a Kafka client reconnecting to its brokers), or, where it says nothing,
    its category is one clients retry or reconnect through (patterns/_knowledge.yaml `retried`), or
    one whose failure in a single moment, never repeated, passed (`blips`: one connect timeout,
    where a broken path times out every call)."""
    said = pattern.persistent
    if said is not None:
        return not said
    category = f.category.value
    return category in knowledge.retried or (category in knowledge.blips and _one_moment(f))


def _one_moment(f: Finding) -> bool:
    """Whether every occurrence of ``f`` fell within `verdict.FAILURE_MOMENT_S` of its first."""
    if not f.first_seen or not f.last_seen:
        return False
    took = parse_rfc3339(f.last_seen) - parse_rfc3339(f.first_seen)
    return took.total_seconds() <= verdict.FAILURE_MOMENT_S


def absorbed_as_noise(
    findings: Sequence[Finding], lookup: Mapping[str, Pattern], knowledge: Knowledge,
    traffic: verdict.Traffic, phrases: Mapping[str, str], blind: bool, jobs_done: bool = False,
) -> tuple[list[Finding], dict[str, str], set[str]]:
    """The findings, with each failure the service rode through re-classed as noise (pre-existing):
    in a window that logs requests and failed none of them, a cause of a kind clients retry or
    reconnect through (`passes`, by the ``knowledge``) that ended before the recent period, in
    which requests went on succeeding. A Redis connection reset the client reconnected after,
    while every request was served, is how a dependency's restart looks from a healthy service;
    one fetch whose connection timed out, once in the hour, how a dropped packet looks (held-out
    SU09). A pattern that says its failure passes is ridden through whatever its category.
    Where no request is logged, a job framework's outcomes stand for them (``jobs_done``,
    `jobs_all_done`): a reindex job's Elasticsearch 429s, retried, beside every run of the window
    completed (held-out TH09). Not in a blind input (a paste says
    nothing of the requests around its lines), nor for a pattern that says it lasts
    (`persistent: true`), a symptom, a failure still logged at the end, or one logged while the
    answers came slowly (`during_spell`: a Redis stalled on its disk made every cart request take
    seconds, held-out HN07). Returns the findings,
    the phrases and the ids of the absorbed findings."""
    since = traffic.recent_since
    served = bool(traffic.requests and not traffic.failed and traffic.recent_requests) or (
        not traffic.requests and jobs_done)
    if blind or not served or since is None:
        return list(findings), dict(phrases), set()

    absorbed = {f.pattern_id for f in findings
                if f.status in (Status.ACTIVE, Status.ELEVATED) and f.role is Role.CAUSE
                and passes(f, lookup[f.pattern_id], knowledge)
                and f.last_seen and naive_utc(parse_rfc3339(f.last_seen)) < since
                and not during_spell(f, traffic.slow_spell)}
    out, phrases = _as_noise(findings, absorbed, ABSORBED if traffic.requests else ABSORBED_BY_JOBS, phrases)
    return out, phrases, absorbed


COPED = ("coped with: logged only at WARNING or below, beside requests that all succeeded (the "
         "service saying it handled it)")


def coped_as_noise(
    con: Any, findings: Sequence[Finding], lookup: Mapping[str, Pattern], traffic: verdict.Traffic,
    phrases: Mapping[str, str], blind: bool, lasting: AbstractSet[str] = frozenset(),
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with each failure the service coped with re-classed as noise: in a window
    whose logged requests all succeeded, a named failure it never logged as an error
    (`_logged_as_failures`: a client timeout it retried, at WARN every time) is no failure of the
    incident, as the verdict already counts it; so the chain starts from the failures that are
    (a container the kernel killed for memory), not from the warnings beside them (blind set
    DQ05). Only what it logged at WARNING: a cause logged at INFO (the address a server listens
    on) is a statement, not a failure handled. Nor one logged while the answers came slowly
    (`during_spell`): it was not coped with, nor one that lasts (``lasting``, `_logged_as_failures`).
    Not in a blind input, whose lines' levels say nothing of the requests around them."""
    if blind or not traffic.requests or traffic.failed:
        return list(findings), dict(phrases)
    named = [f for f in findings
             if f.role is not Role.CONTEXT and f.status in (Status.ACTIVE, Status.ELEVATED)]
    failures = {f.pattern_id for f in _logged_as_failures(con, named, lookup, traffic.recent_since, lasting)}
    # (a warning at least once: a cause that is a plain statement logged at INFO, the address a
    # server listens on, reports no failure it coped with)
    warned = {named[i].pattern_id for i in _with_an_event(con, named, "severity_num BETWEEN 400 AND 499", {})}
    slowed = {f.pattern_id for f in named if during_spell(f, traffic.slow_spell)}
    late = _after_the_requests(named, traffic)
    return _as_noise(findings, warned - failures - slowed - late, COPED, phrases)


def _after_the_requests(findings: Sequence[Finding], traffic: verdict.Traffic) -> set[str]:
    """The findings first logged after the window's last request ended: no request was answered
    beside them, so none says the service coped. A backend whose serving certificate expired at
    midnight warns of each handshake its proxy aborts, and logs no request after its last one
    before midnight (held-out MT04): its warnings came in place of the requests, not beside them."""
    end = traffic.last_request_end
    if end is None:
        return set()
    return {f.pattern_id for f in findings if f.first_seen and naive_utc(parse_rfc3339(f.first_seen)) > end}


# The layers of failures that are the platform refusing the service itself (RBAC, IAM, a quota, a
# deploy's setting), which no retry of the service's gets through (`_logged_as_failures`).
_REFUSED_BY_PLATFORM = frozenset({Layer.PLATFORM, Layer.DEPLOY})


def _logged_since(f: Finding, since: datetime | None) -> bool:
    """Whether the finding was logged from ``since`` on (None: the whole window is recent)."""
    return bool(f.last_seen) and (since is None or naive_utc(parse_rfc3339(f.last_seen or "")) >= since)


def _not_passed(
    con: Any, findings: Sequence[Finding], lookup: Mapping[str, Pattern], since: datetime | None
) -> set[int]:
    """The positions in ``findings`` of those whose pattern says they pass (`persistent: false`: a
    Kafka client reconnecting to its brokers, at WARN each time) still logged in the recent period
    (from ``since``) in more than one moment (`verdict.FAILURE_MOMENT_S`): the reconnect it
    promises has not come, the client trying again and again (blind set CW09). One moment of it,
    with the requests after it served, is a reconnect that came: a database connection dropped
    once and retried, six minutes before the end (held-out SZ09). `absorbed_as_noise` rides
    through only the ones that ended."""
    if since is None:
        return set()
    passing = [i for i, f in enumerate(findings) if lookup[f.pattern_id].persistent is False
               and f.last_seen and naive_utc(parse_rfc3339(f.last_seen)) >= since]
    repeated = _with_an_event(con, [findings[i] for i in passing], "ts >= $since",
                              {"since": since, "moment": verdict.FAILURE_MOMENT_S},
                              having="count(DISTINCT floor(epoch(ts) / $moment)) > 1")
    return {passing[k] for k in repeated}


def with_refusals(con: Any, traffic: verdict.Traffic, ids: Sequence[int]) -> verdict.Traffic:
    """``traffic`` with the requests among ``ids`` (`refusals`) counted as failed, as refused."""
    if not ids:
        return traffic
    since = traffic.recent_since or datetime(1970, 1, 1)
    row = con.execute(_REFUSALS, {"ids": list(ids), "since": since}).fetchone()
    window, base, recent = (int(x or 0) for x in row[:3]) if row else (0, 0, 0)
    if not window and not base:
        return traffic
    first = min((t for t in (traffic.first_failure, row[3]) if t is not None), default=None)
    last = max((t for t in (traffic.last_failure, row[4]) if t is not None), default=None)
    recovered, answered = (
        (traffic.first_success_after_failures, traffic.answered_after_failures)
        if last == traffic.last_failure or last is None else _first_success_after(con, last))
    moments = con.execute(_MOMENTS, {"ids": list(ids), "moment": verdict.FAILURE_MOMENT_S}).fetchone()
    return replace(
        traffic, failed=traffic.failed + window, baseline_failed=traffic.baseline_failed + base,
        recent_failed=traffic.recent_failed + recent, first_failure=first, last_failure=last,
        first_success_after_failures=recovered, answered_after_failures=answered,
        refused=traffic.refused + window,
        denied=(window, base, recent), failed_moments=int(moments[0] or 0) if moments else 0,
    )


def _first_success_after(con: Any, moment: datetime) -> tuple[datetime | None, int]:
    """The first request of the window that did not fail after ``moment``, and how many did not."""
    row = con.execute(
        "SELECT min(ts), count(*) FROM entries "
        "WHERE in_window AND NOT request_failed(http_status, message) AND ts > ?",
        [moment],
    ).fetchone()
    return (row[0], int(row[1] or 0)) if row else (None, 0)


def decide(
    con: Any, traffic: verdict.Traffic, estimate: Estimate | None, periods: Periods,
    findings: Sequence[Finding], lookup: Mapping[str, Pattern], deploys: DeployInfo,
    unexplained: int = 0, blind: bool = False, step: datetime | None = None,
    root_start: tuple[datetime, str | None] | None = None, persistent: str | None = None,
    until_restart: bool = False, service: str | None = None, lasting: AbstractSet[str] = frozenset(),
) -> Verdict:
    """State, numbers, onset, recovery and the trigger deploy of the window (``traffic``: `measure`'s;
    ``estimate``: the scaled request counts of a sampled fetch; ``unexplained``: the unexplained
    signals' events in the window; ``blind``: the input has no times, no levels or is a text log
    alone, so nothing but its lines says whether something failed; ``step``: when the failures
    stepped up above noise that ran at the same rate before, in an input with no baseline;
    ``root_start``: when and on which revision the root cause began, which can tie the failures to
    the deploy of that revision when they came later; ``persistent``: why nothing was served while
    the failure ran, `verdict.decide`'s; ``until_restart``: a symptom stopped the work until the
    process restarts, so the failures' end is no end of them, only the everyday work's return;
    ``lasting``: the findings that fail every attempt until something is changed, which a calm
    wording beside answered requests does not make coped with, `_logged_as_failures`)."""
    # A failure the logs name, at whatever severity the app logged it (a pasted line has none) and
    # whether or not its time is known, makes the window an incident; the timed ones give the
    # onset, rather than the first error entry: an error that ran all along (another scheduler
    # job's 404s, a poison message nacked every few minutes) is not when the incident began.
    failing = [f for f in findings
               if f.role is not Role.CONTEXT and f.status in (Status.ACTIVE, Status.ELEVATED)
               and _failure_severity(f, lookup[f.pattern_id], blind or not traffic.requests)]
    if traffic.requests and not traffic.failed and not blind:
        failing = _logged_as_failures(con, failing, lookup, traffic.recent_since, lasting)
    failing += _failing_rollout(findings, failing, lookup)
    timed = sorted((f for f in failing if f.first_seen),
                   key=lambda f: (parse_rfc3339(f.first_seen or ""), f.pattern_id))
    if timed:
        began = _onset_finding(timed, lookup).first_seen or ""
        traffic = replace(traffic, first_error=naive_utc(parse_rfc3339(began)))
    # (a run that ended done after the last failure, read once: it ends the failures for
    # `_errors_ended` and for whether they `ended` below)
    last = _last_failure(traffic, timed)
    done_at = _run_done_after(con, last) if not traffic.requests and last is not None else None
    traffic = _errors_ended(con, traffic, timed, periods, done_at)
    traffic = _since_step(con, traffic, step)
    if estimate is None:
        traffic = excess(con, _since_onset(con, traffic))
    onset = (traffic.excess[0] if traffic.excess else traffic.first_failure) or traffic.first_error \
        or traffic.slow_since
    # (a load balancer's failed requests name no revision: the first failure that does; where
    # nothing failed and the answers slowed, the revision that answered most since they did)
    hint = next((f.revisions[0] for f in timed if f.revisions), None) \
        or _slow_revision(con, traffic.slow_since)
    if estimate is not None:
        # Requests were sampled (a live fetch of a busy service or of a failing-request storm):
        # decide on the loader's scaled totals and say so, never on a sampled count or ratio.
        traffic = _scaled(traffic, estimate)
    # A blind input (a paste) that logs no request and whose named failures are start-up failing
    # or a broken build or image: the container never came up, so nothing was served. Unless the
    # service's everyday work runs through the paste to its end: then containers came up and
    # worked (a rolling update's `kubectl get events`, each new pod's readiness refused once
    # before it listened, beside `kubectl logs` of batches sent until the end, blind set EY07).
    never_started = blind and any(lookup[f.pattern_id].kind == STARTUP_FAILURE
                                  or f.category is Category.BROKEN_BUILD for f in failing) \
        and not (traffic.first_error is None and _work_runs_to_the_end(con, traffic))
    started = trigger(con, deploys, onset, hint)
    if started is None and root_start is not None and onset is not None and root_start[0] <= onset:
        # A cause that grows slowly (a connection leak, a memory leak) fails requests long after
        # the deploy, but began, before them, on the new revision within minutes of it: that
        # deploy started it.
        started = trigger(con, deploys, root_start[0], root_start[1], by_failure=False)
    # A cause that fails every attempt says nothing was served only while it runs: not once it
    # ended and the logs went on, nor while the service's everyday work goes on beside it.
    starting = [f for f in failing if lookup[f.pattern_id].kind == STARTUP_FAILURE]
    unstarted = sorted({r for f in starting for r in f.revisions})
    # A rollout whose newest revision never started still stands failed, as pods a paste shows
    # crash-looping still do: not ended, and no answer of the revision or pods serving beside them
    # is a recovery (they served all along). So does a symptom that stopped a part of the work until
    # the process restarts (`until_restart`: a Kafka listener container stopped, a Pub/Sub
    # subscriber terminated) beside requests still answered: its errors end with it, the work does
    # not come back (held-out KM06: e-mails no longer sent while the REST lookups answered).
    unstarted_standing = _newest_never_started(con, unstarted, starting) and not _brought_back(con, traffic)
    standing = unstarted_standing \
        or _shown_as_current(failing, lookup) or (until_restart and traffic.requests > 0)
    # (a run that ended done after its failures got its work done: they ended, however soon
    # before the logs do)
    run_done = not traffic.requests and done_at is not None
    ended = (_ended(traffic, timed) or run_done) and not standing
    if standing:
        traffic = replace(traffic, first_success_after_failures=None)
    if persistent is not None and ((ended and not until_restart)
                                   or (not traffic.requests and _work_goes_on(con, traffic, unstarted))):
        persistent = None
    if persistent is None and not traffic.requests and failing and not ended:
        persistent = _work_displaced(con, traffic) or _jobs_all_failed(con, traffic) \
            or _jobs_never_done(con, traffic)
    if persistent is None and not traffic.requests and timed:
        persistent = _work_stopped(con, traffic, timed)
    # (a pod listing is the state as the paste was taken, after the logs it shows the history of)
    listing = _pod_listing(con, service) if failing else None
    listed_down = None
    if listing is not None and listing[1]:
        # some of its pods ready: they started (after a start-up failure, or beside one), and a
        # crash loop the paste shows stops only the pods it hits; a failure that stops the work of
        # pods running and ready (a consumer whose listeners stopped, blind set BK02) still stands
        never_started = False
        if _shown_as_current(failing, lookup):
            persistent = None
    elif listing is not None:
        unready = listing[0]
        listed_down = f"`kubectl get pods` lists none of its pods ready ({_few(unready, 3)})"
    if listed_down is None and unstarted_standing and traffic.requests:
        listed_down = _replaced_by_unstarted(traffic, unstarted)
    if listed_down is None and failing and not traffic.requests:
        listed_down = jobs_listed_failing(con, service) or run_ended_failed(con)
    if listed_down is None and failing:
        listed_down = units_listed_down(con, service)
    decided = verdict.decide(traffic, periods, len(failing), started, unexplained, never_started, persistent,
                             listed_down=listed_down,
                             not_running=any(stops_the_process(f, lookup) for f in failing))
    if estimate is None:
        return decided
    return replace(decided, sample=estimate.sample)


# An input without requests shows the service still working when a line it logged at least this
# often before the failures began (its everyday work: "SMS sent for order N", "webhook delivered")
# is still logged in the last ten minutes at this share of that rate or more. Lines are compared by
# their first line's first 100 characters once every word holding a digit is masked (`_KIND`:
# counts, times, and the ids of threads, jobs and tasks, `tid=24adm jid=c07c652e7d19`, which would
# make one kind of line many; masked first, so a Celery line's outcome after its task's uuid,
# "Task sync_invoice[<uuid>] succeeded in 0.2s", tells it from the same task's "received" and
# "raised", blind set PC05); startup lines come too rarely to count, and lines about requests,
# health checks and liveness say nothing of whether the work succeeded (`_NOT_WORK`); nor do the
# lines of revisions whose start-up failed (`$unstarted`): a container the platform never let
# serve logs its own loop all the same (a server listening on the wrong port, blind set VH07).
WORK_LINES_BEFORE = 30
WORK_GOES_ON = 0.1
_NOT_WORK = r"(?i)health|ready|liveness|\bping\b|heartbeat|probe|\brequests?\b"
# (an entry that may be everyday work: no request, below WARNING, not about health or requests; a
# monitor's or a probe's request taken out of the requests, `Store._checker_paths`, keeps its URL:
# kubelet's calls of Rails' `/up` are no work either)
_EVERYDAY = ("http_status IS NULL AND http_url IS NULL AND severity_num < 400 "
             "AND NOT regexp_matches(message, $not_work)")
_KIND = ("left(regexp_replace(split_part(message, chr(10), 1), '[0-9A-Za-z]*[0-9][0-9A-Za-z]*', '0', 'g'), "
         "100)")
# (the everyday lines before the failures' onset and in the recent period, each by its kind)
_WORK_LINES = f"""
lines AS (
  SELECT {_KIND} AS line, message,
         ts >= $recent AS recent
  FROM entries
  WHERE in_window AND {_EVERYDAY} AND ts IS NOT NULL AND (ts < $onset OR ts >= $recent)
    AND NOT list_contains($unstarted, coalesce(revision, ''))
)"""
_WORK = f"""
WITH {_WORK_LINES}
SELECT count(*) FROM (
  SELECT line, count(*) FILTER (WHERE NOT recent) AS before, count(*) FILTER (WHERE recent) AS now
  FROM lines GROUP BY line
) WHERE before >= $min_before AND now * $before_s >= $share * before * $recent_s
"""


def stops_the_process(f: Finding, lookup: Mapping[str, Pattern]) -> bool:
    """Whether ``f`` says the service's process is not running, while it is active: a symptom that
    keeps it from staying up (`persistent: true`: a crash loop, a unit systemd gave up restarting),
    at error or above (a warning is background a live service runs beside)."""
    pattern = lookup[f.pattern_id]
    return (f.role is Role.SYMPTOM and f.status in (Status.ACTIVE, Status.ELEVATED)
            and bool(pattern.persistent) and pattern.severity in (Severity.ERROR, Severity.CRITICAL))


def _replaced_by_unstarted(traffic: verdict.Traffic, unstarted: Sequence[str]) -> str | None:
    """Why nothing is served, when the newest revision never started and still stands failed
    (`_newest_never_started`) and the requests the window logged all came before its failures
    began: the revisions that answered them were stopped for it (a Recreate rollout scales the old
    pods to zero first, held-out LT04: a model server's one pod replaced by one whose every start
    failed), so however few requests a quiet of some minutes would have held, none is answered."""
    last, began = traffic.requests_between[1], traffic.first_error
    if last is None or began is None or last >= began:
        return None
    if traffic.last_request_end is not None and traffic.last_request_end >= began:
        return None
    return (f"no request was answered after {last:%H:%M:%S}: the revisions that answered them stopped "
            f"before the failures began at {began:%H:%M:%S}, and {_few(unstarted, 2)} never started")


def _few(names: Sequence[str], most: int) -> str:
    """The first ``most`` of ``names``, and how many more."""
    extra = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + extra


def _work_goes_on(con: Any, traffic: verdict.Traffic, unstarted: Sequence[str] = ()) -> bool:
    """Whether, in an input that logs no request, the service's everyday lines from before the
    failures began go on in the recent period (`WORK_LINES_BEFORE`, `WORK_GOES_ON`): its old
    ReplicaSet still serving beside a new one that crash-loops, the share of deliveries a NAT that
    drops ports lets through; or its job framework still logs jobs completed there (`_jobs_done`).
    Then a cause that fails every attempt it makes did not stop all the service's work: degraded,
    not down. Lines of the ``unstarted`` revisions do not count."""
    span = _work_span(con, traffic)
    if span is not None and _work_kept_pace(con, *span, unstarted=unstarted):
        return True
    # (jobs completed need no pace from before: the failures may run from the input's first line;
    # but only those completed since the failures began go on beside them: a short paste whose
    # recent period holds the whole window holds the jobs done before the worker's last restart
    # too, held-out KN10; the failures began with the first error or the first job failed)
    since = traffic.recent_since
    began = _failures_began(con, traffic)
    if since is not None and began is not None:
        since = max(since, began)
    return since is not None and _jobs_done(con, since, began)


def _onset_finding(timed: Sequence[Finding], lookup: Mapping[str, Pattern]) -> Finding:
    """The named failure the incident began with, of the ``timed`` ones (by first time): not a lone
    blip of a kind clients retry or reconnect through (`passes`), logged once `verdict.RECENT` or
    more before the next failure. A Pub/Sub stream reset and reconnected, a Redis connection reset
    once, twenty minutes before a rollout's failures began, is no start of them: it set the onset
    before the rollout, which then could not be their trigger, and its quiet after read as all work
    stopped (held-out LD04, LH07)."""
    knowledge = load_knowledge()
    blips_end: datetime | None = None  # when the leading lone blips (one event each) last logged
    for f in timed:
        if f.count == 1 and passes(f, lookup[f.pattern_id], knowledge):
            ends = parse_rfc3339(f.last_seen or f.first_seen or "")
            blips_end = ends if blips_end is None else max(blips_end, ends)
            continue
        quiet = None if blips_end is None else parse_rfc3339(f.first_seen or "") - blips_end
        return f if quiet is not None and quiet.total_seconds() >= verdict.RECENT else timed[0]
    return timed[0]


def _failures_began(con: Any, traffic: verdict.Traffic) -> datetime | None:
    """When the failures began: the first error, or the first job its framework logged as failed
    (`work_outcomes.failed`: Laravel's "... FAIL" lines at no level of their own), whichever came first."""
    row = con.execute("SELECT min(ts) FROM entries WHERE in_window AND regexp_matches(message, $failed)",
                      {"failed": load_knowledge().work_failed}).fetchone()
    times = [t for t in (traffic.first_error, row[0] if row else None) if t is not None]
    return min(times) if times else None


# An input without requests shows work still done when its job framework logs jobs completed
# (`work_outcomes`, patterns/_knowledge.yaml: Sidekiq's "done", Celery's "succeeded in") in the recent
# period at least `JOBS_DONE` times, and at least as often as `1 - verdict.DOWN_RATE` of those and
# the jobs it logs as failed there, as answered requests would say (where the framework logs no
# failed job, its events at warning or above stand for them: a framework logs a job it will retry
# as a warning): one job type failing on a 403 while the others complete is a part of the work
# (held-out FE09: six job types, each too rare for `_WORK`'s paces, read down).
JOBS_DONE = 3
_JOBS_DONE = """
SELECT (SELECT count(*) FROM entries WHERE in_window AND ts >= $recent AND regexp_matches(message, $done)),
       (SELECT count(*) FROM entries WHERE in_window AND ts >= $recent AND regexp_matches(message, $failed)),
       (SELECT count(*) FROM events WHERE in_window AND ts >= $recent AND severity_num >= 400)
"""


def _job_outcomes(con: Any, recent: datetime) -> tuple[int, int, int]:
    """(jobs completed, jobs failed, events at warning or above) since ``recent`` (`work_outcomes`)."""
    knowledge = load_knowledge()
    row = con.execute(_JOBS_DONE, {"done": knowledge.work_done, "failed": knowledge.work_failed,
                                   "recent": recent}).fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def jobs_all_done(con: Any, traffic: verdict.Traffic) -> bool:
    """Whether, in an input that logs no request, its job framework logged every job or task
    attempt of the window completed (`work_outcomes`: `JOBS_DONE` or more, none failed), the last
    in the recent period: the work was all done, as requests all answered would say."""
    recent = traffic.recent_since
    if traffic.requests or recent is None:
        return False
    done, failed, _ = _job_outcomes(con, EPOCH)
    return done >= JOBS_DONE and not failed and _job_outcomes(con, recent)[0] > 0


def _jobs_all_failed(con: Any, traffic: verdict.Traffic) -> str | None:
    """Why nothing was done, in an input that logs no request, when its job framework logged jobs
    completed before the failures began and, in the recent period, `JOBS_DONE` jobs failed or more
    and none completed: every job fails, as every request would (held-out FP01: a Celery worker
    whose lines, all on stderr, are all at ERROR, so no everyday line paces its work)."""
    onset, recent = traffic.first_error, traffic.recent_since
    if onset is None or recent is None or recent <= onset:
        return None
    done_before = con.execute("SELECT count(*) FROM entries WHERE in_window AND ts < $onset "
                              "AND regexp_matches(message, $done)",
                              {"onset": onset, "done": load_knowledge().work_done}).fetchone()
    done, failed, _ = _job_outcomes(con, recent)
    if not done_before or done_before[0] < JOBS_DONE or done or failed < JOBS_DONE:
        return None
    return (f"its jobs completed before the failures began, and since {recent:%H:%M:%S} {failed} failed "
            "and none did")


def _jobs_never_done(con: Any, traffic: verdict.Traffic) -> str | None:
    """Why nothing was done, in an input that logs no request, when no job or task attempt of the
    whole window completed, `JOBS_DONE` or more failed, and they still failed in the recent period:
    a Cloud Run job whose every task attempt exited 1 (held-out JM09: four attempts of a backfill,
    each ending "Container called exit(1)." with no error of its own) did none of its work."""
    recent = traffic.recent_since
    if recent is None:
        return None
    done, failed, _ = _job_outcomes(con, EPOCH)
    recent_failed = _job_outcomes(con, recent)[1]
    if done or failed < JOBS_DONE or not recent_failed:
        return None
    return f"none of its {failed} jobs or task attempts in the window completed"


# Jobs completed since the failures began at this share of their pace before, or more, are the
# work going on beside the failures, however many attempts failed: a poison job retried every
# fifteen seconds fails four times as often as the other job types complete, which they do at half
# their pace or more (held-out KN06, Laravel Horizon).
DONE_PACE = 0.5


def _jobs_done(con: Any, recent: datetime, began: datetime | None = None) -> bool:
    """Whether the jobs completed since ``recent`` show the work going on (`JOBS_DONE`): as often as
    answered requests would, or, where the failures ``began`` inside the window, at `DONE_PACE` of
    their pace before that at least."""
    done, failed_jobs, failed_events = _job_outcomes(con, recent)
    failed = failed_jobs or failed_events
    if done < JOBS_DONE:
        return False
    if done >= (1 - verdict.DOWN_RATE) * (done + failed):
        return True
    first = _first_in_window(con)
    if began is None or first is None or began <= first:
        return False
    before = con.execute("SELECT count(*) FROM entries WHERE in_window AND ts >= $first AND ts < $began "
                         "AND regexp_matches(message, $done)",
                         {"first": first, "began": began, "done": load_knowledge().work_done}).fetchone()
    done_before = int(before[0]) if before else 0
    end = recent + timedelta(seconds=verdict.RECENT)
    return done_before >= JOBS_DONE and done / max((end - recent).total_seconds(), 1.0) \
        >= DONE_PACE * done_before / max((began - first).total_seconds(), 1.0)


# An input without requests shows most of the service's work failing when a line it logged for
# its everyday work before the failures began (`_WORK`'s lines: "invoice 1042 archived", "Job
# completed") is logged in the last ten minutes at under this share of its former rate, and the
# failures logged there at least stand in for the lines that went missing (`DISPLACED_BY`: a failure
# of a job is often one event where its success was two lines). A line whose pace held, such as one
# logged when each job is received, says nothing either way: only the work's own outcome went
# missing. The share is below the two in five `verdict.DOWN_RATE` leaves answered: a pace is a proxy
# for a ratio, which bursts of work and retries that succeed later stretch (held-out sets: jobs
# failing three in four and lost, down; a burst's jobs failing two in three and mostly retried
# through, degraded: JH07, JH06). And the lines that fell so carried `WORK_SHARE` of the everyday
# lines before at least: where each item logs one line as it is received and one for its outcome,
# the outcomes are half of them; one task type failing among several that go on, or one thread's
# lines gone with a killed process, is a part of the work (degraded; blind sets VB02, OE08, VA06).
WORK_LEFT = 0.3
DISPLACED_BY = 0.5
WORK_SHARE = 0.2
_DISPLACED = f"""
WITH {_WORK_LINES}, paces AS (
  SELECT line, min(message) AS example, count(*) FILTER (WHERE NOT recent) / $before_s AS before,
         count(*) FILTER (WHERE recent) / $recent_s AS now
  FROM lines GROUP BY line HAVING count(*) FILTER (WHERE NOT recent) >= $min_before
)
SELECT example, before, now FROM paces
WHERE now < $left * before
  AND (SELECT sum(before) FROM paces WHERE now < $left * before) >= $share * (SELECT sum(before) FROM paces)
ORDER BY before DESC, line LIMIT 1
"""


def _work_displaced(con: Any, traffic: verdict.Traffic) -> str | None:
    """Why nothing much was served, in an input that logs no request, when the failures run to its
    end and the everyday work they took the place of fell under `WORK_LEFT` of its pace
    (`_DISPLACED`): a worker whose every upload is denied, a job whose tasks all run out of memory.
    None when no everyday line went missing, or the failures since do not account for it."""
    span = _work_span(con, traffic)
    if span is None:
        return None
    first, onset, recent = span
    row = con.execute(_DISPLACED, {**_work_params(first, onset, recent), "left": WORK_LEFT,
                                   "share": WORK_SHARE}).fetchone()
    if not row:
        return None
    example, before, now = str(row[0]).split("\n", 1)[0][:80], float(row[1]), float(row[2])
    # (at warning or above: a job framework logs a job's failure that it will retry as a warning)
    counted = con.execute("SELECT count(*) FROM events WHERE in_window AND ts >= ? AND severity_num >= 400",
                          [recent]).fetchone()
    failed = int(counted[0]) if counted else 0
    if failed < DISPLACED_BY * (before - now) * verdict.RECENT:
        return None
    return (f"its everyday work (lines like {example.strip()!r}) fell to {now / before:.0%} of its pace "
            "while the failures ran on")


# An input without requests shows the service's work stopped by its failures when an everyday line
# (`_WORK_LINES`' kinds, logged `WORK_LINES_BEFORE` times before the failures began, in the window
# or the baseline before it) was last logged while they ran, or no longer before their onset than
# its own longest silence before (a CronJob's lines come in bursts ten minutes apart) and `STOP_NEAR`
# seconds, and never again, over a quiet that at its former pace would have held `STOP_EVIDENCE` of
# it and lasted `STOP_GAPS` of those silences and `STOP_QUIET` seconds at least (an export's last
# minute is ragged: a line logged every second stopped 49 s before the end of one that simply
# ended, blind set PH03); a line that carried `WORK_SHARE` of the everyday lines before, not one
# thread's (Sidekiq names its threads `tid=hirk`, and a process killed takes its threads' kinds with
# it, OA02); and no revision came up after the failures began that logged none of them (a fix logs
# its own lines). A subscriber whose stream ended on a 403 logs that once and nothing more: the
# failure ended, the work with it (blind set UH09); a job whose every run fails logs its retries,
# not the pages it fetched (UD08). Where another line that carried as large a share is still logged
# in the last `STOP_QUIET` seconds, the work came back, or never stopped: a worker's small uploads
# went unlogged for minutes while its evicted pods' replacements finished long videos, each
# logging "done" to the end (held-out UF02).
STOP_NEAR = 120
STOP_GAPS = 3
_STOPPED = f"""
WITH lines AS (
  SELECT {_KIND} AS line, message, ts
  FROM entries
  WHERE {_EVERYDAY} AND ts IS NOT NULL
), spaced AS (
  SELECT line, message, ts, epoch(ts - lag(ts) OVER (PARTITION BY line ORDER BY ts)) AS gap FROM lines
), kinds AS (
  SELECT line, min(message) AS example, max(ts) AS last, count(*) FILTER (WHERE ts < $onset) AS before,
         coalesce(max(gap) FILTER (WHERE ts < $onset), 0) AS silence
  FROM spaced GROUP BY line
), busy AS (
  SELECT * FROM kinds WHERE before >= $share * (SELECT sum(before) FROM kinds)
)
SELECT example, last FROM busy
WHERE before >= $min_before AND last <= $to AND last >= $onset - to_seconds(silence + $near)
  AND before / $before_s * epoch($end - last) >= $evidence AND epoch($end - last) >= $gaps * silence
  AND epoch($end - last) >= $quiet
  AND NOT EXISTS (SELECT 1 FROM busy AS going WHERE epoch($end - going.last) < $quiet)
ORDER BY before DESC, line LIMIT 1
"""
# (the revisions that came up after ``$onset`` and are not among ``$failing``)
_CAME_UP_AFTER = ("SELECT count(*) FROM (SELECT revision FROM entries WHERE revision IS NOT NULL "
                  "AND NOT list_contains($failing, revision) GROUP BY revision HAVING min(ts) > $onset)")


def _work_stopped(con: Any, traffic: verdict.Traffic, timed: Sequence[Finding]) -> str | None:
    """Why nothing was served since, in an input that logs no request, when the service's everyday
    work stopped as its named failures (``timed``) began or ran and never came back (`_STOPPED`),
    though the failures themselves may have ended: a consumer that gave up logs its last error and
    falls silent, and its silence is no recovery. None when the work went on, or a revision came up
    after the failures began that logged none of them (a fix; a CronJob's pod that failed too is
    just the next run)."""
    row = con.execute("SELECT min(ts) FROM entries").fetchone()
    first, end = (row[0] if row else None), traffic.recent_since
    onset = naive_utc(parse_rfc3339(timed[0].first_seen or ""))
    last = _last_failure(replace(traffic, last_error=None), timed)
    if first is None or end is None or last is None or onset <= first:
        return None
    failing = sorted({r for f in timed for r in f.revisions})
    came = con.execute(_CAME_UP_AFTER, {"onset": onset, "failing": failing}).fetchone()
    if came and came[0]:
        return None
    row = con.execute(_STOPPED, {
        "not_work": _NOT_WORK, "onset": onset, "min_before": WORK_LINES_BEFORE, "near": float(STOP_NEAR),
        "to": last + timedelta(seconds=STOP_NEAR), "end": end + timedelta(seconds=RECENT),
        "before_s": (onset - first).total_seconds(), "evidence": STOP_EVIDENCE, "gaps": STOP_GAPS,
        "quiet": float(STOP_QUIET), "share": WORK_SHARE,
    }).fetchone()
    if not row:
        return None
    example = str(row[0]).split("\n", 1)[0][:80].strip()
    return (f"its everyday work (lines like {example!r}) stopped at {row[1]:%H:%M:%S} with the failures "
            "and never came back")


# (the everyday lines logged before the window between two moments)
_LINES_BETWEEN = (f"SELECT count(*) FROM entries WHERE NOT in_window AND ts BETWEEN $first AND $last "
                  f"AND {_EVERYDAY}")


def worked_beside(con: Any, hits: Sequence[Hit], ids: AbstractSet[str]) -> set[str]:
    """Of the patterns named in ``ids`` (causes that fail every attempt until something is changed),
    those the service's everyday work went on beside before the window: `WORK_LINES_BEFORE` lines
    of it or more between their first and last events there (`_NOT_WORK`'s excepted). Such a
    failure is one item's, not every attempt's (a worker acking uploads whose object is gone, one
    in ten, between thumbnails written: blind set VA03), so its running on into the window is no
    incident carried over (`baseline.ongoing`)."""
    spans: dict[str, list[datetime]] = {}
    for h in hits:
        if h.pattern_id in ids and not h.in_window and h.ts is not None:
            spans.setdefault(h.pattern_id, []).append(h.ts)
    beside = set()
    for pid, times in sorted(spans.items()):
        if len(times) < 2:
            continue
        row = con.execute(_LINES_BETWEEN, {"first": min(times), "last": max(times),
                                           "not_work": _NOT_WORK}).fetchone()
        if row and int(row[0]) >= WORK_LINES_BEFORE:
            beside.add(pid)
    return beside


def _first_in_window(con: Any) -> datetime | None:
    row = con.execute("SELECT min(ts) FROM entries WHERE in_window").fetchone()
    return row[0] if row else None


def _work_span(con: Any, traffic: verdict.Traffic) -> tuple[datetime, datetime, datetime] | None:
    """(first entry, the failures' onset, the recent period's start) of the window, when the
    everyday lines before the onset can be compared with those of the recent period after it."""
    onset, recent, first = traffic.first_error, traffic.recent_since, _first_in_window(con)
    if onset is None or recent is None or first is None or onset <= first or recent <= onset:
        return None
    return first, onset, recent


def _work_params(
    first: datetime, onset: datetime, recent: datetime, unstarted: Sequence[str] = ()
) -> dict[str, Any]:
    """`_WORK_LINES`' parameters: the lines from ``first`` to ``onset`` against those since
    ``recent``, but those of the ``unstarted`` revisions."""
    return {"onset": onset, "recent": recent, "not_work": _NOT_WORK, "min_before": WORK_LINES_BEFORE,
            "before_s": (onset - first).total_seconds(), "recent_s": float(verdict.RECENT),
            "unstarted": list(unstarted)}


def _work_kept_pace(
    con: Any, first: datetime, onset: datetime, recent: datetime, unstarted: Sequence[str] = ()
) -> bool:
    """`_WORK` over the lines from ``first`` to ``onset`` and those since ``recent``."""
    params = {**_work_params(first, onset, recent, unstarted), "share": WORK_GOES_ON}
    row = con.execute(_WORK, params).fetchone()
    return bool(row and row[0])


def _work_runs_to_the_end(con: Any, traffic: verdict.Traffic) -> bool:
    """Whether, in an input that logs no request and whose failures have no time, the service's
    everyday lines (`_work_goes_on`'s) logged before the recent period go on in it: with no
    onset to compare against, the whole input before the recent period is the reference."""
    recent, first = traffic.recent_since, _first_in_window(con)
    if traffic.requests or recent is None or first is None or recent <= first:
        return False
    return _work_kept_pace(con, first, recent, recent)


def _rollout(deploys: DeployInfo, revision: str, first: datetime) -> Trigger | None:
    """The rollout of ``revision`` read from the entries alone, in an input that holds no deploy
    record of its workload (an export of the service's own logs; a GKE cluster without its audit
    log): a Cloud Run revision or a GKE ReplicaSet first seen after another one had served is a
    new version put in service then. With a deploy record of the workload in the input, that
    record says which deploys there were, and a revision none of them created came some other
    way (a traffic move back to an older one)."""
    workload = revision.rsplit("-", 1)[0]
    if any(d.service is None or revision.startswith(f"{d.service}-") or d.service == workload
           for d in deploys.deploys):
        return None
    if previous_revision(deploys, revision) is None:
        return None
    return Trigger(revision, rfc3339(first), None, inferred=True)


def _since_step(con: Any, traffic: verdict.Traffic, step: datetime | None) -> verdict.Traffic:
    """When the failed requests before the failures stepped up were noise (another endpoint's
    500s at the same rate from the input's first minutes, read without a baseline), the first
    failed request since the step is the onset, not the noise's first. Failed requests that began
    later, or ran before the step at more than a fifth of the rate after it, are the incident's
    own."""
    if step is None or traffic.first_failure is None or traffic.first_failure >= naive_utc(step):
        return traffic
    at = naive_utc(step)
    row = con.execute(
        """
        SELECT min(ts), max(ts),
               count(*) FILTER (WHERE request_failed(http_status, message) AND ts < $at),
               count(*) FILTER (WHERE request_failed(http_status, message) AND ts >= $at),
               min(ts) FILTER (WHERE request_failed(http_status, message) AND ts >= $at)
        FROM entries WHERE in_window AND ts IS NOT NULL
        """, {"at": at},
    ).fetchone()
    if not row or row[0] is None or row[4] is None:
        return traffic
    lo, hi, before, after, first_after = row
    rate_before = before / max((at - lo).total_seconds(), 1.0)
    rate_after = after / max((hi - at).total_seconds(), 1.0)
    if traffic.first_failure > lo + (hi - lo) / 10 or rate_before * NOISE_SHARE > rate_after:
        return traffic  # they began later, or ran near the incident's rate: the incident's own
    return replace(traffic, first_failure=first_after)


def _since_onset(con: Any, traffic: verdict.Traffic) -> verdict.Traffic:
    """The requests and failed requests from the first failed request (the step's, see
    `_since_step`) to the window's end, when it came inside the recent period (`verdict.MIN_SINCE_ONSET`'s
    why). Read from the entries in full: a sampled fetch's counts say nothing of a ratio."""
    first, since = traffic.first_failure, traffic.recent_since
    if first is None or since is None or first <= since:
        return traffic
    row = con.execute(
        "SELECT count(*) FILTER (WHERE http_status IS NOT NULL), "
        "count(*) FILTER (WHERE request_failed(http_status, message)) "
        "FROM entries WHERE in_window AND ts >= ?", [first],
    ).fetchone()
    return replace(traffic, since_onset=(int(row[0] or 0), int(row[1] or 0))) if row else traffic


# Symptom kinds a platform reports at WARNING that are failures all the same: a pod not ready, a
# probe killing a container (Kubernetes' `Warning Unhealthy` events).
CRASH = "crash"  # a pattern kind: the platform's record that a container died or was killed
WARNING_FAILURE_KINDS = (STARTUP_FAILURE, CRASH)


def _logged_as_failures(
    con: Any, failing: Sequence[Finding], lookup: Mapping[str, Pattern], since: datetime | None,
    lasting: AbstractSet[str] = frozenset(),
) -> list[Finding]:
    """Of the named failures in a window whose requests all succeeded, those the service logged
    as errors at least once (ERROR or above, or with no level at all, in the entry or at the start
    of its text: `TEXT_LEVEL_RE2`): a timeout it retried, an exception it caught and answered with
    a fallback, logged at WARNING or below each time beside requests that all succeeded, is the
    service telling that it coped, not an incident. (Where a request failed, the failures decide,
    and a warning may be the cause they name.) A crash is kept at any level: the platform's record
    that a container died or was killed (kubelet's "Back-off restarting failed container" is a
    Warning event) is no coping, and the requests in flight on it were lost unlogged; and so is a
    failure only on revisions that answered no request (`_serving_revisions`, blind set EB04); and
    one its pattern says passes, still logged from ``since`` (`_not_passed`); and one of ``lasting``
    (a failure that fails every attempt until something is changed) still logged from ``since``
    where the platform refuses the service itself (`_REFUSED_BY_PLATFORM`): a pod whose service
    account may no longer list endpoints fails every attempt to find its peers, however calmly it
    words it, and its cluster stays split (held-out IA07). An exception of its own code it logs at
    WARNING is its code choosing to serve a fallback (CC07), and a dependency or a path it calls
    through it retries by design: a flag SDK that cannot resolve its stream's host serves its last
    known flags and says it will retry (GA07), however long that lasts. Nor is a failure its pattern
    says is a request failed (`fails_requests`), at any level: the answer a request log counted
    was the failure page (Spring Security's redirect after a SAML response it refused, held-out
    LF04: every sign-in failed at WARN while the 302s read as served). Nor a failed deploy (a
    pattern of the deploy layer), at any level: the old version serving every request is no sign
    the new one works, and a failed deploy is never an all-clear (Cloud Build's `error: deployment
    "x" exceeded its progress deadline`, logged at INFO, held-out UI09).
    A catch-all's shape (`generic`: any stack trace) with no level at all is no error logged: a
    framework prints its warnings' stacks under a logger line of their own, and with every request
    answered such a stack says nothing failed (Vert.x's "Thread blocked" at a cold start, blind set
    JA10); a known failure mode's words still count at no level."""
    generic = [lookup[f.pattern_id].generic for f in failing]
    logged = _with_an_event(
        con, failing, "severity_num >= 500 OR (severity_num = 0 AND NOT ($generic::BOOLEAN[])[k + 1] "
                      "AND NOT regexp_matches(message, $below))",
        {"below": TEXT_LEVEL_RE2, "generic": generic})
    served = _serving_revisions(con) if failing else set()
    logged |= _not_passed(con, failing, lookup, since)
    logged |= {i for i, f in enumerate(failing)
               if f.pattern_id in lasting and f.layer in _REFUSED_BY_PLATFORM and _logged_since(f, since)}
    return [f for i, f in enumerate(failing) if i in logged or lookup[f.pattern_id].kind == CRASH
            or lookup[f.pattern_id].fails_requests or lookup[f.pattern_id].layer is Layer.DEPLOY
            or (f.revisions and served.isdisjoint(f.revisions))]


def _failing_rollout(
    findings: Sequence[Finding], failing: Sequence[Finding], lookup: Mapping[str, Pattern],
) -> list[Finding]:
    """The findings below error level that a failed deploy among ``failing`` is caused by (its
    pattern's `caused_by`): the new version's pods failing their probes, logged as warnings to the
    end, are that deploy still failing after the one line that said it stalled (held-out UI09: a
    rollout past its progress deadline read as recovered seconds later)."""
    causes = {c for f in failing if lookup[f.pattern_id].layer is Layer.DEPLOY
              for c in lookup[f.pattern_id].caused_by}
    named = {f.pattern_id for f in failing}
    return [f for f in findings if f.pattern_id in causes and f.pattern_id not in named
            and f.role is not Role.CONTEXT and f.status in (Status.ACTIVE, Status.ELEVATED)]


def _serving_revisions(con: Any) -> set[str]:
    """The revisions that answered requests in the window: a failure logged at WARNING only on
    revisions that answered none (a new revision whose start-up aborts while the old one serves) was
    not coped with beside those requests; it is a rollout that failed."""
    return {str(r) for (r,) in con.execute(
        "SELECT DISTINCT revision FROM entries WHERE in_window AND http_status IS NOT NULL "
        "AND revision IS NOT NULL").fetchall()}


def _with_an_event(
    con: Any, findings: Sequence[Finding], condition: str, params: dict[str, Any], having: str = "TRUE"
) -> set[int]:
    """The positions in ``findings`` of those with an in-window event meeting ``condition`` (SQL
    over `events`, with ``params``), and whose such events together meet ``having`` (an aggregate
    over them: logged in more than one moment)."""
    if not findings:
        return set()
    owner = [i for i, f in enumerate(findings) for _ in f.event_ids]
    ids = [e for f in findings for e in f.event_ids]
    rows = con.execute(
        "SELECT k FROM (SELECT unnest($owner::INTEGER[]) AS k, unnest($ids::BIGINT[]) AS id) "
        f"JOIN events ON event_id = id WHERE in_window AND ({condition}) GROUP BY k HAVING {having}",
        {"owner": owner, "ids": ids, **params}).fetchall()
    return {int(k) for (k,) in rows}


def _failure_severity(finding: Finding, pattern: Pattern, blind: bool) -> bool:
    """Whether a named failure is bad enough to make an incident by itself: an error-level one
    always; a warning-level cause, or a warning-level symptom of a start-up failure or a crash,
    too when the input is blind or logs no request (``blind``: a paste is shown because its lines
    failed, and with no request nothing else says whether the service served: a rejected token or
    a readiness probe failing 146 times is the whole story there, though in a service's live log
    the same warning runs as background noise beside the requests that decide)."""
    if pattern.severity in (Severity.ERROR, Severity.CRITICAL):
        return True
    if not blind or pattern.severity is not Severity.WARNING:
        return False
    return finding.role is Role.CAUSE or pattern.kind in WARNING_FAILURE_KINDS


# An answer after the errors ended shows recovery when it came from a revision that had failed
# (it works again), from one deployed after the failures began (a fix), or from one that served
# before them and fell silent while they ran (brought back: a rollback, which may overlap their
# first and last minutes), never from a revision that kept serving through them: that is traffic
# a failed rollout never took over. With ``$entries`` (an input that logs no request), an entry
# below ERROR is an answer too, if it is the service's own where entries name their service (a Cloud
# SQL checkpoint or another's audit entry after the last failed start says nothing of the service:
# blind set BE10). The first answer after ``$since`` (the last failure, or later).
_RECOVERED_BY = """
SELECT min(ts) FROM entries
WHERE in_window AND ts > $since
  AND (NOT request_failed(http_status, message)
       OR ($entries AND http_status IS NULL AND severity_num < 500
           AND (service IS NOT NULL OR NOT EXISTS (SELECT 1 FROM entries WHERE service IS NOT NULL))))
  AND (revision IS NULL OR list_contains($failing, revision)
       OR revision NOT IN (SELECT revision FROM entries WHERE revision IS NOT NULL
                           GROUP BY revision HAVING min(ts) < $onset
                           AND count(*) FILTER (WHERE ts BETWEEN $middle_from AND $middle_to) > 0))
"""


def _last_failure(traffic: verdict.Traffic, timed: Sequence[Finding]) -> datetime | None:
    """When the window's last error entry or named failure was logged."""
    ends = [naive_utc(parse_rfc3339(f.last_seen)) for f in timed if f.last_seen]
    return max([*ends, *([traffic.last_error] if traffic.last_error is not None else [])], default=None)


# How long an instance stopped after a failed start goes on logging its own shutdown (Cloud Run
# sends SIGTERM and kills 10 s later; Kubernetes' default grace period is 30 s): gunicorn's
# "Handling signal: term" then is no sign that the revision started.
SHUTDOWN_GRACE = timedelta(seconds=60)
# A revision that logged this long before its first start-up failure had started: its pods ran
# before a probe failed on them (a start that takes longer fails its probes from its first minutes).
RAN_BEFORE = timedelta(minutes=10)
# The newest revision the window logs (by its first entry), whether it answered any request, and
# whether it logged anything below ERROR after its last start-up failure and its shutdown ($after).
_NEWEST_REVISION = """
SELECT revision, count(*) FILTER (WHERE http_status IS NOT NULL AND NOT request_failed(http_status, message)),
       count(*) FILTER (WHERE ts > $after AND http_status IS NULL AND severity_num < 500), min(ts)
FROM entries WHERE in_window AND revision IS NOT NULL
GROUP BY revision ORDER BY min(ts) DESC, revision DESC LIMIT 1
"""


def _shown_as_current(failing: Sequence[Finding], lookup: Mapping[str, Pattern]) -> bool:
    """Whether a failure that keeps the service from staying up (`persistent: true`: a crash loop)
    is shown without a time: a paste's `kubectl get pods` or `describe` prints the pods' state when
    the command ran, after the logs pasted above it, so the logs' quiet after their last error is
    no end of it (blind set BF02: every pod in CrashLoopBackOff below a log that went on working
    until the stream stopped)."""
    return any(not f.first_seen and lookup[f.pattern_id].persistent for f in failing)


# A pod's row of `kubectl get pods` (`podnames.POD_LISTING_ROW`). A paste's listing reaches the
# entries as its header and a row per line, each row its pod's workload's (the text reader); only a
# text input's lines are read (an export's million messages are no paste).
_POD_HEADER = r"\bNAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\b"
_POD_ROW = POD_LISTING_ROW
_POD_ROW_RE = re.compile(_POD_ROW)
_POD_HEADER_RE = re.compile(_POD_HEADER)
_POD_LINES = f"""
SELECT message FROM entries
WHERE in_window AND resource_type = 'local'
  AND (regexp_matches(message, '{_POD_HEADER}') OR regexp_matches(message, '^{_POD_ROW}'))
ORDER BY ordinal
"""


def _pod_listing(con: Any, service: str | None) -> tuple[list[str], list[str]] | None:
    """The pods of ``service`` (its Deployment's or StatefulSet's, by name: `storefront-worker-
    6c4b7f9d5-p8vxl` is another workload's, held-out CV06) the last `kubectl get pods` listing of a
    paste shows, as those not ready (fewer containers ready than it has) and those ready; None
    without one. The listing was printed after the logs above it: when none is ready the requests
    those logs answered are no sign that anything serves now (blind set CA06: a Recreate rollout's
    only pod crash-looping below the old pod's access log), and when some are, they started, and a
    crash loop beside them stops only the pods it hits (CC09: one of three workers killed for
    memory, two running; `decide`). Without a service no listing is the service's. The same
    RE2-compatible row expression selects the lines in DuckDB and reads their rows here."""
    if not service:
        return None
    listings: list[list[tuple[str, bool]]] = []
    for (message,) in con.execute(_POD_LINES).fetchall():
        if _POD_HEADER_RE.search(message) or not listings:
            listings.append([])
        # (a Job's pod that ran once and ended, 0/1 Completed or 0/1 Error with no restart, serves
        # nothing by design: not listed; the Job's failure is a finding of its own)
        listings[-1] += [(n, r == t and t != "0") for n, r, t, st, k in _POD_ROW_RE.findall(message)
                         if is_pod_of(n, service)
                         and not _ran_once(st, k)]
    shown = next((rows for rows in reversed(listings) if rows), None)
    if shown is None:
        return None
    return [n for n, up in shown if not up], [n for n, up in shown if up]


# A Job's row of `kubectl get jobs` (NAME [STATUS] COMPLETIONS DURATION AGE; kubectl 1.31 added
# STATUS, kubernetes/kubectl pkg/describe and printers: "Complete", "Running", "Failed"): its
# name, its status when shown, the pods that succeeded of how many are wanted, and its age. A row
# is told from a pod's (NAME READY STATUS RESTARTS AGE) by its duration, `6m45s`, where a pod's
# row has its status word. Pasted with `| grep <job>`, the rows come without their header.
_JOB_ROW = (r"(?:^|\s)([a-z0-9][-a-z0-9.]*)\s+(?:([A-Z][A-Za-z]*)\s+)?([0-9]+)/([0-9]+)\s+"
            r"([0-9][0-9smhd]*)\s+([0-9][0-9smhd]*)\s*$")
# (in Python, each row of a listing whose lines were joined into one entry, as a pasted table's are)
_JOB_ROW_RE = re.compile(_JOB_ROW.removesuffix(r"\s*$") + r"(?=\s|$)")
_JOB_LINES = f"""
SELECT message FROM entries
WHERE in_window AND resource_type = 'local' AND regexp_matches(message, '{_JOB_ROW}')
ORDER BY ordinal
"""
_AGE_PART = re.compile(r"([0-9]+)([smhd])")
_AGE_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class _JobRow:
    """A Job's row of a pasted `kubectl get jobs` (`_JOB_ROW`)."""

    name: str
    status: str  # "" where kubectl showed no STATUS column
    done: int
    wanted: int
    duration_s: int
    age_s: int

    @property
    def complete(self) -> bool:
        return self.wanted > 0 and self.done == self.wanted and self.status in ("", "Complete")


def _job_rows(con: Any, service: str | None) -> list[_JobRow]:
    """The rows of ``service``'s Jobs (its CronJob's `<name>-<scheduled minute>`, or the Job
    itself) in a paste's `kubectl get jobs`, newest first."""
    if not service:
        return []
    rows = [_JobRow(name, status, int(done), int(wanted), _age_seconds(duration), _age_seconds(age))
            for (message,) in con.execute(_JOB_LINES).fetchall()
            for name, status, done, wanted, duration, age in _JOB_ROW_RE.findall(message)
            if name == service or name.startswith(f"{service}-")]
    return sorted(rows, key=lambda row: (row.age_s, row.name))


def job_completed(con: Any, service: str | None) -> bool:
    """Whether a paste's `kubectl get jobs` shows the newest Job of ``service`` completed: every
    wanted pod succeeded, and no status other than Complete. The listing is the Job's outcome: the
    warnings its log printed on the way (records skipped, a read retried) were handled, the run
    finished (held-out GD02: a nightly reconcile that completed like the three nights before,
    pasted for its warnings)."""
    rows = _job_rows(con, service)
    return bool(rows) and rows[0].complete


# A Job still running after this many times the longest its completed runs took, none of its pods
# done, is stuck: a run that cannot create its pods (a ResourceQuota refusing them) shows Running
# until its deadline (held-out HY07: 47 minutes where the runs before took 17 and 18).
JOB_OVERDUE = 2


def jobs_listed_failing(con: Any, service: str | None) -> str | None:
    """Why a paste's `kubectl get jobs` shows ``service``'s runs failing now, after runs of it
    completed: its newest finished Job failed, or its newest Job has run `JOB_OVERDUE` times as long
    as any completed one took with none of its pods done. A CronJob runs minutes or hours apart, so
    the listing, not the last ten minutes of its logs, says whether its work gets done (held-out
    HY03: the run before failed on a database out of connections and the next was failing the
    same way; HY07). None when it shows no such thing."""
    rows = _job_rows(con, service)
    completed = [r for r in rows if r.complete]
    if not completed:
        return None
    finished = [r for r in rows if r.complete or r.status == "Failed"]
    if finished and finished[0].status == "Failed":
        return f"`kubectl get jobs` lists its newest finished Job, {finished[0].name}, Failed"
    longest = max(r.duration_s for r in completed)
    newest = rows[0]
    if not newest.complete and newest.status in ("", "Running") and not newest.done and longest \
            and newest.duration_s >= JOB_OVERDUE * longest:
        return (f"`kubectl get jobs` lists {newest.name} running for {newest.duration_s // 60} minutes with "
                f"no pod done, where its completed runs took {longest // 60} minutes at most")
    return None


# The newest line in the window that says a whole run ended (`run_outcomes`, patterns/_knowledge.yaml),
# and whether it ended failed.
_NEWEST_RUN_END = """
SELECT ts, message, regexp_matches(message, $failed) FROM entries
WHERE in_window AND (regexp_matches(message, $failed) OR regexp_matches(message, $done))
ORDER BY ts DESC NULLS LAST, ordinal DESC LIMIT 1
"""


def run_ended_failed(con: Any) -> str | None:
    """Why the work of an input that logs no request is not done as the logs end: the newest line
    saying a whole run ended (`run_outcomes`: Spark's "Final app status", a Kubernetes Job's backoff
    limit) says it failed, no later run ended done. The cluster's daemons log on after it (held-out
    JN01, JN07: a Spark application ended FAILED, its NodeManagers' housekeeping lines went on), so
    the failures' end is not the work's return. None when no run ended, or the newest ended done."""
    knowledge = load_knowledge()
    params = {"failed": knowledge.run_failed, "done": knowledge.run_done}
    row = con.execute(_NEWEST_RUN_END, params).fetchone()
    if row is None or not row[2]:
        return None
    when = f" at {row[0]:%H:%M:%S}" if row[0] is not None else ""
    line = str(row[1]).split("\n", 1)[0].strip()
    return f"its newest run ended failed{when} and none ran to completion after it ({line[:120]})"


# What a paste's `systemctl` says of a unit after the logs above it: `systemctl is-active UNIT`
# printing its state on the next line, or `systemctl status UNIT`'s "Active:" line below its
# "● UNIT.service - description" header (systemd src/systemctl/systemctl-show.c; the states of
# `systemctl is-active`, man systemctl). A unit failed, inactive, or between restarts
# (`activating (auto-restart)`) serves nothing as the paste was taken.
_UNIT_COMMAND = (r"^(?:[\w.@:~/-]*\$|#) (?:sudo )?systemctl (?:--\S+ )*is-active (?:--\S+ )*"
                 r"([\w@.:-]+?)(?:\.service)?\s*$")
_UNIT_HEADER = r"^\s*[●*×] ([\w@.:-]+?)\.service(?: - |$)"
_UNIT_DOWN = r"^\s*(?:Active: )?(failed|inactive|activating \(auto-restart\))\b"
_UNIT_COMMAND_RE, _UNIT_HEADER_RE, _UNIT_DOWN_RE = (
    re.compile(x) for x in (_UNIT_COMMAND, _UNIT_HEADER, _UNIT_DOWN))
_UNIT_LINES = f"""
SELECT message FROM entries
WHERE in_window AND resource_type = 'local' AND (regexp_matches(message, '{_UNIT_COMMAND}')
  OR regexp_matches(message, '{_UNIT_HEADER}') OR regexp_matches(message, '^\\s*Active: ')
  OR regexp_matches(message, '^(?:failed|inactive|active|activating|deactivating|unknown)\\s*$'))
ORDER BY ordinal
"""


def units_listed_down(con: Any, service: str | None) -> str | None:
    """Why a paste's `systemctl` shows ``service``'s unit down as the paste was taken (`_UNIT_DOWN`),
    the last it says of that unit; None when it shows none, or shows it active. After a crash loop
    systemd stops restarting the unit (its start limit), and the quiet that follows in the logs is
    no recovery: `systemctl is-active thumbd` printing `failed` says so (held-out GZ07)."""
    if not service:
        return None
    unit, said = None, None
    for (message,) in con.execute(_UNIT_LINES).fetchall():
        named = _UNIT_COMMAND_RE.match(message) or _UNIT_HEADER_RE.match(message)
        if named:
            unit = named.group(1)
            continue
        if unit == service:
            state = _UNIT_DOWN_RE.match(message)
            said = state.group(1) if state else None
        unit = None  # (a state line answers the command or header just above it)
    return f"`systemctl` shows {service}.service {said}" if said else None


def _age_seconds(age: str) -> int:
    """kubectl's AGE (`40m`, `26h`, `2d3h`, `6m45s`) in seconds."""
    return sum(int(n) * _AGE_SECONDS[unit] for n, unit in _AGE_PART.findall(age))


def _ran_once(status: str, restarts: str) -> bool:
    """Whether a listed pod ran its container once and ended (a Job's): Completed, or Error never
    restarted. A serving pod that fails is restarted (restarts > 0, CrashLoopBackOff)."""
    return status == "Completed" or (status == "Error" and restarts == "0")


def _newest_never_started(con: Any, unstarted: Sequence[str], starting: Sequence[Finding]) -> bool:
    """Whether the newest revision the window logs is one whose start-up failed (``unstarted``, by
    the ``starting`` failures) that answered no request and logged nothing below ERROR after its
    last such failure: a failed rollout stays failed until another deploy, however quiet the logs
    go after its last attempt (blind set BE10: a new service's two revisions never listened on the
    probed port, and nothing more was logged of it for a quarter of an hour). Pods that went on
    working once their readiness failures ended did start (BE03), and so did a revision that logged
    `RAN_BEFORE` or longer before its first such failure."""
    ends = [parse_rfc3339(f.last_seen) for f in starting if f.last_seen]
    begins = [parse_rfc3339(f.first_seen) for f in starting if f.first_seen]
    if not unstarted or not ends or not begins:
        return False
    row = con.execute(_NEWEST_REVISION, {"after": naive_utc(max(ends)) + SHUTDOWN_GRACE}).fetchone()
    if row is None or row[0] not in unstarted or row[1] or row[2]:
        return False
    # (a revision that ran for a while before its probes failed had started: pods whose readiness
    # failed while their Redis was away, their lines all on stderr at ERROR, held-out MI02)
    return row[3] is None or row[3] >= naive_utc(min(begins)) - RAN_BEFORE


# A revision that answered requests before the failed requests began, none in their middle (a
# rollback's pods may overlap their first and last minutes: `ROLLBACK_OVERLAP`), and some after
# the last of them: traffic moved back to it.
_BROUGHT_BACK = """
SELECT count(*) FROM (
  SELECT revision FROM entries
  WHERE in_window AND revision IS NOT NULL AND http_status IS NOT NULL
  GROUP BY revision
  HAVING min(ts) < $onset AND count(*) FILTER (WHERE ts BETWEEN $middle_from AND $middle_to) = 0
     AND count(*) FILTER (WHERE ts > $last AND NOT request_failed(http_status, message)) > 0)
"""


def _brought_back(con: Any, traffic: verdict.Traffic) -> bool:
    """Whether the traffic was moved back to a revision that served before the failed requests,
    fell silent while they ran and answered after them (`_BROUGHT_BACK`): the failed rollout no
    longer stands, however its revision never started (held-out GA06: App Engine's traffic split
    back to the old version half an hour after the new one failed every request)."""
    first, last = traffic.first_failure, traffic.last_failure
    if first is None or last is None or last <= first:
        return False
    edge = (last - first) * ROLLBACK_OVERLAP
    row = con.execute(_BROUGHT_BACK, {"onset": first, "middle_from": first + edge, "middle_to": last - edge,
                                      "last": last}).fetchone()
    return bool(row and row[0])


def _ended(traffic: verdict.Traffic, timed: Sequence[Finding]) -> bool:
    """Whether the failures all ended before the recent period while the logs went on (an input
    without times never shows that)."""
    last = _last_failure(traffic, timed)
    return traffic.recent_since is not None and last is not None and last < traffic.recent_since


# The share of the failures' span at each end where a revision brought back may log beside them
# (its pods start before the failing ones are gone) and still count as silent while they ran.
ROLLBACK_OVERLAP = 0.1


def _errors_ended(
    con: Any, traffic: verdict.Traffic, timed: Sequence[Finding], periods: Periods,
    run_done_at: datetime | None = None,
) -> verdict.Traffic:
    """In a window without failed requests, whose error entries and named failures all ended
    before the recent period: the first answer that shows the service recovered (`_RECOVERED_BY`;
    a failed rollout fixed by a later deploy recovers, one the old revision just served through
    has not). In an input that logs no request at all the service's other entries are its only
    answers: they show recovery when it went on logging into the recent period and the quiet since
    the last failure is long enough to say they stopped (`verdict.quiet_says_stopped`), at the rate
    the failures ran over the baseline too when they ran there (`_rate_since`). ``run_done_at``:
    when, in an input that logs no request, a run ended done after the last failure
    (`_run_done_after`), which recovers it however soon before the logs end."""
    if traffic.failed or traffic.recent_since is None or traffic.first_error is None:
        return traffic
    if run_done_at is not None:
        return replace(traffic, first_success_after_failures=run_done_at)
    last = _last_failure(traffic, timed)
    if last is None or last >= traffic.recent_since:
        return traffic
    erring = con.execute(
        "SELECT DISTINCT revision FROM entries "
        "WHERE in_window AND severity_num >= 500 AND revision IS NOT NULL"
    ).fetchall()
    failing = {r for f in timed for r in f.revisions} | {str(r) for (r,) in erring}
    edge = (last - traffic.first_error) * ROLLBACK_OVERLAP
    params = {"since": last, "failing": sorted(failing), "onset": traffic.first_error,
              "middle_from": traffic.first_error + edge, "middle_to": last - edge,
              "entries": not traffic.requests}
    row = con.execute(_RECOVERED_BY, params).fetchone()
    first = row[0] if row else None
    if first is not None and not traffic.requests:
        recent = con.execute(_RECOVERED_BY, {**params, "since": traffic.recent_since}).fetchone()
        events, since = _rate_since(traffic, timed, periods)
        stopped = verdict.quiet_says_stopped(events, since, last, traffic.recent_since)
        if not (recent and recent[0] is not None and stopped):
            first = None
    return replace(traffic, first_success_after_failures=first)


# The first line after ``$last`` that says a whole run ended done: a batch framework's run end
# (`run_outcomes`), or on a Cloud Run job (whose task is the run) a task done (`work_outcomes`: its
# container ending with exit(0)).
_RUN_DONE_AFTER = """
SELECT min(ts) FROM entries
WHERE in_window AND ts > $last
  AND (regexp_matches(message, $done)
       OR (resource_type = 'cloud_run_job' AND regexp_matches(message, $task_done)))
"""


def _run_done_after(con: Any, last: datetime) -> datetime | None:
    """When, in an input that logs no request, the run whose failures ended at ``last`` ended done
    after them (`_RUN_DONE_AFTER`), with no failure since: its retries got the work done, however
    soon before the logs end (held-out OE07: bulk requests refused with 429 until the job backed off,
    then it finished every batch and exited 0). None where no run ended done after them."""
    knowledge = load_knowledge()
    row = con.execute(_RUN_DONE_AFTER, {"last": last, "done": knowledge.run_done,
                                        "task_done": knowledge.work_done}).fetchone()
    return row[0] if row and row[0] is not None else None


# The window's requests by minute: how many, how many failed, the first and last failure of each.
_BY_MINUTE = """
SELECT count(*) AS n, count(*) FILTER (WHERE request_failed(http_status, message)) AS failed,
       min(ts) FILTER (WHERE request_failed(http_status, message)) AS first,
       max(ts) FILTER (WHERE request_failed(http_status, message)) AS last
FROM entries WHERE in_window AND http_status IS NOT NULL AND ts IS NOT NULL
GROUP BY floor(epoch(ts) / 60) ORDER BY floor(epoch(ts) / 60)
"""


def excess(con: Any, traffic: verdict.Traffic) -> verdict.Traffic:
    """``traffic`` with `excess` when the baseline's requests failed too: where the window's failed
    requests ran beyond the baseline's share of each minute's requests (`verdict.beyond`), from the
    first failure of the first such minute to the first answered request after the last one's. A
    trickle that ran all along neither starts the incident nor keeps it going
    (`verdict.back_to_baseline`). Refused requests (`with_refusals`) are not counted by minute, so
    a window with them is left as it is."""
    if (not traffic.failed or not traffic.baseline_failed or not traffic.baseline_requests
            or any(traffic.denied)):
        return traffic
    share = traffic.baseline_failed / traffic.baseline_requests
    minutes = [(first, last) for n, failed, first, last in con.execute(_BY_MINUTE).fetchall()
               if failed and verdict.beyond(int(failed), share * int(n))]
    if not minutes:
        return traffic
    ended, _ = _first_success_after(con, minutes[-1][1])
    return replace(traffic, excess=(minutes[0][0], ended))


def _rate_since(traffic: verdict.Traffic, timed: Sequence[Finding], periods: Periods) -> tuple[int, datetime]:
    """How many failures ran, and from when, for the rate the quiet after them is judged at: the
    window's from its first error; with the baseline's too from the baseline's start when they ran
    there as well (an hourly job failing every run: one failure in the window and fifty minutes
    of quiet after it is no recovery, one an hour before says the next is due). An event two
    patterns read (a Java stack and the full disk it names) is one failure, not two; of the
    baseline's, whose events are not kept, the most any one pattern read."""
    events = len({e for f in timed for e in f.event_ids}) or traffic.errors
    before = max((f.baseline_count for f in timed), default=0)
    assert traffic.first_error is not None and traffic.recent_since is not None  # (_errors_ended's)
    if not before or not periods.has_baseline:
        return events, traffic.first_error
    end = traffic.recent_since + timedelta(seconds=RECENT)
    return events + before, end - timedelta(seconds=periods.window_s + periods.baseline_s)


def trigger(
    con: Any, deploys: DeployInfo, onset: datetime | None, hint: str | None = None, by_failure: bool = True,
) -> Trigger | None:
    """The deploy that created the revision failing at the onset (``hint``: the revision of the first
    failure the library named), when that deploy is in the input. ``by_failure`` False: ``onset``
    is when the root cause began and ``hint`` its revision, the only candidate."""
    if onset is None or not shows_rollouts(deploys):
        return None
    row = None if not by_failure else con.execute(
        "SELECT revision FROM entries WHERE in_window AND revision IS NOT NULL AND ts >= ? "
        "AND (request_failed(http_status, message) OR severity_num >= 500) ORDER BY ts, entry_id LIMIT 1",
        [onset],
    ).fetchone()
    # The first failing entry's revision, else the first named failure's: during a rollout the old
    # revision's pods fail too (terminated mid-request), and the first error may be theirs.
    candidates = dict.fromkeys(r for r in (str(row[0]) if row else None, hint) if r is not None)
    for revision in candidates:
        first_row = con.execute("SELECT min(ts) FROM entries WHERE revision = ?", [revision]).fetchone()
        first = first_row[0] if first_row else None
        if first is not None and (shift := _promoted(deploys, revision, first, onset)) is not None:
            return shift
        if first is None or first < naive_utc(onset) - TRIGGER_LEAD:
            continue  # the revision served well before the failures began: its deploy did not start them
        deploy = creator(deploys, revision, rfc3339(first))
        if deploy is None:
            rollout = _rollout(deploys, revision, first)
            if rollout is not None:
                return rollout
            continue
        return Trigger(revision, deploy.timestamp, deploy.principal, _changed(deploys, deploy))
    if not candidates and not deploys.revisions \
            and (deploy := deploy_just_before(deploys, onset)) is not None:
        return Trigger(None, deploy.timestamp, deploy.principal, _changed(deploys, deploy))
    return None


def shows_rollouts(deploys: DeployInfo) -> bool:
    """Whether the input can show a rollout that started failures: a deploy record, or more than
    one revision (a new one first seen after another had served, `_rollout`)."""
    return bool(deploys.deploys) or len(deploys.revisions) > 1


def _promoted(deploys: DeployInfo, revision: str, first: datetime, onset: datetime) -> Trigger | None:
    """The traffic move that sent ``revision`` (first logged at ``first``) its requests at most
    `TRIGGER_LEAD` before the ``onset`` (`deploys.serving_since`): a canary deployed without
    traffic and promoted later started the failures when it was promoted."""
    moved = serving_since(deploys, revision, rfc3339(first), onset)
    if moved is None or moved.timestamp is None \
            or naive_utc(parse_rfc3339(moved.timestamp)) < naive_utc(onset) - TRIGGER_LEAD:
        return None
    return Trigger(revision, moved.timestamp, moved.principal, ("its traffic share",))


def _changed(deploys: DeployInfo, deploy: Deploy) -> tuple[str, ...]:
    """What the input says ``deploy`` changed (its environment, image, settings)."""
    return tuple(c.split(" changed ", 1)[1] for c in deploys.changes
                 if c.startswith(f"the deploy at {deploy.timestamp} changed "))


def deploy_just_before(deploys: DeployInfo, onset: datetime) -> Deploy | None:
    """For a workload that names no revision (a 1st gen Cloud Function): the last deploy that
    succeeded at most `TRIGGER_LEAD` before the onset, when none came between it and the onset.
    Without a revision to tie the failures to, the deploy just before them is the change that
    started them, as a revision first seen then would be (held-out CY06: a redeploy that set a
    misspelt host in the function's environment)."""
    at = naive_utc(onset)
    timed = [(naive_utc(parse_rfc3339(d.timestamp)), d) for d in deploys.deploys if d.timestamp]
    before = [(when, d) for when, d in timed if when <= at]
    if not before:
        return None
    when, last = max(before, key=lambda pair: pair[0])
    return None if last.failed or at - when > TRIGGER_LEAD else last
