"""Fetch canonical LogEntry dicts from Cloud Logging, politely and without losing what arrived.

The client comes from ``cloud_client`` (REST transport, metered session, endpoint override,
credentials). Around it this module adds what the client lacks:

* one client-side rate limiter shared by all queries (the API allows 60 ``entries.list`` calls a
  minute per project and signals excess only with HTTP 429);
* retries with exponential backoff on 429/5xx/connection errors, resuming by timestamp (the
  client's generator hides page tokens) and de-duplicating by (logName, insertId, timestamp);
* an entry budget; when it or the retries run out, the result says which part of which query's
  window was not covered, and keeps every entry that did arrive.

Errors the user must act on (credentials, project, permission) are translated by
``cloud_client.access_error``. The client names stay importable from here for callers.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import google.auth.exceptions
import requests
from google.api_core import exceptions as gexc
from google.cloud import logging as gcl

from rca.defaults import MAX_ENTRIES
from rca.errors import UsageError
from rca.model import Pattern, Stratum
from rca.sources.cloud import cache
from rca.sources.cloud.client import ENDPOINT_ENV as ENDPOINT_ENV
from rca.sources.cloud.client import PROJECT_ENV as PROJECT_ENV
from rca.sources.cloud.client import READ_SCOPE as READ_SCOPE
from rca.sources.cloud.client import MeteredSession as MeteredSession
from rca.sources.cloud.client import access_error, brief, endpoint_of, unreachable_error
from rca.sources.cloud.client import make_client as make_client
from rca.sources.cloud.client import metered as metered
from rca.sources.cloud.queries import (
    DEFAULT_EXACT_FAILING,
    DEFAULT_EXACT_REQUESTS,
    DEFAULT_FAILING_SAMPLE_TARGET,
    DEFAULT_SAMPLE_TARGET,
    Query,
    analysis_queries,
    as_utc,
    format_ts,
    window_queries,
)

PAGE_SIZE = 1000

RETRYABLE: tuple[type[BaseException], ...] = (
    gexc.TooManyRequests,  # ResourceExhausted is a subclass
    gexc.ServiceUnavailable,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.GatewayTimeout,
    gexc.DeadlineExceeded,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    google.auth.exceptions.TransportError,
)


# --------------------------------------------------------------------------- pacing


class RateLimiter:
    """At most ``max_calls`` calls in any ``period`` seconds (a sliding window), shared by queries.

    The default, 50 a minute, stays under the 60/min project quota with room for the user's other
    tools. Bursts are allowed, so a small fetch never waits. ``clock`` and ``sleep`` are injectable.
    """

    def __init__(
        self,
        max_calls: int = 50,
        period: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_calls < 1 or period <= 0:
            raise ValueError(f"rate limit needs max_calls >= 1 and period > 0, got {max_calls}/{period}")
        self.max_calls = max_calls
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._times: collections.deque[float] = collections.deque()
        self.waited = 0.0

    def acquire(self) -> None:
        """Block (via the injected sleep) until one more call fits in the window, then record it."""
        now = self._clock()
        self._forget_before(now - self.period)
        if len(self._times) >= self.max_calls:
            pause = self._times[0] + self.period - now
            if pause > 0:
                self.waited += pause
                self._sleep(pause)
            now = max(now + max(pause, 0.0), self._clock())
            self._forget_before(now - self.period)
        self._times.append(now)

    def _forget_before(self, horizon: float) -> None:
        """Drop calls that left the window."""
        while self._times and self._times[0] <= horizon:
            self._times.popleft()


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``base * 2**(attempt-1)`` seconds capped at ``cap``, ``max_retries`` in a row."""

    max_retries: int = 6
    base: float = 2.0
    cap: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return float(min(self.cap, self.base * 2 ** (attempt - 1)))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class MissingRange:
    """Part of a query's window that was not fetched, and why."""

    query: str
    start: str
    end: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """Plain JSON form (for metadata and reports)."""
        return {"query": self.query, "start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class Progress:
    """One progress report: the query running, entries so far, API calls so far, and what happened."""

    query: str
    fetched: int
    total: int
    calls: int
    message: str
    queries: int = 0


@dataclass(frozen=True)
class FetchResult:
    """What a fetch produced: canonical entries (sorted), counts, and what is missing."""

    entries: list[dict[str, Any]]
    calls: int
    per_query: dict[str, int]
    truncated: bool
    missing: tuple[MissingRange, ...] = ()
    errors: tuple[str, ...] = ()
    from_cache: bool = False
    strata: tuple[Stratum, ...] = ()
    # Which adaptive query (``requests``, ``requests-sampled``...) read each entry it read
    # (`entry_key`): another query may have read an entry of the same stream first, exactly.
    origins: Mapping[tuple[str, str, str], str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every query covered its whole window."""
        return not self.truncated and not self.missing

    @property
    def estimated(self) -> bool:
        """True when part of a counted query was sampled (its counts are estimates)."""
        return any(s.fraction < 1.0 for s in self.strata)

    def weights(self) -> dict[tuple[str, str], float]:
        """How many entries each sampled entry stands for, by (logName, insertId): ``1/fraction``
        for an entry a sampled query read (`origins`) inside its sampled stratum; entries not
        listed were read exactly and stand for themselves. An entry of a sampled stream that
        another query read first (a request log a pattern reads by its text) is one of those: the
        sample skipped it, so it stands for itself alone."""
        sampled: dict[str, list[tuple[datetime, datetime, float]]] = {}
        for st in self.strata:
            if st.fraction < 1.0:
                span = (_parse_any(st.start), _parse_any(st.end), st.fraction)
                sampled.setdefault(st.query, []).append(span)
        out: dict[tuple[str, str], float] = {}
        if not sampled:
            return out
        for entry in self.entries:
            spans = sampled.get(self.origins.get(entry_key(entry), ""))
            if not spans:
                continue
            at = _parse_any(str(entry.get("timestamp", "")))
            for lo, hi, fraction in spans:
                if lo <= at < hi:
                    out[(str(entry.get("logName", "")), str(entry.get("insertId", "")))] = 1.0 / fraction
        return out

    def summary(self) -> dict[str, Any]:
        """Everything but the entries, as JSON (stored beside a cache file)."""
        return {
            "entries": len(self.entries),
            "calls": self.calls,
            "per_query": dict(sorted(self.per_query.items())),
            "truncated": self.truncated,
            "missing": [m.to_json() for m in self.missing],
            "errors": list(self.errors),
            "strata": [st.to_json() for st in self.strata],
            "origins": sorted([*key, name] for key, name in self.origins.items()),
        }


ProgressFn = Callable[[Progress], None]


@dataclass
class _Run:
    """Mutable state of one fetch, shared by its queries."""

    max_entries: int
    session: MeteredSession
    progress: ProgressFn | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    per_query: dict[str, int] = field(default_factory=dict)
    missing: list[MissingRange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    strata: list[Stratum] = field(default_factory=list)
    origins: dict[tuple[str, str, str], str] = field(default_factory=dict)  # see FetchResult.origins
    truncated: bool = False
    stopped: bool = False
    answered_before: int = 0
    endpoint: str = ""
    queries: int = 0

    def report(self, query: str, message: str) -> None:
        """Send a progress event, if anyone listens."""
        if self.progress is not None:
            self.progress(
                Progress(
                    query,
                    self.per_query.get(query, 0),
                    len(self.entries),
                    self.session.calls,
                    message,
                    self.queries,
                )
            )


class _GiveUp(Exception):
    """Retries ran out: stop every remaining query."""


# --------------------------------------------------------------------------- fetching


def canonical(entry: Any) -> dict[str, Any]:
    """The entry as API camelCase JSON plus ``receiveTimestamp`` (which ``to_api_repr`` omits)."""
    data: dict[str, Any] = entry.to_api_repr()
    received = getattr(entry, "received_timestamp", None)
    if received is not None:
        data["receiveTimestamp"] = received.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return data


def entry_key(data: dict[str, Any]) -> tuple[str, str, str]:
    """Identity of an entry for de-duplication across retries and overlapping queries."""
    return (str(data.get("logName", "")), str(data.get("insertId", "")), str(data.get("timestamp", "")))


def fetch_entries(
    client: gcl.Client,
    queries: Sequence[Query],
    *,
    max_entries: int = MAX_ENTRIES,
    rate: RateLimiter | None = None,
    retry: RetryPolicy | None = None,
    progress: ProgressFn | None = None,
    seed: FetchResult | None = None,
) -> FetchResult:
    """Run ``queries`` in order, ascending by time, 1000 a page, within the budget and the rate limit.

    Never raises for throttling or outages: what arrived is returned and the gaps are listed in
    ``missing``. Raises ``SourceError`` for credentials, permission or project problems.
    ``seed`` is an earlier partial result to resume: its entries, counts and strata are kept and
    count toward the budget, and entries already in it are not taken twice.
    """
    if max_entries < 0:
        raise UsageError(f"--max-entries must be 0 or more, got {max_entries}")
    session = metered(client)
    previous_hook, session.before = session.before, (rate or RateLimiter()).acquire
    calls_before = session.calls
    run = _Run(
        max_entries=max_entries,
        session=session,
        progress=progress,
        answered_before=session.answered,
        endpoint=endpoint_of(client),
        queries=len(queries),
    )
    if seed is not None:
        run.entries = list(seed.entries)
        run.seen = {entry_key(e) for e in run.entries}
        run.per_query = dict(seed.per_query)
        run.strata = list(seed.strata)
        run.origins = dict(seed.origins)
    try:
        for query in queries:
            _run_query(client, query, run, retry or RetryPolicy())
    finally:
        session.before = previous_hook
    run.entries.sort(key=lambda d: (d.get("timestamp", ""), *entry_key(d)))
    return FetchResult(
        entries=run.entries,
        calls=session.calls - calls_before,
        per_query=run.per_query,
        truncated=run.truncated,
        missing=tuple(run.missing),
        errors=tuple(run.errors),
        strata=tuple(run.strata),
        origins=run.origins,
    )


def _run_query(client: gcl.Client, query: Query, run: _Run, retry: RetryPolicy) -> None:
    """Fetch one query into ``run``, recording a missing range when it cannot finish."""
    run.per_query.setdefault(query.name, 0)
    if run.stopped:
        _miss(run, query, query.start, "not run: an earlier query gave up after retries")
        return
    if _room(run, query) <= 0:
        run.truncated = True
        _miss(run, query, query.start, "entry budget exhausted before this query ran")
        return
    run.report(query.name, "started")
    try:
        if query.exact_up_to is not None:
            _run_adaptive(client, query, run, retry)
        else:
            _pull_with_retries(client, query, run, retry)
    except _GiveUp:
        run.stopped = True
    run.report(query.name, "done")


def _run_adaptive(client: gcl.Client, query: Query, run: _Run, retry: RetryPolicy) -> None:
    """Read the query exactly up to ``exact_up_to`` entries, then sample the rest of its window.

    The sample fraction is chosen from the rate seen so far (since the stream's first entry) so
    that about ``sample_target`` entries arrive; the ranges and fractions are recorded in
    ``run.strata`` for scaling back.
    """
    cap = int(query.exact_up_to or 0)
    exact = replace(query, limit=run.per_query.get(query.name, 0) + cap)
    cut = _pull_with_retries(client, exact, run, retry)
    if cut is None:
        run.strata.append(
            Stratum(query.name, format_ts(query.start), format_ts(query.end), 1.0, run.per_query[query.name])
        )
        return
    # Entries at the cut instant are left to the sample, so [start, cut) is exact and [cut, end) sampled.
    while run.per_query[query.name] > 0 and _parse_any(str(run.entries[-1].get("timestamp"))) >= cut:
        key = entry_key(run.entries.pop())
        run.seen.discard(key)
        run.origins.pop(key, None)
        run.per_query[query.name] -= 1
    taken = run.per_query[query.name]
    # The rate since this stream's first entry, not since the window start: a storm that began at
    # the onset would otherwise look thin and be read whole.
    began = _parse_any(str(run.entries[-taken].get("timestamp"))) if taken else as_utc(query.start)
    elapsed = max((cut - max(as_utc(query.start), began)).total_seconds(), 1e-3)
    remaining = max((as_utc(query.end) - cut).total_seconds(), 0.0) * taken / elapsed
    fraction = _round_fraction(query.sample_target / remaining if remaining > 0 else 1.0)
    run.strata.append(Stratum(query.name, format_ts(query.start), format_ts(cut), 1.0, taken))
    rest = query.sampled(fraction, cut) if fraction < 1.0 else replace(exact, start=cut, limit=None)
    run.per_query.setdefault(rest.name, 0)
    run.report(rest.name, f"sampling {fraction:g} of the rest")
    try:
        _pull_with_retries(client, rest, run, retry)
    finally:
        run.strata.append(
            Stratum(rest.name, format_ts(cut), format_ts(query.end), fraction, run.per_query[rest.name])
        )


def _round_fraction(value: float) -> float:
    """A sample fraction with two significant digits, within [0.0001, 1]."""
    if value >= 1.0:
        return 1.0
    return max(0.0001, float(f"{value:.2g}"))


def _room(run: _Run, query: Query) -> int:
    """How many more entries this query may add."""
    room = run.max_entries - len(run.entries)
    if query.limit is not None:
        room = min(room, query.limit - run.per_query.get(query.name, 0))
    return room


def _own_limit_reached(run: _Run, query: Query) -> bool:
    """True when the query hit its own ``limit`` while the shared budget still had room."""
    return (
        query.limit is not None
        and run.per_query.get(query.name, 0) >= query.limit
        and run.max_entries - len(run.entries) > 0
    )


def _pull_with_retries(client: gcl.Client, query: Query, run: _Run, retry: RetryPolicy) -> datetime | None:
    """Iterate the query, resuming from the last timestamp after each retryable failure.

    Returns the time of the first entry not taken when the query stopped at its own ``limit``
    (None when it read its window to the end, or stopped for another recorded reason).
    """
    cursor: datetime | None = None
    attempt = 0
    while True:
        before = len(run.entries)
        try:
            return _pull(client, query, run, cursor)
        except RETRYABLE as exc:
            if run.session.answered == run.answered_before and _is_connection_failure(exc):
                # Nothing ever answered: the endpoint is unreachable (refused, DNS, TLS, black hole).
                raise unreachable_error(exc, run.endpoint) from exc
            cursor = _cursor_after(run, before, cursor)
            attempt = 1 if len(run.entries) > before else attempt + 1
            if attempt > retry.max_retries:
                _miss(
                    run,
                    query,
                    cursor or query.start,
                    f"gave up after {retry.max_retries} retries: {brief(exc)}",
                )
                run.errors.append(f"{query.name}: {brief(exc)}")
                raise _GiveUp from exc
            wait = retry.delay(attempt)
            run.report(query.name, f"{brief(exc)}; retry {attempt} in {wait:g}s")
            retry.sleep(wait)
        except gexc.BadRequest as exc:
            _miss(run, query, cursor or query.start, f"query rejected by the API (HTTP 400): {brief(exc)}")
            run.errors.append(f"{query.name}: filter rejected: {brief(exc)}")
            return None
        except (
            gexc.Unauthorized,
            gexc.Forbidden,
            gexc.NotFound,
            google.auth.exceptions.GoogleAuthError,
        ) as exc:
            error = access_error(exc, client.project)
            if not run.entries:
                raise error from exc
            # Credentials expired mid-fetch: keep what arrived, say what is missing and why.
            cursor = _cursor_after(run, before, cursor)
            _miss(run, query, cursor or query.start, str(error))
            run.errors.append(f"{query.name}: {brief(exc)}")
            raise _GiveUp from exc


def _is_connection_failure(exc: BaseException) -> bool:
    """A failure to connect at all (refused, name resolution, TLS, connect timeout)."""
    return isinstance(
        exc,
        (requests.exceptions.ConnectionError, google.auth.exceptions.TransportError),
    ) and not isinstance(exc, requests.exceptions.ReadTimeout)


def _cursor_after(run: _Run, before: int, cursor: datetime | None) -> datetime | None:
    """The resume point: the timestamp of the last entry this query added, else the old cursor."""
    if len(run.entries) > before:
        return _parse_ts(run.entries[-1]["timestamp"])
    return cursor


def _pull(client: gcl.Client, query: Query, run: _Run, cursor: datetime | None) -> datetime | None:
    """One pass of ``list_entries`` from ``cursor``; stops early when the budget is spent.

    Returns the time of the first entry not taken when the query's own limit stopped it.
    """
    for entry in _list(client, query, cursor):
        data = canonical(entry)
        key = entry_key(data)
        if key in run.seen:
            continue
        if _room(run, query) <= 0:
            if _own_limit_reached(run, query):
                if query.exact_up_to is not None:
                    return as_utc(entry.timestamp)  # adaptive: the caller samples the rest
                if query.sample is not None:
                    return None  # a sample capped by design: not a gap in the data
            run.truncated = True
            _miss(run, query, as_utc(entry.timestamp), "entry budget (--max-entries) reached")
            return None
        run.seen.add(key)
        run.entries.append(data)
        if query.exact_up_to is not None or query.sample is not None:
            run.origins[key] = query.name
        run.per_query[query.name] += 1
        if run.per_query[query.name] % PAGE_SIZE == 0:
            run.report(query.name, "page")
    return None


def _list(client: gcl.Client, query: Query, cursor: datetime | None) -> Iterator[Any]:
    """The client's entry generator for the query, resumed at ``cursor`` (inclusive)."""
    entries: Iterator[Any] = client.list_entries(  # type: ignore[no-untyped-call]
        filter_=query.filter(cursor), order_by=gcl.ASCENDING, page_size=PAGE_SIZE
    )
    return entries


def _miss(run: _Run, query: Query, start: datetime, reason: str) -> None:
    """Record that [start, query.end) of ``query`` was not covered."""
    run.missing.append(MissingRange(query.name, format_ts(start), format_ts(query.end), reason))


def _parse_any(text: str) -> datetime:
    """Parse an entry timestamp of the client's form or any RFC 3339 ``Z`` form."""
    try:
        return _parse_ts(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _parse_ts(text: str) -> datetime:
    """Parse the client's own timestamp form (``%Y-%m-%dT%H:%M:%S.%fZ``)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- one call for the CLI


CLOSED_MARGIN = timedelta(minutes=5)


def fetch_window(
    service: str,
    start: datetime,
    end: datetime,
    project: str | None,
    *,
    patterns: Sequence[Pattern] = (),
    patterns_regexes: Sequence[str] = (),
    plan: str = "analysis",
    exact_requests: int = DEFAULT_EXACT_REQUESTS,
    sample_target: int = DEFAULT_SAMPLE_TARGET,
    exact_failing: int = DEFAULT_EXACT_FAILING,
    failing_sample_target: int = DEFAULT_FAILING_SAMPLE_TARGET,
    max_entries: int = MAX_ENTRIES,
    refresh: bool = False,
    progress: ProgressFn | None = None,
    sql_instances: Sequence[str] = (),
    client: gcl.Client | None = None,
    rate: RateLimiter | None = None,
    retry: RetryPolicy | None = None,
    cache_dir: Path | None = None,
    now: datetime | None = None,
) -> tuple[Path, FetchResult]:
    """Fetch a service's window (or reuse the cache) and return the NDJSON path and the result.

    ``plan`` "analysis" sends the analysis's queries (``patterns`` pushed down, healthy requests
    exact up to ``exact_requests`` then sampled, bare failing requests exact up to
    ``exact_failing`` then sampled); "window" reads every entry of the service's
    window plus its deploys and Cloud SQL logs, as ``gcloud logging read`` would.

    Closed windows (ending at least 5 minutes ago) that were fetched completely are served from
    the cache unless ``refresh``; open windows are fetched every time and written to a scratch file.
    """
    client = client or make_client(project)
    if plan == "window":
        queries = window_queries(service, start, end, project=client.project, sql_instances=sql_instances)
    elif plan == "analysis":
        queries = analysis_queries(
            service,
            start,
            end,
            project=client.project,
            patterns=patterns,
            regexes=patterns_regexes,
            sql_instances=sql_instances,
            exact_requests=exact_requests,
            sample_target=sample_target,
            exact_failing=exact_failing,
            failing_sample_target=failing_sample_target,
        )
    else:
        raise UsageError(f"unknown fetch plan {plan!r}: analysis or window")
    all_queries = list(queries)
    root = cache_dir or cache.cache_dir()
    key = cache.cache_key(client.project, [q.filter() for q in queries], start, end)
    closed = cache.is_closed(end, now or datetime.now(timezone.utc), CLOSED_MARGIN)
    seed: FetchResult | None = None
    if closed and not refresh:
        hit = cache.lookup(root, key, max_entries)
        if hit is not None:
            return hit.path, _result_from_cache(hit)
        partial = cache.lookup_partial(root, key)
        if partial is not None:
            seed, queries = resume_plan(_result_from_cache(partial), queries)
    result = fetch_entries(
        client, queries, max_entries=max_entries, rate=rate, retry=retry, progress=progress, seed=seed
    )
    if seed is not None:
        queries = list(all_queries)
    meta = _metadata(client.project, service, queries, start, end, max_entries, result)
    path = cache.store(root, key, result.entries, meta, closed=closed)
    return path, result


def resume_plan(previous: FetchResult, queries: Sequence[Query]) -> tuple[FetchResult, list[Query]]:
    """What to keep of an earlier gapped fetch of the same request, and what to ask again.

    A query that covered its window is kept as it is. A query with a gap is asked again from
    where its gap starts (entries already held are not taken twice). An adaptive query (exact,
    then sampled) with a gap is asked again whole, its earlier entries and strata dropped, so
    the exact and sampled ranges stay consistent.
    """
    by_name = {q.name: q for q in queries}
    gaps: dict[str, datetime] = {}
    for m in previous.missing:
        base = m.query.removesuffix("-sampled")
        if base in by_name:
            start = _parse_any(m.start)
            gaps[base] = min(gaps.get(base, start), start)
    redo: list[Query] = []
    dropped: set[str] = set()
    for q in queries:
        if q.name not in gaps:
            continue
        if q.exact_up_to is not None:
            dropped.add(q.name)
            redo.append(q)
        else:
            redo.append(replace(q, start=max(as_utc(q.start), gaps[q.name])))
    entries = previous.entries
    per_query = dict(previous.per_query)
    strata = previous.strata
    origins = dict(previous.origins)
    if dropped:
        gone = {key for key, name in origins.items() if name.removesuffix("-sampled") in dropped}
        entries = [e for e in entries if entry_key(e) not in gone]
        origins = {key: name for key, name in origins.items() if key not in gone}
        for name in dropped:
            per_query.pop(name, None)
            per_query.pop(f"{name}-sampled", None)
        strata = tuple(s for s in strata if s.query.removesuffix("-sampled") not in dropped)
    seed = FetchResult(entries, 0, per_query, False, (), (), strata=strata, origins=origins)
    return seed, redo


def _metadata(
    project: str,
    service: str,
    queries: Sequence[Query],
    start: datetime,
    end: datetime,
    max_entries: int,
    result: FetchResult,
) -> dict[str, Any]:
    """What is stored beside a cache file: the request and the outcome, never credentials."""
    return {
        "project": project,
        "service": service,
        "start": format_ts(start),
        "end": format_ts(end),
        "max_entries": max_entries,
        "queries": [{"name": q.name, "filter": q.filter()} for q in queries],
        **result.summary(),
    }


def _result_from_cache(hit: cache.CacheHit) -> FetchResult:
    """Rebuild a FetchResult from a cache hit (no API calls were made)."""
    meta = hit.meta
    return FetchResult(
        entries=hit.load(),
        calls=0,
        per_query={str(k): int(v) for k, v in meta.get("per_query", {}).items()},
        truncated=bool(meta.get("truncated", False)),
        missing=tuple(MissingRange(**m) for m in meta.get("missing", [])),
        errors=tuple(meta.get("errors", [])),
        from_cache=True,
        strata=tuple(Stratum(**st) for st in meta.get("strata", [])),
        origins={(str(log), str(insert_id), str(ts)): str(name)
                 for log, insert_id, ts, name in meta.get("origins", [])},
    )
