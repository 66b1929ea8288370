"""Library-wide knowledge (patterns/_knowledge.yaml): what explains each kind of symptom, which
stack frames are a service's own code in each runtime, which commands fit where a service runs, and
where an IAM policy a change named lives.

It is data for the same reason patterns are: what usually causes a 5xx, or whether a frame under
`node_modules/` is the app's, is knowledge an SRE would review and extend, not code.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rca.errors import PatternError
from rca.library.re2check import compile_re2, dialect_problem
from rca.resources import data_dir

FILE_NAME = "_knowledge.yaml"
# libyaml's loader (when PyYAML was built with it) parses about 7x faster than the pure-Python one
# and gives the same documents; the library's files are read with it too (rca/library/loader.py).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SECTIONS = ("kinds", "runtimes", "surfaces", "iam_policies", "error_shaped", "zero_counts", "persistent",
            "retried", "blips", "memory", "checkers", "one_line_cause_order", "launchers", "host_programs",
            "work_outcomes", "run_outcomes")
# A memory size as `gcloud run ... --memory` takes it: a whole number of MiB or GiB.
_MEMORY_SIZE = re.compile(r"(\d+)(Mi|Gi)")
FRAME_ORDERS = ("first", "last")  # values of raised_at and cause_order
ERRORS = "severity>=ERROR"  # a surface's `errors` where it gives none: the entry's severity says
REF_PREFIXES = ("category:", "kind:")


@dataclass(frozen=True)
class RuntimeFrames:
    """How one runtime prints stacks: where the raising frame is, and which frames are not the app's."""

    raised_at: str  # "first" | "last"
    cause_order: str  # where a wrapped (inner) error is printed: "first" | "last"
    library_frames: tuple[str, ...]
    # exception types raised *because* something else failed (a breaker refusing calls after the
    # calls it guards failed, a worker exiting when its master aborts it): never a bug of their own
    consequences: tuple[str, ...] = ()

    def is_library(self, frame: str) -> bool:
        """Whether a rendered frame (`file:line in function`) belongs to the runtime or a dependency."""
        return any(compile_re2(expr).search(frame) for expr in self.library_frames)

    def own_frame(self, frames: Sequence[str]) -> str | None:
        """The service's own frame nearest to where the exception was raised, if the stack has one."""
        ordered = list(frames) if self.raised_at == "first" else list(reversed(frames))
        return next((f for f in ordered if not self.is_library(f)), None)

    def is_consequence(self, exc_types: Sequence[str]) -> bool:
        """Whether any exception of a stack (the raised one or one it wraps) only reports a failure
        elsewhere, so the stack is no evidence of a bug in the service's own code."""
        return any(t in self.consequences for t in exc_types)


@dataclass(frozen=True)
class Surface:
    """Where a workload runs, told by its entries' resource type: the command families that fit
    there, its log filter and how to check a fix (templates over the report's context)."""

    resource_types: tuple[str, ...]
    commands: tuple[str, ...]  # RE2 prefixes of the commands that act on this kind of workload
    logs: str  # a Cloud Logging filter selecting the workload's entries
    verify: tuple[tuple[str, str], ...]  # (action, command) after the fix, besides re-running rca
    deploys: tuple[str, ...] = ()  # RE2 over audit methodNames that roll out a new version
    refused: tuple[str, ...] = ()  # RE2 over the platform's own answers that fail a request
    # (action, command) that puts the workload back on the version before a deploy that began
    # the failures, while what the deploy changed is fixed
    rollback: tuple[str, str] | None = None
    # a Cloud Logging condition selecting the workload's error entries, ANDed to `logs` (one term,
    # or parenthesised), where `severity` alone does not (GKE logs every stdout line at INFO)
    errors: str = ERRORS

    def runs(self, command: str) -> bool:
        """Whether ``command`` belongs to this surface's command families."""
        return any(compile_re2(expr).search(command) for expr in self.commands)


@dataclass(frozen=True)
class IamPolicy:
    """Where an IAM policy lives, told by the resourceName of the audit entry that changed it: an
    RE2 with named groups, the command that shows the policy and the one that grants a binding
    again (templates over the groups, ``{member}`` and ``{role}``)."""

    resource: str
    show: str
    grant: str

    def commands(self, resource: str, member: str | None, role: str | None) -> tuple[str, str] | None:
        """(show, grant) for ``resource`` (grant empty without a binding), values shell-quoted;
        None when the resource is not of this kind."""
        found = compile_re2(self.resource).search(resource)
        if found is None:
            return None
        values = {k: shlex.quote(v) for k, v in found.groupdict().items() if v is not None}
        show = self.show.format(**values)
        if member is None or role is None:
            return show, ""
        return show, self.grant.format(**values, member=shlex.quote(member), role=shlex.quote(role))


@dataclass(frozen=True)
class Knowledge:
    """Symptom kinds (kind -> refs that can explain it), per-runtime frame rules and surfaces."""

    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    runtimes: Mapping[str, RuntimeFrames] = field(default_factory=dict)
    surfaces: Mapping[str, Surface] = field(default_factory=dict)
    iam_policies: Mapping[str, IamPolicy] = field(default_factory=dict)
    error_words: tuple[str, ...] = ()  # `error_shaped`: RE2, each a whole word, case-insensitive
    # `persistent`: the categories of causes that fail every attempt until something is changed
    persistent: frozenset[str] = frozenset()
    # `retried`: the categories of causes a client rides through by itself (reconnects, retries,
    # waits), which the service absorbed when every request around them succeeded
    retried: frozenset[str] = frozenset()
    # `one_line_cause_order`: where a wrapped error is printed in a message no runtime's traceback
    # grammar read ("first" | "last"; None: such a message says nothing of which error wraps which)
    one_line_cause_order: str | None = None
    # `memory`: the sizes a remediation may raise a stated memory limit to, smallest first, and
    # how many times the limit the size offered must be at least
    memory_sizes: tuple[str, ...] = ()
    memory_headroom: float = 1.0
    # `checkers`: RE2 over the user agents and over the paths of the requests monitors and probes make
    checker_agents: tuple[str, ...] = ()
    checker_paths: tuple[str, ...] = ()
    # `launchers`: the programs that run an application rather than being one (`java`, `python3`,
    # `node`): a syslog line's program of that name names no service
    launchers: frozenset[str] = frozenset()
    # `work_outcomes`: RE2 over the lines a job framework logs for each job it completed (`done`)
    # and for each job that failed (`failed`)
    work_done_lines: tuple[str, ...] = ()
    work_failed_lines: tuple[str, ...] = ()
    # `run_outcomes`: RE2 over the lines a batch framework logs once when a whole run (an
    # application, a task instance, a Job) ended done (`done`) or failed for good (`failed`)
    run_done_lines: tuple[str, ...] = ()
    run_failed_lines: tuple[str, ...] = ()
    zero_words: tuple[str, ...] = ()  # `zero_counts`: RE2 of counters of none, each a whole word
    # `host_programs`: the programs that are the host's own (`systemd`, `kernel`, `CRON`): a syslog
    # line of one names no service, unless it names a unit it is about
    host_programs: frozenset[str] = frozenset()
    # `blips`: the `persistent` categories whose failure in one moment only, never repeated, passed
    blips: frozenset[str] = frozenset()

    def raised_memory(self, limit_mib: float) -> str | None:
        """The memory size to raise a limit of ``limit_mib`` MiB to (`memory`): the smallest at
        least `memory_headroom` times it, None when no size is that large. A fixed size in a
        command lowered the limit of a service that already had more."""
        wanted = limit_mib * self.memory_headroom
        return next((size for size in self.memory_sizes if _mib(size) >= wanted), None)

    @property
    def error_shaped(self) -> str:
        """One RE2 regex of error-shaped text (`error_shaped`): any of the words, whole,
        case-insensitively; it matches nothing when the library names none."""
        if not self.error_words:
            return "$^"
        return r"(?i)\b(?:" + "|".join(self.error_words) + r")\b"

    @property
    def zero_count(self) -> str:
        """One RE2 regex of a counter that reports none (`zero_counts`: `forward_errors=0`), removed
        from a line before it is read for `error_shaped`: a stats line names what it counts, and a
        count of no failures is not one. It matches nothing when the library names none."""
        if not self.zero_words:
            return "$^"
        return r"(?i)\b(?:" + "|".join(self.zero_words) + r")"

    def worded_as_failure(self, text: str) -> bool:
        """Whether ``text`` is error-shaped (`error_shaped`) once its counters of none are removed
        (`zero_count`); the SQL of `rca.mining.signals` reads events the same way."""
        counted = compile_re2(self.zero_count).sub(" ", text)
        return compile_re2(self.error_shaped).search(counted) is not None

    @property
    def deploy_methods(self) -> str:
        """One RE2 alternation of every surface's deploy methods (`surfaces.*.deploys`)."""
        return _alternation([expr for s in self.surfaces.values() for expr in s.deploys])

    @property
    def checker_agent(self) -> str:
        """One RE2 alternation of the user agents of monitors and probes (`checkers.agents`),
        searched in a request's user agent or an access-log line."""
        return _alternation(self.checker_agents)

    @property
    def checker_path(self) -> str:
        """One RE2 alternation of the paths monitors and probes call (`checkers.paths`), over a
        request's URL or an access line's path."""
        return _alternation(self.checker_paths)

    @property
    def work_done(self) -> str:
        """One RE2 alternation of the lines job frameworks log for a completed job (`work_outcomes.done`)."""
        return _alternation(self.work_done_lines)

    @property
    def work_failed(self) -> str:
        """One RE2 alternation of the lines job frameworks log for a failed job (`work_outcomes.failed`)."""
        return _alternation(self.work_failed_lines)

    @property
    def run_done(self) -> str:
        """One RE2 alternation of the lines batch frameworks log as a run ended done (`run_outcomes.done`)."""
        return _alternation(self.run_done_lines)

    @property
    def run_failed(self) -> str:
        """One RE2 alternation of the lines batch frameworks log as a run failed (`run_outcomes.failed`)."""
        return _alternation(self.run_failed_lines)

    @property
    def refused_requests(self) -> str:
        """One RE2 alternation of every surface's refusals (`surfaces.*.refused`): a request log
        whose text matches it is a failed request whatever its status (Cloud Run's 429 when no
        instance was available is users refused, not a client's mistake)."""
        return _alternation(sorted({expr for s in self.surfaces.values() for expr in s.refused}))

    def iam_commands(self, resource: str, member: str | None = None,
                     role: str | None = None) -> tuple[str, str] | None:
        """(show, grant) commands of the IAM policy of ``resource`` (`iam_policies`), if the
        library knows where such a policy lives."""
        return next((c for policy in self.iam_policies.values()
                     if (c := policy.commands(resource, member, role)) is not None), None)

    def surface_of(self, resource_type: str | None) -> Surface | None:
        """The surface whose workloads log with ``resource_type``, if the library knows it."""
        return next((s for s in self.surfaces.values() if resource_type in s.resource_types), None)

    def fits(self, command: str, resource_type: str | None) -> bool:
        """Whether a remediation command can run against this workload: one of another surface's
        families (a `gcloud run services` command for a GKE container, or for a paste whose
        workload is unknown) does not; a command of no family (gcloud sql, openssl) does."""
        own = self.surface_of(resource_type)
        if own is not None and own.runs(command):
            return True
        return not any(s.runs(command) for s in self.surfaces.values())


def _parse(doc: Mapping[str, Any], path: Path) -> Knowledge:
    """Validate the shape of the knowledge file, naming the field that is wrong."""
    try:
        kinds = {
            str(k): tuple(str(r) for r in v.get("caused_by", ())) for k, v in doc.get("kinds", {}).items()
        }
        runtimes = {
            str(name): RuntimeFrames(str(v["raised_at"]), str(v["cause_order"]),
                                     tuple(str(x) for x in v.get("library_frames", ())),
                                     tuple(str(x) for x in v.get("consequences", ())))
            for name, v in doc.get("runtimes", {}).items()
        }
        surfaces = {
            str(name): Surface(
                tuple(str(x) for x in v.get("resource_types", ())),
                tuple(str(x) for x in v.get("commands", ())),
                str(v.get("logs", "")),
                tuple((str(step["action"]), str(step["command"])) for step in v.get("verify", ())),
                tuple(str(x) for x in v.get("deploys", ())),
                tuple(str(x) for x in v.get("refused", ())),
                (str(v["rollback"]["action"]), str(v["rollback"]["command"])) if v.get("rollback") else None,
                str(v.get("errors") or ERRORS),
            )
            for name, v in doc.get("surfaces", {}).items()
        }
        iam_policies = {
            str(name): IamPolicy(str(v["resource"]), str(v["show"]), str(v["grant"]))
            for name, v in doc.get("iam_policies", {}).items()
        }
        error_words = tuple(str(x) for x in doc.get("error_shaped", ()))
        zero_words = tuple(str(x) for x in doc.get("zero_counts", ()))
        persistent = frozenset(str(x) for x in doc.get("persistent", ()))
        retried = frozenset(str(x) for x in doc.get("retried", ()))
        blips = frozenset(str(x) for x in doc.get("blips", ()))
        one_line = doc.get("one_line_cause_order")
        memory = doc.get("memory") or {}
        memory_sizes = tuple(str(x) for x in memory.get("sizes", ()))
        memory_headroom = float(memory.get("headroom", 1.0))
        checkers = doc.get("checkers") or {}
        checker_agents = tuple(str(x) for x in checkers.get("agents", ()))
        checker_paths = tuple(str(x) for x in checkers.get("paths", ()))
        launchers = frozenset(str(x) for x in doc.get("launchers", ()))
        host_programs = frozenset(str(x) for x in doc.get("host_programs", ()))
        outcomes = doc.get("work_outcomes") or {}
        work_done = tuple(str(x) for x in outcomes.get("done", ()))
        work_failed = tuple(str(x) for x in outcomes.get("failed", ()))
        runs = doc.get("run_outcomes") or {}
        run_done = tuple(str(x) for x in runs.get("done", ()))
        run_failed = tuple(str(x) for x in runs.get("failed", ()))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise PatternError(str(path), f"malformed knowledge file: {exc!r}") from exc
    for name, rt in runtimes.items():
        if {rt.raised_at, rt.cause_order} - {"first", "last"}:
            raise PatternError(str(path), "raised_at and cause_order take first or last", f"runtimes.{name}")
    if one_line is not None and one_line not in FRAME_ORDERS:
        raise PatternError(str(path), "one_line_cause_order takes first or last", "one_line_cause_order")
    bad = next((size for size in memory_sizes if not _MEMORY_SIZE.fullmatch(size)), None)
    if bad is not None:
        raise PatternError(str(path), f"a memory size is a whole number of Mi or Gi, got {bad!r}",
                           "memory.sizes")
    return Knowledge(kinds, runtimes, surfaces, iam_policies, error_words, persistent, retried, one_line,
                     memory_sizes, memory_headroom, checker_agents, checker_paths, launchers, work_done,
                     work_failed, zero_words=zero_words, host_programs=host_programs,
                     run_done_lines=run_done, run_failed_lines=run_failed, blips=blips)


def _alternation(exprs: Sequence[str]) -> str:
    """One RE2 alternation of ``exprs``; one that matches nothing when there are none."""
    return "|".join(f"(?:{expr})" for expr in exprs) or "$^"


def _mib(size: str) -> int:
    """A memory size (`_MEMORY_SIZE`) in MiB."""
    m = _MEMORY_SIZE.fullmatch(size)
    assert m is not None, size  # _parse checked every size
    return int(m.group(1)) * (1024 if m.group(2) == "Gi" else 1)


def load_knowledge(root: Path | None = None) -> Knowledge:
    """Read ``_knowledge.yaml`` from the built-in library (or ``root``); empty when absent."""
    return _load(str(root)) if root else _load(_builtin_root())


@functools.cache
def _builtin_root() -> str:
    """Where the built-in library is, found once: the text reader asks for the knowledge on every
    syslog line (its `launchers`), and locating the package's data costs more than the lookup."""
    return str(data_dir("patterns"))


@functools.lru_cache(maxsize=4)
def _load(root: str) -> Knowledge:
    path = Path(root) / FILE_NAME
    if not path.is_file():
        return Knowledge()
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.load(text, Loader=SafeLoader) or {}  # a safe loader: plain data only
    except yaml.YAMLError:
        doc = yaml.safe_load(text) or {}  # raises as before, with the pure loader's message
    if not isinstance(doc, dict):
        raise PatternError(str(path), "expected a mapping at the top level")
    return _parse(doc, path)


# ---------------------------------------------------------------- lint
#
# `rca patterns lint` checks this file as it checks patterns (rca/library/loader.py wraps each
# (field, message) below into a LintProblem naming the file): a misspelt category, kind or runtime
# would otherwise be a link or a frame rule that silently never applies.


def _mapping(doc: Mapping[str, Any], key: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The section ``key`` of the file (empty when absent), or the problem of it not being a mapping."""
    value = doc.get(key, {})
    if isinstance(value, dict):
        return value, []
    return {}, [(key, f"expected a mapping, got {type(value).__name__}")]


def _list(value: Any, where: str) -> tuple[list[Any], list[tuple[str, str]]]:
    """A list field's items, or the problem of it not being a list (absent: no items)."""
    if value is None or isinstance(value, list):
        return value or [], []
    return [], [(where, f"expected a list, got {type(value).__name__}")]


def _ref_problem(ref: Any, categories: Collection[str], kinds: Collection[str]) -> str | None:
    """Why a `caused_by` entry names no category and no kind, or None."""
    if not isinstance(ref, str) or not ref.startswith(REF_PREFIXES):
        return f"{ref!r} is neither 'category:<name>' nor 'kind:<name>'"
    prefix, name = ref.split(":", 1)
    known = categories if prefix == "category" else kinds
    return None if name in known else f"unknown {prefix} {name!r} in {ref!r}"


def _kind_problems(name: str, body: Any, categories: Collection[str],
                   kinds: Collection[str]) -> list[tuple[str, str]]:
    """One entry of `kinds`: a kind the patterns' `kind` field takes, explained by known refs."""
    where = f"kinds.{name}"
    problems = [] if name in kinds else [(where, f"unknown kind {name!r} (a pattern's kind is one of "
                                                  f"{', '.join(sorted(kinds))})")]
    if not isinstance(body, dict):
        return [*problems, (where, f"expected a mapping with caused_by, got {type(body).__name__}")]
    refs, problems_list = _list(body.get("caused_by"), f"{where}.caused_by")
    problems += problems_list
    return problems + [(f"{where}.caused_by[{i}]", message) for i, ref in enumerate(refs)
                       if (message := _ref_problem(ref, categories, kinds))]


def _runtime_problems(name: str, body: Any, runtimes: Collection[str]) -> list[tuple[str, str]]:
    """One entry of `runtimes`: a known runtime, frame orders first|last, RE2 frame regexes."""
    where = f"runtimes.{name}"
    problems = [] if name in runtimes else [(where, f"unknown runtime {name!r} (known: "
                                                     f"{', '.join(sorted(runtimes))})")]
    if not isinstance(body, dict):
        return [*problems, (where, f"expected a mapping, got {type(body).__name__}")]
    problems += [(f"{where}.{key}", f"{key} takes first or last, got {body.get(key)!r}")
                 for key in ("raised_at", "cause_order") if body.get(key) not in FRAME_ORDERS]
    problems += _regex_problems(body, "library_frames", where)
    types, problems_list = _list(body.get("consequences"), f"{where}.consequences")
    problems += problems_list
    problems += [(f"{where}.consequences[{i}]", f"expected an exception type name, got {t!r}")
                 for i, t in enumerate(types) if not isinstance(t, str) or not t.strip()]
    return problems + _unknown_keys(body, ("raised_at", "cause_order", "library_frames", "consequences"),
                                    where)


def _regex_problems(body: Mapping[str, Any], key: str, where: str) -> list[tuple[str, str]]:
    """The list field ``key`` of a knowledge entry: a list whose every item is an RE2 regex."""
    exprs, problems = _list(body.get(key), f"{where}.{key}")
    for i, expr in enumerate(exprs):
        problem = dialect_problem(expr) if isinstance(expr, str) else "expected a regex string"
        if problem:
            problems.append((f"{where}.{key}[{i}]", f"{problem}: {expr!r}"))
    return problems


def _unknown_keys(body: Mapping[str, Any], known: Collection[str], where: str) -> list[tuple[str, str]]:
    """A problem per key of a knowledge entry that the entry does not take (a misspelt key would
    otherwise be a rule that silently never applies)."""
    return [(f"{where}.{key}", f"unknown key {key!r}") for key in sorted(set(body) - set(known))]


def _surface_problems(name: str, body: Any) -> list[tuple[str, str]]:
    """One entry of `surfaces`: resource types, RE2 command prefixes, a log filter, and
    verification steps each with an action and a command."""
    where = f"surfaces.{name}"
    if not isinstance(body, dict):
        return [(where, f"expected a mapping, got {type(body).__name__}")]
    problems = _unknown_keys(body, ("resource_types", "commands", "logs", "verify", "deploys", "refused",
                                    "rollback", "errors"), where)
    if "errors" in body and not (isinstance(body["errors"], str) and body["errors"].strip()):
        problems.append((f"{where}.errors", "expected a log filter condition string"))
    rollback = body.get("rollback")
    if rollback is not None and not (isinstance(rollback, dict) and isinstance(rollback.get("action"), str)
                                     and isinstance(rollback.get("command"), str)):
        problems.append((f"{where}.rollback", "expected a mapping with action and command"))
    types, found = _list(body.get("resource_types"), f"{where}.resource_types")
    problems += found + ([] if types else [(f"{where}.resource_types", "names no resource type")])
    problems += _regex_problems(body, "commands", where) + _regex_problems(body, "deploys", where)
    problems += _regex_problems(body, "refused", where)
    if not isinstance(body.get("logs"), str):
        problems.append((f"{where}.logs", "expected a log filter string"))
    steps, found = _list(body.get("verify"), f"{where}.verify")
    problems += found
    problems += [(f"{where}.verify[{i}]", "expected a mapping with action and command")
                 for i, step in enumerate(steps)
                 if not (isinstance(step, dict) and isinstance(step.get("action"), str)
                         and isinstance(step.get("command"), str))]
    return problems


def _iam_policy_problems(name: str, body: Any) -> list[tuple[str, str]]:
    """One entry of `iam_policies`: an RE2 over resource names and two command templates that
    name only its groups (and, to grant, ``member`` and ``role``)."""
    where = f"iam_policies.{name}"
    if not isinstance(body, dict):
        return [(where, f"expected a mapping, got {type(body).__name__}")]
    problems = _unknown_keys(body, ("resource", "show", "grant"), where)
    missing = [key for key in ("resource", "show", "grant") if not isinstance(body.get(key), str)]
    if missing:
        return problems + [(f"{where}.{key}", "expected a string") for key in missing]
    problem = dialect_problem(body["resource"])
    if problem:
        problems.append((f"{where}.resource", f"{problem}: {body['resource']!r}"))
    groups = set(re.findall(r"\(\?P<(\w+)>", body["resource"]))
    for key, allowed in (("show", groups), ("grant", groups | {"member", "role"})):
        problems += [(f"{where}.{key}", f"placeholder {{{n}}} is not a group of the resource regex")
                     for n in re.findall(r"\{(\w+)\}", body[key]) if n not in allowed]
    return problems


def check(doc: Mapping[str, Any], *, categories: Collection[str], kinds: Collection[str],
          runtimes: Collection[str]) -> list[tuple[str, str]]:
    """Every problem of a parsed knowledge file as (field, message), in file order: unknown
    sections, kinds, categories and runtimes, frame orders other than first|last, and frame
    regexes that are not RE2. ``categories``, ``kinds`` and ``runtimes`` are the names the
    contract and the pattern schema allow."""
    expected = f"{', '.join(SECTIONS[:-1])} or {SECTIONS[-1]}"
    problems = [(str(key), f"unknown section {key!r} (expected {expected})")
                for key in doc if key not in SECTIONS]
    kind_section, found = _mapping(doc, "kinds")
    problems += found
    for name, body in kind_section.items():
        problems += _kind_problems(str(name), body, categories, kinds)
    runtime_section, found = _mapping(doc, "runtimes")
    problems += found
    for name, body in runtime_section.items():
        problems += _runtime_problems(str(name), body, runtimes)
    surface_section, found = _mapping(doc, "surfaces")
    problems += found
    for name, body in surface_section.items():
        problems += _surface_problems(str(name), body)
    policy_section, found = _mapping(doc, "iam_policies")
    problems += found
    for name, body in policy_section.items():
        problems += _iam_policy_problems(str(name), body)
    problems += [(field.lstrip("."), message) for field, message in _regex_problems(doc, "error_shaped", "")]
    problems += [(field.lstrip("."), message) for field, message in _regex_problems(doc, "zero_counts", "")]
    if doc.get("one_line_cause_order", "last") not in FRAME_ORDERS:
        problems.append(("one_line_cause_order",
                         f"takes first or last, got {doc.get('one_line_cause_order')!r}"))
    problems += _memory_problems(doc)
    problems += _checker_problems(doc)
    problems += _program_problems(doc, "launchers")
    problems += _program_problems(doc, "host_programs")
    problems += _outcome_problems(doc, "work_outcomes")
    problems += _outcome_problems(doc, "run_outcomes")
    problems += _category_list_problems(doc, "retried", categories)
    lasting, passing = _list(doc.get("persistent"), "persistent")[0], _list(doc.get("retried"), "retried")[0]
    problems += [("retried", f"{name!r} is also persistent: a failure either lasts or passes")
                 for name in sorted(set(lasting) & set(passing))]
    problems += _category_list_problems(doc, "blips", categories)
    problems += [("blips", f"{name!r} is not persistent: a blip is a lasting category's failure that passed")
                 for name in sorted(set(_list(doc.get("blips"), "blips")[0]) - set(lasting))]
    return problems + _category_list_problems(doc, "persistent", categories)


def _checker_problems(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The `checkers` section: `agents` and `paths`, each a list of RE2 regexes."""
    body, problems = _mapping(doc, "checkers")
    problems += _unknown_keys(body, ("agents", "paths"), "checkers")
    return problems + _regex_problems(body, "agents", "checkers") + _regex_problems(body, "paths", "checkers")


def _outcome_problems(doc: Mapping[str, Any], section: str) -> list[tuple[str, str]]:
    """An outcomes section (`work_outcomes`, `run_outcomes`): `done` and `failed`, each a list of
    RE2 regexes."""
    body, problems = _mapping(doc, section)
    problems += _unknown_keys(body, ("done", "failed"), section)
    return [*problems, *_regex_problems(body, "done", section), *_regex_problems(body, "failed", section)]


def _program_problems(doc: Mapping[str, Any], section: str) -> list[tuple[str, str]]:
    """A section of program names (`launchers`, `host_programs`), as a syslog header writes them."""
    names, problems = _list(doc.get(section), section)
    return problems + [(f"{section}[{i}]", f"expected a program name (no spaces, no brackets), got {x!r}")
                       for i, x in enumerate(names)
                       if not isinstance(x, str) or not re.fullmatch(r"[\w.@+-]+", x)]


def _memory_problems(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The `memory` section: sizes as `--memory` takes them, ascending, and a headroom of at least 1."""
    body, problems = _mapping(doc, "memory")
    problems += _unknown_keys(body, ("sizes", "headroom"), "memory")
    sizes, found = _list(body.get("sizes"), "memory.sizes")
    problems += found
    fine = [isinstance(x, str) and _MEMORY_SIZE.fullmatch(x) is not None for x in sizes]
    good = [str(x) for x, ok in zip(sizes, fine, strict=True) if ok]
    problems += [(f"memory.sizes[{i}]",
                  f"expected a whole number of Mi or Gi, such as 512Mi or 2Gi, got {x!r}")
                 for i, (x, ok) in enumerate(zip(sizes, fine, strict=True)) if not ok]
    if [_mib(x) for x in good] != sorted({_mib(x) for x in good}):
        problems.append(("memory.sizes", "expected distinct sizes, smallest first"))
    headroom = body.get("headroom", 1.0)
    if isinstance(headroom, bool) or not isinstance(headroom, (int, float)) or headroom < 1:
        problems.append(("memory.headroom", f"expected a number of at least 1, got {headroom!r}"))
    return problems


def _category_list_problems(doc: Mapping[str, Any], key: str,
                            categories: Collection[str]) -> list[tuple[str, str]]:
    """The list section ``key``: every item a root-cause category of the contract."""
    names, problems = _list(doc.get(key), key)
    return problems + [(f"{key}[{i}]", f"unknown category {name!r}")
                       for i, name in enumerate(names) if name not in categories]
