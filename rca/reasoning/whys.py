"""The words of the analysis: the chain of whys, the root cause, the losing hypotheses, remediation.

rca/reasoning/chain.py decides which findings explain which; this module turns that decision into the
statements a report prints, with the evidence, support and confidence of each why. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime
from typing import Any

from rca.library.knowledge import Knowledge
from rca.library.templating import fill
from rca.model import (
    Category,
    Finding,
    Hypothesis,
    Layer,
    Link,
    Remediation,
    Role,
    RootCause,
    Sample,
    Severity,
    Status,
)
from rca.reasoning import chain, hypotheses
from rca.reasoning.deploys import DeployInfo, new_revision_suspect


def conclude(
    nodes: Mapping[str, chain.Node], context: Mapping[str, str], phrases: Mapping[str, str],
    knowledge: Knowledge | None = None, began_with_deploy: AbstractSet[str] = frozenset(),
) -> tuple[list[Link], RootCause, list[Hypothesis], list[str]]:
    """Choose the chain; state each link; derive root cause and the hypotheses that lost.

    ``began_with_deploy``: the findings that began just after the deploy of the revision they began
    on (`chain.fired_rules`)."""
    ordered = [nodes[k] for k in sorted(nodes)]
    edges = chain.build_edges(ordered, knowledge)
    symptom = chain.main_symptom(ordered)
    if symptom is not None and (stronger := _stronger_cause(ordered, symptom, edges)) is not None:
        symptom = stronger
    if symptom is not None:
        symptom = _explained_twin(ordered, symptom, nodes, edges, knowledge or Knowledge())
    if symptom is None:
        # No symptom to explain (a GKE app whose failed requests are its own access-log lines, a
        # paste): the most frequent cause that began or grew in the window stands for the failure;
        # between causes as frequent, one that names its failure before a catch-all (31 memory
        # kills beside the 31 exceptions each dying consumer printed: blind set 9D09).
        causes = [n for n in ordered if n.pattern.role is Role.CAUSE
                  and n.finding.status in (Status.ACTIVE, Status.ELEVATED)]
        if not causes:
            return [], hypotheses.unexplained(None), _hypotheses(ordered, [], edges, None, phrases, {}), []
        symptom = sorted(causes, key=lambda n: (-n.finding.count, n.pattern.generic, n.id))[0]
    paths = chain.best_paths(symptom, nodes, edges)
    best = chain.past_reading(paths, nodes)
    runner_up = next((p for p in paths if p is not best and p.ids[-1] != best.ids[-1]), None)
    margin = best.score - runner_up.score if runner_up else 1.0
    links = [_link(1, nodes[best.ids[0]], None, context, ordered)]
    for i, ed in enumerate(best.edges, start=2):
        links.append(_link(i, nodes[ed.cause], ed, context, ordered))
    terminal = nodes[best.ids[-1]]
    present = list(ordered)
    fired = chain.fired_rules(terminal, present, terminal.id in began_with_deploy)
    path_scores = {p.ids[-1]: p.score for p in reversed(paths)}
    explains = terminal.pattern.role is Role.CAUSE and not terminal.pattern.generic
    if not explains:
        # A symptom can still be explained by a rule over other findings (the probe checks one
        # port while the server listens on another): the rule names the cause.
        fired = [(rule, support) for rule, support in fired if rule.category is not None]
    inferred = None if explains or fired else _likely(best.ids, nodes, symptom, knowledge or Knowledge())
    if inferred is not None:
        link = _inferred_link(len(links) + 1, inferred)
        links.append(link)
        root = RootCause(link.category, inferred.id, link.statement, link.confidence)
    elif not explains and not fired:
        links.append(_gap_link(len(links) + 1, terminal, context))
        root = hypotheses.unexplained(terminal)
    else:
        category = chain.root_category(terminal, fired)
        conf = chain.confidence(best, terminal, fired, margin)
        # (a later rule that would read another category held too, but the first decided: its
        # statement contradicts the chain's, so it is a losing reading, not a why)
        agreeing = [(rule, support) for rule, support in fired if rule.category in (None, category)]
        rule_links = [
            _rule_link(len(links) + 1 + i, terminal, rule.statement, category, conf, support, context)
            for i, (rule, support) in enumerate(agreeing)
        ]
        links.extend(rule_links)
        if not fired:
            links[-1] = _with(links[-1], confidence=conf)
        # The summary is the statement of the rule that named the category (`chain.root_category`:
        # the first), not merely the last one printed.
        summary = next((link.statement for link, (rule, _) in zip(rule_links, agreeing, strict=True)
                        if rule.category is not None), links[-1].statement)
        root = RootCause(category, terminal.id, summary, conf)
        links[-1] = _with(links[-1], category=category, confidence=conf)
    # Findings a fired rule stands on are the chosen explanation's evidence, not losing causes.
    supporting = {n.id for _, support in fired for n in support}
    hyps = _hypotheses([n for n in ordered if n.id not in supporting], list(best.ids), edges, symptom,
                       phrases, path_scores)
    hyps = _rule_alternatives(terminal, fired, root) + hyps
    # The findings a category-naming rule stood on are part of the explanation: their steps (the
    # database's own operations, for a connection the database's restart closed) are offered too.
    named = [n.id for rule, support in fired if rule.category is root.category for n in support]
    return links, root, hyps, [*best.ids, *sorted(dict.fromkeys(i for i in named if i not in best.ids))]


def _explained_twin(
    ordered: Sequence[chain.Node], symptom: chain.Node, nodes: Mapping[str, chain.Node],
    edges: Mapping[tuple[str, str], chain.Edge], knowledge: Knowledge,
) -> chain.Node:
    """The reading of the failed requests the logs explain: where two symptoms tie as the one to
    explain (both user-facing, of one layer, as frequent: the same requests read by two patterns,
    a pasted console line `GET 504 ... 60 s` read as App Engine's and as a gateway's timeout), the
    first whose chain reaches a cause or a documented meaning; ``symptom`` when it does itself or
    none does (held-out PO09: the App Engine reading, first by name, explained nothing)."""
    twins = [n for n in chain.symptoms(ordered)
             if n is not symptom and chain.standing(n) == chain.standing(symptom)]
    return next((n for n in [symptom, *twins] if _reaches_an_account(n, nodes, edges, knowledge)), symptom)


def _reaches_an_account(symptom: chain.Node, nodes: Mapping[str, chain.Node],
                        edges: Mapping[tuple[str, str], chain.Edge], knowledge: Knowledge) -> bool:
    """Whether the best chain from ``symptom`` ends at a specific cause, or at a symptom whose
    documented meaning can be read (`_likely`)."""
    best = chain.past_reading(chain.best_paths(symptom, nodes, edges), nodes)
    terminal = nodes[best.ids[-1]]
    if terminal.pattern.role is Role.CAUSE and not terminal.pattern.generic:
        return True
    return _likely(best.ids, nodes, symptom, knowledge) is not None


# How many times as often a failure the symptom does not lead to must be logged to stand for the
# window in place of a symptom logged as an error (`_stronger_cause`).
OUTNUMBERED = 10


def _stronger_cause(
    ordered: Sequence[chain.Node], symptom: chain.Node, edges: Mapping[tuple[str, str], chain.Edge]
) -> chain.Node | None:
    """A failure that stands for the window in place of a symptom only warned of, which users did
    not see: the most frequent specific cause that began or grew in the window, logged more often
    than the symptom and not linked to it (PHP-FPM warned twice that its workers were all busy,
    beside fourteen requests killed for memory: blind set BP07). So does one logged `OUTNUMBERED`
    times as often as a symptom logged as an error: nginx's one read timeout eleven minutes before
    93 uploads failed on a full disk (held-out RN08) is no account of them. None when the symptom
    reached users or no such cause exists."""
    if chain.user_facing(symptom):
        return None
    error = symptom.pattern.severity in (Severity.ERROR, Severity.CRITICAL)
    more = symptom.finding.count * (OUTNUMBERED if error else 1)
    rivals = [n for n in ordered
              if n.pattern.role is Role.CAUSE and not n.pattern.generic
              and n.finding.status in (Status.ACTIVE, Status.ELEVATED)
              and n.finding.count > more
              and not ((edge := edges.get((n.id, symptom.id))) is not None and edge.score > 0)]
    return min(rivals, key=lambda n: (-n.finding.count, n.id), default=None)


def deploy_fallback(
    symptom: chain.Node, deploys: DeployInfo, links: list[Link], root: RootCause,
    new_revisions: Mapping[str, datetime], began: Mapping[str, datetime] | None = None,
) -> tuple[list[Link], RootCause]:
    """When nothing explains the symptom but it began with a new revision, say so (deployment-change).
    ``new_revisions``: when each revision new in the window began (`analysis._new_revisions`);
    ``began``: when the symptom first came on each revision (default: its occurrences' own)."""
    failing: dict[str, int] = {}
    for o in symptom.occurrences:
        if o.revision:
            failing[o.revision] = failing.get(o.revision, 0) + 1
    first = began if began is not None else symptom.first_by("revision")
    return blame_revision(failing, first, symptom.finding.samples[:1], deploys, links, root, new_revisions)


def blame_revision(
    failing: Mapping[str, int], first: Mapping[str, datetime], evidence: tuple[Sample, ...],
    deploys: DeployInfo, links: list[Link], root: RootCause, new_revisions: Mapping[str, datetime],
    what: str = "failures",
) -> tuple[list[Link], RootCause]:
    """The chain and root cause with the deploy blamed (`deploys.new_revision_suspect`), or as they
    were when the failures did not begin with a new revision. ``failing``: failures per revision;
    ``first``: when they began on each; ``evidence``: what the blaming link cites; ``what``: what
    they are, in the sentence ("slow answers")."""
    sentence = new_revision_suspect(deploys, failing, new_revisions, first, what)
    if sentence is None:
        return links, root
    link = Link(
        len(links) + 1,
        sentence,
        None,
        Category.DEPLOYMENT_CHANGE,
        0.5,
        evidence,
        "",
        ("deploy correlation: failures only on revisions new in the window",),
    )
    return [*links, link], RootCause(Category.DEPLOYMENT_CHANGE, None, sentence, 0.5)


def symptoms_in_root_category(
    links: Sequence[Link], root: RootCause, nodes: Mapping[str, chain.Node]
) -> list[Link]:
    """The chain with each symptom's link (users got 5xx, the probe failed) in the root cause's
    category: a 5xx is the root cause's doing, and a symptom pattern's own category (a bare 5xx
    reads as the service's own code) would put a verdict on the why before the cause is named.
    With no cause named, the symptoms keep their own."""
    if root.category is Category.UNKNOWN:
        return list(links)
    out = []
    for link in links[:-1]:
        node = nodes.get(link.pattern_id or "")
        symptom = node is not None and node.pattern.role is Role.SYMPTOM
        out.append(_with(link, category=root.category) if symptom else link)
    return [*out, *links[-1:]]


def _with(link: Link, **changes: Any) -> Link:
    return replace(link, **changes)


# Context values that name the service's own settings, as its newest deploy set them: a field of
# that name its pattern extracts but its lines lacked is the service's own (a permission error
# that names no principal was raised for the identity the service runs as).
OWN_SETTINGS = frozenset({"service_account"})


def _finding_context(
    node: chain.Node, context: Mapping[str, str], others: Iterable[chain.Node] = ()
) -> dict[str, str]:
    """Context for one finding's templates: its own latest revision and instance win, and a field
    its pattern extracts but its lines lacked comes only from a finding of the same category (the
    database host a context line names, for a database timeout that does not print it), or from the
    service's settings where they name the same thing (`OWN_SETTINGS`: the identity it runs as),
    never from another setting or another failure's fields (a Redis error without a port must not
    borrow the port the service listens on)."""
    f = node.finding
    extracted = node.pattern.extract
    ctx = {k: v for k, v in context.items() if k not in extracted or k in OWN_SETTINGS}
    same = sorted((n for n in others if n.id != node.id and n.finding.category is f.category),
                  key=lambda n: (n.finding.role is not Role.CONTEXT, -n.finding.count, n.id))
    for other in same:
        for name, values in other.finding.fields.items():
            if name in extracted and values:
                ctx.setdefault(name, values[0])
    ctx |= {
        "count": str(f.count),
        "first_seen": f.first_seen or "",
        "last_seen": f.last_seen or "",
    }
    if f.samples:
        last = f.samples[-1]
        if last.revision:
            ctx["revision"] = last.revision
        if last.instance_id:
            ctx["instance"] = last.instance_id
    return ctx


def _link(
    why: int, node: chain.Node, ed: chain.Edge | None, context: Mapping[str, str],
    others: Iterable[chain.Node],
) -> Link:
    f = node.finding
    statement = fill(node.pattern.why, f.fields, _finding_context(node, context, others))
    return Link(
        why=why,
        statement=statement,
        pattern_id=f.pattern_id,
        category=f.category,
        confidence=ed.score if ed else 0.95,
        evidence=f.samples,
        technical=_technical(f),
        support=ed.support if ed else (f"observed {f.count} time(s)",),
    )


def _technical(f: Finding) -> str:
    """`title; field=value in n of m` — the consistency of extracted values."""
    parts = [f.title]
    for name, counts in sorted(f.field_counts.items()):
        top, n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        total = sum(counts.values())
        parts.append(f"{name}={top} in {n} of {total}")
    return "; ".join(parts)


def _likely(
    ids: Sequence[str], nodes: Mapping[str, chain.Node], symptom: chain.Node, knowledge: Knowledge
) -> chain.Node | None:
    """The symptom whose documented meaning answers best: the application's own account (it began
    start-up and never finished) on the symptom's revisions beats the platform's generic one, then
    the deepest on the chain. An account that had ended long before the symptom began is no account
    of it (`chain.ended_before`: PHP-FPM busy for a minute, twenty quiet minutes before a load
    balancer could no longer connect, held-out EB08)."""
    revisions = {o.revision for o in symptom.occurrences if o.revision}
    readable = [n for n in nodes.values() if _reading_stands(n, nodes)]
    own = [
        n for n in readable
        if n.pattern.layer in (Layer.APPLICATION, Layer.RUNTIME)
        and n.finding.status is not Status.PRE_EXISTING
        and (not revisions or revisions & set(n.finding.revisions))
        and (n is symptom or chain.ended_before(n, symptom, knowledge) is None)
    ]
    if own:
        return sorted(own, key=lambda n: (-n.finding.count, n.id))[0]
    # (only the deepest: a symptom the chain explains by a deeper one, a probe refused because the
    # process died of a segmentation fault, has a deeper account than its usual meaning, even when
    # that one says no more than what happened; held-out FB05)
    deepest = nodes[ids[-1]]
    return deepest if deepest in readable else None


def _reading_stands(node: chain.Node, nodes: Mapping[str, chain.Node]) -> bool:
    """The symptom has a documented meaning and no finding on the same revisions refutes it (the old
    revision listening on the port says nothing about the new one), nor do its own fields (a
    readiness probe the server answered 503: it runs, so its start is not what is slow)."""
    likely = node.pattern.likely_cause
    if likely is None or chain.field_says(likely.unless_field, node):
        return False
    mine = set(node.finding.revisions)
    others = (n for n in nodes.values()
              if n.id != node.id and (not mine or not n.finding.revisions or mine & set(n.finding.revisions)))
    return not any(chain.satisfies(likely.unless_any, other) for other in others)


def _inferred_link(why: int, node: chain.Node) -> Link:
    """The last why when only the symptom is in the logs: its documented usual meaning, said as such."""
    likely = node.pattern.likely_cause
    assert likely is not None
    statement = f"No log entry shows the cause itself; inferred from the symptom: {likely.because}"
    return Link(why, statement, node.id, likely.category, likely.confidence, node.finding.samples[:1], "",
                (_inferred_support(node.id),))


def _inferred_support(node_id: str) -> str:
    """The support an inferred link names: the symptom whose usual meaning it is."""
    return f"inferred from {node_id}: what this symptom usually means"


def slowness_only(links: Sequence[Link], nodes: Mapping[str, chain.Node]) -> bool:
    """Whether the chain ends on a symptom's usual meaning that says only that requests were slow
    (`likely_cause.yields_to_new_revision`: a 504 past the request timeout, slow code or a slow
    dependency): such a reading yields to a new revision whose answers were slower."""
    last = links[-1] if links else None
    node = nodes.get(last.pattern_id or "") if last is not None else None
    if last is None or node is None or last.support != (_inferred_support(node.id),):
        return False
    likely = node.pattern.likely_cause
    return likely is not None and likely.yields_to_new_revision


def _gap_link(why: int, node: chain.Node, context: Mapping[str, str]) -> Link:
    """The honest last link: where the evidence stops, say so and say what to check (the checks
    filled from the finding's fields and the analysis context, as its why is)."""
    checks = "; ".join(fill(check, node.finding.fields, context) for check in node.pattern.next_checks[:2]) \
        or "the entries just before it on the same instance"
    what = node.finding.title_in_sentence
    if node.pattern.generic:
        statement = f"No known failure mode explains it: {what}. Check: {checks}"
    else:
        statement = f"No log entry explains why: {what}. Check: {checks}"
    return Link(why, statement, None, Category.UNKNOWN, 0.15, (), "", ("the evidence stops here",))


def _rule_link(
    why: int,
    terminal: chain.Node,
    statement: str,
    category: Category,
    conf: float,
    support: Sequence[chain.Node],
    context: Mapping[str, str],
) -> Link:
    evidence = terminal.finding.samples[:1] + tuple(s for n in support for s in n.finding.samples[:1])
    return Link(
        why,
        fill(statement, terminal.finding.fields, _with_other(context, support, terminal)),
        terminal.id,
        category,
        conf,
        evidence,
        "; ".join(n.finding.title for n in support),
        tuple(f"rule: {n.id} present" for n in support) or ("rule: on its own fields",),
    )


def _with_other(
    context: Mapping[str, str], support: Sequence[chain.Node], terminal: chain.Node
) -> dict[str, str]:
    """Context for a rule's statement: the first supporting finding's fields as ``other_<name>``
    (the port the server listens on, beside the one the probe checks), each the first of its
    values the terminal finding does not have (the one that differs), else its most common. A
    field the terminal's pattern extracts comes from its own lines only (`_finding_context`): a
    Redis timeout that names no host must not borrow the port the service listens on."""
    out = _finding_context(terminal, context)
    if support:
        for k, values in support[0].finding.fields.items():
            own = set(terminal.finding.fields.get(k, ()))
            if values:
                out[f"other_{k}"] = next((v for v in values if v not in own), values[0])
    return out


def _rule_alternatives(
    terminal: chain.Node, fired: Sequence[tuple[Any, Any]], root: RootCause
) -> list[Hypothesis]:
    """Categories the terminal pattern's rules could have concluded but did not: their conditions
    failed, or they held too but an earlier rule, which the library puts first, decided."""
    out = []
    fired_rules = {id(r) for r, _ in fired}
    for rule in terminal.pattern.rules:
        if rule.category is None or rule.category == root.category:
            continue
        if id(rule) in fired_rules:
            why_not = (f"its evidence is present too, but an earlier rule of {terminal.id}, which the "
                       f"library reads first, concluded {root.category.value}")
        elif chain.field_says(rule.unless_field, terminal):
            fields = " or ".join(name for name, _ in rule.unless_field)
            why_not = f"its {fields} says otherwise ({_most_common(terminal, rule.unless_field)})"
        elif rule.when_any:
            why_not = f"no supporting evidence: none of {', '.join(rule.when_any)} appears in the logs"
        else:
            why_not = f"its {' or '.join(name for name, _ in rule.when_field)} does not say so"
        statement = fill(rule.statement, terminal.finding.fields, {})
        out.append(Hypothesis(rule.category, terminal.id, statement, 0.1, why_not))
    return out


def _most_common(node: chain.Node, conditions: Sequence[tuple[str, str]]) -> str:
    """The named fields' most common values, as "name=value"."""
    return ", ".join(f"{name}={values[0]}" for name, _ in conditions
                     if (values := node.finding.fields.get(name)))


def _hypotheses(
    ordered: Sequence[chain.Node],
    chain_ids: list[str],
    edges: Mapping[tuple[str, str], chain.Edge],
    symptom: chain.Node | None,
    phrases: Mapping[str, str],
    path_scores: Mapping[str, float],
) -> list[Hypothesis]:
    downstream = hypotheses.explained(chain_ids, edges)
    out = []
    for n in ordered:
        if n.id in chain_ids or n.pattern.role is Role.CONTEXT:
            continue
        if n.pattern.role is Role.SYMPTOM and n.id not in downstream:
            continue  # a side symptom nothing explains is not a competing cause (see finding relations)
        why_not = hypotheses.losing_reason(n, chain_ids, edges, symptom, phrases.get(n.id, ""))
        score = min(0.5, path_scores.get(n.id, 0.0) / 3) if n.finding.status is Status.ACTIVE else 0.05
        out.append(hypotheses.hypothesis(n, why_not, score))
    return sorted(out, key=lambda h: (-h.confidence, h.pattern_id or ""))


def remediation(
    chain_nodes: Sequence[chain.Node], context: Mapping[str, str], root: Category | None = None,
    others: Sequence[chain.Node] = (), knowledge: Knowledge | None = None,
) -> list[Remediation]:
    """The chain's remediation steps, root cause first: each command once, only the steps meant
    for the concluded category (an IAM check does not fix a network cause), each with how to verify
    it (the pattern's own check, else that the finding stops appearing). ``others`` are all the
    findings' nodes, which may fill a field a chain finding's lines lacked (`_finding_context`);
    ``knowledge`` gives the memory a stated limit is raised to (`raised_memory`)."""
    out: list[Remediation] = []
    seen: set[str] = set()
    # A change's steps are checked by the failure it set off going away, not by the change
    # (an audit entry) no longer being logged.
    failure = next((n for n in chain_nodes if n.pattern.role is not Role.CONTEXT), None)
    for node in chain_nodes:
        ctx = _finding_context(node, context, others)
        ctx |= _raised_memory(node.finding.fields.get(MEMORY_LIMIT) or [ctx.get(MEMORY_LIMIT, "")], knowledge)
        for step in node.pattern.remediation:
            if step.when_category and root is not None and root not in step.when_category:
                continue
            action = fill(step.action, node.finding.fields, ctx)
            command = fill(step.command, node.finding.fields, ctx) if step.command else None
            key = command or action
            if key in seen:
                continue
            seen.add(key)
            stopping = failure if node.pattern.role is Role.CONTEXT and failure is not None else node
            verify = fill(step.verify, node.finding.fields, ctx) if step.verify else stops(stopping, ctx)
            out.append(Remediation(action, command, node.id, verify))
    return out


MEMORY_LIMIT = "limit_mib"  # the field of a finding that states the memory limit it exceeded, in MiB


def _raised_memory(limits: Sequence[str], knowledge: Knowledge | None) -> dict[str, str]:
    """``{raised_memory}``: the size `Knowledge.raised_memory` raises the largest stated limit to,
    when a limit was stated and some size is large enough; else nothing, and the command shows
    `<raised_memory>` for the reader to fill rather than a fixed size that may lower the limit."""
    stated = [float(x) for x in limits if str(x).isdigit()]
    raised = knowledge.raised_memory(max(stated)) if knowledge is not None and stated else None
    return {"raised_memory": raised} if raised else {}


def rollback(step: tuple[str, str], cause: chain.Node | None, context: Mapping[str, str]) -> Remediation:
    """The surface's rollback ``step`` (action, command) filled in, checked by the root cause's
    finding going away: the first remediation when a deploy began failures that still run."""
    action, command = (fill(part, {}, context) for part in step)
    verify = stops(cause, context) if cause is not None else None
    return Remediation(action, command, None, verify)


def stops(node: chain.Node, ctx: Mapping[str, str]) -> str:
    """The default check: after the change, the next window no longer shows this finding."""
    service = ctx.get("service") or "SERVICE"
    return (f"after the change, `rca analyze --service {service} --since 15m` no longer reports "
            f"{node.id} ({node.finding.title_in_sentence})")
