"""Redaction of secrets in report text: passwords, tokens and keys become ``***``.

Logs carry secrets more often than anyone admits: a DSN with its password in a connection
error, a bearer token in a request dump, a service-account key printed at start-up. Reports
get pasted into issues and chat, so every format redacts by default (``--no-redact`` opts
out). The rules are a table: each names the kind of secret, a regex, and what to keep
(the key name, the scheme and user of a URL) so that the reader still sees *what* was there.

Each rule errs towards keeping ordinary prose intact (``password reset email sent``,
``token_count=5``); the tests hold a near-miss row for every rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MASK = "***"

# Key names whose value is a secret: the key must *end* with one of these words,
# so `token_count` or `password_reset` are left alone.
_SECRET_KEY = r"""(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key)"""


@dataclass(frozen=True)
class Rule:
    """One kind of secret: a compiled regex, the replacement (a template or a function), and
    ``needs``: a regex (searched case-insensitively) that every text the rule matches contains a
    match of, so that a text with none can skip the rule."""

    name: str
    regex: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]
    needs: str


RULES: tuple[Rule, ...] = (
    Rule(
        "private-key-block",
        re.compile(
            r"""(?x)
        -----BEGIN\ (?P<kind>[A-Z ]*?)PRIVATE\ KEY-----   # PEM header, any key type
        [\s\S]*?
        (?:-----END\ [A-Z ]*?PRIVATE\ KEY-----|\Z)         # footer, or the end of a cut-off paste
        """
        ),
        r"-----BEGIN \g<kind>PRIVATE KEY-----***-----END \g<kind>PRIVATE KEY-----",
        "-----BEGIN",
    ),
    Rule(
        "url-password",
        re.compile(
            r"""(?xi)
        (?P<head>\b[a-z][a-z0-9+.-]*://      # scheme
        [^:/?#@\s]*:)                        # user (may be empty) and the colon
        (?P<pw>[^@/?#\s]+)                   # the password
        @"""
        ),
        r"\g<head>***@",
        "://",
    ),
    Rule(
        "authorization-basic",
        re.compile(r"""(?i)(?P<head>authorization["']?\s*[:=]\s*["']?basic\s+)[A-Za-z0-9+/]{8,}={0,2}"""),
        r"\g<head>***",
        "authorization",
    ),
    Rule(
        "bearer-token",
        re.compile(
            r"""(?x)(?P<head>\b[Bb]earer\s+)
        (?=[A-Za-z0-9\-._~+/]*\d)            # real tokens carry digits; "Bearer authentication" does not
        [A-Za-z0-9\-._~+/]{16,}=*"""
        ),
        r"\g<head>***",
        "bearer",
    ),
    Rule("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK, "eyJ"),
    Rule("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), MASK, "AIza"),
    Rule("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK, "AKIA|ASIA"),
    Rule(
        "github-token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
        MASK,
        "gh[pousr]_|github_pat_",
    ),
    Rule("slack-token", re.compile(r"\bxox[abprse]-[A-Za-z0-9-]{10,}"), MASK, "xox"),
    Rule(
        "slack-webhook",
        re.compile(r"(?P<head>https://hooks\.slack\.com/services/)[A-Za-z0-9/]+"),
        r"\g<head>***",
        "://",
    ),
    Rule(
        "json-secret-pair",
        re.compile(
            rf"""(?xi)
        (?P<head>(?P<q>\\?")[\w.-]*?{_SECRET_KEY}(?P=q)   # "password" (or \"password\" inside a string)
        \s*:\s*(?P=q))
        (?!\*\*\*(?P=q))                                   # already redacted
        [^"]+?
        (?P<tail>(?P=q))"""
        ),
        r"\g<head>***\g<tail>",
        _SECRET_KEY,
    ),
    Rule(
        "key-value-secret",
        re.compile(
            rf"""(?xi)
        (?P<head>\b[\w.-]*?{_SECRET_KEY}\b    # key ending in a secret word: db_password
        \s*=\s*)
        (?P<val>"[^"]*"|'[^']*'|(?!\*\*\*)[^\s,;&"'}}\])]+)"""
        ),
        r"\g<head>***",
        _SECRET_KEY,
    ),
    Rule(
        # `password:"test"` (protobuf text format, a Go struct printed with %+v quoting, YAML):
        # a colon and a quoted value. An unquoted value after a colon is prose as often as not
        # ("refreshing token: invalid_grant"), so only the quoted one is taken.
        "colon-quoted-secret",
        re.compile(
            rf"""(?xi)
        (?P<head>\b[\w.-]*?{_SECRET_KEY}\b\s*:\s*)
        (?P<val>"(?!\*\*\*")[^"\n]*"|'(?!\*\*\*')[^'\n]*')"""
        ),
        lambda m: f"{m['head']}{m['val'][0]}***{m['val'][0]}",
        _SECRET_KEY,
    ),
    Rule(
        # an environment variable as `env`, a Kubernetes manifest or a paste print it:
        # `DB_PASSWORD: s3cret` (upper case names are settings, not prose)
        "env-secret",
        re.compile(
            r"""(?x)
        (?P<head>\b[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)\b:[ \t]*)
        (?!\*\*\*)[^\s,;&"'}\])]+"""
        ),
        r"\g<head>***",
        _SECRET_KEY,
    ),
)


# What some rule needs in the text to match at all (folding case, a superset of the rules that do
# not): most report strings hold none, and one search of this costs less than every rule's.
_ANY_RULE = re.compile("(?i)" + "|".join(dict.fromkeys(rule.needs for rule in RULES)))


def redact(text: str) -> str:
    """Return ``text`` with every secret the rules recognise replaced by ``***``.

    A text in which no rule's literal start occurs is returned as it is: no rule can match it, so
    none changes it for the next.
    """
    if _ANY_RULE.search(text) is None:
        return text
    for rule in RULES:
        text = rule.regex.sub(rule.replacement, text)
    return text


def redact_obj(value: Any) -> Any:
    """Redact every string inside ``value`` (dicts, lists, tuples), dict keys included.

    Keys matter: a finding's ``field_counts`` maps each extracted value to its count, so a
    secret a pattern captured becomes a key. Two keys that redact to the same text merge
    (counts add, lists join) rather than one silently replacing the other.
    """
    return _redacted(value, {})


def _redacted(value: Any, seen: dict[str, str]) -> Any:
    """`redact_obj` with ``seen``, each string already redacted in this object: a report states
    the same ids, keys and messages over and over (on a bundled sample, 9,467 strings of which
    779 differ), and a search of `_ANY_RULE` cost more than the rest of the walk."""
    if isinstance(value, str):
        done = seen.get(value)
        if done is None:
            done = seen[value] = redact(value)
        return done
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = _redacted(key, seen) if isinstance(key, str) else key
            new_item = _redacted(item, seen)
            out[new_key] = _merge(out[new_key], new_item) if new_key in out else new_item
        return out
    if isinstance(value, (list, tuple)):
        return [_redacted(v, seen) for v in value]
    return value


def _merge(old: Any, new: Any) -> Any:
    """The value of two keys that became one: numbers add, lists join, dicts merge, else the first."""
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        return old + new
    if isinstance(old, list) and isinstance(new, list):
        return old + new
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for k, v in new.items():
            merged[k] = _merge(merged[k], v) if k in merged else v
        return merged
    return old


__all__ = ["MASK", "RULES", "Rule", "redact", "redact_obj"]
