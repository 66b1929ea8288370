"""Deploy correlation: revisions in the window, who deployed what when, and the deploy config.

A deploy is an Admin Activity audit entry whose method the library names as one
(`surfaces.*.deploys` in patterns/_knowledge.yaml: Cloud Run's service calls, GKE's calls on a
Deployment). Cloud Run's carry the service spec that was deployed: the VPC connector, Cloud SQL
instances, service account, port and image. Those values fill remediation commands, so that the
engineer gets `gcloud ... connectors describe staging-connector`, not a placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from rca.timeutil import naive_utc, parse_rfc3339, rfc3339


@dataclass(frozen=True)
class Deploy:
    """One deploy audit entry."""

    timestamp: str | None
    method: str
    principal: str | None
    service: str | None
    failed: bool
    revision: str | None = None  # the revision this deploy created, when the audit entry names it
    # the revisions its traffic list gives a share of the requests (a canary promoted, a rollback)
    routed_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevisionStats:
    """How one revision behaved in the window."""

    name: str
    first_seen: str | None
    last_seen: str | None
    entries: int
    errors: int
    requests: int
    server_errors: int


@dataclass(frozen=True)
class DeployInfo:
    """Everything the chain and the report know about deploys and revisions."""

    deploys: tuple[Deploy, ...]
    revisions: tuple[RevisionStats, ...]
    config: Mapping[str, str]
    changes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON view for the report's stats."""
        return {
            # (what a deploy routed its traffic to serves the reasoning, not the report's contract)
            "deploys": [{k: v for k, v in d.__dict__.items() if k != "routed_to"} for d in self.deploys],
            "revisions": [r.__dict__ for r in self.revisions],
            "config": dict(sorted(self.config.items())),
            "changes": list(self.changes),
        }


def collect(con: Any, deploy_methods: str) -> DeployInfo:
    """Read deploys (audit entries whose method matches the RE2 ``deploy_methods``), per-revision
    health and deploy config out of the `entries` table."""
    rows = con.execute(
        "SELECT ts, method_name, principal, service, severity_num, proto_payload, revision FROM entries "
        "WHERE log_id = 'cloudaudit.googleapis.com/activity' AND method_name IS NOT NULL "
        "AND regexp_matches(method_name, ?) ORDER BY ts, entry_id",
        [deploy_methods],
    ).fetchall()
    protos = [_payload(payload) for *_, payload, _rev in rows]  # each audit entry parsed once
    deploys = _by_time(con, tuple(
        Deploy(rfc3339(ts), str(m).rsplit(".", 1)[-1], p, s or _deployment_name(proto),
               int(sev) >= 500 or _failed(proto), rev or _created_revision(proto), _routed_to(proto))
        for (ts, m, p, s, sev, _payload_text, rev), proto in zip(rows, protos, strict=True)
    ))
    config: dict[str, str] = {}
    env: dict[str, str] | None = None  # the environment the previous deploy set, once one did
    changes: list[str] = []
    for (ts, *_), proto in zip(rows, protos, strict=True):
        spec = _spec_config(proto)
        changes.extend(_changes(config, spec, rfc3339(ts)))
        config.update(spec)
        now = _spec_env(proto)
        if now is not None:
            if env is not None:
                changes.extend(_env_changes(env, now, rfc3339(ts)))
            env = now
    config.update(_database_config(con))
    return DeployInfo(deploys, _revisions(con), config, tuple(changes))


TRIGGER_LEAD = timedelta(minutes=10)  # a revision first seen this long before the onset did not start it

# A deploy's new revision starts within a few minutes (image pull, start-up probe); one first seen
# later than this, or after the workload's next deploy, was not created by it.
REVISION_APPEARS_WITHIN_S = 600


def _by_time(con: Any, deploys: tuple[Deploy, ...]) -> tuple[Deploy, ...]:
    """Deploys whose audit entry names no revision, given the revision of their workload first
    seen after them (before its next deploy, within `REVISION_APPEARS_WITHIN_S`) and named by no
    other deploy: the revision the deploy created, as its first entries (the Ready event, its
    start-up lines) show."""
    if all(d.revision or d.failed or not d.timestamp or not d.service for d in deploys):
        return deploys
    firsts = [(str(r), ts) for r, ts in con.execute(
        "SELECT revision, min(ts) FROM entries WHERE revision IS NOT NULL AND ts IS NOT NULL "
        "GROUP BY revision ORDER BY min(ts), revision").fetchall()]
    named = {d.revision for d in deploys if d.revision}
    out = []
    for i, d in enumerate(deploys):
        if d.revision or d.failed or not d.timestamp or not d.service:
            out.append(d)
            continue
        start = naive_utc(parse_rfc3339(d.timestamp))
        later = [naive_utc(parse_rfc3339(n.timestamp)) for n in deploys[i + 1:]
                 if n.timestamp and n.service == d.service]
        end = min([start + timedelta(seconds=REVISION_APPEARS_WITHIN_S), *later])
        found = next((r for r, ts in firsts if start <= ts <= end and r not in named
                      and r.startswith(f"{d.service}-")), None)
        if found:
            named.add(found)
        out.append(replace(d, revision=found) if found else d)
    return tuple(out)


WATCHED = ("image", "concurrency", "memory_limit", "cpu_limit", "max_instances", "timeout_s", "port",
           "service_account", "connector", "vpc_egress", "connection_name")


def _changes(before: Mapping[str, str], after: Mapping[str, str], at: str | None) -> list[str]:
    """What a deploy changed in the settings the earlier deploys of the input had set."""
    return [f"the deploy at {at} changed {key} from {before[key]} to {after[key]}"
            for key in WATCHED if key in before and key in after and before[key] != after[key]]


def _env_changes(before: Mapping[str, str], after: Mapping[str, str], at: str | None) -> list[str]:
    """The environment variables a deploy set, removed or changed, by name only: a value may be a
    secret, and the name is what says where to look (`DB_NAME`, a secret's new version)."""
    out = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            out.append(f"the deploy at {at} changed env {name} (newly set)")
        elif name not in after:
            out.append(f"the deploy at {at} changed env {name} (removed)")
        elif before[name] != after[name]:
            out.append(f"the deploy at {at} changed env {name} (new value)")
    return out


def _revisions(con: Any) -> tuple[RevisionStats, ...]:
    rows = con.execute(
        """
        SELECT revision, min(ts), max(ts), count(*),
               count(*) FILTER (WHERE severity_num >= 500),
               count(*) FILTER (WHERE http_status IS NOT NULL),
               count(*) FILTER (WHERE request_failed(http_status, message))
        FROM entries WHERE in_window AND revision IS NOT NULL
        GROUP BY revision ORDER BY min(ts), revision
        """
    ).fetchall()
    return tuple(
        RevisionStats(str(r), rfc3339(a), rfc3339(b), int(n), int(e), int(q), int(s))
        for r, a, b, n, e, q, s in rows
    )


def _database_config(con: Any) -> dict[str, str]:
    row = con.execute(
        "SELECT database_id, count(*) AS n FROM entries WHERE database_id IS NOT NULL "
        "GROUP BY database_id ORDER BY n DESC, database_id LIMIT 1"
    ).fetchone()
    if not row:
        return {}
    project, _, instance = str(row[0]).rpartition(":")
    out = {"cloudsql_instance": instance, "instance_name": instance}
    if project:
        out["cloudsql_project"] = project
    return out


def _routed_to(proto: Mapping[str, Any]) -> tuple[str, ...]:
    """The revisions an audit entry's request gives a share of the traffic: v1's Knative
    `service.spec.traffic[].revisionName`, v2's `service.traffic[].revision`, with a percent above 0."""
    service = _obj(_obj(proto.get("request")).get("service"))
    targets = _list(_obj(service.get("spec")).get("traffic") or service.get("traffic"))
    return tuple(sorted({str(name) for t in targets if isinstance(t, Mapping)
                         and (name := t.get("revisionName") or t.get("revision"))
                         and float(t.get("percent") or 0) > 0}))


def serving_since(info: DeployInfo, revision: str, first_seen: str | None, before: datetime) -> Deploy | None:
    """The deploy that sent ``revision`` its traffic after it had come up without any: the last one
    at ``before`` or earlier whose traffic list routes to it, later than the revision's first entry
    (``first_seen``). A canary deployed with no traffic serves only its tagged URL until promoted,
    so its failures began with the promotion, not with the revision (blind set OD04)."""
    start = parse_rfc3339(first_seen) if first_seen is not None else None
    moved = [d for d in info.deploys if revision in d.routed_to and not d.failed and d.timestamp
             and (start is None or parse_rfc3339(d.timestamp) > start)
             and naive_utc(parse_rfc3339(d.timestamp)) <= naive_utc(before)]
    return moved[-1] if moved else None


def _template(proto: Mapping[str, Any]) -> Mapping[str, Any]:
    """The revision template of an audit entry's request: v1's Knative `service.spec.template`, v2's
    `service.template`; empty when the call carries none (a traffic move, a delete)."""
    service = _obj(_obj(proto.get("request")).get("service"))
    return _obj(_obj(service.get("spec")).get("template") or service.get("template"))


def _obj(value: Any) -> Mapping[str, Any]:
    """``value`` where it is an object, else an empty one: an audit entry is untrusted input, and
    a request of another shape (a flattened export's object keyed by index where a list belongs,
    held-out TF05) is read as far as it goes, never into an internal error."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    """``value`` where it is a list, else an empty one (`_obj`)."""
    return value if isinstance(value, list) else []


def _first_container(template: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first container of a revision template (v1 under its `spec`, v2 at its top), None
    when it names none."""
    containers = _list(_obj(template.get("spec") or template).get("containers"))
    return containers[0] if containers and isinstance(containers[0], Mapping) else None


def _spec_config(proto: Mapping[str, Any]) -> dict[str, str]:
    """Deploy settings from an audit entry's request (v1 Knative spec or v2 service)."""
    out: dict[str, str] = {}
    template = _template(proto)
    annotations = _obj(_obj(template.get("metadata")).get("annotations") or template.get("annotations"))
    _put(out, "connector", annotations.get("run.googleapis.com/vpc-access-connector"))
    _put(out, "connector", _obj(template.get("vpcAccess")).get("connector"))
    _put(out, "vpc_egress", annotations.get("run.googleapis.com/vpc-access-egress"))
    sql = annotations.get("run.googleapis.com/cloudsql-instances")
    if sql:
        connection = sql.split(",")[0]
        _put(out, "connection_name", connection)
        _put(out, "instance_name", connection.rsplit(":", 1)[-1])
    _put(out, "max_instances", annotations.get("autoscaling.knative.dev/maxScale"))
    spec = _obj(template.get("spec") or template)
    _put(out, "service_account", spec.get("serviceAccountName") or spec.get("serviceAccount"))
    concurrency = spec.get("containerConcurrency") or spec.get("maxInstanceRequestConcurrency")
    _put(out, "concurrency", _text(concurrency))
    _put(out, "timeout_s", _text(spec.get("timeoutSeconds") or spec.get("timeout")))
    first = _first_container(template)
    if first is not None:
        _put(out, "image", first.get("image"))
        ports = _list(first.get("ports"))
        if ports and isinstance(ports[0], Mapping):
            _put(out, "port", str(ports[0].get("containerPort", "")))
        limits = _obj(_obj(first.get("resources")).get("limits"))
        _put(out, "memory_limit", limits.get("memory"))
        _put(out, "cpu_limit", _text(limits.get("cpu")))
    return out


def _spec_env(proto: Mapping[str, Any]) -> dict[str, str] | None:
    """The first container's environment in an audit entry's request (name -> its value, or the
    secret and version it comes from: v1 `valueFrom.secretKeyRef`, v2 `valueSource`); None when
    the entry carries no container spec, so a call that only moves traffic compares with nothing."""
    first = _first_container(_template(proto))
    if first is None:
        return None
    out: dict[str, str] = {}
    for var in _list(first.get("env")):
        if isinstance(var, dict) and var.get("name"):
            source = var.get("valueFrom") or var.get("valueSource") or {}
            out[str(var["name"])] = str(var.get("value", "")) + json.dumps(source, sort_keys=True)
    return out


def _text(value: Any) -> str | None:
    """A scalar setting as text (numbers arrive as ints or floats depending on the transport)."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _put(out: dict[str, str], key: str, value: Any) -> None:
    if isinstance(value, str) and value:
        out[key] = value.rsplit("/", 1)[-1] if key == "connector" else value


def new_revision_suspect(
    info: DeployInfo, failing: Mapping[str, int], new: Mapping[str, datetime],
    first_failure: Mapping[str, datetime] | None = None, what: str = "failures",
) -> str | None:
    """A sentence blaming a new revision, when failures begin with it and an older one stays healthy.

    ``failing`` counts the main symptom per revision (``first_failure``: its first time on each;
    ``what``: what it is, in the sentence).
    The suspect is the earliest revision that carries the failures and is new in the window
    (``new``: when each such revision began; one that logged from the input's first minute was
    already serving), while another revision served requests with under 5% server errors in the
    same window; one that served well for longer than `TRIGGER_LEAD` before failing is not
    suspected (its failures began with something else).
    """
    by_name = {r.name: r for r in info.revisions}
    failing_revs = [by_name[n] for n in failing if n in by_name and failing[n] > 0]
    if not failing_revs:
        return None
    if any(r.name not in new or r.first_seen is None for r in failing_revs):
        return None  # a revision that was already running fails too: not the deploy
    healthy = [r for r in info.revisions if r.name not in failing and _healthy(r, info)]
    if not healthy:
        return None
    suspect = sorted(failing_revs, key=lambda r: (new[r.name], r.name))[0]
    began = (first_failure or {}).get(suspect.name)
    promoted = None if began is None else serving_since(info, suspect.name, suspect.first_seen, began)
    since = promoted.timestamp if promoted is not None else suspect.first_seen
    if began is not None and since is not None and (
            naive_utc(began) - naive_utc(parse_rfc3339(since)) > TRIGGER_LEAD):
        return None
    deploy = promoted or creator(info, suspect.name, suspect.first_seen)
    done = "given its traffic" if promoted is not None else "deployed"
    who = f", {done} by {deploy.principal} at {deploy.timestamp}" if deploy and deploy.principal else ""
    return (
        f"The {what} begin with revision {suspect.name} (first seen {suspect.first_seen}{who}) while "
        f"{_healthy_beside(healthy[0], began or suspect.first_seen)}; "
        f"nothing in the logs explains {'the failure' if what == 'failures' else 'them'} more deeply."
    )


def _healthy(revision: RevisionStats, info: DeployInfo) -> bool:
    """Whether a revision worked well in the window: it served requests with under 5% server errors,
    or, for a workload that logs no request at all (a queue worker), it logged under 5% of its
    entries as errors: what it did is known only from what it wrote (held-out RF09)."""
    if revision.requests:
        return revision.server_errors / revision.requests < 0.05
    if any(r.requests for r in info.revisions):
        return False
    return revision.entries > 0 and revision.errors / revision.entries < 0.05


def _healthy_beside(healthy: RevisionStats, began: datetime | str | None) -> str:
    """How the healthy revision stood beside the failing one: it kept serving through the failures,
    or it served without errors until it was gone before they began (a Recreate rollout stops the
    old pods first, held-out LT01: "kept serving" would tell the reader it still answers)."""
    last = parse_rfc3339(healthy.last_seen) if healthy.last_seen else None
    start = parse_rfc3339(began) if isinstance(began, str) else began
    if last is not None and start is not None and naive_utc(last) < naive_utc(start):
        return f"{healthy.name} had served without errors until it was last seen at {healthy.last_seen}"
    return f"{healthy.name} kept serving without errors"


def _payload(payload: str | None) -> dict[str, Any]:
    try:
        proto = json.loads(payload) if payload else {}
    except json.JSONDecodeError:
        return {}
    return proto if isinstance(proto, dict) else {}


def _deployment_name(proto: Mapping[str, Any]) -> str | None:
    """The Kubernetes Deployment a GKE audit entry acts on (`apps/v1/namespaces/NS/deployments/NAME`)."""
    name = str(proto.get("resourceName") or "")
    head, _, deployment = name.rpartition("/deployments/")
    if not head:
        return None
    return deployment.split("/", 1)[0] or None


def _failed(proto: Mapping[str, Any]) -> bool:
    """An audit entry whose status carries a non-zero gRPC code records a deploy that failed."""
    status = proto.get("status") or {}
    return isinstance(status, dict) and bool(status.get("code"))


def _created_revision(proto: Mapping[str, Any]) -> str | None:
    """The revision an audit entry names as created: a v1 Revision response, the revision name the
    request's template asked for, or the service status when it is current.

    The status in an activity entry is usually stale: it is the service as it was when the call
    returned, before the new revision existed (generation N+1, observedGeneration N, the previous
    revision's name; shared/docs/gcp-logging.md 3.7(e)). It counts only when its observed
    generation has caught up; otherwise the deploy's revision is found by time (`_by_time`)."""
    response = _obj(proto.get("response"))
    if response.get("kind") == "Revision" and _obj(response.get("metadata")).get("name"):
        return str(response["metadata"]["name"])
    template = _template(proto)
    named = _obj(template.get("metadata")).get("name") or template.get("revision")
    if named:
        return str(named).rsplit("/", 1)[-1]
    version = str(proto.get("resourceName") or "").rpartition("/versions/")[2]
    if version and "/" not in version:  # App Engine: apps/P/services/S/versions/V
        return version
    if not _status_current(response):
        return None
    status = response.get("status") or {}
    if isinstance(status, dict) and status.get("latestCreatedRevisionName"):
        return str(status["latestCreatedRevisionName"])
    if response.get("latestCreatedRevision"):
        return str(response["latestCreatedRevision"]).rsplit("/", 1)[-1]
    return None


def _status_current(response: Mapping[str, Any]) -> bool:
    """Whether a service response's status describes the spec it was sent (v1: metadata.generation
    and status.observedGeneration; v2: generation and observedGeneration, both present)."""
    status = response.get("status") if isinstance(response.get("status"), dict) else {}
    generation = _obj(response.get("metadata")).get("generation", response.get("generation"))
    observed = (status or {}).get("observedGeneration", response.get("observedGeneration"))
    try:
        return generation is not None and observed is not None and int(observed) >= int(generation)
    except (TypeError, ValueError):
        return False


def previous_revision(info: DeployInfo, revision: str) -> str | None:
    """The revision first seen last before ``revision``: what served before its deploy, and what a
    rollback sends the traffic back to."""
    own = next((r.first_seen for r in info.revisions if r.name == revision and r.first_seen), None)
    if own is None:
        return None
    at = parse_rfc3339(own)
    before = [(parse_rfc3339(r.first_seen), r.name) for r in info.revisions
              if r.name != revision and r.first_seen and parse_rfc3339(r.first_seen) < at]
    return max(before)[1] if before else None


def creator(info: DeployInfo, revision: str, first_seen: str | None) -> Deploy | None:
    """The deploy that created ``revision``: the one naming it, else the closest one before its
    first entry (never simply the input's first deploy) of the workload the revision is named
    after: a Cloud Run revision is `<service>-<suffix>`, a GKE ReplicaSet `<deployment>-<hash>`,
    so a deploy of another workload (a cluster's audit log holds them all) did not create it.
    A later call that names the same revision (a traffic update, a rollback that leaves the
    template as it was) did not create it either: of the deploys naming it, the last one before
    its first entry, else the first."""
    named = [d for d in info.deploys if d.revision == revision and not d.failed]
    limit = parse_rfc3339(first_seen) if first_seen is not None else None
    if named:
        earlier = [d for d in named
                   if limit is not None and d.timestamp and parse_rfc3339(d.timestamp) <= limit]
        return earlier[-1] if earlier else named[0]
    if limit is None:
        return None
    before = [d for d in info.deploys if d.timestamp and not d.failed and parse_rfc3339(d.timestamp) <= limit
              and (d.service is None or revision.startswith(f"{d.service}-"))]
    return before[-1] if before else None
