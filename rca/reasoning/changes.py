"""The change that set the root cause off, when it was not a deploy of the service.

A firewall rule inserted, an IAM binding removed, a secret version disabled, a database's server
certificate authority rotated: each is an Admin Activity audit entry that the library's change
patterns (layer `deploy`, role `context`, the category of failure such a change brings) read. A
pattern cannot say "this change caused that failure"; the order of events can. When the chain's
cause is new in the window and the latest change of the root cause's category was logged in the
hour before the cause first appeared, that change is the deepest why: the link after the cause,
what the root cause repeats, and `status.change`. A cause already there before the change, or a
change of another kind, is left alone. Where no log entry shows the cause and the root cause is
only what the symptom usually means, a change the library says can set that symptom off, logged in
the hour before it began, is better evidence than the reading: it takes the reading's place
(`instead_of_reading`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from rca.library.knowledge import Knowledge, load_knowledge
from rca.library.templating import fill
from rca.model import Category, Change, Hypothesis, Link, Remediation, Role, RootCause, Status
from rca.reasoning import chain
from rca.reasoning.hypotheses import displaced
from rca.reasoning.impact import is_change_pattern
from rca.timeutil import rfc3339

# How long before a cause first appeared a change may have set it off. An IAM change can take
# minutes to apply, and a changed secret or certificate authority fails only the connections and
# instances opened after it, which may come a good while later; a change older than this is not
# offered as the cause.
CHANGE_LEAD = timedelta(minutes=60)

# Categories no infrastructure change stands for: an unknown cause has nothing to begin, and a
# deployment change is the service's own deploy (`status.trigger`).
_NOT_CHANGES = frozenset({Category.UNKNOWN, Category.DEPLOYMENT_CHANGE})


def find(
    con: Any, root: Category, cause: chain.Node, nodes: Mapping[str, chain.Node], context: Mapping[str, str]
) -> Change | None:
    """The latest change of category ``root`` logged in the `CHANGE_LEAD` before ``cause`` (the
    chain's terminal finding) first appeared, if the cause is new in the window."""
    if root in _NOT_CHANGES:
        return None
    return _latest(con, cause, nodes, context, lambda node: _is_change(node, root))


def find_by_rule(
    con: Any, cause: chain.Node, nodes: Mapping[str, chain.Node], context: Mapping[str, str]
) -> tuple[Category, Change] | None:
    """A change of the category one of the cause's rules concludes from failures of that category,
    logged in the `CHANGE_LEAD` before the cause first appeared, with that category.

    A rule such as "timeouts beside network-level failures come from the network path" reads
    failures, and a change is context, not a failure (`chain.satisfies`); but a forwarding rule
    deleted a minute before every call to an upstream began to time out is the same evidence,
    stronger: it says what changed on the path (blind set 6E07). The first rule in the pattern's
    order that has such a change decides."""
    for rule in cause.pattern.rules:
        if rule.category is None or rule.category in _NOT_CHANGES:
            continue
        if f"category:{rule.category.value}" not in rule.when_any:
            continue
        change = find(con, rule.category, cause, nodes, context)
        if change is not None:
            return rule.category, change
    return None


def find_named(
    con: Any, cause: chain.Node, nodes: Mapping[str, chain.Node], context: Mapping[str, str]
) -> tuple[Category, Change] | None:
    """The latest change of another category that the cause's pattern names among what sets it
    off (`caused_by`, by id or category), logged in the `CHANGE_LEAD` before the cause first
    appeared, with that change's category.

    A cause whose message does not say what was slow or gone ("context deadline exceeded", a pool
    checkout timeout) lists the kinds of failure behind it; a change of one of those kinds just
    before it began says which: a Spanner instance cut to a seventh of its capacity two minutes
    before every query ran out of its deadline (blind set 8G07)."""
    if cause.pattern.role is not Role.CAUSE:
        return None
    own = cause.finding.category

    def behind(node: chain.Node) -> bool:
        return (_is_change(node) and node.finding.category is not own
                and chain.refers_to(cause.pattern.caused_by, node))

    change = _latest(con, cause, nodes, context, behind)
    return (nodes[change.pattern_id].finding.category, change) if change is not None else None


def by_rule(
    root: RootCause, hypotheses: Sequence[Hypothesis], category: Category, change: Change
) -> tuple[RootCause, list[Hypothesis]]:
    """The root cause in the category a change made the cause's rule conclude, and the
    hypotheses with the cause's own reading (the one it replaces) in place of the rule's
    alternative that said the category lacked evidence."""
    read = RootCause(category, root.pattern_id, root.summary, root.confidence)
    own = displaced(root, f"a {category.value} change ({change.method or change.pattern_id}) was logged at "
                          f"{change.at}, just before it began")
    kept = [h for h in hypotheses if not (h.category is category and h.pattern_id == root.pattern_id)]
    return read, [own, *kept]


def find_setting_off(
    con: Any, symptom: chain.Node, nodes: Mapping[str, chain.Node], context: Mapping[str, str],
    knowledge: Knowledge,
) -> Change | None:
    """The latest change of any category the library says can set ``symptom`` off (its `caused_by`,
    or its kind's), logged in the `CHANGE_LEAD` before the symptom first appeared: for a root cause
    that is only the symptom's usual reading (a firewall rule deleted, then the load balancer finds
    no healthy backend: blind set ES07)."""
    kinds = knowledge.kinds.get(symptom.pattern.kind or "", ())

    def sets_off(node: chain.Node) -> bool:
        return _is_change(node) and (chain.knows(node, symptom)
                                     or f"category:{node.finding.category.value}" in kinds)

    return _latest(con, symptom, nodes, context, sets_off)


def _latest(
    con: Any, cause: chain.Node, nodes: Mapping[str, chain.Node], context: Mapping[str, str],
    fits: Callable[[chain.Node], bool],
) -> Change | None:
    """The latest change of a node that ``fits`` in the `CHANGE_LEAD` before ``cause`` first appeared,
    if the cause is new in the window."""
    began = cause.first()
    if began is None or cause.finding.status is not Status.ACTIVE:
        return None
    candidates = sorted(
        ((o.ts, node.id, o.event_id) for node in nodes.values() if fits(node)
         for o in node.occurrences if o.ts is not None and began - CHANGE_LEAD <= o.ts <= began),
        reverse=True,
    )
    for at, node_id, event_id in candidates:
        # (an audit entry at ERROR is a change the API refused: nothing changed; one the deploy of
        # the same resource made, `_WITH_A_DEPLOY`, that only grants is that deploy's)
        row = con.execute(
            "SELECT method_name, json_extract_string(proto_payload, '$.resourceName'), principal, "
            "json_extract_string(proto_payload, '$.serviceData.policyDelta.bindingDeltas[*].action'), "
            "json_extract_string(proto_payload, '$.serviceData.policyDelta.bindingDeltas[*].role'), "
            "json_extract_string(proto_payload, '$.serviceData.policyDelta.bindingDeltas[*].member'), "
            f"json_extract_string(proto_payload, '$.request.policy'), {_WITH_A_DEPLOY} "
            "FROM entries c WHERE entry_id = $id AND severity_num < 500",
            {"id": event_id, "deploys": load_knowledge().deploy_methods, "apart": DEPLOY_STEP_S}).fetchone()
        if row is None:
            continue
        actions = list(row[3] or [])
        if row[7] and _grants(actions, row[6]):
            continue  # the deploy's own step (`DEPLOY_STEP_S`)
        removed = tuple((str(role), str(member)) for action, role, member
                        in zip(actions, row[4] or [], row[5] or [], strict=False)
                        if action == "REMOVE" and role and member)
        return _change(nodes[node_id], at, row[0], row[1], row[2], removed, context)
    return None


def _grants(actions: Sequence[str], policy: str | None) -> bool:
    """Whether an IAM change only grants: the policy it sets lets allUsers in, or the bindings it
    changed were all added (`DEPLOY_STEP_S`)."""
    return '"allUsers"' in (policy or "") or (bool(actions) and "REMOVE" not in actions)


# A change `gcloud run deploy` makes as a step of a deploy (`--allow-unauthenticated` sets the
# service's IAM policy right after it replaces the service) is that deploy, which the report names
# as the trigger when it began the failures; read as an IAM change of its own, a first deploy whose
# container never listened on its port read as access taken away (held-out HQ09). Such a change is
# one on the resource a deploy changed (its last `<kind>/<name>`: the v1 API names a service
# `namespaces/<project>/services/<name>`, IAM `projects/<p>/locations/<r>/services/<name>`), by the
# same principal, within this many seconds of it, that grants: the policy it sets lets allUsers in,
# or the bindings it changed were all added. One that takes access away (`--no-allow-unauthenticated`
# on a public service) stays the change it is.
DEPLOY_STEP_S = 120
_WITH_A_DEPLOY = """EXISTS (
  SELECT 1 FROM entries d
  WHERE d.entry_id <> c.entry_id AND d.principal = c.principal AND regexp_matches(d.method_name, $deploys)
    AND regexp_extract(json_extract_string(d.proto_payload, '$.resourceName'), '[^/]+/[^/]+$')
        = regexp_extract(json_extract_string(c.proto_payload, '$.resourceName'), '[^/]+/[^/]+$')
    AND abs(epoch(d.ts) - epoch(c.ts)) <= $apart)"""


def _change(
    node: chain.Node, at: datetime, method: str | None, resource: str | None, by: str | None,
    removed: tuple[tuple[str, str], ...], context: Mapping[str, str],
) -> Change:
    """The change ``node``'s audit entry at ``at`` made, stated with the pattern's why and the
    IAM bindings it removed."""
    when = rfc3339(at)
    statement = fill(node.pattern.why, node.finding.fields, {**context, "first_seen": when or ""})
    what = " of ".join(v for v in (method, resource) if v)
    done = ", ".join(v for v in (what, f"by {by}" if by else None) if v)
    statement = f"{statement} ({done})" if done else statement
    if removed:
        statement += "; it removed " + ", ".join(f"{role} from {member}" for role, member in removed)
    return Change(node.id, when, method, resource, by, statement, removed)


def restore_access(change: Change, knowledge: Knowledge, context: Mapping[str, str]) -> Remediation | None:
    """The first step after an IAM change began the failures: grant again what it removed from
    the identity the service runs as (else from a service account: a service runs as one, a
    person's binding is not what its calls need), on the policy it changed;
    where it removed nothing the library can name, show that policy. None for a resource whose
    policy the library does not know (`iam_policies`)."""
    if change.resource is None:
        return None
    account = context.get("service_account")
    removed = sorted(change.removed, key=lambda b: (not (account and b[1] == f"serviceAccount:{account}"),
                                                    not b[1].startswith("serviceAccount:")))
    role, member = removed[0] if removed else (None, None)
    commands = knowledge.iam_commands(change.resource, member, role)
    if commands is None:
        return None
    show, grant = commands
    if grant:
        return Remediation(f"Grant {role} to {member} on {change.resource} again: the change at {change.at} "
                           "removed it", grant, change.pattern_id)
    return Remediation(f"Show the IAM policy of {change.resource}, which changed at {change.at}", show,
                       change.pattern_id)


def _is_change(node: chain.Node, category: Category | None = None) -> bool:
    """A change pattern (an audit entry of the `deploy` layer read as context) of ``category``
    (None: of any category a change can stand for)."""
    p = node.pattern
    wanted = p.category not in _NOT_CHANGES if category is None else p.category is category
    return is_change_pattern(p) and wanted


def instead_of_reading(
    links: Sequence[Link], root: RootCause, change: Change, nodes: Mapping[str, chain.Node]
) -> tuple[list[Link], RootCause]:
    """The chain with the change as its last why in place of the symptom's usual reading, and the
    root cause restating it, in the change's category (the reading's confidence: a change just
    before is evidence, but no entry shows the failure it made)."""
    category = nodes[change.pattern_id].finding.category
    read = RootCause(category, root.pattern_id, root.summary, root.confidence)
    return extend(links[:-1], read, change, nodes)


def extend(
    links: Sequence[Link], root: RootCause, change: Change, nodes: Mapping[str, chain.Node]
) -> tuple[list[Link], RootCause]:
    """The chain with the change as its last why, and the root cause restating it (its category
    and confidence stay the cause's: the change is why the cause began, not a new failure)."""
    node = nodes[change.pattern_id]
    at_change = tuple(s for s in node.finding.samples if s.timestamp == change.at)
    evidence = at_change[:1] or node.finding.samples[:1]
    link = Link(
        len(links) + 1,
        change.statement,
        change.pattern_id,
        root.category,
        root.confidence,
        evidence,
        node.finding.title,
        (f"change: {change.pattern_id} at {change.at}, the last of its kind before {root.pattern_id} began",),
    )
    return [*links, link], RootCause(root.category, change.pattern_id, change.statement, root.confidence)
