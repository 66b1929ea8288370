"""The pattern library: find ``patterns/**/*.yaml``, validate, compile, cross-check.

A pattern file is data (see patterns/README.md); this module turns it into a frozen
``rca.model.Pattern`` or raises ``PatternError`` naming the file, the field and the bad value.
Built-in patterns load first, then each user pack; a user pattern replaces a built-in one with
the same id, which is how a team tunes a pattern without forking the tool.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from rca.errors import PatternError, UsageError
from rca.library.re2check import compile_re2, dialect_problem, group_names
from rca.model import Absence, Category, LikelyCause, Match, Pattern, RemediationStep, Role, Rule
from rca.resources import data_dir

CATEGORY_PREFIX = "category:"
# Fields a `frames: own` pattern gets from the re-joined stack rather than from a regex group.
FRAME_FIELDS = frozenset({"exc_type", "exc_message", "frame"})
CONTEXT_FIELDS = frozenset(
    {"service", "project", "location", "revision", "instance", "count", "first_seen", "last_seen"}
)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class LintProblem:
    """One thing wrong with a pattern, as the lint command reports it."""

    path: str
    pattern_id: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{where}: {self.message}"


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


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    """The JSON Schema validator for one pattern file (patterns/schema.json)."""
    schema = json.loads((builtin_dir() / "schema.json").read_text(encoding="utf-8"))
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


# ---------------------------------------------------------------- parsing one file


def _field_path(parts: Iterable[Any]) -> str:
    """Render a jsonschema path such as ``['match', 'any', 2]`` as ``match.any[2]``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read_document(path: Path) -> dict[str, Any]:
    """Parse a pattern file with yaml.safe_load; it must hold one mapping."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PatternError(str(path), f"invalid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise PatternError(str(path), f"cannot read: {exc}") from exc
    if not isinstance(doc, dict):
        raise PatternError(str(path), f"expected a mapping at the top level, got {type(doc).__name__}")
    return doc


def _check_schema(doc: Mapping[str, Any], path: Path) -> None:
    """Raise PatternError for the most relevant schema violation of ``doc``."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(doc))
    if error is not None:
        raise PatternError(str(path), error.message, _field_path(error.absolute_path) or None)


def _regex_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (field path, regex) of a validated document, absence.expect included."""
    match = doc.get("match", {})
    found = [(f"match.{key}[{i}]", expr) for key in ("any", "all", "none") for i, expr in
             enumerate(match.get(key, ()))]
    if "absence" in doc:
        found.append(("absence.expect", doc["absence"]["expect"]))
    return found


def _check_regexes(doc: Mapping[str, Any], path: Path) -> None:
    """Every regex is RE2, under the size cap, and its named groups match ``extract``."""
    declared = set(doc.get("extract", {}))
    used: set[str] = set()
    for where, expr in _regex_fields(doc):
        problem = dialect_problem(expr)
        if problem:
            raise PatternError(str(path), f"{problem}: {expr!r}", where)
        names = group_names(expr)
        if where.startswith(("match.none", "absence")) and names:
            raise PatternError(str(path), f"named group {names[0]!r} captures nothing here", where)
        for name in names:
            if name not in declared:
                raise PatternError(str(path), f"named group {name!r} is not declared in extract", where)
        used.update(names)
    for name in sorted(declared - used):
        raise PatternError(str(path), f"{name!r} is declared but no regex has a group of that name",
                           f"extract.{name}")


def _build(doc: Mapping[str, Any], path: Path, area: str) -> Pattern:
    """Turn a validated document into a frozen Pattern."""
    m = doc["match"]
    status = m.get("http_status")
    absence = doc.get("absence")
    examples = doc.get("examples", {})
    return Pattern(
        id=doc["id"], area=area, title=doc["title"], category=Category(doc["category"]),
        layer=doc["layer"], severity=doc["severity"], role=Role(doc["role"]),
        match=Match(
            any=tuple(m.get("any", ())), all=tuple(m.get("all", ())), none=tuple(m.get("none", ())),
            log_id=tuple(m.get("log_id", ())), resource_type=tuple(m.get("resource_type", ())),
            http_status=(int(status[0]), int(status[1])) if status else None,
            min_severity=m.get("min_severity"),
        ),
        why=doc["why"], path=str(path), generic=bool(doc.get("generic", False)),
        extract={name: spec["type"] for name, spec in sorted(doc.get("extract", {}).items())},
        absence=Absence(absence["expect"], absence.get("scope", "instance"),
                        float(absence.get("within_s", 300))) if absence else None,
        causes=tuple(doc.get("causes", ())), caused_by=tuple(doc.get("caused_by", ())),
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
                       tuple(raw.get("unless_any", ())))


def _rule(raw: Mapping[str, Any]) -> Rule:
    """One entry of ``rules``."""
    category = raw.get("category")
    return Rule(tuple(raw["when_any"]), raw["statement"], Category(category) if category else None,
                float(raw.get("confidence", 0.0)), tuple(raw.get("differs", ())))


def load_pattern(path: Path, root: Path) -> Pattern:
    """Load and validate one pattern file found under ``root``; raises PatternError."""
    doc = _read_document(path)
    _check_schema(doc, path)
    if doc["id"] != path.stem:
        raise PatternError(str(path), f"id {doc['id']!r} differs from the file name {path.stem!r}", "id")
    _check_regexes(doc, path)
    rel = path.relative_to(root)
    area = rel.parts[0] if len(rel.parts) > 1 else root.name
    return _build(doc, path, area)


def load_pattern_text(source: str | Mapping[str, Any], name: str = "draft") -> Pattern:
    """Validate a pattern given as YAML text or a dict by the loader's own rules; raises PatternError.

    Schema, RE2 dialect, group declarations and ``causes``/``caused_by``/``rules`` refs (against
    the built-in library, or the draft's own id) are checked as for a file; only the id-equals-
    file-name rule does not apply. Errors name ``<name>`` as the path.
    """
    path = Path(f"<{name}>")
    if isinstance(source, str):
        try:
            doc = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise PatternError(str(path), f"invalid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    else:
        try:
            doc = json.loads(json.dumps(source))  # a plain, detached copy: YAML-like types only
        except (TypeError, ValueError) as exc:
            raise PatternError(str(path), f"not plain data: {exc}") from exc
    if not isinstance(doc, dict):
        raise PatternError(str(path), f"expected a mapping at the top level, got {type(doc).__name__}")
    _check_schema(doc, path)
    _check_regexes(doc, path)
    pattern = _build(doc, path, name)
    known = {p.id for p in load_library().patterns} | {pattern.id}
    problems = _edge_problems([pattern], known)
    if problems:
        raise PatternError(problems[0].path, problems[0].message, problems[0].field)
    return pattern


def _load_dir(root: Path) -> dict[str, Pattern]:
    """Every pattern under ``root`` by id; two files with one id in one dir is an error."""
    if not root.is_dir():
        raise PatternError(str(root), "pattern directory does not exist")
    found: dict[str, Pattern] = {}
    for path in sorted(root.glob("**/*.yaml")):
        if path.name.startswith("_"):
            continue  # library-wide knowledge (patterns/_knowledge.yaml), not a pattern
        pattern = load_pattern(path, root)
        if pattern.id in found:
            other = found[pattern.id].path
            raise PatternError(str(path), f"duplicate id {pattern.id!r}, also in {other}", "id")
        found[pattern.id] = pattern
    return found


# ---------------------------------------------------------------- cross-references


def _ref_problem(ref: str, known: Collection[str]) -> str | None:
    """Why ``ref`` (an id or ``category:<name>``) does not resolve, or None."""
    if ref.startswith(CATEGORY_PREFIX):
        name = ref[len(CATEGORY_PREFIX):]
        valid = {c.value for c in Category}
        return None if name in valid else f"unknown category {name!r} in {ref!r}"
    return None if ref in known else f"unknown pattern id {ref!r}"


def _edge_fields(pattern: Pattern) -> list[tuple[str, str]]:
    """Every (field path, ref) of a pattern's causes, caused_by and rules."""
    refs = [(f"causes[{i}]", r) for i, r in enumerate(pattern.causes)]
    if pattern.likely_cause is not None:
        refs += [(f"likely_cause.unless_any[{i}]", r) for i, r in enumerate(pattern.likely_cause.unless_any)]
    refs += [(f"caused_by[{i}]", r) for i, r in enumerate(pattern.caused_by)]
    for i, rule in enumerate(pattern.rules):
        refs += [(f"rules[{i}].when_any[{j}]", r) for j, r in enumerate(rule.when_any)]
    return refs


def _edge_problems(patterns: Iterable[Pattern], known: Collection[str]) -> list[LintProblem]:
    """Every unresolved reference among ``patterns``."""
    problems = []
    for pattern in patterns:
        for where, ref in _edge_fields(pattern):
            problem = _ref_problem(ref, known)
            if problem:
                problems.append(LintProblem(pattern.path, pattern.id, where, problem))
    return problems


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
        """Everything a reviewer should fix: dialect, groups, edges, examples, template fields."""
        problems: list[LintProblem] = []
        seen: dict[str, str] = {}
        for p in self.patterns:
            if p.id in seen:
                problems.append(LintProblem(p.path, p.id, "id", f"duplicate id, also in {seen[p.id]}"))
            seen[p.id] = p.path
            problems += _pattern_problems(p)
        problems += _edge_problems(self.patterns, set(seen) | self.ignored)
        return sorted(problems, key=lambda x: (x.path, x.field or "", x.message))

    def test(self) -> list[ExampleFailure]:
        """Run every pattern's examples through its message regexes; return the misfits."""
        failures = []
        for p in self.patterns:
            failures += [ExampleFailure(p.id, p.path, "match", i, t)
                         for i, t in enumerate(p.examples_match) if not message_matches(p, t)]
            failures += [ExampleFailure(p.id, p.path, "no_match", i, t)
                         for i, t in enumerate(p.examples_no_match) if message_matches(p, t)]
        return failures


def _pattern_problems(p: Pattern) -> list[LintProblem]:
    """Per-pattern lint: RE2 dialect, group declarations, examples present, template fields."""
    problems = []
    exprs = [(f"match.{k}[{i}]", e) for k in ("any", "all", "none")
             for i, e in enumerate(getattr(p.match, k))]
    if p.absence:
        exprs.append(("absence.expect", p.absence.expect))
    used: set[str] = set()
    for where, expr in exprs:
        problem = dialect_problem(expr)
        if problem:
            problems.append(LintProblem(p.path, p.id, where, problem))
            continue
        used.update(group_names(expr))
    for name in sorted(used ^ set(p.extract)):
        problems.append(LintProblem(p.path, p.id, "extract", f"group {name!r} is not both used and declared"))
    if not p.examples_match:
        problems.append(LintProblem(p.path, p.id, "examples.match", "needs at least one example"))
    problems += [
        LintProblem(p.path, p.id, f"examples.match[{i}]",
                    "needs a source: {line, source} with the URL of the doc page, source file or public "
                    "thread where this wording appears")
        for i, src in enumerate(p.examples_sources) if not src
    ]
    if not p.examples_no_match:
        problems.append(LintProblem(p.path, p.id, "examples.no_match", "needs at least one near-miss"))
    problems += _template_problems(p)
    return problems


def _template_problems(p: Pattern) -> list[LintProblem]:
    """Placeholders in prose (why, rule statements) must name an extracted or context field."""
    fillable = CONTEXT_FIELDS | set(p.extract) | (FRAME_FIELDS if p.frames == "own" else frozenset())
    texts = [("why", p.why)] + [(f"rules[{i}].statement", r.statement) for i, r in enumerate(p.rules)]
    # A rule's statement may also name the supporting finding's fields as {other_<field>}.
    return [LintProblem(p.path, p.id, where, f"placeholder {{{name}}} is never filled")
            for where, text in texts for name in _PLACEHOLDER.findall(text)
            if name not in fillable and not (where.startswith("rules") and name.startswith("other_"))]


def _merge(dirs: Sequence[Path]) -> dict[str, Pattern]:
    """Load each dir in order; a later dir's pattern replaces an earlier one with the same id."""
    merged: dict[str, Pattern] = {}
    for root in dirs:
        merged.update(_load_dir(Path(root)))
    return merged


def load_library(
    extra_dirs: Sequence[Path] = (), ignore: Collection[str] = (), *, include_builtin: bool = True
) -> Library:
    """Load built-in patterns, then user packs (overriding by id), drop ``ignore``d ids, check edges."""
    dirs = [builtin_dir(), *extra_dirs] if include_builtin else list(extra_dirs)
    merged = _merge(dirs)
    unknown = sorted(set(ignore) - set(merged))
    if unknown:
        raise UsageError(f"cannot ignore unknown pattern id(s): {', '.join(unknown)}")
    problems = _edge_problems(merged.values(), set(merged))
    if problems:
        first = problems[0]
        raise PatternError(first.path, first.message, first.field)
    kept = tuple(merged[i] for i in sorted(merged) if i not in set(ignore))
    return Library(kept, frozenset(ignore))
