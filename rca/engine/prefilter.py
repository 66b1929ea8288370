"""Literal atoms of a regex: strings one of which every text the regex matches contains.

The matcher's prefilter keeps the events any pattern could match. Testing every pattern's regex
costs one RE2 DFA pass per 8,000-char alternation; most library regexes, though, cannot match
without one of a few literal strings (`(?i)too many (clients|conn)` needs "too many clients" or
"too many conn", case-insensitively), and one alternation of those literals is much cheaper to
scan for. This is the idea of RE2's FilteredRE2, kept deliberately small:

- `atoms` reads a regex's structure with Python's parser and answers ``None`` whenever it is not
  sure: syntax Python and RE2 read differently (POSIX classes, `\\p`, `\\Q..\\E`, `{,n}`,
  backslash digits, mid-pattern flags) or that Python rejects gives no atoms, and so does a regex
  whose weakest required literal is shorter than `MIN_ATOM_CHARS` (it would let most lines through).
- Atoms of case-insensitive parts are tested with RE2's own `(?i:...)`, never with ``lower()``:
  RE2 folds 'ſ' to 's' and the Kelvin sign to 'k', which a lowered text would miss.
- `alternation_parts` spells the atoms as escaped RE2 literals, next to the regexes without atoms,
  for the matcher to pack into alternations.

Soundness (an expression's match implies one of its atoms is in the text) is what the tests in
tests/test_prefilter_atoms.py check, on every library example, sample and Loghub line.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, cast

if sys.version_info >= (3, 11):  # Python's own regex parser, renamed in 3.11
    import re._parser as _sre
else:  # pragma: no cover
    import sre_parse as _sre

# An atom shorter than this passes too many lines to be worth testing instead of the regex: with 4,
# "GET " let every request log of the busy benchmark through (600k of 1M lines against 116k) and
# "Error" a quarter of Loghub's; from 7 on, the atoms kept the same lines as the regexes on the
# benchmark and 13 % more on Loghub. The regexes whose best literal is shorter (13 of 667) stay.
MIN_ATOM_CHARS = 7
# Past this length an atom is selective enough: among candidate sets whose shortest atom is at least
# this long, the one with fewer characters is taken (a smaller alternation scans faster).
STRONG_ATOM_CHARS = 12
# An atom is tested by its first characters: any text holding the atom holds them. Past 20 or so,
# more characters keep no fewer lines but make the alternation longer and its DFA bigger, and a scan
# costs one DFA pass per alternation. Measured over the library (benchmarks/prefilter.py): the whole
# atoms take 4 passes of 8,000 characters, their first 20 take 3, and the scan is 25 % cheaper on
# the busy benchmark's 1M messages and 10-15 % on a Loghub mix, keeping the same lines on the first
# and 1 % more on the second (16 characters: 2 passes, but no cheaper on Loghub and 4 % more lines).
ATOM_CHARS = 20

# Constructs Python's parser reads differently from RE2 (or at all): a regex holding one gets no
# atoms. `[:` catches POSIX classes, `{,` RE2's literal reading of `x{,n}`, a backslash digit
# octal escapes and backreferences, `\p`/`\P` Unicode classes, `\Q` quoting, `\C` any byte.
_UNSURE = re.compile(r"\[:|\{,|\\[0-9pPQEC]|\(\?[a-zA-Z]*x")


class Atom(NamedTuple):
    """A literal string and whether it is compared case-insensitively (RE2 `(?i)` folding)."""

    text: str
    fold: bool


@functools.lru_cache(maxsize=4096)  # one process may analyse many times (API, tests)
def atoms(expr: str) -> frozenset[Atom] | None:
    """Literals one of which every text ``expr`` matches contains; ``None`` when there is no such set
    of literals at least `MIN_ATOM_CHARS` long, or the regex uses syntax this module does not trust."""
    if _UNSURE.search(expr):
        return None
    try:
        parsed = _sre.parse(expr)
    except (re.error, OverflowError, RecursionError):
        return None
    flags = parsed.state.flags
    if flags & (re.VERBOSE | re.LOCALE | re.ASCII):
        return None
    try:
        return _sequence(cast(Any, parsed), bool(flags & re.IGNORECASE))
    except _Unsure:
        return None


class _Unsure(Exception):
    """A construct the atom walk does not trust: the regex gets no atoms."""


# A concatenation's exact strings are multiplied out while there are at most this many
# (`start-?up (?:phase|stage)` -> four strings), then the run starts afresh.
MAX_EXACT = 16
# A character class is spelled out as exact strings when it holds at most this many characters.
MAX_CLASS = 4

_Exact = frozenset[Atom]


_TEXT = "text"  # a run of literal characters, `_texts` merges them (the walk's cost was per character)


def _texts(items: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """``items`` with each run of consecutive literals turned into one `_TEXT` item."""
    out: list[tuple[Any, Any]] = []
    for op, arg in items:
        if op is _sre.LITERAL:
            if out and out[-1][0] is _TEXT:
                out[-1] = (_TEXT, out[-1][1] + chr(arg))
            else:
                out.append((_TEXT, chr(arg)))
        else:
            out.append((op, arg))
    return out


def _sequence(items: Iterable[tuple[Any, Any]], fold: bool) -> frozenset[Atom] | None:
    """The best atom set of a concatenation. Consecutive items whose texts are a small known set
    (literals, small alternations and classes, optional parts) are multiplied out into one candidate
    set (every match contains one of its strings); any other item offers its own atom set."""
    candidates: list[frozenset[Atom]] = []
    run: _Exact = frozenset({Atom("", False)})
    for op, arg in _texts(items):
        exact = _exact(op, arg, fold)
        if exact is not None and len(run) * len(exact) <= MAX_EXACT:
            run = _product(run, exact)
            continue
        candidates.append(run)
        if exact is not None:
            run = exact
            continue
        run = frozenset({Atom("", False)})
        found = _item(op, arg, fold)
        if found is not None:
            candidates.append(found)
    candidates.append(run)
    return _best(candidates)


def _exact(op: Any, arg: Any, fold: bool) -> _Exact | None:
    """Every text one parsed item can match, when that is a small known set; else ``None``."""
    if op is _TEXT:
        return frozenset({Atom(arg, fold)})
    if op is _sre.IN and len(arg) <= MAX_CLASS and all(kind is _sre.LITERAL for kind, _ in arg):
        return frozenset(Atom(chr(c), fold) for _, c in arg)
    if op is _sre.SUBPATTERN:
        _, add, remove, body = arg
        return _exact_sequence(body, _folding(fold, add, remove))
    if op is _sre.BRANCH:
        union = _union(_exact_sequence(b, fold) for b in arg[1])
        return union if union is not None and len(union) <= MAX_EXACT else None
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and arg[:2] == (0, 1):
        body = _exact_sequence(arg[2], fold)
        return None if body is None else body | {Atom("", False)}
    return None


def _exact_sequence(items: Iterable[tuple[Any, Any]], fold: bool) -> _Exact | None:
    """Every text a concatenation can match, when each item's is known and the product is small."""
    run: _Exact = frozenset({Atom("", False)})
    for op, arg in _texts(items):
        exact = _exact(op, arg, fold)
        if exact is None or len(run) * len(exact) > MAX_EXACT:
            return None
        run = _product(run, exact)
    return run


def _product(left: _Exact, right: _Exact) -> _Exact:
    """Every string of ``left`` followed by every string of ``right`` (folding if either part does)."""
    return frozenset(Atom(a.text + b.text, a.fold or b.fold) for a in left for b in right)


def _union(sets: Iterable[frozenset[Atom] | None]) -> frozenset[Atom] | None:
    """The branches' sets together, or ``None`` when one branch has none (a text may then match
    that branch without any of the others' strings). Every branch is walked first, so one the walk
    does not trust fails the regex whatever the others hold."""
    branches = list(sets)
    if any(one is None for one in branches):
        return None
    return frozenset().union(*(one for one in branches if one is not None))


def _folding(fold: bool, add: int, remove: int) -> bool:
    """Whether a group's literals fold case, given the enclosing state and the group's flags."""
    if (add | remove) & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL):
        raise _Unsure
    return (fold or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE


def _item(op: Any, arg: Any, fold: bool) -> frozenset[Atom] | None:
    """The atom set of one parsed item whose texts are not a small known set; ``None`` when it
    requires none."""
    if op is _sre.SUBPATTERN:
        _, add, remove, body = arg
        return _sequence(body, _folding(fold, add, remove))
    if op is _sre.BRANCH:
        return _union(_sequence(b, fold) for b in arg[1])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        low, _, body = arg
        return _sequence(body, fold) if low >= 1 else None
    if op in (_TEXT, _sre.NOT_LITERAL, _sre.ANY, _sre.IN, _sre.AT, _sre.CATEGORY):
        return None
    raise _Unsure  # lookarounds, backreferences, atomic groups, possessive repeats: not RE2


def _best(candidates: Iterable[frozenset[Atom]]) -> frozenset[Atom] | None:
    """The candidate whose shortest atom is longest (up to `STRONG_ATOM_CHARS`), then the one with the
    fewest characters; ``None`` when every candidate has an atom under `MIN_ATOM_CHARS`."""
    usable = [c for c in candidates if min(len(a.text) for a in c) >= MIN_ATOM_CHARS]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(STRONG_ATOM_CHARS, *(len(a.text) for a in c)),
                                      -sum(len(a.text) for a in c), sorted(c)))


def escape(text: str) -> str:
    """``text`` as an RE2 literal: ASCII punctuation backslashed, control characters as `\\x{..}`."""
    out: list[str] = []
    for ch in text:
        if ch.isascii() and not ch.isalnum() and ch.isprintable() and ch != " ":
            out.append("\\" + ch)
        elif not ch.isprintable() or ch == "\x7f":
            out.append(f"\\x{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return "".join(out)


def minimal(found: Iterable[Atom]) -> list[Atom]:
    """``found`` without the atoms another one already implies (a text holding "timed out after"
    holds "timed out"; a folded atom covers its case-sensitive spellings), sorted. Every atom is at
    least `MIN_ATOM_CHARS` long (`_best`), so one that occurs in a text starts with one of its
    `MIN_ATOM_CHARS`-long slices: those index the kept atoms."""
    kept: list[Atom] = []
    by_head: dict[str, list[Atom]] = {}  # kept atoms by their first `MIN_ATOM_CHARS` characters
    for atom in sorted(set(found), key=lambda a: (len(a.text), a)):
        text = atom.text
        heads = (text[i : i + MIN_ATOM_CHARS] for i in range(len(text) - MIN_ATOM_CHARS + 1))
        if not any(k.text in text and (k.fold or not atom.fold) for h in heads for k in by_head.get(h, ())):
            kept.append(atom)
            by_head.setdefault(text[:MIN_ATOM_CHARS], []).append(atom)
    return sorted(kept)


def alternation_parts(exprs: Iterable[str]) -> list[str]:
    """RE2 alternatives that together match at least wherever any of ``exprs`` does: the escaped
    atoms (their first `ATOM_CHARS` characters) of the expressions that have them (folded ones under
    `(?i:...)`), then each other expression as a group. Deterministic: sorted atoms, expressions in
    the given order."""
    found: set[Atom] = set()
    kept: list[str] = []
    for expr in exprs:
        own = atoms(expr)
        if own is None:
            kept.append(f"(?:{expr})")
        else:
            found.update(Atom(atom.text[:ATOM_CHARS], atom.fold) for atom in own)
    best = minimal(found)
    plain = [escape(a.text) for a in best if not a.fold]
    folded = [f"(?i:{escape(a.text)})" for a in best if a.fold]
    return plain + folded + kept


def pack(parts: Sequence[str], max_chars: int) -> list[str]:
    """``parts`` joined by `|` into as few alternations as ``max_chars`` allows (a longer part
    alone), of about equal length. Each alternation is one RE2 pass over every message, and a pass
    costs about the same whatever it holds: filled one after the other, the last would often hold a
    few leftover parts and cost a whole pass for them; balanced, no alternation is longer than it
    must be."""
    count = len(_fill(parts, max_chars))
    target = -(-sum(len(part) + 1 for part in parts) // max(count, 1))
    while True:
        chunks = _fill(parts, target)
        if len(chunks) <= count or target >= max_chars:
            return chunks if len(chunks) <= count else _fill(parts, max_chars)
        target = min(max_chars, target + max(1, target // 100))


def _fill(parts: Sequence[str], max_chars: int) -> list[str]:
    """``parts`` joined by `|`, each alternation filled up to ``max_chars`` before the next."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for part in parts:
        if current and size + len(part) > max_chars:
            chunks.append("|".join(current))
            current, size = [], 0
        current.append(part)
        size += len(part) + 1
    if current:
        chunks.append("|".join(current))
    return chunks
