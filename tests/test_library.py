"""The loader fails loudly and specifically, and user packs compose with the built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from rca.errors import PatternError, UsageError
from rca.library.loader import extract_fields, load_library, message_matches
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


def test_lint_reports_missing_examples_and_unfilled_placeholders(tmp_path: Path) -> None:
    """lint() flags a pattern without near-misses and a why placeholder nothing fills."""
    body = VALID.format(id="demo-pattern", regex="timed out", extract="{}", causes="[]")
    body = body.replace("  no_match: ['all good']\n", "").replace('"Something failed"', '"{host} failed"')
    write(tmp_path, text=body)
    fields = sorted(p.field or "" for p in load_library([tmp_path], include_builtin=False).lint())
    assert fields == ["examples.no_match", "why"]


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
