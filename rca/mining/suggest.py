"""Draft a pattern (patterns/README.md format) for a group of messages no pattern explains.

The draft is a starting point for a human: an id slugged from the template, a category,
layer and severity guessed from keywords, an RE2 regex generalised from the template
(literal text escaped, each variable part a bounded class), and proof examples taken
from the data: real messages of the group it must match and other messages it must not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import re2
import yaml

from rca.mining.mask import MASK_NAMES

# (regex over the lower-cased template, category), first hit wins: specific before generic.
_CATEGORY_HINTS: Final[tuple[tuple[str, str], ...]] = (
    (r"certificate|x509|ssl|tls|handshake", "tls-certificate"),
    (r"out of memory|oom|memory limit|cannot allocate|killed.*137", "memory-limit-exceeded"),
    (
        r"too many (connections|clients)|pool (exhausted|limit|timeout)|queuepool",
        "db-connection-pool-exhausted",
    ),
    (r"permission denied|forbidden|\b403\b|access denied|not authori[sz]ed|iam", "permission-denied"),
    (r"quota|rate limit|\b429\b|too many requests|resource ?exhausted", "quota-or-rate-limit"),
    (r"no space left|read-only file system|disk full|no such file", "disk-or-filesystem"),
    (
        r"refused|unreachable|no route|timed? ?out.*connect|connect.*timed? ?out|dns|resolve|econn",
        "network-connectivity",
    ),
    (r"database|postgres|mysql|sql|the database system", "database-unavailable"),
    (r"modulenotfound|no module named|importerror|exec format|cannot import", "broken-build"),
    (
        r"environment variable|not set|missing|config|credential|password authentication",
        "missing-configuration",
    ),
    (r"\bport\b|listen|bind", "port-mismatch"),
    (r"deadline|timeout|timed out", "request-timeout"),
    (r"upstream|bad gateway|\b50[234]\b|service unavailable", "upstream-service-failure"),
)
_LAYERS: Final[dict[str, str]] = {
    "tls-certificate": "network",
    "memory-limit-exceeded": "runtime",
    "db-connection-pool-exhausted": "database",
    "permission-denied": "platform",
    "quota-or-rate-limit": "platform",
    "disk-or-filesystem": "runtime",
    "network-connectivity": "network",
    "database-unavailable": "database",
    "broken-build": "deploy",
    "missing-configuration": "deploy",
    "port-mismatch": "platform",
    "request-timeout": "application",
    "upstream-service-failure": "dependency",
    "application-exception": "application",
}
_SEVERITY_HINTS: Final[tuple[tuple[str, str], ...]] = (
    (r"fatal|panic|critical|emergency|out of memory|killed", "critical"),
    (r"warn|deprecat|retrying|slow", "warning"),
)
_PLACEHOLDER_SPLIT: Final = re.compile(r"(<\*>|<(?:" + "|".join(MASK_NAMES) + r")>)")
# Masks whose value may hold spaces ("3 seconds", "2024-05-01 12:00:03") get a class that allows them.
_SPACED: Final[frozenset[str]] = frozenset({"<TS>", "<DURATION>", "<SIZE>", "<*>"})
_RE2_SPECIAL: Final = re.compile(r"([\\.^$|?*+()\[\]{}-])")
_SLUG_WORD: Final = re.compile(r"[a-z][a-z0-9]*")


def _guess(text: str, hints: Sequence[tuple[str, str]], default: str) -> str:
    """Value of the first hint whose regex occurs in the lower-cased ``text``, else ``default``."""
    lowered = text.lower()
    return next((value for rx, value in hints if re.search(rx, lowered)), default)


def slug(template: str, max_words: int = 6) -> str:
    """Pattern id from a template's literal words; a short hash when it has none."""
    literal = _PLACEHOLDER_SPLIT.sub(" ", template).lower()
    parts = _SLUG_WORD.findall(literal)[:max_words]
    if parts:
        return "-".join(parts)[:64].strip("-")
    return "mined-" + hashlib.sha1(template.encode()).hexdigest()[:8]


def _escape(literal: str) -> str:
    """Escape RE2 metacharacters in a literal run (RE2 accepts a backslash before punctuation)."""
    return _RE2_SPECIAL.sub(r"\\\1", literal)


def _field_name(piece: str, used: dict[str, int]) -> str:
    """A field name for a placeholder (``<IP>`` -> ``ip``, a second one ``ip_2``), so the variable
    parts of a drafted pattern become fields the report can show."""
    base = re.sub(r"[^a-z0-9]+", "_", piece.strip("<>").lower()).strip("_") or "value"
    base = "value" if base == "" or not base[0].isalpha() else base
    used[base] = used.get(base, 0) + 1
    return base if used[base] == 1 else f"{base}_{used[base]}"


def _token_regex(token: str, used: dict[str, int] | None = None) -> str:
    """Regex for one template token: literals escaped, placeholders as bounded lazy classes (named
    groups when ``used`` collects field names)."""
    pieces = []
    for piece in _PLACEHOLDER_SPLIT.split(token):
        if not piece:
            continue
        if not _PLACEHOLDER_SPLIT.fullmatch(piece):
            pieces.append(_escape(piece))
            continue
        body = r".{1,200}?" if piece in _SPACED else r"\S{1,200}?"
        pieces.append(body if used is None else f"(?P<{_field_name(piece, used)}>{body})")
    return "".join(pieces)


def template_regex(template: str, used: dict[str, int] | None = None) -> str:
    """RE2 regex generalised from a template: tokens in order, any run of whitespace between them."""
    return r"\s+".join(_token_regex(token, used) for token in template.split())


def _title(template: str, limit: int = 100) -> str:
    """The template as a title, cut at a word boundary (never mid-word) when it is long."""
    if len(template) <= limit:
        return template
    cut = template[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


def _near_misses(regex: re2._Regexp, template: str, others: Sequence[str], limit: int) -> list[str]:
    """Messages the regex must not match, nearest first: those sharing the most literal words with
    the template are the ones a too-loose regex would catch."""
    words = set(_SLUG_WORD.findall(_PLACEHOLDER_SPLIT.sub(" ", template).lower()))
    candidates = _matching(regex, others, False, 200)

    def overlap(message: str) -> float:
        theirs = set(_SLUG_WORD.findall(message.lower()))
        return len(words & theirs) / (len(words | theirs) or 1)

    ranked = sorted(enumerate(candidates), key=lambda item: (-overlap(item[1]), item[0]))
    return [message for _, message in ranked[:limit]]


def _matching(regex: re2._Regexp, messages: Sequence[str], want: bool, limit: int) -> list[str]:
    """Up to ``limit`` distinct messages, in input order, that do (or do not) match ``regex``."""
    chosen: list[str] = []
    for message in messages:
        if message not in chosen and (regex.search(message) is not None) == want:
            chosen.append(message)
            if len(chosen) == limit:
                break
    return chosen


def draft_pattern(
    template: str, group: Sequence[str], others: Sequence[str], count: int | None = None, source: str = ""
) -> dict[str, Any]:
    """Draft a pattern dict for the messages of ``group`` (mined ``template``).

    ``others`` are messages from the same data outside the group; two that the regex does not
    match become ``no_match`` examples. ``count`` (default ``len(group)``) goes into ``why``.
    ``source`` (a URL, e.g. ``file:///…/incident.json``) is where the matched lines were read: a
    drafted example carries its provenance like a shipped one.
    """
    fields: dict[str, int] = {}
    regex = template_regex(template, fields)
    compiled = re2.compile(regex)
    category = _guess(template, _CATEGORY_HINTS, "application-exception")
    seen = len(group) if count is None else count
    names = [name for name in re2.compile(regex).groupindex]
    draft: dict[str, Any] = {
        "id": slug(template),
        "title": f"Mined: {_title(template)}",
        "category": category,
        "layer": _LAYERS[category],
        "severity": _guess(template, _SEVERITY_HINTS, "error"),
        "role": "cause",
        "match": {"any": [regex]},
        "extract": {name: {"type": "str"} for name in sorted(names)},
        "why": f"The service logged “{_title(template, 160)}” {seen} times; no library pattern explains it",
        "next_checks": [
            "Which component writes this message, and did it start with the incident?",
            "Does the message also appear in the baseline window, and at what rate?",
        ],
        "examples": {
            "match": [{"line": line, "source": source} if source else line
                      for line in _matching(compiled, group, True, 3)],
            "no_match": _near_misses(compiled, template, others, 2),
        },
    }
    if not names:
        del draft["extract"]
    return draft


def with_causes(draft: dict[str, Any], support: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The draft with `causes` edges to the symptoms it co-occurs with (id -> why, from the same
    data), placed where patterns/README.md puts them; each edge gets a check for the reviewer,
    since co-occurrence proposes a link that only a human can confirm."""
    if not support:
        return draft
    anchor = "extract" if "extract" in draft else "match"
    out: dict[str, Any] = {}
    for key, value in draft.items():
        out[key] = value
        if key == anchor:
            out["causes"] = sorted(support)
    out["next_checks"] = [
        *draft.get("next_checks", []),
        *(f"Drafted edge to {ref} ({'; '.join(why)}): does this failure really produce it?"
          for ref, why in sorted(support.items())),
    ]
    return out


def to_yaml(draft: dict[str, Any]) -> str:
    """Render a draft as pattern YAML, keys in the order of patterns/README.md."""
    return yaml.safe_dump(draft, sort_keys=False, allow_unicode=True, width=110)
