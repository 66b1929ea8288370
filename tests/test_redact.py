"""Redaction: each kind of secret is masked, and the near-misses beside it are left alone."""

from __future__ import annotations

import pytest

from rca.report.redact import RULES, redact, redact_obj

# (why the row is here, input, expected output)
SECRETS = [
    ("DSN password", "postgresql://user:PASS@host:5432/db", "postgresql://user:***@host:5432/db"),
    ("URL password with empty user", "redis://:s3cr3t@cache:6379", "redis://:***@cache:6379"),
    (
        "https basic auth in a URL",
        "GET https://bot:tok3n@api.example.com/x",
        "GET https://bot:***@api.example.com/x",
    ),
    ("bearer token", "Authorization: Bearer ya29.a0AfH6SMBx1234567890abc", "Authorization: Bearer ***"),
    ("basic auth header", "authorization: Basic dXNlcjpwYXNzd29yZA==", "authorization: Basic ***"),
    ("JWT", "session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig_Nature-1 ok", "session *** ok"),
    ("Google API key", "key=AIzaSyA1234567890abcdefghijklmnopqrstuv&q=1", "key=***&q=1"),
    ("AWS access key id", "using AKIAIOSFODNN7EXAMPLE now", "using *** now"),
    (
        "AWS secret key pair",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key=***",
    ),
    ("GitHub token", "token ghp_" + "a1" * 18 + " used", "token *** used"),
    ("GitHub fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "***"),
    ("Slack bot token", "xoxb-123456789012-abcdefghij", "***"),
    (
        "Slack webhook",
        "post https://hooks.slack.com/services/T0/B0/XyZ123",
        "post https://hooks.slack.com/services/***",
    ),
    (
        "private key block",
        "k=-----BEGIN RSA PRIVATE KEY-----\nMIIEo\nabc\n-----END RSA PRIVATE KEY----- done",
        "k=-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY----- done",
    ),
    (
        "cut-off private key",
        "-----BEGIN PRIVATE KEY-----\nMIIEv",
        "-----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY-----",
    ),
    (
        "password= pair",
        "connect host=db password=hunter2 sslmode=require",
        "connect host=db password=*** sslmode=require",
    ),
    ("passwd= pair", "passwd=abc", "passwd=***"),
    ("secret= pair, quoted", "secret='a b c' next", "secret=*** next"),
    ("token= in a query string", "/cb?token=abc123&state=x", "/cb?token=***&state=x"),
    ("api_key= pair", "API_KEY=zzz", "API_KEY=***"),
    ("prefixed key name", "DB_PASSWORD=pw1", "DB_PASSWORD=***"),
    ("JSON password", '{"password": "p@ss word", "user": "u"}', '{"password": "***", "user": "u"}'),
    ("JSON client_secret", '{"client_secret":"abc"}', '{"client_secret":"***"}'),
    ("escaped JSON inside a string", '{\\"api_key\\": \\"k1\\"}', '{\\"api_key\\": \\"***\\"}'),
    ("protobuf text format, as a Go service prints its config (kubeflow/metadata#138)",
     'mysql:<host:"metadata-db" user:"root" password:"test" >',
     'mysql:<host:"metadata-db" user:"root" password:"***" >'),
    ("YAML value, single-quoted", "api_key: 'abc'", "api_key: '***'"),
    ("environment variable as env prints it", "DB_PASSWORD: s3cret", "DB_PASSWORD: ***"),
]

NEAR_MISSES = [
    ("prose about passwords", "password reset email sent"),
    ("a counter whose name starts with token", "token_count=5"),
    ("a plural key", "max_tokens=4096"),
    ("password in prose with a colon", "Invalid password: too short"),
    ("bearer without a token", "Bearer authentication failed"),
    ("URL with a port, no user info", "http://10.107.1.3:5432/db"),
    ("a secret's name, not its value", "secret_name=stripe-api-key"),
    ("JSON boolean about a password", '{"password_reset_sent": true}'),
    ("short AIza text", "AIzaSyShort"),
    ("an empty value", "password= "),
    ("insertId that looks random", "insertId 68c825a600072d92ed07089d"),
    ("a timeout value", "Database initialization timeout after 8.0s"),
    ("an error about a token, after a colon", "Error refreshing access token: invalid_grant"),
    ("prose, lower case, after a colon", "token: expired"),
]


@pytest.mark.parametrize(("why", "text", "expected"), SECRETS, ids=[r[0] for r in SECRETS])
def test_secret_is_masked(why: str, text: str, expected: str) -> None:
    """Each kind of secret is replaced by *** while what surrounds it is kept."""
    assert expected == redact(text)


@pytest.mark.parametrize(("why", "text"), NEAR_MISSES, ids=[r[0] for r in NEAR_MISSES])
def test_near_miss_is_left_alone(why: str, text: str) -> None:
    """Ordinary text that resembles a secret stays intact."""
    assert text == redact(text)


@pytest.mark.parametrize(("why", "text", "expected"), SECRETS, ids=[r[0] for r in SECRETS])
def test_redaction_is_idempotent(why: str, text: str, expected: str) -> None:
    """Redacting redacted text changes nothing (reports may be redacted twice)."""
    assert expected == redact(redact(text))


def test_every_rule_has_a_test_row() -> None:
    """Each rule in the table fires on at least one SECRETS row, so no rule is untested."""
    fired = {rule.name for rule in RULES for _, text, _ in SECRETS if rule.regex.search(text)}
    assert {rule.name for rule in RULES} == fired


def _every_rule(text: str) -> str:
    """The rules applied one after another with no shortcut."""
    for rule in RULES:
        text = rule.regex.sub(rule.replacement, text)
    return text


def test_texts_no_rule_can_touch_are_skipped_without_a_difference() -> None:
    """redact skips a text in which no rule's literal start occurs; on every row, its upper- and
    lower-cased forms, and forms spelled with the letters case-insensitive matching also folds
    (long s, Kelvin sign, dotless i), the result is what applying every rule gives."""
    texts = [text for _, text, _ in SECRETS] + [text for _, text in NEAR_MISSES]
    folded = str.maketrans({"s": "\u017f", "k": "\u212a", "i": "\u0131"})
    variants = [v for t in texts for v in (t, t.upper(), t.lower(), t.translate(folded))]
    assert sum(_every_rule(v) != v for v in variants) > len(SECRETS)  # the variants still hold secrets
    for text in variants:
        assert redact(text) == _every_rule(text), text


def test_redact_obj_walks_containers() -> None:
    """Strings inside dicts, lists and tuples are redacted, keys included; numbers and None are kept."""
    data = {"a": ["password=x", ("token=y",)], "n": 5, "none": None, "password=k": "ok"}
    assert redact_obj(data) == {
        "a": ["password=***", ["token=***"]],
        "n": 5,
        "none": None,
        "password=***": "ok",
    }


def test_redact_obj_merges_keys_that_redact_alike() -> None:
    """Two secret keys of a count map become one masked key holding the sum, not a lost count."""
    key1, key2 = "AIza" + "a" * 35, "AIza" + "b" * 35
    assert redact_obj({key1: 2, key2: 3, "ok": 1}) == {"***": 5, "ok": 1}


def test_redact_obj_redacts_every_repeat_of_a_string() -> None:
    """A string met again (as a key, a value, deeper down) is redacted each time, as the first."""
    secret, plain = "password=hunter2", "nothing here"
    data = {secret: [secret, {"k": secret, secret: plain}], "v": (plain, secret)}
    assert redact_obj(data) == {
        "password=***": ["password=***", {"k": "password=***", "password=***": plain}],
        "v": [plain, "password=***"],
    }
