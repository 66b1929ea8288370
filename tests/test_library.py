"""The loader fails loudly and specifically, and user packs compose with the built-ins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from rca.errors import PatternError, UsageError
from rca.library.knowledge import load_knowledge
from rca.library.loader import LintProblem, extract_fields, lint_dirs, load_library, message_matches
from rca.model import Role

VALID = """\
id: {id}
title: Example pattern
category: network-connectivity
layer: network
severity: error
role: cause
match:
  any: ['{regex}']
extract: {extract}
causes: {causes}
why: "Something failed"
examples:
  match: [{{line: 'connect to 10.0.0.1 timed out', source: 'https://example.org/where-this-wording-appears'}}]
  no_match: ['all good']
"""


def write(root: Path, pid: str = "demo-pattern", *, area: str = "net", regex: str = r"timed out",
          extract: str = "{}", causes: str = "[]", text: str | None = None) -> Path:
    """Write one pattern file under root/area and return its path."""
    path = root / area / f"{pid}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = text if text is not None else VALID.format(
        id=pid, regex=regex.replace("'", "''"), extract=extract, causes=causes)
    path.write_text(body, encoding="utf-8")
    return path


def load_error(root: Path) -> PatternError:
    """Load root alone and return the PatternError it raises."""
    with pytest.raises(PatternError) as info:
        load_library([root], include_builtin=False)
    return info.value


def test_valid_pack_loads(tmp_path: Path) -> None:
    """A valid file becomes a Pattern with area from its folder and path to its file."""
    path = write(tmp_path)
    pattern = load_library([tmp_path], include_builtin=False).by_id("demo-pattern")
    assert ("net", str(path), Role.CAUSE) == (pattern.area, pattern.path, pattern.role)


def test_a_pack_is_parsed_once_and_an_edit_is_seen_at_once(tmp_path: Path) -> None:
    """Loading an unchanged pack again reuses the parsed patterns; any edit to a file reloads it."""
    write(tmp_path)
    first = load_library([tmp_path], include_builtin=False).by_id("demo-pattern")
    assert load_library([tmp_path], include_builtin=False).by_id("demo-pattern") is first
    write(tmp_path, regex=r"timed  out")  # within the same clock tick: only the bytes tell
    edited = load_library([tmp_path], include_builtin=False).by_id("demo-pattern")
    assert edited.match.any == (r"timed  out",)
    write(tmp_path, pid="second-pattern")
    assert {p.id for p in load_library([tmp_path], include_builtin=False).patterns} == {
        "demo-pattern", "second-pattern"}


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    """Unparseable YAML is reported with the file and the line."""
    path = write(tmp_path, text="id: demo-pattern\nmatch: [unclosed\n")
    error = load_error(tmp_path)
    assert (str(path), True) == (error.path, "line" in str(error))


def test_schema_error_names_field_and_value(tmp_path: Path) -> None:
    """A value outside the schema names the field and the bad value."""
    path = write(tmp_path, text=VALID.format(id="demo-pattern", regex="x", extract="{}", causes="[]")
                 .replace("role: cause", "role: culprit"))
    error = load_error(tmp_path)
    assert (str(path), "role", True) == (error.path, error.field, "'culprit'" in str(error))


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    """A misspelt top-level key is an error, not silently ignored."""
    write(tmp_path, text=VALID.format(id="demo-pattern", regex="x", extract="{}", causes="[]")
          + "remedy: []\n")
    assert "remedy" in str(load_error(tmp_path))


def test_id_must_equal_file_stem(tmp_path: Path) -> None:
    """A file whose id differs from its name is rejected on the id field."""
    write(tmp_path, text=VALID.format(id="other-name", regex="x", extract="{}", causes="[]"))
    assert load_error(tmp_path).field == "id"


@pytest.mark.parametrize(
    ("regex", "construct"),
    [
        (r"(?=timed) out", "lookahead"),
        (r"(?<!not )timed out", "negative lookbehind"),
        (r"(timed) \1", "backreference"),
        (r"(?P<w>\w+) (?P=w)", "named backreference"),
        (r"timed++ out", "possessive"),
    ],
    ids=["lookahead", "lookbehind", "backreference", "named-backreference", "possessive"],
)
def test_non_re2_constructs_are_named(tmp_path: Path, regex: str, construct: str) -> None:
    """Regex features RE2 lacks are rejected with the construct's name and the field."""
    path = write(tmp_path, regex=regex)
    error = load_error(tmp_path)
    assert (str(path), "match.any[0]", True) == (error.path, error.field, construct in str(error))


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    """A syntactically broken regex is reported as not compiling in RE2."""
    write(tmp_path, regex=r"(timed out")
    assert "does not compile in RE2" in str(load_error(tmp_path))


def test_oversized_regex(tmp_path: Path) -> None:
    """A regex over the size cap is rejected."""
    write(tmp_path, regex="a" * 2001)
    assert "cap" in str(load_error(tmp_path))


def test_undeclared_group(tmp_path: Path) -> None:
    """A named group missing from extract is an error on the regex's field."""
    write(tmp_path, regex=r"connect to (?P<host>\S+) timed out")
    error = load_error(tmp_path)
    assert (error.field, "'host'" in str(error)) == ("match.any[0]", True)


def test_declared_but_unused_field(tmp_path: Path) -> None:
    """An extract field no regex captures is an error on that field."""
    write(tmp_path, extract="{host: {type: str}}")
    assert load_error(tmp_path).field == "extract.host"


def test_unresolved_edge(tmp_path: Path) -> None:
    """A causes ref naming no pattern is reported with its index and value."""
    write(tmp_path, causes="[no-such-pattern]")
    error = load_error(tmp_path)
    assert (error.field, "no-such-pattern" in str(error)) == ("causes[0]", True)


def test_unknown_category_ref(tmp_path: Path) -> None:
    """A category: ref naming no contract category is reported."""
    write(tmp_path, causes="['category:gremlins']")
    assert "gremlins" in str(load_error(tmp_path))


def test_id_clash_within_one_dir(tmp_path: Path) -> None:
    """Two files with one id in one pack is an error naming both files."""
    write(tmp_path, area="a")
    second = write(tmp_path, area="b")
    error = load_error(tmp_path)
    assert (str(second), True) == (error.path, "a/demo-pattern.yaml" in str(error).replace("\\", "/"))


def test_user_pack_overrides_builtin_by_id(tmp_path: Path) -> None:
    """A user pattern with a built-in's id replaces it."""
    write(tmp_path, pid="gunicorn-worker-timeout")
    pattern = load_library([tmp_path]).by_id("gunicorn-worker-timeout")
    assert ("Example pattern", str(tmp_path)) == (pattern.title, str(Path(pattern.path).parent.parent))


def test_ignore_drops_pattern_and_keeps_refs_resolvable(tmp_path: Path) -> None:
    """Ignored ids vanish from the library, and refs to them resolve to nothing."""
    library = load_library(ignore=["run-container-signal-kill"])
    assert (
        "run-container-signal-kill" in {p.id for p in library.patterns},
        library.resolve("run-container-signal-kill"),
    ) == (False, ())


def test_ignore_unknown_id_is_a_usage_error() -> None:
    """Ignoring an id that no pack defines is a usage error, so typos do not pass silently."""
    with pytest.raises(UsageError):
        load_library(ignore=["no-such-pattern"])


def test_resolve_category_ref() -> None:
    """category:x resolves to every pattern of that category, sorted by id."""
    library = load_library()
    found = library.resolve("category:tls-certificate")
    assert (True, [p.id for p in found]) == (len(found) >= 1, sorted(p.id for p in found))


def test_test_reports_misclassified_examples(tmp_path: Path) -> None:
    """test() reports an example that the regexes classify the wrong way, naming its index."""
    body = VALID.format(id="demo-pattern", regex="timed out", extract="{}", causes="[]")
    write(tmp_path, text=body.replace("['all good']", "['all good', 'it timed out']"))
    failures = load_library([tmp_path], include_builtin=False).test()
    assert [(f.kind, f.index) for f in failures] == [("no_match", 1)]


def test_matcher_honours_all_any_none() -> None:
    """message_matches needs every `all`, one `any`, and no `none` regex."""
    pattern = load_library().by_id("asyncpg-connect-cancelled")
    texts = [
        "asyncpg/connect_utils.py, in _connect_addr\nasyncio.exceptions.CancelledError",
        "connect_utils.py, in _connect_addr\nasyncio.exceptions.CancelledError",
        "asyncpg/connect_utils.py\nCannotConnectNowError\nasyncio.exceptions.CancelledError",
    ]
    assert [message_matches(pattern, t) for t in texts] == [True, False, False]


def test_extract_fields_uses_named_groups() -> None:
    """extract_fields returns each named group's text, skipping groups that did not take part."""
    pattern = load_library().by_id("run-memory-limit-exceeded")
    text = "Memory limit of 512 MiB exceeded with 530 MiB used."
    assert extract_fields(pattern, text) == {"limit_mib": "512", "used_mib": "530"}


# ---------------------------------------------------------------- lint: every check fires

SOURCE = "https://example.com/docs/errors"


def doc(pid: str = "demo-pattern", **changes: Any) -> str:
    """A clean pattern file (sourced examples, every placeholder fillable) with ``changes`` applied;
    a change to None removes the key."""
    body: dict[str, Any] = {
        "id": pid, "title": "Example pattern", "category": "network-connectivity", "layer": "network",
        "severity": "error", "role": "cause", "match": {"any": ["timed out"]},
        "why": "Something failed on {instance}",
        "examples": {"match": [{"line": "connect to 10.0.0.1 timed out", "source": SOURCE}],
                     "no_match": ["all good"]},
    }
    body.update(changes)
    return yaml.safe_dump({k: v for k, v in body.items() if v is not None}, sort_keys=False)


def examples(match: list[Any] | None = None, no_match: list[Any] | None = None) -> dict[str, Any]:
    """An examples section; the defaults are a sourced example and a near-miss."""
    return {"match": [{"line": "timed out", "source": SOURCE}] if match is None else match,
            "no_match": ["all good"] if no_match is None else no_match}


def knowledge(**changes: Any) -> str:
    """A clean library-wide knowledge file (patterns/_knowledge.yaml) with ``changes`` to its
    sections applied."""
    body: dict[str, Any] = {
        "kinds": {"request-failure": {"caused_by": ["kind:crash", "category:network-connectivity"]},
                  "crash": {"caused_by": ["category:memory-limit-exceeded"]}},
        "runtimes": {"node": {"raised_at": "first", "cause_order": "last",
                              "library_frames": ["node_modules/", "^node:"]}},
    }
    body.update(changes)
    return yaml.safe_dump(body, sort_keys=False)


def node_frames(**changes: Any) -> dict[str, Any]:
    """The `runtimes` section of a knowledge file whose one runtime has ``changes``."""
    return {"node": {"raised_at": "first", "cause_order": "last", "library_frames": ["node_modules/"],
                     **changes}}


KNOW = "_knowledge.yaml"

# check -> (files relative to the pack: text, bytes, or None for a directory; the file, field and
# words of the one problem it must produce). One broken pattern per check.
LINT_CASES: dict[str, tuple[dict[str, str | bytes | None], str, str | None, str]] = {
    "unreadable": ({"net/demo-pattern.yaml": None}, "net/demo-pattern.yaml", None, "cannot read"),
    "not-utf8": ({"net/demo-pattern.yaml": b"id: demo\xff\n"}, "net/demo-pattern.yaml", None,
                 "not UTF-8 text"),
    "yaml-syntax": ({"net/demo-pattern.yaml": "id: demo-pattern\nmatch: [unclosed\n"},
                    "net/demo-pattern.yaml", None, "invalid YAML at line 3"),
    "not-a-mapping": ({"net/demo-pattern.yaml": "- a\n- b\n"}, "net/demo-pattern.yaml", None,
                      "expected a mapping at the top level, got list"),
    "schema": ({"net/demo-pattern.yaml": doc(role="culprit")}, "net/demo-pattern.yaml", "role",
               "'culprit' is not one of"),
    "id-vs-file-name": ({"net/demo-pattern.yaml": doc("other-name")}, "net/demo-pattern.yaml", "id",
                        "id 'other-name' differs from the file name 'demo-pattern'"),
    "re2-dialect": ({"net/demo-pattern.yaml": doc(match={"any": ["(?=timed) out"]})},
                    "net/demo-pattern.yaml", "match.any[0]", "lookahead (?=...) is not supported by RE2"),
    "group-captures-nothing": (
        {"net/demo-pattern.yaml": doc(match={"any": ["timed out"], "none": ["(?P<host>retry)"]})},
        "net/demo-pattern.yaml", "match.none[0]", "named group 'host' captures nothing here"),
    "group-not-declared": (
        {"net/demo-pattern.yaml": doc(match={"any": ["(?P<host>\\S+) timed out"]})},
        "net/demo-pattern.yaml", "match.any[0]", "named group 'host' is not declared in extract"),
    "extract-not-captured": ({"net/demo-pattern.yaml": doc(extract={"host": {"type": "str"}})},
                             "net/demo-pattern.yaml", "extract.host",
                             "'host' is declared but no regex has a group of that name"),
    "unknown-id-ref": ({"net/demo-pattern.yaml": doc(causes=["no-such-pattern"])},
                       "net/demo-pattern.yaml", "causes[0]", "unknown pattern id 'no-such-pattern'"),
    "unknown-category-ref": ({"net/demo-pattern.yaml": doc(rules=[{"when_any": ["category:gremlins"],
                                                                   "statement": "x"}])},
                             "net/demo-pattern.yaml", "rules[0].when_any[0]",
                             "unknown category 'gremlins' in 'category:gremlins'"),
    "when-field-not-extracted": ({"net/demo-pattern.yaml": doc(rules=[{"when_field": {"host": "^localhost$"},
                                                                       "statement": "x"}])},
                                 "net/demo-pattern.yaml", "rules[0].when_field.host",
                                 "'host' is not an extracted field"),
    "unless-field-not-extracted": ({"net/demo-pattern.yaml": doc(rules=[{
        "when_any": ["category:network-connectivity"], "unless_field": {"upstream_host": "^localhost$"},
        "statement": "x"}])}, "net/demo-pattern.yaml", "rules[0].unless_field.upstream_host",
        "'upstream_host' is not an extracted field"),
    "likely-unless-field-not-extracted": ({"net/demo-pattern.yaml": doc(role="symptom", likely_cause={
        "category": "startup-timeout", "confidence": 0.3, "because": "x",
        "unless_field": {"probe_detail": "statuscode: 5"}})},
        "net/demo-pattern.yaml", "likely_cause.unless_field.probe_detail",
        "'probe_detail' is not an extracted field"),
    "unknown-unless-any-ref": ({"net/demo-pattern.yaml": doc(role="symptom", likely_cause={
        "category": "network-connectivity", "confidence": 0.3, "because": "x", "unless_any": ["nowhere"]})},
        "net/demo-pattern.yaml", "likely_cause.unless_any[0]", "unknown pattern id 'nowhere'"),
    "duplicate-id": ({"a/demo-pattern.yaml": doc(), "b/demo-pattern.yaml": doc()},
                     "b/demo-pattern.yaml", "id", "duplicate id 'demo-pattern', also in"),
    "no-example": ({"net/demo-pattern.yaml": doc(examples=examples(match=[]))},
                   "net/demo-pattern.yaml", "examples.match", "needs at least one example"),
    "unsourced-example": ({"net/demo-pattern.yaml": doc(examples=examples(match=["timed out"]))},
                          "net/demo-pattern.yaml", "examples.match[0]", "needs a source"),
    "no-near-miss": ({"net/demo-pattern.yaml": doc(examples=examples(no_match=[]))},
                     "net/demo-pattern.yaml", "examples.no_match", "needs at least one near-miss"),
    "unfilled-placeholder": ({"net/demo-pattern.yaml": doc(why="{host} failed")},
                             "net/demo-pattern.yaml", "why", "placeholder {host} is never filled"),
    "field-shadows-service-context": ({"net/demo-pattern.yaml": doc(
        match={"any": ["panicked at (?P<location>\\S+)"]}, extract={"location": {"type": "str"}},
        examples=examples(match=[{"line": "panicked at src/main.rs:1:2", "source": SOURCE}]))},
        "net/demo-pattern.yaml", "extract.location", "field 'location' shadows the service's own {location}"),
    "context-pattern-causes": ({"net/demo-pattern.yaml": doc(), "net/ctx.yaml": doc(
        "ctx", role="context", causes=["demo-pattern"])},
        "net/ctx.yaml", "causes[0]", "a context pattern is never a cause in the chain"),
    "context-pattern-caused-by": ({"net/demo-pattern.yaml": doc(), "net/ctx.yaml": doc(
        "ctx", role="context", caused_by=["category:network-connectivity"])},
        "net/ctx.yaml", "caused_by[0]", "the chain never explains a context finding"),
    "caused-by-names-context": ({"net/demo-pattern.yaml": doc(caused_by=["ctx"]),
                                 "net/ctx.yaml": doc("ctx", role="context")},
                                "net/demo-pattern.yaml", "caused_by[0]",
                                "'ctx' is a context pattern, never a cause in the chain"),
    "causes-names-context": ({"net/demo-pattern.yaml": doc(causes=["ctx"]),
                              "net/ctx.yaml": doc("ctx", role="context")},
                             "net/demo-pattern.yaml", "causes[0]",
                             "'ctx' is a context pattern, which the chain never explains"),
    "context-pattern-rules": ({"net/demo-pattern.yaml": doc(), "net/ctx.yaml": doc(
        "ctx", role="context", rules=[{"when_any": ["demo-pattern"], "statement": "x"}])},
        "net/ctx.yaml", "rules[0]", "a context pattern never ends a chain, so its rules never fire"),
    "edge-declared-twice": ({"net/demo-pattern.yaml": doc(causes=["effect"]),
                             "net/effect.yaml": doc("effect", role="symptom", caused_by=["demo-pattern"])},
                            "net/effect.yaml", "caused_by[0]",
                            "'demo-pattern' already declares this edge in its causes"),
    "edge-named-twice": ({"net/demo-pattern.yaml": doc(causes=["effect", "effect"]),
                          "net/effect.yaml": doc("effect", role="symptom")},
                         "net/demo-pattern.yaml", "causes[1]", "'effect' is named twice in causes"),
    "knowledge-yaml-syntax": ({KNOW: "kinds: [unclosed\n"}, KNOW, None, "invalid YAML at line 2"),
    "knowledge-unknown-section": (
        {KNOW: knowledge(causes={})}, KNOW, "causes",
        "unknown section 'causes' (expected kinds, runtimes, surfaces, iam_policies, error_shaped, "
        "zero_counts, persistent, retried, blips, memory, checkers, one_line_cause_order, launchers, "
        "host_programs, work_outcomes or run_outcomes)"),
    "knowledge-checker-regex": ({KNOW: knowledge(checkers={"agents": ["GoogleHC/", "(?<!x)kube-probe"]})},
                                KNOW, "checkers.agents[1]", "lookbehind (?<!...) is not supported by RE2"),
    "knowledge-checker-key": ({KNOW: knowledge(checkers={"agent": ["GoogleHC/"]})},
                              KNOW, "checkers.agent", "unknown key 'agent'"),
    "knowledge-work-outcome-regex": (
        {KNOW: knowledge(work_outcomes={"done": ["INFO: done", "(?<=jid)x"]})},
        KNOW, "work_outcomes.done[1]", "lookbehind (?<=...) is not supported by RE2"),
    "knowledge-work-outcome-key": ({KNOW: knowledge(work_outcomes={"succeeded": ["INFO: done"]})},
                                   KNOW, "work_outcomes.succeeded", "unknown key 'succeeded'"),
    "knowledge-run-outcome-regex": (
        {KNOW: knowledge(run_outcomes={"failed": ["Final app status: FAILED", "(?<!x)FAILED"]})},
        KNOW, "run_outcomes.failed[1]", "lookbehind (?<!...) is not supported by RE2"),
    "knowledge-launcher-name": ({KNOW: knowledge(launchers=["java", "python3 -m"])},
                                KNOW, "launchers[1]",
                                "expected a program name (no spaces, no brackets), got 'python3 -m'"),
    "knowledge-host-program-name": ({KNOW: knowledge(host_programs=["CRON", "sshd[1002]"])},
                                    KNOW, "host_programs[1]",
                                    "expected a program name (no spaces, no brackets), got 'sshd[1002]'"),
    "knowledge-memory-size": (
        {KNOW: knowledge(memory={"headroom": 1.5, "sizes": ["512Mi", "1G"]})}, KNOW, "memory.sizes[1]",
        "expected a whole number of Mi or Gi, such as 512Mi or 2Gi, got '1G'"),
    "knowledge-memory-order": (
        {KNOW: knowledge(memory={"sizes": ["2Gi", "1024Mi"]})}, KNOW, "memory.sizes",
        "expected distinct sizes, smallest first"),
    "knowledge-memory-headroom": (
        {KNOW: knowledge(memory={"headroom": 0.5, "sizes": ["1Gi"]})}, KNOW, "memory.headroom",
        "expected a number of at least 1, got 0.5"),
    "knowledge-iam-policy-placeholder": (
        {KNOW: knowledge(iam_policies={"secret": {
            "resource": "^projects/(?P<project>[^/]+)/secrets/(?P<name>[^/]+)$",
            "show": "gcloud secrets get-iam-policy {secret} --project {project}",
            "grant": "gcloud secrets add-iam-policy-binding {name} --member {member} --role {role}"}})},
        KNOW, "iam_policies.secret.show", "placeholder {secret} is not a group of the resource regex"),
    "knowledge-iam-policy-not-re2": (
        {KNOW: knowledge(iam_policies={"x": {"resource": "^(?<=a)b$", "show": "s", "grant": "g"}})},
        KNOW, "iam_policies.x.resource", "(?<="),
    "knowledge-one-line-order": ({KNOW: knowledge(one_line_cause_order="outer")}, KNOW,
                                 "one_line_cause_order", "takes first or last, got 'outer'"),
    "knowledge-surface-rollback-shape": (
        {KNOW: knowledge(surfaces={"run": {"resource_types": ["cloud_run_revision"], "logs": "x",
                                           "rollback": "gcloud run services update-traffic"}})},
        KNOW, "surfaces.run.rollback", "expected a mapping with action and command"),
    "knowledge-persistent-unknown-category": ({KNOW: knowledge(persistent=["permission-denied", "flaky"])},
                                              KNOW, "persistent[1]", "unknown category 'flaky'"),
    "knowledge-persistent-not-list": ({KNOW: knowledge(persistent="permission-denied")},
                                      KNOW, "persistent", "expected a list, got str"),
    "knowledge-retried-unknown-category": ({KNOW: knowledge(retried=["upstream-service-failure", "blips"])},
                                           KNOW, "retried[1]", "unknown category 'blips'"),
    "knowledge-retried-and-persistent": (
        {KNOW: knowledge(persistent=["tls-certificate"], retried=["tls-certificate"])}, KNOW, "retried",
        "'tls-certificate' is also persistent: a failure either lasts or passes"),
    "knowledge-blip-not-persistent": (
        {KNOW: knowledge(persistent=["tls-certificate"], blips=["request-timeout"])}, KNOW, "blips",
        "'request-timeout' is not persistent: a blip is a lasting category's failure that passed"),
    "knowledge-section-not-mapping": ({KNOW: knowledge(runtimes=["node"])}, KNOW, "runtimes",
                                      "expected a mapping, got list"),
    "knowledge-unknown-kind": ({KNOW: knowledge(kinds={"meltdown": {"caused_by": []}})},
                               KNOW, "kinds.meltdown", "unknown kind 'meltdown'"),
    "knowledge-caused-by-not-list": ({KNOW: knowledge(kinds={"crash": {"caused_by": "kind:overload"}})},
                                     KNOW, "kinds.crash.caused_by", "expected a list, got str"),
    "knowledge-unknown-category": (
        {KNOW: knowledge(kinds={"crash": {"caused_by": ["kind:overload", "category:gremlins"]}})},
        KNOW, "kinds.crash.caused_by[1]", "unknown category 'gremlins' in 'category:gremlins'"),
    "knowledge-unknown-kind-ref": ({KNOW: knowledge(kinds={"crash": {"caused_by": ["kind:meltdown"]}})},
                                   KNOW, "kinds.crash.caused_by[0]",
                                   "unknown kind 'meltdown' in 'kind:meltdown'"),
    "knowledge-ref-without-prefix": ({KNOW: knowledge(kinds={"crash": {"caused_by": ["overload"]}})},
                                     KNOW, "kinds.crash.caused_by[0]",
                                     "'overload' is neither 'category:<name>' nor 'kind:<name>'"),
    "knowledge-unknown-runtime": ({KNOW: knowledge(runtimes={"cobol": node_frames()["node"]})},
                                  KNOW, "runtimes.cobol", "unknown runtime 'cobol'"),
    "knowledge-frame-order": ({KNOW: knowledge(runtimes=node_frames(cause_order="inner"))},
                              KNOW, "runtimes.node.cause_order",
                              "cause_order takes first or last, got 'inner'"),
    "knowledge-frame-regex": ({KNOW: knowledge(runtimes=node_frames(library_frames=["^node:", "(?<!x)y"]))},
                              KNOW, "runtimes.node.library_frames[1]",
                              "lookbehind (?<!...) is not supported by RE2"),
    "knowledge-consequence-not-a-name": (
        {KNOW: knowledge(runtimes=node_frames(consequences=["AbortError", 3]))},
        KNOW, "runtimes.node.consequences[1]", "expected an exception type name, got 3"),
    "knowledge-unknown-runtime-key": ({KNOW: knowledge(runtimes=node_frames(consequence=["AbortError"]))},
                                      KNOW, "runtimes.node.consequence", "unknown key 'consequence'"),
    "knowledge-surface-command-regex": (
        {KNOW: knowledge(surfaces={"gke": {"resource_types": ["k8s_container"], "commands": ["(?=kubectl)"],
                                           "logs": "x", "verify": []}})},
        KNOW, "surfaces.gke.commands[0]", "lookahead (?=...) is not supported by RE2"),
    "knowledge-error-shaped-regex": ({KNOW: knowledge(error_shaped=["error", "(?<!no )fail"])},
                                     KNOW, "error_shaped[1]", "lookbehind (?<!...) is not supported by RE2"),
    "knowledge-surface-verify-shape": (
        {KNOW: knowledge(surfaces={"gke": {"resource_types": ["k8s_container"], "commands": [],
                                           "logs": "x", "verify": [{"action": "check"}]}})},
        KNOW, "surfaces.gke.verify[0]", "expected a mapping with action and command"),
}


def lint_pack(tmp_path: Path, files: dict[str, str | bytes | None]) -> list[LintProblem]:
    """Write ``files`` under tmp_path and lint that pack alone."""
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return lint_dirs([tmp_path], include_builtin=False)


@pytest.mark.parametrize("case", sorted(LINT_CASES))
def test_every_lint_check_fires(tmp_path: Path, case: str) -> None:
    """Each check reports its one broken pattern with file, field and the bad value, and nothing else."""
    files, rel, field, words = LINT_CASES[case]
    problems = lint_pack(tmp_path, files)
    assert [(p.path, p.field, words in p.message) for p in problems] == [(str(tmp_path / rel), field, True)]


def test_clean_pattern_has_no_problems(tmp_path: Path) -> None:
    """The pattern every lint case starts from lints clean."""
    assert lint_pack(tmp_path, {"net/demo-pattern.yaml": doc()}) == []


def test_clean_knowledge_file_has_no_problems(tmp_path: Path) -> None:
    """The knowledge file every knowledge lint case starts from lints clean, beside a clean pattern."""
    assert lint_pack(tmp_path, {KNOW: knowledge(), "net/demo-pattern.yaml": doc()}) == []


def test_knowledge_problems_are_all_reported_and_block_loading(tmp_path: Path) -> None:
    """One run lists every problem of the knowledge file, and analysis refuses to load beside it,
    naming the file and the first field."""
    files = {KNOW: knowledge(kinds={"crash": {"caused_by": ["category:gremlins", "kind:meltdown"]}},
                             runtimes={"cobol": {"raised_at": "up", "cause_order": "last"}}),
             "net/demo-pattern.yaml": doc()}
    found = [p.field for p in lint_pack(tmp_path, files)]
    error = load_error(tmp_path)
    assert (found, error.path, error.field) == (
        ["kinds.crash.caused_by[0]", "kinds.crash.caused_by[1]", "runtimes.cobol",
         "runtimes.cobol.raised_at"],
        str(tmp_path / KNOW), "kinds.crash.caused_by[0]")


def test_missing_pattern_directory_is_a_problem(tmp_path: Path) -> None:
    """A pattern directory that does not exist is reported, not skipped."""
    problems = lint_dirs([tmp_path / "nope"], include_builtin=False)
    missing = (str(tmp_path / "nope"), "pattern directory does not exist")
    assert [(p.path, p.message) for p in problems] == [missing]


def test_lint_reports_every_problem_of_every_file(tmp_path: Path) -> None:
    """One run lists every problem of every file: a file failing the schema still has its regexes,
    refs and id checked, and the files after a broken one are still read."""
    files = {"a/first.yaml": doc("first", role="culprit", match={"any": ["(?=x)"]}, causes=["nowhere"]),
             "b/second.yaml": "match: [unclosed\n",
             "c/third.yaml": doc("third", why="{host} failed")}
    found = [(Path(p.path).name, p.field) for p in lint_pack(tmp_path, files)]
    assert found == [("first.yaml", "role"), ("first.yaml", "match.any[0]"), ("first.yaml", "causes[0]"),
                     ("second.yaml", None), ("third.yaml", "why")]


def test_load_library_raises_on_blocking_problems_only(tmp_path: Path) -> None:
    """Analysis refuses a library with a blocking problem (the first, by file) but loads one whose
    problems are only for a reviewer (an unsourced example)."""
    lint_pack(tmp_path / "ok", {"net/demo-pattern.yaml": doc(examples=examples(match=["timed out"]))})
    loaded = load_library([tmp_path / "ok"], include_builtin=False)
    lint_pack(tmp_path / "bad", {"a/x.yaml": doc("x", causes=["nowhere"]), "b/y.yaml": doc("y", role="z")})
    error = load_error(tmp_path / "bad")
    assert ([p.field for p in loaded.lint()], error.path, error.field) == (
        ["examples.match[0]"], str(tmp_path / "bad" / "a" / "x.yaml"), "causes[0]")


def test_builtin_library_has_no_blocking_problem() -> None:
    """lint_dirs over the shipped library agrees with load_library: nothing blocks analysis."""
    assert [str(p) for p in lint_dirs() if p.blocking] == []


def test_lint_cli_lists_problems_of_the_given_pack(tmp_path: Path) -> None:
    """`rca patterns lint DIR` prints every problem of DIR's files (refs resolve against the built-in
    library, as `analyze --patterns DIR` loads it) and exits 1."""
    from click.testing import CliRunner

    from rca.cli.main import main

    lint_pack(tmp_path, {"a/x.yaml": doc("x", causes=["run-memory-limit-exceeded", "nowhere"]),
                         "b/y.yaml": doc("y", role="z")})
    result = CliRunner().invoke(main, ["patterns", "lint", str(tmp_path)])
    lines = result.stdout.splitlines()
    found = (result.exit_code, len(lines), "causes[1]" in lines[0], ": role: " in lines[1])
    assert found == (1, 2, True, True)


def test_every_package_a_library_frames_alternation_names_is_a_library_frame() -> None:
    """A `library_frames` entry ` in (pkg|pkg|...)\\.` says each package's frames are the runtime's:
    a frame in any of them must read as library code. An alternative that carries its own
    trailing dot (`reactor\\.`) would ask for two and never match: Reactor's FluxTimeout frame read
    as the service's own code and a dependency's 503 lost to "a bug in the service" (blind set
    YB01)."""
    missed = []
    for name, frames in load_knowledge().runtimes.items():
        for expr in frames.library_frames:
            if not (expr.startswith(" in (") and expr.endswith(")\\.")):
                continue
            for alternative in expr[len(" in ("):-len(")\\.")].split("|"):
                package = alternative.replace(chr(92), "").rstrip(".")
                frame = f"Example.java:1 in {package}.example.Thing.run"
                if not frames.is_library(frame):
                    missed.append((name, alternative))
    assert missed == []


@pytest.mark.parametrize(("line", "outcome"), [
    ("2025-02-11T09:02:13.696Z pid=1 tid=2hk9 class=WebhookDeliveryJob jid=877432d1026706d7e805da84 "
     "elapsed=0.578 INFO: done", "done"),
    ("2025-02-11T09:03:06.468Z pid=1 tid=2hml class=InvoicePdfJob jid=3bb81e3c29b62179273c8eb5 "
     "elapsed=0.265 INFO: fail", "failed"),
    ("[2024-11-19 13:27:04,123: INFO/ForkPoolWorker-2] Task billing.send_receipt"
     "[0f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f] succeeded in 0.21s: None", "done"),
    ("[2024-11-19 13:41:09,001: ERROR/ForkPoolWorker-1] Task billing.sync_invoice"
     "[1f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f] raised unexpected: OperationalError('too many')", "failed"),
    ("08:10:49 default: Job OK (b6b0d0b9-afad-428e-a5c9-cf20396726aa)", "done"),
    ("  2026-09-14 07:24:44 App\\Jobs\\SendOrderConfirmation ........... 443.80ms DONE", "done"),
    ("  2026-09-14 07:31:12 App\\Jobs\\SyncShopifyInventory ............. 1s 230ms FAIL", "failed"),
    ("  2026-09-14 07:31:11 App\\Jobs\\SyncShopifyInventory ................. RUNNING", None),
    ("App\\Jobs\\RecalculateStockLevels ........... 46.80ms DONE", "done"),
    ("2025-02-11T09:03:06.468Z pid=1 tid=2hml class=InvoicePdfJob jid=3bb81e3c29 INFO: start", None),
])
def test_work_outcomes_read_job_frameworks_lines_as_they_print_them(line: str, outcome: str | None) -> None:
    """The knowledge's `work_outcomes` read Sidekiq's done/fail, Celery's succeeded/raised, RQ's Job
    OK and Laravel's queue:work DONE/FAIL as a completed or failed job, and a job's start as neither."""
    knowledge = load_knowledge()
    sql = "SELECT regexp_matches($line, $done), regexp_matches($line, $failed)"
    row = duckdb.execute(sql, {"line": line, "done": knowledge.work_done, "failed": knowledge.work_failed})
    assert row.fetchone() == (outcome == "done", outcome == "failed")



@pytest.mark.parametrize(("line", "outcome"), [
    ("26/12/06 02:38:14 INFO org.apache.spark.deploy.yarn.ApplicationMaster: Final app status: FAILED, "
     "exitCode: 15, (reason: User class threw exception: org.apache.spark.SparkException)", "failed"),
    ("23/05/02 11:04:51 INFO ApplicationMaster: Final app status: SUCCEEDED, exitCode: 0", "done"),
    ("application_1764979200123_0042 State change from FINAL_SAVING to FAILED on event = ATTEMPT_FAILED",
     "failed"),
    ("appattempt_1764979200123_0042_000001 State change from RUNNING to FAILED on event = CONTAINER_FINISHED",
     None),
    ("application_1764979200123_0042 State change from FINAL_SAVING to FINISHED on event = ATTEMPT_FINISHED",
     None),
    ("Marking task as FAILED. dag_id=customer_ltv, task_id=build_features, run_id=scheduled__2024-06-03T01:"
     "00:00+00:00, execution_date=20240603T010000, start_date=20240603T022657, end_date=20240603T024242",
     "failed"),
    ("Marking task as UP_FOR_RETRY. dag_id=customer_ltv, task_id=build_features, "
     "execution_date=20240603T010000, start_date=20240603T020534, end_date=20240603T022153", None),
    ("Marking task as SUCCESS. dag_id=airflow_monitoring, task_id=echo, execution_date=20240603T030000, "
     "start_date=20240603T031001, end_date=20240603T031006", "done"),
    ("Job has reached the specified backoff limit", "failed"),
    ("2m30s  Warning  DeadlineExceeded  job/introspector  Job was active longer than specified deadline",
     "failed"),
    ("Job completed", "done"),
    ("Job completed in 42s, 1200 rows", None),
    # Spring Batch's launcher, as users paste it (before 5.x without the duration)
    ("o.s.b.c.l.support.SimpleJobLauncher      : Job: [SimpleJob: [name=job]] completed with the following "
     "parameters: [{}] and the following status: [COMPLETED] in 192ms", "done"),
    ("o.s.b.c.l.s.TaskExecutorJobLauncher      : Job: [SimpleJob: [name=recipeDataMigrationJob]] completed "
     "with the following parameters: [{'jobId':'{value=1760172407885, type=class java.lang.String, "
     "identifying=true}'}] and the following status: [FAILED] in 444ms", "failed"),
    ("Job: [FlowJob: [name=secuentialControlFlow]] launched with the following parameters: [{}]", None),
])
def test_run_outcomes_read_how_batch_frameworks_end_a_run(line: str, outcome: str | None) -> None:
    """The knowledge's `run_outcomes` read Spark's final app status, YARN's application (not attempt)
    FAILED, Airflow's task marked SUCCESS or FAILED and Kubernetes' Job events as a run ended done or
    failed, and Spring Batch's launcher saying a job completed with status COMPLETED or FAILED; a retry
    to come, YARN's FINISHED (whatever the final status), a job launched and an app's own "Job
    completed in" as neither."""
    knowledge = load_knowledge()
    sql = "SELECT regexp_matches($line, $done), regexp_matches($line, $failed)"
    row = duckdb.execute(sql, {"line": line, "done": knowledge.run_done, "failed": knowledge.run_failed})
    assert row.fetchone() == (outcome == "done", outcome == "failed")

class _NoDuplicateKeys(yaml.SafeLoader):
    """A safe loader that refuses a mapping naming one key twice (YAML keeps the last silently)."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
    twice = sorted({str(k) for k in keys if keys.count(k) > 1})
    if twice:
        raise yaml.constructor.ConstructorError(None, None, f"duplicate key(s) {twice}", node.start_mark)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_NoDuplicateKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def test_no_library_file_names_a_key_twice() -> None:
    """A key written twice in one mapping (an example's `source` pasted twice) keeps only the last
    value, so an example would cite another line's source without a word from the loader: every
    bundled file parses with each key once."""
    root = Path(__file__).resolve().parent.parent / "patterns"
    twice = []
    for path in sorted(root.rglob("*.yaml")):
        try:
            yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDuplicateKeys)  # a SafeLoader
        except yaml.constructor.ConstructorError as exc:
            twice.append(f"{path.relative_to(root)}: {exc.problem}")
    assert twice == []


def test_the_duplicate_key_check_finds_a_key_written_twice() -> None:
    """The check above can fail: a mapping with `source` twice is refused."""
    with pytest.raises(yaml.constructor.ConstructorError, match="source"):
        yaml.load("line: x\nsource: a\nsource: b\n", Loader=_NoDuplicateKeys)  # a SafeLoader
