"""Hostile log text and hostile user input: nothing runs, nothing escapes, no secret leaks.

Secrets (DSNs, bearer/JWT tokens, Google and AWS keys, service-account private keys inside JSON,
password=/secret=/token= pairs, GitHub and Slack tokens) sit inside the log entries of a small
export; the real CLI renders it in every format and no secret substring may appear. The same
export carries HTML, Markdown and terminal-escape injections. User templates run sandboxed,
`--out` writes only where it is told, and no module loads YAML unsafely or evals input.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from rca.report.redact import redact
from tests.suite import Ran, cli

REPO = Path(__file__).resolve().parent.parent
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
PEM = (f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZH\n"
       "-----END PRIVATE KEY-----\n")

# kind: (text as logged, the substring that must never reach a report)
# fmt: off
_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
_AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_GOOGLE_KEY = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
SECRETS: dict[str, tuple[str, str]] = {
    "postgres-dsn": ("postgresql://app:S3cretPgPass@10.0.0.5:5432/orders", "S3cretPgPass"),
    "mysql-dsn": ("mysql+pymysql://root:MyS9lPw0rd@db:3306/x", "MyS9lPw0rd"),
    "redis-dsn": ("redis://:R3disPassw0rd@10.0.0.7:6379/0", "R3disPassw0rd"),
    "bearer": ("Authorization: Bearer ya29.a0AfH6SMBx3bearerTOKEN1234567890abc",
               "a0AfH6SMBx3bearerTOKEN1234567890abc"),
    "jwt": (f"jwt {_JWT}", _JWT.rsplit(".", 1)[1]),
    "google-api-key": (f"calling maps with key {_GOOGLE_KEY}", _GOOGLE_KEY),
    "sa-private-key": ("credentials: " + json.dumps({"type": "service_account", "private_key": PEM}),
                       PEM_BODY),
    "password-pair": ("db password=Hunter2Secret! host=x", "Hunter2Secret!"),
    "secret-pair": ("config secret=TopS3cretValue9", "TopS3cretValue9"),
    "token-pair": ("retry token=tok_9f8e7d6c5b4a", "tok_9f8e7d6c5b4a"),
    "aws-secret": (f"aws_secret_access_key={_AWS_SECRET}", _AWS_SECRET),
    "aws-key-id": ("using AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "github-token": ("https://x-access-token:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r",
                     "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    "slack-token": ("posting with xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
}
# fmt: on

HOSTILE = [
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1)) ![img](http://evil/x.png) | table | break |\n# Heading injection",
    "\x1b[2J\x1b[H screen cleared \x1b]8;;http://evil.example/\x07link\x1b]8;;\x07 \x1b]0;pwned title\x07",
    "```\nfenced break-out\n```",
]
ESCAPE_MARKERS = ("\x1b[2J", "\x1b]8;", "\x1b]0;", "\x07")
FORMATS = ("json", "markdown", "html", "text")
DB_ERROR = "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection refused"


def export(path: Path) -> Path:
    """A gcloud-style export whose error entries carry every secret and every hostile string."""
    texts = [text for text, _ in SECRETS.values()] + HOSTILE
    entries = [
        {
            "timestamp": f"2025-09-15T14:00:{i:02d}Z",
            "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
            "resource": {"type": "cloud_run_revision", "labels": {"service_name": "svc"}},
            "severity": "ERROR",
            "insertId": f"e{i}",
            "textPayload": f"{DB_ERROR}; {text}",
        }
        for i, text in enumerate(texts)
    ]
    path.write_text(json.dumps(entries))
    return path


def run_cli(*args: str, cwd: Path = REPO) -> Ran:
    """`rca ...` in process (tests/suite.py: a crash still shows as a traceback on stderr)."""
    return cli(*args, cwd=cwd)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The CLI's report of the hostile export in every format, plus an unredacted json one."""
    data = export(tmp_path_factory.mktemp("hostile") / "export.json")
    runs = {fmt: ("--format", fmt) for fmt in FORMATS} | {"raw": ("--format", "json", "--no-redact")}

    procs = {name: run_cli("analyze", "--input", str(data), "--since", "1h", *args)
             for name, args in runs.items()}
    for name, proc in procs.items():
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (name, proc.stderr)
    return {name: proc.stdout + proc.stderr for name, proc in procs.items()}


def test_secrets_reach_the_unredacted_report(outputs: dict[str, str]) -> None:
    """Guard for the leak test: without redaction, the report does show secrets from the export."""
    shown = [kind for kind, (_, needle) in SECRETS.items() if needle in outputs["raw"]]
    assert len(shown) >= 3, shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_secret_in_any_format(fmt: str, outputs: dict[str, str]) -> None:
    """No secret substring appears in the redacted report of any format."""
    leaked = [kind for kind, (_, needle) in SECRETS.items() if needle in outputs[fmt]]
    assert leaked == []


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_redaction_covers_every_secret_kind(kind: str) -> None:
    """Each secret kind is masked by the redactor wherever it sits in a line."""
    text, needle = SECRETS[kind]
    for line in (text, f"prefix {text} suffix", json.dumps({"message": text})):
        assert needle not in redact(line), line


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_terminal_escape_survives(fmt: str, outputs: dict[str, str]) -> None:
    """Screen clears, OSC 8 links and title sequences from logs never reach any output."""
    assert [m for m in ESCAPE_MARKERS if m in outputs[fmt]] == []


def test_html_injection_is_inert(outputs: dict[str, str]) -> None:
    """A <script> or onerror attribute from a log line is text in the HTML report, never markup."""
    html = outputs["html"]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert (
        "javascript:alert" not in html.replace("javascript:alert(1))", "") or 'href="javascript' not in html
    )


def test_markdown_injection_is_inert(outputs: dict[str, str]) -> None:
    """Log text cannot add links, images, headings or raw HTML to the markdown report."""
    import re

    md = outputs["markdown"]
    assert re.search(r"(?<!\\)\]\(javascript:", md) is None
    assert re.search(r"!(?<!\\)\[img(?<!\\)\]\(", md) is None
    assert "\n# Heading injection" not in md
    assert "<script>" not in md


def test_template_escape_attempt_fails_safely(tmp_path: Path) -> None:
    """A user template reaching for Python internals exits 2 with a sandbox error and runs nothing."""
    marker = tmp_path / "pwned"
    template = tmp_path / "evil.md.j2"
    template.write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}"
        "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"
    )
    proc = run_cli(
        "analyze",
        "--input",
        str(export(tmp_path / "e.json")),
        "--since",
        "1h",
        "--template",
        str(template),
        "--format",
        "markdown",
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "--template" in proc.stderr
    assert not marker.exists()


def test_out_writes_only_the_given_path(tmp_path: Path) -> None:
    """`--out a/../report.md` writes that one file and nothing else."""
    work = tmp_path / "work"
    (work / "a").mkdir(parents=True)
    data = export(tmp_path / "e.json")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    proc = run_cli("analyze", "--input", str(data), "--since", "1h", "--out", "a/../report.md", cwd=work)
    assert proc.returncode == 0, proc.stderr
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert sorted(set(after) - set(before)) == [Path("work/report.md")]
    assert (work / "report.md").read_text().startswith("#")


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return ""


def test_no_unsafe_loading_or_evaluation_in_rca() -> None:
    """rca/ never calls yaml.load without SafeLoader, eval, exec or pickle on anything."""
    offenders = []
    for path in sorted((REPO / "rca").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        rel = path.relative_to(REPO).as_posix()
        for node in _calls(tree):
            name = _name(node.func)
            if name in ("eval", "exec", "compile", "__import__") or name.startswith(("pickle.", "marshal.")):
                offenders.append(f"{rel}:{node.lineno}: {name}")
            if name in ("yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.full_load"):
                loader = ast.unparse(node)
                if "SafeLoader" not in loader and "CSafeLoader" not in loader:
                    offenders.append(f"{rel}:{node.lineno}: {loader}")
        if "import pickle" in source or "import marshal" in source or "import shelve" in source:
            offenders.append(f"{rel}: imports a pickle-like module")
    assert offenders == []


def test_cache_metadata_never_holds_entry_text(tmp_path: Path) -> None:
    """Cache metadata records the request and outcome only: no entry text, so no secret from a log."""
    from datetime import datetime, timedelta, timezone

    from fakes.logging_server import FakeLoggingServer

    from rca.sources.cloud.fetch import RateLimiter, RetryPolicy, fetch_window

    t0 = datetime(2025, 9, 15, 14, 0, tzinfo=timezone.utc)
    entries: list[dict[str, Any]] = json.loads(export(tmp_path / "e.json").read_text())
    for item in entries:
        item["resource"]["labels"]["service_name"] = "svc"
        item["logName"] = "projects/p/logs/run.googleapis.com%2Fstderr"
    with FakeLoggingServer(entries) as fake:
        path, _ = fetch_window(
            "svc",
            t0,
            t0 + timedelta(hours=1),
            "p",
            client=fake.client("p"),
            cache_dir=tmp_path / "cache",
            now=t0 + timedelta(days=1),
            rate=RateLimiter(sleep=lambda s: None),
            retry=RetryPolicy(sleep=lambda s: None),
        )
    meta = path.with_name(path.name.replace(".ndjson", ".meta.json")).read_text()
    assert [kind for kind, (_, needle) in SECRETS.items() if needle in meta] == []
    assert "OperationalError" not in meta.split('"queries"')[0]


def test_brackets_in_log_text_never_become_terminal_markup() -> None:
    """An evidence line cut short inside a bracket (`... servlet [dispatcherS…`) must not open a
    markup tag that the next why's `]` closes: the text between would vanish from the terminal
    report (blind set DF05 lost a whole why). Every bracket and backslash prints as it was."""
    from rich.text import Text

    from rca.report.render import rich_escape

    cut, why = "for servlet [dispatcherS…", "The code dereferenced a null value: x is null] with root cause"
    odd = r"C:\dir\[x] [bold]y[/] \\"
    markup = (f"[dim]11:21:39 0dcb:[/] {rich_escape(cut)}\n 3. {rich_escape(why)} [dim](78%)[/]\n"
              f" {rich_escape(odd)} [dim](x)[/]")
    assert Text.from_markup(markup).plain == f"11:21:39 0dcb: {cut}\n 3. {why} (78%)\n {odd} (x)"
