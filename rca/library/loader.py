"""The pattern library: find ``patterns/**/*.yaml``, validate, compile, cross-check.

A pattern file is data (see patterns/README.md); this module turns it into a frozen
``rca.model.Pattern``. Every check collects problems (``LintProblem``: file, field, message with
the bad value) rather than raising: ``lint_dirs`` returns all of them for every file in one run,
and ``load_library`` raises ``PatternError`` for the first blocking one.
Built-in patterns load first, then each user pack; a user pattern replaces a built-in one with
the same id, which is how a team tunes a pattern without forking the tool.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import types
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rca.errors import PatternError, UsageError
from rca.library import cache, knowledge
from rca.library.re2check import compile_re2, dialect_problem, group_names
from rca.model import (
    Absence,
    Category,
    Layer,
    LikelyCause,
    Match,
    Pattern,
    RemediationStep,
    Role,
    Rule,
    Severity,
)
from rca.resources import data_dir

if TYPE_CHECKING:
    import jsonschema

CATEGORY_PREFIX = "category:"
# Fields a `frames: own` pattern gets from the re-joined stack rather than from a regex group.
FRAME_FIELDS = frozenset({"exc_type", "exc_message", "frame"})
CONTEXT_FIELDS = frozenset(
    {"service", "project", "location", "revision", "instance", "count", "first_seen", "last_seen"}
)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# Context values that name where the service runs: a field a pattern extracts under one of these
# names would fill the service's own placeholders in its commands (a Rust panic's `location`,
# src/main.rs:14:10, once became a `--region`).
SERVICE_FIELDS = frozenset({"service", "project", "location", "previous_revision", "logs"})


@dataclass(frozen=True)
class LintProblem:
    """One thing wrong with a pattern file, as the lint command reports it.

    A blocking problem (the file cannot be read, fails the schema, a regex is not RE2, a ref does
    not resolve...) stops `load_library`, so analysis never runs on a broken library; the others
    (examples, sources, placeholders, unused or repeated edges) are for a reviewer to fix.
    """

    path: str
    pattern_id: str
    field: str | None
    message: str
    blocking: bool = True

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{where}: {self.message}"

    def error(self) -> PatternError:
        """This problem as the error `load_library` raises."""
        return PatternError(self.path, self.message, self.field)


@dataclass(frozen=True)
class ExampleFailure:
    """An example that a pattern's message regexes classify the wrong way."""

    pattern_id: str
    path: str
    kind: str  # "match" (should have matched, did not) | "no_match" (matched, should not)
    index: int
    text: str

    def __str__(self) -> str:
        verb = "does not match" if self.kind == "match" else "matches"
        return f"{self.path}: examples.{self.kind}[{self.index}] {verb}: {self.text!r}"


def builtin_dir() -> Path:
    """The directory of the patterns shipped with rca (see rca/resources.py)."""
    return data_dir("patterns")


def _schema_path() -> Path:
    return builtin_dir() / "schema.json"


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    """The JSON Schema validator for one pattern file (patterns/schema.json).

    jsonschema is imported here, not at the top: a load served from the cache never validates.
    """
    import jsonschema

    schema = json.loads(_schema_path().read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


# ---------------------------------------------------------------- matching (Python side)


def message_matches(pattern: Pattern, text: str) -> bool:
    """True when ``text`` satisfies the pattern's any/all/none regexes (RE2 search semantics)."""
    m = pattern.match
    if m.none and any(compile_re2(e).search(text) for e in m.none):
        return False
    if m.all and not all(compile_re2(e).search(text) for e in m.all):
        return False
    return not m.any or any(compile_re2(e).search(text) for e in m.any)


def match_position(pattern: Pattern, text: str) -> int:
    """Offset of the earliest ``any``/``all`` match in ``text`` (-1 when none): in a chain of
    wrapped errors it tells the outer error from the inner one."""
    starts = [found.start() for expr in (*pattern.match.all, *pattern.match.any)
              if (found := compile_re2(expr).search(text)) is not None]
    return min(starts, default=-1)


def extract_fields(pattern: Pattern, text: str) -> dict[str, str]:
    """Named-group values in ``text``, as stripped strings; the first regex to supply a name wins.

    Every matching regex contributes: a traceback can name the permission in one line and the
    principal in another. Each regex must therefore match only the phrasing it was written for.
    """
    fields: dict[str, str] = {}
    for expr in (*pattern.match.all, *pattern.match.any):
        found = compile_re2(expr).search(text)
        if found is None:
            continue
        for name, value in found.groupdict().items():
            if value is not None and value.strip() and name not in fields:
                fields[name] = value.strip()
    return dict(sorted(fields.items()))


# ---------------------------------------------------------------- checking one file
#
# Every check returns the problems it finds instead of raising, so one run can report every
# problem of every file (`lint_dirs`, `rca patterns lint`); `load_library` raises the first
# blocking one. The checks on raw documents tolerate a document that fails the schema: they look
# only at values of the expected type.


def _problem(path: Path, pattern_id: str, field: str | None, message: str) -> LintProblem:
    """A blocking problem of the file at ``path``."""
    return LintProblem(str(path), pattern_id, field, message)


def _doc_id(doc: Mapping[str, Any] | None, path: Path) -> str:
    """The id a document declares, or the file name when it declares none usable."""
    value = doc.get("id") if doc else None
    return value if isinstance(value, str) else path.stem


def _items(value: Any) -> list[tuple[int, str]]:
    """(index, text) of the strings in ``value`` when it is a list; nothing otherwise."""
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


def _field_path(parts: Iterable[Any]) -> str:
    """Render a jsonschema path such as ``['match', 'any', 2]`` as ``match.any[2]``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _parse_yaml(text: str, path: Path) -> dict[str, Any] | LintProblem:
    """One mapping from YAML text, or the problem that prevents it.

    libyaml's loader (knowledge.SafeLoader) parses; the pure one re-parses a file that fails, so a
    problem reads the same whichever is installed.
    """
    try:
        doc = yaml.load(text, Loader=knowledge.SafeLoader)  # a safe loader: plain data only
    except yaml.YAMLError:
        return _slow_parse(text, path)
    return _plain(doc, path)


def _slow_parse(text: str, path: Path) -> dict[str, Any] | LintProblem:
    """`_parse_yaml` with the pure-Python safe loader, whose messages name the problem's line."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return _problem(path, path.stem, None, f"invalid YAML{where}: {getattr(exc, 'problem', exc)}")
    return _plain(doc, path)


def _plain(doc: Any, path: Path) -> dict[str, Any] | LintProblem:
    """A pattern document is one mapping."""
    if not isinstance(doc, dict):
        got = type(doc).__name__
        return _problem(path, path.stem, None, f"expected a mapping at the top level, got {got}")
    return doc


def _read_document(path: Path) -> dict[str, Any] | LintProblem:
    """Parse a pattern file with a safe YAML loader; it must be UTF-8 text holding one mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return _problem(path, path.stem, None, f"not UTF-8 text: {exc.reason} at byte {exc.start}")
    except OSError as exc:
        return _problem(path, path.stem, None, f"cannot read: {exc}")
    return _parse_yaml(text, path)


def _schema_problems(doc: Mapping[str, Any], path: Path) -> list[LintProblem]:
    """Every schema violation of ``doc``, each as its most specific error, in document order."""
    from jsonschema.exceptions import best_match

    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    problems = []
    for error in errors:
        best = best_match([error]) or error
        where = _field_path(best.absolute_path) or None
        problems.append(_problem(path, _doc_id(doc, path), where, best.message))
    return problems


def _id_problems(doc: Mapping[str, Any], path: Path) -> list[LintProblem]:
    """A file's id must equal its name (``<id>.yaml``)."""
    value = doc.get("id")
    if not isinstance(value, str) or value == path.stem:
        return []
    return [_problem(path, value, "id", f"id {value!r} differs from the file name {path.stem!r}")]


def _regex_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (field path, regex) of a document, absence.expect included."""
    match = doc.get("match")
    found = [(f"match.{key}[{i}]", expr) for key in ("any", "all", "none")
             for i, expr in _items(match.get(key) if isinstance(match, dict) else None)]
    absence = doc.get("absence")
    if isinstance(absence, dict) and isinstance(absence.get("expect"), str):
        found.append(("absence.expect", absence["expect"]))
    return found


def _regex_problems(doc: Mapping[str, Any], path: Path) -> list[LintProblem]:
    """Every regex is RE2, under the size cap, and its named groups match ``extract``."""
    pid = _doc_id(doc, path)
    extract = doc.get("extract")
    declared = set(extract) if isinstance(extract, dict) else set()
    used: set[str] = set()
    problems = []
    for where, expr in _regex_fields(doc):
        problem = dialect_problem(expr)
        if problem:
            problems.append(_problem(path, pid, where, f"{problem}: {expr!r}"))
            continue
        names = group_names(expr)
        if where.startswith(("match.none", "absence")):
            problems += [_problem(path, pid, where, f"named group {name!r} captures nothing here")
                         for name in names]
            continue
        used.update(names)
        problems += [_problem(path, pid, where, f"named group {name!r} is not declared in extract")
                     for name in names if name not in declared]
    problems += [_problem(path, pid, f"extract.{name}",
                          f"{name!r} is declared but no regex has a group of that name")
                 for name in sorted(declared - used)]
    return problems + _when_field_problems(doc, path, declared)


def _when_field_problems(doc: Mapping[str, Any], path: Path, declared: Collection[str]) -> list[LintProblem]:
    """A rule's `when_field` and `unless_field`, and a likely cause's `unless_field`, name extracted
    fields, each with an RE2 regex."""
    pid = _doc_id(doc, path)
    rules = doc.get("rules")
    problems = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        for key in ("when_field", "unless_field"):
            problems += _field_conditions(rule.get(key) if isinstance(rule, dict) else None,
                                          f"rules[{i}].{key}", path, pid, declared)
    likely = doc.get("likely_cause")
    if isinstance(likely, dict):
        problems += _field_conditions(likely.get("unless_field"), "likely_cause.unless_field", path, pid,
                                      declared)
    return problems


def _field_conditions(
    conditions: Any, at: str, path: Path, pid: str, declared: Collection[str]
) -> list[LintProblem]:
    """The problems of one rule's field conditions (name: RE2 regex)."""
    problems = []
    for name, expr in (conditions.items() if isinstance(conditions, dict) else ()):
        where = f"{at}.{name}"
        if name not in declared:
            problems.append(_problem(path, pid, where, f"{name!r} is not an extracted field"))
        if isinstance(expr, str) and (problem := dialect_problem(expr)):
            problems.append(_problem(path, pid, where, f"{problem}: {expr!r}"))
    return problems


def _document_problems(doc: Mapping[str, Any], path: Path) -> tuple[list[LintProblem], list[LintProblem]]:
    """(schema problems, id and regex problems) of one parsed document."""
    return _schema_problems(doc, path), [*_id_problems(doc, path), *_regex_problems(doc, path)]


def _build(doc: Mapping[str, Any], path: Path, area: str) -> Pattern:
    """Turn a validated document into a frozen Pattern."""
    m = doc["match"]
    status = m.get("http_status")
    absence = doc.get("absence")
    examples = doc.get("examples", {})
    return Pattern(
        id=doc["id"], area=area, title=doc["title"], category=Category(doc["category"]),
        layer=Layer(doc["layer"]), severity=Severity(doc["severity"]), role=Role(doc["role"]),
        match=Match(
            any=tuple(m.get("any", ())), all=tuple(m.get("all", ())), none=tuple(m.get("none", ())),
            log_id=tuple(m.get("log_id", ())), resource_type=tuple(m.get("resource_type", ())),
            http_status=(int(status[0]), int(status[1])) if status else None,
            min_severity=m.get("min_severity"), min_stated_severity=m.get("min_stated_severity"),
        ),
        why=doc["why"], path=str(path), generic=bool(doc.get("generic", False)),
        persistent=None if doc.get("persistent") is None else bool(doc["persistent"]),
        until_restart=bool(doc.get("until_restart", False)),
        refuses_requests=bool(doc.get("refuses_requests", False)),
        fails_requests=bool(doc.get("fails_requests", False)),
        claims_line=bool(doc.get("claims_line", False)),
        reported_after_s=float(doc.get("reported_after_s", 0.0)),
        replacements_within_s=float(doc.get("replacements_within_s", 0.0)),
        extract={name: spec["type"] for name, spec in sorted(doc.get("extract", {}).items())},
        absence=Absence(absence["expect"], absence.get("scope", "instance"),
                        float(absence.get("within_s", 300))) if absence else None,
        causes=tuple(doc.get("causes", ())), caused_by=tuple(doc.get("caused_by", ())),
        resolved_by=tuple(doc.get("resolved_by", ())),
        rules=tuple(_rule(r) for r in doc.get("rules", ())),
        next_checks=tuple(doc.get("next_checks", ())),
        remediation=tuple(
            RemediationStep(s["action"], s.get("command"), s.get("verify"),
                            tuple(Category(c) for c in s.get("when_category", ())))
            for s in doc.get("remediation", ())
        ),
        references=tuple(doc.get("references", ())),
        examples_match=tuple(_example_line(e) for e in examples.get("match", ())),
        examples_no_match=tuple(_example_line(e) for e in examples.get("no_match", ())),
        examples_sources=tuple(e.get("source") if isinstance(e, dict) else None
                               for e in examples.get("match", ())),
        runtimes=tuple(doc.get("runtime", ())), surfaces=tuple(doc.get("surface", ())),
        likely_cause=_likely_cause(doc.get("likely_cause")),
        kind=doc.get("kind"), frames=doc.get("frames"),
    )


def _example_line(example: str | Mapping[str, str]) -> str:
    """An example is a bare line or ``{line, source}``; the line is what the regexes run on."""
    return example if isinstance(example, str) else example["line"]


def _likely_cause(raw: Mapping[str, Any] | None) -> LikelyCause | None:
    """A symptom's usual meaning, when the file declares one."""
    if not raw:
        return None
    return LikelyCause(Category(raw["category"]), float(raw["confidence"]), raw["because"],
                       tuple(raw.get("unless_any", ())),
                       tuple(sorted(dict(raw.get("unless_field") or {}).items())),
                       bool(raw.get("yields_to_new_revision", False)))


def _rule(raw: Mapping[str, Any]) -> Rule:
    """One entry of ``rules``."""
    category = raw.get("category")
    return Rule(tuple(raw.get("when_any", ())), raw["statement"], Category(category) if category else None,
                float(raw.get("confidence", 0.0)), tuple(raw.get("differs", ())),
                tuple(sorted(dict(raw.get("when_field") or {}).items())),
                tuple(sorted(dict(raw.get("unless_field") or {}).items())),
                bool(raw.get("same_revision", False)))




@dataclass(frozen=True)
class _Scanned:
    """One pattern file after the per-file checks: its document, its pattern (when the document
    fits the schema, so that later checks can run on it) and its problems."""

    path: Path
    doc: dict[str, Any] | None
    pattern: Pattern | None
    problems: tuple[LintProblem, ...]

    @property
    def id(self) -> str | None:
        """The declared id, when the file declares one."""
        value = self.doc.get("id") if self.doc else None
        return value if isinstance(value, str) else None


def _area(path: Path, root: Path) -> str:
    """The folder a pattern lives in under ``root`` (the root's own name at the top level)."""
    rel = path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else root.name


def _scan_file(path: Path, root: Path) -> _Scanned:
    """Read and check one pattern file found under ``root``."""
    doc = _read_document(path)
    if isinstance(doc, LintProblem):
        return _Scanned(path, None, None, (doc,))
    schema, others = _document_problems(doc, path)
    pattern = None if schema else _build(doc, path, _area(path, root))
    return _Scanned(path, doc, pattern, (*schema, *others))


def load_pattern(path: Path, root: Path) -> Pattern:
    """Load and validate one pattern file found under ``root``; raises PatternError (refs unchecked)."""
    scanned = _scan_file(path, root)
    blocking = [p for p in scanned.problems if p.blocking]
    if blocking or scanned.pattern is None:
        raise blocking[0].error()
    return scanned.pattern


def load_pattern_text(source: str | Mapping[str, Any], name: str = "draft") -> Pattern:
    """Validate a pattern given as YAML text or a dict by the loader's own rules; raises PatternError.

    Schema, RE2 dialect, group declarations and ``causes``/``caused_by``/``rules`` refs (against
    the built-in library, or the draft's own id) are checked as for a file; only the id-equals-
    file-name rule does not apply. Errors name ``<name>`` as the path.
    """
    path = Path(f"<{name}>")
    if isinstance(source, str):
        parsed = _parse_yaml(source, path)
    else:
        try:
            parsed = _plain(json.loads(json.dumps(source)), path)  # a plain, detached copy: YAML-like types
        except (TypeError, ValueError) as exc:
            raise PatternError(str(path), f"not plain data: {exc}") from exc
    if isinstance(parsed, LintProblem):
        raise parsed.error()
    doc = parsed
    problems = [*_schema_problems(doc, path), *_regex_problems(doc, path)]
    if problems:
        raise problems[0].error()
    pattern = _build(doc, path, name)
    known = {p.id for p in load_library().patterns} | {pattern.id}
    problems = _ref_problems(doc, path, known)
    if problems:
        raise problems[0].error()
    return pattern


# ---------------------------------------------------------------- cross-references


def _ref_problem(ref: str, known: Collection[str]) -> str | None:
    """Why ``ref`` (an id or ``category:<name>``) does not resolve, or None."""
    if ref.startswith(CATEGORY_PREFIX):
        name = ref[len(CATEGORY_PREFIX):]
        valid = {c.value for c in Category}
        return None if name in valid else f"unknown category {name!r} in {ref!r}"
    return None if ref in known else f"unknown pattern id {ref!r}"


def _ref_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (field path, ref) of a document's causes, likely_cause.unless_any, caused_by,
    resolved_by and rules."""
    refs = [(f"causes[{i}]", ref) for i, ref in _items(doc.get("causes"))]
    likely = doc.get("likely_cause")
    if isinstance(likely, dict):
        refs += [(f"likely_cause.unless_any[{i}]", ref) for i, ref in _items(likely.get("unless_any"))]
    refs += [(f"caused_by[{i}]", ref) for i, ref in _items(doc.get("caused_by"))]
    refs += [(f"resolved_by[{i}]", ref) for i, ref in _items(doc.get("resolved_by"))]
    rules = doc.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            refs += [(f"rules[{i}].when_any[{j}]", ref) for j, ref in _items(rule.get("when_any"))]
    return refs


def _ref_problems(doc: Mapping[str, Any], path: Path, known: Collection[str]) -> list[LintProblem]:
    """Every reference of ``doc`` that names no pattern (``known`` ids) and no category."""
    return [_problem(path, _doc_id(doc, path), where, problem)
            for where, ref in _ref_fields(doc) if (problem := _ref_problem(ref, known))]


# ---------------------------------------------------------------- lint: fine for analysis, not for review
#
# These problems do not stop `load_library` (analysis runs on a library that has them) but
# `rca patterns lint` reports them. Each check runs on a built Pattern, so `Library.lint()` and
# `lint_dirs` share it.

SOURCE_HINT = ("needs a source: {line, source} with the URL of the doc page, source file or public "
               "thread where this wording appears")


def _lint_problem(p: Pattern, field: str, message: str) -> LintProblem:
    """A non-blocking problem of a loaded pattern."""
    return LintProblem(p.path, p.id, field, message, blocking=False)


def _example_problems(p: Pattern) -> list[LintProblem]:
    """At least one example and one near-miss, and a source for every example."""
    problems = [] if p.examples_match else [_lint_problem(p, "examples.match", "needs at least one example")]
    problems += [_lint_problem(p, f"examples.match[{i}]", SOURCE_HINT)
                 for i, src in enumerate(p.examples_sources) if not src]
    if not p.examples_no_match:
        problems.append(_lint_problem(p, "examples.no_match", "needs at least one near-miss"))
    return problems


def _template_problems(p: Pattern) -> list[LintProblem]:
    """Placeholders in prose (why, rule statements) must name an extracted or context field, and
    no extracted field may take the name of one that says where the service runs."""
    shadowing = [LintProblem(p.path, p.id, f"extract.{name}",
                             f"field {name!r} shadows the service's own {{{name}}} in templates; "
                             "name it for what it is in the line")
                 for name in sorted(SERVICE_FIELDS & set(p.extract))]
    fillable = CONTEXT_FIELDS | set(p.extract) | (FRAME_FIELDS if p.frames == "own" else frozenset())
    texts = [("why", p.why)] + [(f"rules[{i}].statement", r.statement) for i, r in enumerate(p.rules)]
    # A rule's statement may also name the supporting finding's fields as {other_<field>}.
    return shadowing + [LintProblem(p.path, p.id, where, f"placeholder {{{name}}} is never filled")
            for where, text in texts for name in _PLACEHOLDER.findall(text)
            if name not in fillable and not (where.startswith("rules") and name.startswith("other_"))]


def _edge_use_problem(p: Pattern, key: str, ref: str, by_id: Mapping[str, Pattern]) -> str | None:
    """Why the chain (rca/reasoning/chain.py) never uses the edge ``p.<key>`` names, or None.

    The chain never takes a context finding as a cause (``edge()`` returns None for one) and never
    explains one (it explains symptoms and causes), and an edge declared on both of its ends is
    one edge written twice.
    """
    other = by_id.get(ref)
    if p.role is Role.CONTEXT:
        if key == "causes":
            return (f"{ref!r}: a context pattern is never a cause in the chain, so this edge is never "
                    "used; if the change explains a failure, say so in a rule of the failure's pattern")
        return f"{ref!r}: the chain never explains a context finding, so this edge is never used"
    if other is not None and other.role is Role.CONTEXT:
        if key == "caused_by":
            return (f"{ref!r} is a context pattern, never a cause in the chain, so this edge is never "
                    "used; name it in a rule (rules[].when_any) instead")
        return f"{ref!r} is a context pattern, which the chain never explains, so this edge is never used"
    if key == "caused_by" and other is not None and p.id in other.causes:
        return (f"{ref!r} already declares this edge in its causes: declare each edge once, "
                "on the cause side")
    return None


def _edge_problems(patterns: Sequence[Pattern]) -> list[LintProblem]:
    """Every declared edge is one the chain uses, declared once; a context pattern has no rules."""
    by_id = {p.id: p for p in patterns}
    problems = []
    for p in patterns:
        for key, refs in (("causes", p.causes), ("caused_by", p.caused_by)):
            for i, ref in enumerate(refs):
                message = (f"{ref!r} is named twice in {key}" if ref in refs[:i]
                           else _edge_use_problem(p, key, ref, by_id))
                if message:
                    problems.append(_lint_problem(p, f"{key}[{i}]", message))
        if p.role is Role.CONTEXT:
            problems += [_lint_problem(p, f"rules[{i}]", "a context pattern never ends a chain, so its "
                                       "rules never fire; move the rule to the pattern it concludes about")
                         for i in range(len(p.rules))]
    return problems


def _lint(patterns: Sequence[Pattern]) -> list[LintProblem]:
    """Every non-blocking problem of the patterns."""
    problems = [q for p in patterns for q in (*_example_problems(p), *_template_problems(p))]
    return problems + _edge_problems(patterns)


def _by_file(problems: Iterable[LintProblem]) -> list[LintProblem]:
    """Problems grouped by file (stable: within a file, in the order the checks found them)."""
    return sorted(problems, key=lambda x: x.path)


# ---------------------------------------------------------------- the library


@dataclass(frozen=True)
class Library:
    """The loaded patterns, sorted by id, with lookups by id and by reference."""

    patterns: tuple[Pattern, ...]
    ignored: frozenset[str] = frozenset()
    _by_id: dict[str, Pattern] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.patterns})

    def by_id(self, pattern_id: str) -> Pattern:
        """The pattern with this id; KeyError if there is none."""
        return self._by_id[pattern_id]

    def resolve(self, ref: str) -> tuple[Pattern, ...]:
        """Patterns an edge ref names: an id (or nothing if ignored) or every one of ``category:x``."""
        if ref.startswith(CATEGORY_PREFIX):
            category = Category(ref[len(CATEGORY_PREFIX):])
            return tuple(p for p in self.patterns if p.category is category)
        if ref in self._by_id:
            return (self._by_id[ref],)
        if ref in self.ignored:
            return ()
        raise KeyError(ref)

    def lint(self) -> list[LintProblem]:
        """What a reviewer should fix in the loaded patterns: examples and their sources, template
        fields, and edges the chain never uses or that are declared twice.

        A loaded library has no blocking problem (`load_library` raised on the first); `lint_dirs`
        checks the files themselves and reports both kinds.
        """
        return _by_file(_lint(self.patterns))

    def test(self) -> list[ExampleFailure]:
        """Run every pattern's examples through its message regexes; return the misfits."""
        failures = []
        for p in self.patterns:
            failures += [ExampleFailure(p.id, p.path, "match", i, t)
                         for i, t in enumerate(p.examples_match) if not message_matches(p, t)]
            failures += [ExampleFailure(p.id, p.path, "no_match", i, t)
                         for i, t in enumerate(p.examples_no_match) if message_matches(p, t)]
        return failures


# ---------------------------------------------------------------- loading and linting directories


def _scan_dirs(dirs: Sequence[Path]) -> tuple[list[_Scanned], dict[str, Pattern], list[LintProblem]]:
    """Check every file of each dir in order: (every file, the patterns by id, problems so far).

    A later dir's pattern replaces an earlier one with the same id; two files with one id in one
    dir is a problem on the second.
    """
    files: list[_Scanned] = []
    merged: dict[str, Pattern] = {}
    problems: list[LintProblem] = []
    for root in dirs:
        if not root.is_dir():
            problems.append(_problem(root, root.name, None, "pattern directory does not exist"))
            continue
        in_dir: dict[str, Path] = {}
        for path in sorted(root.glob("**/*.yaml")):
            if path.name.startswith("_"):
                continue  # library-wide knowledge (patterns/_knowledge.yaml), not a pattern
            scanned = _scan_file(path, root)
            files.append(scanned)
            problems += scanned.problems
            pid = scanned.id
            if pid is None:
                continue
            if pid in in_dir:
                problems.append(_problem(path, pid, "id", f"duplicate id {pid!r}, also in {in_dir[pid]}"))
                continue
            in_dir[pid] = path
            merged.pop(pid, None)
            if scanned.pattern is not None:
                merged[pid] = scanned.pattern
    return files, merged, problems


def _knowledge_problems(root: Path) -> list[LintProblem]:
    """Every problem of ``root``'s library-wide knowledge file (patterns/_knowledge.yaml), if any.

    They block like a pattern's: a category, kind or runtime nothing knows would be a link or a
    frame rule that silently never applies, and a frame regex that is not RE2 fails mid-analysis.
    """
    path = root / knowledge.FILE_NAME
    if not path.is_file():
        return []
    doc = _read_document(path)
    if isinstance(doc, LintProblem):
        return [doc]
    properties = _validator().schema["properties"]
    found = knowledge.check(doc, categories={c.value for c in Category},
                            kinds=properties["kind"]["enum"],
                            runtimes=[r for r in properties["runtime"]["items"]["enum"] if r != "any"])
    return [_problem(path, path.stem, where, message) for where, message in found]


def _check(
    dirs: Sequence[Path], *, lint: bool
) -> tuple[list[_Scanned], dict[str, Pattern], list[LintProblem]]:
    """Every file of ``dirs``, their merged patterns and every problem of their files (non-blocking
    ones with ``lint``)."""
    files, merged, problems = _scan_dirs(dirs)
    problems += [q for root in dirs if root.is_dir() for q in _knowledge_problems(root)]
    known = {f.id for f in files if f.id is not None}
    problems += [q for f in files if f.doc is not None for q in _ref_problems(f.doc, f.path, known)]
    if lint:
        problems += _lint([merged[i] for i in sorted(merged)])
    return files, merged, _by_file(problems)


def _dirs(extra_dirs: Sequence[Path], include_builtin: bool) -> list[Path]:
    """The built-in dir (unless excluded) then each extra dir, the built-in one never twice."""
    builtin = builtin_dir()
    extra = [Path(d) for d in extra_dirs]
    if not include_builtin:
        return extra
    return [builtin, *(d for d in extra if d.resolve() != builtin.resolve())]


Fingerprint = tuple[tuple[str, str], ...]


def _fingerprint(dirs: Sequence[Path]) -> Fingerprint:
    """Each dir with a digest of its pattern files' names and bytes: the cache key of a load.

    Reading and hashing the files costs a few milliseconds, parsing and checking them a second;
    any edit, addition or removal changes the key (a modification time could miss an edit made
    within the file system's clock tick), so a notebook or a long-lived process that analyses many
    windows parses the library once and still sees a pattern the moment it is edited.
    """
    out = []
    for root in dirs:
        digest = hashlib.blake2b(digest_size=16)
        for path in sorted(root.glob("**/*.yaml")) if root.is_dir() else []:
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        out.append((str(root.resolve()), digest.hexdigest()))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _checked(
    dirs: tuple[Path, ...], fingerprint: Fingerprint
) -> tuple[Mapping[str, Pattern], tuple[LintProblem, ...]]:
    """`_check` of ``dirs`` without lint, once per ``fingerprint`` in a process (patterns are frozen
    values) and, for a library without problems, once per fingerprint on the machine: the next
    process builds the patterns from the checked documents on disk (rca/library/cache.py)."""
    key = _cache_key(dirs, fingerprint)
    stored = _from_rows(cache.read(key)) if key else None
    if stored is not None:
        return types.MappingProxyType(stored), ()
    files, merged, problems = _check(dirs, lint=False)
    if key and not problems:
        cache.write(key, _to_rows(files, merged))
    return types.MappingProxyType(merged), tuple(problems)


def _cache_key(dirs: Sequence[Path], fingerprint: Fingerprint) -> str | None:
    """The on-disk cache key of a load, or None when its inputs cannot be read (no cache then)."""
    try:
        return cache.key([str(d) for d in dirs], fingerprint, _schema_path().read_bytes())
    except OSError:
        return None


def _to_rows(files: Sequence[_Scanned], merged: Mapping[str, Pattern]) -> list[cache.Row]:
    """(path, area, document) of each merged pattern, in ``merged``'s order."""
    docs = {str(f.path): f.doc for f in files if f.doc is not None}
    return [(p.path, p.area, docs[p.path]) for p in merged.values()]


def _from_rows(rows: Sequence[cache.Row] | None) -> dict[str, Pattern] | None:
    """The patterns of stored rows; None when there are none, or a row no longer builds (an entry
    edited by hand: the checks run again and rewrite it)."""
    if rows is None:
        return None
    try:
        patterns = [_build(doc, Path(path), area) for path, area, doc in rows]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None
    return {p.id: p for p in patterns}


def lint_dirs(dirs: Sequence[Path] = (), *, include_builtin: bool = True) -> list[LintProblem]:
    """Every problem of every pattern file in the built-in library (unless excluded) and ``dirs``,
    in one list grouped by file: schema, YAML, id, RE2 dialect, groups, refs, duplicate ids and the
    knowledge file's categories, kinds, runtimes and frame regexes (these block analysis), then
    examples, sources, placeholders and unused or repeated edges."""
    return _check(_dirs(dirs, include_builtin), lint=True)[2]


def load_library(
    extra_dirs: Sequence[Path] = (), ignore: Collection[str] = (), *, include_builtin: bool = True
) -> Library:
    """Load built-in patterns, then user packs (overriding by id), drop ``ignore``d ids.

    Raises PatternError for the first blocking problem (naming file and field), so analysis never
    runs on a broken library; `lint_dirs` lists them all.
    """
    dirs = tuple(_dirs(extra_dirs, include_builtin))
    merged, problems = _checked(dirs, _fingerprint(dirs))
    blocking = [p for p in problems if p.blocking]
    if blocking:
        raise blocking[0].error()
    unknown = sorted(set(ignore) - set(merged))
    if unknown:
        raise UsageError(f"cannot ignore unknown pattern id(s): {', '.join(unknown)}")
    kept = tuple(merged[i] for i in sorted(merged) if i not in set(ignore))
    return Library(kept, frozenset(ignore))
