"""A small evaluator for the part of the Logging query language that rca sends.

Supported: comparisons ``field OP value`` with OP in ``= != < <= > >= : =~ !~``, the presence
test ``field:*`` (true when the entry has the field, as in the real API), the functions
``log_id("...")`` and ``sample(insertId, F)``, ``AND`` / ``OR`` / ``NOT`` with the language's
precedence (NOT > OR > AND), implicit AND between adjacent terms, and parentheses. Severity
compares by rank, ``timestamp`` by instant, numbers numerically, strings case-insensitively
(regexes are case-sensitive RE2). A comparison on a missing field is false, as in the real API.
Anything else raises ``FilterSyntaxError``, which the fake answers with HTTP 400.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from rca.severity import SEVERITY_NUM  # the documented LogEntry table: one copy

try:
    import re2 as _regex_engine  # the engine Cloud Logging uses
except ImportError:  # pragma: no cover - google-re2 is a dependency of rca
    _regex_engine = re


Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|!=|=~|!~|[=<>:(),*])|(?P<word>[A-Za-z0-9_.@/%+\-]+))'
)


class FilterSyntaxError(ValueError):
    """The filter uses syntax this evaluator does not know."""


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def parse(text: str) -> Predicate:
    """Compile a filter into a predicate over canonical entry dicts."""
    parser = _Parser(_tokens(text))
    predicate = parser.expression()
    if parser.peek() is not None:
        raise FilterSyntaxError(f"unexpected {parser.peek()!r}")
    return predicate


def _tokens(text: str) -> list[_Tok]:
    """Split a filter into string, operator and word tokens."""
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterSyntaxError(f"cannot read filter at {text[pos : pos + 30]!r}")
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind)))
        pos = m.end()
    return out


def _unquote(token: str) -> str:
    """The value of a string literal (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", token[1:-1])


class _Parser:
    """Recursive descent: and_expr := or_expr+ ; or_expr := not_expr (OR not_expr)* ."""

    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise FilterSyntaxError("filter ends too early")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise FilterSyntaxError(f"expected {text!r}, got {tok.text!r}")

    def expression(self) -> Predicate:
        parts = [self.or_expr()]
        while (tok := self.peek()) is not None and tok.text != ")":
            if tok.text == "AND":
                self.take()
            parts.append(self.or_expr())
        return lambda e: all(p(e) for p in parts)

    def or_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while (tok := self.peek()) is not None and tok.text == "OR":
            self.take()
            parts.append(self.not_expr())
        return lambda e: any(p(e) for p in parts)

    def not_expr(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.text == "NOT":
            self.take()
            inner = self.not_expr()
            return lambda e: not inner(e)
        return self.primary()

    def primary(self) -> Predicate:
        tok = self.take()
        if tok.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if tok.kind != "word":
            raise FilterSyntaxError(f"unexpected {tok.text!r}")
        nxt = self.peek()
        if nxt is not None and nxt.text == "(":
            return self.function(tok.text)
        op = self.take()
        if op.kind != "op" or op.text in "(),":
            raise FilterSyntaxError(f"expected an operator after {tok.text!r}")
        value = self.take()
        if op.text == ":" and value.kind == "op" and value.text == "*":
            path = tok.text
            return lambda e: _field(e, path) is not None
        if value.kind == "op":
            raise FilterSyntaxError(f"unexpected {value.text!r} after {tok.text}{op.text}")
        literal = _unquote(value.text) if value.kind == "str" else value.text
        return _comparison(tok.text, op.text, literal)

    def function(self, name: str) -> Predicate:
        self.expect("(")
        args: list[str] = []
        while (tok := self.take()).text != ")":
            if tok.text != ",":
                args.append(_unquote(tok.text) if tok.kind == "str" else tok.text)
        if name == "log_id" and len(args) == 1:
            wanted = args[0]
            return lambda e: log_id(e) == wanted
        if name == "sample" and len(args) == 2:
            path, fraction = args[0], float(args[1])
            return lambda e: _sampled(_field(e, path), fraction)
        raise FilterSyntaxError(f"unsupported function {name}({', '.join(args)})")


def log_id(entry: dict[str, Any]) -> str:
    """The decoded log id of an entry's logName."""
    return _decoded_log_id(str(entry.get("logName", "")))


@functools.lru_cache(maxsize=4096)
def _decoded_log_id(name: str) -> str:
    return unquote(name.split("/logs/", 1)[1]) if "/logs/" in name else name


@functools.lru_cache(maxsize=1 << 20)
def parse_ts(text: str) -> tuple[datetime, int]:
    """An RFC 3339 ``Z`` timestamp as (second, nanoseconds), so nanoseconds are not lost."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    second = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return second, int(fraction.ljust(9, "0")[:9] or 0)


def _field(entry: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None."""
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _sampled(value: Any, fraction: float) -> bool:
    """A deterministic stand-in for the API's sampling: hash of the value below the fraction."""
    if value is None:
        return False
    digest = hashlib.sha256(str(value).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def _comparison(path: str, op: str, literal: str) -> Predicate:
    """A predicate comparing the field at ``path`` with ``literal``."""
    if op in ("=~", "!~"):
        compiled = _regex_engine.compile(literal)
        hit = op == "=~"
        return lambda e: isinstance(v := _field(e, path), str) and (compiled.search(v) is not None) == hit
    if path == "severity":
        rank = SEVERITY_NUM[literal.upper()]
        return lambda e: _ordered(SEVERITY_NUM.get(str(e.get("severity") or "DEFAULT"), 0), op, rank)
    if path in ("timestamp", "receiveTimestamp"):
        bound = parse_ts(literal)
        return lambda e: isinstance(v := e.get(path), str) and _ordered(parse_ts(v), op, bound)
    return lambda e: _compare_value(_field(e, path), op, literal)


def _compare_value(value: Any, op: str, literal: str) -> bool:
    """Compare a field value with a literal: numerically when both are numbers, else as text."""
    if value is None or isinstance(value, (dict, list)):
        return False
    if op == ":":
        return literal.lower() in str(value).lower()
    try:
        return _ordered(float(value), op, float(literal))
    except ValueError:
        return _ordered(str(value).lower(), op, literal.lower())


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _ordered(left: Any, op: str, right: Any) -> bool:
    """Apply an ordering operator."""
    if op not in _OPS:
        raise FilterSyntaxError(f"operator {op!r} not supported here")
    return _OPS[op](left, right)
