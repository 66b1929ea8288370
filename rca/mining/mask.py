"""Mask volatile tokens (numbers, ids, addresses, paths, times) before mining templates.

Two messages that differ only in a request id, a port or a duration are the same event;
masking those values first lets the template miner and the clustering see that. The masks
are named (``<NUM>``, ``<IP>``, ...) so that a drafted pattern can turn each back into a
regex class that fits it.

All masks live in one alternation compiled once. At any position the alternatives are
tried in the order of ``_MASKS``, so the specific shapes (timestamps, URLs, UUIDs,
addresses) win over the generic ones (hex runs, numbers) that would otherwise eat them
piecemeal. Output depends on the input text only.
"""

from __future__ import annotations

import functools
import re
from typing import Final

# (name, regex). Order matters: earlier entries win at the same start position.
_MASKS: Final[tuple[tuple[str, str], ...]] = (
    # 2024-05-01T12:00:03.123Z, 2024-05-01 12:00:03,123, 2024/05/01 12:00:03 +0000
    ("TS", r"\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|\s?[+-]\d{2}:?\d{2})?)?"),
    # 12:00:03 and 12:00:03.123 (a bare clock time)
    ("TIME", r"(?<![\w:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])"),
    ("URL", r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+"),
    ("EMAIL", r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    ("UUID", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    # 10.1.2.3 and 10.1.2.3:5432, not the head of a longer dotted number
    ("IP", r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w]|\.\d)"),
    # fe80::1, [2001:db8::1]:443, full 8-group form; a digit is required (so not a::b)
    (
        "IP6",
        r"(?<![\w:])(?=[\[\]0-9a-fA-F:]*\d)\[?(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
        r"|(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{0,4}::(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{0,4})"
        r"\]?(?::\d{1,5})?(?![\w:])",
    ),
    # db.internal:5432, localhost:8080
    ("HOSTPORT", r"(?<![\w.-])(?:localhost|(?:[A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*):\d{1,5}(?![\w])"),
    # /var/log/app.log, C:\Users\x, ./run.sh
    ("PATH", r"(?<![\w./~-])(?:\.{1,2}|~)?(?:/[\w.@%+~=,-]+)+/?|\b[A-Za-z]:\\[^\s\"'<>|]*"),
    # a quoted single token ('foo', "abc-123"); quoted phrases keep their words and are masked inside
    ("QUOTED", r"(?<![\w\"])\"[^\"\s]{1,200}\"|(?<![\w'])'[^'\s]{1,200}'(?!\w)"),
    # 0x1f, and runs of 8+ hex digits holding both a digit and a letter (all digits is a NUM)
    (
        "HEX",
        r"\b0[xX][0-9a-fA-F]+\b"
        r"|(?<![\w-])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}(?![\w-])",
    ),
    # 8.0s, 120ms, 3 seconds, 1.5h
    (
        "DURATION",
        r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?)"
        r"(?![\w])",
    ),
    # 512MB, 1.5 GiB, 403 bytes, and "403 bytes (0.4 KB)" as one value
    (
        "SIZE",
        r"(?<![\w.])\d+(?:\.\d+)?\s?(?:[KMGTP]i?B|[kKMGT]b|B|bytes)(?![\w])"
        r"(?:\s\(\d+(?:\.\d+)?\s?(?:[KMGTP]i?B|B)\))?",
    ),
    # numbers not glued to a letter on their left: 42, -7, 3.14, the 123 of blk_123 and core.123
    ("NUM", r"(?<![A-Za-z0-9])[-+]?\d+(?:\.\d+)*(?![A-Za-z])"),
)

MASK_NAMES: Final[tuple[str, ...]] = tuple(name for name, _ in _MASKS)

# What each mask cannot match without: a digit (``"0"`` stands for any digit) and one of the
# listed substrings. Checking these with ``in`` first lets a word that no mask could match skip
# the regex altogether.
_NEEDS: Final[dict[str, tuple[bool, tuple[str, ...]]]] = {
    "TS": (True, ("-", "/")),
    "TIME": (True, (":",)),
    "URL": (False, ("://",)),
    "EMAIL": (False, ("@",)),
    "UUID": (False, ("-",)),
    "IP": (True, (".",)),
    "IP6": (True, (":",)),
    "HOSTPORT": (True, (":",)),
    "PATH": (False, ("/", "\\")),
    "QUOTED": (False, ('"', "'")),
    "HEX": (True, ()),
    "DURATION": (True, ()),
    "SIZE": (True, ()),
    "NUM": (True, ()),
}
_DIGIT_RE: Final = re.compile(r"\d")
_SPLIT_RE: Final = re.compile(r"(\s+)")
_UNIT_RE: Final = r"(?:[KMGTP]i?B|[kKMGT]b|B|bytes)(?![\w])"
# Masks across a space, applied to the word-masked text.
_JOIN_RE: Final = re.compile(
    r"(?P<TS><TS>[ T]<TIME>)"
    r"|(?P<DURATION><NUM> (?:ns|us|µs|ms|s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?)(?![\w]))"
    rf"|(?P<SIZE>(?:<NUM> {_UNIT_RE}|<SIZE>)(?: \((?:<NUM> ?{_UNIT_RE[:-8]}|<SIZE>)\))?)"
)
# One alternation of every mask, compiled once: a mask whose needs are absent from a word cannot
# match it, so the full alternation masks a word exactly as the alternation of its applicable masks
# would. Compiling one alternation per set of applicable masks (about 60 sets on one sample) cost
# 0.17 s per process, against under 2 ms for this one, and saved little per word.
_ALL_MASKS: Final = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _MASKS))
_PLACEHOLDER_RE: Final = re.compile(r"<(?:" + "|".join(MASK_NAMES) + r")>")
_TOKEN_RE: Final = re.compile(r"\S+")


def _replace(match: re.Match[str]) -> str:
    """Return the placeholder for one mask match."""
    return f"<{match.lastgroup}>"


_FEATURES: Final[tuple[str, ...]] = tuple(
    sorted({part for _, needs_any in _NEEDS.values() for part in needs_any})
)


def _maskable(text: str) -> bool:
    """Whether some mask's required characters all occur in ``text`` (else no mask can match it)."""
    digit = _DIGIT_RE.search(text) is not None
    return _some_mask_possible(digit, tuple(part in text for part in _FEATURES))


@functools.cache
def _some_mask_possible(digit: bool, present: tuple[bool, ...]) -> bool:
    """Whether any mask is possible given which required characters are present."""
    found = {part for part, here in zip(_FEATURES, present, strict=True) if here}
    return any(
        (digit or not needs_digit) and (not needs_any or any(part in found for part in needs_any))
        for needs_digit, needs_any in _NEEDS.values()
    )


@functools.lru_cache(maxsize=1 << 16)
def _mask_word(word: str) -> str:
    """Mask one whitespace-free word (memoised: most words of a log recur verbatim)."""
    if word.isdigit():
        return "<NUM>"
    return _ALL_MASKS.sub(_replace, word) if _maskable(word) else word


def _join_word_masks(text: str) -> str:
    """Re-join the masks that span a space: ``<NUM> ms``, ``<NUM> bytes (<NUM> KB)``, ``<TS> <TIME>``."""
    if "> " not in text:
        return text
    return _JOIN_RE.sub(_replace, text)


def _masked_parts(text: str) -> list[str]:
    """``text`` split around its whitespace runs, each word masked: the runs sit at the odd
    positions (the split captures them) and never hold a maskable value, so only the words pass
    through `_mask_word`."""
    parts = _SPLIT_RE.split(text)
    parts[::2] = map(_mask_word, parts[::2])
    return parts


def mask(text: str) -> str:
    """Replace every volatile value in ``text`` with a named placeholder such as ``<NUM>``.

    Words are masked one at a time (a memoised lookup for the words that recur) and the few
    masks that span a space are joined afterwards; whitespace is kept as it was.
    """
    return _join_word_masks("".join(_masked_parts(text)))


def tokens(text: str) -> list[str]:
    """Mask ``text`` and split the result on whitespace into mining tokens.

    When no mask spans a space (no ``"> "`` in the masked text) the tokens are the masked words
    themselves, so the text is not searched again: the miner calls this for every message.
    """
    parts = _masked_parts(text)
    masked = "".join(parts)
    if "> " in masked:
        return _TOKEN_RE.findall(_join_word_masks(masked))
    return [word for word in parts[::2] if word]


def is_placeholder(token: str) -> bool:
    """True when ``token`` is exactly one mask placeholder (``<NUM>``, ``<IP>``, ...)."""
    return _PLACEHOLDER_RE.fullmatch(token) is not None


def has_placeholder(token: str) -> bool:
    """True when ``token`` contains a mask placeholder anywhere (``blk_<NUM>``)."""
    return "<" in token and _PLACEHOLDER_RE.search(token) is not None


_WORD_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` once its volatile values are masked out (for TF-IDF)."""
    return [word.lower() for word in _WORD_RE.findall(_PLACEHOLDER_RE.sub(" ", mask(text)))]


def clear_cache() -> None:
    """Forget memoised words (for fair timing; results never depend on the cache)."""
    _mask_word.cache_clear()
