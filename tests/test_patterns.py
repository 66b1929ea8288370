"""Every pattern proves itself: its examples, and library-wide invariants.

Each pattern's examples run as their own parametrised test whose id is the pattern id,
so ``pytest -k asyncpg-connect-cancelled`` runs exactly one pattern's proof.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rca.library.loader import Library, load_library, message_matches
from rca.model import Category, Pattern

LIBRARY: Library = load_library()
MIN_PATTERNS = 80


@pytest.mark.parametrize("pattern", LIBRARY.patterns, ids=[p.id for p in LIBRARY.patterns])
def test_examples_match(pattern: Pattern) -> None:
    """Every `examples.match` text is recognised by the pattern's message regexes."""
    missed = [text for text in pattern.examples_match if not message_matches(pattern, text)]
    assert missed == []


@pytest.mark.parametrize("pattern", LIBRARY.patterns, ids=[p.id for p in LIBRARY.patterns])
def test_examples_no_match(pattern: Pattern) -> None:
    """No `examples.no_match` near-miss is recognised by the pattern's message regexes."""
    fired = [text for text in pattern.examples_no_match if message_matches(pattern, text)]
    assert fired == []


@pytest.mark.parametrize("pattern", LIBRARY.patterns, ids=[p.id for p in LIBRARY.patterns])
def test_examples_are_plentiful(pattern: Pattern) -> None:
    """Each pattern carries at least one real, sourced line it matches and two near-misses: a second
    positive line is added only when one with a source exists, never invented to fill a quota."""
    assert (len(pattern.examples_match) >= 1, len(pattern.examples_no_match) >= 2) == (True, True)


def test_library_lints_clean() -> None:
    """The shipped library has no lint problems (dialect, groups, edges, examples, templates)."""
    assert [str(p) for p in LIBRARY.lint()] == []


def test_library_examples_pass() -> None:
    """Library.test() agrees with the per-pattern tests: no example is misclassified."""
    assert [str(f) for f in LIBRARY.test()] == []


def test_library_is_large_enough() -> None:
    """The library ships at least the promised number of patterns."""
    assert len(LIBRARY.patterns) >= MIN_PATTERNS


def test_every_category_but_unknown_is_covered() -> None:
    """Every root-cause category of the contract, except unknown, has at least one pattern."""
    covered = {p.category for p in LIBRARY.patterns}
    assert set(Category) - {Category.UNKNOWN} - covered == set()


def test_every_category_can_end_a_chain() -> None:
    """Every category but unknown has a pattern with role cause, so it can be a root cause."""
    causes = {p.category for p in LIBRARY.patterns if p.role.value == "cause"}
    assert set(Category) - {Category.UNKNOWN} - causes == set()


def test_ids_are_unique_and_sorted() -> None:
    """Pattern ids are unique and the library lists them sorted."""
    ids = [p.id for p in LIBRARY.patterns]
    assert (sorted(set(ids)), ids) == (ids, sorted(ids))


def test_area_is_the_folder() -> None:
    """A pattern's area is the folder it lives in (folder path == taxonomy)."""
    wrong = [p.id for p in LIBRARY.patterns if f"/{p.area}/{p.id}.yaml" not in p.path.replace("\\", "/")]
    assert wrong == []


GOLDEN = Path(__file__).parent / "golden" / "patterns"


@pytest.mark.parametrize("folder", sorted(p for p in GOLDEN.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_golden_folder_names_a_pattern(folder: Path) -> None:
    """A golden folder is named after an existing pattern and its expected.json says the same id."""
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    entries = json.loads((folder / "entries.json").read_text(encoding="utf-8"))
    ids = {p.id for p in LIBRARY.patterns}
    actual = (folder.name in ids, expected["pattern_id"], isinstance(entries, list))
    assert (True, folder.name, True) == actual


def _why_cases() -> list[Any]:
    """(pattern, example) pairs for every match example of every pattern."""
    return [pytest.param(p, text, id=f"{p.id}-{i}") for p in load_library().patterns
            for i, text in enumerate(p.examples_match)]


@pytest.mark.parametrize(("pattern", "example"), _why_cases())
def test_why_reads_well_for_each_example(pattern: Any, example: str) -> None:
    """A pattern's `why`, filled from one of its own examples, leaves no extracted field as a gap."""
    from rca.library.loader import extract_fields
    from rca.library.templating import fill

    fields = {k: (v,) for k, v in extract_fields(pattern, example).items()}
    text = fill(pattern.why, fields, {})
    missing = [name for name in pattern.extract if f"<{name}>" in text]
    assert missing == [], text


@pytest.mark.parametrize("pattern", LIBRARY.patterns, ids=[p.id for p in LIBRARY.patterns])
def test_a_regex_that_names_no_why_field_is_shown_by_an_example(pattern: Pattern) -> None:
    """A `why` field outside `[[ ]]` that one `any` regex does not capture is filled, when a line
    matches that regex, only by another regex matching too: an example must show it does (and
    `test_why_reads_well_for_each_example` then checks the sentence). Java's stack whose header was
    logged apart matched only the `Caused by:` regex and read "The service threw <exc_type>"."""
    from rca.library.re2check import compile_re2

    required = set(re.findall(r"\{(\w+)\}", re.sub(r"\[\[.*?\]\]", "", pattern.why, flags=re.S)))
    required &= set(pattern.extract)
    always = {g for expr in pattern.match.all for g in compile_re2(expr).groupindex}
    unshown = [expr for expr in pattern.match.any
               if required - always - set(compile_re2(expr).groupindex)
               and not any(compile_re2(expr).search(line) for line in pattern.examples_match)]
    assert unshown == []


def test_a_disabled_secret_version_s_commands_name_the_secret_its_error_names() -> None:
    """Secret Manager's error names the version in full: the commands enable that version of that
    secret in its project, not `<version>` of `<secret>` (blind EP05)."""
    from rca.library.loader import extract_fields
    from rca.library.templating import fill

    pattern = next(p for p in LIBRARY.patterns if p.id == "secretmanager-version-not-enabled")
    line = ("rpc error: code = FailedPrecondition desc = Secret Version "
            "[projects/482913004417/secrets/stripe-api-key/versions/4] is in DISABLED state.")
    fields = {k: (v,) for k, v in extract_fields(pattern, line).items()}
    commands = [fill(step.command or "", fields, {"project": "acme-prod"}) for step in pattern.remediation]
    assert commands == ["gcloud secrets versions list stripe-api-key --project 482913004417",
                        "gcloud secrets versions enable 4 --secret stripe-api-key --project 482913004417"]
