"""Read a window of logs from BigQuery (Log Analytics or a sink) as canonical LogEntry dicts.

Steps, each a counted round trip: resolve a ``PROJECT/LOCATION/BUCKET`` to its linked dataset
(Cloud Logging ``buckets.links.list``); list and describe the tables (free metadata calls); build
one GoogleSQL scan (`sql.window_sql`); dry-run it (free) for the byte estimate; let the cost guard
decide; run it with ``maximum_bytes_billed`` and ``labels``; turn the rows back into canonical
entries so the ordinary store, matcher, chain and report run unchanged.

Two plans. The full fetch (``window``) brings back every entry of the window and baseline (only
the columns the normaliser reads). The push-down (``pushdown``) runs the pattern library in the one
scan (`pushdown.pushdown_scan_sql`), keeps its result in BigQuery (the job's destination table),
and brings back only the entries the analysis reads one by one, whole, plus the rest as counted
groups (`pushdown.collapsed_sql`), which `expand` turns back into as many entries: the store then
holds what a file would give it for every count, order and time the analysis reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rca.errors import SourceError, UsageError
from rca.model import BigQueryFigures, FollowUp, Pattern, PushdownFigures, Scan
from rca.sources.bigquery import client as bqclient
from rca.sources.bigquery import cost
from rca.sources.bigquery.pushdown import collapsed_sql, pushdown_scan_sql, recovery_sql, rows_sql
from rca.sources.bigquery.shapes import LA, Table, column_from_api, detect_kind, pick_tables, shard_of
from rca.sources.bigquery.sql import Param, Query, window_sql
from rca.sources.bigquery.target import Target, linked_dataset_id
from rca.sources.cloud.cache import _newest_first_key

DEPLOY_LOOKBACK = timedelta(hours=24)
"""Audit (deploy) entries are read this far before the baseline, as the Cloud Logging path does."""
LABELS = {"tool": "rca"}
AUDIT_LOG = "type.googleapis.com/google.cloud.audit.AuditLog"


@dataclass(frozen=True)
class Pushdown:
    """What the push-down scan needs from the analysis: its library, the error shapes the
    unexplained-signal miner reads, and the length of "the last minutes" of the window."""

    patterns: tuple[Pattern, ...]
    signal_res: tuple[str, ...]
    recent_s: int


@dataclass
class Plan:
    """Everything decided before any byte is billed: target, tables, the query and its estimate."""

    target: Target
    tables: list[Table]
    query: Query
    estimate: int
    client: Any = field(repr=False)
    session: Any = field(repr=False)

    @property
    def round_trips(self) -> int:
        """API calls so far (metadata and the dry run)."""
        return int(self.session.calls)


@dataclass
class Outcome:
    """What the scan returned, with its cost."""

    entries: list[dict[str, Any]]
    bytes_processed: int
    bytes_billed: int
    rows: int
    round_trips: int
    job_id: str | None
    cap: int
    rows_scanned: int | None = None
    groups: list[tuple[dict[str, Any], int, Any]] = field(default_factory=list)
    pushdown: PushdownFigures | None = None

    def figures(self, plan: Plan) -> BigQueryFigures:
        """Coverage and cost for the report (``stats.bigquery``)."""
        scan = Scan(
            tables=tuple(t.name for t in plan.tables),
            bytes_processed=self.bytes_processed,
            bytes_billed=self.bytes_billed,
            maximum_bytes_billed=self.cap,
            rows_returned=self.rows,
            rows_scanned=self.rows_scanned,
            job_id=self.job_id,
            pushdown=self.pushdown,
        )
        return BigQueryFigures(plan.target.describe(), plan.estimate, self.round_trips, scan)


# --------------------------------------------------------------------------- planning


def prepare(
    target: Target,
    *,
    service: str | None,
    start: datetime,
    end: datetime,
    billing_project: str | None = None,
    location: str | None = None,
    pushdown: Pushdown | None = None,
) -> Plan:
    """Resolve the target, describe its tables, build the scan and dry-run it (free).

    With ``pushdown`` the scan is the library scan whose result stays in BigQuery (`run_pushdown`);
    without, it returns every entry (`run`).
    """
    client, session = bqclient.make_client(billing_project or target.project, location)
    if target.needs_link:
        target = resolve_link(target, session)
    baseline_start = start - (end - start)
    audit_start = baseline_start - DEPLOY_LOOKBACK
    tables = discover(client, target, audit_start, end)
    if pushdown is None:
        query = window_sql(
            tables, service=service, baseline_start=baseline_start, window_end=end, audit_start=audit_start
        )
    else:
        query = pushdown_scan_sql(
            tables, pushdown.patterns, service=service, window_start=start,
            recent_start=end - timedelta(seconds=pushdown.recent_s), baseline_start=baseline_start,
            window_end=end, audit_start=audit_start, signal_res=pushdown.signal_res,
        )
    estimate = dry_run(client, query)
    return Plan(target, tables, query, estimate, client, session)


def resolve_link(target: Target, session: Any) -> Target:
    """``PROJECT/LOCATION/BUCKET`` -> the BigQuery dataset linked to that log bucket."""
    url = (
        f"{bqclient.logging_base()}/v2/projects/{target.project}/locations/{target.location}"
        f"/buckets/{target.bucket}/links"
    )
    try:
        response = session.request("GET", url, timeout=60)
    except Exception as exc:  # network errors of requests/google-auth
        raise SourceError(f"cannot list the links of log bucket {target.describe()} ({exc})") from exc
    if response.status_code != 200:
        raise SourceError(
            f"cannot list the links of log bucket {target.describe()} (HTTP {response.status_code}): "
            "the account needs roles/logging.viewer; the bucket must be upgraded to Log Analytics"
        )
    links = [link for link in response.json().get("links", []) if link.get("bigqueryDataset")]
    if not links:
        raise SourceError(
            f"log bucket {target.describe()} has no linked BigQuery dataset: create one with "
            f"`gcloud logging links create LINK_ID --bucket={target.bucket} --location={target.location}` "
            "or pass --log-analytics PROJECT.LINKED_DATASET"
        )
    dataset = linked_dataset_id(str(links[0]["bigqueryDataset"]["datasetId"]))
    return Target(target.kind, target.project, dataset, target.table, target.location, target.bucket)


def _table(api_table: Any) -> Table:
    columns = tuple(column_from_api(f) for f in api_table.schema)
    shard = shard_of(api_table.table_id)
    partitioning = getattr(api_table, "time_partitioning", None)
    return Table(
        api_table.project,
        api_table.dataset_id,
        api_table.table_id,
        columns,
        kind=detect_kind(columns) or "other",
        partition_field=getattr(partitioning, "field", None) if partitioning else None,
        shard_day=shard[1] if shard else None,
        num_bytes=getattr(api_table, "num_bytes", None),
        num_rows=getattr(api_table, "num_rows", None),
    )


def discover(client: Any, target: Target, first: datetime, last: datetime) -> list[Table]:
    """The log tables to read: one view/table, or a sink dataset's log tables and shards in the span."""
    dataset = f"{target.project}.{target.dataset}"
    try:
        if target.table:
            tables = [_table(client.get_table(f"{dataset}.{target.table}"))]
        else:
            names = [t.table_id for t in client.list_tables(dataset)]
            wanted = [n for n in names if (shard_of(n) is None or _in_span(n, first, last))]
            tables = [_table(client.get_table(f"{dataset}.{n}")) for n in wanted]
    except SourceError:
        raise
    except Exception as exc:
        raise bqclient.translate(exc, f"reading the schema of {target.describe()}") from exc
    picked = pick_tables(tables, first.date(), last.date())
    if target.kind == "log-analytics":
        picked = [t for t in picked if t.kind == LA] or picked
    if not picked:
        found = ", ".join(t.name for t in tables[:10]) or "none"
        raise SourceError(
            f"{target.describe()} has no log table for {first:%Y-%m-%d}..{last:%Y-%m-%d} "
            f"(tables found: {found}); a sink's tables are named after log ids, "
            "e.g. run_googleapis_com_stderr"
        )
    return picked


def _in_span(name: str, first: datetime, last: datetime) -> bool:
    shard = shard_of(name)
    return shard is not None and first.date() <= shard[1] <= last.date()


# --------------------------------------------------------------------------- jobs


def query_parameters(params: Iterable[Param]) -> list[Any]:
    """Our parameters as google-cloud-bigquery query parameters."""
    bigquery = bqclient.bigquery_module()
    out: list[Any] = []
    for p in params:
        if p.type.startswith("ARRAY<"):
            out.append(bigquery.ArrayQueryParameter(p.name, p.type[6:-1], list(p.value)))
        else:
            out.append(bigquery.ScalarQueryParameter(p.name, p.type, p.value))
    return out


def job_config(query: Query, *, dry_run: bool = False, cap: int | None = None) -> Any:
    """A QueryJobConfig with the parameters, the labels, and the byte cap (never without one to run)."""
    bigquery = bqclient.bigquery_module()
    config = bigquery.QueryJobConfig(
        query_parameters=query_parameters(query.params),
        labels=LABELS | {"rca_query": query.name},
        use_legacy_sql=False,
        dry_run=dry_run,
        use_query_cache=not dry_run,
    )
    if cap is not None:
        config.maximum_bytes_billed = cap
    return config


def dry_run(client: Any, query: Query) -> int:
    """Bytes the query would process (free)."""
    try:
        job = client.query(query.sql, job_config=job_config(query, dry_run=True))
    except Exception as exc:
        raise bqclient.translate(exc, "estimating the scan (dry run)") from exc
    return int(job.total_bytes_processed or 0)


def guard(
    plan: Plan,
    *,
    max_bytes: int,
    confirm_above: int | None,
    yes: bool,
    confirm: Callable[[str], bool] | None,
) -> None:
    """Refuse above the cap; above ``confirm_above`` ask (``confirm``) or require ``yes``."""
    estimate = cost.Estimate(plan.estimate)
    verdict = cost.decide(plan.estimate, max_bytes, confirm_above, yes)
    if verdict == "refuse":
        raise cost.refusal(estimate, max_bytes, plan.target.describe())
    if verdict == "confirm":
        question = f"BigQuery will scan {plan.target.describe()}: {estimate.describe()}. Run it?"
        if confirm is None:
            raise cost.CostRefused(
                f"{question.removesuffix(' Run it?')}; that is above --confirm-above "
                f"{cost.human(confirm_above or 0)}: pass --yes to run it without asking, or "
                f"{cost.NARROW_HINT}"
            )
        if not confirm(question):
            raise cost.CostRefused(
                f"BigQuery scan of {plan.target.describe()} not confirmed; nothing was billed"
            )


def run(plan: Plan, *, max_bytes: int) -> Outcome:
    """Run the scan with ``maximum_bytes_billed`` and labels; rows become canonical entries."""
    cap = cost.job_cap(plan.estimate, max_bytes)
    try:
        job = plan.client.query(plan.query.sql, job_config=job_config(plan.query, cap=cap))
        rows = job.result(page_size=10_000)
        entries = [to_entry(r) for r in rows]
    except SourceError:
        raise
    except Exception as exc:
        raise bqclient.translate(exc, f"scanning {plan.target.describe()}") from exc
    return Outcome(
        entries,
        int(job.total_bytes_processed or 0),
        int(job.total_bytes_billed or 0),
        len(entries),
        int(plan.session.calls),
        job.job_id,
        cap,
        rows_scanned(job),
    )


@dataclass
class Step:
    """One follow-up query of the push-down and what it cost."""

    name: str
    bytes_processed: int
    bytes_billed: int
    rows: int


def run_pushdown(plan: Plan, *, max_bytes: int) -> Outcome:
    """The push-down: the scan (its rows stay in BigQuery), then three small queries over its result.

    The scan runs with the guarded cap; each follow-up is dry-run first (free) and capped at its
    own estimate, since it reads only the scan's result table. ``entries`` holds the kept entries
    and every group expanded back to its size (`expand`); ``rows`` counts the rows returned.
    """
    cap = cost.job_cap(plan.estimate, max_bytes)
    what = f"scanning {plan.target.describe()}"
    try:
        job = plan.client.query(plan.query.sql, job_config=job_config(plan.query, cap=cap))
        job.result(max_results=0)
        dest = job.destination
        result = f"`{dest.project}.{dest.dataset_id}.{dest.table_id}`"
        recovery, step_recovery = _follow_up(plan, recovery_sql(result), max_bytes)
        first_ok = recovery[0]["first_ok"] if recovery else None
        kept, step_rows = _follow_up(plan, rows_sql(result, first_ok), max_bytes)
        groups, step_groups = _follow_up(plan, collapsed_sql(result, first_ok), max_bytes)
    except SourceError:
        raise
    except Exception as exc:
        raise bqclient.translate(exc, what) from exc
    entries = [to_entry(r) for r in kept]
    represented = len(entries) + sum(int(g["n"]) for g in groups)
    steps = [step_recovery, step_rows, step_groups]
    outcome = Outcome(
        entries,
        int(job.total_bytes_processed or 0) + sum(s.bytes_processed for s in steps),
        int(job.total_bytes_billed or 0) + sum(s.bytes_billed for s in steps),
        len(entries) + len(groups),
        int(plan.session.calls),
        job.job_id,
        cap,
        rows_scanned(job),
    )
    outcome.groups = [(to_entry(g), int(g["n"]), g["last_ts"]) for g in groups]
    outcome.pushdown = PushdownFigures(
        entries_represented=represented,
        rows_kept_whole=len(entries),
        rows_collapsed=len(groups),
        scan_bytes_processed=int(job.total_bytes_processed or 0),
        follow_ups=tuple(steps),
    )
    return outcome


def _follow_up(plan: Plan, query: Query, max_bytes: int) -> tuple[list[Any], FollowUp]:
    """A small query over the scan's result: dry run (free), then run it under its own cap."""
    estimate = dry_run(plan.client, query)
    cap = cost.job_cap(estimate, max_bytes)
    job = plan.client.query(query.sql, job_config=job_config(query, cap=cap))
    rows = list(job.result(page_size=10_000))
    processed, billed = int(job.total_bytes_processed or 0), int(job.total_bytes_billed or 0)
    step = FollowUp(query.name, processed, billed, len(rows))
    return rows, step


def expand(groups: Iterable[tuple[dict[str, Any], int, Any]]) -> Iterator[tuple[dict[str, Any], int]]:
    """Each collapsed group as (entry, copies): its first entry once, then ``n - 1`` copies at its
    last time without an insert id (so the store does not take them for duplicates). Every count,
    first and last time the analysis reads over these groups is then the table's own."""
    for entry, n, last in groups:
        yield entry, 1
        if n > 1:
            copy = {k: v for k, v in entry.items() if k != "insertId"}
            copy["timestamp"] = _ts(last)
            yield copy, n - 1


def write_ndjson(
    kept: Iterable[tuple[dict[str, Any], int]], groups: Iterable[tuple[dict[str, Any], int]], path: Path
) -> None:
    """Kept entries and expanded groups as NDJSON, newest first like a gcloud export (ties by log
    name and insert id), each (entry, copies) line written ``copies`` times; the store reads it
    as a file. A copy is serialised once, so a group of a million entries costs one dumps."""
    lines = [(_newest_first_key(e), json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n", n)
             for e, n in (*kept, *groups)]
    lines.sort(key=lambda t: t[0], reverse=True)
    with path.open("w", encoding="utf-8") as out:
        for _, line, n in lines:
            while n > 0:  # in slices: a big group never becomes one giant string
                out.write(line * min(n, 4096))
                n -= 4096


def rows_scanned(job: Any) -> int | None:
    """Rows the job read from tables: the input stages' ``recordsRead`` of its query plan."""
    try:
        plan = list(job.query_plan or [])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    inputs = [s for s in plan if "input" in str(getattr(s, "name", "")).lower()] or plan[:1]
    total = [getattr(s, "records_read", None) for s in inputs]
    return sum(int(t) for t in total if t is not None) if inputs else None


# --------------------------------------------------------------------------- rows -> LogEntry

_SINK_LABEL_KEYS = {"instanceid": "instanceId"}
"""Sinks lower-case user keys; the normaliser reads these LogEntry spellings."""


def _ts(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        v = value.astimezone(timezone.utc) if value.tzinfo else value
        return v.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(value)


def _loads(text: Any) -> Any:
    if text is None:
        return None
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _strip_nulls(value: Any) -> Any:
    """Sink RECORDs carry every inferred field, null when absent; the entry had none of them."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


_OPAQUE = frozenset({"request", "response", "metadata", "service_data", "serviceData"})


def _camelize(value: Any) -> Any:
    """Log Analytics snake_case audit fields back to LogEntry camelCase (JSON members left as written)."""
    if isinstance(value, dict):
        return {_camel(k): (v if k in _OPAQUE else _camelize(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_camelize(v) for v in value]
    return value


def _proto(text: Any, kind: str | None) -> dict[str, Any] | None:
    obj = _strip_nulls(_loads(text))
    if not isinstance(obj, dict) or not obj:
        return None
    if kind == "record":  # Log Analytics: proto_payload.audit_log, snake_case
        audit = obj.get("audit_log")
        if isinstance(audit, dict):
            return {"@type": AUDIT_LOG, **_camelize(audit)}
        camel: dict[str, Any] = _camelize(obj)
        return camel
    if kind and kind != "json":  # a sink's protopayload_<type>: *Json members are strings
        out: dict[str, Any] = {"@type": AUDIT_LOG} if kind == "auditlog" else {}
        for k, v in obj.items():
            if k.endswith("Json") and isinstance(v, str):
                out[k[: -len("Json")]] = _loads(v)
            else:
                out[k] = v
        return out
    return obj


def to_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    """One result row (the flat columns of `shapes.OUTPUT`) as a canonical LogEntry dict."""
    sink = row.get("shape") != LA
    entry: dict[str, Any] = {}
    for key, col in (("timestamp", "ts"), ("receiveTimestamp", "receive_ts")):
        if row.get(col) is not None:
            entry[key] = _ts(row[col])
    for key, col in (
        ("severity", "severity"),
        ("logName", "log_name"),
        ("insertId", "insert_id"),
        ("trace", "trace"),
        ("spanId", "span_id"),
        ("textPayload", "text_payload"),
    ):
        if row.get(col) is not None:
            entry[key] = row[col]
    resource: dict[str, Any] = {}
    if row.get("resource_type") is not None:
        resource["type"] = row["resource_type"]
    labels = _strip_nulls(_loads(row.get("resource_labels")))
    if isinstance(labels, dict) and labels:
        resource["labels"] = labels
    if resource:
        entry["resource"] = resource
    user_labels = _strip_nulls(_loads(row.get("labels")))
    if isinstance(user_labels, dict) and user_labels:
        entry["labels"] = {_SINK_LABEL_KEYS.get(k, k) if sink else k: v for k, v in user_labels.items()}
    payload = _loads(row.get("json_payload"))
    payload = _strip_nulls(payload) if sink else payload
    if payload not in (None, {}):
        entry["jsonPayload"] = payload
    proto = _proto(row.get("proto_payload"), row.get("proto_type"))
    if proto:
        entry["protoPayload"] = proto
    http: dict[str, Any] = {}
    for key, col in (("requestMethod", "http_method"), ("requestUrl", "http_url"), ("status", "http_status"),
                     ("userAgent", "http_user_agent")):
        if row.get(col) is not None:
            http[key] = row[col]
    if row.get("http_latency_s") is not None:
        http["latency"] = f"{float(row['http_latency_s']):.9f}".rstrip("0").rstrip(".") + "s"
    if http:
        entry["httpRequest"] = http
    source: dict[str, Any] = {}
    if row.get("source_file") is not None:
        source["file"] = row["source_file"]
    if row.get("source_line") is not None:
        source["line"] = str(row["source_line"])
    if source:
        entry["sourceLocation"] = source
    return entry


def closed(end: datetime, now: datetime | None = None) -> bool:
    """A window that ended long enough ago that no more entries can arrive (safe to cache)."""
    now = now or datetime.now(timezone.utc)
    return end < now - timedelta(minutes=10)


def check_flags(max_bytes: int, confirm_above: int | None) -> None:
    """Usage errors in the cost flags."""
    if max_bytes <= 0:
        raise UsageError("--max-bytes-billed must be positive")
    if confirm_above is not None and confirm_above < 0:
        raise UsageError("--confirm-above must not be negative")
