"""RE2 dialect checks for pattern regexes.

Patterns run in three engines that all speak RE2: DuckDB's ``regexp_matches``, Cloud Logging's
``=~`` filter and BigQuery's ``REGEXP_CONTAINS``. RE2 guarantees linear time by leaving out
backtracking features, so a regex written for Python's ``re`` can fail to compile there, or worse,
compile in one engine and not in another. This module rejects the non-RE2 constructs with a message
that names the construct, then compiles with the ``re2`` module (google-re2) to catch the rest.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import re2

MAX_REGEX_CHARS = 2000

# (prefix after an unescaped "(", human name). Checked longest first.
_GROUP_CONSTRUCTS: tuple[tuple[str, str], ...] = (
    ("(?<=", "lookbehind (?<=...)"),
    ("(?<!", "negative lookbehind (?<!...)"),
    ("(?=", "lookahead (?=...)"),
    ("(?!", "negative lookahead (?!...)"),
    ("(?>", "atomic group (?>...)"),
    ("(?(", "conditional group (?(...)...)"),
    ("(?P=", "named backreference (?P=name)"),
    ("(?#", "inline comment (?#...)"),
)
_BARE_NAMED_GROUP = re.compile(r"\(\?<[A-Za-z_]")
_POSSESSIVE = frozenset("*+?}")


def _escape_problem(expr: str, i: int) -> str | None:
    """Name the unsupported escape starting at ``expr[i] == '\\\\'``, if it is one."""
    nxt = expr[i + 1] if i + 1 < len(expr) else ""
    if nxt.isdigit() and nxt != "0":
        return f"backreference \\{nxt} (RE2 has no backreferences)"
    if nxt in ("k", "g") and i + 2 < len(expr) and expr[i + 2] in "<{'":
        return f"named backreference \\{nxt}{expr[i + 2]}...> (RE2 has no backreferences)"
    if nxt == "Z":
        return "\\Z (RE2 spells end of text \\z)"
    return None


def _group_problem(expr: str, i: int) -> str | None:
    """Name the unsupported group construct opening at ``expr[i] == '('``, if it is one."""
    for prefix, name in _GROUP_CONSTRUCTS:
        if expr.startswith(prefix, i):
            return f"{name} is not supported by RE2"
    if _BARE_NAMED_GROUP.match(expr, i):
        return "named group (?<name>...) is not portable across RE2 versions; write (?P<name>...)"
    return None


def _skip_class(expr: str, i: int) -> int:
    """Return the index just past the character class opening at ``expr[i] == '['``."""
    j = i + 1
    if j < len(expr) and expr[j] == "^":
        j += 1
    if j < len(expr) and expr[j] == "]":
        j += 1
    while j < len(expr) and expr[j] != "]":
        j += 2 if expr[j] == "\\" else 1
    return j + 1


def unsupported_construct(expr: str) -> str | None:
    """Describe the first construct of ``expr`` that RE2 rejects by design, or None."""
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch == "\\":
            problem = _escape_problem(expr, i)
            if problem:
                return problem
            i += 2
            continue
        if ch == "[":
            i = _skip_class(expr, i)
            continue
        if ch == "(":
            problem = _group_problem(expr, i)
            if problem:
                return problem
        if ch in _POSSESSIVE and i + 1 < len(expr) and expr[i + 1] == "+" and _quantifies(expr, i):
            return f"possessive quantifier {ch}+ is not supported by RE2"
        i += 1
    return None


def _quantifies(expr: str, i: int) -> bool:
    """True when ``expr[i]`` is a quantifier rather than the start of the expression."""
    return i > 0 and expr[i - 1] not in "(|"


def dialect_problem(expr: str) -> str | None:
    """Explain why ``expr`` is not a usable RE2 pattern for the library, or return None."""
    if len(expr) > MAX_REGEX_CHARS:
        return f"expression is {len(expr)} characters, over the {MAX_REGEX_CHARS}-character cap"
    construct = unsupported_construct(expr)
    if construct:
        return construct
    try:
        compile_re2(expr)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return f"does not compile in RE2: {detail}"
    return None


def _quiet_options() -> re2.Options:
    """RE2 options that keep compile errors out of stderr (we report them ourselves)."""
    options = re2.Options()
    options.log_errors = False
    return options


@functools.lru_cache(maxsize=4096)
def compile_re2(expr: str) -> re2._Regexp:
    """Compile ``expr`` with RE2 once; raises ``re2.error`` when it is invalid."""
    return re2.compile(expr, options=_quiet_options())


# An RE2::Set's DFA budget. The library's ~1,100 regexes in one set do not compile under 16 MB (the
# set's DFA must hold its first states); 64 MB compiled in 0.15 s and ran 35k busy-service messages
# in 0.06 CPU-s, 32 MB in 0.08. It is a ceiling on the state cache, not an allocation.
SET_MAX_MEM = 64 << 20


class RegexSet:
    """Many RE2 regexes matched in one pass over a text (RE2::Set, unanchored search): which of
    them the text matches, as `compile_re2(expr).search(text)` would answer each one.

    A set cannot silently miss: once it compiled, RE2's set DFA never gives up on a text (re2/dfa.cc:
    "RE2::Set cannot fall back, so we just have to keep on keeping on"; a budget too small for it
    fails the compile, which raises here)."""

    def __init__(self, exprs: Sequence[str]) -> None:
        options = _quiet_options()
        options.max_mem = SET_MAX_MEM
        self._set = re2.Set.SearchSet(options)
        for expr in exprs:
            self._set.Add(expr)
        self._set.Compile()

    def matches(self, text: str) -> list[int]:
        """The positions (in the order given) of the regexes ``text`` matches, ascending."""
        return sorted(self._set.Match(text) or ())


@functools.lru_cache(maxsize=8)  # one per library in use: compiling ~1,100 regexes costs 0.15 s
def regex_set(exprs: tuple[str, ...]) -> RegexSet:
    """The compiled `RegexSet` of ``exprs``, once per process."""
    return RegexSet(exprs)


def group_names(expr: str) -> tuple[str, ...]:
    """Named capture groups of a compiled RE2 expression, in order of appearance."""
    index = compile_re2(expr).groupindex
    return tuple(sorted(index, key=lambda name: index[name]))
